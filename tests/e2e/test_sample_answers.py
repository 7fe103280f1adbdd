"""The four answers on the bundled sample, and the same answers from both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

from graph.analytics.match import match
from graph.analytics.paths import path_sentence
from graph.analytics.recommend import recommend_partners
from graph.analytics.targets import plan_targets
from graph.backends.embedded import EmbeddedStore
from graph.store import GraphStore
from ingest.pipeline import run_ingest
from schemas.results import Path as GraphPath
from tests.conftest import open_neo4j

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
PLAN = SAMPLE.parents[2] / "shared" / "seed" / "2020-taian-sci-tech-work-plan.txt"
NEED = "康复医疗装备:研发下肢外骨骼康复机器人,需要步态分析与运动控制"


@pytest.fixture(scope="module")
def both(embedded: GraphStore) -> Iterator[tuple[GraphStore, GraphStore]]:
    neo = open_neo4j()
    neo.clear()
    run_ingest(neo, [SAMPLE])
    yield embedded, neo
    neo.close()


def _enterprise_with_path(store: GraphStore, g: nx.MultiDiGraph) -> str:
    for rec in store.find_records(label="Enterprise", limit=1000):
        if store.shortest_paths(source="uni:4137010434", target=rec["uid"], max_hops=3):
            return str(rec["uid"])
    raise AssertionError("no sample enterprise within 3 hops of 山东农业大学")


def test_match_for_rehabilitation_need_returns_teams_with_reasons(
        embedded: GraphStore) -> None:
    result = match(embedded.subgraph(), text=NEED, fields=["康复医疗装备"], kinds=["team"],
                   top=10)
    assert result.matches, "the sample has teams for 康复医疗装备"
    assert all(m.label == "Team" for m in result.matches)
    best = result.matches[0]
    assert "康复医疗装备" in best.shared_fields or best.matched_keywords
    assert "同属领域" in best.reason or "关键词匹配" in best.reason


def test_path_from_sdau_to_an_enterprise_reads_as_a_sentence(embedded: GraphStore) -> None:
    g = embedded.subgraph()
    ent = _enterprise_with_path(embedded, g)
    paths = embedded.shortest_paths(source="uni:4137010434", target=ent, k=3)
    sentence = path_sentence(paths[0])
    assert sentence.startswith("山东农业大学 ") and sentence.endswith(g.nodes[ent]["name"])
    assert "→" in sentence


def test_plan_targets_table_counts_the_work_plan(embedded: GraphStore) -> None:
    rows = plan_targets(embedded.subgraph())
    assert len(rows) == 19
    metrics = {r["metric"] for r in rows}
    assert any("高新技术企业" in m for m in metrics)
    counted = [r for r in rows if r["status"] != "无法统计"]
    assert len(counted) >= 10
    for r in counted:
        assert isinstance(r["actual"], int) and r["query"]
    assert any(r["status"] == "无法统计" and "经费" in r["metric"] for r in rows)
    # a target the sample cannot count says which data would count it
    commissioners = [r for r in rows if "科技特派员" in r["metric"]]
    assert commissioners and all(r["status"] == "无法统计"
                                 and "data/templates/科技特派员名单.csv" in r["note"]
                                 for r in commissioners)


def test_the_commissioner_registry_template_makes_its_target_countable(
        tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "registry"
    folder.mkdir()
    template = SAMPLE.parent / "templates" / "科技特派员名单.csv"
    shutil.copy(template.with_name(template.name + ".mapping.yaml"), folder)
    header = template.read_text(encoding="utf-8-sig")
    rows = ["李明,山东农业大学,东平县某合作社,现代农业,2020,13800000001",
            "王芳,泰山学院,肥城市某企业,康复医疗装备,2020,",
            "赵强,山东农业大学,宁阳县某基地,现代农业,2019,"]
    (folder / template.name).write_text(header + "\n".join(rows) + "\n", encoding="utf-8-sig")
    store = EmbeddedStore(tmp_path / "store")
    store.open()
    run_ingest(store, [SAMPLE, folder])
    got = [r for r in plan_targets(store.subgraph()) if "科技特派员" in r["metric"]]
    assert got and all(r["status"] != "无法统计" and r["rule"] == "tech_commissioners"
                       for r in got)
    # the plan's target is for 2020: the 2019 registration is not counted
    assert {r["actual"] for r in got} == {2}
    store.close()


@pytest.mark.neo4j
def test_backends_agree_on_the_sample(both: tuple[GraphStore, GraphStore]) -> None:
    emb, neo = both
    assert emb.stats() == neo.stats()
    for q in ("泰山创新谷", "康复", "山农大", "泰安市"):
        assert emb.search(text=q, limit=20) == neo.search(text=q, limit=20), q
    ge, gn = emb.subgraph(), neo.subgraph()
    ent = _enterprise_with_path(emb, ge)
    assert (emb.shortest_paths(source="uni:4137010434", target=ent, k=3)
            == neo.shortest_paths(source="uni:4137010434", target=ent, k=3))
    top = [(m.uid, m.score) for m in match(ge, text=NEED, kinds=["team", "platform"]).matches]
    assert top == [(m.uid, m.score) for m in
                   match(gn, text=NEED, kinds=["team", "platform"]).matches]
    assert ([(r["uid"], r["reason"]) for r in recommend_partners(emb, ent, k=10)]
            == [(r["uid"], r["reason"]) for r in recommend_partners(neo, ent, k=10)])
    assert plan_targets(ge) == plan_targets(gn)


@pytest.fixture(scope="module")
def with_plan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    """The sample with the work plan's text ingested (its actors linked to the document)."""
    from ingest.text import ingest_texts

    if not PLAN.exists():
        pytest.skip("the seed text is not beside the checkout")
    store = EmbeddedStore(tmp_path_factory.mktemp("plan") / "store")
    store.open()
    run_ingest(store, [SAMPLE])
    ingest_texts(store, [PLAN], year=2020, title="泰安市2020年科技工作要点")
    yield store
    store.close()


