"""Matchmaking's top-k walk stops at an upper bound of the scores left (match._bound): on a
generated city its pages equal those of evaluating every candidate, for needs of every
shape, and the bound is never below a candidate's score."""

from __future__ import annotations

import random
from typing import Any

import networkx as nx
import numpy as np
import pytest

from graph.analytics import match as match_mod
from graph.analytics.match import COMPONENTS, KINDS, match, prepare
from tests.conftest import generated_city


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> nx.MultiDiGraph:
    return generated_city(tmp_path_factory.mktemp("city"), actors=1500, seed=11)


def _needs(G: nx.MultiDiGraph, n: int) -> list[dict[str, Any]]:
    rng = random.Random(5)
    fields = sorted(d["name"] for _, d in G.nodes(data=True) if d.get("label") == "Field")
    keywords = sorted({k for _, d in G.nodes(data=True) for k in d.get("keywords") or ()
                       if 2 <= len(k) <= 12})
    needy = sorted({s for s, _, d in G.edges(data=True) if d.get("type") == "NEEDS"})
    out: list[dict[str, Any]] = []
    for i in range(n):
        need: dict[str, Any] = {"top": rng.choice([1, 5, 10, 30])}
        shape = i % 5
        if shape in (0, 1, 4):
            need["fields"] = rng.sample(fields, 1 + (shape == 4))
        if shape in (0, 2, 4):
            k = rng.choice(keywords)
            need["keywords"] = [k]
            need["text"] = f"需要{k}方面的技术与合作伙伴"
        if shape == 3:
            need["enterprise"] = rng.choice(needy)
        if shape == 1:
            need["kinds"] = rng.sample(sorted(KINDS), 2)
        if i % 7 == 0 and "enterprise" not in need:
            need["enterprise"] = rng.choice(needy)
        out.append(need)
    return out


def test_pages_equal_evaluating_every_candidate(city: nx.MultiDiGraph,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    needs = _needs(city, 60)
    pruned = [match(city, **need) for need in needs]
    evaluated: list[int] = []
    real_evaluate = match_mod._evaluate

    def counting(*args: Any, **kwargs: Any) -> Any:
        evaluated[-1] += 1
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(match_mod, "_evaluate", counting)
    monkeypatch.setattr(match_mod, "_bound",
                        lambda b, need, *rest: np.full(len(b.capacity), 10.0))
    walked_all = 0
    for need, got in zip(needs, pruned, strict=True):
        evaluated.append(0)
        full = match(city, **need)
        assert got.matches == full.matches, need
        assert got.scored == full.scored
        walked_all += evaluated[-1]
    assert walked_all > 0 and sum(r.scored for r in pruned) > 1000


def test_the_bound_is_never_below_a_score(city: nx.MultiDiGraph) -> None:
    f, index = prepare(city)
    assert f.bounds is not None
    for need_args in _needs(city, 25):
        need_args = {**need_args, "top": 100}
        result = match(city, **need_args)
        need = result.need
        related = match_mod._related_fields(f, need.fields)
        flat: dict[str, float] = {}
        for rel in related.values():
            for g, r in rel.items():
                flat[g] = max(flat.get(g, 0.0), r.sim)
        bm25 = index.scores(need.tokens, need.token_weights)
        text = bm25 / bm25.max() if bm25.size and bm25.max() > 0 else bm25
        bound = match_mod._bound(f.bounds, need, related, flat, text)
        for m in result.matches:
            score = sum(need.weights[k] * m.components[k] for k in COMPONENTS)
            # components are shown rounded to 4 places
            assert bound[index.position[m.uid]] >= score - 5e-4, (need_args, m.uid)
