"""The field part of a recommendation's candidate pool (recommend.field_pool) taken from
index arrays: on a generated city, for every kind of source, the same actors as
filtering every field member by label and sorting them all by structure, then uid."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest

from graph.analytics import recommend as rec
from tests.conftest import generated_city


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> nx.MultiDiGraph:
    return generated_city(tmp_path_factory.mktemp("city"), actors=1200, seed=17)


def _reference(ix: rec.RecommendIndex, g: nx.MultiDiGraph, fields: set[str],
               labels: list[str], taken: set[str], structure: np.ndarray) -> set[str]:
    members = {a for a, (fs, _) in ix.profiles.items() if fs & fields
               and str(g.nodes[a].get("label")) in labels and a not in taken}

    def struct(c: str) -> float:
        v = structure[ix.cg.index[c]]
        return float(v) if np.isfinite(v) else -np.inf

    return set(sorted(members, key=lambda c: (-struct(c), c))[:rec.FIELD_POOL])


@pytest.mark.parametrize("pool_size", [3, 40, 2_000])
def test_field_pool_equals_sorting_every_member(city: nx.MultiDiGraph, pool_size: int,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rec, "FIELD_POOL", pool_size)
    ix = rec.build_index(city)
    assert isinstance(ix.cg.types, tuple)
    rng = random.Random(pool_size)
    actors = sorted(a for a, (fs, _) in ix.profiles.items() if fs)
    assert len(actors) > 200
    kinds = sorted(rec.ACTOR_LABELS)
    compared = truncated = 0
    for source in rng.sample(actors, 60):
        fields = ix.profiles[source][0]
        labels = list(rec.default_kinds(str(city.nodes[source].get("label"))))
        if rng.random() < 0.3:
            labels = rng.sample(kinds, 2)
        taken = {source, *rng.sample(actors, 30)}
        n = len(ix.cg.actors)
        # the model's scores, and scores with many ties and missing values
        real = ix.model.score(ix.cg, ix.cg.index[source], candidate_types=set(labels))
        tied = np.array([rng.choice([0.0, 0.5, 1.0, -np.inf, np.nan]) for _ in range(n)])
        for structure in (real, tied):
            got = rec.field_pool(ix, fields, labels, taken, structure)
            want = _reference(ix, city, fields, labels, taken, structure)
            assert got == want, source
            compared += 1
            truncated += len(want) == pool_size
    assert compared == 120
    if pool_size < 2_000:
        assert truncated > 20  # the cut at FIELD_POOL was exercised