def _hub_steps(paths: list[GraphPath]) -> set[str]:
    from schemas.relationships import HUB_TYPES

    return {s.type for p in paths for s in p.steps if s.type in HUB_TYPES}


def test_default_paths_go_through_ties_not_regions_or_documents(with_plan: GraphStore) -> None:
    from graph.analytics.paths import path_facts, path_story, path_types

    park = with_plan.find_records(name="泰安国家农业科技园区", limit=1)[0]["uid"]
    inst = with_plan.find_records(name="泰安市产业技术创新研究院", limit=1)[0]["uid"]
    # with every relationship allowed, the document is the shortest link (the quoted case)
    every = with_plan.shortest_paths(source=park, target=inst, k=3,
                                     rel_types=path_types(None, via_hubs=True))
    assert "MENTIONED_IN" in _hub_steps(every)
    paths = with_plan.shortest_paths(source=park, target=inst, k=3,
                                     rel_types=path_types(None))
    assert paths and not _hub_steps(paths)
    edges, projects = path_facts(with_plan, paths)
    stories = [path_story(p, edges, projects) for p in paths]
    assert all(s.startswith("泰安国家农业科技园区") and s.endswith("。") for s in stories)
    assert not any("提及" in s or "见于" in s or "位于" in s for s in stories)
    # 山东农业大学 and 泰山创新谷 share only a district: no tie within four hops
    sdau = "uni:4137010434"
    valley = with_plan.find_records(name="泰山创新谷", limit=1)[0]["uid"]
    assert _hub_steps(with_plan.shortest_paths(source=sdau, target=valley, k=3,
                                               rel_types=path_types(None, via_hubs=True)))
    assert not _hub_steps(with_plan.shortest_paths(source=sdau, target=valley, k=3,
                                                   rel_types=path_types(None)))


def test_a_path_through_a_project_names_it_and_its_year(with_plan: GraphStore) -> None:
    from graph.analytics.paths import path_facts, path_story

    rows = with_plan.find_records(label="Project", limit=200)
    for proj in rows:
        members = sorted({e.source for e in with_plan.get_edges(
            target=proj["uid"], rel_types=["UNDERTAKES", "PARTICIPATES_IN"])})
        if len(members) >= 2 and proj.get("year"):
            break
    else:
        raise AssertionError("no sample project with two participants and a year")
    a, b = members[:2]
    paths = with_plan.shortest_paths(source=a, target=b, k=5,
                                     rel_types=["UNDERTAKES", "PARTICIPATES_IN"])
    through = [p for p in paths if p.hops == 2 and p.nodes[1].uid == proj["uid"]]
    assert through
    edges, projects = path_facts(with_plan, through)
    story = path_story(through[0], edges, projects)
    assert f"{proj['year']}年共同承担项目《{proj['name']}》" in story


def test_match_understands_an_exoskeleton_need(embedded: GraphStore) -> None:
    result = match(embedded.subgraph(), text="下肢外骨骼康复机器人", kinds=["team"], top=10)
    assert "康复医疗装备" in result.need.inferred_fields
    # parts of words weigh less than the words: 机器 and 复机 do not pull other teams in
    assert result.need.token_weights["康复机器人"] == 1.0
    assert result.need.token_weights["机器"] < 1.0 and result.need.token_weights["复机"] < 1.0
    assert result.matches and all(m.shared_fields for m in result.matches)
    assert not any("数控机床" in m.name or "增材制造" in m.name for m in result.matches)
    assert {"外骨骼", "康复机器人", "下肢"} & {k for m in result.matches
                                             for k in m.matched_keywords}


def test_match_understands_a_herbal_processing_need(embedded: GraphStore) -> None:
    result = match(embedded.subgraph(), text="中药材深加工", top=10)
    assert result.need.inferred_fields[:1] == ["中医药"]
    names = [m.name for m in result.matches]
    assert not any("红外成像" in n or "故障诊断" in n for n in names), names
    # each is of the field, or says the field's name or a word of the need itself
    assert all(m.shared_fields or "中医药" in m.name
               or set(m.matched_keywords) & {"中药材", "深加工"} for m in result.matches), names
