"""Matchmaking on tiny hand-made graphs: rankings, components and reasons computed by hand."""

from __future__ import annotations

import doctest
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from typer.testing import CliRunner

from api import cli_match  # noqa: F401  (registers the match command)
from api.cli import app
from graph.analytics import match as match_mod
from graph.analytics import text as text_mod
from graph.analytics.match import MatchError, match, prepare
from graph.analytics.text import Tokenizer
from graph.backends.embedded import EmbeddedStore
from graph.errors import NotFound
from schemas.ontology import parse_node, parse_relationship
from schemas.records import edge_to_record, node_to_record

Rows = Sequence[dict[str, Any]]


def build(nodes: Rows, edges: Rows) -> nx.MultiDiGraph:
    """A graph shaped like ``GraphStore.subgraph()``: validated records as attributes."""
    g = nx.MultiDiGraph()
    for n in nodes:
        rec = node_to_record(parse_node(n))
        g.add_node(rec["uid"], **rec)
    for e in edges:
        rec = edge_to_record(parse_relationship(e))
        g.add_edge(rec["source"], rec["target"], key=rec["uid"])
        g.edges[rec["source"], rec["target"], rec["uid"]].update(rec)  # records hold "key" too
    return g


def F(uid: str, name: str) -> dict[str, Any]:
    return {"label": "Field", "uid": uid, "name": name}


def E(typ: str, s: str, t: str, **kw: Any) -> dict[str, Any]:
    return {"type": typ, "source": s, "target": t, **kw}


FIELDS = [F("f:health", "智慧康养"), F("f:rehab", "康复医疗装备"), F("f:robot", "康复机器人"),
          F("f:mat", "新材料")]
HIERARCHY = [E("SUBFIELD_OF", "f:rehab", "f:health"), E("SUBFIELD_OF", "f:robot", "f:rehab")]


REHAB_NODES: Rows = [
    *FIELDS,
    {"label": "Enterprise", "uid": "ent:need", "name": "泰安步康医疗科技有限公司"},
    {"label": "Team", "uid": "team:exo", "name": "外骨骼康复团队", "size": 8,
     "keywords": ["外骨骼", "康复机器人"], "description": "下肢外骨骼与步态训练"},
    {"label": "Team", "uid": "team:mat", "name": "先进复合材料团队", "size": 30,
     "keywords": ["碳纤维", "复合材料"], "description": "轻量化复合材料,可用于外骨骼结构件"},
    {"label": "University", "uid": "uni:x", "name": "某大学", "keywords": ["农业"]}]
REHAB_EDGES: Rows = [
    *HIERARCHY,
    E("NEEDS", "ent:need", "f:rehab", description="研发下肢外骨骼", keywords=["外骨骼"]),
    E("OFFERS", "team:exo", "f:rehab", keywords=["外骨骼", "康复机器人"]),
    E("IN_FIELD", "team:mat", "f:mat")]


def rehab_graph() -> nx.MultiDiGraph:
    """An enterprise needing 外骨骼 in 康复医疗装备; a rehab team and a materials team."""
    return build(REHAB_NODES, REHAB_EDGES)


def by_uid(result: match_mod.MatchResult) -> dict[str, match_mod.Match]:
    return {m.uid: m for m in result.matches}


# ---- ranking and components ------------------------------------------------------------

