"""The views analysts open: what goes in each picture, before anything is drawn.

A :class:`View` is a networkx MultiDiGraph of store records (nodes keyed by
uid, relationships keyed by their uid) plus what the picture needs to say:
a title, notes, each node's role (中心, 起点, 需求方…) and edges the graph does
not hold but the view shows (a missing cooperation, a recommended one), marked
``virtual``. Rendering (:mod:`graph.viz.render`) and export
(:mod:`graph.viz.export`) take any view, so every view can be a page, JSON for
the explorer, GraphML, GEXF or a table.

Builders read through the :class:`~graph.store.GraphStore` interface (ego and
path views, so the capped expansion and path search run in the backend) or
over a whole-graph networkx copy (gap, recommendation and community views).
"""

from __future__ import annotations

import math
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import networkx as nx

from graph.analytics.paths import path_facts, path_story, path_types
from graph.errors import NotFound
from graph.store import GraphStore
from graph.viz.style import kind_zh, rel_zh
from schemas.vocabularies import RESEARCH_SIDE

LINK_TYPES = frozenset({"COOPERATES_WITH"})
PROJECT_TYPES = frozenset({"PARTICIPATES_IN", "UNDERTAKES"})


@dataclass
class View:
    """A picture to draw: records, roles, virtual edges, words.

    Attributes:
        kind: ego, path, gap, recommend, community, subgraph or aggregate.
        title: The heading (Chinese).
        graph: Nodes carry store records plus optional ``role`` and ``hop``;
            edges carry relationship records; view-only edges have
            ``virtual=True`` and a type from :data:`graph.viz.style.VIRTUAL_EDGES`.
        center: The node to put in the middle, if any.
        notes: Lines shown under the title (path sentences, caps that cut).
        tables: Named row lists the view was built from (exported as CSV/XLSX).
        positions: Fixed positions (layout units) when the view has a natural
            arrangement; None lets the force layout place the nodes.
        whole: The whole graph (a projection, not changed once built) when the view
            shows exactly its nodes and relationships: what is counted and grouped over
            it is kept with it (:func:`aggregate`).
    """

    kind: str
    title: str
    graph: nx.MultiDiGraph
    center: str | None = None
    notes: list[str] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    positions: dict[str, tuple[float, float]] | None = None
    whole: nx.MultiDiGraph | None = None

    @property
    def size(self) -> tuple[int, int]:
        """(nodes, edges)."""
        if self.whole is not None:
            return self.whole.number_of_nodes(), _whole(self.whole).edge_count()
        return self.graph.number_of_nodes(), edge_count(self.graph)


def edge_count(g: nx.MultiDiGraph) -> int:
    """Relationships of a multigraph.

    ``number_of_edges()`` walks every edge through networkx's views (50 ms at
    10,000 edges); counting the key dictionaries costs a fraction of that.
    """
    return sum(len(keys) for nbrs in g.adj.values() for keys in nbrs.values())


def _name(g: nx.MultiDiGraph, uid: str) -> str:
    return str(g.nodes[uid].get("name", uid)) if uid in g else uid


def _copy_nodes(dst: nx.MultiDiGraph, src: nx.MultiDiGraph, uids: Iterable[str]) -> None:
    for u in uids:
        if u in src and u not in dst:
            dst.add_node(u, **src.nodes[u])


def _copy_edges_among(dst: nx.MultiDiGraph, src: nx.MultiDiGraph,
                      types: frozenset[str] | None = None) -> None:
    """Every relationship of ``src`` whose two ends are in ``dst``."""
    for u in list(dst.nodes):
        if u not in src:
            continue
        for _, v, key, data in src.out_edges(u, keys=True, data=True):
            if v in dst and (types is None or data.get("type") in types):
                dst.add_edges_from([(u, v, key, data)])


def _virtual(g: nx.MultiDiGraph, u: str, v: str, rel_type: str, **data: Any) -> None:
    g.add_edge(u, v, key=f"{rel_type}:{u}:{v}", type=rel_type, virtual=True, **data)


def hop_distances(g: nx.MultiDiGraph, center: str) -> dict[str, int]:
    """Hops from ``center`` in the undirected view of ``g``."""
    return dict(nx.single_source_shortest_path_length(g.to_undirected(as_view=True), center))


