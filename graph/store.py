"""GraphStore: the one interface every backend implements.

Semantics every backend shares (checked by ``tests/contract``):

* ``upsert_*`` are idempotent merges on ``uid``; a batch is validated whole before
  anything is written and is written all-or-nothing. Re-writing identical content
  counts as *unchanged* and does not touch ``prov_ingested_at``.
* ``get_node`` raises :class:`~graph.errors.NotFound`; ``find_*`` may return nothing.
* Relationships are walked in both directions by ``neighbors`` and ``shortest_paths``.
* Results are ordered deterministically (ties by name, then uid) so that two
  backends holding the same data give the same answers.
"""

from __future__ import annotations

import abc
import asyncio
import functools
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from graph.errors import Ambiguous, BatchRejected, GraphError, NotFound, QueryLimitError
from schemas.errors import SchemaError
from schemas.names import normalize_name
from schemas.nodes import Node, NodeRef
from schemas.ontology import (
    check_label,
    check_rel_type,
    label_name,
    parse_node,
    parse_relationship,
)
from schemas.records import (
    Record,
    content,
    edge_from_record,
    edge_to_record,
    node_from_record,
    node_to_record,
)
from schemas.relationships import PROJECT_PARTICIPATION, Relationship, check_endpoints
from schemas.results import (
    MergeRecord,
    Neighborhood,
    PartnerCandidate,
    PartnerNeighbourhood,
    Path,
    SearchHit,
    Stats,
    WriteSummary,
)

if TYPE_CHECKING:
    import networkx as nx

MAX_HOPS = 6
"""Hard cap on path length and neighbourhood depth."""
MAX_RESULTS = 10_000
PARTNER_TIES = ("COOPERATES_WITH", *PROJECT_PARTICIPATION)
"""Relationships that make two actors partners: a cooperation, or a project both take part in."""
HUB_DEGREE = 1_000
"""Partners with more partner ties than this are not walked through for candidates: each
would join a source to hundreds of actors with a weight below 1/HUB_DEGREE."""
Direction = Literal["out", "in", "both"]
NodeInput = Node | Mapping[str, Any]
EdgeInput = Relationship | Mapping[str, Any]


def validate_nodes(nodes: Iterable[NodeInput]) -> list[Node]:
    """Parse a batch of nodes; the first bad one raises BatchRejected for the whole batch."""
    out: list[Node] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(nodes):
        try:
            node = parse_node(item, record=_record_name(item, i))
        except SchemaError as exc:
            raise BatchRejected(str(exc), index=i, record=exc.record, field=exc.field) from exc
        prev = seen.get(node.uid)
        if prev is not None and out[prev].label != node.label:
            raise BatchRejected(f"同一标识在第 {prev} 项已用于{label_name(out[prev].label)}",
                                index=i, record=node.uid, field="uid")
        seen[node.uid] = len(out)
        out.append(node)
    return out


def validate_edges(edges: Iterable[EdgeInput]) -> list[Relationship]:
    """Parse a batch of relationships (endpoints are checked by the backend)."""
    out: list[Relationship] = []
    for i, item in enumerate(edges):
        try:
            out.append(parse_relationship(item))
        except SchemaError as exc:
            raise BatchRejected(str(exc), index=i, record=exc.record, field=exc.field) from exc
    return out


def _record_name(item: NodeInput, index: int) -> str:
    uid = item.uid if isinstance(item, Node) else item.get("uid")
    return str(uid) if uid else f"#{index} (no uid)"


def ref(rec: Mapping[str, Any]) -> NodeRef:
    """A NodeRef from a stored node record."""
    return NodeRef(uid=rec["uid"], label=rec["label"], name=rec["name"])


def order_key(rec: Mapping[str, Any]) -> tuple[str, str]:
    """The deterministic order of nodes in results: name, then uid."""
    return (rec["name"], rec["uid"])


def name_order(rec: Mapping[str, Any]) -> tuple[int, str, str]:
    """Within one name tier of the search ranking (:func:`search_rank`): shorter names
    first, then name, uid."""
    return len(rec["name_norm"]), rec["name"], rec["uid"]


