"""Whole-graph results computed once per store version, kept and read by requests.

Per-request work (search, neighbours, paths) runs in the store. What needs the
whole graph — gap tables, communities, structural holes, the recommender's
co-participation model, the matcher's text index — is computed from a streamed
projection of the store (:func:`project`) once per store version:

* :func:`analyse` computes the default gap tables and fits the recommender's model
  after an ingest (or by ``innograph analyse``) and saves them in the store
  (``save_derived``: a file beside the embedded snapshot, a meta node in Neo4j), so
  that a server started later answers them without computing them;
* :class:`ComputedCache` gives every request the :class:`Computed` of the
  store's current version: the saved tables if their version matches, else
  tables computed on first use and remembered, plus any derived object a caller
  keeps in :attr:`Computed.extras` (indexes, fitted models).

The store version is a counter every commit increases, so a property-only update
(new keywords) is seen by the next request; counts would miss it.
"""

from __future__ import annotations

import gc
import heapq
import inspect
import json
import logging
import threading
import weakref
import zlib
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from graph.collector import full_collections_paused, without_full_collections

if TYPE_CHECKING:
    import networkx as nx

    from graph.store import GraphStore


log = logging.getLogger("innograph.computed")
TABLES_NAME = "gap-tables"
AS_OF_KEPT = 4
"""Graphs of past years a version keeps (each is a copy of part of the store)."""
"""The name the default gap tables are saved under (``save_derived``)."""


def project(store: GraphStore) -> nx.MultiDiGraph:
    """The store as a networkx graph, read with the streaming scans.

    Same shape as ``store.subgraph()``: nodes keyed by uid carrying their
    records, edges keyed by relationship uid carrying theirs, in uid order so
    that everything computed on it is reproducible. The graph belongs to one store
    version and is not changed afterwards, so its edges are also indexed by type
    (:func:`typed_edges`).
    """
    return project_records((r for batch in store.scan_nodes() for r in batch),
                           (r for batch in store.scan_edges() for r in batch),
                           own=store.scans_fresh_records)


def sorted_records(store: GraphStore) -> tuple[list[Mapping[str, Any]],
                                               list[Mapping[str, Any]]]:
    """The store's node and relationship records, each in uid order (what
    :func:`project_records` sorts them into: given them so, it sorts in linear time)."""
    nodes: list[Mapping[str, Any]] = sorted(
        (r for batch in store.scan_nodes() for r in batch), key=lambda r: r["uid"])
    edges: list[Mapping[str, Any]] = sorted(
        (r for batch in store.scan_edges() for r in batch), key=lambda r: r["uid"])
    return nodes, edges


def in_edge_order(nodes: Iterable[Mapping[str, Any]], edges: Iterable[Mapping[str, Any]],
                  types: Collection[str] | None = None) -> list[Mapping[str, Any]]:
    """The relationship records of the projection of these records (both in uid order), in
    the order its ``edges()`` lists them: by source in uid order; from one source, by
    target in the order of the first relationship to it, then in uid order. Those with an
    endpoint not among the nodes are left out, as the projection leaves them out; given
    ``types``, so are those of other types (which still set the order of the targets).
    What is computed by walking the projection's edges can so be computed before it is
    built."""
    present = {r["uid"] for r in nodes}
    by_source: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
    for e in edges:
        u, v = e["source"], e["target"]
        if u in present and v in present:
            if (to := by_source.get(u)) is None:
                to = by_source[u] = {}
            if (group := to.get(v)) is None:
                group = to[v] = []
            if types is None or e.get("type") in types:
                group.append(e)
    out: list[Mapping[str, Any]] = []
    for uid in sorted(by_source):
        for group in by_source[uid].values():
            out.extend(group)
    return out