def test_rehab_team_beats_materials_team_with_reasons() -> None:
    g = rehab_graph()
    result = match(g, enterprise="ent:need")
    assert [m.uid for m in result.matches] == ["team:exo", "team:mat"]
    exo, mat = result.matches
    # the exo team is the best BM25 hit; the materials team only shares 外骨骼
    assert exo.components["text"] == 1.0
    assert 0 < mat.components["text"] < 1
    assert exo.components["field"] == 1.0 and mat.components["field"] == 0.0
    assert exo.matched_keywords == ["下肢", "外骨骼"] and mat.matched_keywords == ["外骨骼"]
    assert exo.shared_fields == ["康复医疗装备"] and mat.shared_fields == []
    assert "关键词匹配:下肢、外骨骼" in exo.reason and "同属领域:康复医疗装备" in exo.reason
    assert "团队规模8人" in exo.reason
    # capacity 8/18 and 30/40; no path, no projects
    assert exo.components["capacity"] == pytest.approx(8 / 18, abs=1e-4)
    assert mat.components["capacity"] == pytest.approx(0.75, abs=1e-4)
    assert exo.components["proximity"] == 0.0 and exo.path == []
    w = result.need.weights  # everything applies: the weights as defined
    assert w == dict(match_mod.WEIGHTS)
    assert exo.score == pytest.approx(0.40 + 0.25 + 0.10 * 8 / 18, abs=1e-4)
    assert mat.score == pytest.approx(0.40 * mat.components["text"] + 0.10 * 0.75, abs=1e-4)
    assert "uni:x" not in by_uid(result)  # neither text nor field: not listed
    need = result.need
    assert need.fields == ["f:rehab"] and need.keywords == ["外骨骼"]
    assert need.enterprise_name == "泰安步康医疗科技有限公司"
    assert "外骨骼" in need.tokens and "骨骼" in need.tokens


def test_free_text_infers_the_field_and_rescales_weights() -> None:
    g = rehab_graph()
    result = match(g, text="我们需要康复医疗装备方面的外骨骼技术")
    assert result.need.inferred_fields == ["康复医疗装备"]
    assert result.need.weights["proximity"] == 0.0
    assert result.need.weights["text"] == pytest.approx(0.40 / 0.85, abs=1e-6)
    assert sum(result.need.weights.values()) == pytest.approx(1.0)
    assert result.matches[0].uid == "team:exo"
    assert result.matches[0].score == pytest.approx((0.40 + 0.25 + 0.10 * 8 / 18) / 0.85,
                                                    abs=1e-4)


def test_parent_and_child_fields_count_half_per_step() -> None:
    nodes = [*FIELDS,
             {"label": "Team", "uid": "t:child", "name": "子领域团队"},
             {"label": "Team", "uid": "t:parent", "name": "上级领域团队"},
             {"label": "Team", "uid": "t:grand", "name": "祖领域团队"},
             {"label": "Team", "uid": "t:other", "name": "材料团队"}]
    edges = [*HIERARCHY, E("SUBFIELD_OF", "f:mat", "f:health"),
             E("IN_FIELD", "t:child", "f:robot"), E("IN_FIELD", "t:parent", "f:health"),
             E("IN_FIELD", "t:grand", "f:health"), E("IN_FIELD", "t:other", "f:mat")]
    result = match(build(nodes, edges), fields=["康复机器人"])
    got = {m.uid: m.components["field"] for m in result.matches}
    # 康复机器人 -> 康复医疗装备 -> 智慧康养: the grandparent is two steps up (0.25);
    # 新材料 is a sibling branch, not an ancestor or descendant: unrelated
    assert got == {"t:child": 1.0, "t:parent": 0.25, "t:grand": 0.25}
    parent = by_uid(result)["t:parent"]
    assert parent.shared_fields == ["智慧康养"]
    assert "相关领域:智慧康养(康复机器人的上级领域)" in parent.reason
    down = match(build(nodes, edges), fields=["康复医疗装备"])
    assert by_uid(down)["t:child"].components["field"] == 0.5
    assert "相关领域:康复机器人(康复医疗装备的细分领域)" in by_uid(down)["t:child"].reason


def twins(extra_nodes: Rows = (), extra_edges: Rows = ()) -> nx.MultiDiGraph:
    """Two teams alike in everything but name; 乙 sorts before 甲 on a tie."""
    nodes = [*FIELDS,
             {"label": "Enterprise", "uid": "ent:need", "name": "需求企业"},
             {"label": "Team", "uid": "t:jia", "name": "甲团队", "keywords": ["外骨骼"]},
             {"label": "Team", "uid": "t:yi", "name": "乙团队", "keywords": ["外骨骼"]},
             *extra_nodes]
    edges = [*HIERARCHY, E("NEEDS", "ent:need", "f:rehab", keywords=["外骨骼"]),
             E("OFFERS", "t:jia", "f:rehab"), E("OFFERS", "t:yi", "f:rehab"), *extra_edges]
    return build(nodes, edges)


