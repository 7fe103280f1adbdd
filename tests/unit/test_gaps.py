"""Cooperation gaps and plan targets on tiny graphs whose answers were worked out by hand."""

from __future__ import annotations

import doctest
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import openpyxl
import pytest
from typer.testing import CliRunner

from api import cli_gaps  # noqa: F401  (registers the gaps commands)
from api.cli import app
from graph.analytics import gaps, targets
from graph.analytics.gaps import (
    community_id,
    cooperation_communities,
    field_gaps,
    isolated_actors,
    structural_holes,
)
from graph.analytics.targets import (
    TargetRulesError,
    load_target_rules,
    plan_targets,
)
from graph.backends.embedded import EmbeddedStore
from schemas.ontology import parse_node, parse_relationship
from schemas.records import edge_to_record, node_to_record

Spec = Mapping[str, Any]


def build(nodes: Iterable[Spec], edges: Iterable[Spec]) -> nx.MultiDiGraph:
    """The graph ``GraphStore.subgraph()`` would return for these nodes and edges."""
    g = nx.MultiDiGraph()
    for n in nodes:
        rec = node_to_record(parse_node(n))
        g.add_node(rec["uid"], **rec)
    for e in edges:
        rec = edge_to_record(parse_relationship(e))
        g.add_edge(rec["source"], rec["target"], key=rec["uid"])
        g.edges[rec["source"], rec["target"], rec["uid"]].update(rec)  # as the stores do
    return g


def n(label: str, uid: str, name: str | None = None, **props: Any) -> dict[str, Any]:
    return {"label": label, "uid": uid, "name": name or uid, **props}


def e(rel_type: str, source: str, target: str, **props: Any) -> dict[str, Any]:
    return {"type": rel_type, "source": source, "target": target, **props}


def test_doctests_run() -> None:
    for module in (gaps, targets):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


# ---- field gaps ----------------------------------------------------------------------------

FIELD_NODES = [
    n("Field", "fA", "康复装备"), n("Field", "fA1", "外骨骼"), n("Field", "fB", "新材料"),
    n("Field", "fC", "智能制造"),
    *(n("Enterprise", f"e{i}") for i in range(1, 6)),
    n("University", "u1"), n("Team", "t1"), n("Institute", "i1"), n("Platform", "p1"),
    n("Project", "pr1"),
]
FIELD_EDGES = [
    e("SUBFIELD_OF", "fA1", "fA"),
    e("NEEDS", "e1", "fA"), e("IN_FIELD", "e1", "fA"),  # one demand actor, one need
    e("NEEDS", "e2", "fA1"), e("IN_FIELD", "e3", "fA1"), e("NEEDS", "e5", "fA1"),
    e("NEEDS", "e4", "fB"), e("NEEDS", "e5", "fB"),
    e("OFFERS", "u1", "fA1"), e("IN_FIELD", "t1", "fA1"), e("OFFERS", "p1", "fC"),
    e("COOPERATES_WITH", "e2", "u1", weight=2),
    e("COOPERATES_WITH", "e5", "i1"),  # i1 supplies no field: not a link anywhere
    e("IN_FIELD", "pr1", "fA1"), e("PARTICIPATES_IN", "e3", "pr1"),
    e("UNDERTAKES", "t1", "pr1"),
]


def _cols(rows: list[dict[str, Any]], *keys: str) -> list[tuple[Any, ...]]:
    return [tuple(r[k] for k in keys) for r in rows]


def test_field_gaps_counts_and_order() -> None:
    rows = field_gaps(build(FIELD_NODES, FIELD_EDGES))
    # fB: D=2, S=0 -> 2*2/2 = 2; fA: D=1, S=0 -> 1; fA1: D=3 (e2,e3,e5), S=2, linked e2
    # (cooperation) and e3 (joint project) -> (3-2)*3/5 = 0.6; fC: no demand -> 0
    assert _cols(rows, "field_uid", "demand", "needs", "supply", "links", "linked_demand",
                 "coverage", "supply_ratio", "gap_score") == [
        ("fB", 2, 2, 0, 0, 0, 0.0, 2.0, 2.0),
        ("fA", 1, 1, 0, 0, 0, 0.0, 1.0, 1.0),
        ("fA1", 3, 2, 2, 2, 2, 0.6667, 1.0, 0.6),
        ("fC", 0, 0, 1, 0, 0, None, 0.0, 0.0),
    ]
    assert rows[2]["parent"] == "康复装备" and rows[2]["field"] == "外骨骼"