# ------------------------------------------------------------------ ego ---
def ego_view(store: GraphStore, uid: str, *, depth: int = 1, per_type_limit: int | None = 20,
             limit: int = 300, rel_types: Sequence[str] | None = None,
             labels: Sequence[str] | None = None) -> View:
    """An actor's neighbourhood: counts per type first, then the capped expansion.

    Args:
        store: The store (its ``neighbors`` applies the caps).
        uid: The centre.
        depth: Hops (1..6).
        per_type_limit: New neighbours per relationship type at each node reached.
        limit: Nodes in total, centre excluded.
        rel_types: Only these relationship types.
        labels: Only neighbours of these labels.

    Raises:
        NotFound: unknown uid.
    """
    hood = store.neighbors(uid=uid, depth=depth, rel_types=rel_types, labels=labels,
                           per_type_limit=per_type_limit, limit=limit)
    uids = [uid, *(n.uid for n in hood.nodes)]
    wanted = {r.uid for r in hood.relationships}
    full = store.subgraph(uids=uids)
    g = nx.MultiDiGraph()
    _copy_nodes(g, full, uids)
    for u, v, key, data in full.edges(keys=True, data=True):
        if key in wanted:
            g.add_edges_from([(u, v, key, data)])
    hops = hop_distances(g, uid)
    for u in g.nodes:
        g.nodes[u]["hop"] = hops.get(u, -1)
    g.nodes[uid]["role"] = "center"
    counts = "、".join(f"{rel_zh(t)} {c}" for t, c in sorted(hood.counts.items(),
                                                           key=lambda kv: (-kv[1], kv[0])))
    g.nodes[uid]["view_facts"] = [f"关系计数:{counts}"] if counts else []
    notes = [f"关系计数:{counts}" if counts else "没有关系"]
    if hood.truncated:
        notes.append(f"已按上限截断(每类 {per_type_limit} 个,共 {limit} 个);"
                     "双击节点可继续展开")
    return View(kind="ego", title=f"{hood.center.name} 的关系网络({depth} 度)", graph=g,
                center=uid, notes=notes)


# ----------------------------------------------------------------- path ---
def path_view(store: GraphStore, source: str, target: str, *, k: int = 3, max_hops: int = 4,
              rel_types: Sequence[str] | None = None,
              years: tuple[int, int] | None = None, via_hubs: bool = False) -> View:
    """The shortest collaboration paths between two actors (查关系), read as sentences;
    through ties between actors unless ``rel_types`` or ``via_hubs`` say otherwise
    (:func:`graph.analytics.paths.path_types`).

    Raises:
        NotFound: an unknown end.
    """
    paths = store.shortest_paths(source=source, target=target, k=k, max_hops=max_hops,
                                 rel_types=path_types(rel_types, via_hubs=via_hubs),
                                 years=years)
    uids = list(dict.fromkeys([source, target, *(n.uid for p in paths for n in p.nodes)]))
    full = store.subgraph(uids=uids)
    for end in (source, target):
        if end not in full:
            raise NotFound("node", end)
    on_path = {s.relationship_uid for p in paths for s in p.steps}
    g = nx.MultiDiGraph()
    _copy_nodes(g, full, uids)
    for u, v, key, data in full.edges(keys=True, data=True):
        if key in on_path:
            g.add_edges_from([(u, v, key, data)])
    g.nodes[source]["role"] = "source"
    g.nodes[target]["role"] = "target"
    edges, projects = path_facts(store, paths)
    sentences = [path_story(p, edges, projects) for p in paths]
    notes = [f"路径 {i + 1}({p.hops} 跳):{s}" for i, (p, s) in enumerate(
        zip(paths, sentences, strict=True))] or [
        f"{max_hops} 跳以内没有找到路径" + ("" if rel_types or via_hubs else
                                     "(只经主体之间的关联,可选择也经地区、领域、文件等)")]
    rows = [{"rank": i + 1, "hops": p.hops, "sentence": s, "nodes": [n.uid for n in p.nodes]}
            for i, (p, s) in enumerate(zip(paths, sentences, strict=True))]
    return View(kind="path", title=f"{_name(g, source)} 与 {_name(g, target)} 的关系路径",
                graph=g, center=None, notes=notes, tables={"paths": rows})


# ------------------------------------------------------------------ gap ---
def field_and_subfields(g: nx.MultiDiGraph, field_uid: str) -> set[str]:
    """A field and every field below it (SUBFIELD_OF points from the child to the parent)."""
    out = {field_uid}
    stack = [field_uid]
    while stack:
        f = stack.pop()
        for child, _, data in g.in_edges(f, data=True):
            if data.get("type") == "SUBFIELD_OF" and child not in out:
                out.add(child)
                stack.append(child)
    return out


def _linked(g: nx.MultiDiGraph, a: str, b: str, fields: set[str]) -> bool:
    """Whether two actors cooperate or take part together in a project of the field."""
    for x, y in ((a, b), (b, a)):
        if any(d.get("type") in LINK_TYPES for d in (g.get_edge_data(x, y) or {}).values()):
            return True

    def projects(u: str) -> set[str]:
        return {v for _, v, d in g.out_edges(u, data=True) if d.get("type") in PROJECT_TYPES
                and any(e.get("type") == "IN_FIELD" and f in fields
                        for _, f, e in g.out_edges(v, data=True))}

    return bool(projects(a) & projects(b))


def _terms(g: nx.MultiDiGraph, uid: str, edge_types: frozenset[str], fields: set[str]) -> set[str]:
    terms = set(g.nodes[uid].get("keywords") or [])
    for _, v, d in g.out_edges(uid, data=True):
        if d.get("type") in edge_types and v in fields:
            terms.update(d.get("keywords") or [])
    return terms


COLUMN_STEP, ROW_STEP = 2.2, 0.5
"""Spacing of the gap view's columns and rows in layout units (room for a long name)."""


def _columns(uids: Sequence[str], x0: float, direction: float, rows: int,
             pos: dict[str, tuple[float, float]]) -> None:
    """Place nodes in columns of ``rows`` rows, growing away from the middle."""
    used = min(len(uids), rows)
    for i, u in enumerate(uids):
        col, row = divmod(i, rows)
        pos[u] = (x0 + direction * col * COLUMN_STEP, (row - (used - 1) / 2) * ROW_STEP)