def test_ties_break_by_name_then_uid() -> None:
    result = match(twins(), enterprise="ent:need")
    assert [m.name for m in result.matches] == ["乙团队", "甲团队"]
    assert result.matches[0].score == result.matches[1].score


def test_earlier_cooperation_raises_a_candidate() -> None:
    g = twins(extra_edges=[E("COOPERATES_WITH", "ent:need", "t:jia", weight=2)])
    result = match(g, enterprise="ent:need")
    jia, yi = result.matches
    assert jia.uid == "t:jia"
    assert jia.components["proximity"] == pytest.approx(0.5 * 1.0 + 0.3)  # one hop + coop
    assert yi.components["proximity"] == 0.0
    assert jia.score - yi.score == pytest.approx(0.15 * 0.8, abs=1e-4)
    assert [s.uid for s in jia.path] == ["ent:need", "t:jia"]
    assert jia.path[1].via == "COOPERATES_WITH"
    assert "曾与需求企业合作" in jia.reason


def test_shared_community_raises_a_candidate_through_its_host() -> None:
    community = {"label": "Platform", "uid": "p:comm", "name": "山东省智慧康养创新创业共同体",
                 "platform_type": "创新创业共同体", "level": "省"}
    uni = {"label": "University", "uid": "uni:host", "name": "依托高校"}
    g = twins([community, uni],
              [E("MEMBER_OF", "ent:need", "p:comm"), E("MEMBER_OF", "uni:host", "p:comm"),
               E("HOSTED_BY", "t:jia", "uni:host")])
    result = match(g, enterprise="ent:need")
    assert result.matches[0].uid == "t:jia"
    jia = result.matches[0]
    # the community is not walked, so there is no path: only the community part counts
    assert jia.components["proximity"] == pytest.approx(0.2)
    assert jia.path == []
    assert "与需求企业同属山东省智慧康养创新创业共同体" in jia.reason
    assert "p:comm" not in by_uid(result)  # a community is never a candidate


def test_path_within_three_hops_is_reported() -> None:
    uni = {"label": "University", "uid": "uni:mid", "name": "中间高校"}
    g = twins([uni], [E("COOPERATES_WITH", "ent:need", "uni:mid"),
                      E("HOSTED_BY", "t:jia", "uni:mid")])
    jia = by_uid(match(g, enterprise="ent:need"))["t:jia"]
    assert [s.name for s in jia.path] == ["需求企业", "中间高校", "甲团队"]
    assert [s.via for s in jia.path] == [None, "COOPERATES_WITH", "HOSTED_BY"]
    assert jia.components["proximity"] == pytest.approx(0.5 * 0.6)
    assert "与需求企业的关系路径(2跳):需求企业—合作—中间高校—依托—甲团队" in jia.reason


def test_shared_project_counts_as_cooperation_and_track_record() -> None:
    proj = [{"label": "Project", "uid": "p:1", "name": "外骨骼项目", "year": 2020},
            {"label": "Project", "uid": "p:2", "name": "康复项目", "year": 2019},
            {"label": "Project", "uid": "p:old", "name": "老项目", "year": 2010},
            {"label": "Project", "uid": "p:mat", "name": "材料项目", "year": 2020}]
    g = twins(proj, [E("IN_FIELD", "p:1", "f:rehab"), E("IN_FIELD", "p:2", "f:robot"),
                     E("IN_FIELD", "p:old", "f:rehab"), E("IN_FIELD", "p:mat", "f:mat"),
                     E("UNDERTAKES", "t:jia", "p:1"), E("PARTICIPATES_IN", "t:jia", "p:2"),
                     E("PARTICIPATES_IN", "t:jia", "p:old"),
                     E("PARTICIPATES_IN", "t:jia", "p:mat"),
                     E("PARTICIPATES_IN", "ent:need", "p:1")])
    jia = by_uid(match(g, enterprise="ent:need"))["t:jia"]
    # latest project year 2020; p:2 is in a child field (0.5); p:mat is unrelated
    r = 1.0 + 0.5 ** (1 / 3) * 0.5 + 0.5 ** (10 / 3)
    assert jia.components["track_record"] == pytest.approx(r / (r + 2), abs=1e-4)
    assert "近5年参与该领域项目2项(累计3项)" in jia.reason
    assert "曾与需求企业合作(共同参与项目1项)" in jia.reason
    assert jia.components["proximity"] == pytest.approx(0.5 * 0.6 + 0.3)  # via p:1, 2 hops


