"""One contract for every GraphStore backend: run on embedded and on real Neo4j."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from graph.errors import BatchRejected, GraphError, NotFound, QueryLimitError
from graph.store import GraphStore
from schemas import Enterprise, Talent
from schemas.records import node_to_record
from tests.conftest import reopen_store
from tests.contract.fixture import EDGES, NODES


@pytest.fixture
def loaded(store: GraphStore) -> GraphStore:
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    return store


def _stats(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    s = store.stats()
    return s.nodes, s.relationships


# writes -----------------------------------------------------------------------------
def test_upsert_counts_created_then_unchanged(store: GraphStore) -> None:
    first = store.upsert_nodes(nodes=NODES)
    assert (first.created, first.updated, first.unchanged) == (len(NODES), 0, 0)
    edges = store.upsert_edges(edges=EDGES)
    assert edges.created == len(EDGES)
    before = _stats(store)
    stamp = store.get_node(uid="ent:a").provenance.ingested_at
    again = store.upsert_nodes(nodes=NODES)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(NODES))
    assert store.upsert_edges(edges=EDGES).unchanged == len(EDGES)
    assert _stats(store) == before
    assert store.get_node(uid="ent:a").provenance.ingested_at == stamp


def test_upsert_changed_content_counts_updated_and_replaces(store: GraphStore) -> None:
    store.upsert_nodes(nodes=NODES)
    changed = {**NODES[6], "keywords": ["康复机器人"], "employees": 120}
    result = store.upsert_nodes(nodes=[changed])
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    node = store.get_node(uid="ent:a")
    assert isinstance(node, Enterprise)
    assert node.keywords == ["康复机器人"] and node.employees == 120
    assert node.tags == ["高新技术企业"]


def test_symmetric_cooperation_is_one_edge(store: GraphStore) -> None:
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=[{"type": "COOPERATES_WITH", "source": "ent:a",
                               "target": "uni:4137010436"}])
    result = store.upsert_edges(edges=[{"type": "COOPERATES_WITH", "source": "uni:4137010436",
                                        "target": "ent:a"}])
    assert result.unchanged == 1
    assert store.stats().relationships == {"COOPERATES_WITH": 1}


def test_round_trip_keeps_every_field(store: GraphStore) -> None:
    store.upsert_nodes(nodes=NODES)
    talent = store.get_node(uid="tal:张三@泰山学院")
    assert isinstance(talent, Talent)
    assert talent.phone == "13800000000" and talent.title == "教授"
    node = store.get_node(uid="plt:community")
    assert node.model_dump()["platform_type"] == "创新创业共同体"
    assert store.get_node(uid="uni:4137010434").aliases == ["山农大"]


@pytest.mark.parametrize("bad, field", [
    ({"label": "Company", "uid": "x:1", "name": "某公司"}, "label"),
    ({"label": "Enterprise", "name": "没有uid的公司"}, "uid"),
    ({"label": "Enterprise", "uid": "x:2", "name": "某公司", "founded_year": "去年"},
     "founded_year"),
    ({"label": "Enterprise", "uid": "x:3", "name": "某公司", "credit_code": "123"},
     "credit_code"),
    ({"label": "Enterprise", "uid": "x:4", "name": "某公司", "nickname": "x"}, "nickname"),
    ({"label": "Platform", "uid": "x:5", "name": "某平台", "platform_type": "咖啡馆"},
     "platform_type"),
])
def test_bad_node_rejects_the_whole_batch(store: GraphStore, bad: dict[str, Any],
                                          field: str) -> None:
    store.upsert_nodes(nodes=NODES[:2])
    before = _stats(store)
    good = {"label": "Enterprise", "uid": "ent:new", "name": "新公司"}
    with pytest.raises(BatchRejected) as info:
        store.upsert_nodes(nodes=[good, bad])
    assert info.value.index == 1
    assert field in str(info.value)
    assert _stats(store) == before
    assert store.find_nodes(uids=["ent:new"]) == []


@pytest.mark.parametrize("bad, words", [
    ({"type": "LIKES", "source": "ent:a", "target": "ent:b"}, ["LIKES"]),
    ({"type": "COOPERATES_WITH", "source": "ent:a", "target": "ent:nowhere"},
     ["ent:nowhere", "不存在"]),
    ({"type": "HOSTED_BY", "source": "ent:a", "target": "uni:4137010434"},
     ["HOSTED_BY", "企业"]),
    ({"type": "COOPERATES_WITH", "source": "ent:a", "target": "ent:b", "weight": "很多"},
     ["weight"]),
    ({"type": "COOPERATES_WITH", "source": "ent:a"}, ["target"]),
])
def test_bad_edge_rejects_the_whole_batch(store: GraphStore, bad: dict[str, Any],
                                          words: list[str]) -> None:
    store.upsert_nodes(nodes=NODES)
    before = _stats(store)
    good = {"type": "COOPERATES_WITH", "source": "ent:a", "target": "ent:b"}
    with pytest.raises(BatchRejected) as info:
        store.upsert_edges(edges=[good, bad])
    for w in words:
        assert w in str(info.value)
    assert info.value.index == 1
    assert _stats(store) == before


def test_label_of_a_uid_cannot_change(store: GraphStore) -> None:
    store.upsert_nodes(nodes=NODES)
    with pytest.raises(BatchRejected, match="不能变成"):
        store.upsert_nodes(nodes=[{"label": "Institute", "uid": "ent:a", "name": "x"}])
    assert store.get_node(uid="ent:a").label == "Enterprise"


def test_delete_removes_node_and_its_relationships(loaded: GraphStore) -> None:
    n_edges = loaded.count_neighbors(uid="ent:a")
    deleted = loaded.delete(uids=["ent:a", "ent:unknown"])
    assert deleted == 1 + sum(n_edges.values())
    with pytest.raises(NotFound):
        loaded.get_node(uid="ent:a")
    assert loaded.get_edges(source="ent:a") == []


# reads ------------------------------------------------------------------------------
def test_find_by_name_variants(loaded: GraphStore) -> None:
    variants = ["泰安市产业技术创新研究院（山东产业技术研究院泰安分院）",
                "泰安市产业技术创新研究院 (山东产业技术研究院泰安分院)",
                "泰安市產業技術創新研究院(山東產業技術研究院泰安分院)",
                "山东产业技术研究院泰安分院"]
    for name in variants:
        found = loaded.find_nodes(name=name)
        assert [n.uid for n in found] == ["ins:泰安市产业技术创新研究院"], name
    assert [n.uid for n in loaded.find_nodes(name="山农大")] == ["uni:4137010434"]
    assert loaded.find_nodes(name="山东农业工程学院") == []


def test_find_filters_and_order(loaded: GraphStore) -> None:
    unis = loaded.find_nodes(label="University")
    assert [n.name for n in unis] == sorted(n.name for n in unis)
    assert {n.uid for n in unis} == {"uni:4137010434", "uni:4137010436", "uni:4137013994"}
    tagged = loaded.find_nodes(label="Enterprise", where={"tags": "高新技术企业"})
    assert [n.uid for n in tagged] == ["ent:a"]
    assert loaded.find_nodes(uids=["ent:b", "nope"])[0].uid == "ent:b"
    with pytest.raises(NotFound):
        loaded.get_node(uid="nope")


def test_search_chinese_substring_ranks_name_before_alias(loaded: GraphStore) -> None:
    hits = loaded.search(text="泰山")
    assert [h.node.uid for h in hits] == ["uni:4137010436", "uni:4137013994"]
    assert hits[0].score > hits[1].score  # the shorter name is the closer match
    hits = loaded.search(text="智慧康养")
    assert hits[0].node.uid == "plt:community" and hits[0].matched == "name"
    hits = loaded.search(text="泰安分院")
    assert hits[0].node.uid == "ins:泰安市产业技术创新研究院"
    assert [h.node.uid for h in loaded.search(text="外骨骼")] == ["ent:a"]
    assert loaded.search(text="外骨骼")[0].matched == "keyword"
    assert loaded.search(text="农大")[0].matched == "alias"
    assert loaded.search(text="医科大学") == []


def test_search_mixed_single_char_and_label_filter(loaded: GraphStore) -> None:
    assert {h.node.uid for h in loaded.search(text="院", labels=["University"])} == {
        "uni:4137010436", "uni:4137013994"}
    assert {h.node.uid for h in loaded.search(text="(山东产业")} == {"ins:泰安市产业技术创新研究院"}
    assert loaded.search(text="山农大")[0].matched == "alias"
    with pytest.raises(QueryLimitError):
        loaded.search(text="x", labels=["Company"])


def test_neighbors_counts_before_caps(loaded: GraphStore) -> None:
    hood = loaded.neighbors(uid="ent:a")
    assert hood.counts == {"COOPERATES_WITH": 2, "IN_FIELD": 1, "MEMBER_OF": 1}
    assert {n.uid for n in hood.nodes} == {"uni:4137010434", "team:r", "fld:rehab",
                                           "plt:community"}
    assert not hood.truncated
    capped = loaded.neighbors(uid="ent:a", per_type_limit=1)
    assert capped.counts == hood.counts and capped.truncated
    coop = [n.uid for n in capped.nodes if n.uid in {"uni:4137010434", "team:r"}]
    assert coop == ["uni:4137010434"]  # 山东农业大学 sorts before 康复机器人创新团队? by name
    only = loaded.neighbors(uid="ent:a", rel_types=["COOPERATES_WITH"], labels=["Team"])
    assert [n.uid for n in only.nodes] == ["team:r"] and only.counts == {"COOPERATES_WITH": 1}


def test_neighbors_depth_direction_and_limit(loaded: GraphStore) -> None:
    two = loaded.neighbors(uid="plt:lab", depth=2)
    assert "ent:a" in {n.uid for n in two.nodes}
    assert all(r.source in {n.uid for n in two.nodes} | {"plt:lab"} for r in two.relationships)
    out = loaded.neighbors(uid="plt:lab", direction="out")
    assert {n.uid for n in out.nodes} == {"uni:4137010434", "plt:community"}
    inward = loaded.neighbors(uid="uni:4137010434", direction="in", rel_types=["HOSTED_BY"])
    assert {n.uid for n in inward.nodes} == {"plt:lab"}
    small = loaded.neighbors(uid="plt:community", limit=2)
    assert len(small.nodes) == 2 and small.truncated
    with pytest.raises(QueryLimitError):
        loaded.neighbors(uid="ent:a", depth=7)
    with pytest.raises(NotFound):
        loaded.neighbors(uid="nope")


def test_paths_shortest_k_and_hops(loaded: GraphStore) -> None:
    paths = loaded.shortest_paths(source="uni:4137010434", target="team:r", k=3, max_hops=4)
    assert [p.hops for p in paths] == sorted(p.hops for p in paths)
    assert [n.uid for n in paths[0].nodes] == ["uni:4137010434", "ent:a", "team:r"]
    assert paths[0].steps[0].type == "COOPERATES_WITH"
    assert len(paths) == 3
    assert all(len({n.uid for n in p.nodes}) == len(p.nodes) for p in paths)
    assert loaded.shortest_paths(source="uni:4137010434", target="uni:4137010436",
                                 max_hops=2) == []
    far = loaded.shortest_paths(source="uni:4137010434", target="uni:4137010436", max_hops=4)
    assert far and far[0].hops == 4


def test_paths_type_filter_and_limits(loaded: GraphStore) -> None:
    coop = loaded.shortest_paths(source="uni:4137010434", target="team:r", k=5,
                                 rel_types=["COOPERATES_WITH"])
    assert len(coop) == 1 and all(s.type == "COOPERATES_WITH" for s in coop[0].steps)
    member = loaded.shortest_paths(source="plt:lab", target="ent:a", rel_types=["MEMBER_OF"])
    assert [n.uid for n in member[0].nodes] == ["plt:lab", "plt:community", "ent:a"]
    assert member[0].steps[0].forward and not member[0].steps[1].forward
    with pytest.raises(QueryLimitError):
        loaded.shortest_paths(source="plt:lab", target="ent:a", max_hops=7)
    with pytest.raises(NotFound):
        loaded.shortest_paths(source="plt:lab", target="nope")


def test_subgraph_and_stats(loaded: GraphStore) -> None:
    g = loaded.subgraph(uids=["ent:a", "team:r", "uni:4137010434", "fld:rehab"])
    assert set(g.nodes) == {"ent:a", "team:r", "uni:4137010434", "fld:rehab"}
    assert {d["type"] for _, _, d in g.edges(data=True)} == {
        "COOPERATES_WITH", "IN_FIELD", "OFFERS"}
    assert g.nodes["ent:a"]["label"] == "Enterprise"
    whole = loaded.subgraph()
    assert whole.number_of_nodes() == len(NODES) and whole.number_of_edges() == len(EDGES)
    stats = loaded.stats()
    assert stats.node_total == len(NODES) and stats.relationship_total == len(EDGES)
    assert stats.nodes["University"] == 3


def test_count_nodes_follows_every_write(loaded: GraphStore, backend: str,
                                         tmp_path: Path) -> None:
    def counts(store: GraphStore) -> dict[str, int]:
        return {label: n for label in ("Enterprise", "University", "Team", "Talent")
                if (n := store.count_nodes(label))}

    def stated(store: GraphStore) -> dict[str, int]:
        return {k: v for k, v in store.stats().nodes.items()
                if k in ("Enterprise", "University", "Team", "Talent")}

    assert counts(loaded) == stated(loaded) and counts(loaded)["University"] == 3
    loaded.upsert_nodes(nodes=[{"label": "Enterprise", "uid": "ent:dup",
                                "name": "泰安康养医疗器械有限责任公司"}])
    loaded.upsert_nodes(nodes=[{**NODES[6], "keywords": ["康复机器人"]}])  # an update
    grown = counts(loaded)
    assert grown == stated(loaded)
    rec = loaded.merge_nodes(keep="ent:a", merge=["ent:dup"], reason="x", rule="test")
    assert loaded.count_nodes("Enterprise") == grown["Enterprise"] - 1 == stated(
        loaded)["Enterprise"]
    loaded.unmerge(merge_id=rec.merge_id)
    assert counts(loaded) == grown
    loaded.delete(uids=["team:r"])
    assert loaded.count_nodes("Team") == grown.get("Team", 0) - 1
    assert counts(loaded) == stated(loaded)
    fresh = reopen_store(backend, loaded, tmp_path)
    try:
        assert counts(fresh) == counts(loaded)
    finally:
        fresh.close()
    assert loaded.count_nodes("Region") == stated(loaded).get("Region", 0)
    with pytest.raises(QueryLimitError):
        loaded.count_nodes("Nope")


def test_get_edges(loaded: GraphStore) -> None:
    out = loaded.get_edges(source="team:r")
    assert [(e.type, e.target) for e in out] == [("HOSTED_BY", "ent:b"), ("OFFERS", "fld:rehab")]
    coop = loaded.get_edges(rel_types=["COOPERATES_WITH"])
    assert len(coop) == 3
    assert loaded.get_edges(target="fld:rehab", rel_types=["NEEDS"])[0].description == "护理机器人"


# merges and persistence -------------------------------------------------------------
def test_merge_and_unmerge_round_trip(loaded: GraphStore) -> None:
    loaded.upsert_nodes(nodes=[{"label": "Enterprise", "uid": "ent:dup",
                                "name": "泰安康养医疗器械有限责任公司"}])
    loaded.upsert_edges(edges=[{"type": "COOPERATES_WITH", "source": "ent:dup",
                                "target": "uni:4137010436"},
                               {"type": "COOPERATES_WITH", "source": "ent:dup",
                                "target": "ent:a"}])
    before = _stats(loaded)
    rec = loaded.merge_nodes(keep="ent:a", merge=["ent:dup"], reason="same credit code",
                             rule="test")
    kept = loaded.get_node(uid="ent:a")
    assert "泰安康养医疗器械有限责任公司" in kept.aliases
    assert loaded.find_nodes(name="泰安康养医疗器械有限责任公司")[0].uid == "ent:a"
    with pytest.raises(NotFound):
        loaded.get_node(uid="ent:dup")
    partners = {e.target if e.source == "ent:a" else e.source
                for e in loaded.get_edges(rel_types=["COOPERATES_WITH"])
                if "ent:a" in (e.source, e.target)}
    assert "uni:4137010436" in partners
    assert [m.merge_id for m in loaded.merge_history()] == [rec.merge_id]
    loaded.unmerge(merge_id=rec.merge_id)
    assert _stats(loaded) == before
    assert loaded.get_node(uid="ent:a").aliases == []
    assert loaded.get_node(uid="ent:dup").name == "泰安康养医疗器械有限责任公司"
    assert loaded.merge_history()[0].undone
    with pytest.raises(GraphError):
        loaded.unmerge(merge_id=rec.merge_id)
    with pytest.raises(GraphError, match="不同类别"):
        loaded.merge_nodes(keep="ent:a", merge=["team:r"], reason="x", rule="x")


def test_data_persists_across_restart(loaded: GraphStore, backend: str,
                                      tmp_path: Path) -> None:
    before = _stats(loaded)
    fresh = reopen_store(backend, loaded, tmp_path)
    try:
        assert _stats(fresh) == before
        assert fresh.find_nodes(name="山农大")[0].uid == "uni:4137010434"
        assert fresh.shortest_paths(source="uni:4137010434", target="team:r")[0].hops == 2
    finally:
        if backend == "neo4j":
            fresh.close()


def test_paths_year_window(loaded: GraphStore) -> None:
    # 山东农业大学 -合作(2017-2020)- ent:a -合作(no years)- team:r
    inside = loaded.shortest_paths(source="uni:4137010434", target="team:r",
                                   rel_types=["COOPERATES_WITH"], years=(2019, 2021))
    assert [n.uid for n in inside[0].nodes] == ["uni:4137010434", "ent:a", "team:r"]
    before = loaded.shortest_paths(source="uni:4137010434", target="team:r",
                                   rel_types=["COOPERATES_WITH"], years=(2010, 2015))
    assert before == []


# scale: versions, scans, derived results ----------------------------------------------
def test_every_commit_bumps_the_version_a_property_update_included(store: GraphStore) -> None:
    v0 = store.version()
    store.upsert_nodes(nodes=NODES)
    v1 = store.version()
    assert v1 > v0
    store.upsert_nodes(nodes=NODES)  # unchanged: nothing committed
    assert store.version() == v1
    store.upsert_nodes(nodes=[{**NODES[6], "keywords": ["康复机器人"]}])  # no count changes
    v2 = store.version()
    assert v2 > v1
    store.clear()
    assert store.version() > v2


def test_a_record_read_as_absent_but_stored_meanwhile_is_replaced_not_doubled(
        loaded: GraphStore, backend: str, caplog: pytest.LogCaptureFixture) -> None:
    # commit(absent=...) names records the writer read as not stored: a backend may
    # create them without a look-up. Another writer may have stored them in between;
    # the outcome must still be a replacement by uid, never a second copy or an error.
    caplog.set_level(logging.INFO, logger="innograph.neo4j")
    node = loaded.read_nodes(uids=["ent:a"])["ent:a"]
    edge_uid = sorted(loaded.read_edges(node_uids=["ent:a"]))[0]
    edge = loaded.read_edges(uids=[edge_uid])[edge_uid]
    new = node_to_record(Enterprise(uid="ent:zz", name="新建的公司"))
    before = _stats(loaded)
    version = loaded.version()
    loaded.commit(put_nodes=[{**node, "employees": 7}, new],
                  put_edges=[{**edge, "keywords": ["争用"]}],
                  absent={"ent:a", edge_uid, "ent:zz"})
    nodes, rels = _stats(loaded)
    assert rels == before[1]
    assert sum(nodes.values()) == sum(before[0].values()) + 1
    assert loaded.read_nodes(uids=["ent:a"])["ent:a"]["employees"] == 7
    assert loaded.read_nodes(uids=["ent:zz"])["ent:zz"]["name"] == new["name"]
    assert loaded.read_edges(uids=[edge_uid])[edge_uid]["keywords"] == ["争用"]
    assert loaded.version() > version
    assert len(loaded.find_records(name="新建的公司")) == 1
    if backend == "neo4j":  # the create was refused by the uid constraint, then replaced
        assert "按标识重新写入" in caplog.text


def test_scans_stream_every_record_in_batches(loaded: GraphStore) -> None:
    batches = list(loaded.scan_nodes(batch_size=3))
    assert all(len(b) <= 3 for b in batches)
    nodes = {r["uid"]: r for b in batches for r in b}
    assert set(nodes) == {n["uid"] for n in NODES}
    assert nodes["ent:a"] == loaded.read_nodes(uids=["ent:a"])["ent:a"]
    batches = list(loaded.scan_edges(batch_size=2))
    assert all(len(b) <= 2 for b in batches)
    edges = {r["uid"]: r for b in batches for r in b}
    # every relationship once (a database streams them grouped by their source node)
    assert sum(len(b) for b in batches) == len(edges) == sum(
        loaded.stats().relationships.values())
    assert edges == loaded.read_edges(uids=list(edges))
    only = [r for b in loaded.scan_nodes(labels=["Enterprise"]) for r in b]
    assert only and {r["label"] for r in only} == {"Enterprise"}
    typed = [r for b in loaded.scan_edges(rel_types=["COOPERATES_WITH"]) for r in b]
    assert {r["type"] for r in typed} == {"COOPERATES_WITH"}
    assert len(typed) == loaded.stats().relationships["COOPERATES_WITH"]
    with pytest.raises(QueryLimitError):
        list(loaded.scan_nodes(labels=["Nope"]))


def test_relationships_are_read_back_by_uid(loaded: GraphStore) -> None:
    uids = sorted(r["uid"] for b in loaded.scan_edges() for r in b)
    got = loaded.read_edges(uids=[*uids[:3], "ent:a|NOPE||ent:b", "x|COOPERATES_WITH||y"])
    assert sorted(got) == uids[:3]


def test_derived_results_are_kept_without_bumping_the_version(loaded: GraphStore) -> None:
    v = loaded.version()
    loaded.save_derived(name="gap-tables", version=v, data="表".encode())
    assert loaded.version() == v
    assert loaded.load_derived(name="gap-tables") == (v, "表".encode())
    loaded.save_derived(name="gap-tables", version=v, data=b"\x00\x01")
    assert loaded.load_derived(name="gap-tables") == (v, b"\x00\x01")
    assert loaded.load_derived(name="other") is None


def test_search_sees_renamed_and_deleted_nodes(loaded: GraphStore) -> None:
    assert [h.node.uid for h in loaded.search(text="康养医疗器械")][:1] == ["ent:a"]
    loaded.upsert_nodes(nodes=[{**NODES[6], "name": "泰安义锦器材有限公司", "aliases": [],
                                "keywords": []}])
    assert "ent:a" not in [h.node.uid for h in loaded.search(text="康养医疗器械")]
    assert [h.node.uid for h in loaded.search(text="义锦器材")] == ["ent:a"]
    loaded.delete(uids=["ent:a"])
    assert loaded.search(text="义锦器材") == []


def _partner_graph(store: GraphStore) -> None:
    """s works with p1 (cooperation) and p2 (project X); p1 works with c1 and c2 (project
    Y), p2 with c1 and the hub h; h works with s as well, so it is a partner, not a
    candidate; u is a university partner of p2."""
    ent = [{"uid": u, "label": "Enterprise", "name": f"企业{u}"} for u in
           ("s", "p1", "p2", "c1", "c2", "h", "far")]
    uni = [{"uid": "u", "label": "University", "name": "某大学"}]
    proj = [{"uid": x, "label": "Project", "name": f"项目{x}", "year": 2020} for x in "XY"]
    store.upsert_nodes(nodes=ent + uni + proj)

    def coop(a: str, b: str) -> dict[str, Any]:
        return {"type": "COOPERATES_WITH", "source": a, "target": b, "year": 2020}

    def part(a: str, x: str) -> dict[str, Any]:
        return {"type": "PARTICIPATES_IN", "source": a, "target": x}

    store.upsert_edges(edges=[
        coop("s", "p1"), part("s", "X"), part("p2", "X"), coop("p1", "c1"),
        part("p1", "Y"), {"type": "UNDERTAKES", "source": "c2", "target": "Y"},
        coop("c1", "p2"), coop("p2", "h"), coop("h", "s"), coop("u", "p2"), coop("c2", "far")])


def test_partner_neighbourhood_walks_cooperations_and_shared_projects(store: GraphStore) -> None:
    _partner_graph(store)
    hood = store.partner_neighbourhood(uid="s")
    assert hood.partners == ["h", "p1", "p2"]
    by = {c.uid: c for c in hood.candidates}
    # degrees count partner ties: p1 has 3 (s, c1, Y), p2 has 4 (X, c1, h, u), h has 2
    assert by["c1"].via == [(3, "p1"), (4, "p2")]
    assert by["c1"].resource_allocation == round(1 / 3 + 1 / 4, 9)
    assert by["c2"].via == [(3, "p1")]
    assert [c.uid for c in hood.candidates] == ["c1", "c2", "u"]  # "far" is three away
    only = store.partner_neighbourhood(uid="s", labels=["University"])
    assert [c.uid for c in only.candidates] == ["u"]
    # a partner above the hub degree is not walked through
    assert [c.uid for c in store.partner_neighbourhood(uid="s", max_degree=3).candidates] \
        == ["c1", "c2"]
    assert store.partner_neighbourhood(uid="far").partners == ["c2"]
    # c1 and s tie through p1 (1/3 each): uid decides, and the limit cuts after it
    assert [c.uid for c in store.partner_neighbourhood(uid="c2", limit=1).candidates] == ["c1"]
    with pytest.raises(NotFound):
        store.partner_neighbourhood(uid="nobody")


def test_analysis_written_onto_nodes_is_not_content(loaded: GraphStore, backend: str) -> None:
    from graph.analytics.computed import analyse

    v = loaded.version()
    before = loaded.read_nodes(uids=["ent:a"])["ent:a"]
    analyse(loaded)
    assert loaded.version() == v  # a computed result, not a change of the graph
    assert loaded.read_nodes(uids=["ent:a"])["ent:a"] == before
    assert all(not k.startswith("analysis_") for batch in loaded.scan_nodes()
               for rec in batch for k in rec)
    # re-ingesting the same node changes nothing
    assert loaded.upsert_nodes(nodes=[NODES[6]]).unchanged == 1
    with pytest.raises(QueryLimitError):
        loaded.write_analysis(name="Bad Name", values={})
    if backend == "neo4j":
        from graph.backends.neo4j.store import make_driver
        from tests.conftest import neo4j_settings

        with make_driver(neo4j_settings()) as driver:
            rows, _, _ = driver.execute_query(
                "MATCH (n:Node) WHERE n.analysis_community IS NOT NULL "
                "RETURN n.uid AS uid, n.analysis_community AS c ORDER BY uid")
        got = {r["uid"]: r["c"] for r in rows}
        assert "ent:a" in got and got["ent:a"].startswith("C-")
        # a second write replaces the first: nodes no longer listed lose the property
        assert loaded.write_analysis(name="community", values={"ent:a": "C-x"}) == 1
        with make_driver(neo4j_settings()) as driver:
            rows, _, _ = driver.execute_query(
                "MATCH (n:Node) WHERE n.analysis_community IS NOT NULL "
                "RETURN n.uid AS uid, n.analysis_community AS c")
        assert [(r["uid"], r["c"]) for r in rows] == [("ent:a", "C-x")]


def test_search_ranks_over_every_match_not_a_sample(store: GraphStore) -> None:
    # 300 names contain the query; the exact name, the one that starts with it and the
    # tagged one must still come first, whatever order the index yields them in
    many = [{"uid": f"ent:{i:03d}", "label": "Enterprise", "name": f"泰安{i:03d}康复器材有限公司"}
            for i in range(300)]
    store.upsert_nodes(nodes=[*many,
                              {"uid": "ent:exact", "label": "Enterprise", "name": "康复器材"},
                              {"uid": "ent:start", "label": "Enterprise", "name": "康复器材厂"},
                              {"uid": "ent:tag", "label": "Enterprise", "name": "甲公司",
                               "tags": ["康复器材"]}])
    hits = store.search(text="康复器材", limit=4)
    assert [h.node.uid for h in hits] == ["ent:exact", "ent:start", "ent:000", "ent:001"]
    tagged = store.search(text="康复器材", limit=400)
    assert tagged[-1].node.uid == "ent:tag" and tagged[-1].matched == "tag"
    assert len(tagged) == 303


def test_match_candidates_come_from_the_store_and_equal_the_in_process_pool(
        store: GraphStore) -> None:
    """On Neo4j matchmaking's candidate pool is one Cypher query over the full-text index
    of the written-back match terms and the field relationships; the embedded store
    leaves it to the in-process index. Either way the pool, and so every answer, is the
    same; a store changed since the last ``analyse`` falls back until the next one."""
    from graph.analytics.computed import analyse, project
    from graph.analytics.match import match, prepare

    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    assert store.match_candidates(terms=["外骨骼"], fields=[]) is None  # not analysed yet
    analyse(store)
    g = project(store)
    facts, index = prepare(g)
    asked: list[tuple[list[str], list[str], set[str] | None]] = []

    def retrieve(terms: Sequence[str], fields: Sequence[str]) -> set[str] | None:
        got = store.match_candidates(terms=terms, fields=fields)
        asked.append((list(terms), list(fields), got))
        return got

    needs: list[dict[str, Any]] = [{"text": "外骨骼康复机器人"}, {"fields": ["康复医疗装备"]},
                                   {"text": "护理机器人", "enterprise": "ent:b"},
                                   {"keywords": ["量子点"]}]
    for need in needs:
        plain = match(g, **need)
        via = match(g, **need, retrieve=retrieve)
        assert via.matches == plain.matches and via.scored == plain.scored, need
        assert via.retrieval == ("store" if store.writes_analysis else "index")
    for terms, fields, got in asked:
        if got is None:
            continue
        expected = {index.uids[i] for i, doc in enumerate(index.doc_terms)
                    if doc & set(terms)}
        for fld in fields:
            expected |= facts.actors_by_field.get(fld, set())
        assert got == expected, (terms, fields)
    assert any(got for *_, got in asked) == store.writes_analysis
    store.upsert_nodes(nodes=[{**NODES[0], "keywords": ["新词"]}])
    assert store.match_candidates(terms=["外骨骼"], fields=[]) is None  # stale until analyse


def test_projection_indexes_its_edges_by_type_in_scan_order(loaded: GraphStore) -> None:
    """The gap tables and the recommender read a projection's edges by type through an
    index built once; it must give exactly what a scan of the graph filtered by type
    gives, in the same order, for one type or several, on every backend."""
    from graph.analytics.computed import project, typed_edges

    g = project(loaded)
    types = sorted({d["type"] for *_, d in g.edges(data=True)})
    assert len(types) >= 3
    for wanted in [(t,) for t in types] + [tuple(types[:2]), tuple(reversed(types)),
                                            (types[0], "NO_SUCH_TYPE"), ()]:
        scanned = [(u, v, d["uid"]) for u, v, d in g.edges(data=True)
                   if d.get("type") in wanted]
        indexed = [(u, v, d["uid"]) for u, v, d in typed_edges(g, *wanted)]
        assert indexed == scanned, wanted
    # a graph that was not projected (and may change) is scanned, never indexed
    h = g.copy()
    h.remove_edges_from([(u, v, k) for u, v, k, d in g.edges(keys=True, data=True)
                         if d["type"] == types[0]])
    assert list(typed_edges(h, types[0])) == []
    assert [d["uid"] for *_, d in typed_edges(h, types[1])] == \
        [d["uid"] for *_, d in typed_edges(g, types[1])]