def gap_layout(demand: Sequence[str], supply: Sequence[str],
               fields: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Demand on the left, fields in the middle, supply on the right: the gap reads across.

    The number of rows is the one that makes the picture about twice as wide
    as high, the shape of a screen, so the names stay readable when it fits.
    """

    def aspect(rows: int) -> float:
        cols = -(-len(demand) // rows) + -(-len(supply) // rows) + 3
        return cols * COLUMN_STEP / max(min(rows, max(len(demand), len(supply), 1)) * ROW_STEP,
                                        1e-9)

    rows = min(range(4, 61), key=lambda r: (abs(aspect(r) - 2.0), r))
    pos: dict[str, tuple[float, float]] = {}
    _columns(fields, 0.0, 1.0, rows, pos)
    _columns(demand, -1.5 * COLUMN_STEP, -1.0, rows, pos)
    _columns(supply, 1.5 * COLUMN_STEP, 1.0, rows, pos)
    return pos


def gap_view(g: nx.MultiDiGraph, field_uid: str, *,
             missing: Sequence[tuple[str, str]] | None = None, per_demand: int = 1,
             max_missing: int = 60) -> View:
    """A field's demand side, its supply side and the links missing between them.

    The sides are those of :func:`graph.analytics.gaps.field_gaps`: demand,
    the enterprises that NEED the field (or a subfield) or work IN it; supply,
    the research actors that OFFER it or work IN it; a demand–supply pair is
    linked when the two cooperate or take part together in a project of the
    field. The two sides are disjoint (only enterprises demand, only research
    actors supply).

    Missing links are ``missing`` when a caller has them; otherwise, for each
    enterprise with no link, the ``per_demand`` suppliers sharing the most
    keywords with its need (then the best connected), at most ``max_missing``
    in all, best overlaps first. They are drawn dashed. Demand sits on the
    left, supply on the right, the fields between them (:func:`gap_layout`).

    Raises:
        NotFound: unknown field.
    """
    if field_uid not in g:
        raise NotFound("node", field_uid)
    fields = field_and_subfields(g, field_uid)
    demand: set[str] = set()
    supply: set[str] = set()
    for f in fields:
        for u, _, d in g.in_edges(f, data=True):
            label = g.nodes[u].get("label")
            if label == "Enterprise" and d.get("type") in ("NEEDS", "IN_FIELD"):
                demand.add(u)
            elif d.get("type") in ("OFFERS", "IN_FIELD") and label in RESEARCH_SIDE:
                supply.add(u)
    view = nx.MultiDiGraph()
    _copy_nodes(view, g, sorted(fields) + sorted(demand) + sorted(supply))
    for role, members in (("demand", demand), ("supply", supply), ("field", fields)):
        for u in members:
            view.nodes[u]["role"] = role
    _copy_edges_among(view, g, frozenset({"NEEDS", "OFFERS", "IN_FIELD", "SUBFIELD_OF",
                                           "COOPERATES_WITH"}))
    linked = [(a, b) for a in sorted(demand) for b in sorted(supply)
              if a != b and _linked(g, a, b, fields)]
    if missing is None:
        degree = {s: sum(1 for _ in g.neighbors(s)) for s in supply}
        offers = {s: _terms(g, s, frozenset({"OFFERS"}), fields) for s in supply}
        scored: list[tuple[int, str, str]] = []
        have = {a for a, _ in linked}
        for a in sorted(demand - have):
            need = _terms(g, a, frozenset({"NEEDS"}), fields)
            ranked = sorted((s for s in supply if s != a),
                            key=lambda s: (-len(need & offers[s]), -degree[s], _name(g, s), s))
            scored.extend((len(need & offers[s]), a, s) for s in ranked[:per_demand])
        scored.sort(key=lambda t: (-t[0], t[1], t[2]))
        missing = [(a, s) for _, a, s in scored[:max_missing]]
    rows = []
    for a, b in missing:
        if a in view and b in view:
            _virtual(view, a, b, "MISSING")
            rows.append({"demand_uid": a, "demand": _name(g, a), "supply_uid": b,
                         "supply": _name(g, b)})
    names = "、".join(sorted(_name(g, f) for f in fields))
    notes = [f"领域:{names}", f"需求方 {len(demand)} 家,供给方 {len(supply)} 家,"
             f"已有合作 {len(linked)} 对,缺少合作(虚线){len(rows)} 对"]
    by_name = partial(sorted, key=lambda u: (_name(g, u), u))
    linked_rows = [{"demand_uid": a, "demand": _name(g, a), "supply_uid": b,
                    "supply": _name(g, b)} for a, b in linked]
    return View(kind="gap", title=f"{_name(g, field_uid)}:供需与合作缺口", graph=view,
                notes=notes, positions=gap_layout(by_name(demand), by_name(supply),
                                                  by_name(fields)),
                tables={"missing_links": rows, "linked": linked_rows})


# ------------------------------------------------------------ recommend ---
def _partners(g: nx.MultiDiGraph, uid: str) -> set[str]:
    out = {v for _, v, d in g.out_edges(uid, data=True) if d.get("type") in LINK_TYPES}
    return out | {u for u, _, d in g.in_edges(uid, data=True) if d.get("type") in LINK_TYPES}


def recommend_view(g: nx.MultiDiGraph, uid: str, recommendations: Sequence[Mapping[str, Any]],
                   *, shared_max: int = 3) -> View:
    """An actor, its recommended partners (dashed, with the score) and the partners they share.

    Args:
        g: The whole graph.
        uid: The actor the recommendations are for.
        recommendations: Rows of :func:`graph.analytics.recommend.recommend_partners`.
        shared_max: Shared partners shown per recommendation (by name).

    Raises:
        NotFound: unknown uid.
    """
    if uid not in g:
        raise NotFound("node", uid)
    view = nx.MultiDiGraph()
    _copy_nodes(view, g, [uid])
    view.nodes[uid]["role"] = "center"
    mine = _partners(g, uid)
    links: set[tuple[str, str]] = set()
    for rec in recommendations:
        cand = str(rec["uid"])
        if cand not in g:
            continue
        _copy_nodes(view, g, [cand])
        view.nodes[cand]["role"] = "recommended"
        view.nodes[cand]["view_facts"] = [f"推荐得分:{rec.get('score')}",
                                          f"理由:{rec.get('reason', '')}"]
        _virtual(view, uid, cand, "RECOMMENDED", score=rec.get("score"),
                 label_text=f"推荐 {float(rec.get('score') or 0):.2f}",
                 description=str(rec.get("reason", "")))
        # the few partners that best explain the proposal, not every link among them
        shared = sorted(mine & _partners(g, cand), key=lambda x: (_name(g, x), x))[:shared_max]
        _copy_nodes(view, g, shared)
        for s in shared:
            view.nodes[s].setdefault("role", "shared")
            links.update({(uid, s), (s, cand)})
    for u, v, key, data in g.edges(keys=True, data=True):
        if data.get("type") in LINK_TYPES and ((u, v) in links or (v, u) in links):
            view.add_edges_from([(u, v, key, data)])
    return View(kind="recommend", title=f"为 {_name(g, uid)} 推荐的合作伙伴", graph=view,
                center=uid, notes=[f"推荐 {len(recommendations)} 个;虚线为推荐的新合作,"
                                   f"实线为经共同伙伴(每个至多 {shared_max} 个)的已有合作"],
                tables={"recommendations": [dict(r) for r in recommendations]})


# ------------------------------------------------------------ community ---
def community_members(g: nx.MultiDiGraph, platform: str) -> list[str]:
    """Members of a community platform: MEMBER_OF it, directly or through a member."""
    members: list[str] = []
    seen = {platform}
    stack = [platform]
    while stack:
        p = stack.pop()
        for u, _, d in sorted(g.in_edges(p, data=True), key=lambda e: e[0]):
            if d.get("type") == "MEMBER_OF" and u not in seen:
                seen.add(u)
                members.append(u)
                stack.append(u)
    return members


def community_view(g: nx.MultiDiGraph, *, platform: str | None = None,
                   labels: Sequence[str] | None = None, with_fields: bool = True,
                   detect: bool = False) -> View:
    """A community overview: a platform's members and how they are joined, or the whole graph.

    Args:
        g: The whole graph.
        platform: A community platform (e.g. 山东省智慧康养创新创业共同体); its
            members, the platform, and the regions and fields they point to.
            None: every node of ``labels`` (all labels when None).
        labels: Labels to keep when ``platform`` is None.
        with_fields: Also show the fields members work in, offer or need.
        detect: Colour by communities found with Leiden (seeded, so stable).

    Raises:
        NotFound: unknown platform.
    """
    if platform is not None:
        if platform not in g:
            raise NotFound("node", platform)
        members = community_members(g, platform)
        keep = [platform, *members]
        extra: set[str] = set()
        for m in members:
            for _, v, d in g.out_edges(m, data=True):
                if d.get("type") == "LOCATED_IN" or (
                        with_fields and d.get("type") in ("IN_FIELD", "OFFERS", "NEEDS")):
                    extra.add(v)
        view = nx.MultiDiGraph()
        _copy_nodes(view, g, keep + sorted(extra - set(keep)))
        view.nodes[platform]["role"] = "community"
        _copy_edges_among(view, g)
        title = f"{_name(g, platform)}:成员与关系"
        notes = [f"成员 {len(members)} 个;" + "、".join(
            f"{kind_zh(k)} {c}" for k, c in Counter(
                str(g.nodes[m].get('label')) for m in members).most_common())]
    elif labels:
        view = g.subgraph([u for u, d in g.nodes(data=True) if d.get("label") in set(labels)])
        view = nx.MultiDiGraph(view) if detect else view
        title = "创新主体全景"
        notes = [f"节点 {view.number_of_nodes()} 个,关系 {edge_count(view)} 条"]
    else:
        # the whole graph as it is (a read-only view of it is all a picture needs);
        # nodes of its own when community detection will write to them
        view = _own_nodes(g) if detect else g
        title = "创新主体全景"
        notes = [f"节点 {view.number_of_nodes()} 个,关系 {_whole(g).edge_count()} 条"]
    whole = g if platform is None and not labels else None
    if detect and view.number_of_nodes():
        # the whole graph's communities are the projection's, kept with it
        assign_communities(view, of=whole)
        notes.append(f"按社区着色:{1 + max(nx.get_node_attributes(view, 'community').values())}"
                     " 个社区(Leiden)")
    return View(kind="community", title=title, graph=view, center=platform, notes=notes,
                whole=whole)


def _own_nodes(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """``g`` with node dicts of its own and ``g``'s relationships, frozen (no node or
    relationship can be added or removed): community detection writes to the nodes only,
    and a copy of the whole graph copied every relationship (6 s and 0.6 GB at 100,000
    actors)."""
    view = nx.MultiDiGraph()
    view.graph.update(g.graph)
    # the adjacency is shared as it is (networkx keeps successors in _succ and _adj, one
    # dict, and predecessors in _pred); the node dicts are copies
    view._node = {u: dict(d) for u, d in g.nodes(data=True)}
    view._adj = view._succ = g._succ
    view._pred = g._pred
    nx._clear_cache(view)
    return nx.freeze(view)


def communities(g: nx.MultiDiGraph, *, seed: int = 42) -> dict[str, int]:
    """Each node's community (0 = largest): Leiden on the undirected simple graph (every
    linked pair once, weight 1, in uid order), seeded; a node without a link is a
    community of its own. Leiden, not networkx's Louvain: over the whole graph of
    100,000 actors Louvain took 25 s, Leiden takes 2 s (and 3 s to list the pairs)."""
    from graph.analytics.gaps import leiden_communities

    pairs = sorted({(u, v) if u < v else (v, u)
                    for u, nbrs in g.adj.items() for v in nbrs if u != v})
    parts = leiden_communities([(u, v, 1.0) for u, v in pairs], seed=seed, resolution=1.0)
    linked = {u for part in parts for u in part}
    parts += [[u] for u in g.nodes if u not in linked]
    parts.sort(key=lambda c: (-len(c), min(map(str, c))))
    return {u: i for i, part in enumerate(parts) for u in part}


@dataclass
class _Grouping:
    """The whole graph's first-level groups for one way of grouping (see :func:`aggregate`)."""

    first: dict[str, str]
    """Each node's group id."""
    members: dict[str, list[str]]
    """Each group's nodes in the graph's order; groups in order of their first node."""
    pairs: Counter[tuple[str, str]]
    """Relationships between two groups (ids in sorted order)."""
    types: dict[tuple[str, str], Counter[str]]
    """Their types."""
    kinds: dict[str, Counter[str]]
    leading: dict[str, list[str]]


