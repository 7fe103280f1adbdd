"""GraphStore on Neo4j through the official driver (Bolt, ``bolt://`` or ``neo4j://``)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from array import array
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import neo4j
from neo4j import (
    AsyncDriver,
    AsyncGraphDatabase,
    Driver,
    GraphDatabase,
    ManagedTransaction,
    RoutingControl,
)
from neo4j import exceptions as nx4j

from graph.backends.neo4j import cypher
from graph.errors import GraphError, NotFound, QueryLimitError, StoreUnavailable
from graph.settings import Settings
from graph.store import (
    ANALYSIS_PREFIX,
    HUB_DEGREE,
    KEYS_SEP,
    MATCH_TERMS,
    RANK_SEP,
    Direction,
    GraphStore,
    check_analysis_name,
    check_filters,
    check_limit,
    filter_records,
    name_order,
    order_key,
    rank_candidates,
    rank_hits,
    rank_properties,
    ref,
    without_analysis,
)
from schemas.names import normalize_name
from schemas.records import (
    EDGE_HELD_KEYS,
    EMPTY_EDGE_FIELDS,
    EMPTY_NODE_FIELDS,
    Record,
    edge_from_record,
    with_empty,
    without_empty,
)
from schemas.relationships import REL_TYPES, Relationship
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

log = logging.getLogger("innograph.neo4j")
CHUNK = 5000
READ_TIMEOUT = 30.0
"""Seconds a request's read transaction may run before Neo4j ends it (→ 422, not a hang);
reads of records by uid run under WRITE_TIMEOUT instead."""
WRITE_TIMEOUT = 600.0
"""Seconds one write batch may run, and every read of records by uid (``read_nodes``,
``read_edges``): a write batch makes them first, and an ingest's read of 5,000
relationships by uid once ran past the request limit on a busy machine and failed the
whole run. A request's look-up of a few uids is an index seek, far from either limit."""
STREAM_TIMEOUT = 3600.0
"""Seconds a whole-graph read (the analytics projection, exports) may run."""
PATH_TIES = 500
"""Paths of tied length beyond ``k`` that are still enumerated (as the embedded store)."""
T = TypeVar("T")


MAX_QUERY_TERMS = 1000
"""Words of a need the full-text query takes at most (Lucene allows 1,024 clauses)."""
MAX_POOL = 1_000_000
"""Hits the full-text query may return: all of them (the pool is every holder)."""
SEARCH_CACHE = 4096
"""Search pages remembered until the store version changes (common queries recur)."""
SEARCH_PROBE = 500
"""A query held by fewer records is ranked whole; a commoner one walks the name tiers."""
SEARCH_SCAN = 40_000
"""Names the walk of the contains tier reads at most before ranking every holder."""
SEARCH_MARGIN = 10
"""Rows read beyond the page from each ordered walk."""
SEARCH_DENSE_PREFIX = 1_000
"""From this many names starting with a query of three or more characters, its names are
found by walking its first two characters' range in ranking order, not by sorting its own
range (cypher.SEARCH_HEAD_LONG)."""
HEAD_HOLDERS = SEARCH_PROBE
"""A bigram held by this many names or more gets a head (Neo4jStore.prepare_search)."""
HEAD_KEPT = 512
"""Names a bigram's head keeps: the first in ranking order (a page is at most 200)."""


@dataclass(frozen=True, slots=True)
class _Heads:
    """The first names of every common bigram in the search ranking's order, computed
    once per store version (:meth:`Neo4jStore.prepare_search`).

    A two-character query held only inside long names (股份, 技有) is the costly one for
    the database: no index orders the names containing a string by length, so the walk
    in ranking order reads every shorter name first. Its head answers the query's
    contains tier instead; the records themselves are still read from the database.
    """

    version: int
    """The store version the heads were computed at: other versions do not use them."""
    norms: list[str]
    """Normalised names held by some head, in ranking order (shorter, name, uid)."""
    uids: list[str]
    labels: list[str]
    holders: dict[str, int]
    """Bigram -> how many names hold it, for every bigram of every name."""
    heads: dict[str, array[int]]
    """Common bigram -> positions in :attr:`norms` of the first :data:`HEAD_KEPT`
    names holding it, ascending."""


def _compute_heads(version: int, names: Sequence[Mapping[str, Any]]) -> _Heads:
    """The :class:`_Heads` of ``names`` (records with uid, name, name_norm, label)."""
    ordered = sorted((r for r in names if r.get("name_norm") and r.get("name")),
                     key=name_order)
    holders: dict[str, int] = {}
    grams_of: list[set[str]] = []
    for rec in ordered:
        norm = rec["name_norm"]
        grams = {norm[i:i + 2] for i in range(len(norm) - 1)}
        grams_of.append(grams)
        for gram in grams:
            holders[gram] = holders.get(gram, 0) + 1
    common = {g for g, n in holders.items() if n >= HEAD_HOLDERS}
    kept: dict[str, list[int]] = {g: [] for g in common}
    used: dict[int, int] = {}  # position in ordered -> position in the heads' names
    for i, grams in enumerate(grams_of):
        for gram in grams & common:
            got = kept[gram]
            if len(got) < HEAD_KEPT:
                got.append(used.setdefault(i, len(used)))
    chosen = [ordered[i] for i in used]  # used keeps insertion (= ranking) order
    return _Heads(version=version, norms=[r["name_norm"] for r in chosen],
                  uids=[r["uid"] for r in chosen], labels=[r["label"] for r in chosen],
                  holders=holders, heads={g: array("i", got) for g, got in kept.items()})


