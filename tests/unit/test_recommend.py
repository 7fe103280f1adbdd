"""Partner recommendations on a hand-made graph: evidence about the source, no padding."""

from __future__ import annotations

from typing import Any

import pytest

from graph.analytics.recommend import default_kinds, recommend_partners
from graph.backends.embedded import EmbeddedStore


def _store() -> EmbeddedStore:
    s = EmbeddedStore(None)
    s.open()
    nodes: dict[str, tuple[str, str]] = {
        "ent:a": ("Enterprise", "甲公司"), "ent:b": ("Enterprise", "乙公司"),
        "uni:x": ("University", "X大学"), "uni:y": ("University", "Y大学"),
        "ins:z": ("Institute", "Z研究院"), "team:t": ("Team", "T团队"),
        "ins:m": ("Institute", "矿山装备研究院"), "ins:w": ("Institute", "W研究院"),
        "fld:h": ("Field", "医疗健康"), "fld:r": ("Field", "康复医疗装备"),
        "fld:e": ("Field", "康复辅具"), "fld:k": ("Field", "矿山装备"),
    }
    s.upsert_nodes(nodes=[{"uid": u, "label": lab, "name": n} for u, (lab, n) in nodes.items()])

    def coop(a: str, b: str, year: int) -> dict[str, Any]:
        return {"type": "COOPERATES_WITH", "source": a, "target": b, "first_year": year,
                "last_year": year}

    # ins:m and ins:w are partners of a very active firm ent:b ... and of nobody else
    edges = [coop("ent:a", "ent:b", 2018), coop("ent:b", "uni:y", 2019),
             coop("ent:b", "team:t", 2019), coop("ent:a", "uni:x", 2017),
             coop("ent:b", "ins:m", 2019), coop("ins:w", "uni:x", 2016),
             {"type": "NEEDS", "source": "ent:a", "target": "fld:r", "keywords": ["外骨骼"]},
             {"type": "OFFERS", "source": "ins:z", "target": "fld:r", "keywords": ["外骨骼"]},
             {"type": "OFFERS", "source": "ins:w", "target": "fld:e"},
             {"type": "OFFERS", "source": "ins:m", "target": "fld:k"},
             {"type": "SUBFIELD_OF", "source": "fld:r", "target": "fld:h"},
             {"type": "SUBFIELD_OF", "source": "fld:e", "target": "fld:h"}]
    # popular actors without any tie to ent:a's neighbourhood or fields
    for i in range(5):
        nodes_i = [{"uid": f"uni:p{i}", "label": "University", "name": f"热门大学{i}"},
                   {"uid": f"ent:q{i}", "label": "Enterprise", "name": f"其他企业{i}"}]
        s.upsert_nodes(nodes=nodes_i)
        edges += [coop(f"uni:p{i}", f"ent:q{j}", 2019) for j in range(i + 1)]
    s.upsert_edges(edges=edges)
    return s


def test_enterprise_gets_research_partners_with_reasons_about_it() -> None:
    recs = recommend_partners(_store(), "ent:a", k=20)
    by = {r["uid"]: r for r in recs}
    # uni:x is a partner already, enterprises are not offered, popular universities have no
    # evidence about 甲公司, the mining institute is of another domain
    assert set(by) == {"uni:y", "ins:z", "team:t", "ins:w"}
    assert len(recs) < 20  # no padding
    assert by["uni:y"]["shared_partners"] == ["乙公司"]
    assert "与甲公司有共同合作伙伴1个:乙公司" in by["uni:y"]["reason"]
    assert by["ins:z"]["shared_fields"] == ["康复医疗装备"]
    assert "同属领域:康复医疗装备" in by["ins:z"]["reason"]
    assert "领域相近(同属医疗健康)" in by["ins:w"]["reason"]
    assert all("近两年" not in r["reason"] and r["reason"] for r in recs)
    assert [r["score"] for r in recs] == sorted((r["score"] for r in recs), reverse=True)


def test_without_fields_the_neighbourhood_decides() -> None:
    recs = recommend_partners(_store(), "ent:b", k=20)
    # ent:b has no field: its partners' partners are the evidence (uni:x via 甲公司)
    assert [r["uid"] for r in recs] == ["uni:x"]
    assert recs[0]["shared_partners"] == ["甲公司"]


def test_kinds_and_defaults() -> None:
    assert "Enterprise" not in default_kinds("Enterprise")
    assert default_kinds("University") == ("Enterprise",)
    store = _store()
    assert [r["uid"] for r in recommend_partners(store, "uni:y", k=5)] == ["ent:a"]
    only = recommend_partners(store, "ent:a", kinds=["Team"])
    assert [r["uid"] for r in only] == ["team:t"]
    # its partner's partners are universities: no enterprise has evidence, none is padded in
    assert recommend_partners(store, "uni:p0", k=5) == []
    with pytest.raises(KeyError):
        recommend_partners(store, "nope")


def test_a_new_version_keeps_the_fitted_model_until_the_data_grew_enough() -> None:
    from graph.analytics.computed import project
    from graph.analytics.recommend import REFIT_GROWTH, build_index

    s = _store()
    first = build_index(project(s))
    year, rows = first.fitted_on
    assert year == 2019 and rows > 0

    def coop(a: str, b: str, year: int) -> dict[str, Any]:
        return {"type": "COOPERATES_WITH", "source": a, "target": b, "first_year": year,
                "last_year": year}

    s.upsert_edges(edges=[coop("uni:y", "ins:z", 2019)])  # two rows more: a little growth
    assert rows * REFIT_GROWTH >= 2
    small = build_index(project(s), previous=first)
    assert small.model is first.model and small.fitted_on == first.fitted_on
    # the graph it scores on is the new one: only the learnt weights are kept
    assert small.cg.adjacency[small.cg.index["uni:y"], small.cg.index["ins:z"]] > 0
    assert first.cg.adjacency[first.cg.index["uni:y"], first.cg.index["ins:z"]] == 0
    s.upsert_edges(edges=[coop(f"uni:p{i}", "ins:z", 2019) for i in range(5)])
    grown = build_index(project(s), previous=small)  # more than REFIT_GROWTH since the fit
    assert grown.model is not first.model and grown.fitted_on[1] > rows
    s.upsert_edges(edges=[coop("ent:a", "ins:z", 2020)])
    newer = build_index(project(s), previous=grown)  # a new year: refitted
    assert newer.model is not grown.model and newer.fitted_on[0] == 2020
