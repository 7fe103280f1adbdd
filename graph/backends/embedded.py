"""The embedded store: networkx-style adjacency in process, durable on disk.

The whole graph lives in memory as plain records and is saved as one snapshot
file. A save writes a temporary file, fsyncs it and renames it over the old one,
so a process killed mid-save leaves the previous snapshot readable. A lock file
keeps a second writing process away from the same directory.
"""

from __future__ import annotations

import fcntl
import heapq
import itertools
import logging
import os
import pickle
import sqlite3
import threading
from array import array
from bisect import bisect_left
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

from graph.backends.catalog import SNAPSHOT
from graph.collector import collections_off
from graph.errors import NotFound, StoreUnavailable
from graph.store import (
    HUB_DEGREE,
    PARTNER_TIES,
    Direction,
    GraphStore,
    check_filters,
    check_limit,
    edge_in_years,
    filter_records,
    name_order,
    rank_candidates,
    rank_hits,
    ref,
)
from schemas.names import normalize_name
from schemas.records import Record, edge_from_record
from schemas.relationships import PROJECT_PARTICIPATION, Relationship
from schemas.results import (
    MergeRecord,
    PartnerNeighbourhood,
    Path,
    PathStep,
    SearchHit,
    Stats,
)

if TYPE_CHECKING:
    import networkx as nx

FORMAT_VERSION = 1
log = logging.getLogger("innograph.embedded")

GRAM = 2
"""Substring search proposes candidates from an index of character bigrams."""
SEARCH_CACHE = 4096
"""Search results remembered until the next commit (common short queries recur)."""
PREFIX_SORT_MAX = 2_000
"""Up to this many names starting with a query are sorted; more are walked in order."""


def _snapshot(path: FsPath) -> dict[str, Any]:
    with path.open("rb") as fh:
        data = pickle.load(fh)
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        found = data.get("version") if isinstance(data, dict) else type(data).__name__
        raise StoreUnavailable(f"{path}:无法识别的快照格式 {found}"
                               f"(本版本读取格式 {FORMAT_VERSION})")
    return data


def snapshot_records(home: str | os.PathLike[str]) -> tuple[list[Record], list[Record]]:
    """The node and relationship records of the snapshot saved in ``home`` (a store's
    folder), read without opening the store: no lock taken, none of its indexes built.
    For a tool that reads every record once (the ingest benchmark's baseline: at
    1,000,000 actors, building the indexes of 8 million records only to list them again
    cost minutes).

    Raises:
        StoreUnavailable: no snapshot there, or one of another format.
    """
    path = FsPath(home) / SNAPSHOT
    if not path.exists():
        raise StoreUnavailable(f"{FsPath(home)} 中没有内置图谱的快照")
    with collections_off():  # as when a store loads it
        data = _snapshot(path)
    return list(data["nodes"]), list(data["edges"])


@dataclass(frozen=True, slots=True)
class _NameOrder:
    """The names of one store state, arranged for the search ranking's name tiers."""

    norms: list[str]
    """Every normalised name, sorted: the names starting with a query are one range."""
    norm_uids: list[str]
    """The uid of each entry of ``norms``."""
    grams: dict[str, list[str]]
    """Character bigram of normalised names -> uids, in :func:`graph.store.name_order`."""
    firsts: dict[str, list[str]]
    """First bigram of normalised names -> uids, in :func:`graph.store.name_order`."""


def _check_derived_name(name: str) -> None:
    if not name.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"not a derived-result name: {name!r}")


_STATE = ("_nodes", "_edges", "_out", "_in", "_names", "_merges", "_version", "_searches",
          "_ids", "_id_uids", "_grams", "_graph_cache", "_by_name", "_per_label")
"""What a snapshot load replaces."""