class _Whole:
    """What the overview counts and groups over a whole graph (a projection, not changed
    once built), computed once per graph: at 100,000 actors the grouping read every node
    and relationship again on each request (4–5 s), and the counts took 1.2 s each."""

    def __init__(self, g: nx.MultiDiGraph) -> None:
        self.g = weakref.ref(g)
        self.communities: dict[int, dict[str, int]] = {}
        self.groupings: dict[str, _Grouping] = {}
        self._edges: int | None = None
        self._order: dict[str, int] | None = None
        self._degree: dict[str, int] | None = None
        self._fields: dict[str, str] | None = None

    def graph(self) -> nx.MultiDiGraph:
        g = self.g()
        assert g is not None  # the caller holds it
        return g

    def edge_count(self) -> int:
        if self._edges is None:
            self._edges = edge_count(self.graph())
        return self._edges

    def order(self) -> dict[str, int]:
        """Each node's place in the graph's order."""
        if self._order is None:
            self._order = {u: i for i, u in enumerate(self.graph())}
        return self._order

    def degree(self) -> dict[str, int]:
        if self._degree is None:
            self._degree = dict(self.graph().degree())
        return self._degree

    def fields(self) -> dict[str, str]:
        if self._fields is None:
            self._fields = _main_fields(self.graph())
        return self._fields

    def community(self, seed: int = 42) -> dict[str, int]:
        if (got := self.communities.get(seed)) is None:
            got = self.communities[seed] = communities(self.graph(), seed=seed)
        return got