def test_field_gaps_without_projects_and_min_demand() -> None:
    g = build(FIELD_NODES, FIELD_EDGES)
    rows = field_gaps(g, via_projects=False, min_demand=1)
    # without the joint project only e2 is linked: (3-1)*3/5 = 1.2, now above fA
    assert _cols(rows, "field_uid", "links", "gap_score") == [
        ("fB", 0, 2.0), ("fA1", 1, 1.2), ("fA", 0, 1.0)]


def test_field_gaps_rollup() -> None:
    rows = field_gaps(build(FIELD_NODES, FIELD_EDGES), rollup=True)
    # fA now holds fA1: D={e1,e2,e3,e5}, needs 3, S={u1,t1}, linked 2 -> 2*4/6
    assert _cols(rows, "field_uid", "demand", "needs", "supply", "linked_demand", "coverage",
                 "gap_score") == [
        ("fB", 2, 2, 0, 0, 0.0, 2.0),
        ("fA", 4, 3, 2, 2, 0.5, 1.3333),
        ("fC", 0, 0, 1, 0, None, 0.0),
    ]


# ---- isolated actors -----------------------------------------------------------------------

ISO_NODES = [
    n("Field", "f", "生物医药"),
    n("Enterprise", "eN"), n("Enterprise", "eOK"),
    n("Enterprise", "eHT", tags=["高新技术企业"]), n("Enterprise", "eHT2", tags=["高新技术企业"]),
    n("University", "u"), n("Institute", "i"), n("Talent", "tal"),
    n("Platform", "pA"), n("Platform", "pB"), n("Platform", "pC"), n("Platform", "pD"),
    n("Team", "tA"), n("Team", "tB"),
]
ISO_EDGES = [
    e("NEEDS", "eN", "f"), e("COOPERATES_WITH", "eN", "eOK"),  # a firm is no research partner
    e("NEEDS", "eOK", "f"), e("COOPERATES_WITH", "eOK", "tal"),
    e("COOPERATES_WITH", "eHT", "i"), e("COOPERATES_WITH", "eHT2", "u"),
    e("HOSTED_BY", "pA", "u"), e("HOSTED_BY", "pB", "eHT"), e("MEMBER_OF", "eOK", "pC"),
    e("COOPERATES_WITH", "pD", "eHT2"),
    e("COOPERATES_WITH", "tA", "u"), e("COOPERATES_WITH", "tB", "eHT2"),
]


def test_isolated_each_kind() -> None:
    rows = isolated_actors(build(ISO_NODES, ISO_EDGES))
    assert _cols(rows, "kind", "uid") == [
        ("enterprise_no_partner", "eN"),
        ("platform_no_enterprise", "pA"),
        ("team_no_enterprise", "tA"),
        ("high_tech_no_university", "eHT"),
    ]
    first = rows[0]
    assert first["needs"] == 1 and first["partners"] == 1 and first["fields"] == ["生物医药"]
    assert "生物医药" in first["reason"] and first["kind_name"] == "有需求无科研伙伴的企业"
    assert rows[3]["reason"].startswith("高新技术企业")


def test_isolated_filter_by_kind() -> None:
    g = build(ISO_NODES, ISO_EDGES)
    kinds = ["high_tech_no_university", "team_no_enterprise"]
    assert _cols(isolated_actors(g, kinds=kinds), "uid") == [("tA",), ("eHT",)]
    with pytest.raises(ValueError, match="不认识的孤立类型"):
        isolated_actors(g, kinds=["lonely"])


# ---- communities and structural holes ------------------------------------------------------

def hole_graph(direct_bridge: bool = False) -> nx.MultiDiGraph:
    """Four enterprises (three with needs), four research actors, three governments.

    Two cliques and a triangle; gov:x cooperates with ent:1 and uni:1, so the
    enterprise and research communities are joined only through it.
    """
    ents = [f"ent:{i}" for i in range(1, 5)]
    research = ["ins:1", "tal:1", "team:1", "uni:1"]
    labels = {"ent": "Enterprise", "ins": "Institute", "tal": "Talent", "team": "Team",
              "uni": "University", "gov": "Government"}
    govs = ["gov:x", "gov:y", "gov:z"]
    nodes = [n("Field", "f")] + [n(labels[u.split(":")[0]], u) for u in ents + research + govs]
    edges = [e("NEEDS", u, "f") for u in ents[:3]]
    for group in (ents, research, govs):
        edges += [e("COOPERATES_WITH", a, b, weight=4 if (a, b) == ("ent:2", "ent:3") else 1)
                  for i, a in enumerate(group) for b in group[i + 1:]]
    edges += [e("COOPERATES_WITH", "gov:x", "ent:1"), e("COOPERATES_WITH", "gov:x", "uni:1")]
    if direct_bridge:
        edges.append(e("COOPERATES_WITH", "ent:4", "tal:1"))
    return build(nodes, edges)