def search_rank(rec: Record, query_norm: str) -> tuple[float, str, str] | None:
    """Score a node record against a normalised query (None: no match).

    1.0 exact name; 0.9 exact alias; 0.8 name starts with the query; 0.7 name
    contains it; 0.6 an alias contains it; 0.5 a tag is the query (高新技术企业,
    创新50强, 科技特派员); 0.4 a keyword contains it. Within a tier shorter names rank
    first (a closer match), expressed as a fraction.
    """
    if not query_norm:
        return None
    name = rec["name_norm"]
    length_bonus = min(len(query_norm) / max(len(name), 1), 1.0) * 0.05
    if name == query_norm:
        return 1.0, "name", rec["name"]
    keys = rec.get("name_keys")
    # aliases are normalised only when they can decide: an exact alias (name_keys holds
    # the normalised name and aliases) or a name that does not contain the query
    if keys is None or query_norm in keys:
        for alias in rec.get("aliases") or []:
            if normalize_name(alias) == query_norm:
                return 0.9, "alias", alias
    if name.startswith(query_norm):
        return 0.8 + length_bonus, "name", rec["name"]
    if query_norm in name:
        return 0.7 + length_bonus, "name", rec["name"]
    aliases = [(a, normalize_name(a)) for a in rec.get("aliases") or []]
    for alias, norm in aliases:
        if query_norm in norm:
            return 0.6 + min(len(query_norm) / max(len(norm), 1), 1.0) * 0.05, "alias", alias
    for tag in rec.get("tags") or []:
        if normalize_name(tag) == query_norm:
            return 0.5, "tag", tag
    for kw in rec.get("keywords") or []:
        if query_norm in normalize_name(kw):
            return 0.4, "keyword", kw
    return None


def rank_hits(records: Iterable[Record], query: str, limit: int) -> list[SearchHit]:
    """Apply :func:`search_rank` to candidate records and keep the best ``limit``."""
    q = normalize_name(query)
    scored = []
    for rec in records:
        r = search_rank(rec, q)
        if r is not None:
            scored.append((-r[0], rec["name"], rec["uid"], r, rec))
    scored.sort(key=lambda t: t[:3])
    return [SearchHit(node=ref(rec), score=round(r[0], 4), matched=r[1], matched_text=r[2])
            for *_, r, rec in scored[:limit]]


def diff_records(existing: Mapping[str, Record], records: Mapping[str, Record]
                 ) -> tuple[WriteSummary, list[Record], frozenset[str]]:
    """Counts of created/updated/unchanged, the records that need writing, and the uids
    of those ``existing`` does not hold (the ``absent`` of :meth:`GraphStore.commit`)."""
    summary = WriteSummary()
    to_put: list[Record] = []
    absent: list[str] = []
    for uid, rec in records.items():
        old = existing.get(uid)
        if old is None:
            summary.created += 1
            absent.append(uid)
        elif content(old) == content(rec):
            summary.unchanged += 1
            continue
        else:
            summary.updated += 1
        to_put.append(rec)
    return summary, to_put, frozenset(absent)


def filter_records(pool: Iterable[Record], *, label: str | None,
                   where: Mapping[str, Any] | None, limit: int) -> list[Record]:
    """Apply ``find_records``' label and property filters, order and limit."""
    out = [r for r in pool if not label or r["label"] == label]
    for k, v in (where or {}).items():
        out = [r for r in out if matches(r.get(k), v)]
    return sorted(out, key=order_key)[:limit]


def matches(stored: Any, wanted: Any) -> bool:
    """Equality for ``where`` filters: a list property matches a value it contains."""
    if isinstance(stored, list) and not isinstance(wanted, list):
        return wanted in stored
    return bool(stored == wanted)


def edge_in_years(rec: Mapping[str, Any], years: tuple[int, int] | None) -> bool:
    """Whether a relationship falls in a year window; one without years always does.

    ``year`` must lie in the window; ``first_year``..``last_year`` must overlap it.
    """
    if years is None:
        return True
    lo, hi = years
    year, first, last = rec.get("year"), rec.get("first_year"), rec.get("last_year")
    return ((year is None or lo <= year <= hi) and (first is None or first <= hi)
            and (last is None or last >= lo))


def check_hops(max_hops: int) -> None:
    """Raise QueryLimitError when ``max_hops`` is outside 1..MAX_HOPS."""
    if not 1 <= max_hops <= MAX_HOPS:
        raise QueryLimitError(f"max_hops 应在 1 到 {MAX_HOPS} 之间,收到 {max_hops}")


def check_limit(name: str, value: int | None, cap: int = MAX_RESULTS) -> None:
    """Raise QueryLimitError when a size limit is not in 1..cap."""
    if value is not None and not 1 <= value <= cap:
        raise QueryLimitError(f"{name} must be between 1 and {cap}, got {value}")


def check_filters(labels: Sequence[str] | None, rel_types: Sequence[str] | None) -> None:
    """Validate label and type filters against the ontology (SchemaError -> QueryLimitError)."""
    try:
        for label in labels or ():
            check_label(label)
        for t in rel_types or ():
            check_rel_type(t)
    except SchemaError as exc:
        raise QueryLimitError(str(exc)) from exc


ANALYSIS_PREFIX = "analysis_"
"""Node properties written by :meth:`GraphStore.write_analysis` start with this."""


