"""A read-only catalog of the embedded store's nodes, in SQLite beside the snapshot.

Loading a snapshot of 100,000 actors takes seconds; the command line's quick questions
(``stats``, ``search``, ``node``) need a few rows. Every save of the embedded store
writes this catalog after the snapshot (to a temporary file, then renamed), recording
which snapshot it describes (its size and modification time). A reader uses it only
while the snapshot is that one; otherwise (a crash between the two writes, an older
innograph) it loads the snapshot as before. The answers are the embedded store's own:
the same records, the same filters and the same search ranking.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from graph.errors import NotFound
from graph.store import check_filters, check_limit, filter_records, rank_hits
from schemas.names import normalize_name
from schemas.records import Record, node_from_record
from schemas.results import SearchHit, Stats

CATALOG = "catalog.sqlite"
FORMAT = "2"
"""The catalog's layout: a catalog of another one (an older innograph's) is not used.
Format 2 holds each record pickled, as the snapshot does (JSON, format 1, took half the
time of writing a catalog of 100,000 actors, and turned a record's tuples into lists)."""
SNAPSHOT = "graph.pickle"
"""The embedded store's snapshot file, in its home."""


def _stamp(snapshot: Path) -> str:
    st = snapshot.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def write_catalog(home: Path, snapshot: Path, nodes: Collection[Record], stats: Stats,
                  version: int) -> None:
    """Write the catalog of ``nodes`` for the snapshot just saved (atomic replace)."""
    tmp = home / f"{CATALOG}.tmp{os.getpid()}"
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT);"
            "CREATE TABLE nodes (uid TEXT PRIMARY KEY, label TEXT, name TEXT, name_norm TEXT,"
            " search_text TEXT, record BLOB);"
            "CREATE TABLE names (key TEXT, uid TEXT);")
        # rows made as SQLite takes them: held in a list, the records' JSON took as much
        # memory as the records
        con.executemany("INSERT INTO nodes VALUES (?, ?, ?, ?, ?, ?)", (
            (str(rec["uid"]), rec.get("label"), rec.get("name"), rec.get("name_norm") or "",
             rec.get("search_text") or "", pickle.dumps(rec, protocol=pickle.HIGHEST_PROTOCOL))
            for rec in nodes))
        con.executemany("INSERT INTO names VALUES (?, ?)", (
            (k, str(rec["uid"])) for rec in nodes for k in rec.get("name_keys") or ()))
        con.execute("CREATE INDEX names_key ON names (key)")
        con.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("snapshot", _stamp(snapshot)), ("version", str(version)), ("format", FORMAT),
            ("stats", stats.model_dump_json())])
        con.commit()
    finally:
        con.close()
    os.replace(tmp, home / CATALOG)


def drop_catalog(home: Path) -> None:
    """Remove the catalog (it would describe another snapshot)."""
    (home / CATALOG).unlink(missing_ok=True)


class CatalogStore:
    """The quick read-only questions of the command line, answered from the catalog.

    Use :meth:`open_fresh`: it gives None when the catalog is missing or describes
    another snapshot.
    """

    backend = "embedded"

    def __init__(self, path: Path) -> None:
        self._con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        meta = dict(self._con.execute("SELECT k, v FROM meta").fetchall())
        self._meta: Mapping[str, str] = meta

    @classmethod
    def open_fresh(cls, home: Path, snapshot_name: str) -> CatalogStore | None:
        """The catalog of the snapshot in ``home`` if it describes that very snapshot."""
        path, snapshot = home / CATALOG, home / snapshot_name
        if not path.exists() or not snapshot.exists():
            return None
        try:
            store = cls(path)
        except sqlite3.Error:
            return None
        if store._meta.get("snapshot") != _stamp(snapshot) or \
                store._meta.get("format") != FORMAT:
            store.close()
            return None
        return store

    def close(self) -> None:
        self._con.close()

    def refresh(self) -> None:
        """Nothing to pick up: a catalog is of one snapshot."""

    def version(self) -> int:
        return int(self._meta.get("version", "0"))

    def stats(self) -> Stats:
        return Stats.model_validate_json(self._meta["stats"])

    def _records(self, sql: str, args: Sequence[Any] = ()) -> list[Record]:
        # the snapshot's own records, written by this store beside it (as trusted as it)
        return [pickle.loads(r[0]) for r in self._con.execute(sql, list(args))]

    def read_nodes(self, *, uids: Sequence[str]) -> dict[str, Record]:
        out: dict[str, Record] = {}
        wanted = list(dict.fromkeys(uids))
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            marks = ",".join("?" * len(part))
            for rec in self._records(f"SELECT record FROM nodes WHERE uid IN ({marks})", part):
                out[str(rec["uid"])] = rec
        return out

    def get_node(self, *, uid: str) -> Any:
        rec = self.read_nodes(uids=[uid]).get(uid)
        if rec is None:
            raise NotFound("node", uid)
        return node_from_record(rec)

    def find_records(self, *, uids: Sequence[str] | None = None, name: str | None = None,
                     label: str | None = None, where: Mapping[str, Any] | None = None,
                     limit: int = 100) -> list[Record]:
        """As ``EmbeddedStore.find_records``."""
        check_limit("limit", limit)
        check_filters([label] if label else None, None)
        if uids is not None:
            found = self.read_nodes(uids=uids)
            pool = [found[u] for u in dict.fromkeys(uids) if u in found]
        elif name is not None:
            pool = self._records("SELECT n.record FROM names k JOIN nodes n ON n.uid = k.uid "
                                 "WHERE k.key = ?", [normalize_name(name)])
        else:
            pool = self._records("SELECT record FROM nodes")
        if name is not None and uids is not None:
            key = normalize_name(name)
            pool = [r for r in pool if key in set(r.get("name_keys") or ())]
        return filter_records(pool, label=label, where=where, limit=limit)

    def search(self, *, text: str, labels: Sequence[str] | None = None,
               limit: int = 20) -> list[SearchHit]:
        """As ``EmbeddedStore.search``: the records whose search text holds the query,
        ranked alike."""
        check_limit("limit", limit)
        check_filters(labels, None)
        q = normalize_name(text)
        if not q:
            return []
        only = f" AND n.label IN ({','.join('?' * len(labels))})" if labels else ""
        kinds = list(labels or ())
        # The ranking's tiers (graph.store.search_rank): an exact name or alias, then
        # names starting with the query, then names holding it (shorter names first, then
        # name, uid), then aliases, tags, keywords. When enough names hold the query, the
        # page is among the exact ones and the first of those names in that very order:
        # a few rows to rank instead of every record holding the query somewhere.
        exact = self._records("SELECT n.record FROM names k JOIN nodes n ON n.uid = k.uid "
                              f"WHERE k.key = ?{only}", [q, *kinds])
        named = self._records(
            f"SELECT n.record FROM nodes n WHERE instr(n.name_norm, ?) > 0{only} "
            "ORDER BY substr(n.name_norm, 1, ?) = ? DESC, length(n.name_norm), n.name, n.uid "
            "LIMIT ?", [q, *kinds, len(q), q, limit])
        if len(named) >= limit:
            return rank_hits({r["uid"]: r for r in [*exact, *named]}.values(), text, limit)
        return rank_hits(self._records(
            f"SELECT n.record FROM nodes n WHERE instr(n.search_text, ?) > 0{only}",
            [q, *kinds]), text, limit)
