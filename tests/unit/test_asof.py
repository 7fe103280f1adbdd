"""The graph as of a year: reading year specs, what is present when, the in-memory store
of a past year, and two years' rows side by side."""

from __future__ import annotations

import pytest

from graph.analytics.asof import (
    YearError,
    compare_rows,
    describe,
    edge_present,
    node_present,
    parse_years,
    records_as_of,
    store_as_of,
    year_span,
)

NODES = [
    {"uid": "ent:old", "label": "Enterprise", "name": "老企业", "founded_year": 2005},
    {"uid": "ent:new", "label": "Enterprise", "name": "新企业", "founded_year": 2019},
    {"uid": "uni:x", "label": "University", "name": "某大学"},  # no year: always there
    {"uid": "plt:lab", "label": "Platform", "name": "重点实验室", "approved_year": 2016},
    {"uid": "tgt:1", "label": "Target", "name": "新增平台", "year": 2020, "metric": "新增平台",
     "value": 5},  # timeless kind
    {"uid": "doc:1", "label": "Document", "name": "工作要点", "published": "2020-03-01"},
]
EDGES = [
    {"uid": "e1", "type": "COOPERATES_WITH", "source": "ent:old", "target": "uni:x",
     "first_year": 2012, "last_year": 2014},
    {"uid": "e2", "type": "COOPERATES_WITH", "source": "ent:new", "target": "uni:x",
     "first_year": 2019, "last_year": 2020},
    {"uid": "e3", "type": "HOSTED_BY", "source": "plt:lab", "target": "uni:x"},
    {"uid": "e4", "type": "MEMBER_OF", "source": "ent:old", "target": "plt:lab",
     "year": 2017},
]


@pytest.mark.parametrize(("text", "want"), [
    ("2019", (None, 2019)), (2019, (None, 2019)), ("2017-2019", (2017, 2019)),
    ("2017—2019", (2017, 2019)), (" 2017 - 2019 ", (2017, 2019)), ("", None), (None, None)])
def test_year_specs(text: object, want: object) -> None:
    assert parse_years(text) == want  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["abc", "19", "2019-", "2020-2017", "1800", "2019-2300",
                                  "2019年"])
def test_bad_year_specs_say_why_in_chinese(text: str) -> None:
    with pytest.raises(YearError) as err:
        parse_years(text)
    assert err.value.field == "year" and "年" in str(err.value)


def test_what_is_present_when() -> None:
    assert [n["uid"] for n in NODES if node_present(n, (None, 2010))] == [
        "ent:old", "uni:x", "tgt:1"]
    assert node_present(NODES[5], (None, 2020)) and not node_present(NODES[5], (None, 2019))
    # a relationship counts from its first year; a range keeps only those active in it
    assert edge_present(EDGES[0], (None, 2013)) and not edge_present(EDGES[1], (None, 2018))
    assert not edge_present(EDGES[0], (2015, 2020)) and edge_present(EDGES[1], (2015, 2020))
    assert edge_present(EDGES[2], (2015, 2016))  # no year: timeless
    nodes, edges = records_as_of(NODES, EDGES, (None, 2016))
    assert {n["uid"] for n in nodes} == {"ent:old", "uni:x", "plt:lab", "tgt:1"}
    assert {e["uid"] for e in edges} == {"e1", "e3"}  # e4 starts in 2017
    assert year_span(NODES, EDGES) == (2005, 2020)
    assert describe((None, 2019)) == "截至2019年" and describe((2017, 2019)) == "2017—2019年"


def test_a_past_year_is_a_store_answering_every_query() -> None:
    from graph.analytics.computed import project
    from graph.backends.embedded import EmbeddedStore

    now = EmbeddedStore(None)
    now.open()
    now.upsert_nodes(nodes=NODES)
    now.upsert_edges(edges=[{k: v for k, v in e.items() if k != "uid"} for e in EDGES])
    g = project(now)  # records as a store keeps them
    past = store_as_of([d for _, d in g.nodes(data=True)],
                       [d for *_, d in g.edges(keys=True, data=True)], (None, 2016), version=7)
    stats = past.stats()
    assert stats.node_total == 4 and sum(stats.relationships.values()) == 2
    assert [h.node.uid for h in past.search(text="企业")] == ["ent:old"]
    assert not past.find_records(uids=["ent:new"], limit=1)
    hood = past.neighbors(uid="uni:x")
    assert {n.uid for n in hood.nodes} == {"ent:old", "plt:lab"}
    assert past.version() == 7


def test_two_years_side_by_side() -> None:
    before = [{"field_uid": "f1", "field": "康复", "demand": 2, "gap_score": 1.5},
              {"field_uid": "f2", "field": "种业", "demand": 1, "gap_score": 0.5}]
    after = [{"field_uid": "f1", "field": "康复", "demand": 5, "gap_score": 2.0},
             {"field_uid": "f3", "field": "新材料", "demand": 3, "gap_score": 1.0}]
    rows = compare_rows(before, after, key="field_uid", labels=("2016", "当前"))
    by = {r["field_uid"]: r for r in rows}
    assert by["f1"]["demand@2016"] == 2 and by["f1"]["demand@当前"] == 5
    assert by["f1"]["demand@变化"] == 3 and by["f1"]["gap_score@变化"] == 0.5
    assert by["f3"]["demand@2016"] is None and by["f3"]["demand@变化"] is None
    assert by["f2"]["field"] == "种业" and by["f2"]["demand@当前"] is None
    assert [r["field_uid"] for r in rows] == ["f1", "f3", "f2"]