def check_analysis_name(name: str) -> str:
    """A result name that can be spliced into a property key (a–z, digits, _)."""
    import re

    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name):
        raise QueryLimitError(f"分析结果名 {name!r} 不合法:只能用小写字母、数字和 _")
    return name


RANK_PREFIX = "rank_"
"""Properties a database keeps beside a node record for the search ranking's ordered
walks (Neo4j: ``rank_name``, ``rank_first``, ``rank_keys``); never part of the record."""


def without_analysis(rec: Mapping[str, Any]) -> Record:
    """A node record without the analysis and ranking properties written onto it."""
    return {k: v for k, v in rec.items() if not k.startswith((ANALYSIS_PREFIX, RANK_PREFIX))}


RANK_SEP = "\u0001"
"""Separates the parts of a ranking key; sorts before every character of a name."""
KEYS_SEP = "\u241f"
"""Surrounds each normalised name and alias in ``rank_keys`` (never survives
normalisation, like the separator of ``search_text``)."""


def rank_properties(rec: Mapping[str, Any]) -> dict[str, str]:
    """The ranking keys of a node record, in the order of the search ranking's name tiers
    (shorter normalised name, then name, then uid; see :func:`search_rank`):

    - ``rank_name``: length, name, uid, then the normalised name (read back by a walk
      in this order, which tests the name without reading the node);
    - ``rank_first``: the first two characters of the normalised name, then as
      ``rank_name``: the names starting with a query, shortest first;
    - ``rank_keys``: every normalised name and alias between separators, so that an
      exact name or alias is one substring test of a text index.
    """
    norm = rec["name_norm"]
    order = f"{len(norm):04d}{rec['name']}{RANK_SEP}{rec['uid']}"
    return {"rank_name": f"{order}{RANK_SEP}{norm}",
            "rank_first": f"{norm[:2]}{RANK_SEP}{order}",
            "rank_keys": KEYS_SEP + "".join(k + KEYS_SEP for k in rec["name_keys"])}


def rank_candidates(by_candidate: Mapping[str, Iterable[tuple[int, str]]],
                    limit: int) -> list[PartnerCandidate]:
    """Candidates with their shared partners, ordered as partner_neighbourhood promises."""
    out = [PartnerCandidate(uid=c, via=sorted(set(via))) for c, via in by_candidate.items()]
    out.sort(key=lambda c: (-c.resource_allocation, c.uid))
    return out[:limit]


def path_sort_key(p: Path) -> tuple[int, list[str], list[str]]:
    """Paths sort by hops, then by the uids along them, then by relationship uids."""
    return (p.hops, [n.uid for n in p.nodes], [s.relationship_uid for s in p.steps])


MATCH_TERMS = "match_terms"
"""The analysis name of the match terms written back for candidate retrieval."""


INLINE_ROWS = 500
"""Relationships of a node up to which its one-hop neighbourhood is assembled on a
server's event loop (a few milliseconds); more go to a worker thread."""


