"""Cooperation gaps: where demand for technology meets too little supply or too few links.

Three queries over the graph returned by ``GraphStore.subgraph()`` (nodes carry
their stored records, edges carry records with a ``type``), each a plain list
of rows that an analyst can sort and export:

* :func:`field_gaps` — per field, demand (enterprises) against supply (research
  actors) and the cooperation links between the two sides;
* :func:`isolated_actors` — actors that should cooperate and do not;
* :func:`structural_holes` (and :func:`cooperation_communities`) — communities of
  the cooperation graph that are heavy on demand or on supply, and the pairs of
  them that few edges join, with the brokers that do join them.

The plan's quantified targets are in :mod:`graph.analytics.targets`.

Demand actors are enterprises. Supply (research) actors are universities,
institutes, teams, platforms, hospitals and talents. Column names are keys in
English; ``*_COLUMNS`` give the Chinese header of each for people's tables.

>>> g = nx.MultiDiGraph()
>>> for uid, label in [("e1", "Enterprise"), ("u1", "University"), ("f1", "Field")]:
...     g.add_node(uid, uid=uid, label=label, name=uid)
>>> _ = g.add_edge("e1", "f1", type="NEEDS")
>>> _ = g.add_edge("u1", "f1", type="OFFERS")
>>> [(r["field"], r["demand"], r["supply"], r["links"]) for r in field_gaps(g)]
[('f1', 1, 1, 0)]
"""

from __future__ import annotations

import hashlib
import heapq
import math
import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from itertools import product
from typing import Any

import networkx as nx

from graph.analytics.computed import typed_edges
from schemas.vocabularies import RESEARCH_SIDE

DEMAND_LABEL = "Enterprise"
SUPPLY_LABELS: tuple[str, ...] = RESEARCH_SIDE
"""Research actors: the supply side of every gap query."""
PARTICIPATION_TYPES = ("PARTICIPATES_IN", "UNDERTAKES")
"""Ways of taking part in a project (the lead undertakes, the others participate)."""
HIGH_TECH_TAG = "高新技术企业"

FIELD_GAP_COLUMNS: dict[str, str] = {
    "field": "领域", "field_uid": "领域标识", "parent": "上级领域",
    "demand": "需求主体数", "needs": "需求数", "supply": "供给主体数",
    "links": "对接链接数", "linked_demand": "已对接需求主体数", "coverage": "对接覆盖率",
    "supply_ratio": "供需比", "gap_score": "缺口分",
}
ISOLATED_COLUMNS: dict[str, str] = {
    "kind": "类别代码", "kind_name": "类别", "name": "名称", "uid": "标识", "label": "类型",
    "fields": "领域", "needs": "需求数", "partners": "合作伙伴数", "reason": "原因",
}
COMMUNITY_COLUMNS: dict[str, str] = {
    "community": "社区", "label": "社区名称", "fields": "主要领域", "size": "规模",
    "demand": "需求企业数", "supply": "科研主体数",
    "balance": "供需倾向", "kind": "类型", "internal_edges": "内部合作边数",
    "top_members": "主要成员",
}
HOLES_MAX_ROWS = 10_000
"""Most community pairs the structural-holes table lists (those of the highest hole score):
more than an analyst reads, and the table of every pair grows with the square of the
communities (at 1,000,000 actors it held the analysis's memory by gigabytes)."""
HOLE_COLUMNS: dict[str, str] = {
    "demand_community": "需求型社区", "supply_community": "供给型社区",
    "demand_label": "需求型社区名称", "supply_label": "供给型社区名称",
    "demand_size": "需求社区规模", "supply_size": "供给社区规模",
    "demand_actors": "需求企业数", "supply_actors": "科研主体数",
    "bridges": "桥接边数", "bridge_weight": "桥接权重", "hole_score": "结构洞分",
    "demand_top": "需求社区主要成员", "supply_top": "供给社区主要成员",
    "brokers": "中介主体", "broker_uids": "中介主体标识", "broker_edges": "中介跨社区边数",
}