@without_full_collections()
def project_records(nodes: Iterable[Mapping[str, Any]],
                    edges: Iterable[Mapping[str, Any]], *,
                    own: bool = False) -> nx.MultiDiGraph:
    """The projection (see :func:`project`) of these node and relationship records, in
    any order; a relationship whose endpoint is not among the nodes is left out.

    The records (dicts) are the graph's data dicts, not copies of them: a projection is
    only read, and a store replaces a record on every write instead of changing it, so
    the two never differ; copies would double the memory the records take. The
    projection keys every node by the string of its record's uid; with ``own`` (records
    made for this projection alone, as a database's reads are), the relationship records'
    endpoints are set to those strings too (equal values, one string per uid). A store's
    own records are left exactly as they are."""
    import networkx as nx

    nodes = sorted(nodes, key=lambda r: r["uid"])
    edges = sorted(edges, key=lambda r: r["uid"])
    g = nx.MultiDiGraph()
    # nodes and edges go straight into the graph's dicts, as add_node and add_edge put
    # them (one key dict per node pair, shared by the successors and the predecessors):
    # their checks and cache clearing per item, or add_edges_from's look-ups through
    # views, were most of the projection's time
    node, succ, pred = g._node, g._succ, g._pred
    # an edge's endpoints are keyed by the very strings that key their nodes: a database
    # hands every record its own copies, each hashed anew and compared character by
    # character by every lookup of the analyses; with the records' own endpoints set to
    # them too (``own``), one string per uid is 70 MB less in a projection of Neo4j at
    # 100,000 actors (1,970 -> 1,897 MB)
    canon: dict[str, str] = {}
    for r in nodes:
        uid = r["uid"]
        if uid in node:
            node[uid] = {**node[uid], **r}
        else:
            node[uid] = r if type(r) is dict else dict(r)
            canon[uid] = uid
            succ[uid] = {}
            pred[uid] = {}
    for e in edges:
        u, v = canon.get(e["source"]), canon.get(e["target"])
        if u is None or v is None:
            continue
        mine = own
        if type(e) is not dict:
            e, mine = dict(e), True
        if mine and (e["source"] is not u or e["target"] is not v):
            e["source"], e["target"] = u, v  # the same values
        out = succ[u]
        keys = out.get(v)
        if keys is None:
            keys = out[v] = pred[v][u] = {}
        key = e["uid"]
        data = keys.get(key)
        keys[key] = e if data is None else {**data, **e}
    nx._clear_cache(g)
    index_types(g)
    return g


_BY_TYPE: weakref.WeakKeyDictionary[nx.MultiDiGraph, dict[Any, list[tuple[int, str, str,
                                                                          dict[str, Any]]]]] = (
    weakref.WeakKeyDictionary())


def index_types(g: nx.MultiDiGraph) -> None:
    """Index the edges of ``g`` by type, for :func:`typed_edges`. Only for a graph that
    will not change (a projection): the index is not updated by later changes."""
    _BY_TYPE[g] = _type_index(g)


TypeIndex = dict[Any, list[tuple[int, str, str, dict[str, Any]]]]
"""Edge type -> (position in the order of ``g.edges(data=True)``, source, target, data)."""


def _type_index(g: nx.MultiDiGraph) -> TypeIndex:
    by_type: TypeIndex = {}
    i = 0
    # the order of g.edges(data=True), read from the adjacency without its view
    for u, out in g._succ.items():
        for v, keys in out.items():
            for d in keys.values():
                t = d.get("type")
                if (got := by_type.get(t)) is None:
                    got = by_type[t] = []
                got.append((i, u, v, d))
                i += 1
    return by_type


def type_index(g: nx.MultiDiGraph) -> TypeIndex:
    """The type index of a projection, else one built now for ``g`` and not kept (for a
    caller that reads several types of a graph once)."""
    by_type = _BY_TYPE.get(g)
    return by_type if by_type is not None else _type_index(g)