def _driver_options(settings: Settings) -> dict[str, Any]:
    if not settings.neo4j_uri:
        raise StoreUnavailable("未设置 NEO4J_URI")
    password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else ""
    # short timeouts: a request should answer 503 in seconds, not wait for a dead server
    return {"uri": settings.neo4j_uri, "auth": (settings.neo4j_user, password),
            "connection_timeout": 5.0, "max_transaction_retry_time": 5.0,
            "connection_acquisition_timeout": 10.0,
            # the server's notifications ("property key does not exist" on a fresh
            # database) are not for our users
            "notifications_min_severity": "OFF"}


def make_driver(settings: Settings) -> Driver:
    """A driver for the configured URI; no I/O happens until it is used."""
    return GraphDatabase.driver(**_driver_options(settings))


def make_async_driver(settings: Settings) -> AsyncDriver:
    """An asynchronous driver for the configured URI, with :func:`make_driver`'s options
    (its connections belong to the event loop that opens them); no I/O until used."""
    return AsyncGraphDatabase.driver(**_driver_options(settings))


@contextmanager
def _translated(timeout: float = READ_TIMEOUT) -> Iterator[None]:
    """Driver errors become the graph package's own (StoreUnavailable → HTTP 503);
    ``timeout``: the limit the work ran under, named in a timeout's message."""
    try:
        yield
    except (nx4j.ServiceUnavailable, nx4j.SessionExpired, OSError) as exc:
        raise StoreUnavailable(f"无法连接 Neo4j 数据库(稍后重试;服务会自动恢复):{exc}") from exc
    except nx4j.AuthError as exc:
        raise StoreUnavailable(f"Neo4j 拒绝了用户名或密码:{exc.message}") from exc
    except nx4j.Neo4jError as exc:
        if "TransactionTimedOut" in (exc.code or "") or "Terminated" in (exc.code or ""):
            raise QueryLimitError(f"查询超时(超过 {timeout:.0f} 秒),请缩小范围后重试"
                                  ) from exc
        raise GraphError(f"Neo4j 报错 {exc.code}:{exc.message}") from exc


class _Rows(list[Any]):
    """A statement's parameter list that prints as its length.

    The driver formats every statement's parameters for its debug log whether or not
    anything is logged (``" ".join(map(repr, fields))`` in its RUN message): 12 ms for
    5,000 relationship rows, more than packing them (7.6 ms), in the writer threads that
    share the interpreter with an ingest's planner. A list subclass packs to the same
    bytes; formatted as ``<5000 rows>`` it costs nothing and, should anyone turn the
    driver's debug log on, writes no talent's personal data into it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"


def _quiet(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with its lists as :class:`_Rows`."""
    return {k: _Rows(v) if type(v) is list else v for k, v in params.items()}