_WHOLE: weakref.WeakKeyDictionary[nx.MultiDiGraph, _Whole] = weakref.WeakKeyDictionary()
"""What is kept per whole graph (projections, not changed once built)."""


def _whole(g: nx.MultiDiGraph) -> _Whole:
    if (got := _WHOLE.get(g)) is None:
        got = _WHOLE.setdefault(g, _Whole(g))
    return got


def assign_communities(g: nx.MultiDiGraph, *, seed: int = 42,
                       of: nx.MultiDiGraph | None = None) -> None:
    """Set ``community`` (see :func:`communities`) on every node of ``g``; given ``of``,
    a graph of the same nodes and relationships that is not changed once built, its
    communities, computed once per graph and seed."""
    found = communities(g, seed=seed) if of is None else _whole(of).community(seed)
    for u, c in found.items():
        g.nodes[u]["community"] = c


# -------------------------------------------------------------- generic ---
def subgraph_view(store: GraphStore, uids: Sequence[str], *, depth: int = 1,
                  per_type_limit: int | None = None, limit: int = 2000) -> View:
    """Several actors and their neighbourhoods in one picture (the export's unit).

    Raises:
        NotFound: an unknown uid.
    """
    keep: dict[str, None] = {}
    for uid in uids:
        hood = store.neighbors(uid=uid, depth=depth, per_type_limit=per_type_limit,
                               limit=limit)
        keep.update(dict.fromkeys([uid, *(n.uid for n in hood.nodes)]))
    g = store.subgraph(uids=list(keep))
    for uid in uids:
        g.nodes[uid]["role"] = "center"
    names = "、".join(_name(g, u) for u in uids[:3]) + ("等" if len(uids) > 3 else "")
    return View(kind="subgraph", title=f"{names} 的子图({depth} 度)", graph=g,
                center=uids[0] if len(uids) == 1 else None,
                notes=[f"节点 {g.number_of_nodes()} 个,关系 {g.number_of_edges()} 条"])