def test_project_year_falls_back_to_the_earliest_participation() -> None:
    proj = [{"label": "Project", "uid": "p:new", "name": "新项目", "year": 2020},
            {"label": "Project", "uid": "p:undated", "name": "无年份项目"}]
    edges = [E("IN_FIELD", "p:new", "f:mat"), E("IN_FIELD", "p:undated", "f:rehab"),
             E("PARTICIPATES_IN", "t:jia", "p:undated", year=2017),
             E("PARTICIPATES_IN", "t:yi", "p:undated", year=2014)]
    jia = by_uid(match(twins(proj, edges), fields=["康复医疗装备"]))["t:jia"]
    r = 0.5 ** ((2020 - 2014) / 3)  # latest year 2020, the project dated by its first edge
    assert jia.components["track_record"] == pytest.approx(r / (r + 2), abs=1e-4)
    assert "参与该领域项目1项(近5年无)" in jia.reason


def test_platform_level_raises_capacity() -> None:
    nodes = [*FIELDS,
             {"label": "Platform", "uid": "p:city", "name": "乙康复工程技术研究中心",
              "platform_type": "工程技术研究中心", "level": "市", "keywords": ["外骨骼"]},
             {"label": "Platform", "uid": "p:nat", "name": "甲康复工程技术研究中心",
              "platform_type": "工程技术研究中心", "level": "国家", "keywords": ["外骨骼"]},
             {"label": "University", "uid": "uni:h", "name": "丙大学", "keywords": ["外骨骼"]},
             {"label": "Platform", "uid": "p:lab", "name": "省重点实验室",
              "platform_type": "重点实验室", "level": "省"}]
    edges = [E("HOSTED_BY", "p:lab", "uni:h")]
    result = match(build(nodes, edges), keywords=["外骨骼"])
    got = {m.uid: m.components["capacity"] for m in result.matches}
    assert got == {"p:nat": 1.0, "p:city": 0.4, "uni:h": 0.7}
    # the two platforms read alike (equal text) and 乙 would win a tie: capacity decides
    platforms = [m for m in result.matches if m.label == "Platform"]
    assert [m.uid for m in platforms] == ["p:nat", "p:city"]
    assert platforms[0].components["text"] == platforms[1].components["text"]
    # only text (0.40) and capacity (0.10) apply: capacity weighs 0.2 after rescaling
    assert platforms[0].score - platforms[1].score == pytest.approx(0.2 * (1.0 - 0.4), abs=2e-4)
    assert "国家级平台" in platforms[0].reason and "市级平台" in platforms[1].reason
    assert "依托省级平台:省重点实验室" in by_uid(result)["uni:h"].reason


def test_kinds_filter_keeps_scores() -> None:
    nodes = [*FIELDS,
             {"label": "Platform", "uid": "p:a", "name": "外骨骼平台", "level": "省"},
             {"label": "Team", "uid": "t:a", "name": "外骨骼团队"},
             {"label": "Talent", "uid": "h:a", "name": "张三", "keywords": ["外骨骼"]},
             {"label": "Hospital", "uid": "hos:a", "name": "某医院", "keywords": ["外骨骼"]}]
    g = build(nodes, [])
    everything = match(g, text="外骨骼")
    assert {m.label for m in everything.matches} == {"Platform", "Team", "Talent", "Hospital"}
    only = match(g, text="外骨骼", kinds=["platform", "talent"])
    assert [m.uid for m in only.matches] == [m.uid for m in everything.matches
                                             if m.label in ("Platform", "Talent")]
    assert [m.score for m in only.matches] == [m.score for m in everything.matches
                                               if m.label in ("Platform", "Talent")]
    with pytest.raises(MatchError, match="不认识的类别"):
        match(g, text="外骨骼", kinds=["company"])