NOTES: dict[str, dict[str, str]] = {
    "fields": {
        "demand": "在该领域提出技术需求(NEEDS)或归属该领域(IN_FIELD)的企业数,一家企业只计一次",
        "needs": "企业对该领域提出的技术需求条数(NEEDS 关系数);只归属该领域、没有提出具体需求的"
                 "企业不计,因此可以少于需求主体数",
        "supply": "归属该领域或具备该领域能力(IN_FIELD/OFFERS)的高校、科研院所、团队、创新平台、"
                  "医院和人才数",
        "links": "该领域的需求企业与供给主体之间的对接:直接合作(COOPERATES_WITH),以及共同参与该领域"
                 "项目的(企业,供给主体)对数",
        "linked_demand": "至少有一条对接链接的需求企业数",
        "coverage": "已对接需求主体数 ÷ 需求主体数",
        "supply_ratio": "需求主体数 ÷ (1 + 供给主体数);越大,每个供给主体面对的需求越多",
        "gap_score": "(需求主体数 − 已对接需求主体数) × 需求主体数 ÷ (需求主体数 + 供给主体数);"
                     "未对接的需求越多、供给越少,缺口分越高",
    },
    "isolated": {
        "kind_name": "有需求无科研伙伴的企业:有技术需求,但与高校、院所、团队、医院、人才、平台"
                     "都没有合作;无企业用户的平台:没有企业与之合作、加入或依托;无企业合作的团队;"
                     "无高校合作的高新技术企业",
        "needs": "该主体提出的技术需求条数",
        "partners": "该主体的直接合作(COOPERATES_WITH)伙伴数;只共同参与项目不算合作伙伴",
    },
    "communities": {
        "community": "社区标识,由社区的核心成员(社区内合作权重最大者)生成,重新导入后不变",
        "label": "社区成员最多的两个领域·核心成员等N家",
        "fields": "成员所属、需求或能力领域中成员最多的三个,括号内为成员数",
        "size": "社区内有合作关系的主体数(Leiden 社区发现,固定随机种子)",
        "demand": "社区内有技术需求的企业数",
        "supply": "社区内的高校、科研院所、团队、创新平台、医院和人才数",
        "balance": "(需求企业数 − 科研主体数) ÷ (需求企业数 + 科研主体数);正数偏需求,负数偏供给",
        "kind": "供需倾向大于阈值为需求型,小于负阈值为供给型,否则为均衡",
        "internal_edges": "两端都在社区内的合作关系数",
        "top_members": "社区内合作权重最大的五个成员",
    },
    "holes": {
        "demand_actors": "需求型社区中有技术需求的企业数",
        "supply_actors": "供给型社区中的科研主体数",
        "bridges": "两个社区之间直接的合作关系数",
        "bridge_weight": "桥接合作关系的权重之和",
        "hole_score": "需求企业数 × 科研主体数 ÷ (1 + 桥接边数):可能合作的供需对越多、现有桥接越少,"
                      "分数越高",
        "brokers": "在两个社区都有合作伙伴的主体(可牵线搭桥者),按跨社区合作边数、合作伙伴数排序",
        "broker_edges": "中介主体连向另一社区的合作边数",
    },
}
"""Definitions of the count columns of each gap table, in Chinese (the tables' footnotes)."""