def graph_view(g: nx.MultiDiGraph, *, title: str, center: str | None = None,
               notes: Sequence[str] = ()) -> View:
    """Wrap any graph of store records as a view."""
    return View(kind="subgraph", title=title, graph=g, center=center, notes=list(notes))


OVERVIEW_MAX_NODES = 300
"""A whole-graph overview with more nodes than this is shown aggregated (then expandable)."""
GROUP_BY = {"label": "类型", "field": "领域", "community": "社区"}
"""How an overview can group the actors, by code, with its Chinese name."""
FIELD_TIES = ("IN_FIELD", "OFFERS", "NEEDS")


def _main_fields(g: nx.MultiDiGraph) -> dict[str, str]:
    """Each node's field for grouping: a Field itself, else the first (by name) of the
    fields it is in, offers or needs; nodes with none are left out."""
    out: dict[str, str] = {}
    for u, d in g.nodes(data=True):
        if d.get("label") == "Field":
            out[u] = u
    for u in g.nodes:
        if u in out:
            continue
        fields = sorted({v for _, v, d in g.out_edges(u, data=True)
                         if d.get("type") in FIELD_TIES and v in g},
                        key=lambda v: (_name(g, v), v))
        if fields:
            out[u] = fields[0]
    return out


MEMBERS_SHOWN = 40
"""An opened group with more members than this opens into sub-groups first (kinds by
field, fields and communities by kind), each of which opens into its members: every
step stays a picture of a few dozen labelled nodes."""
SECOND = {"label": "field", "field": "label", "community": "label"}
"""The sub-grouping of a large opened group, by the overview's first grouping."""


@dataclass
class _Parts:
    """An overview's content before it is drawn: the groups, the members shown, and the
    relationships between them."""

    groups: dict[str, list[str]]
    """Each closed group's members, in order of their first member."""
    shown: dict[str, list[str]]
    """Members shown, by the group they were opened from."""
    direct: list[tuple[str, str, Any, Mapping[str, Any]]]
    """Relationships between two members shown, in the graph's order."""
    pairs: Counter[tuple[str, str]]
    types: dict[tuple[str, str], Counter[str]]
    degree: Mapping[str, int]
    top_groups: int
    """How many first-level groups there are."""
    known: dict[str, tuple[Counter[str], list[str]]] = field(default_factory=dict)
    """Kinds and leading members of groups computed beforehand."""


def _keyer(g: nx.MultiDiGraph, by: str, found: Mapping[str, int],
           fields: Mapping[str, str]) -> Callable[[str, str], str]:
    """A node's group id when grouped by ``how`` (label, field or community)."""

    def key(u: str, how: str) -> str:
        if how == "community":
            return f"community:{found[u]}"
        if how == "field":
            return f"field:{fields.get(u, '-')}" if by != "field" or u in fields \
                else f"kind:{g.nodes[u].get('label')}"
        return f"kind:{g.nodes[u].get('label')}"
    return key


def _count(pairs: Counter[tuple[str, str]], types: dict[tuple[str, str], Counter[str]],
           a: str, b: str, rel_type: Any) -> None:
    pair = (a, b) if a < b else (b, a)
    pairs[pair] += 1
    if (counter := types.get(pair)) is None:
        counter = types[pair] = Counter()
    counter[str(rel_type)] += 1


def _parts(g: nx.MultiDiGraph, by: str, opened: set[str]) -> _Parts:
    """Any view's groups, read from its graph."""
    found: dict[str, int] = {}
    fields: dict[str, str] = {}
    if by == "community":  # the view's own colouring if it has one; the graph stays as it is
        found = {u: d["community"] for u, d in g.nodes(data=True) if "community" in d}
        if len(found) < g.number_of_nodes():
            found = communities(g)
    if "field" in (by, SECOND.get(by)):
        fields = _main_fields(g)
    key = _keyer(g, by, found, fields)
    second = SECOND.get(by, "label")
    first = {u: key(u, by) for u in g.nodes}
    sizes = Counter(first.values())

    def rep(u: str) -> str:
        top = first[u]
        if top not in opened:
            return top
        if sizes[top] <= MEMBERS_SHOWN:
            return u
        sub = f"{top}|{key(u, second)}"
        return u if sub in opened else sub

    reps = {u: rep(u) for u in g.nodes}
    groups: dict[str, list[str]] = {}
    shown: dict[str, list[str]] = {}
    for u, r in reps.items():
        if r != u:
            groups.setdefault(r, []).append(u)
        else:
            top = first[u]
            container = top if sizes[top] <= MEMBERS_SHOWN else f"{top}|{key(u, second)}"
            shown.setdefault(container, []).append(u)
    direct: list[tuple[str, str, Any, Mapping[str, Any]]] = []
    pairs: Counter[tuple[str, str]] = Counter()
    types: dict[tuple[str, str], Counter[str]] = {}
    for u, v, k, d in g.edges(keys=True, data=True):
        a, b = reps[u], reps[v]
        if a == b:
            continue
        if a == u and b == v:  # two members shown: the relationship itself
            direct.append((u, v, k, d))
        else:
            _count(pairs, types, a, b, d.get("type"))
    return _Parts(groups=groups, shown=shown, direct=direct, pairs=pairs, types=types,
                  degree=dict(g.degree()), top_groups=len(sizes))