def edges_of(by_type: TypeIndex,
             *types: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The edges of ``types`` in a type index, in the order of ``g.edges(data=True)``."""
    lists = [got for t in dict.fromkeys(types) if (got := by_type.get(t))]
    merged = lists[0] if len(lists) == 1 else heapq.merge(*lists) if lists else ()
    for _, u, v, d in merged:
        yield u, v, d


def typed_edges(g: nx.MultiDiGraph, *types: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The edges of ``g`` whose type is one of ``types``, in the order of
    ``g.edges(data=True)``: read from the type index of a projection, else by a scan."""
    by_type = _BY_TYPE.get(g)
    if by_type is None:
        wanted = set(types)
        for u, v, d in g.edges(data=True):
            if d.get("type") in wanted:
                yield u, v, d
        return
    yield from edges_of(by_type, *types)


def _tables() -> dict[str, Callable[..., list[dict[str, Any]]]]:
    from graph.analytics.gaps import (
        cooperation_communities,
        field_gaps,
        isolated_actors,
        structural_holes,
    )
    from graph.analytics.systems import alliance_table, platform_kinds, target_rows, tier_table

    return {"fields": field_gaps, "isolated": isolated_actors,
            "communities": cooperation_communities, "holes": structural_holes,
            "targets": target_rows, "platforms": platform_kinds, "tiers": tier_table,
            "alliances": alliance_table}


TABLE_NAMES = ("fields", "isolated", "communities", "holes", "targets", "platforms", "tiers",
               "alliances")


class Computed:
    """The whole-graph results of one store version.

    Args:
        store: The store (read through its scans, once).
        version: The store version these results belong to.
    """

    def __init__(self, store: GraphStore, version: int) -> None:
        self.store = store
        self.version = version
        self._graph: nx.MultiDiGraph | None = None
        self._tables: dict[str, list[dict[str, Any]]] | None = None
        self._memo: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._lock = threading.RLock()  # the projection and computed tables
        self._saved_lock = threading.Lock()
        self.lock = threading.RLock()
        """Held while building an extra, so that concurrent requests build it once."""
        self.extras: dict[str, Any] = {}
        """Derived objects (indexes, fitted models) valid for this version."""
        self.years: tuple[int | None, int] | None = None
        """The years this graph was cut to (:meth:`at`), None for the whole store."""
        self.built = threading.Event()
        """Set once a background build (:meth:`ComputedCache._warm`) has ended."""
        self.waited = threading.Event()
        """Set once a request waited ``fresh_wait`` for the build in vain."""

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The streamed projection of the store (built on first use)."""
        with self._lock:
            if self._graph is None:
                self._graph = project(self.store)
            return self._graph

    def at(self, years: tuple[int | None, int] | None) -> Computed:
        """The results of the graph as it stood in ``years`` (see
        :mod:`graph.analytics.asof`): a :class:`Computed` over an in-memory store of
        what was present, whose ``store`` answers every query of that time. None:
        this one. The last few years asked for are kept with this version."""
        if years is None:
            return self
        from graph.analytics.asof import store_as_of

        with self.lock:
            cache: OrderedDict[tuple[int | None, int], Computed] = self.extras.setdefault(
                "as-of", OrderedDict())
            got = cache.get(years)
            if got is not None:
                cache.move_to_end(years)
                return got
        g = self.graph
        mem = store_as_of([d for _, d in g.nodes(data=True)],
                          [d for *_, d in g.edges(keys=True, data=True)], years,
                          version=self.version)
        got = Computed(mem, self.version)
        got.years = years
        with self.lock:
            cache[years] = got
            while len(cache) > AS_OF_KEPT:
                cache.popitem(last=False)
        return got

    def saved_tables(self) -> dict[str, list[dict[str, Any]]] | None:
        """The default gap tables saved for this version, if :func:`analyse` ran on it."""
        if self.years is not None:
            return None  # saved tables are of the whole store
        with self._saved_lock:
            if self._tables is None:
                got = self.store.load_derived(name=TABLES_NAME)
                if got is not None and got[0] == self.version:
                    self._tables = json.loads(_unpacked(got[1]))
            return self._tables

    def table(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Gap table ``name`` (see :data:`TABLE_NAMES`) with keyword ``params``.

        With no parameters (the defaults), the saved table of this version is
        returned when there is one; anything else is computed on the projection
        once and remembered for the version.
        """
        fn = _tables()[name]
        defaults = {k: p.default for k, p in inspect.signature(fn).parameters.items()}
        given = {k: v for k, v in params.items()
                 if v is not None and not (k in defaults and _same(defaults[k], v))}
        if not given:
            saved = self.saved_tables()
            if saved is not None and name in saved:
                return saved[name]
        key = (name, json.dumps(given, sort_keys=True, default=str))
        with self._lock:
            rows = self._memo.get(key)
            if rows is None:
                rows = self._memo[key] = _plain(fn(self.graph, **given))
            return rows


    def warm(self) -> None:
        """Build now what the first requests would otherwise wait for: the store's search
        indexes, the saved tables, the projection, the matcher's index and the
        recommender's model. Native libraries run on one thread meanwhile, so that a
        server building a new version leaves the other cores to the requests it
        answers."""
        from threadpoolctl import threadpool_limits

        from graph.analytics.match import prepare
        from graph.analytics.recommend import recommend_index

        with threadpool_limits(limits=1), full_collections_paused():
            self.store.prepare_search()
            self.saved_tables()
            prepare(self.graph)
            recommend_index(self)


class ComputedCache:
    """The :class:`Computed` of the store's current version, shared by requests.

    Args:
        warm: Build each new version's results in a background thread (a server does).
        fresh_wait: With ``warm``, how long (seconds) a request waits for a newer
            version's results before it is answered from the last version whose
            results are built. Rebuilding the whole-graph results after an ingest
            takes seconds at scale; meanwhile requests keep the previous answers
            instead of queueing behind the rebuild (the staleness is bounded by the
            rebuild). Without ``warm`` every request gets the current version.
    """

    def __init__(self, *, warm: bool = False, fresh_wait: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._current: Computed | None = None
        """The newest version seen (being built while it is not :attr:`_ready`)."""
        self._ready: Computed | None = None
        """The newest version whose results are built."""
        self._store_id: int | None = None
        self.warm = warm
        self.fresh_wait = fresh_wait

    def get(self, store: GraphStore) -> Computed:
        """The results of ``store`` at its current version (one version query), or with
        ``warm``, those of the previous version while the current one is built and
        ``fresh_wait`` has passed."""
        version = store.version()
        with self._lock:
            cur = self._current
            if cur is None or cur.version != version or self._store_id != id(store):
                if self._store_id != id(store):
                    self._ready = None  # another store: nothing of the old one is valid
                cur = self._current = Computed(store, version)
                self._store_id = id(store)
                if self._ready is not None and "recommend" in self._ready.extras:
                    # the recommender may keep the model it fitted (recommend.REFIT_GROWTH)
                    cur.extras["previous-recommend"] = self._ready.extras["recommend"]
                if self.warm:
                    threading.Thread(target=self._warm, args=(cur,), daemon=True,
                                     name=f"innograph-warm-v{version}").start()
            fallback = self._ready
        if fallback is None or fallback is cur or cur.built.is_set():
            return cur
        # one wait per version: once a request has waited in vain the build is a long
        # one, and later requests are answered at once instead of each waiting again
        # (a wait holds the request's heavy slot)
        if not cur.waited.is_set():
            if cur.built.wait(self.fresh_wait):
                return cur
            cur.waited.set()
        log.debug("store version %s still building: answered from version %s",
                  cur.version, fallback.version)
        return fallback

    def _warm(self, comp: Computed) -> None:
        ok = _warm_quietly(comp)
        with self._lock:
            if ok and comp is self._current:
                self._ready = comp
            comp.built.set()  # a failed build: requests build the parts they need
            if not ok and comp is self._current:
                self._ready = None


def _warm_quietly(comp: Computed) -> bool:
    try:
        comp.warm()
        # The results just built are millions of long-lived objects: out of the cyclic
        # collector's reach, a full collection no longer walks them (seconds per pause).
        # Frozen objects are never collected, so the previous version's (and a reloaded
        # store's) cyclic garbage is freed first: one full collection per new version.
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        return True
    except Exception:  # a request that needs the part will compute it and report
        log.warning("预先计算图谱版本 %s 的分析结果失败", comp.version,
                    exc_info=True)
        return False


@without_full_collections()
def analyse(store: GraphStore, *, computed: Computed | None = None,
            meanwhile: Callable[[], None] | None = None) -> dict[str, int]:
    """Compute the default gap tables of the store's current version and save them,
    write each actor's community id onto its node (see ``GraphStore.write_analysis``),
    and fit the recommender's model and save it (``recommend.start_model``).

    ``meanwhile`` runs once the model's fit has started (in a child process when it is
    large), before the tables: work of the caller that may overlap the fit (an ingest
    saves the embedded store's snapshot there).

    Returns:
        Rows per table.
    """
    job = Analysis(store, computed=computed)
    job.compute(meanwhile=meanwhile)
    return job.save()


UNSAVED = -1
"""The version of a :class:`Computed` whose graph is given before the store holds it."""


class Analysis:
    """:func:`analyse` in two halves: :meth:`compute` works on the graph alone (the
    tables, each actor's community, the matcher's terms; the recommender's fit started),
    :meth:`save` writes the results under the store version they belong to.

    Given ``records``, the node and relationship records (in uid order) the store will
    hold once the writes under way are in (``MirroredStore.records``): an ingest on Neo4j
    computes while the database writes its last batches, and saves once they are
    written; the store is then neither read for the graph nor for its version until
    :meth:`save`.

    Args:
        store: The store the results are saved in (the real one, not a run's mirror).
        computed: The results of the store's current version to fill (a new one if
            None).
        records: The records to compute on (projected here), if the store does not hold
            them yet.
    """

    def __init__(self, store: GraphStore, *, computed: Computed | None = None,
                 records: tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]] | None = None
                 ) -> None:
        if computed is None:
            computed = Computed(store, UNSAVED if records is not None else store.version())
        self.store, self.comp = store, computed
        self._records = records
        self._model: Any = None
        self._tables: dict[str, list[dict[str, Any]]] = {}
        self._community: dict[str, Any] = {}
        self._terms: dict[str, str] | None = None

    def compute(self, *, meanwhile: Callable[[], None] | None = None) -> None:
        """Start the recommender's fit, run ``meanwhile``, compute the rest (nothing
        is written)."""
        from graph.analytics.gaps import community_of
        from graph.analytics.recommend import start_model

        comp = self.comp
        with without_full_collections():
            # the recommender's model: fitted once per change of the data (or reused while
            # it grew little) and saved, so that a server started later loads it instead;
            # a large fit runs in a child process meanwhile, started before the projection
            # is built when the store is read for it (the fit is the longest part)
            with comp._lock:
                if comp._graph is None:
                    nodes, edges = self._records or sorted_records(self.store)
                    self._records = None
                    self._model = start_model(comp, records=(nodes, edges))
                    comp._graph = project_records(nodes, edges)
                    del nodes, edges
                else:
                    self._model = start_model(comp)
            try:
                if meanwhile is not None:
                    meanwhile()
                self._tables = {name: comp.table(name) for name in TABLE_NAMES}
                self._community = community_of(comp.graph)
                if self.store.writes_analysis:
                    # matchmaking's candidate retrieval runs in the database: each
                    # candidate's terms (the words the matcher's index holds for it) onto
                    # its node, for the full-text index over them
                    from graph.analytics.match import prepare

                    _, index = prepare(comp.graph)
                    self._terms = {uid: " ".join(sorted(index.doc_terms[i]))
                                   for i, uid in enumerate(index.uids) if index.doc_terms[i]}
            except BaseException:
                self.cancel()
                raise

    def save(self) -> dict[str, int]:
        """Save what :meth:`compute` computed (waiting for the recommender's fit).

        Returns:
            Rows per table.
        """
        from graph.store import MATCH_TERMS

        store, comp, tables = self.store, self.comp, self._tables
        try:
            if comp.version == UNSAVED:
                comp.version = self._model.version = store.version()
            data = json.dumps(tables, ensure_ascii=False, default=str).encode("utf-8")
            store.save_derived(name=TABLES_NAME, version=comp.version, data=_packed(data))
            # each actor's community onto its node (Neo4j: analysis_community, for Cypher
            # users and Neo4j's own tools; the embedded store keeps the tables beside its
            # snapshot)
            store.write_analysis(name="community", values=self._community)
            if self._terms is not None:
                store.write_analysis(name=MATCH_TERMS, values=self._terms)
                # the saved marker says for which store version the terms hold
                store.save_derived(name=MATCH_TERMS, version=comp.version, data=b"")
        except BaseException:
            self.cancel()
            raise
        self._model.finish()
        with comp._saved_lock:
            comp._tables = tables
        return {name: len(rows) for name, rows in tables.items()}

    def cancel(self) -> None:
        """Give the recommender's fit up (compute or save failed, or the writes did)."""
        if self._model is not None:
            self._model.cancel()