class EmbeddedStore(GraphStore):
    """A GraphStore held in memory and saved under ``home`` (or nowhere if home is None).

    Args:
        home: Directory of the snapshot and lock file; None keeps everything in memory.
        read_only: Open without the writer lock; writes raise StoreUnavailable.
    """

    backend = "embedded"
    reads_in_memory = True

    def __init__(self, home: str | os.PathLike[str] | None, *, read_only: bool = False) -> None:
        self.home = FsPath(home) if home is not None else None
        self.read_only = read_only
        self._nodes: dict[str, Record] = {}
        self._per_label: dict[str, int] = {}
        self._edges: dict[str, Record] = {}
        self._out: dict[str, set[str]] = {}
        self._in: dict[str, set[str]] = {}
        self._names: dict[str, set[str]] = {}
        self._merges: list[MergeRecord] = []
        self._version = 0
        self._derived: dict[str, tuple[int, bytes]] = {}
        self._searches: dict[tuple[str, tuple[str, ...], int], list[SearchHit]] = {}
        self._ids: dict[str, int] = {}
        self._id_uids: list[str] = []
        self._grams: dict[str, array[int]] | None = None
        self._by_name: _NameOrder | None = None
        """Names in the search ranking's order (built on the first search after a name
        changed, once :meth:`prepare_search` asked for it)."""
        self._search_ready = False
        """Whether searches walk :attr:`_by_name`. A server sets it in its warm-up; an
        ingest does not: its probes would rebuild the order after every batch (a sort of
        every name each time), so they rank their bigram candidates instead."""
        self._lock_fd: int | None = None
        self._deferred = 0
        self._dirty = False
        self._stamp = 0
        self._graph_cache: dict[tuple[tuple[str, ...] | None, tuple[int, int] | None],
                                nx.Graph] = {}
        self._reload = threading.Lock()

    # lifecycle ------------------------------------------------------------
    def open(self) -> None:
        """Take the writer lock (unless read-only) and load the snapshot if there is one."""
        if self.home is None:
            return
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            fd = (os.open(self.home / "lock", os.O_RDWR | os.O_CREAT, 0o644)
                  if not self.read_only else -1)
        except OSError as exc:  # a read-only file system, no permission, a full disk
            raise StoreUnavailable(
                f"无法打开图谱目录 {self.home} 用于写入:{exc.strerror or exc}"
                "(目录只读或无权限?只读查询可用 read_only 方式打开)") from exc
        if not self.read_only:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                os.close(fd)
                raise StoreUnavailable(f"{self.home} 的内置图谱正由另一个进程写入"
                                       "(同一时间只能有一个写入进程)") from exc
            self._lock_fd = fd
        self._read_snapshot()

    def _read_snapshot(self) -> None:
        if self.home is None:
            return
        path = self.home / SNAPSHOT
        if not path.exists():
            return
        stamp = path.stat().st_mtime_ns
        # records and their indexes, millions of containers that outlive the load and make
        # no cycle: the collector would walk them again and again meanwhile (half the time)
        with collections_off():
            data = _snapshot(path)
            if self._nodes or self._edges:
                # a served store: build the new state aside and swap it in, so that
                # requests running meanwhile read the old state whole, never a half-loaded one
                fresh = EmbeddedStore(None)
                fresh._load(data)
                for name in _STATE:
                    setattr(self, name, getattr(fresh, name))
            else:
                self._load(data)
        self._stamp = stamp

    def refresh_due(self) -> bool:
        """A read-only store whose snapshot a writer has replaced since it was read."""
        if not self.read_only or self.home is None:
            return False
        try:
            return os.stat(self.home / SNAPSHOT).st_mtime_ns != self._stamp
        except FileNotFoundError:
            return False

    def refresh(self) -> None:
        """A read-only store reloads the snapshot when a writer has saved a newer one."""
        if self.refresh_due():
            with self._reload:  # one reload for all the requests that noticed the change
                if self.refresh_due():
                    self._read_snapshot()

    def close(self) -> None:
        """Release the writer lock."""
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _load(self, data: Mapping[str, Any]) -> None:
        self._nodes, self._edges, self._out, self._in, self._names = {}, {}, {}, {}, {}
        self._per_label = {}
        self._ids, self._id_uids, self._grams, self._by_name = {}, [], None, None
        self._searches.clear()
        self._graph_cache.clear()
        for rec in data["nodes"]:
            self._put_node(rec)
        for rec in data["edges"]:
            self._put_edge(rec)
        self._merges = [MergeRecord.model_validate(m) for m in data["merges"]]
        self._version = int(data.get("store_version", 0))

    def _save(self) -> None:
        if self.home is None:
            return
        if self._deferred:
            self._dirty = True
            return
        data = {"version": FORMAT_VERSION, "store_version": self._version,
                "nodes": list(self._nodes.values()), "edges": list(self._edges.values()),
                "merges": [m.model_dump(mode="json") for m in self._merges]}
        path = self.home / SNAPSHOT
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        try:
            with tmp.open("wb") as fh:
                pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            # a full disk or a read-only folder: the previous snapshot stays as it was,
            # and so does this process's copy (the change is dropped, not kept unsaved)
            tmp.unlink(missing_ok=True)
            self._dirty = False
            try:
                if path.exists():
                    self._read_snapshot()
                else:
                    self._load({"nodes": [], "edges": [], "merges": []})
            except (OSError, StoreUnavailable):
                log.warning("保存失败后未能重新读取 %s", path)
            raise StoreUnavailable(
                f"无法保存图数据到 {path}:{exc.strerror or exc}(磁盘已满或目录不可写?)。"
                "上一次保存的数据完好,本次写入未保存。") from exc
        dir_fd = os.open(self.home, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._dirty = False
        # the command line's quick questions read a catalog of this snapshot instead of
        # loading it; a catalog that cannot be written must not describe an older one
        from graph.backends.catalog import drop_catalog, write_catalog

        try:
            write_catalog(self.home, path, self._nodes.values(), self.stats(), self._version)
        except (OSError, sqlite3.Error) as exc:
            drop_catalog(self.home)
            log.warning("%s 旁的目录文件未写入:%s", path, exc)

    def version(self) -> int:
        """The store version: bumped by every commit, kept in the snapshot."""
        return self._version

    def scan_nodes(self, *, labels: Sequence[str] | None = None,
                   batch_size: int = 10_000) -> Iterator[list[Record]]:
        """Every node record of ``labels`` (all if None), in batches."""
        check_filters(labels, None)
        wanted = set(labels or ())
        pool = [r for r in self._nodes.values() if not wanted or r["label"] in wanted]
        for i in range(0, len(pool), batch_size):
            yield pool[i:i + batch_size]

    def scan_edges(self, *, rel_types: Sequence[str] | None = None,
                   batch_size: int = 10_000) -> Iterator[list[Record]]:
        """Every relationship record of ``rel_types`` (all if None), in batches."""
        check_filters(None, rel_types)
        wanted = set(rel_types or ())
        pool = [r for r in self._edges.values() if not wanted or r["type"] in wanted]
        for i in range(0, len(pool), batch_size):
            yield pool[i:i + batch_size]

    def save_derived(self, *, name: str, version: int, data: bytes) -> None:
        """Write ``derived-<name>.bin`` beside the snapshot (temp file, rename)."""
        _check_derived_name(name)
        self._derived[name] = (version, data)
        if self.home is None:
            return
        path = self.home / f"derived-{name}.bin"
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(version.to_bytes(8, "big") + data)
        os.replace(tmp, path)

    def load_derived(self, *, name: str) -> tuple[int, bytes] | None:
        """The saved result ``name`` with its store version, or None."""
        _check_derived_name(name)
        if self.home is None:
            return self._derived.get(name)
        try:
            raw = (self.home / f"derived-{name}.bin").read_bytes()
        except FileNotFoundError:
            return None
        return int.from_bytes(raw[:8], "big"), raw[8:]

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Save once at the end instead of after every batch.

        A process killed inside leaves the snapshot of before the context (the save
        is atomic); an exception or a clean interrupt (Ctrl-C) saves what was
        committed, batch by whole batch.
        """
        self._deferred += 1
        try:
            yield
        finally:
            self._deferred -= 1
            if not self._deferred and self._dirty:
                self._save()

    def checkpoint(self) -> None:
        """Save now, inside a bulk context, what it deferred (an ingest saves its data
        while the analysis after it waits for the recommender's fit in a child process,
        instead of before the analysis starts)."""
        if not self._dirty:
            return
        deferred, self._deferred = self._deferred, 0
        try:
            self._save()
        finally:
            self._deferred = deferred

    # primitives -----------------------------------------------------------
    def _name_keys(self, rec: Record) -> set[str]:
        return set(rec["name_keys"])

    def _put_node(self, rec: Record) -> None:
        old = self._nodes.get(rec["uid"])
        if old is not None:
            for k in self._name_keys(old):
                self._names.get(k, set()).discard(rec["uid"])
        self._nodes[rec["uid"]] = rec
        if old is None or old["label"] != rec["label"]:
            per_label = self._per_label
            if old is not None:
                per_label[old["label"]] -= 1
            per_label[rec["label"]] = per_label.get(rec["label"], 0) + 1
        if old is None or old["name"] != rec["name"] or old["label"] != rec["label"]:
            self._by_name = None
        for k in self._name_keys(rec):
            self._names.setdefault(k, set()).add(rec["uid"])
        if self._grams is not None and (old is None
                                        or old["search_text"] != rec["search_text"]):
            self._index_grams(rec)
        self._out.setdefault(rec["uid"], set())
        self._in.setdefault(rec["uid"], set())

    def _index_grams(self, rec: Record) -> None:
        # postings only grow: a stale entry (text changed, node deleted) fails the
        # substring check of every search, and a reload rebuilds the index from scratch
        assert self._grams is not None
        ident = self._ids.get(rec["uid"])
        if ident is None:
            ident = self._ids[rec["uid"]] = len(self._id_uids)
            self._id_uids.append(rec["uid"])
        text = rec["search_text"]
        for gram in {text[i:i + GRAM] for i in range(max(len(text) - GRAM + 1, 1))}:
            posting = self._grams.get(gram)
            if posting is None:
                posting = self._grams[gram] = array("q")
            posting.append(ident)

    def _gram_index(self) -> dict[str, array[int]]:
        """The bigram index, built on the first search and kept up to date after."""
        if self._grams is None:
            self._grams = {}
            for rec in self._nodes.values():
                self._index_grams(rec)
        return self._grams

    def _put_edge(self, rec: Record) -> None:
        self._edges[rec["uid"]] = rec
        self._out[rec["source"]].add(rec["uid"])
        self._in[rec["target"]].add(rec["uid"])

    def _del_edge(self, euid: str) -> None:
        rec = self._edges.pop(euid, None)
        if rec is not None:
            self._out[rec["source"]].discard(euid)
            self._in[rec["target"]].discard(euid)

    def _del_node(self, uid: str) -> None:
        rec = self._nodes.pop(uid, None)
        if rec is None:
            return
        self._per_label[rec["label"]] -= 1
        for euid in list(self._out.pop(uid, set()) | self._in.pop(uid, set())):
            self._del_edge(euid)
        for k in self._name_keys(rec):
            self._names.get(k, set()).discard(uid)
        self._by_name = None

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreUnavailable("内置图谱以只读方式打开,不能写入")

    def read_nodes(self, *, uids: Sequence[str]) -> dict[str, Record]:
        """Stored records of the nodes that exist among ``uids``."""
        return {u: self._nodes[u] for u in uids if u in self._nodes}

    def read_edges(self, *, uids: Sequence[str] = (),
                   node_uids: Sequence[str] = ()) -> dict[str, Record]:
        """Relationship records by uid and those touching ``node_uids``."""
        out = {u: self._edges[u] for u in uids if u in self._edges}
        for n in node_uids:
            for euid in self._out.get(n, set()) | self._in.get(n, set()):
                out[euid] = self._edges[euid]
        return out

    def commit(self, *, put_nodes: Sequence[Record] = (), put_edges: Sequence[Record] = (),
               del_nodes: Sequence[str] = (), del_edges: Sequence[Record] = (),
               merge: MergeRecord | None = None,
               absent: Collection[str] = frozenset()) -> None:
        """Apply a change in memory, then save the snapshot (atomic on disk). ``absent``
        changes nothing here: every put replaces by uid in a dict."""
        self._check_writable()
        for erec in del_edges:
            self._del_edge(erec["uid"])
        for uid in del_nodes:
            self._del_node(uid)
        for rec in put_nodes:
            self._put_node(dict(rec))
        for rec in put_edges:
            # a relationship's uid names its endpoints (source|type|key|target): the one
            # it replaces has the same, so the adjacency sets need no removal first
            self._put_edge(dict(rec))
        if merge is not None:
            self._merges = [m for m in self._merges if m.merge_id != merge.merge_id]
            self._merges.append(merge)
            self._merges.sort(key=lambda m: (m.at, m.merge_id))
        self._graph_cache.clear()
        self._searches.clear()
        self._version += 1
        self._save()

    def clear(self) -> None:
        """Delete everything, merge history included."""
        self._check_writable()
        version = self._version
        self._load({"nodes": [], "edges": [], "merges": []})
        self._version = version + 1
        self._save()

    # reads ----------------------------------------------------------------
    def find_records(self, *, uids: Sequence[str] | None = None, name: str | None = None,
                     label: str | None = None, where: Mapping[str, Any] | None = None,
                     limit: int = 100) -> list[Record]:
        """Records matching every filter, ordered by name then uid."""
        check_limit("limit", limit)
        check_filters([label] if label else None, None)
        if uids is not None:
            pool: list[Record] = [self._nodes[u] for u in dict.fromkeys(uids)
                                  if u in self._nodes]
        elif name is not None:
            pool = [self._nodes[u] for u in self._names.get(normalize_name(name), ())]
        else:
            pool = list(self._nodes.values())
        if name is not None and uids is not None:
            key = normalize_name(name)
            pool = [r for r in pool if key in self._name_keys(r)]
        return filter_records(pool, label=label, where=where, limit=limit)

    def search(self, *, text: str, labels: Sequence[str] | None = None,
               limit: int = 20) -> list[SearchHit]:
        """Substring search over names, aliases and keywords."""
        check_limit("limit", limit)
        check_filters(labels, None)
        q = normalize_name(text)
        if not q:
            return []
        key = (q, tuple(sorted(labels or ())), limit)
        hits = self._searches.get(key)
        if hits is None:
            wanted = set(labels or ())
            hits = self._by_names(q, wanted, limit)
            if hits is None:  # fewer names than the page hold the query: every tier
                hits = rank_hits((r for r in self._candidates(q) if q in r["search_text"]
                                  and (not wanted or r["label"] in wanted)), text, limit)
            if len(self._searches) >= SEARCH_CACHE:
                self._searches.clear()
            self._searches[key] = hits
        return list(hits)

    def _by_names(self, q: str, wanted: set[str], limit: int) -> list[SearchHit] | None:
        """The page when names alone fill it, else None.

        The ranking's first tiers are exact name or alias, name starts with the query
        and name contains it, each shorter name first (graph.store.search_rank). Every
        record of those tiers outranks every record of the later ones (alias contains,
        tag, keyword), so once the name tiers hold ``limit`` records the page is theirs:
        the exact ones from the name dict, the prefix ones from a sorted range of names,
        the others from a bigram's names walked in ranking order until the page is
        full. Common queries (有限, 科技) no longer rank tens of thousands of records.
        """
        if len(q) < GRAM or not (self._by_name or self._search_ready):
            return None
        order = self._by_name or self._order_names()
        nodes = self._nodes

        def ok(rec: Record) -> bool:
            return not wanted or rec["label"] in wanted

        chosen = [nodes[u] for u in self._names.get(q, ()) if u in nodes and ok(nodes[u])]
        seen = {rec["uid"] for rec in chosen}
        if len(chosen) < limit:
            need = limit - len(chosen)
            norms, uids = order.norms, order.norm_uids
            lo = bisect_left(norms, q)
            if bisect_left(norms, q + "\U0010ffff", lo) - lo <= PREFIX_SORT_MAX:
                prefixed = (nodes[uids[i]] for i in itertools.takewhile(
                    lambda i: norms[i].startswith(q), range(lo, len(norms))))
                chosen += heapq.nsmallest(
                    need, (r for r in prefixed if r["uid"] not in seen and ok(r)),
                    key=name_order)
            else:  # many names start so: walk those of its first bigram in ranking order
                walk = (nodes[u] for u in order.firsts.get(q[:GRAM], ()))
                chosen += itertools.islice(
                    (r for r in walk if r["name_norm"].startswith(q)
                     and r["uid"] not in seen and ok(r)), need)
            seen.update(rec["uid"] for rec in chosen)
        if len(chosen) < limit:
            grams = [order.grams.get(q[i:i + GRAM], []) for i in range(len(q) - GRAM + 1)]
            for uid in min(grams, key=len):
                rec = nodes[uid]
                if q in rec["name_norm"] and uid not in seen and ok(rec):
                    chosen.append(rec)
                    if len(chosen) == limit:
                        break
            else:
                return None
        return rank_hits(chosen, q, limit)

    def prepare_search(self) -> None:
        """Build both search indexes (about 2 s at 100,000 actors) before a request needs
        them."""
        self._search_ready = True
        if self._by_name is None:
            self._order_names()
        self._gram_index()

    def _order_names(self) -> _NameOrder:
        """Build :class:`_NameOrder` over the current nodes."""
        nodes = list(self._nodes.values())
        by_norm = sorted(nodes, key=lambda r: (r["name_norm"], r["uid"]))
        ranked = sorted(nodes, key=name_order)
        grams: dict[str, list[str]] = {}
        firsts: dict[str, list[str]] = {}
        for rec in ranked:
            text = rec["name_norm"]
            firsts.setdefault(text[:GRAM], []).append(rec["uid"])
            for gram in {text[i:i + GRAM] for i in range(len(text) - GRAM + 1)}:
                got = grams.get(gram)
                if got is None:
                    grams[gram] = [rec["uid"]]
                else:
                    got.append(rec["uid"])
        order = _NameOrder(norms=[r["name_norm"] for r in by_norm],
                           norm_uids=[r["uid"] for r in by_norm], grams=grams,
                           firsts=firsts)
        self._by_name = order
        return order

    def _candidates(self, q: str) -> Iterator[Record]:
        """Nodes whose search text may contain ``q``: the shortest posting list of its
        bigrams (every node for a one-character query)."""
        if len(q) < GRAM:
            yield from self._nodes.values()
            return
        grams = self._gram_index()
        postings = [grams.get(q[i:i + GRAM]) for i in range(len(q) - GRAM + 1)]
        if any(p is None for p in postings):
            return
        shortest = min(postings, key=len)  # type: ignore[arg-type]
        assert shortest is not None
        for ident in dict.fromkeys(shortest):
            rec = self._nodes.get(self._id_uids[ident])
            if rec is not None:
                yield rec

    def get_edges(self, *, source: str | None = None, target: str | None = None,
                  rel_types: Sequence[str] | None = None,
                  limit: int = 10_000) -> list[Relationship]:
        """Relationships by endpoint and type, ordered by uid."""
        check_filters(None, rel_types)
        if source is not None:
            pool = [self._edges[e] for e in self._out.get(source, ())]
        elif target is not None:
            pool = [self._edges[e] for e in self._in.get(target, ())]
        else:
            pool = list(self._edges.values())
        types = set(rel_types or ())
        pool = [e for e in pool if (target is None or e["target"] == target)
                and (not types or e["type"] in types)]
        return [edge_from_record(e) for e in sorted(pool, key=lambda e: e["uid"])[:limit]]

    def degree_hint(self, uid: str) -> int:
        """Relationships of ``uid``, both directions (0 for an unknown node)."""
        return len(self._out.get(uid, ())) + len(self._in.get(uid, ()))

    def _incident(self, uid: str, direction: Direction) -> Iterator[tuple[Record, str]]:
        if direction in ("out", "both"):
            for euid in self._out.get(uid, ()):
                yield self._edges[euid], self._edges[euid]["target"]
        if direction in ("in", "both"):
            for euid in self._in.get(uid, ()):
                yield self._edges[euid], self._edges[euid]["source"]

    def count_neighbors(self, *, uid: str, rel_types: Sequence[str] | None = None,
                        labels: Sequence[str] | None = None,
                        direction: Direction = "both") -> dict[str, int]:
        """Relationships of a node by type, after the filters."""
        if uid not in self._nodes:
            raise NotFound("node", uid)
        counts: dict[str, int] = {}
        for _, erec, _other in self.expand(uids=[uid], rel_types=rel_types, labels=labels,
                                           direction=direction):
            counts[erec["type"]] = counts.get(erec["type"], 0) + 1
        return dict(sorted(counts.items()))

    def expand(self, *, uids: Sequence[str], rel_types: Sequence[str] | None,
               labels: Sequence[str] | None,
               direction: Direction) -> list[tuple[str, Record, Record]]:
        """One breadth-first step from ``uids``."""
        types = set(rel_types or ())
        wanted = set(labels or ())
        rows = []
        for uid in uids:
            for erec, other in self._incident(uid, direction):
                orec = self._nodes[other]
                if (types and erec["type"] not in types) or (wanted and
                                                             orec["label"] not in wanted):
                    continue
                rows.append((uid, erec, orec))
        return rows

    def _partners(self, uid: str) -> set[str]:
        """Actors joined to ``uid`` by a cooperation or a shared project."""
        out: set[str] = set()
        for erec, other in self._incident(uid, "both"):
            t = erec["type"]
            if t == "COOPERATES_WITH":
                out.add(other)
            elif t in PROJECT_PARTICIPATION and erec["source"] == uid:
                for prec, member in self._incident(other, "in"):
                    if prec["type"] in PROJECT_PARTICIPATION:
                        out.add(member)
        out.discard(uid)
        return out

    def _partner_degree(self, uid: str) -> int:
        return sum(1 for erec, _ in self._incident(uid, "both") if erec["type"] in PARTNER_TIES)

    def partner_neighbourhood(self, *, uid: str, labels: Sequence[str] | None = None,
                              max_degree: int = HUB_DEGREE,
                              limit: int = 2_000) -> PartnerNeighbourhood:
        """Partners and partners of partners, from the adjacency lists."""
        check_filters(labels, None)
        if uid not in self._nodes:
            raise NotFound("node", uid)
        wanted = set(labels or ())
        mine = self._partners(uid)
        found: dict[str, list[tuple[int, str]]] = {}
        for p in mine:
            deg = self._partner_degree(p)
            if deg > max_degree:
                continue
            for c in self._partners(p):
                if c == uid or c in mine or (wanted and self._nodes[c]["label"] not in wanted):
                    continue
                found.setdefault(c, []).append((deg, p))
        return PartnerNeighbourhood(partners=sorted(mine),
                                    candidates=rank_candidates(found, limit))

    def _simple_graph(self, rel_types: Sequence[str] | None,
                      years: tuple[int, int] | None) -> nx.Graph:
        key = (tuple(sorted(rel_types)) if rel_types else None, years)
        cached = self._graph_cache.get(key)
        if cached is not None:
            return cached
        types = set(rel_types or ())
        import networkx as nx  # the whole-graph views only: not at every command's start

        g = nx.Graph()
        g.add_nodes_from(self._nodes)
        for erec in self._edges.values():
            if (types and erec["type"] not in types) or not edge_in_years(erec, years):
                continue
            a, b = erec["source"], erec["target"]
            best = g.get_edge_data(a, b)
            if best is None or (erec["type"], erec["uid"]) < (best["type"], best["uid"]):
                g.add_edge(a, b, type=erec["type"], uid=erec["uid"], source=a)
        self._graph_cache[key] = g
        return g

    def _adjacency(self, rel_types: Sequence[str] | None,
                   years: tuple[int, int] | None) -> _Adjacency:
        key = ("csr", tuple(sorted(rel_types)) if rel_types else None, years)
        cached = self._graph_cache.get(key)  # type: ignore[arg-type]
        if cached is None:
            cached = _Adjacency(self._simple_graph(rel_types, years))
            self._graph_cache[key] = cached  # type: ignore[index]
        assert isinstance(cached, _Adjacency)
        return cached

    def k_paths(self, *, source: str, target: str, k: int, max_hops: int,
                rel_types: Sequence[str] | None,
                years: tuple[int, int] | None) -> list[Path]:
        """Every simple path of the shortest lengths, one length group at a time.

        A breadth-first search from the target (vectorised over a CSR matrix)
        gives each node's distance to it; a depth-first walk from the source then
        follows only neighbours from which the target is still reachable in the
        hops left, so it enumerates paths of exactly the group's length without
        exploring the rest of the graph (hubs included). Groups are added until at
        least ``k`` paths are found; a tie larger than ``k`` + 500 is cut.
        """
        adj = self._adjacency(rel_types, years)
        g = self._simple_graph(rel_types, years)
        s, t = adj.index[source], adj.index[target]
        dist, reached = adj.distances(t, max_hops, stop=s)
        if dist[s] > max_hops:
            return []
        found: list[list[int]] = []
        cap = k + 500
        length = int(dist[s])
        while length <= max_hops and len(found) < k:
            if length - 1 > reached:  # the walk needs every node within length - 1 hops
                dist, reached = adj.distances(t, max_hops)
            found += adj.paths(s, t, length, dist, cap - len(found))
            length += 1
        named = sorted([adj.nodes[i] for i in nodes] for nodes in found)
        named.sort(key=len)  # path_sort_key's order: hops, then the uids along the path
        return [self._as_path(g, nodes) for nodes in named[:k]]

    def _as_path(self, g: nx.Graph, nodes: list[str]) -> Path:
        steps = []
        for a, b in itertools.pairwise(nodes):
            data = g.edges[a, b]
            steps.append(PathStep(type=data["type"], forward=self._edges[data["uid"]]["source"]
                                  == a, relationship_uid=data["uid"]))
        return Path(nodes=[ref(self._nodes[n]) for n in nodes], steps=steps)

    def subgraph(self, *, uids: Sequence[str] | None = None, labels: Sequence[str] | None = None,
                 rel_types: Sequence[str] | None = None) -> nx.MultiDiGraph:
        """A networkx copy of part of the graph, records as attributes."""
        check_filters(labels, rel_types)
        wanted = set(labels or ())
        if uids is not None:
            keep = {u for u in uids if u in self._nodes}
        else:
            keep = {u for u, r in self._nodes.items() if not wanted or r["label"] in wanted}
        types = set(rel_types or ())
        import networkx as nx

        g = nx.MultiDiGraph()
        for u in sorted(keep):
            g.add_node(u, **self._nodes[u])
        for euid in sorted(self._edges):
            e = self._edges[euid]
            if e["source"] in keep and e["target"] in keep and (not types or e["type"] in types):
                g.add_edge(e["source"], e["target"], key=euid)
                g.edges[e["source"], e["target"], euid].update(e)
        return g

    def count_nodes(self, label: str) -> int:
        """Nodes of ``label`` (a count kept up to date by every write)."""
        check_filters([label], None)
        return self._per_label.get(label, 0)

    def stats(self) -> Stats:
        """Counts per label and relationship type."""
        nodes: dict[str, int] = {}
        for r in self._nodes.values():
            nodes[r["label"]] = nodes.get(r["label"], 0) + 1
        rels: dict[str, int] = {}
        for e in self._edges.values():
            rels[e["type"]] = rels.get(e["type"], 0) + 1
        return Stats(nodes=dict(sorted(nodes.items())), relationships=dict(sorted(rels.items())))

    def merge_history(self) -> list[MergeRecord]:
        """Every merge, oldest first."""
        return list(self._merges)




class _Adjacency:
    """A simple undirected graph as a CSR matrix over integer node ids (path search)."""

    def __init__(self, g: nx.Graph) -> None:
        import numpy as np
        from scipy import sparse

        self.nodes: list[str] = list(g.nodes)
        self.index = {n: i for i, n in enumerate(self.nodes)}
        n = len(self.nodes)
        rows = [self.index[a] for a, b in g.edges]
        cols = [self.index[b] for a, b in g.edges]
        m = sparse.coo_matrix((np.ones(len(rows) * 2, dtype=np.int8),
                               (rows + cols, cols + rows)), shape=(n, n)).tocsr()
        m.sum_duplicates()
        m.sort_indices()  # neighbours in id order: the walk is deterministic
        self.m = m
        self.indptr, self.indices = m.indptr, m.indices

    def distances(self, t: int, limit: int, stop: int | None = None) -> tuple[Any, int]:
        """Hops from every node to ``t`` (``limit`` + 1 where farther), and the level the
        search completed: it stops at the level where it reaches ``stop``, beyond which
        every node counts as farther than that level."""
        import numpy as np

        dist = np.full(len(self.nodes), limit + 1, dtype=np.int32)
        dist[t] = 0
        frontier = np.array([t])
        level = 0
        for level in range(1, limit + 1):
            if not len(frontier) or (stop is not None and dist[stop] <= limit):
                return dist, level - 1
            nbrs = self.m[frontier].indices  # every neighbour of the frontier, in C
            nbrs = nbrs[dist[nbrs] > level]
            nbrs = np.unique(nbrs)
            dist[nbrs] = level
            frontier = nbrs
        return dist, limit

    def paths(self, s: int, t: int, length: int, dist: Any, cap: int) -> list[list[int]]:
        """Simple paths from ``s`` to ``t`` of exactly ``length`` hops (at most ``cap``)."""
        out: list[list[int]] = []
        path = [s]
        on_path = {s}

        def walk(u: int, left: int) -> None:
            if len(out) >= cap:
                return
            if u == t:
                if left == 0:
                    out.append(list(path))
                return
            nbrs = self.indices[self.indptr[u]:self.indptr[u + 1]]
            # only neighbours from which t is reachable in the hops left after this one
            for v in nbrs[dist[nbrs] <= left - 1].tolist():
                if v in on_path or (v == t and left != 1):
                    continue
                path.append(v)
                on_path.add(v)
                walk(v, left - 1)
                path.pop()
                on_path.discard(v)
                if len(out) >= cap:
                    return

        walk(s, length)
        return out