def test_communities_balance() -> None:
    rows = cooperation_communities(hole_graph())
    assert _cols(rows, "community", "size", "demand", "supply", "balance", "kind",
                 "internal_edges") == [
        (community_id("ent:2"), 4, 3, 0, 1.0, "需求型", 6),
        (community_id("ins:1"), 4, 0, 4, -1.0, "供给型", 6),
        (community_id("gov:x"), 3, 0, 0, 0.0, "均衡", 3),
    ]
    assert rows[0]["label"] == "f·ent:2等4家" and rows[0]["fields"] == ["f(3)"]
    assert rows[2]["label"] == "gov:x等3家"
    # inside strength: ent:2 and ent:3 have 1+1+4, ent:1 and ent:4 three edges of weight 1
    assert rows[0]["top_members"] == ["ent:2", "ent:3", "ent:1", "ent:4"]


def test_structural_hole_with_one_broker() -> None:
    rows = structural_holes(hole_graph())
    # no direct edge; gov:x (outside both) has one partner in each: 2 bridging edges
    assert _cols(rows, "demand_community", "supply_community", "demand_actors",
                 "supply_actors", "bridges", "hole_score", "brokers", "broker_edges") == [
        (community_id("ent:2"), community_id("ins:1"), 3, 4, 0, 12.0, ["gov:x"], [2])]
    assert (rows[0]["demand_label"], rows[0]["supply_label"]) == ("f·ent:2等4家", "ins:1等4家")


def test_community_ids_survive_a_reingest_that_changes_sizes() -> None:
    before = {r["community"]: r["size"] for r in cooperation_communities(hole_graph())}
    g = hole_graph()
    # a new, larger community appears, and one member of the research clique is renamed:
    # numbering by size would have shifted every id
    for i in range(6):
        g.add_node(f"ent:n{i}", uid=f"ent:n{i}", label="Enterprise", name=f"新企业{i}")
    for i in range(6):
        for j in range(i + 1, 6):
            g.add_edge(f"ent:n{i}", f"ent:n{j}", type="COOPERATES_WITH", weight=1)
    g.nodes["ins:1"]["name"] = "改名研究院"
    after = {r["community"]: r["size"] for r in cooperation_communities(g)}
    assert set(before) < set(after) and all(after[c] == before[c] for c in before)


def many_holes_graph() -> nx.MultiDiGraph:
    """Five enterprise cliques of different sizes (each with needs) and four research
    cliques, joined by a few enterprise–researcher bridges and one outsider each: twenty
    community pairs with different hole scores, bridges and brokers."""
    nodes = [n("Field", "f"), n("Government", "gov:o")]
    edges = []
    sides: list[list[str]] = []
    for c, size in enumerate([7, 6, 6, 5, 5]):
        group = [f"ent:{c}{i}" for i in range(size)]
        nodes += [n("Enterprise", u) for u in group]
        edges += [e("NEEDS", u, "f") for u in group[: size - c % 2]]
        sides.append(group)
    for c, size in enumerate([6, 6, 5, 5]):
        group = [f"uni:{c}{i}" for i in range(size)]
        nodes += [n("University", u) for u in group]
        sides.append(group)
    for group in sides:
        edges += [e("COOPERATES_WITH", a, b) for i, a in enumerate(group) for b in group[i + 1:]]
    for a, b in [("ent:00", "uni:00"), ("ent:10", "uni:10"), ("ent:21", "uni:00"),
                 ("ent:30", "uni:20")]:
        edges.append(e("COOPERATES_WITH", a, b))
    edges += [e("COOPERATES_WITH", "gov:o", u) for u in ("ent:01", "uni:01")]
    return build(nodes, edges)


def test_structural_holes_lists_the_first_pairs_only() -> None:
    from graph.analytics.gaps import HOLES_MAX_ROWS

    g = many_holes_graph()
    every = structural_holes(g, max_rows=None)
    assert len(every) >= 12 and HOLES_MAX_ROWS >= 1000
    assert structural_holes(g) == every  # fewer pairs than the default limit
    scores = [(-r["hole_score"], r["bridges"]) for r in every]
    assert scores == sorted(scores) and len(set(scores)) > 3
    assert any(r["brokers"] for r in every) and any(r["bridges"] for r in every)
    for m in (1, 5, len(every) - 1):
        assert structural_holes(g, max_rows=m) == every[:m]
    few = structural_holes(g, max_rows=4, max_bridges=0)
    assert few == [r for r in every if r["bridges"] == 0][:4]