def _packed(data: bytes) -> bytes:
    """Saved tables compressed (zlib, fastest level): at 100,000 actors 61 MB of JSON
    become 5 MB in 0.2 s, which a Neo4j transaction with a few hundred MB of memory
    writes safely and any store keeps in a twelfth of the space."""
    return zlib.compress(data, 1)


def _unpacked(data: bytes) -> bytes:
    """The JSON of saved tables, compressed (a zlib stream starts with 0x78) or as saved
    before compression (a JSON object starts with ``{``)."""
    return zlib.decompress(data) if data[:1] == b"\x78" else data


def _same(default: Any, value: Any) -> bool:
    if isinstance(value, list | tuple) and isinstance(default, list | tuple):
        return list(value) == list(default)
    return bool(default == value)


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as they read back from a saved table (JSON types), so that a computed and a
    saved table are the same answer."""
    out: list[dict[str, Any]] = json.loads(json.dumps(rows, ensure_ascii=False, default=str))
    return out


def summary(counts: Mapping[str, int]) -> str:
    """One Chinese line for the CLI."""
    names = {"fields": "领域缺口", "isolated": "孤立主体", "communities": "合作社区",
             "holes": "结构洞", "targets": "规划目标", "platforms": "平台类别",
             "tiers": "企业梯次", "alliances": "共同体联盟"}
    return "；".join(f"{names.get(k, k)} {v} 行" for k, v in counts.items())