def _chunks(rows: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _search_key(text: str, labels: Sequence[str] | None,
                limit: int) -> tuple[str, tuple[str, ...], int] | None:
    """What a search's page is remembered by (normalised text, sorted labels, limit),
    after the checks of its arguments; None when the text has nothing to search."""
    check_limit("limit", limit)
    check_filters(labels, None)
    key = normalize_name(text)
    return (key, tuple(sorted(labels or ())), limit) if key else None


def _version_of(rows: Sequence[neo4j.Record]) -> int:
    """The store version of cypher.VERSION's answer (0 before the first write)."""
    return int(rows[0]["v"]) if rows and rows[0]["v"] is not None else 0


def _first_hop_params(uid: str, rel_types: Sequence[str] | None,
                      labels: Sequence[str] | None) -> dict[str, Any]:
    """The parameters of cypher.first_hop, after the check of the filters."""
    check_filters(labels, rel_types)
    return {"uid": uid, "types": list(rel_types) if rel_types else None,
            "labels": list(labels) if labels else None}


def _first_hop_of(uid: str, rows: Sequence[neo4j.Record]
                  ) -> tuple[Record, list[tuple[str, Record, Record]]] | None:
    """GraphStore.first_hop's answer from cypher.first_hop's rows (None: no such node)."""
    if not rows:
        return None
    out = []
    for r, b, leaves in rows[0]["rows"]:
        rec = _edge_record(r)
        rec["source"], rec["target"] = (uid, b["uid"]) if leaves else (b["uid"], uid)
        out.append((uid, rec, dict(b)))
    return dict(rows[0]["a"]), out


# What a record's properties repeat is not written: its empty fields
# (schemas.records.EMPTY_NODE_FIELDS, EMPTY_EDGE_FIELDS) and a relationship's type and
# endpoint uids, which the relationship itself holds. Each property costs the database
# work in its property store on every write: at 100,000 actors these were a quarter of
# the database's CPU time in an ingest (76 -> 57 s). Reads put them back (cypher.rel_record
# and the functions below), so a record reads as it was written, as from every store; a
# database written with them (an earlier backend, neo4j-admin import) reads the same.
def _written_node(rec: Record) -> Record:
    """A node record as it is written: without its empty fields, with the ranking keys."""
    out = without_empty(rec, EMPTY_NODE_FIELDS.get(rec["label"], {}))
    out.update(rank_properties(rec))
    return out


def _written_edge(rec: Record) -> Record:
    """A relationship record as cypher.put_edges writes it: the endpoints' uids, and
    the properties without the type, the endpoints and the empty fields."""
    return {"s": rec["source"], "t": rec["target"],
            "p": without_empty(rec, EMPTY_EDGE_FIELDS, EDGE_HELD_KEYS)}


def _node_record(props: Mapping[str, Any]) -> Record:
    """The record of a node read back: its properties without analysis and ranking
    ones, the empty fields left unwritten put back."""
    rec = without_analysis(props)
    return with_empty(rec, EMPTY_NODE_FIELDS.get(rec.get("label", ""), {}))


def _edge_record(props: Mapping[str, Any]) -> Record:
    """The record of a relationship read back, the empty fields left unwritten put back."""
    return with_empty(dict(props), EMPTY_EDGE_FIELDS)


class Neo4jStore(GraphStore):
    """A GraphStore on a Neo4j 5 database.

    Args:
        driver: An injected driver (see :func:`make_driver`); the store never creates one.
        database: The database every call names (so routing works on clusters too).
        async_driver: Makes an asynchronous driver (see :func:`make_async_driver`) for
            the reads a server answers on its event loop (:meth:`first_hop_async`),
            one per event loop; None: no asynchronous reads.
    """

    backend = "neo4j"
    scans_fresh_records = True

    def __init__(self, driver: Driver, *, database: str = "neo4j",
                 async_driver: Callable[[], AsyncDriver] | None = None) -> None:
        self._driver = driver
        self._db = database
        self._make_async = async_driver
        self._async: tuple[asyncio.AbstractEventLoop, AsyncDriver] | None = None
        self.reads_async = async_driver is not None
        self._searches: dict[tuple[str, tuple[str, ...], int], list[SearchHit]] = {}
        self._searched_at: int | None = None
        """The store version the remembered searches belong to."""
        self._search_lock = threading.Lock()
        self._heads: _Heads | None = None
        """The common bigrams' heads of the last version prepared (prepare_search)."""
        self._heads_job: threading.Thread | None = None
        """The thread computing the heads of a newer version, once a search saw one."""

    # plumbing ---------------------------------------------------------------
    def _read(self, cypher_text: str, **params: Any) -> list[neo4j.Record]:
        return self._read_within(READ_TIMEOUT, cypher_text, params)

    def _collect(self, timeout: float, cypher_text: str, params: dict[str, Any]) -> list[Any]:
        """The ``p`` of each row of a bounded read, received as one row (cypher.collected)."""
        rows = self._read_within(timeout, cypher.collected(cypher_text), params)
        return list(rows[0]["ps"]) if rows else []

    def _read_within(self, timeout: float, cypher_text: str,
                     params: dict[str, Any]) -> list[neo4j.Record]:
        """One read query, routed to a reader, in the causal chain of ``execute_query``.

        First as an auto-commit query: one round trip, where a managed transaction adds
        BEGIN and COMMIT (0.31 against 0.50 ms of driver CPU per neighbourhood read at
        100,000 actors). An error the driver would retry (server or session gone, a
        transient error) hands the query to ``execute_query``, whose managed
        transaction retries it within the driver's retry time, as every read did before.
        """
        query = neo4j.Query(cypher_text, timeout=timeout)
        with _translated(timeout):
            try:
                with self._driver.session(
                        database=self._db, default_access_mode=neo4j.READ_ACCESS,
                        bookmark_manager=self._driver.execute_query_bookmark_manager,
                ) as session:
                    return list(session.run(query, _quiet(params)))
            except (nx4j.Neo4jError, nx4j.DriverError) as exc:
                if not exc.is_retryable():  # a timeout, a bad query: final
                    raise
                # retried below, as a managed transaction
            records, _, _ = self._driver.execute_query(
                query, params, routing_=RoutingControl.READ, database_=self._db)
        return list(records)

    def _write(self, work: Callable[[ManagedTransaction], T]) -> T:
        with _translated(WRITE_TIMEOUT), self._driver.session(database=self._db) as session:
            return session.execute_write(neo4j.unit_of_work(timeout=WRITE_TIMEOUT)(work))

    def open(self) -> None:
        """Verify connectivity and create the ontology's constraints and indexes."""
        with _translated():
            self._driver.verify_connectivity()
            # one look at what exists, so that opening an existing database (every CLI
            # command) costs two queries rather than one per constraint and index
            existing = {r["name"] for q in (cypher.SHOW_INDEXES, cypher.SHOW_CONSTRAINTS)
                        for r in self._driver.execute_query(q, database_=self._db)[0]}
            changed = False
            for name, drop, stmt in cypher.schema_plan():
                if (name in existing) == drop:
                    self._driver.execute_query(stmt, database_=self._db)
                    changed = True
            if changed:
                self._driver.execute_query(cypher.AWAIT_INDEXES, database_=self._db)
            if cypher.RANK_NAME_INDEX not in existing:
                self._write_rank_properties()

    def _write_rank_properties(self) -> None:
        """Write the search ranking's properties onto every node (a database filled
        before they existed, or by ``neo4j-admin database import``)."""
        def work(tx: ManagedTransaction, rows: list[dict[str, str]]) -> None:
            tx.run(cypher.RANK_BACKFILL, rows=_Rows(rows)).consume()

        with _translated(), self._driver.session(database=self._db) as session:
            for batch in self._stream(cypher.RANK_SOURCE, CHUNK, dict):
                session.execute_write(work, [{"uid": r["uid"], **rank_properties(r)}
                                             for r in batch])

    def refresh(self) -> None:
        """Nothing to do: every read asks the database."""

    def close(self) -> None:
        """Close the driver."""
        self._driver.close()

    def save_derived(self, *, name: str, version: int, data: bytes) -> None:
        """Keep a derived result on a meta node (the store version is not bumped)."""
        with _translated():
            self._driver.execute_query(cypher.SAVE_DERIVED, name=name, version=version,
                                       data=bytearray(data), database_=self._db)

    def load_derived(self, *, name: str) -> tuple[int, bytes] | None:
        """The saved result ``name`` with its store version, or None."""
        rows = self._read(cypher.LOAD_DERIVED, name=name)
        if not rows or rows[0]["data"] is None:
            return None
        return int(rows[0]["v"]), bytes(rows[0]["data"])

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Nothing to defer: every commit is its own transaction."""
        yield

    # primitives ---------------------------------------------------------------
    def read_nodes(self, *, uids: Sequence[str]) -> dict[str, Record]:
        """Stored records of the nodes that exist among ``uids``."""
        out: dict[str, Record] = {}
        for chunk in _chunks(list(dict.fromkeys(uids))):
            for row in self._read_within(WRITE_TIMEOUT, cypher.NODES_BY_UID,
                                         {"uids": list(chunk)}):
                out[row["p"]["uid"]] = _node_record(row["p"])
        return out

    def read_edges(self, *, uids: Sequence[str] = (),
                   node_uids: Sequence[str] = ()) -> dict[str, Record]:
        """Relationship records by uid and those touching ``node_uids``.

        By uid, each type's uid index is used (the type is part of the uid); the
        ones touching nodes are found from the nodes' uid constraint.
        """
        out: dict[str, Record] = {}
        by_type: dict[str | None, list[str]] = {}
        for u in dict.fromkeys(uids):
            by_type.setdefault(_type_of(u), []).append(u)
        for rel_type, group in by_type.items():
            query = cypher.edges_by_uid(rel_type) if rel_type else cypher.EDGES_BY_UID
            for chunk in _chunks(group):
                for p in self._collect(WRITE_TIMEOUT, query, {"uids": list(chunk)}):
                    out[p["uid"]] = _edge_record(p)
        for chunk in _chunks(list(dict.fromkeys(node_uids))):
            for row in self._read_within(WRITE_TIMEOUT, cypher.EDGES_TOUCHING,
                                         {"uids": list(chunk)}):
                for p in row["p"]:
                    out[p["uid"]] = _edge_record(p)
        return out

    def version(self) -> int:
        """The store version (a counter node bumped in every write transaction)."""
        return _version_of(self._read(cypher.VERSION))

    def _stream(self, query: str, batch_size: int, record: Callable[[Any], Record], *,
                grouped: bool = False, **params: Any) -> Iterator[list[Record]]:
        """Stream a one-column (``p``) result in batches without holding it whole, each
        ``p`` made a record by ``record``; ``grouped``: each row's ``p`` is a list."""
        with _translated(STREAM_TIMEOUT), self._driver.session(
                database=self._db, default_access_mode=neo4j.READ_ACCESS,
                fetch_size=batch_size) as session:
            result = session.run(neo4j.Query(query, timeout=STREAM_TIMEOUT),
                                 params)
            batch: list[Record] = []
            for row in result:
                if grouped:
                    batch.extend(record(p) for p in row["p"])
                else:
                    batch.append(record(row["p"]))
                while len(batch) >= batch_size:
                    yield batch[:batch_size]
                    batch = batch[batch_size:]
            if batch:
                yield batch

    def scan_nodes(self, *, labels: Sequence[str] | None = None,
                   batch_size: int = 10_000) -> Iterator[list[Record]]:
        """Every node record of ``labels`` (all if None), streamed in batches."""
        check_filters(labels, None)
        yield from self._stream(cypher.SCAN_NODES, batch_size, _node_record,
                                labels=list(labels) if labels else None)

    def scan_edges(self, *, rel_types: Sequence[str] | None = None,
                   batch_size: int = 10_000) -> Iterator[list[Record]]:
        """Every relationship record of ``rel_types`` (all if None), streamed in batches."""
        check_filters(None, rel_types)
        yield from self._stream(cypher.SCAN_EDGES, batch_size, _edge_record, grouped=True,
                                types=list(rel_types) if rel_types else None)

    def commit(self, *, put_nodes: Sequence[Record] = (), put_edges: Sequence[Record] = (),
               del_nodes: Sequence[str] = (), del_edges: Sequence[Record] = (),
               merge: MergeRecord | None = None,
               absent: Collection[str] = frozenset()) -> None:
        """Apply the change in one write transaction.

        Records of ``absent`` are created without a look-up (``cypher.create_nodes``,
        ``create_edges``): about a fifth less of the database's work in a first load. Should
        one exist after all (another writer came first), a uid constraint refuses the
        transaction and it is run again with every record replaced by uid."""
        self.prepare_commit(put_nodes=put_nodes, put_edges=put_edges, del_nodes=del_nodes,
                            del_edges=del_edges, merge=merge, absent=absent)()

    def prepare_commit(self, *, put_nodes: Sequence[Record] = (),
                       put_edges: Sequence[Record] = (), del_nodes: Sequence[str] = (),
                       del_edges: Sequence[Record] = (), merge: MergeRecord | None = None,
                       absent: Collection[str] = frozenset()) -> Callable[[], None]:
        """:meth:`commit`'s statements and parameters made now, in the caller's thread;
        the transaction is run when the result is called: an ingest's writer threads only
        send what its planner made while they waited for the database."""
        work = self._commit_work(put_nodes, put_edges, del_nodes, del_edges, merge, absent)

        def apply() -> None:
            try:
                self._write(work)
            except GraphError as exc:
                if not absent or not isinstance(exc.__cause__, nx4j.ConstraintError):
                    raise
                log.info("读取时不存在的记录在此期间已被写入;按标识重新写入")
                self._write(self._commit_work(put_nodes, put_edges, del_nodes, del_edges,
                                              merge, frozenset()))

        return apply

    @staticmethod
    def _commit_work(put_nodes: Sequence[Record], put_edges: Sequence[Record],
                     del_nodes: Sequence[str], del_edges: Sequence[Record],
                     merge: MergeRecord | None, absent: Collection[str]
                     ) -> Callable[[ManagedTransaction], None]:
        """The transaction function of :meth:`commit`, its parameters made beforehand."""

        def put(rows: Sequence[Record], group: str, create: Callable[[str], str],
                replace: Callable[[str], str]) -> Iterator[tuple[str, list[Record]]]:
            """(statement, chunk) to write ``rows``: the absent ones created."""
            for kind, grouped in _group(rows, group).items():
                new = [r for r in grouped if r["uid"] in absent] if absent else []
                old = [r for r in grouped if r["uid"] not in absent] if new else grouped
                for stmt, part in ((create(kind), new), (replace(kind), old)):
                    for chunk in _chunks(part):
                        yield stmt, list(chunk)

        deletes: list[tuple[str, dict[str, Any]]] = [
            (cypher.delete_edges(rel_type), {"rows": _Rows(chunk)})
            for rel_type, rows in _group(del_edges, "type").items() for chunk in _chunks(rows)]
        deletes += [(cypher.DELETE_NODES, {"uids": _Rows(chunk)})
                    for chunk in _chunks(list(del_nodes))]
        node_puts = [(stmt, _Rows(_written_node(r) for r in chunk)) for stmt, chunk in
                     put(put_nodes, "label", cypher.create_nodes, cypher.put_nodes)]
        edge_puts = [(stmt, chunk[0]["type"], _Rows(_written_edge(r) for r in chunk))
                     for stmt, chunk in
                     put(put_edges, "type", cypher.create_edges, cypher.put_edges)]

        def work(tx: ManagedTransaction) -> None:
            for stmt, params in deletes:
                tx.run(stmt, params).consume()
            for stmt, rows in node_puts:
                tx.run(stmt, rows=rows).consume()
            for stmt, rel_type, rows in edge_puts:
                written = tx.run(stmt, rows=rows).single()
                if written is None or written["written"] != len(rows):
                    raise GraphError(f"{rel_type}: an endpoint disappeared while "
                                     "writing; the transaction was rolled back")
            if merge is not None:
                tx.run(cypher.PUT_MERGE, merge_id=merge.merge_id, at=merge.at.isoformat(),
                       json=merge.model_dump_json()).consume()
            tx.run(cypher.BUMP_VERSION).consume()

        return work

    def clear(self) -> None:
        """Delete everything, merge history included."""
        with _translated(), self._driver.session(database=self._db) as session:
            for stmt in cypher.CLEAR:  # CALL IN TRANSACTIONS needs auto-commit
                session.run(stmt).consume()
            session.run(cypher.BUMP_VERSION).consume()

    # reads ---------------------------------------------------------------------
    def find_records(self, *, uids: Sequence[str] | None = None, name: str | None = None,
                     label: str | None = None, where: Mapping[str, Any] | None = None,
                     limit: int = 100) -> list[Record]:
        """Records matching every filter, ordered by name then uid."""
        check_limit("limit", limit)
        check_filters([label] if label else None, None)
        if uids is not None:
            pool = list(self.read_nodes(uids=uids).values())
            if name is not None:
                key = normalize_name(name)
                pool = [r for r in pool if key in r["name_keys"]]
        elif name is not None:
            key = normalize_name(name)
            pool = [_node_record(r["p"])
                    for r in self._read(cypher.NODES_BY_NAME_KEY, key=key)]
        else:
            pool = [_node_record(r["p"]) for r in self._read(cypher.NODES_ALL, label=label)]
        return filter_records(pool, label=label, where=where, limit=limit)

    def search(self, *, text: str, labels: Sequence[str] | None = None,
               limit: int = 20) -> list[SearchHit]:
        """Substring search, ranked like every backend (graph.store.search_rank)."""
        remembered = _search_key(text, labels, limit)
        if remembered is None:
            return []
        version = self.version()
        hits = self._remembered(remembered, version)
        return self._searched(remembered, version) if hits is None else hits

    def _searched(self, remembered: tuple[str, tuple[str, ...], int],
                  version: int) -> list[SearchHit]:
        """A search not remembered at ``version``: asked of the database, then remembered."""
        key, labels, limit = remembered
        wanted = list(labels) or None
        hits = self._by_names(key, wanted, limit, version)
        if hits is None:
            # the text index finds the candidates; the database orders them by the
            # ranking's tiers and sends the first few, which Python scores exactly
            rows = self._read(cypher.SEARCH_RANKED, key=key, labels=wanted,
                              cap=4 * limit + 50)
            hits = rank_hits((dict(r["p"]) for r in rows), key, limit)
        with self._search_lock:
            if self._searched_at == version:
                if len(self._searches) >= SEARCH_CACHE:
                    self._searches.clear()
                self._searches[remembered] = hits
        return list(hits)

    def _remembered(self, remembered: tuple[str, tuple[str, ...], int],
                    version: int) -> list[SearchHit] | None:
        """The page remembered for this search at ``version`` (None: not yet asked)."""
        with self._search_lock:
            if self._searched_at != version:
                self._searches.clear()
                self._searched_at = version
            hits = self._searches.get(remembered)
            heads = self._heads
            if (heads is not None and heads.version != version
                    and (self._heads_job is None or not self._heads_job.is_alive())):
                # a server prepared the heads of an earlier version: compute the new
                # version's meanwhile (one at a time), searches walk the indexes till then
                self._heads_job = threading.Thread(target=self._prepare_quietly, daemon=True,
                                                   name=f"innograph-search-heads-v{version}")
                self._heads_job.start()
        return None if hits is None else list(hits)

    async def search_async(self, *, text: str, labels: Sequence[str] | None = None,
                           limit: int = 20) -> list[SearchHit]:
        """:meth:`search` for a server's event loop: the store version is read through
        the asynchronous driver and a page already asked at that version is answered at
        once; a new search asks the database in a worker thread (at that version)."""
        remembered = _search_key(text, labels, limit)
        if remembered is None:
            return []
        version = _version_of(await self._read_async(cypher.VERSION, {}))
        hits = self._remembered(remembered, version)
        if hits is not None:
            return hits
        return await asyncio.to_thread(self._searched, remembered, version)

    def prepare_search(self) -> None:
        """Compute the heads of the common bigrams (:class:`_Heads`) for the current
        version: one read of every name (about a second at 100,000 actors). A server
        calls it when it warms a new version; until it has, and at any other version,
        search walks the database's indexes alone."""
        version = self.version()
        names = [rec for batch in self._stream(cypher.SEARCH_NAMES, 20_000, dict) for rec in batch]
        self._heads = _compute_heads(version, names)

    def _prepare_quietly(self) -> None:
        try:
            self.prepare_search()
        except GraphError as exc:  # the store went away: searches keep walking the indexes
            log.warning("未能计算搜索用的名称索引:%s", exc)

    def _by_names(self, key: str, labels: list[str] | None,
                  limit: int, version: int) -> list[SearchHit] | None:
        """The page from the name tiers alone (as the embedded store's ``_by_names``),
        or None when the query is rare or the names do not fill the page.

        The exact names and aliases and the names starting with the query come first
        (one query: SEARCH_HEAD); when they fill the page it is theirs. Otherwise a
        query held by fewer than SEARCH_PROBE records is ranked whole (SEARCH_RANKED),
        and a common one walks the names containing it in ranking order until the page
        is full. A few rows more than the page are read from each walk, so that the
        database's string order and Python's may differ on the last rows without
        changing the page.
        """
        if len(key) < 2:
            return None
        keyed = KEYS_SEP + key + KEYS_SEP
        rows = self._read(cypher.SEARCH_HEAD if len(key) == 2 else cypher.SEARCH_HEAD_LONG,
                          keyed=keyed, first=key[:2] + RANK_SEP, key=key, labels=labels,
                          need=limit + SEARCH_MARGIN, dense=SEARCH_DENSE_PREFIX)
        chosen = [dict(r["p"]) for r in rows]
        if len(chosen) >= limit:
            return rank_hits(chosen, key, limit)
        heads = self._heads
        if heads is not None and heads.version == version:
            grams = [key[i:i + 2] for i in range(len(key) - 1)]
            rarest = min(grams, key=lambda g: heads.holders.get(g, 0))
            if heads.holders.get(rarest, 0) < HEAD_HOLDERS:
                return None  # few names hold it: rank every holder (no probe needed)
            hits = self._from_heads(heads, key, heads.heads[rarest], labels, chosen, limit)
            if hits is not None:
                return hits
        probe = self._read(cypher.SEARCH_PROBE, key=key, probe=SEARCH_PROBE)
        if probe[0]["c"] < SEARCH_PROBE:
            return None
        need = limit - len(chosen) + SEARCH_MARGIN
        rows = self._read(cypher.SEARCH_CONTAINS, shortest=f"{len(key):04d}",
                          scan=SEARCH_SCAN, sep=RANK_SEP, key=key, keyed=keyed,
                          labels=labels, need=need)
        if len(rows) < need:
            return None  # too few in the walk's reach: rank every holder
        return rank_hits(chosen + [dict(r["p"]) for r in rows], key, limit)

    def _from_heads(self, heads: _Heads, key: str, positions: array[int],
                    labels: list[str] | None, chosen: list[Record],
                    limit: int) -> list[SearchHit] | None:
        """The page from the exact and prefix names already read (``chosen``, every one
        of them: fewer than the page) and the contains tier walked in the head of one
        bigram of the query (``positions``: the rarest, where the query's holders are
        densest), or None when the head runs out before the page is full."""
        seen = {rec["uid"] for rec in chosen}
        need = limit - len(chosen)
        found: list[str] = []
        norms, uids, kinds = heads.norms, heads.uids, heads.labels
        for p in positions:
            norm = norms[p]
            if (key in norm and not norm.startswith(key) and uids[p] not in seen
                    and (labels is None or kinds[p] in labels)):
                found.append(uids[p])
                if len(found) == need:
                    break
        else:
            return None
        rows = self._read(cypher.SEARCH_BY_UIDS, uids=found)
        return rank_hits(chosen + [dict(r["p"]) for r in rows], key, limit)

    def get_edges(self, *, source: str | None = None, target: str | None = None,
                  rel_types: Sequence[str] | None = None,
                  limit: int = 10_000) -> list[Relationship]:
        """Relationships by endpoint and type, ordered by uid."""
        check_filters(None, rel_types)
        types = list(rel_types) if rel_types else None
        if source is not None:
            recs = [_edge_record(p) for p in self._collect(READ_TIMEOUT, cypher.EDGES_FROM,
                                                   {"uid": source, "types": types})]
        elif target is not None:
            recs = [_edge_record(p) for p in self._collect(READ_TIMEOUT, cypher.EDGES_TO,
                                                   {"uid": target, "types": types})]
        else:
            recs = [_edge_record(r["p"]) for r in self._read(cypher.EDGES_ALL, types=types)]
        recs = [e for e in recs if target is None or e["target"] == target]
        return [edge_from_record(e) for e in sorted(recs, key=lambda e: e["uid"])[:limit]]

    def count_neighbors(self, *, uid: str, rel_types: Sequence[str] | None = None,
                        labels: Sequence[str] | None = None,
                        direction: Direction = "both") -> dict[str, int]:
        """Relationships of a node by type, after the filters."""
        check_filters(labels, rel_types)
        if not self.read_nodes(uids=[uid]):
            raise NotFound("node", uid)
        rows = self._read(cypher.count_neighbors(direction), uid=uid,
                          types=list(rel_types) if rel_types else None,
                          labels=list(labels) if labels else None)
        return dict(sorted((r["k"], r["c"]) for r in rows))

    def expand(self, *, uids: Sequence[str], rel_types: Sequence[str] | None,
               labels: Sequence[str] | None,
               direction: Direction) -> list[tuple[str, Record, Record]]:
        """One breadth-first step from ``uids``."""
        out: list[tuple[str, Record, Record]] = []
        for chunk in _chunks(list(uids)):
            for row in self._read(cypher.expand(direction), uids=list(chunk),
                                  types=list(rel_types) if rel_types else None,
                                  labels=list(labels) if labels else None):
                origin = row["origin"]
                out.extend((origin, _edge_record(r), _node_record(b)) for r, b in row["rows"])
        return out

    def first_hop(self, *, uid: str, rel_types: Sequence[str] | None,
                  labels: Sequence[str] | None, direction: Direction
                  ) -> tuple[Record, list[tuple[str, Record, Record]]] | None:
        """The node and its filtered relationships in one query (cypher.first_hop)."""
        return _first_hop_of(uid, self._read(cypher.first_hop(direction),
                                             **_first_hop_params(uid, rel_types, labels)))

    async def _read_async(self, cypher_text: str, params: dict[str, Any]) -> list[neo4j.Record]:
        """:meth:`_read` through the asynchronous driver of the running event loop: the
        server's loop waits for the answer without a worker thread (under load, handing
        each request to a thread and back cost more CPU than the driver itself). An
        auto-commit query first, a managed transaction when the error is retryable."""
        if self._make_async is None:
            raise NotImplementedError("no asynchronous driver")
        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:
            self._async = (loop, self._make_async())
        driver = self._async[1]
        query = neo4j.Query(cypher_text, timeout=READ_TIMEOUT)
        with _translated(READ_TIMEOUT):
            try:
                async with driver.session(database=self._db,
                                          default_access_mode=neo4j.READ_ACCESS) as session:
                    return [r async for r in await session.run(query, params)]
            except (nx4j.Neo4jError, nx4j.DriverError) as exc:
                if not exc.is_retryable():
                    raise
                return list((await driver.execute_query(
                    query, params, routing_=RoutingControl.READ, database_=self._db)).records)

    async def first_hop_async(self, *, uid: str, rel_types: Sequence[str] | None,
                              labels: Sequence[str] | None, direction: Direction
                              ) -> tuple[Record, list[tuple[str, Record, Record]]] | None:
        """:meth:`first_hop` through the asynchronous driver (:meth:`_read_async`)."""
        return _first_hop_of(uid, await self._read_async(
            cypher.first_hop(direction), _first_hop_params(uid, rel_types, labels)))

    async def close_async(self) -> None:
        """Close the asynchronous driver opened on the running event loop, if any."""
        held, self._async = self._async, None
        if held is not None and held[0] is asyncio.get_running_loop():
            await held[1].close()

    def partner_neighbourhood(self, *, uid: str, labels: Sequence[str] | None = None,
                              max_degree: int = HUB_DEGREE,
                              limit: int = 2_000) -> PartnerNeighbourhood:
        """Partners and partners of partners, by one Cypher query (cypher.py)."""
        check_filters(labels, None)
        rows = self._read(cypher.PARTNER_NEIGHBOURHOOD, uid=uid, max_degree=max_degree,
                          labels=list(labels) if labels else None)
        if not rows:
            raise NotFound("node", uid)
        partners = set(rows[0]["partners"])
        found = {cand: [(int(d), str(p)) for d, p in via]
                 for cand, via in rows[0]["candidates"] if cand not in partners}
        return PartnerNeighbourhood(partners=sorted(partners),
                                    candidates=rank_candidates(found, limit))

    writes_analysis = True

    def match_candidates(self, *, terms: Sequence[str],
                         fields: Sequence[str]) -> set[str] | None:
        """The pool from the full-text index of the written-back match terms and the
        field relationships, in one Cypher query (see ``GraphStore.match_candidates``)."""
        saved = self.load_derived(name=MATCH_TERMS)
        if saved is None or saved[0] != self.version():
            return None
        words = [t for t in dict.fromkeys(terms) if t and not any(c.isspace() for c in t)]
        if len(words) > MAX_QUERY_TERMS:
            return None  # beyond Lucene's clause limit: the in-process index answers
        if words:
            query = " OR ".join('"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"'
                                for w in words)
            rows = self._read(cypher.MATCH_CANDIDATES, q=query, limit=MAX_POOL,
                              fields=list(fields))
        else:
            rows = self._read(cypher.MATCH_FIELD_CANDIDATES, fields=list(fields))
        return {str(u) for r in rows for u in r["us"]}

    def write_analysis(self, *, name: str, values: Mapping[str, Any]) -> int:
        """``analysis_<name>`` onto the nodes of ``values``, off every other node."""
        key = ANALYSIS_PREFIX + check_analysis_name(name)
        with _translated(), self._driver.session(database=self._db) as session:
            session.run(cypher.clear_analysis(key)).consume()
            rows = [{"u": u, "v": v} for u, v in sorted(values.items())]
            query = cypher.write_analysis(key)

            def work(tx: ManagedTransaction, chunk: list[dict[str, Any]]) -> int:
                return int(tx.run(query, rows=_Rows(chunk)).single(strict=True)["n"])

            written = sum(session.execute_write(work, list(c)) for c in _chunks(rows))
        return written

    def k_paths(self, *, source: str, target: str, k: int, max_hops: int,
                rel_types: Sequence[str] | None,
                years: tuple[int, int] | None) -> list[Path]:
        """Paths of the shortest lengths, from Neo4j's SHORTEST k GROUPS."""
        # one length group at a time: through a hub the first group alone can hold
        # thousands of paths, and most questions are answered by it
        groups = 1
        while True:
            rows = self._read(cypher.shortest_groups(groups, max_hops, rel_types),
                              source=source, target=target, cap=k + PATH_TIES,
                              lo=years[0] if years else None, hi=years[1] if years else None)
            paths = _simple_paths(rows)
            if len(paths) >= k or groups >= max_hops:
                break
            if len(rows) < k + PATH_TIES and len({len(r["rels"]) for r in rows}) < groups:
                break  # fewer lengths than asked, none cut off: no longer path within reach
            groups += 1  # too few (or trails that revisit a node filled a group): look further
        return paths

    def subgraph(self, *, uids: Sequence[str] | None = None, labels: Sequence[str] | None = None,
                 rel_types: Sequence[str] | None = None) -> nx.MultiDiGraph:
        """A networkx copy of part of the graph, records as attributes."""
        check_filters(labels, rel_types)
        if uids is not None:
            recs = list(self.read_nodes(uids=uids).values())
        else:
            recs = [_node_record(r["p"]) for r in self._read(cypher.subgraph_nodes(False),
                                                      labels=list(labels) if labels else None)]
        keep = {r["uid"] for r in recs}
        import networkx as nx  # heavy: not imported at a command's start

        g = nx.MultiDiGraph()
        for rec in sorted(recs, key=lambda r: r["uid"]):
            g.add_node(rec["uid"], **rec)
        types = list(rel_types) if rel_types else None
        edges: list[Record] = []
        for chunk in _chunks(sorted(keep)):
            edges += [_edge_record(p) for row in self._read(cypher.SUBGRAPH_EDGES, uids=list(chunk),
                                                    types=types) for p in row["p"]]
        for e in sorted(edges, key=lambda e: e["uid"]):
            if e["target"] in keep:
                g.add_edge(e["source"], e["target"], key=e["uid"])
                g.edges[e["source"], e["target"], e["uid"]].update(e)
        return g

    def count_nodes(self, label: str) -> int:
        """Nodes of ``label``."""
        check_filters([label], None)
        return int(self._read(cypher.COUNT_LABEL[label])[0]["c"])

    def stats(self) -> Stats:
        """Counts per label and relationship type."""
        nodes = {r["k"]: r["c"] for r in self._read(cypher.COUNT_NODES) if r["c"]}
        rels = {r["k"]: r["c"] for r in self._read(cypher.COUNT_EDGES) if r["c"]}
        return Stats(nodes=dict(sorted(nodes.items())), relationships=dict(sorted(rels.items())))

    def merge_history(self) -> list[MergeRecord]:
        """Every merge, oldest first."""
        return [MergeRecord.model_validate(json.loads(r["json"]))
                for r in self._read(cypher.MERGES)]


def _type_of(edge_uid: str) -> str | None:
    """The relationship type inside an edge uid (``source|TYPE|key|target``)."""
    for part in edge_uid.split("|")[1:-1]:
        if part in REL_TYPES:
            return part
    return None


def _group(rows: Sequence[Record], key: str) -> dict[str, list[Record]]:
    out: dict[str, list[Record]] = {}
    for row in rows:  # the records themselves: what is written is built from them anew
        out.setdefault(row[key], []).append(row)
    return out


def _simple_paths(rows: Sequence[neo4j.Record]) -> list[Path]:
    """Collapse Neo4j paths to node sequences; per hop keep the smallest (type, uid)."""
    best: dict[tuple[str, ...], tuple[list[Record], list[tuple[str, str, str]]]] = {}
    for row in rows:
        nodes = [dict(n) for n in row["nodes"]]
        seq = tuple(n["uid"] for n in nodes)
        if len(set(seq)) != len(seq):
            continue
        rels = [(t, u, s) for t, u, s in row["rels"]]
        if seq in best:
            old = best[seq][1]
            rels = [min(a, b, key=lambda x: (x[0], x[1])) for a, b in zip(old, rels, strict=True)]
        best[seq] = (nodes, rels)
    out = []
    for nodes, rels in best.values():
        steps = [PathStep(type=t, forward=src == nodes[i]["uid"], relationship_uid=u)
                 for i, (t, u, src) in enumerate(rels)]
        out.append(Path(nodes=[ref(n) for n in nodes], steps=steps))
    return out


__all__ = ["Neo4jStore", "make_driver", "order_key"]