def test_region_filter_uses_own_or_host_region() -> None:
    nodes = [{"label": "Region", "uid": "r:ta", "name": "泰安市"},
             {"label": "Region", "uid": "r:ts", "name": "泰山区"},
             {"label": "University", "uid": "uni:ta", "name": "泰安某大学",
              "keywords": ["外骨骼"]},
             {"label": "Institute", "uid": "ins:jn", "name": "济南某研究所", "region": "济南市",
              "keywords": ["外骨骼"]},
             {"label": "Hospital", "uid": "hos:ta", "name": "泰安某医院", "region": "泰安",
              "keywords": ["外骨骼"]},
             {"label": "Hospital", "uid": "hos:ts", "name": "泰山区某医院", "region": "泰山区",
              "keywords": ["外骨骼"]},
             {"label": "Team", "uid": "t:ta", "name": "外骨骼团队"},
             {"label": "Team", "uid": "t:none", "name": "外骨骼无地区团队"}]
    edges = [E("LOCATED_IN", "uni:ta", "r:ts"), E("LOCATED_IN", "r:ts", "r:ta"),
             E("HOSTED_BY", "t:ta", "uni:ta")]
    g = build(nodes, edges)
    assert {m.uid for m in match(g, text="外骨骼").matches} == {
        "uni:ta", "ins:jn", "hos:ta", "hos:ts", "t:ta", "t:none"}
    # 泰安 is in 泰安市 (reached from 泰山区, a LOCATED_IN edge or a property naming the
    # Region node); 泰安市 equals 泰安 without the suffix
    for region in ("泰安", "泰安市"):
        assert {m.uid for m in match(g, text="外骨骼", region=region).matches} == {
            "uni:ta", "hos:ta", "hos:ts", "t:ta"}
    assert {m.uid for m in match(g, text="外骨骼", region="泰山区").matches} == {
        "uni:ta", "hos:ts", "t:ta"}
    assert {m.uid for m in match(g, text="外骨骼", region="济南").matches} == {"ins:jn"}


def test_enterprise_units_and_staff_are_excluded() -> None:
    g = twins([{"label": "Talent", "uid": "h:staff", "name": "员工", "keywords": ["外骨骼"]},
               {"label": "Platform", "uid": "p:own", "name": "企业外骨骼中心", "level": "市"}],
              [E("HOSTED_BY", "t:jia", "ent:need"), E("WORKS_AT", "h:staff", "ent:need"),
               E("HOSTED_BY", "p:own", "ent:need")])
    assert [m.uid for m in match(g, enterprise="ent:need").matches] == ["t:yi"]
    # without the enterprise they are ordinary candidates
    assert {m.uid for m in match(g, text="外骨骼").matches} == {"t:jia", "t:yi", "h:staff",
                                                               "p:own"}


# ---- the need and its errors --------------------------------------------------------------

def test_enterprise_errors() -> None:
    g = rehab_graph()
    with pytest.raises(NotFound):
        match(g, enterprise="ent:nope")
    g.add_node("ent:none", **node_to_record(parse_node(
        {"label": "Enterprise", "uid": "ent:none", "name": "无需求企业"})))
    with pytest.raises(MatchError, match="没有技术需求"):
        match(g, enterprise="ent:none")
    with pytest.raises(MatchError, match="不是企业"):
        match(g, enterprise="team:exo")
    # text makes up for missing NEEDS
    assert match(g, enterprise="ent:none", text="外骨骼").matches[0].uid == "team:exo"