def test_structural_hole_with_a_direct_bridge() -> None:
    g = hole_graph(direct_bridge=True)
    [row] = structural_holes(g)
    assert (row["bridges"], row["bridge_weight"], row["hole_score"]) == (1, 1.0, 6.0)
    # gov:x: 2 bridging edges; ent:4 and tal:1: 1 each, tied on betweenness, then by name
    assert row["broker_uids"] == ["gov:x", "ent:4", "tal:1"]
    assert structural_holes(g, max_bridges=0) == []
    assert structural_holes(g, threshold=1.0) == []  # nothing is heavier than ±1


def test_communities_under_extreme_weights_are_those_of_the_weights_scaled() -> None:
    # Leiden refuses weights near the float range: they are scaled down together, which
    # leaves modularity, and so the communities, as they are
    plain = cooperation_communities(hole_graph())
    g = hole_graph()
    for _, _, d in g.edges(data=True):
        if d.get("type") == "COOPERATES_WITH":
            d["weight"] = (d.get("weight") or 1) * 1e200
    assert [(r["community"], r["size"], r["kind"]) for r in cooperation_communities(g)] == [
        (r["community"], r["size"], r["kind"]) for r in plain]
    # an infinite weight (the schema admits it) counts as the largest weight allowed
    # instead of failing the table: its two ends stay together
    g = hole_graph()
    g.add_edge("ent:4", "tal:1", type="COOPERATES_WITH", weight=float("inf"))
    of = gaps.community_of(g)
    assert of["ent:4"] == of["tal:1"] and len(set(of.values())) >= 2


_DETERMINISM = """
import json, sys
import networkx as nx
from graph.analytics.gaps import structural_holes
rnd = nx.gnm_random_graph(80, 200, seed=7)
g = nx.MultiDiGraph()
kinds = ["Enterprise", "University", "Enterprise", "Team", "Enterprise", "Institute"]
for i in rnd:
    g.add_node(f"n{i}", uid=f"n{i}", name=f"n{i}", label=kinds[(i * 7) % 11 % 6])
    if kinds[(i * 7) % 11 % 6] == "Enterprise" and i % 5:
        g.add_edge(f"n{i}", "f", type="NEEDS")
g.add_node("f", uid="f", name="f", label="Field")
for a, b in rnd.edges:
    g.add_edge(f"n{a}", f"n{b}", type="COOPERATES_WITH", weight=1 + (a * b) % 3)
json.dump(structural_holes(g, resolution=1.5), sys.stdout)
"""


def test_structural_holes_same_under_any_hash_seed() -> None:
    outs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run([sys.executable, "-c", _DETERMINISM], env=env, check=True,
                              capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[2])
        outs.append(json.loads(done.stdout))
    assert outs[0] == outs[1] and len(outs[0]) > 0


# ---- plan targets --------------------------------------------------------------------------

def target(uid: str, metric: str, value: float, comparator: str = ">=", *, unit: str = "家",
           year: int | None = 2020, scope: str = "") -> dict[str, Any]:
    return n("Target", uid, metric, metric=metric, value=value, comparator=comparator,
             unit=unit, year=year, scope=scope)