class GraphStore(abc.ABC):
    """The storage interface. Methods are keyword-only; verbs carry the semantics.

    Constructors do no I/O: call :meth:`open` (or use the store as a context
    manager) before anything else.
    """

    backend: str = "abstract"
    reads_in_memory: bool = False
    """True where a node's record and its neighbours are read from this process's memory,
    with no I/O: the server then answers those reads on its event loop instead of handing
    each to a worker thread and back."""
    scans_fresh_records: bool = False
    """True where :meth:`scan_nodes` and :meth:`scan_edges` hand out records made for the
    caller alone (read from a database), which it may then change; else they may be the
    store's own records, which a reader must leave as they are."""
    reads_async: bool = False
    """True where :meth:`first_hop_async` and :meth:`search_async` read without blocking
    (a database's asynchronous driver): the server then answers one-hop neighbourhoods
    and remembered searches on its event loop, with no worker thread per request."""

    def __enter__(self) -> GraphStore:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abc.abstractmethod
    def open(self) -> None:
        """Connect / load, verify, and create the schema (constraints, indexes) if missing."""

    @abc.abstractmethod
    def refresh(self) -> None:
        """Pick up what other processes wrote since :meth:`open` (a no-op where every
        read goes to the database anyway)."""

    def refresh_due(self) -> bool:
        """Whether :meth:`refresh` has something to pick up (cheap: the server asks on
        every request, and runs :meth:`refresh` in a worker thread only when so)."""
        return False

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections and files; pending writes are already durable."""

    async def close_async(self) -> None:
        """Release what the asynchronous reads opened on the running event loop (called
        by the server as it stops, before :meth:`close`); nothing for a store without."""
        return None

    # primitives each backend provides ------------------------------------
    @abc.abstractmethod
    def read_nodes(self, *, uids: Sequence[str]) -> dict[str, Record]:
        """Stored records of the nodes that exist among ``uids``."""

    @abc.abstractmethod
    def read_edges(self, *, uids: Sequence[str] = (),
                   node_uids: Sequence[str] = ()) -> dict[str, Record]:
        """Stored relationship records by uid, plus every relationship touching ``node_uids``."""

    @abc.abstractmethod
    def commit(self, *, put_nodes: Sequence[Record] = (), put_edges: Sequence[Record] = (),
               del_nodes: Sequence[str] = (), del_edges: Sequence[Record] = (),
               merge: MergeRecord | None = None,
               absent: Collection[str] = frozenset()) -> None:
        """Apply a change atomically: delete relationships, delete nodes (with their
        relationships), put nodes, put relationships (records replace stored ones),
        record a merge. Either all of it is durable afterwards or none of it.

        ``absent``: uids of put records the caller has just read as not stored (an
        upsert's diff). A backend may create those without looking for a stored one
        first; the outcome must be the same should one exist after all (another writer
        came first): it is replaced like any other put record."""

    def prepare_commit(self, *, put_nodes: Sequence[Record] = (),
                       put_edges: Sequence[Record] = (), del_nodes: Sequence[str] = (),
                       del_edges: Sequence[Record] = (), merge: MergeRecord | None = None,
                       absent: Collection[str] = frozenset()) -> Callable[[], None]:
        """:meth:`commit` in two steps: what can be made of the change beforehand is made
        now, in the caller's thread, and the commit is applied when the result is called
        (from any thread; once). A store that has nothing to make beforehand applies it
        all then."""
        return functools.partial(self.commit, put_nodes=put_nodes, put_edges=put_edges,
                                 del_nodes=del_nodes, del_edges=del_edges, merge=merge,
                                 absent=absent)

    @abc.abstractmethod
    def version(self) -> int:
        """The store version: a counter every commit (and clear) increases.

        Caches of derived results are keyed on it; counts are not a version (a
        property update changes no count).
        """

    @abc.abstractmethod
    def scan_nodes(self, *, labels: Sequence[str] | None = None,
                   batch_size: int = 10_000) -> Iterator[list[Record]]:
        """Every node record (of ``labels``, all if None), streamed in batches, in no
        particular order. For whole-graph work: exports, analytics, name indexes."""

    @abc.abstractmethod
    def scan_edges(self, *, rel_types: Sequence[str] | None = None,
                   batch_size: int = 10_000) -> Iterator[list[Record]]:
        """Every relationship record (of ``rel_types``, all if None), streamed in batches."""

    @abc.abstractmethod
    def save_derived(self, *, name: str, version: int, data: bytes) -> None:
        """Keep a result computed from the whole graph (gap tables, communities) for the
        store version it was computed on. Not content: the version does not change, and
        a read-only store may save it (it is a cache every reader can rebuild)."""

    @abc.abstractmethod
    def load_derived(self, *, name: str) -> tuple[int, bytes] | None:
        """The saved result ``name`` and the store version it belongs to, or None."""

    @abc.abstractmethod
    def partner_neighbourhood(self, *, uid: str, labels: Sequence[str] | None = None,
                              max_degree: int = HUB_DEGREE,
                              limit: int = 2_000) -> PartnerNeighbourhood:
        """The partners of actor ``uid`` and the partners of those partners.

        Two actors are partners when a COOPERATES_WITH joins them or both take part in
        (PARTICIPATES_IN / UNDERTAKES) one project. Candidates are partners of partners
        that are not ``uid`` or one of its partners, of ``labels`` (all if None); a
        partner whose degree (its PARTNER_TIES relationships) exceeds ``max_degree`` is
        not walked through. At most ``limit`` candidates, by resource allocation
        (sum of 1/degree over shared partners) descending, then uid.

        Raises:
            NotFound: ``uid`` is not stored.
        """

    writes_analysis: bool = False
    """Whether :meth:`write_analysis` writes onto the nodes (Neo4j) or keeps nothing."""

    def match_candidates(self, *, terms: Sequence[str],
                         fields: Sequence[str]) -> set[str] | None:
        """Matchmaking's candidate pool from the store's own indexes: the candidates whose
        match terms (written back by ``innograph analyse``, see
        :data:`MATCH_TERMS`) hold one of ``terms``, and the actors that are in or offer
        one of ``fields`` (projects aside). None when the store has no such index for
        its current version; the matcher then takes the pool from its in-process index
        (the embedded store always does: that index is its own)."""
        return None

    def write_analysis(self, *, name: str, values: Mapping[str, Any]) -> int:
        """Write a whole-graph result onto the nodes, as Graph Data Science's write mode
        does: ``analysis_<name>`` on each node of ``values`` (uid -> value), removed from
        every other node. Not content: the store version does not change and node
        records read back without it. The embedded store keeps such results beside its
        snapshot (``save_derived``) and writes nothing here.

        Returns:
            Nodes written.
        """
        check_analysis_name(name)
        return 0

    @abc.abstractmethod
    def bulk(self) -> AbstractContextManager[None]:
        """A context in which a backend may defer expensive durability work (one save
        at the end for the embedded store). A failure inside still leaves every
        completed batch intact or, at worst, the state before the context."""

    def checkpoint(self) -> None:
        """Make durable now what a :meth:`bulk` context deferred; the context goes on,
        and its end has only what was committed after this to make durable. Nothing to
        do for a backend whose every commit is durable (the default)."""
        return None

    # writes ---------------------------------------------------------------
    def upsert_nodes(self, *, nodes: Sequence[NodeInput]) -> WriteSummary:
        """Create or update nodes by uid, all-or-nothing.

        The stored node becomes the node given (properties not given are removed).
        A node's label cannot change (BatchRejected). Returns created, updated and
        unchanged counts; identical content counts as unchanged and is not rewritten.
        """
        parsed = validate_nodes(nodes)
        records: dict[str, Record] = {}
        for node in parsed:
            records[node.uid] = node_to_record(node)  # later duplicates win
        existing = self.read_nodes(uids=list(records))
        for i, node in enumerate(parsed):
            old = existing.get(node.uid)
            if old is not None and old["label"] != node.label:
                raise BatchRejected(f"标识属于{label_name(old['label'])},不能变成"
                                    f"{label_name(node.label)}", index=i, record=node.uid,
                                    field="label")
        summary, to_put, absent = diff_records(existing, records)
        if to_put:
            self.commit(put_nodes=to_put, absent=absent)
        return summary

    def upsert_edges(self, *, edges: Sequence[EdgeInput]) -> WriteSummary:
        """Create or update relationships by (source, type, key, target), all-or-nothing.

        Both endpoints must exist and fit the ontology's endpoint table, else
        BatchRejected names the relationship and nothing is written.
        """
        parsed = validate_edges(edges)
        ends = self.read_nodes(uids=sorted({u for r in parsed for u in (r.source, r.target)}))
        records: dict[str, Record] = {}
        for i, rel in enumerate(parsed):
            for end in (rel.source, rel.target):
                if end not in ends:
                    raise BatchRejected(f"端点 '{end}' 不存在", index=i,
                                        record=rel.uid, field="source" if end == rel.source
                                        else "target")
            why = check_endpoints(rel, ends[rel.source]["label"], ends[rel.target]["label"])
            if why:
                raise BatchRejected(why, index=i, record=rel.uid, field="type")
            rec = edge_to_record(rel)
            records[rec["uid"]] = rec
        summary, to_put, absent = diff_records(self.read_edges(uids=list(records)), records)
        if to_put:
            self.commit(put_edges=to_put, absent=absent)
        return summary

    def delete(self, *, uids: Sequence[str] = (), edge_uids: Sequence[str] = ()) -> int:
        """Delete nodes (with their relationships) and relationships by uid.

        Returns the number of nodes and relationships deleted; unknown ids are ignored.
        """
        nodes = self.read_nodes(uids=list(uids))
        edges = self.read_edges(uids=list(edge_uids), node_uids=list(nodes))
        self.commit(del_nodes=list(nodes), del_edges=list(edges.values()))
        return len(nodes) + len(edges)

    @abc.abstractmethod
    def clear(self) -> None:
        """Delete everything, merge history included (tests, re-imports)."""

    # reads ----------------------------------------------------------------
    def get_node(self, *, uid: str) -> Node:
        """Return the node with this uid; raise NotFound."""
        rec = self.read_nodes(uids=[uid]).get(uid)
        if rec is None:
            raise NotFound("node", uid)
        return node_from_record(rec)

    @abc.abstractmethod
    def find_records(self, *, uids: Sequence[str] | None = None, name: str | None = None,
                     label: str | None = None, where: Mapping[str, Any] | None = None,
                     limit: int = 100) -> list[Record]:
        """Raw-record form of :meth:`find_nodes`, ordered by name then uid."""

    def find_nodes(self, *, uids: Sequence[str] | None = None, name: str | None = None,
                   label: str | None = None, where: Mapping[str, Any] | None = None,
                   limit: int = 100) -> list[Node]:
        """Nodes matching every filter given, ordered by name then uid.

        ``name`` matches the name or any alias after normalisation (full-width,
        brackets, spaces, traditional characters); ``where`` is equality on stored
        properties (lists match if they contain the value).
        """
        return [node_from_record(r) for r in self.find_records(
            uids=uids, name=name, label=label, where=where, limit=limit)]

    @abc.abstractmethod
    def search(self, *, text: str, labels: Sequence[str] | None = None,
               limit: int = 20) -> list[SearchHit]:
        """Substring search over names, aliases and keywords, ranked by :func:`search_rank`."""

    def prepare_search(self) -> None:  # noqa: B027  (a hook: most stores need nothing)
        """Build now whatever in-process index the first search would build (a server
        calls it while it warms a new version). The database's own indexes need none."""

    @abc.abstractmethod
    def get_edges(self, *, source: str | None = None, target: str | None = None,
                  rel_types: Sequence[str] | None = None,
                  limit: int = MAX_RESULTS) -> list[Relationship]:
        """Relationships by endpoint and type, ordered by uid."""

    @abc.abstractmethod
    def count_neighbors(self, *, uid: str, rel_types: Sequence[str] | None = None,
                        labels: Sequence[str] | None = None,
                        direction: Direction = "both") -> dict[str, int]:
        """Relationships of a node by type (after filters), before any expansion."""

    @abc.abstractmethod
    def expand(self, *, uids: Sequence[str], rel_types: Sequence[str] | None,
               labels: Sequence[str] | None,
               direction: Direction) -> list[tuple[str, Record, Record]]:
        """One breadth-first step: (frontier uid, relationship record, other node record)
        for every relationship of the frontier that passes the filters."""

    def neighbors(self, *, uid: str, depth: int = 1, rel_types: Sequence[str] | None = None,
                  labels: Sequence[str] | None = None, direction: Direction = "both",
                  per_type_limit: int | None = None, limit: int = 500) -> Neighborhood:
        """Breadth-first neighbourhood up to ``depth`` hops.

        At each node reached, at most ``per_type_limit`` new neighbours per
        relationship type are taken (in name, uid order); ``limit`` caps the nodes
        in total (centre excluded). ``truncated`` says whether a cap cut anything.
        Relationships among the nodes returned are all included. Symmetric types
        (COOPERATES_WITH) are stored from the smaller uid to the larger, so ask
        for them with direction="both".
        Raises NotFound for an unknown centre, QueryLimitError for bad limits.
        """
        check_hops(depth)
        check_limit("limit", limit)
        check_limit("per_type_limit", per_type_limit)
        check_filters(labels, rel_types)
        found = self.first_hop(uid=uid, rel_types=rel_types, labels=labels,
                               direction=direction)
        return self._neighbourhood(uid, found, depth=depth, rel_types=rel_types,
                                   labels=labels, direction=direction,
                                   per_type_limit=per_type_limit, limit=limit)

    async def neighbors_async(self, *, uid: str, rel_types: Sequence[str] | None = None,
                              labels: Sequence[str] | None = None,
                              direction: Direction = "both", per_type_limit: int | None = None,
                              limit: int = 500) -> Neighborhood:
        """:meth:`neighbors` at one hop, read without blocking the event loop it runs on
        (stores with :attr:`reads_async` only: see :meth:`first_hop_async`)."""
        check_limit("limit", limit)
        check_limit("per_type_limit", per_type_limit)
        check_filters(labels, rel_types)
        found = await self.first_hop_async(uid=uid, rel_types=rel_types, labels=labels,
                                           direction=direction)
        assemble = functools.partial(self._neighbourhood, uid, found, depth=1,
                                     rel_types=rel_types, labels=labels, direction=direction,
                                     per_type_limit=per_type_limit, limit=limit)
        if found is not None and len(found[1]) > INLINE_ROWS:
            # a hub (a field, a programme: tens of thousands of relationships) takes tens
            # of milliseconds to count and sort: in a thread, not on the event loop
            return await asyncio.to_thread(assemble)
        return assemble()

    def degree_hint(self, uid: str) -> int | None:
        """How many relationships ``uid`` has, where the store knows it without I/O (a
        store with :attr:`reads_in_memory`); None where it does not."""
        return None

    async def first_hop_async(self, *, uid: str, rel_types: Sequence[str] | None,
                              labels: Sequence[str] | None, direction: Direction
                              ) -> tuple[Record, list[tuple[str, Record, Record]]] | None:
        """:meth:`first_hop` for stores with :attr:`reads_async`."""
        raise NotImplementedError(f"{self.backend}: no asynchronous reads")

    async def search_async(self, *, text: str, labels: Sequence[str] | None = None,
                           limit: int = 20) -> list[SearchHit]:
        """:meth:`search` for stores with :attr:`reads_async`, without blocking the event
        loop it runs on."""
        raise NotImplementedError(f"{self.backend}: no asynchronous reads")

    def _neighbourhood(self, uid: str,
                       found: tuple[Record, list[tuple[str, Record, Record]]] | None, *,
                       depth: int, rel_types: Sequence[str] | None,
                       labels: Sequence[str] | None, direction: Direction,
                       per_type_limit: int | None, limit: int) -> Neighborhood:
        """The neighbourhood from :meth:`first_hop`'s answer (further hops: :meth:`expand`)."""
        if found is None:
            raise NotFound("node", uid)
        center, first = found
        counts: dict[str, int] = {}
        seen: dict[str, Record] = {uid: center}
        edges: dict[str, Record] = {}
        frontier = [uid]
        truncated = False
        for hop in range(depth):
            if not frontier:
                break
            rows = first if hop == 0 else self.expand(
                uids=frontier, rel_types=rel_types, labels=labels, direction=direction)
            if hop == 0:
                # the first step from the centre is every relationship the counts count:
                # one query fewer than asking count_neighbors
                for _, erec, _ in rows:
                    counts[erec["type"]] = counts.get(erec["type"], 0) + 1
                counts = dict(sorted(counts.items()))
            by_origin: dict[tuple[str, str], list[tuple[Record, Record]]] = {}
            for origin, erec, other in rows:
                by_origin.setdefault((origin, erec["type"]), []).append((erec, other))
            nxt: list[str] = []
            for key in sorted(by_origin):
                items = sorted(by_origin[key], key=lambda t: (*order_key(t[1]), t[0]["uid"]))
                taken = 0
                for erec, other in items:
                    if other["uid"] in seen:
                        edges[erec["uid"]] = erec
                        continue
                    if per_type_limit is not None and taken >= per_type_limit:
                        truncated = True
                        continue
                    if len(seen) - 1 >= limit:
                        truncated = True
                        break
                    seen[other["uid"]] = other
                    edges[erec["uid"]] = erec
                    nxt.append(other["uid"])
                    taken += 1
            frontier = nxt
        rels = [edge_from_record(e) for e in sorted(edges.values(), key=lambda e: e["uid"])
                if e["source"] in seen and e["target"] in seen]
        nodes = sorted((r for u, r in seen.items() if u != uid), key=order_key)
        return Neighborhood(center=ref(center), counts=counts,
                            nodes=[ref(r) for r in nodes], relationships=rels,
                            truncated=truncated)

    def first_hop(self, *, uid: str, rel_types: Sequence[str] | None,
                  labels: Sequence[str] | None, direction: Direction
                  ) -> tuple[Record, list[tuple[str, Record, Record]]] | None:
        """A node's record and :meth:`expand`'s rows from it (None: no such node). The
        neighbour records need hold only uid, label and name. A database answers both
        in one query."""
        center = self.find_records(uids=[uid], limit=1)
        if not center:
            return None
        return center[0], self.expand(uids=[uid], rel_types=rel_types, labels=labels,
                                      direction=direction)

    def shortest_paths(self, *, source: str, target: str, k: int = 1, max_hops: int = 4,
                       rel_types: Sequence[str] | None = None,
                       years: tuple[int, int] | None = None) -> list[Path]:
        """Up to ``k`` shortest simple paths, relationships walked either way.

        Paths are ordered by :func:`path_sort_key`; between one pair of nodes the
        relationship with the smallest (type, uid) stands for the hop. ``years``
        keeps only relationships in that window (see :func:`edge_in_years`).
        Raises QueryLimitError if max_hops > MAX_HOPS, NotFound for unknown ends.
        """
        check_hops(max_hops)
        check_limit("k", k, 100)
        check_filters(None, rel_types)
        ends = self.read_nodes(uids=[source, target])
        for end in (source, target):
            if end not in ends:
                raise NotFound("node", end)
        if source == target:
            return []
        return sorted(self.k_paths(source=source, target=target, k=k, max_hops=max_hops,
                                   rel_types=rel_types, years=years), key=path_sort_key)[:k]

    @abc.abstractmethod
    def k_paths(self, *, source: str, target: str, k: int, max_hops: int,
                rel_types: Sequence[str] | None,
                years: tuple[int, int] | None) -> list[Path]:
        """Every simple path of the shortest lengths until at least ``k`` are found (ties
        complete), for two distinct existing nodes; :meth:`shortest_paths` orders and cuts."""

    @abc.abstractmethod
    def subgraph(self, *, uids: Sequence[str] | None = None, labels: Sequence[str] | None = None,
                 rel_types: Sequence[str] | None = None) -> nx.MultiDiGraph:
        """A networkx copy: nodes carry their records, edges their records, keyed by uid.

        With ``uids``, the nodes given and the relationships among them; else all
        nodes of ``labels`` (all labels if None).
        """

    @abc.abstractmethod
    def stats(self) -> Stats:
        """Counts per label and per relationship type."""

    def count_nodes(self, label: str) -> int:
        """Nodes of ``label`` (name resolution asks it before searching a label's names)."""
        check_filters([label], None)
        return self.stats().nodes.get(label, 0)

    # merges ---------------------------------------------------------------
    def merge_nodes(self, *, keep: str, merge: Sequence[str], reason: str,
                    rule: str) -> MergeRecord:
        """Fold nodes into ``keep``.

        Their names and aliases become aliases of ``keep``, their relationships move
        to ``keep`` (a relationship that would join ``keep`` to itself is dropped),
        and they are deleted. The returned record holds what :meth:`unmerge` needs.
        Raises NotFound for unknown uids, GraphError for merging across labels.
        """
        others = [u for u in dict.fromkeys(merge) if u != keep]
        recs = self.read_nodes(uids=[keep, *others])
        for u in [keep, *others]:
            if u not in recs:
                raise NotFound("node", u)
        labels = {recs[u]["label"] for u in [keep, *others]}
        if len(labels) > 1:
            raise GraphError(f"不能合并不同类别的节点:{'、'.join(map(label_name, sorted(labels)))}")
        touching = self.read_edges(node_uids=others)
        moved: dict[str, Record] = {}
        for erec in touching.values():
            rel = edge_from_record(erec)
            src = keep if rel.source in others else rel.source
            dst = keep if rel.target in others else rel.target
            if src == dst:
                continue
            new = edge_to_record(rel.model_copy(update={"source": src, "target": dst}))
            moved[new["uid"]] = new
        already = self.read_edges(uids=list(moved))
        created = {u: r for u, r in moved.items() if u not in already}
        new_keep = fold_merge(recs[keep], [recs[u] for u in others])
        record = MergeRecord(
            merge_id=f"merge-{uuid.uuid4().hex[:12]}", kept=keep, merged=others,
            reason=reason, rule=rule, at=datetime.now(UTC).replace(microsecond=0),
            snapshot={"kept": recs[keep], "merged": [recs[u] for u in others],
                      "edges": list(touching.values()), "created_edges": list(created)})
        self.commit(put_nodes=[new_keep], put_edges=list(created.values()),
                    del_nodes=others, del_edges=list(touching.values()), merge=record)
        return record

    def unmerge(self, *, merge_id: str) -> MergeRecord:
        """Undo a merge: restore the merged nodes, their relationships and ``keep``'s
        record as it was before; relationships the merge created are removed."""
        history = {m.merge_id: m for m in self.merge_history()}
        if merge_id not in history:
            raise NotFound("merge", merge_id)
        record = history[merge_id]
        if record.undone:
            raise GraphError(f"合并 '{merge_id}' 已经撤销过")
        snap = record.snapshot
        created = self.read_edges(uids=snap["created_edges"])
        done = record.model_copy(update={"undone": True})
        self.commit(del_edges=list(created.values()),
                    put_nodes=[snap["kept"], *snap["merged"]], put_edges=snap["edges"],
                    merge=done)
        return done

    @abc.abstractmethod
    def merge_history(self) -> list[MergeRecord]:
        """Every merge, oldest first (an undone merge keeps its place, marked undone)."""


def fold_merge(keep_rec: Record, merged_recs: Sequence[Record]) -> Record:
    """The kept node's record after a merge: the other names become aliases."""
    aliases = list(keep_rec.get("aliases") or [])
    known = {normalize_name(keep_rec["name"]), *(normalize_name(a) for a in aliases)}
    for rec in merged_recs:
        for name in [rec["name"], *(rec.get("aliases") or [])]:
            if normalize_name(name) not in known:
                known.add(normalize_name(name))
                aliases.append(name)
    node = node_from_record(keep_rec)
    return node_to_record(node.model_copy(update={"aliases": aliases}))


def find_actor(store: GraphStore, text: str, *, label: str | None = None) -> str:
    """The uid of the node ``text`` identifies: its uid, else its name or an alias
    (normalised), else the only search hit; names and search are of ``label`` when given.

    Raises:
        NotFound: nothing is named so.
        Ambiguous: several are, and none exactly by name.
    """
    text = text.strip()
    if store.find_records(uids=[text], limit=1):
        return text  # a uid: its label is the caller's to check
    found = store.find_records(name=text, label=label, limit=20)
    if len(found) == 1:
        return str(found[0]["uid"])
    if not found:
        hits = store.search(text=text, labels=[label] if label else None, limit=10)
        if len(hits) == 1:
            return hits[0].node.uid
        if not hits:
            raise NotFound(LABEL_WORDS.get(label or "", "node"), text)
        found = [{"uid": h.node.uid, "label": h.node.label, "name": h.node.name} for h in hits]
    raise Ambiguous(text, [(str(r["uid"]), str(r["label"]), str(r["name"])) for r in found])


LABEL_WORDS = {"Enterprise": "enterprise"}