def test_need_errors() -> None:
    g = rehab_graph()
    with pytest.raises(MatchError, match="需求为空"):
        match(g)
    with pytest.raises(MatchError, match="需求为空"):
        match(g, text="我们需要的是")  # stop-words and single characters only
    with pytest.raises(MatchError, match="是否指:康复医疗装备"):
        match(g, fields=["康复医疗"])
    for top in (0, 101):
        with pytest.raises(MatchError, match="top"):
            match(g, text="外骨骼", top=top)
    assert match(g, fields=["f:rehab"]).need.field_names == ["康复医疗装备"]


def test_top_and_min_score() -> None:
    g = rehab_graph()
    full = match(g, enterprise="ent:need")
    assert [m.uid for m in match(g, enterprise="ent:need", top=1).matches] == ["team:exo"]
    cut = (full.matches[0].score + full.matches[1].score) / 2
    assert [m.uid for m in match(g, enterprise="ent:need", min_score=cut).matches] == [
        "team:exo"]


# ---- determinism and caching --------------------------------------------------------------

def test_same_answer_whatever_the_insertion_order() -> None:
    g = rehab_graph()
    rev = nx.MultiDiGraph()
    for u, d in reversed(list(g.nodes(data=True))):
        rev.add_node(u, **d)
    for s, t, k, d in reversed(list(g.edges(keys=True, data=True))):
        rev.add_edge(s, t, key=k)
        rev.edges[s, t, k].update(d)
    a = match(g, enterprise="ent:need")
    b = match(rev, enterprise="ent:need")
    assert a == b
    assert match(g, enterprise="ent:need") == a


def test_labels_outside_match_labels_change_nothing() -> None:
    # were the document's keyword a dictionary term, 下肢外骨骼 would become one token
    extra_nodes = [
        {"label": "Document", "uid": "doc:1", "name": "规划", "keywords": ["下肢外骨骼"]},
        {"label": "Program", "uid": "prg:1", "name": "计划", "keywords": ["骨骼"]}]
    extra_edges = [
        E("MENTIONED_IN", "ent:need", "doc:1"), E("MENTIONED_IN", "team:mat", "doc:1"),
        E("SELECTED_FOR", "team:mat", "prg:1"), E("SELECTED_FOR", "team:exo", "prg:1")]
    whole = build([*REHAB_NODES, *extra_nodes], [*REHAB_EDGES, *extra_edges])
    assert match(whole, enterprise="ent:need") == match(rehab_graph(), enterprise="ent:need")


def test_index_is_cached_per_graph_and_by_content() -> None:
    g = rehab_graph()
    facts, index = prepare(g)
    assert prepare(g) == (facts, index)
    copy = g.copy()
    facts2, index2 = prepare(copy)
    assert facts2 is not facts and index2 is index  # same documents: the index is reused
    copy.add_node("team:new", **node_to_record(parse_node(
        {"label": "Team", "uid": "team:new", "name": "新团队", "keywords": ["外骨骼"]})))
    facts3, index3 = prepare(copy)
    assert facts3 is not facts2 and index3 is not index and "team:new" in index3.uids
    # an in-place change that keeps the node count needs forget()
    copy.nodes["team:new"]["keywords"] = ["碳纤维"]
    assert prepare(copy)[1] is index3
    match_mod.forget(copy)
    assert prepare(copy)[1] is not index3
    # the new keyword is seen (team:mat, of the field 碳纤维 is said of, ranks first)
    assert "team:new" in [m.uid for m in match(copy, text="碳纤维").matches]
    assert "team:new" not in [m.uid for m in match(g, text="碳纤维").matches]