TARGET_NODES = [
    target("t_ht", "新增高新技术企业", 2),
    target("t_teams", "引进与培养创新人才团队", 5, "~", unit="个",
           scope="泰安市产业技术创新研究院"),
    target("t_inst", "建设专业研究所或产业创新机构", 3, "~", unit="个",
           scope="泰安市产业技术创新研究院"),
    target("t_space", "建设省级以上众创空间、科技企业孵化器", 2, "="),
    target("t_joint", "建设企业联合创新中心", 4, "="),
    target("t_members", "参与共同体建设的创新主体单位", 20),
    target("t_rd", "全市研究与试验发展经费投入强度", 2.2, "=", unit="%"),
    target("t_odd", "某某奇怪指标", 1),
    target("t_talent", "推荐入选省级以上高层次人才工程", 9, unit="人"),
    target("t_nowhere", "引进高水平研发团队", 3, "=", unit="个", scope="不存在的共同体"),
    n("Document", "doc", "泰安市2020年科技工作要点"),
    n("Institute", "ins", "泰安市产业技术创新研究院(山东产业技术研究院泰安分院)",
      aliases=["山东产业技术研究院泰安分院"]),
    n("Institute", "ins_a", "生物技术研究所"), n("Institute", "ins_b", "新材料研究所"),
    n("Platform", "community", "山东省智慧康养创新创业共同体", platform_type="创新创业共同体"),
    *(n("Team", f"team{i}") for i in range(1, 6)),
    n("Enterprise", "e1", tags=["高新技术企业"], attrs={"认定年度": 2020}),
    n("Enterprise", "e2", tags=["高新技术企业"], attrs={"认定年度": 2019}),
    n("Enterprise", "e3", tags=["高新技术企业", "创新50强"], attrs={"认定年度": "2020"}),
    n("Enterprise", "e4", tags=["科技型中小企业"], attrs={"认定年度": 2020}),
    n("University", "u"), n("Talent", "tal"), n("Program", "prog", "某人才计划"),
    n("Platform", "p1", platform_type="众创空间", level="省", approved_year=2020),
    n("Platform", "p2", platform_type="科技企业孵化器", level="国家", approved_year=2020),
    n("Platform", "p3", platform_type="众创空间", level="市", approved_year=2020),
    n("Platform", "p4", platform_type="重点实验室", level="省", approved_year=2020),
    n("Platform", "p5", platform_type="科技企业孵化器", level="省", approved_year=2019),
    n("Platform", "p6", platform_type="企业联合创新中心", approved_year=2020),
]
TARGET_EDGES = [
    e("SET_BY", "t_ht", "doc"),
    *(e("HOSTED_BY", f"team{i}", "ins") for i in range(1, 5)),  # team5 has no host
    e("BRANCH_OF", "ins_a", "ins"), e("BRANCH_OF", "ins_b", "ins"),
    e("CONCERNS", "t_members", "community"),
    e("MEMBER_OF", "e1", "community"), e("MEMBER_OF", "e2", "community"),
    e("MEMBER_OF", "u", "community"), e("MEMBER_OF", "tal", "community"),  # a person: no unit
    e("SELECTED_FOR", "tal", "prog", year=2020),  # no level, none to infer from the name
]


def _by_uid(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["target_uid"]: r for r in rows}


def test_targets_against_counts() -> None:
    rows = plan_targets(build(TARGET_NODES, TARGET_EDGES))
    got = _by_uid(rows)
    cols = ("actual", "shortfall", "percent", "status", "rule")
    # >=: e1 and e3 are certified in 2020 (e2 in 2019, e4 is no 高企)
    assert tuple(got["t_ht"][k] for k in cols) == (2, 0, 100.0, "达成", "high_tech_new")
    assert got["t_ht"]["source"] == "泰安市2020年科技工作要点"
    # ~: four hosted teams of five is within 20% below
    assert tuple(got["t_teams"][k] for k in cols) == (4, 1, 80.0, "达成", "teams")
    assert "左右" in got["t_teams"]["note"]
    # ~: two branches of three is more than 20% below
    assert tuple(got["t_inst"][k] for k in cols) == (2, 1, 66.7, "未达成",
                                                     "specialised_institutes")
    # =: p1 (省 众创空间) and p2 (国家 孵化器); p3 is municipal, p4 a lab, p5 from 2019
    assert tuple(got["t_space"][k] for k in cols) == (2, 0, 100.0, "达成", "platforms")
    assert tuple(got["t_joint"][k] for k in cols) == (1, 3, 25.0, "未达成",
                                                      "joint_innovation_centres")
    # CONCERNS the community: e1, e2 and u are member units; a talent is not a unit
    assert tuple(got["t_members"][k] for k in cols) == (3, 17, 15.0, "未达成",
                                                        "community_members")
    assert got["t_members"]["scope"] == "山东省智慧康养创新创业共同体"


def test_targets_queries_are_shown() -> None:
    got = _by_uid(plan_targets(build(TARGET_NODES, TARGET_EDGES)))
    assert got["t_ht"]["query"] == ("Enterprise where tags ∋ 高新技术企业 and "
                                    "attrs.认定年度 or attrs.认定年份 = 2020 (rule high_tech_new)")
    assert got["t_space"]["query"] == (
        "Platform where level ∈ {省, 国家} and platform_type ∈ {众创空间, 科技企业孵化器} "
        "and approved_year = 2020 (rule platforms)")
    assert "reaches 泰安市产业技术创新研究院(山东产业技术研究院泰安分院) via BRANCH_OF|HOSTED_BY" \
        in got["t_inst"]["query"]
    # the same in Chinese for people (统计口径)
    assert got["t_ht"]["basis"] == ("统计企业中标签含“高新技术企业”，认定年度或认定年份为2020年的"
                                    "数量(规则 high_tech_new)")
    assert got["t_space"]["basis"] == (
        "统计创新平台中级别为“省”或“国家”，平台类型为“众创空间”或“科技企业孵化器”，"
        "批准年份为2020年的数量(规则 platforms)")
    assert "经分支机构、依托关系关联到泰安市产业技术创新研究院" in got["t_inst"]["basis"]
    assert not any(ch.isascii() and ch.isalpha() for r in got.values()
                   for ch in r["basis"].split("(规则")[0])

