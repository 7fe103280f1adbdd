"""Partner recommendations on a hand-made graph."""

from __future__ import annotations

import networkx as nx
import pytest

from graph.analytics.recommend import default_kinds, recommend_partners


def _graph() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    nodes = {
        "ent:a": ("Enterprise", "甲公司"), "ent:b": ("Enterprise", "乙公司"),
        "uni:x": ("University", "X大学"), "uni:y": ("University", "Y大学"),
        "ins:z": ("Institute", "Z研究院"), "team:t": ("Team", "T团队"),
        "fld:r": ("Field", "康复医疗装备"), "fld:m": ("Field", "新材料"),
    }
    for uid, (label, name) in nodes.items():
        g.add_node(uid, uid=uid, label=label, name=name, keywords=[])

    def coop(a: str, b: str, year: int) -> None:
        g.add_edge(a, b, key=f"{a}|{b}", uid=f"{a}|{b}", type="COOPERATES_WITH",
                   first_year=year, last_year=year)

    coop("ent:a", "ent:b", 2018)
    coop("ent:b", "uni:y", 2019)
    coop("ent:b", "team:t", 2019)
    coop("ent:a", "uni:x", 2017)
    g.add_edge("ent:a", "fld:r", type="NEEDS", uid="n1", keywords=["外骨骼"])
    g.add_edge("ins:z", "fld:r", type="OFFERS", uid="o1", keywords=["外骨骼"])
    g.add_edge("uni:y", "fld:m", type="OFFERS", uid="o2")
    return g


def test_enterprise_gets_research_partners_with_reasons() -> None:
    recs = recommend_partners(_graph(), "ent:a", k=10)
    uids = [r["uid"] for r in recs]
    assert set(uids) == {"uni:y", "ins:z", "team:t"}  # uni:x already a partner; no enterprises
    by = {r["uid"]: r for r in recs}
    assert by["uni:y"]["shared_partners"] == ["乙公司"]
    assert "共同合作伙伴1个:乙公司" in by["uni:y"]["reason"]
    assert by["ins:z"]["shared_fields"] == ["康复医疗装备"]
    assert "同属领域:康复医疗装备" in by["ins:z"]["reason"]
    assert by["uni:y"]["structure"] > by["ins:z"]["structure"]
    assert [r["score"] for r in recs] == sorted((r["score"] for r in recs), reverse=True)


def test_kinds_and_defaults() -> None:
    assert "Enterprise" not in default_kinds("Enterprise")
    assert default_kinds("University") == ("Enterprise",)
    recs = recommend_partners(_graph(), "uni:y", k=5)
    assert [r["uid"] for r in recs] == ["ent:a"]  # the only enterprise not yet linked
    only = recommend_partners(_graph(), "ent:a", kinds=["Team"])
    assert [r["uid"] for r in only] == ["team:t"]
    with pytest.raises(KeyError):
        recommend_partners(_graph(), "nope")
