"""A labelled evaluation of matchmaking: generated needs with graded relevance.

In a generated city (``innograph generate``) each enterprise's need is written from
the keywords of its field, and each team works in a known field, so relevance can be
graded without people: a team of the need's own field is grade 2, one of a
neighbouring field (parent, child or sibling under one parent) grade 1, any other 0.

For each need, only its text is given to :func:`graph.analytics.match.match` (no
enterprise, no field): the field must be understood from the words. The baseline is
plain BM25 over the same candidates and the same documents, query cut by jieba's
search mode with every token weighted alike, no field. Both are scored with
nDCG@10 (gains 2^grade − 1, the ideal from every candidate's grade) and precision@5
(the share of the first five that are of the need's own field, grade 2).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from graph.analytics.match import match, prepare


@dataclass(frozen=True)
class LabelledNeed:
    """A need's text, its field and the grade of every candidate team that is relevant."""

    enterprise: str
    text: str
    field: str
    grades: Mapping[str, int]


@dataclass
class MatchEval:
    """The figures of one evaluation run."""

    needs: int
    candidates: int
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    inferred: float = 0.0
    """Share of the needs whose inferred fields include the need's own."""


def _fields_of(g: nx.MultiDiGraph, uid: str) -> set[str]:
    return {v for _, v, d in g.out_edges(uid, data=True) if d.get("type") in ("IN_FIELD", "OFFERS")
            and g.nodes[v].get("label") == "Field"}


def labelled_needs(g: nx.MultiDiGraph, *, limit: int = 200, seed: int = 0,
                   kind: str = "Team") -> list[LabelledNeed]:
    """Up to ``limit`` needs (NEEDS with a description) drawn with ``seed``, graded over
    the candidates of label ``kind``."""
    needs = sorted((d["uid"] if d.get("uid") else f"{u}|{v}", u, v, str(d.get("description")))
                   for u, v, d in g.edges(data=True)
                   if d.get("type") == "NEEDS" and d.get("description"))
    random.Random(seed).shuffle(needs)
    return _graded(g, [(ent, text, fld) for _, ent, fld, text in needs[:limit]], kind)


def product_needs(g: nx.MultiDiGraph, products: Mapping[str, Sequence[str]], *,
                  limit: int = 200, seed: int = 0, kind: str = "Team") -> list[LabelledNeed]:
    """Short needs: a product's name alone (可穿戴外骨骼, 平衡功能训练仪), the field that
    makes it known to the generator (``products``: field name -> product names)."""
    by_name = {str(d.get("name")): u for u, d in g.nodes(data=True) if d.get("label") == "Field"}
    pairs = sorted((by_name[f], p) for f, ps in products.items() if f in by_name for p in ps)
    random.Random(seed).shuffle(pairs)
    return _graded(g, [("", product, fld) for fld, product in pairs[:limit]], kind)


def _graded(g: nx.MultiDiGraph, needs: Sequence[tuple[str, str, str]],
            kind: str) -> list[LabelledNeed]:
    """(enterprise, text, field) needs with every candidate of ``kind`` graded; a need
    no candidate is relevant to is left out."""
    parent = {u: v for u, v, d in g.edges(data=True) if d.get("type") == "SUBFIELD_OF"}
    teams = {u: _fields_of(g, u) for u, d in g.nodes(data=True) if d.get("label") == kind}
    out = []
    for ent, text, fld in needs:
        grades = {t: gr for t, fs in teams.items() if (gr := _grade(parent, fld, fs))}
        if grades:
            out.append(LabelledNeed(ent, text, fld, grades))
    return out


def _grade(parent: Mapping[str, str], need_field: str, fields: set[str]) -> int:
    """2: the need's own field; 1: its parent, a child or a sibling; else 0."""
    if need_field in fields:
        return 2
    p = parent.get(need_field)
    near = {p} if p else set()
    near |= {c for c, q in parent.items() if q == need_field}
    if p:
        near |= {c for c, q in parent.items() if q == p}
    return 1 if fields & near else 0


def ndcg(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with gains 2^grade − 1."""
    dcg = sum((2 ** grades.get(u, 0) - 1) / math.log2(i + 2) for i, u in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2 ** gr - 1) / math.log2(i + 2) for i, gr in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def precision(ranked: Sequence[str], grades: Mapping[str, int], k: int = 5) -> float:
    """Share of the first ``k`` of the need's own field (grade 2)."""
    return sum(1 for u in ranked[:k] if grades.get(u, 0) >= 2) / k


def evaluate(g: nx.MultiDiGraph, needs: Sequence[LabelledNeed], *, kind: str = "team",
             k: int = 10) -> MatchEval:
    """Rank each need with :func:`match` and with plain BM25; mean nDCG@k and P@5."""
    f, index = prepare(g)
    label = {"team": "Team", "talent": "Talent", "platform": "Platform"}[kind]
    cand = np.array([f.nodes[u].get("label") == label for u in index.uids])
    result = MatchEval(needs=len(needs), candidates=int(cand.sum()))
    sums: dict[str, dict[str, float]] = {"innograph": {"ndcg@10": 0.0, "p@5": 0.0},
                                         "bm25": {"ndcg@10": 0.0, "p@5": 0.0}}
    inferred = 0
    for need in needs:
        got = match(g, text=need.text, kinds=[kind], top=k)
        ours = [m.uid for m in got.matches]
        inferred += need.field in got.need.fields
        scores = index.scores(index.tokenizer.tokens(need.text))
        order = sorted((i for i in np.flatnonzero(cand & (scores > 0))),
                       key=lambda i: (-scores[i], index.uids[i]))
        base = [index.uids[i] for i in order[:k]]
        for name, ranked in (("innograph", ours), ("bm25", base)):
            sums[name]["ndcg@10"] += ndcg(ranked, need.grades, k)
            sums[name]["p@5"] += precision(ranked, need.grades, 5)
    n = max(len(needs), 1)
    result.metrics = {m: {x: round(v / n, 4) for x, v in vals.items()}
                      for m, vals in sums.items()}
    result.inferred = round(inferred / n, 4)
    return result