def test_concurrent_first_callers_build_the_lookups_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A server's warm-up thread and its first requests ask for the same graph's lookups
    at once: one builds them, the others wait and get the same objects."""
    import threading
    import time

    g = rehab_graph()
    built: list[int] = []
    real = match_mod._build_facts

    def slow_build(graph: nx.MultiDiGraph) -> Any:
        built.append(1)
        time.sleep(0.2)  # long enough for every caller to arrive meanwhile
        return real(graph)

    monkeypatch.setattr(match_mod, "_build_facts", slow_build)
    got: list[tuple[Any, Any]] = []
    callers = [threading.Thread(target=lambda: got.append(prepare(g))) for _ in range(4)]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    assert len(built) == 1 and len(got) == 4
    assert all(facts is got[0][0] and index is got[0][1] for facts, index in got)
    # another graph is built on its own, not behind the first one's lock
    other = g.copy()
    assert prepare(other)[0] is not got[0][0] and len(built) == 2


def test_tokenizer_keeps_domain_terms_whole_and_is_private() -> None:
    tk = Tokenizer(["外骨骼", "康复医疗装备", "智慧养老"])
    toks = tk.tokens("发展智慧养老与康复医疗装备,攻关外骨骼")
    assert {"智慧养老", "康复医疗装备", "外骨骼"} <= set(toks)
    assert "与" not in toks and "发展" in toks
    plain = Tokenizer()
    assert "外骨骼" not in plain.tokens("发展智慧养老") and "智慧养老" not in plain.tokens(
        "发展智慧养老")
    assert "技术" in text_mod.load_stopwords()


@pytest.mark.parametrize("text", [
    "发展智慧养老与康复医疗装备,攻关外骨骼",
    "AI 康復機器人、5G 远程看护; 外骨骼 外骨骼 and CRISPR-Cas9 (基因编辑)\n智慧养老平台",
    "泰安市产业技术创新研究院 new-material 3D打印 ",
])
def test_the_tokenizer_cuts_block_by_block_as_jieba_cuts_the_whole_text(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # each distinct block (a run of jieba's block characters, or what lies between) is cut
    # once and remembered: the pieces must be those of cutting the whole text, also when
    # the memory starts over
    tk = Tokenizer(["外骨骼", "康复医疗装备", "智慧养老", "康复机器人"])
    whole = text_mod.normalize_text(text)
    want_tokens = tk._kept(tk._jieba.cut_for_search(whole, HMM=False))
    want_words = tk._kept(tk._jieba.cut(whole, HMM=False))
    for _ in range(2):  # cut, then remembered
        assert tk.tokens(text) == want_tokens
        assert tk.words(text) == want_words
    monkeypatch.setattr(text_mod, "CUT_MEMO", 2)
    small = Tokenizer(["外骨骼", "康复医疗装备", "智慧养老", "康复机器人"])
    assert small.tokens(text) == want_tokens and len(small._cut) <= 2
    assert small.words(text) == want_words and len(small._cut) <= 2


def test_doctests() -> None:
    for mod in (match_mod, text_mod):
        failures, tried = doctest.testmod(mod)
        assert tried > 0 and failures == 0, mod.__name__


# ---- the CLI --------------------------------------------------------------------------------

def test_cli_match(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("INNOGRAPH_HOME", str(home))
    monkeypatch.setenv("INNOGRAPH_STORE", "embedded")
    store = EmbeddedStore(home / "store")
    store.open()
    store.upsert_nodes(nodes=REHAB_NODES)
    store.upsert_edges(edges=REHAB_EDGES)
    store.close()
    runner = CliRunner()
    res = runner.invoke(app, ["match", "--enterprise", "泰安步康医疗科技有限公司", "-f", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["uid"] for r in rows] == ["team:exo", "team:mat"]
    assert rows[0]["rank"] == 1 and rows[0]["components"]["field"] == 1.0
    res = runner.invoke(app, ["match", "外骨骼", "--kind", "team", "--top", "1", "-f", "csv"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert lines[0].startswith("rank,uid,label,name,score,text,field") and len(lines) == 2
    res = runner.invoke(app, ["match", "--field", "不存在的领域"])
    assert res.exit_code == 2 and "不认识的领域" in res.output
    res = runner.invoke(app, ["match", "外骨骼", "--top", "0"])
    assert res.exit_code != 0


def test_score_is_bounded() -> None:
    for m in match(rehab_graph(), enterprise="ent:need").matches:
        assert 0 < m.score <= 1 and all(0 <= v <= 1 for v in m.components.values())
        assert not math.isnan(m.score)