def _grouping(whole: _Whole, by: str) -> _Grouping:
    """The whole graph's first-level groups for ``by``, computed once."""
    if (got := whole.groupings.get(by)) is not None:
        return got
    g = whole.graph()
    key = _keyer(g, by, whole.community() if by == "community" else {},
                 whole.fields() if by == "field" else {})
    first = {u: key(u, by) for u in g.nodes}
    members: dict[str, list[str]] = {}
    for u, gid in first.items():
        members.setdefault(gid, []).append(u)
    pairs: Counter[tuple[str, str]] = Counter()
    types: dict[tuple[str, str], Counter[str]] = {}
    for u, nbrs in g._succ.items():
        a = first[u]
        for v, keys in nbrs.items():
            b = first[v]
            if a != b:
                for d in keys.values():
                    _count(pairs, types, a, b, d.get("type"))
    degree = whole.degree()
    kinds = {gid: Counter(str(g.nodes[u].get("label")) for u in uids)
             for gid, uids in members.items()}
    leading = {gid: _leading(g, uids, degree) for gid, uids in members.items()}
    got = _Grouping(first=first, members=members, pairs=pairs, types=types, kinds=kinds,
                    leading=leading)
    return whole.groupings.setdefault(by, got)


def _whole_parts(view: View, whole: _Whole, by: str, opened: set[str]) -> _Parts:
    """The groups of a view of the whole graph: its first-level groups as kept with the
    graph; only the groups opened are read again (their members and relationships)."""
    g = whole.graph()
    grouping = _grouping(whole, by)
    tops = [gid for gid in grouping.members if gid in opened]
    known = {gid: (grouping.kinds[gid], grouping.leading[gid])
             for gid in grouping.members if gid not in opened}
    parts = _Parts(groups={gid: grouping.members[gid] for gid in known}, shown={}, direct=[],
                   pairs=Counter(), types={}, degree=whole.degree(),
                   top_groups=len(grouping.members), known=known)
    closed = set(tops)
    for (a, b), count in grouping.pairs.items():
        if a not in closed and b not in closed:
            parts.pairs[(a, b)] = count
            parts.types[(a, b)] = Counter(grouping.types[(a, b)])
    if not tops:
        return parts
    second = SECOND.get(by, "label")
    key = _keyer(view.graph, by, {}, whole.fields() if second == "field" else {})
    reps: dict[str, str] = {}  # the opened groups' nodes
    subs: dict[str, list[str]] = {}
    shown: dict[str, str] = {}  # member shown -> the group it was opened from
    for top in tops:
        uids = grouping.members[top]
        for u in uids:
            container = top if len(uids) <= MEMBERS_SHOWN else f"{top}|{key(u, second)}"
            if container == top or container in opened:
                reps[u] = u
                shown[u] = container
            else:
                reps[u] = container
                subs.setdefault(container, []).append(u)
    order = whole.order()
    # the groups and the members shown in the order a reading of the whole graph gives
    groups = {**parts.groups, **subs}
    parts.groups = {gid: groups[gid] for gid in sorted(groups, key=lambda x: order[groups[x][0]])}
    for u in sorted(shown, key=order.__getitem__):
        parts.shown.setdefault(shown[u], []).append(u)
    first = grouping.first
    for u in sorted(reps, key=order.__getitem__):
        a = reps[u]
        for v, keys in g._succ[u].items():
            b = reps.get(v) or first[v]
            if a == b:
                continue
            for k, d in keys.items():
                if a == u and b == v:
                    parts.direct.append((u, v, k, d))
                else:
                    _count(parts.pairs, parts.types, a, b, d.get("type"))
        for w, keys in g._pred[u].items():
            if w in reps:
                continue  # read from its side
            b = first[w]
            if a != b:
                for d in keys.values():
                    _count(parts.pairs, parts.types, b, a, d.get("type"))
    return parts


def _leading(g: nx.MultiDiGraph, uids: Sequence[str], degree: Mapping[str, int]) -> list[str]:
    """A group's ten best-linked members."""
    return sorted(uids, key=lambda u: (-degree[u], _name(g, u), u))[:10]