def isolated_summary(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The isolated actors counted by kind and field, before the rows themselves.

    One row per (kind, field) with ``count``; actors without a field count under
    "(未标注领域)", an actor of two fields under both; a total row per kind first.
    """
    total: Counter[str] = Counter()
    by_field: Counter[tuple[str, str]] = Counter()
    for r in rows:
        kind = str(r.get("kind_name") or r.get("kind"))
        total[kind] += 1
        for f in r.get("fields") or ["(未标注领域)"]:
            by_field[kind, str(f)] += 1
    out: list[dict[str, Any]] = []
    for kind in sorted(total, key=lambda k: (-total[k], k)):
        out.append({"kind_name": kind, "field": "(合计)", "count": total[kind]})
        out += [{"kind_name": kind, "field": f, "count": n}
                for (k, f), n in sorted(by_field.items(), key=lambda t: (-t[1], t[0][1]))
                if k == kind]
    return out


ISOLATED_SUMMARY_COLUMNS: dict[str, str] = {"kind_name": "类别", "field": "领域",
                                            "count": "主体数"}


class IsolatedKind(StrEnum):
    """The kinds of isolation :func:`isolated_actors` reports."""

    enterprise_no_partner = "enterprise_no_partner"
    platform_no_enterprise = "platform_no_enterprise"
    team_no_enterprise = "team_no_enterprise"
    high_tech_no_university = "high_tech_no_university"


ISOLATED_KIND_NAMES: dict[IsolatedKind, str] = {
    IsolatedKind.enterprise_no_partner: "有需求无科研伙伴的企业",
    IsolatedKind.platform_no_enterprise: "无企业用户的平台",
    IsolatedKind.team_no_enterprise: "无企业合作的团队",
    IsolatedKind.high_tech_no_university: "无高校合作的高新技术企业",
}


# ---- small readers of the record graph ---------------------------------------------------

# a node's record read from the graph's own node dict (``G._node``, what ``G.nodes[n]``
# returns through a view): the tables read it hundreds of thousands of times

def _label(g: nx.MultiDiGraph, n: str) -> str:
    return str(g._node[n].get("label", ""))


def _name(g: nx.MultiDiGraph, n: str) -> str:
    return str(g._node[n].get("name") or n)


def _order(g: nx.MultiDiGraph, n: str) -> tuple[str, str]:
    """The store's result order: name, then uid."""
    return (_name(g, n), n)


def _nodes_of(g: nx.MultiDiGraph, *labels: str) -> list[str]:
    wanted = set(labels)
    return sorted(n for n, d in g.nodes(data=True) if d.get("label") in wanted)


def _coop_neighbors(g: nx.MultiDiGraph) -> dict[str, set[str]]:
    """Partners of every actor through COOPERATES_WITH (stored one way, read both ways)."""
    nbrs: dict[str, set[str]] = defaultdict(set)
    for u, v, _ in typed_edges(g, "COOPERATES_WITH"):
        if u != v:
            nbrs[u].add(v)
            nbrs[v].add(u)
    return nbrs


def _weight(d: Mapping[str, Any]) -> float:
    """An edge's weight; missing or zero weights count as 1 (a known cooperation)."""
    w = d.get("weight")
    return float(w) if isinstance(w, int | float) and w > 0 else 1.0


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


# ---- 1. field gaps -------------------------------------------------------------------------

def _field_parents(g: nx.MultiDiGraph) -> dict[str, set[str]]:
    """Direct parents of each field along SUBFIELD_OF."""
    parents: dict[str, set[str]] = defaultdict(set)
    for u, v, _ in typed_edges(g, "SUBFIELD_OF"):
        if u != v and _label(g, v) == "Field":
            parents[u].add(v)
    return parents


def _field_roots(fields: Iterable[str], parents: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Top-level ancestors of each field (a field without parent is its own)."""
    roots: dict[str, set[str]] = {}
    for f in fields:
        seen, stack, top = {f}, [f], set()
        while stack:
            x = stack.pop()
            ups = parents.get(x, set())
            if not ups:
                top.add(x)
            stack.extend(sorted(ups - seen))
            seen |= ups
        roots[f] = top or {f}  # a pure cycle has no top: keep the field itself
    return roots


def field_gaps(g: nx.MultiDiGraph, *, rollup: bool = False, via_projects: bool = True,
               min_demand: int = 0) -> list[dict[str, Any]]:
    """Demand against supply and the links between them, per field.

    For a field ``f`` (with ``rollup``, a top-level field standing for all its
    sub-fields along SUBFIELD_OF):

    * demand actors ``D_f``: enterprises IN_FIELD ``f`` or that NEED ``f``;
      ``needs`` counts the NEEDS relationships;
    * supply actors ``S_f``: universities, institutes, teams, platforms,
      hospitals and talents that OFFER ``f`` or are IN_FIELD ``f``;
    * links ``L_f``: pairs ``(d, s)`` in ``D_f × S_f`` joined by COOPERATES_WITH
      or (``via_projects``) taking part together (PARTICIPATES_IN / UNDERTAKES)
      in a project IN_FIELD ``f``;
    * ``linked_demand``: demand actors with at least one link; coverage
      ``c_f = linked_demand / |D_f|`` (None without demand);
    * ``supply_ratio = |D_f| / (1 + |S_f|)``;
    * ``gap_score = (|D_f| − linked_demand) · |D_f| / (|D_f| + |S_f|)``: the demand
      actors without a link, weighted by demand's share of the field's actors
      (1 with no supply at all, 1/2 when supply equals demand). It is 0 when
      every demand actor has a link or there is no demand.

    Rows are ordered by gap score (highest first), then demand (highest),
    supply (lowest), field name and uid.

    Args:
        g: The store's graph (``GraphStore.subgraph()``).
        rollup: Report top-level fields only, each counting its sub-fields' actors.
        via_projects: Count co-participation in a project of the field as a link.
        min_demand: Leave out fields with fewer demand actors.

    Returns:
        One dict per field with the keys of :data:`FIELD_GAP_COLUMNS`.

    >>> g = nx.MultiDiGraph()
    >>> for uid, label in [("e1", "Enterprise"), ("e2", "Enterprise"), ("u", "University"),
    ...                    ("f", "Field")]:
    ...     g.add_node(uid, uid=uid, label=label, name=uid)
    >>> _ = g.add_edge("e1", "f", type="NEEDS")
    >>> _ = g.add_edge("e2", "f", type="IN_FIELD")
    >>> _ = g.add_edge("u", "f", type="OFFERS")
    >>> _ = g.add_edge("e1", "u", type="COOPERATES_WITH", weight=2)
    >>> row = field_gaps(g)[0]
    >>> [row[k] for k in ("demand", "needs", "supply", "links", "coverage", "gap_score")]
    [2, 1, 1, 1, 0.5, 0.6667]
    """
    fields = _nodes_of(g, "Field")
    parents = _field_parents(g)
    roots = _field_roots(fields, parents) if rollup else {f: {f} for f in fields}
    shown = sorted({r for rs in roots.values() for r in rs})
    supply_labels = set(SUPPLY_LABELS)
    demand: dict[str, set[str]] = defaultdict(set)
    supply: dict[str, set[str]] = defaultdict(set)
    needs: Counter[str] = Counter()
    for u, v, d in typed_edges(g, "IN_FIELD", "NEEDS", "OFFERS"):
        if v not in roots:
            continue
        lu, t = _label(g, u), d["type"]
        for f in roots[v]:
            if lu == DEMAND_LABEL and t in ("IN_FIELD", "NEEDS"):
                demand[f].add(u)
                needs[f] += t == "NEEDS"
            elif lu in supply_labels and t in ("IN_FIELD", "OFFERS"):
                supply[f].add(u)

    coop = _coop_neighbors(g)
    links: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for f in shown:
        for a in demand[f]:
            links[f].update((a, s) for s in coop.get(a, set()) & supply[f])
    if via_projects:
        project_fields: dict[str, set[str]] = defaultdict(set)
        for u, v, _ in typed_edges(g, "IN_FIELD"):
            if _label(g, u) == "Project" and v in roots:
                project_fields[u] |= roots[v]
        members: dict[str, set[str]] = defaultdict(set)
        for u, v, _ in typed_edges(g, *PARTICIPATION_TYPES):
            if v in project_fields:
                members[v].add(u)
        for p, fs in project_fields.items():
            for f in fs:
                links[f].update(product(members[p] & demand[f], members[p] & supply[f]))

    parent_names = {} if rollup else {
        f: "、".join(sorted(_name(g, p) for p in parents.get(f, ()))) for f in fields}
    rows: list[dict[str, Any]] = []
    for f in shown:
        n_d, n_s = len(demand[f]), len(supply[f])
        if n_d < min_demand:
            continue
        linked = len({a for a, _ in links[f]})
        score = (n_d - linked) * n_d / (n_d + n_s) if n_d else 0.0
        rows.append({
            "field": _name(g, f), "field_uid": f, "parent": parent_names.get(f, ""),
            "demand": n_d, "needs": needs[f], "supply": n_s, "links": len(links[f]),
            "linked_demand": linked, "coverage": _ratio(linked, n_d),
            "supply_ratio": round(n_d / (1 + n_s), 4), "gap_score": round(score, 4)})
    rows.sort(key=lambda r: (-r["gap_score"], -r["demand"], r["supply"], r["field"],
                             r["field_uid"]))
    return rows


# ---- 2. isolated actors --------------------------------------------------------------------

def _parse_kinds(kinds: Iterable[str] | None) -> list[IsolatedKind]:
    if kinds is None:
        return list(IsolatedKind)
    try:
        wanted = {IsolatedKind(k) for k in kinds}
    except ValueError as exc:
        raise ValueError(f"不认识的孤立类型;可用:{'、'.join(IsolatedKind)}") from exc
    return [k for k in IsolatedKind if k in wanted]


def isolated_actors(g: nx.MultiDiGraph, *,
                    kinds: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Actors that should have a cooperation partner of some kind and have none.

    * ``enterprise_no_partner``: an enterprise with at least one NEEDS and no
      COOPERATES_WITH to a university, institute, team, hospital, talent or platform;
    * ``platform_no_enterprise``: a platform without an enterprise user — no
      enterprise cooperating with it, MEMBER_OF it, or hosting it (HOSTED_BY);
    * ``team_no_enterprise``: a team with no COOPERATES_WITH to an enterprise;
    * ``high_tech_no_university``: an enterprise tagged 高新技术企业 with no
      COOPERATES_WITH to a university.

    Only direct COOPERATES_WITH counts as cooperation here: taking part in the
    same project is evidence of contact, not of a partnership.

    Args:
        g: The store's graph.
        kinds: The kinds to report (values of :class:`IsolatedKind`); all by default.

    Returns:
        One row per (kind, actor) with the keys of :data:`ISOLATED_COLUMNS`,
        ordered by kind (in the order above), then name and uid.

    Raises:
        ValueError: An unknown kind.

    >>> g = nx.MultiDiGraph()
    >>> for uid, label in [("e", "Enterprise"), ("t", "Team"), ("f", "Field")]:
    ...     g.add_node(uid, uid=uid, label=label, name=uid, tags=[])
    >>> _ = g.add_edge("e", "f", type="NEEDS")
    >>> [(r["kind"], r["uid"]) for r in isolated_actors(g)]
    [('enterprise_no_partner', 'e'), ('team_no_enterprise', 't')]
    """
    wanted = _parse_kinds(kinds)
    coop = _coop_neighbors(g)
    supply_labels = set(SUPPLY_LABELS)
    needs: dict[str, list[str]] = defaultdict(list)
    fields: dict[str, set[str]] = defaultdict(set)
    for u, v, d in typed_edges(g, "NEEDS", "IN_FIELD", "OFFERS"):
        if _label(g, v) == "Field":
            fields[u].add(_name(g, v))
            if d["type"] == "NEEDS":
                needs[u].append(_name(g, v))
    users: dict[str, set[str]] = defaultdict(set)  # platform -> enterprises using it
    for u, v, _ in typed_edges(g, "MEMBER_OF"):
        if _label(g, u) == DEMAND_LABEL:
            users[v].add(u)
    for u, v, _ in typed_edges(g, "HOSTED_BY"):
        if _label(g, v) == DEMAND_LABEL:
            users[u].add(v)

    def partner_labels(n: str) -> set[str]:
        return {_label(g, m) for m in coop.get(n, ())}

    def row(kind: IsolatedKind, n: str, reason: str) -> dict[str, Any]:
        return {"kind": kind.value, "kind_name": ISOLATED_KIND_NAMES[kind],
                "name": _name(g, n), "uid": n, "label": _label(g, n),
                "fields": sorted(fields.get(n, ())), "needs": len(needs.get(n, ())),
                "partners": len(coop.get(n, ())), "reason": reason}

    rows: list[dict[str, Any]] = []
    for kind in wanted:
        found: list[dict[str, Any]] = []
        if kind is IsolatedKind.enterprise_no_partner:
            for n in _nodes_of(g, DEMAND_LABEL):
                if needs.get(n) and not partner_labels(n) & supply_labels:
                    wants = "、".join(sorted(set(needs[n])))
                    found.append(row(kind, n, f"有{len(needs[n])}项技术需求({wants}),"
                                     "但没有与高校、科研院所、团队、医院、人才或平台的合作"))
        elif kind is IsolatedKind.platform_no_enterprise:
            for n in _nodes_of(g, "Platform"):
                if DEMAND_LABEL not in partner_labels(n) and not users.get(n):
                    found.append(row(kind, n, "没有企业用户:无企业与之合作、无企业成员、"
                                     "也不依托企业"))
        elif kind is IsolatedKind.team_no_enterprise:
            for n in _nodes_of(g, "Team"):
                if DEMAND_LABEL not in partner_labels(n):
                    found.append(row(kind, n, "没有与任何企业的合作"))
        else:
            for n in _nodes_of(g, DEMAND_LABEL):
                tags = g.nodes[n].get("tags") or []
                if HIGH_TECH_TAG in tags and "University" not in partner_labels(n):
                    found.append(row(kind, n, "高新技术企业,但没有与任何高校的合作"))
        found.sort(key=lambda r: (r["name"], r["uid"]))
        rows += found
    return rows


# ---- 3. communities and structural holes ---------------------------------------------------

def _coop_graph(g: nx.MultiDiGraph) -> nx.Graph:
    """The undirected cooperation graph: one edge per pair, weights summed, built in uid order
    so that everything computed on it is reproducible."""
    pairs: dict[tuple[str, str], float] = defaultdict(float)
    for u, v, d in typed_edges(g, "COOPERATES_WITH"):
        if u != v:
            a, b = sorted((u, v))
            pairs[a, b] += _weight(d)
    h = nx.Graph()
    h.add_nodes_from(sorted({n for p in pairs for n in p}))
    h.add_weighted_edges_from((a, b, w) for (a, b), w in sorted(pairs.items()))
    return h


MAX_WEIGHT = 1e12
"""Cooperation weights above this are scaled down together before Leiden (see _leiden)."""


def _leiden(h: nx.Graph, *, seed: int, resolution: float) -> list[list[str]]:
    """Communities as sorted uid lists, largest first (ties by first uid).

    Leiden (graspologic-native, Rust), maximising modularity at ``resolution``: Louvain's
    moves plus a refinement that keeps every community internally connected. Seeded and
    fed the edges in uid order, it gives the same partition on every run (at 100,000
    actors: 0.4 s against networkx Louvain's 4.8 s, modularity 0.5953 against 0.5947)."""
    return leiden_communities([(a, b, float(d["weight"])) for a, b, d in h.edges(data=True)],
                              seed=seed, resolution=resolution)


def leiden_communities(edges: list[tuple[str, str, float]], *, seed: int,
                       resolution: float) -> list[list[str]]:
    """Leiden (see :func:`_leiden`) over weighted undirected ``edges`` given in a fixed
    order: communities as sorted uid lists, largest first (ties by first uid); a node
    without an edge is in none."""
    if not edges:
        return []
    from graspologic_native import leiden

    finite = [w for _, _, w in edges if math.isfinite(w)]
    top = max(finite, default=1.0)
    if top > MAX_WEIGHT or len(finite) < len(edges):
        # Leiden refuses weights near the float range (modularity does not change when
        # every weight is scaled alike); an infinite weight counts as the largest allowed
        scale = min(1.0, MAX_WEIGHT / top)
        edges = [(a, b, w * scale if math.isfinite(w) else MAX_WEIGHT) for a, b, w in edges]
    _, part = leiden(edges=edges, seed=seed, resolution=resolution)
    groups: dict[int, list[str]] = defaultdict(list)
    for uid, community in part.items():
        groups[community].append(uid)
    comms = [sorted(members) for members in groups.values()]
    comms.sort(key=lambda c: (-len(c), c[0]))
    return comms


FIELD_TIES = ("IN_FIELD", "OFFERS", "NEEDS")


def community_id(anchor: str) -> str:
    """The id of a community, from the uid of its anchor (the member with the most
    cooperation weight inside it): the same community keeps its id across re-ingests,
    whatever its size rank."""
    return "C-" + hashlib.sha1(anchor.encode("utf-8")).hexdigest()[:6]


class _Communities:
    """Leiden communities of the cooperation graph and what each holds (built once per
    graph object and parameters: see :func:`_communities`)."""

    def __init__(self, g: nx.MultiDiGraph, *, seed: int, resolution: float,
                 threshold: float) -> None:
        self.h = _coop_graph(g)
        self.members = _leiden(self.h, seed=seed, resolution=resolution)
        self.anchor = [self._ranked(g, c)[0] for c in self.members]
        self.ids = [community_id(a) for a in self.anchor]
        self.fields = [self._fields(g, c) for c in self.members]
        self.label = [("/".join(f for f, _ in fs[:2]) + "·" if fs else "")
                      + f"{_name(g, a)}等{len(c)}家"
                      for fs, a, c in zip(self.fields, self.anchor, self.members, strict=True)]
        self.of = {n: i for i, c in enumerate(self.members) for n in c}
        needy = {u for u, _, _ in typed_edges(g, "NEEDS")}
        supply_labels = set(SUPPLY_LABELS)
        self.demand = [sum(1 for n in c if n in needy and _label(g, n) == DEMAND_LABEL)
                       for c in self.members]
        self.supply = [sum(1 for n in c if _label(g, n) in supply_labels)
                       for c in self.members]
        self.balance = [round((d - s) / (d + s), 4) if d + s else 0.0
                        for d, s in zip(self.demand, self.supply, strict=True)]
        self.kind = ["需求型" if b > threshold else "供给型" if b < -threshold else "均衡"
                     for b in self.balance]
        self.top = [self._top(g, c) for c in self.members]

    def _ranked(self, g: nx.MultiDiGraph, members: list[str]) -> list[str]:
        """Members by cooperation weight inside the community, ties by uid (not by name:
        the anchor, and so the id, must not change when a member is renamed)."""
        inside = set(members)
        strength = {n: sum(d["weight"] for m, d in self.h[n].items() if m in inside)
                    for n in members}
        return sorted(members, key=lambda n: (-strength[n], n))

    def _top(self, g: nx.MultiDiGraph, members: list[str], k: int = 5) -> list[str]:
        """The ``k`` members with the largest cooperation weight inside the community."""
        return [_name(g, n) for n in self._ranked(g, members)[:k]]

    @staticmethod
    def _fields(g: nx.MultiDiGraph, members: list[str]) -> list[tuple[str, int]]:
        """Fields of the members (IN_FIELD, OFFERS, NEEDS), most members first."""
        count: Counter[str] = Counter()
        for n in members:
            count.update({_name(g, f) for _, f, d in g.out_edges(n, data=True)
                          if d.get("type") in FIELD_TIES})
        return sorted(count.items(), key=lambda t: (-t[1], t[0]))


_COMMUNITIES: weakref.WeakKeyDictionary[nx.MultiDiGraph, dict[tuple[int, float, float],
                                                               _Communities]] = (
    weakref.WeakKeyDictionary())


def _communities(g: nx.MultiDiGraph, *, seed: int, resolution: float,
                 threshold: float) -> _Communities:
    """The communities of ``g`` for these parameters, computed once per graph object
    (the communities table, the holes table and the write-back share them)."""
    key = (seed, resolution, threshold)
    per_graph = _COMMUNITIES.setdefault(g, {})
    if key not in per_graph:
        per_graph[key] = _Communities(g, seed=seed, resolution=resolution, threshold=threshold)
    return per_graph[key]


def community_of(g: nx.MultiDiGraph, *, seed: int = 42,
                 resolution: float = 1.0) -> dict[str, str]:
    """Each actor of the cooperation graph and the id of its community (as in the
    communities table)."""
    c = _communities(g, seed=seed, resolution=resolution, threshold=0.0)
    return {n: c.ids[i] for n, i in c.of.items()}


def cooperation_communities(g: nx.MultiDiGraph, *, seed: int = 42, resolution: float = 1.0,
                            threshold: float = 0.0) -> list[dict[str, Any]]:
    """Leiden communities of the cooperation graph, with their demand/supply balance.

    The cooperation graph is undirected: actors with at least one COOPERATES_WITH,
    one edge per pair weighted by the summed ``weight`` (missing weights count 1).
    Communities come from Leiden (:func:`_leiden`) with the given seed and
    are listed by size (largest first, ties by smallest uid). A community's id is
    made from its anchor, the member with the most cooperation weight inside it
    (:func:`community_id`), so it survives re-ingests that change sizes; its label
    names its two most common fields and its anchor ("康复医疗装备·某大学等12家").

    For a community with ``d`` demand actors (enterprises with at least one NEEDS)
    and ``s`` supply actors (research actors), ``balance = (d − s) / (d + s)``
    (0 when both are 0); it is 需求型 (demand-heavy) when ``balance > threshold``,
    供给型 (supply-heavy) when ``balance < −threshold``, else 均衡.

    Args:
        g: The store's graph.
        seed: Leiden's random seed (same seed, same graph: same communities).
        resolution: Leiden's resolution (above 1: smaller communities).
        threshold: How far from 0 the balance must be to call a community heavy.

    Returns:
        One row per community with the keys of :data:`COMMUNITY_COLUMNS`.

    >>> g = nx.MultiDiGraph()
    >>> for uid, label in [("e1", "Enterprise"), ("e2", "Enterprise"), ("u", "University"),
    ...                    ("f", "Field")]:
    ...     g.add_node(uid, uid=uid, label=label, name=uid)
    >>> _ = g.add_edge("e1", "f", type="NEEDS")
    >>> _ = g.add_edge("e2", "f", type="NEEDS")
    >>> _ = g.add_edge("e1", "e2", type="COOPERATES_WITH")
    >>> _ = g.add_edge("e2", "u", type="COOPERATES_WITH")
    >>> [(r["community"], r["label"], r["size"], r["demand"], r["supply"], r["kind"])
    ...  for r in cooperation_communities(g)]
    [('C-dc1885', 'f·e2等3家', 3, 2, 1, '需求型')]
    """
    c = _communities(g, seed=seed, resolution=resolution, threshold=threshold)
    rows = []
    for i, members in enumerate(c.members):
        inside = set(members)
        # Graph.edges(nbunch) yields each edge once, so nothing is counted twice
        internal = sum(1 for a, b in c.h.edges(members) if a in inside and b in inside)
        rows.append({"community": c.ids[i], "label": c.label[i],
                     "fields": [f"{f}({n})" for f, n in c.fields[i][:3]],
                     "size": len(members), "demand": c.demand[i],
                     "supply": c.supply[i], "balance": c.balance[i], "kind": c.kind[i],
                     "internal_edges": internal, "top_members": c.top[i]})
    return rows


def structural_holes(g: nx.MultiDiGraph, *, seed: int = 42, resolution: float = 1.0,
                     threshold: float = 0.0, max_bridges: int | None = None,
                     max_brokers: int = 5, max_rows: int | None = HOLES_MAX_ROWS,
                     ) -> list[dict[str, Any]]:
    """Pairs of a demand-heavy and a supply-heavy community that few edges join.

    Communities are those of :func:`cooperation_communities` (same seed,
    resolution and threshold). For a demand-heavy community ``A`` with ``d_A``
    demand actors and a supply-heavy community ``B`` with ``s_B`` supply actors:

    * ``bridges``: cooperation edges with one end in ``A`` and the other in ``B``
      (``bridge_weight``: their summed weight);
    * ``hole_score = d_A · s_B / (1 + bridges)``: demand–supply pairs that could
      cooperate, per existing bridge;
    * brokers: actors (anywhere) with at least one partner in ``A`` and one in
      ``B`` (other than themselves). A broker's bridging edges are its edges into
      the community it does not belong to (both, for an outsider). Brokers are
      ranked by bridging edges, then by their number of cooperation partners
      (degree in the cooperation graph), then name.

    Rows are ordered by hole score (highest first), then bridges (fewest first),
    then community ids; the result is the same on every run for the same seed. Only the
    first ``max_rows`` pairs are listed: the pairs grow with the square of the
    communities (55,000 at 100,000 actors, millions at a province's size), and the
    brokers are found for the pairs listed only.

    Args:
        g: The store's graph.
        seed: Leiden's seed.
        resolution: Leiden's resolution.
        threshold: Balance beyond which a community is demand- or supply-heavy.
        max_bridges: Leave out pairs joined by more bridges than this.
        max_brokers: Brokers listed per pair.
        max_rows: Most pairs listed (None: every pair).

    Returns:
        One row per pair with the keys of :data:`HOLE_COLUMNS`; ``brokers``,
        ``broker_uids`` and ``broker_edges`` are parallel lists.

    >>> g = nx.MultiDiGraph()
    >>> ents, unis = ["e1", "e2", "e3"], ["u1", "u2", "u3"]
    >>> for uid in ents + unis + ["f"]:
    ...     g.add_node(uid, uid=uid, name=uid, label={"e": "Enterprise", "u": "University",
    ...                                               "f": "Field"}[uid[0]])
    >>> for e in ents:
    ...     _ = g.add_edge(e, "f", type="NEEDS")
    >>> for a, b in [("e1", "e2"), ("e2", "e3"), ("e1", "e3"), ("u1", "u2"), ("u2", "u3"),
    ...              ("u1", "u3"), ("e3", "u1")]:
    ...     _ = g.add_edge(a, b, type="COOPERATES_WITH")
    >>> row = structural_holes(g)[0]
    >>> row["bridges"], row["hole_score"], row["broker_uids"]
    (1, 4.5, ['e3', 'u1'])
    """
    c = _communities(g, seed=seed, resolution=resolution, threshold=threshold)
    k = len(c.members)
    cross_n: Counter[tuple[int, int]] = Counter()
    cross_w: dict[tuple[int, int], float] = defaultdict(float)
    reach: dict[str, Counter[int]] = defaultdict(Counter)  # actor -> partners per community
    for a, b, d in c.h.edges(data=True):
        ca, cb = c.of[a], c.of[b]
        reach[a][cb] += 1
        reach[b][ca] += 1
        if ca != cb:
            key = (min(ca, cb), max(ca, cb))
            cross_n[key] += 1
            cross_w[key] += d["weight"]
    # the pairs listed, in the table's order, before anything else is made for them
    demand = [ia for ia in range(k) if c.kind[ia] == "需求型"]
    supply = [ib for ib in range(k) if c.kind[ib] == "供给型"]

    def score(ia: int, ib: int) -> float:
        return round(c.demand[ia] * c.supply[ib] / (1 + cross_n[min(ia, ib), max(ia, ib)]), 4)

    def order(ia: int, ib: int) -> tuple[float, int, int, int, str, str]:
        return (-score(ia, ib), cross_n[min(ia, ib), max(ia, ib)],
                -len(c.members[ia]), -len(c.members[ib]), c.ids[ia], c.ids[ib])

    pairs = ((ia, ib) for ia in demand for ib in supply
             if max_bridges is None or cross_n[min(ia, ib), max(ia, ib)] <= max_bridges)
    listed = (heapq.nsmallest(max_rows, pairs, key=lambda p: order(*p))
              if max_rows is not None else sorted(pairs, key=lambda p: order(*p)))
    wanted = {(min(ia, ib), max(ia, ib)) for ia, ib in listed}
    # an actor is a broker of every listed pair of communities it has partners in: index
    # the pairs from each actor's few communities instead of testing every actor per pair
    by_pair: dict[tuple[int, int], list[str]] = defaultdict(list)
    for n in sorted(reach):
        into = reach[n]
        sides = [x for x in into if c.kind[x] == "供给型"]
        for x in into:
            if c.kind[x] == "需求型":
                for y in sides:
                    if (key := (min(x, y), max(x, y))) in wanted:
                        by_pair[key].append(n)
    rows: list[dict[str, Any]] = []
    rank: dict[str, tuple[int, str, str]] = {}
    for ia, ib in listed:
        key = (min(ia, ib), max(ia, ib))
        n_bridges = cross_n[key]
        top = _brokers(g, c, ia, ib, reach, by_pair.get(key, []), max_brokers, rank)
        rows.append({
            "demand_community": c.ids[ia], "supply_community": c.ids[ib],
            "demand_label": c.label[ia], "supply_label": c.label[ib],
            "demand_size": len(c.members[ia]), "supply_size": len(c.members[ib]),
            "demand_actors": c.demand[ia], "supply_actors": c.supply[ib],
            "bridges": n_bridges, "bridge_weight": round(cross_w[key], 4),
            "hole_score": score(ia, ib),
            "demand_top": c.top[ia][:3], "supply_top": c.top[ib][:3],
            "brokers": [_name(g, n) for n, _ in top], "broker_uids": [n for n, _ in top],
            "broker_edges": [e for _, e in top]})
    return rows


def _brokers(g: nx.MultiDiGraph, c: _Communities, ia: int, ib: int,
             reach: Mapping[str, Counter[int]],
             candidates: Sequence[str], limit: int,
             rank: dict[str, tuple[int, str, str]]) -> list[tuple[str, int]]:
    """The ``limit`` best brokers of communities ``ia`` and ``ib`` with their bridging
    edges, best first.

    Ties of bridging edges are broken by the broker's number of cooperation
    partners, then by name (``rank`` keeps that part of each actor's order once
    computed: an actor brokers many pairs).
    """
    found: list[tuple[str, int]] = []
    for n in candidates:
        into = reach[n]
        home = c.of[n]
        bridging = into[ib] if home == ia else into[ia] if home == ib else into[ia] + into[ib]
        found.append((n, bridging))
    if not found or limit <= 0:
        return []

    def key(t: tuple[str, int]) -> tuple[int, int, str, str]:
        # ties of bridging edges: the broker with more partners is the better-placed
        # go-between (cheap where betweenness per community pair was not), then the name
        n = t[0]
        r = rank.get(n)
        if r is None:
            r = rank[n] = (-c.h.degree(n), *_order(g, n))
        return (-t[1], *r)

    return heapq.nsmallest(limit, found, key=key)
