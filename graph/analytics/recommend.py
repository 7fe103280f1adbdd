"""Partner recommendations for one actor of the graph, each with its reasons.

The structural part is the link-prediction recommender of
:mod:`graph.analytics.linkpred`, trained on the graph's own history (project
participations and dated cooperations); content adds shared fields and
keywords; actor types decide who may be proposed (an enterprise is offered
universities, institutes, teams, talents, hospitals and platforms; research
actors are offered enterprises). The final score is

    score = 0.7 · structure + 0.3 · content,

where ``structure`` is the recommender's score min-max scaled over the
candidates and ``content`` = 0.7 · Jaccard(fields) + 0.3 · Jaccard(keywords).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from graph.analytics.computed import Computed
from graph.analytics.linkpred import CoopGraph, Participation, Recommender, classic_scores

RESEARCH = ("University", "Institute", "Team", "Talent", "Hospital", "Platform")
ACTOR_LABELS = frozenset({"Enterprise", "Government", *RESEARCH})
W_STRUCTURE, W_CONTENT = 0.7, 0.3


def default_kinds(label: str) -> tuple[str, ...]:
    """Whom an actor of ``label`` is offered by default."""
    if label == "Enterprise":
        return RESEARCH
    if label in RESEARCH:
        return ("Enterprise",)
    return tuple(sorted(ACTOR_LABELS))


def participations(g: nx.MultiDiGraph) -> list[Participation]:
    """Project participations of the graph, plus one pseudo-project per dated cooperation."""
    project_field: dict[str, str] = {}
    for u, v, d in g.edges(data=True):
        if d.get("type") == "IN_FIELD" and g.nodes[u].get("label") == "Project":
            project_field.setdefault(u, str(g.nodes[v].get("name", v)))
    rows: list[Participation] = []
    for u, v, d in g.edges(data=True):
        t = d.get("type")
        if t in ("PARTICIPATES_IN", "UNDERTAKES") and u in g and v in g:
            year = d.get("year") or g.nodes[v].get("year")
            if year is not None:
                rows.append(Participation(v, u, str(g.nodes[u].get("label")), int(year),
                                          project_field.get(v, "")))
        elif t == "COOPERATES_WITH":
            year = d.get("last_year") or d.get("year") or d.get("first_year")
            if year is not None:
                pid = f"coop:{d.get('uid')}"
                for a in (u, v):
                    rows.append(Participation(pid, a, str(g.nodes[a].get("label")), int(year)))
    return rows


def _profile(g: nx.MultiDiGraph, uid: str) -> tuple[set[str], set[str]]:
    fields: set[str] = set()
    keywords = set(g.nodes[uid].get("keywords") or [])
    for _, v, d in g.out_edges(uid, data=True):
        if d.get("type") in ("IN_FIELD", "OFFERS", "NEEDS"):
            fields.add(str(g.nodes[v].get("name", v)))
            keywords.update(d.get("keywords") or [])
    return fields, keywords


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _partners(g: nx.MultiDiGraph, uid: str) -> set[str]:
    out = {v for _, v, d in g.out_edges(uid, data=True) if d.get("type") == "COOPERATES_WITH"}
    return out | {u for u, _, d in g.in_edges(uid, data=True) if d.get("type") == "COOPERATES_WITH"}


@dataclass
class RecommendIndex:
    """What every recommendation of one graph shares, built once per store version:
    the cooperation graph as sparse matrices, the fitted recommender, each actor's
    fields, keywords and partners."""

    cg: CoopGraph
    model: Recommender
    profiles: dict[str, tuple[set[str], set[str]]]
    partners: dict[str, set[str]]
    by_field: dict[str, set[str]]


def build_index(g: nx.MultiDiGraph, *, model: Recommender | None = None) -> RecommendIndex:
    """The shared part of :func:`recommend_partners` for graph ``g``."""
    actors = sorted(n for n, d in g.nodes(data=True) if d.get("label") in ACTOR_LABELS)
    rows = participations(g)
    until = max((r.year for r in rows), default=0)
    cg = CoopGraph.build(rows, until=until, actors=actors)
    for a in actors:  # types from labels, also for actors without projects
        cg.types[cg.index[a]] = str(g.nodes[a].get("label"))
    if model is None:
        model = Recommender().fit(rows, train_until=until) if rows else Recommender()
    profiles = {a: _profile(g, a) for a in actors}
    by_field: dict[str, set[str]] = defaultdict(set)
    for a, (fields, _) in profiles.items():
        for f in fields:
            by_field[f].add(a)
    return RecommendIndex(cg, model, profiles, {a: _partners(g, a) for a in actors},
                          dict(by_field))


def recommend_index(computed: Computed) -> RecommendIndex:
    """The :class:`RecommendIndex` of a store version, built once and kept with it."""
    with computed.lock:
        ix = computed.extras.get("recommend")
        if ix is None:
            ix = computed.extras["recommend"] = build_index(computed.graph)
    assert isinstance(ix, RecommendIndex)
    return ix


CONTENT_POOL = 500
"""Candidates whose content is scored: the best this many by structure, plus every
candidate sharing a field with the source (the only ones content can lift)."""


def recommend_partners(g: nx.MultiDiGraph, uid: str, *, kinds: Sequence[str] | None = None,
                       k: int = 20, model: Recommender | None = None,
                       index: RecommendIndex | None = None) -> list[dict[str, Any]]:
    """Ranked new partners for ``uid`` with a score breakdown and Chinese reasons.

    Args:
        g: The graph (``store.subgraph()``).
        uid: The actor asking.
        kinds: Labels that may be proposed (default: :func:`default_kinds`).
        k: How many to return.
        model: A fitted recommender to reuse; trained on ``g`` when None.
        index: The graph's :class:`RecommendIndex` (built from ``g`` when None); a
            server keeps one per store version, so a request scores one source.

    Raises:
        KeyError: ``uid`` is not in the graph.
    """
    if uid not in g:
        raise KeyError(uid)
    wanted = set(kinds or default_kinds(str(g.nodes[uid].get("label"))))
    ix = index or build_index(g, model=model)
    cg = ix.cg
    s = cg.index[uid]
    structure = ix.model.score(cg, s, candidate_types=wanted)
    allowed = np.isfinite(structure)
    if not allowed.any():
        return []
    lo, hi = structure[allowed].min(), structure[allowed].max()
    scaled = np.where(allowed, (structure - lo) / (hi - lo) if hi > lo else 0.0, -np.inf)
    my_fields, my_keywords = ix.profiles.get(uid, (set(), set()))
    pool = set(np.flatnonzero(allowed)[np.argsort(-scaled[allowed], kind="stable")]
               [:max(CONTENT_POOL, k)].tolist())
    for f in my_fields:
        pool.update(cg.index[a] for a in ix.by_field.get(f, ()) if a in cg.index)
    ra = classic_scores(cg, s)["ra"]
    mine = ix.partners.get(uid, set())
    results = []
    for c in sorted(c for c in pool if allowed[c]):
        cand = cg.actors[c]
        fields, keywords = ix.profiles.get(cand, (set(), set()))
        content = 0.7 * _jaccard(my_fields, fields) + 0.3 * _jaccard(my_keywords, keywords)
        score = W_STRUCTURE * float(scaled[c]) + W_CONTENT * content
        results.append((score, cand, float(scaled[c]), content, fields & my_fields,
                        keywords & my_keywords, float(ra[c])))
    results.sort(key=lambda r: (-r[0], str(g.nodes[r[1]].get("name")), r[1]))
    out = []
    for score, cand, struct, content, sf, sk, ra_c in results[:k]:
        shared = sorted(mine & ix.partners.get(cand, set()),
                        key=lambda x: str(g.nodes[x].get("name")))
        names = [str(g.nodes[x].get("name")) for x in shared]
        reasons = []
        if names:
            reasons.append(f"共同合作伙伴{len(names)}个:{'、'.join(names[:3])}"
                           + ("等" if len(names) > 3 else ""))
        if sf:
            reasons.append(f"同属领域:{'、'.join(sorted(sf))}")
        if sk:
            reasons.append(f"共同关键词:{'、'.join(sorted(sk)[:5])}")
        recent = cg.recent[cg.index[cand]]
        if recent:
            reasons.append(f"近两年参与合作{int(recent)}次")
        out.append({"uid": cand, "label": g.nodes[cand].get("label"),
                    "name": g.nodes[cand].get("name"), "score": round(score, 4),
                    "structure": round(struct, 4), "content": round(content, 4),
                    "resource_allocation": round(ra_c, 4), "shared_partners": names,
                    "shared_fields": sorted(sf), "reason": ";".join(reasons) or "同类主体中较活跃"})
    return out


def recommend_many(g: nx.MultiDiGraph, uids: Sequence[str], *,
                   kinds: Sequence[str] | None = None,
                   k: int = 20) -> dict[str, list[dict[str, Any]]]:
    """Batch mode: one trained model serves every source."""
    index = build_index(g)
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for uid in uids:
        out[uid] = recommend_partners(g, uid, kinds=kinds, k=k, index=index)
    return dict(out)