def test_targets_that_cannot_be_counted() -> None:
    rows = plan_targets(build(TARGET_NODES, TARGET_EDGES))
    got = _by_uid(rows)
    for uid, rule in [("t_rd", "rd_intensity"), ("t_odd", ""), ("t_talent", "talent_programs"),
                      ("t_nowhere", "teams")]:
        row = got[uid]
        assert (row["status"], row["actual"], row["shortfall"], row["percent"], row["rule"]) \
            == ("无法统计", None, None, None, rule), uid
    assert "经费" in got["t_rd"]["note"]
    assert "“级别”数据" in got["t_talent"]["note"]  # programmes carry no level: no fake zero
    assert "不存在的共同体" in got["t_nowhere"]["note"]
    # unmet first, then met, then uncountable, each by metric
    assert [r["status"] for r in rows] == ["未达成"] * 3 + ["达成"] * 3 + ["无法统计"] * 4
    unmet = [r["metric"] for r in rows[:3]]
    assert unmet == sorted(unmet)


def test_programme_level_inferred_from_its_name() -> None:
    g = build([target("t", "推荐入选省级以上高层次人才工程", 9, unit="人"),
               n("Talent", "a"), n("Talent", "b"), n("Talent", "c"),
               n("Program", "p_prov", "泰山产业领军人才工程"),
               n("Program", "p_city", "泰安市高层次创新创业团队"),
               n("Program", "p_nat", "国家“万人计划”", level="国家")],
              [e("SELECTED_FOR", "a", "p_prov", year=2020),
               e("SELECTED_FOR", "b", "p_city", year=2020),  # municipal: not counted
               e("SELECTED_FOR", "c", "p_nat", year=2019)])  # another year
    [row] = plan_targets(g)
    assert (row["actual"], row["shortfall"], row["status"]) == (1, 8, "未达成")
    assert "Program where level (else by name) ∈ {省, 国家}" in row["query"]