def aggregate(view: View, *, by: str = "label", expand: Sequence[str] = ()) -> View:
    """One node per kind (``by="label"``), field (``"field"``) or community
    (``"community"``), one edge per pair of groups, weighted by how many relationships
    it stands for. A group in ``expand`` opens: into its members when it has at most
    :data:`MEMBERS_SHOWN`, else into sub-groups (``"kind:Enterprise|field:fld:…"``),
    which open into their members in turn.

    Used when a view is over the hard cap, and for the overview of the whole graph: a
    picture of 50,000 dots says less than a picture of 14 groups with counts, and it
    does not freeze the page. Double-clicking a group in the explorer opens it. Over the
    whole graph (``view.whole``) the first-level groups are kept with the graph, so a
    request reads only the groups it opens.
    """
    g = view.graph
    opened = set(expand)
    parts = (_parts(g, by, opened) if view.whole is None
             else _whole_parts(view, _whole(view.whole), by, opened))
    out = nx.MultiDiGraph()
    for container, uids in parts.shown.items():
        for u in uids:
            out.add_node(u, **{**g.nodes[u], "group_of": container})
    for gid, hidden in parts.groups.items():
        if (known := parts.known.get(gid)) is not None:
            kinds, leading = known
        else:
            kinds = Counter(str(g.nodes[u].get("label")) for u in hidden)
            leading = _leading(g, hidden, parts.degree)
        part = gid.rsplit("|", 1)[-1]
        main = kinds.most_common(1)[0][0]
        if part.startswith("community:"):
            name = f"社区 {part.split(':', 1)[1]}"
        elif part.startswith("field:"):
            fld = part.split(":", 1)[1]
            name, main = (_name(g, fld), "Field") if fld in g else ("无领域", main)
        else:
            main = part.split(":", 1)[1]
            name = kind_zh(main)
        if "|" in gid:  # a sub-group says what it is part of
            name = f"{_group_name(g, gid.split('|', 1)[0])}·{name}"
        opens = ("双击展开为成员" if len(hidden) <= MEMBERS_SHOWN or "|" in gid
                 else "双击展开为细分组")
        out.add_node(gid, uid=gid, label="Group", name=f"{name}({len(hidden)})",
                     count=len(hidden), main_label=main,
                     view_facts=["成员:" + "、".join(f"{kind_zh(k)} {c}"
                                                    for k, c in kinds.most_common()),
                                 "主要成员:" + "、".join(_name(g, u) for u in leading), opens])
    for u, v, k, d in parts.direct:
        out.add_edge(u, v, k)
        out.edges[u, v, k].update(d)
    for (a, b), count in sorted(parts.pairs.items()):
        # most first, ties by type code: the same however the relationships were read
        ranked = sorted(parts.types[(a, b)].items(), key=lambda tc: (-tc[1], tc[0]))
        desc = "、".join(f"{rel_zh(t)} {c}" for t, c in ranked)
        out.add_edge(a, b, key=f"{a}|{b}", type="AGGREGATE", virtual=True, weight=count,
                     label_text=str(count), description=desc)
    positions = _rings({**parts.groups, **{f"open:{c}": v for c, v in parts.shown.items()}},
                       {f"open:{c}" for c in parts.shown}, g)
    n, m = view.size
    shown = f"已展开 {len(opened)} 组;" if opened else ""
    kept = [line for line in view.notes if not line.startswith("节点 ")]  # said below
    return View(kind="aggregate", title=f"{view.title}(按{GROUP_BY.get(by, by)}聚合)",
                graph=out,
                notes=[*kept, f"共 {n} 个节点、{m} 条关系,按{GROUP_BY.get(by, by)}"
                       f"聚合为 {parts.top_groups} 组;{shown}双击一组展开"],
                tables=view.tables, positions=positions)


def _group_name(g: nx.MultiDiGraph, gid: str) -> str:
    """The Chinese name of a first-level group id."""
    how, _, value = gid.partition(":")
    if how == "kind":
        return kind_zh(value)
    if how == "field":
        return _name(g, value) if value in g else "无领域"
    return f"社区 {value}"


SPACING = 1.9
"""Layout units between neighbouring groups of the overview (a unit is about the width of
a six-character label)."""
BLOCK_X, BLOCK_Y = 3.2, 0.8
"""Column and row pitch of an opened group's members (labels are wide and short)."""


def _rings(members: Mapping[str, Sequence[str]], opened: set[str],
           g: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """The overview's arrangement: the groups in a disc, largest in the middle; the
    members of each opened group in a block of rows beside it, in name order. Neighbours
    are far enough apart that labels do not run into each other at any zoom."""
    closed = sorted((gid for gid in members if gid not in opened),
                    key=lambda gid: (-len(members[gid]), gid))
    pos: dict[str, tuple[float, float]] = {}
    # the groups fill a disc (a sunflower spiral, the largest in the middle): a disc
    # holds them in less room than a circle, so the labels stay larger when it is fitted
    golden = math.pi * (3 - math.sqrt(5))
    for i, gid in enumerate(closed):
        r = SPACING * 0.62 * math.sqrt(i + 0.5) if len(closed) > 1 else 0.0
        pos[gid] = (1.6 * r * math.cos(i * golden), r * math.sin(i * golden))
    right = max((x for x, _ in pos.values()), default=0.0) + 3.0
    for gid in sorted(opened & set(members)):
        # the members of an opened group: a block of rows to the right of the groups, in
        # name order, that the explorer zooms to (readable at that zoom)
        uids = sorted(members[gid], key=lambda u: (_name(g, u), u))
        cols = max(1, math.ceil(math.sqrt(len(uids) / 2)))
        rows = math.ceil(len(uids) / cols)
        for i, u in enumerate(uids):
            pos[u] = (right + (i % cols) * BLOCK_X, (i // cols - (rows - 1) / 2) * BLOCK_Y)
        right += cols * BLOCK_X + 2.0
    return pos