def test_target_at_most_and_custom_rules(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("""
rules:
  - id: all_enterprises
    match: [企业]
    labels: [Enterprise]
""", encoding="utf-8")
    firms = [x for x in TARGET_NODES if x["label"] == "Enterprise"]
    g = build([target("t", "企业总数控制", 3, "<="), *firms], [])
    [row] = plan_targets(g, rules=load_target_rules(rules))
    assert (row["actual"], row["shortfall"], row["status"], row["query"]) == (
        4, 1, "未达成", "Enterprise (rule all_enterprises)")


def test_bundled_rules_cover_the_2020_plan() -> None:
    rules = load_target_rules()
    expected = {
        "引进高水平研发团队": "teams", "注册落地企业": "community_enterprises",
        "共建产业研发创新机构": "community_institutions",
        "参与共同体建设的创新主体单位": "community_members",
        "引进与培养创新人才团队": "teams",
        "建设专业研究所或产业创新机构": "specialised_institutes",
        "转移转化技术成果": "tech_achievements",
        "建设企业联合创新中心": "joint_innovation_centres",
        "建设省级工程技术研究中心、重点实验室、技术创新中心、院士工作站等高层次创新平台":
            "platforms",
        "建设省级以上众创空间、科技企业孵化器": "platforms",
        "新增高新技术企业": "high_tech_new",
        "培育“创新50强”企业升级为高新技术企业": "top50_high_tech",
        "推荐入选省级以上高层次人才工程": "talent_programs",
        "引进培育高层次科技人才": "high_level_talents",
        "落地高科技产业化项目": "industrialisation_projects",
        "争取承担省级以上重点科技计划项目": "funded_projects",
        "全市研究与试验发展经费投入强度": "rd_intensity",
        "全年登记技术合同成交额": "contract_turnover",
        "省科技特派员系统注册人数": "tech_commissioners",
    }
    got = {}
    for metric in expected:
        rule = rules.rule_for(metric)
        got[metric] = rule.id if rule else None
    assert got == expected
    assert not rules.rule_for("全市研究与试验发展经费投入强度").countable  # type: ignore[union-attr]
    assert rules.levels_in("建设省级以上众创空间") == ["省", "国家"]


@pytest.mark.parametrize("body, message", [
    ("rules: [{id: x, match: ['('], labels: [Enterprise]}]", "匹配式"),
    ("rules: [{id: x, match: [a], labels: [Company]}]", "不认识的主体类别"),
    ("rules: [{id: x, match: [a], labels: [Team], scope_via: [WORKS_FOR]}]",
     "不认识的关系类型"),
    ("rules: [{id: x, match: [a], countable: false}]", "需要 'reason'"),
    ("rules: [{id: x, match: [a], labels: [Team]}, {id: x, match: [b], labels: [Team]}]",
     "规则编号重复"),
    ("rules: [{id: x, match: [a], labels: [Team], where: {size: {most: 3}}}]", "的条件"),
    ("rules: [", "无法读取"),
])
def test_bad_rule_files_are_rejected(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TargetRulesError, match=message):
        load_target_rules(path)


# ---- the command line ----------------------------------------------------------------------

@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An embedded store holding the field-gap and target graphs, chosen by the environment."""
    home = tmp_path / "home"
    store = EmbeddedStore(home / "store")
    store.open()
    store.upsert_nodes(nodes=FIELD_NODES + TARGET_NODES)
    store.upsert_edges(edges=FIELD_EDGES + TARGET_EDGES)
    store.close()
    monkeypatch.setenv("INNOGRAPH_HOME", str(home))
    monkeypatch.setenv("INNOGRAPH_STORE", "embedded")
    return home


def test_cli_fields_json_and_table(cli_home: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["gaps", "fields", "--format", "json", "--no-projects"])
    assert done.exit_code == 0, done.output
    rows = json.loads(done.stdout)
    assert [r["field_uid"] for r in rows] == ["fB", "fA1", "fA", "fC"]
    table = runner.invoke(app, ["gaps", "fields", "--format", "csv"])  # machine keys, as JSON
    assert table.exit_code == 0 and table.stdout.splitlines()[0].startswith("field,field_uid,")
    shown = runner.invoke(app, ["gaps", "fields"])  # the table for people: Chinese headers
    assert shown.exit_code == 0 and "领域" in shown.stdout and "field_uid" not in shown.stdout


def test_cli_targets_to_xlsx(cli_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "targets.xlsx"
    done = CliRunner().invoke(app, ["gaps", "targets", "--out", str(out)])
    assert done.exit_code == 0, done.output
    ws = openpyxl.load_workbook(out).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    assert header[:4] == ["指标", "目标值", "单位", "年度"] and "统计口径" in header
    statuses = [r[header.index("状态")] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert len(statuses) == 10 and statuses.count("无法统计") == 4
    notes = openpyxl.load_workbook(out)["说明"]
    defined = {r[0]: r[1] for r in notes.iter_rows(min_row=2, values_only=True)}
    assert set(defined) >= {"实际数", "差额", "完成率(%)", "状态", "统计口径"}
    assert "80%" in defined["比较"]


def test_cli_tables_carry_their_definitions_and_isolated_its_summary(cli_home: Path,
                                                                     tmp_path: Path) -> None:
    runner = CliRunner()
    fields = runner.invoke(app, ["gaps", "fields"], env={"COLUMNS": "200"})
    assert fields.exit_code == 0, fields.output
    tail = fields.stdout.split("注:")[1]
    # the quoted confusion: why 需求主体数 and 需求数 differ is said under the table
    assert "需求主体数:" in tail and "可以少于需求主体数" in tail
    isolated = runner.invoke(app, ["gaps", "isolated"], env={"COLUMNS": "200"})
    assert isolated.exit_code == 0, isolated.output
    rows = json.loads(runner.invoke(app, ["gaps", "isolated", "-f", "json"]).stdout)
    head = isolated.stdout.split("孤立主体")[1]
    assert "汇总" in head and "(合计)" in head
    summary = gaps.isolated_summary(rows)
    totals = {r["kind_name"]: r["count"] for r in summary if r["field"] == "(合计)"}
    assert sum(totals.values()) == len(rows)
    out = tmp_path / "isolated.xlsx"
    assert runner.invoke(app, ["gaps", "isolated", "--out", str(out)]).exit_code == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[1:] == ["汇总", "说明"]
    assert wb["汇总"].max_row == len(summary) + 1


def test_cli_rejects_other_suffixes_and_kinds(cli_home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["gaps", "holes", "--out", str(tmp_path / "x.txt")])
    assert bad.exit_code == 1 and ".csv 或 .xlsx" in bad.output
    assert runner.invoke(app, ["gaps", "isolated", "--kind", "lonely"]).exit_code == 2
    ok = runner.invoke(app, ["gaps", "isolated", "-k", "team_no_enterprise", "-f", "json"])
    assert ok.exit_code == 0, ok.output
    assert [r["uid"] for r in json.loads(ok.stdout)] == ["t1", *(f"team{i}" for i in range(1, 6))]


def test_target_counting_reads_each_relationship_type_in_out_edges_order() -> None:
    # the plan-target counter gathers each type's relationships once (from a projection's
    # type index, else by a scan): per node, they must be what out_edges lists, in order
    from graph.analytics.computed import project_records
    from graph.analytics.targets import _Graph

    nodes = [{"uid": u, "label": "Enterprise", "name": u} for u in ("a", "b", "c", "d")]
    edges = [{"uid": f"e{i}", "type": t, "source": s, "target": o, "year": 2000 + i}
             for i, (t, s, o) in enumerate([
                 ("IN_FIELD", "a", "c"), ("COOPERATES_WITH", "a", "b"), ("IN_FIELD", "a", "b"),
                 ("COOPERATES_WITH", "c", "a"), ("IN_FIELD", "a", "d"),
                 ("COOPERATES_WITH", "a", "b"), ("LOCATED_IN", "b", "d")])]
    plain = nx.MultiDiGraph()
    plain.add_nodes_from((r["uid"], r) for r in nodes)
    for e in edges:
        plain.add_edge(e["source"], e["target"], e["uid"], **e)
    for g in (project_records(nodes, edges), plain):
        G = _Graph(g)
        for n in g:
            for t in ("IN_FIELD", "COOPERATES_WITH", "LOCATED_IN", "SET_BY"):
                want = [(v, d) for _, v, d in g.out_edges(n, data=True) if d.get("type") == t]
                assert G.out(n, t) == want
            assert G.rec(n) is g.nodes[n]
    assert [v for v, _ in _Graph(plain).out("a", "IN_FIELD")] == ["c", "b", "d"]


def test_a_projection_holds_each_uid_once() -> None:
    # a database hands each record its own copies of the endpoint uids: the projection
    # keys every node and relationship by the node's own string; the records' endpoints
    # are set to it only when the records are the projection's own (``own``), never a
    # store's (the embedded store's records are shared with its projections)
    from graph.analytics.computed import edges_of, project_records, type_index

    def fresh(text: str) -> str:
        return "".join(list(text))  # an equal string that is another object

    def records() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        nodes = [{"uid": fresh(u), "label": "Enterprise", "name": u}
                 for u in ("a甲", "b乙", "c丙")]
        edges = [{"uid": "e1", "type": "COOPERATES_WITH", "source": fresh("a甲"),
                  "target": fresh("b乙")},
                 {"uid": "e2", "type": "IN_FIELD", "source": fresh("b乙"),
                  "target": fresh("c丙")},
                 {"uid": "e3", "type": "IN_FIELD", "source": fresh("a甲"), "target": fresh("x")}]
        return nodes, edges

    for own in (True, False):
        nodes, edges = records()
        ends = [(e["source"], e["target"]) for e in edges]
        assert edges[0]["source"] is not nodes[0]["uid"]
        g = project_records(nodes, edges, own=own)
        key = {u: u for u in g}
        assert sorted(g.edges(keys=True)) == [("a甲", "b乙", "e1"), ("b乙", "c丙", "e2")]
        for u, v, d in g.edges(data=True):
            assert u is key[u] and v is key[v] and (d["source"], d["target"]) == (u, v)
            assert (d["source"] is key[u] and d["target"] is key[v]) is own
        for u in g:
            assert all(v is key[v] for v in g.succ[u]) and all(v is key[v] for v in g.pred[u])
        if not own:  # the records hold the very strings they held
            assert all(e["source"] is s and e["target"] is t
                       for e, (s, t) in zip(edges, ends, strict=True))
        # the type index reads the same edges, in the graph's order, per type and merged
        index = type_index(g)
        assert [d["uid"] for _, _, d in edges_of(index, "IN_FIELD", "COOPERATES_WITH")] == \
            [d["uid"] for _, _, d in g.edges(data=True)]
        assert [d["uid"] for _, _, d in edges_of(index, "IN_FIELD")] == ["e2"]
