"""The seed's systems in the embedded: the community's four alliances, the plan's fifteen
kinds of platform, enterprise tiers that search finds and a table counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api import cli_gaps  # noqa: F401  (registers the gaps commands)
from api.cli import app
from graph.analytics.systems import alliance_table, platform_kinds, tier_table
from graph.backends.embedded import EmbeddedStore
from graph.store import GraphStore
from ingest.pipeline import run_ingest
from schemas.vocabularies import ALLIANCES, ENTERPRISE_TIERS, PLAN_PLATFORM_KINDS

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
COMMUNITY = "山东省智慧康养创新创业共同体"


def test_the_community_has_its_four_alliances_as_data(embedded: GraphStore) -> None:
    rows = alliance_table(embedded.subgraph())
    assert sorted(r["alliance"] for r in rows) == sorted(f"{COMMUNITY}{a}联盟" for a in ALLIANCES)
    assert all(r["community"] == COMMUNITY and r["members"] >= 1 for r in rows)
    by = {r["alliance"].removeprefix(COMMUNITY): r for r in rows}
    assert by["研发团队联盟"]["by_kind"] == [f"团队{by['研发团队联盟']['members']}"]
    # an alliance is part of the community, and its members reach the community through it
    community = embedded.find_records(name=COMMUNITY, label="Platform", limit=1)[0]["uid"]
    alliance = by["骨干企业联盟"]["alliance_uid"]
    assert [e.target for e in embedded.get_edges(source=alliance, rel_types=["MEMBER_OF"])] \
        == [community]
    member = embedded.get_edges(target=alliance, rel_types=["MEMBER_OF"])[0].source
    tags = embedded.get_node(uid=member).model_dump().get("tags") or []
    assert "高新技术企业" in tags or "创新50强" in tags  # backbone firms are the certified ones


def test_every_plan_platform_kind_is_in_the_sample_and_tabled(embedded: GraphStore) -> None:
    rows = platform_kinds(embedded.subgraph())
    plan = [r for r in rows if r["kind"] != "other"]
    assert [r["kind"] for r in plan] == [k.code for k in PLAN_PLATFORM_KINDS]
    assert all(r["count"] >= 1 and r["examples"] for r in plan), \
        [r["kind_name"] for r in plan if not r["count"]]
    # set against the plan: the 众创空间/孵化器 target is named beside those kinds
    incubators = next(r for r in plan if r["kind"] == "provincial_incubator")
    assert "建设省级以上众创空间、科技企业孵化器(目标5家" in incubators["targets"]
    # platforms of the plan's kinds are not counted again among the others
    assert sum(r["count"] for r in rows) == sum(
        1 for _, d in embedded.subgraph().nodes(data=True)
        if d.get("label") == "Platform" and d.get("platform_type") != "共同体联盟")


def test_enterprise_tiers_are_searchable_and_tabled(embedded: GraphStore) -> None:
    rows = {r["tier"]: r for r in tier_table(embedded.subgraph())}
    assert list(rows) == list(ENTERPRISE_TIERS)
    top = rows["创新50强"]
    assert top["count"] == top["tagged"] > 0
    assert "培育“创新50强”企业升级为高新技术企业(目标5家" in top["targets"]
    hits = embedded.search(text="创新50强", labels=["Enterprise"], limit=100)
    assert len(hits) == top["tagged"] and {h.matched for h in hits} == {"tag"}
    # each enterprise counts once, at its highest tier
    total = sum(1 for _, d in embedded.subgraph().nodes(data=True)
                if d.get("label") == "Enterprise" and set(d.get("tags") or []) &
                set(ENTERPRISE_TIERS))
    assert sum(r["count"] for r in rows.values()) == total


def test_cli_tables(embedded: GraphStore, monkeypatch: pytest.MonkeyPatch,
                    tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = EmbeddedStore(home / "store")
    store.open()
    run_ingest(store, [SAMPLE])
    store.close()
    monkeypatch.setenv("INNOGRAPH_HOME", str(home))
    monkeypatch.setenv("INNOGRAPH_STORE", "embedded")
    runner = CliRunner()
    for name, word in (("platforms", "国家重点实验室"), ("tiers", "创新50强"),
                       ("alliances", "研发团队联盟")):
        done = runner.invoke(app, ["gaps", name, "-f", "csv"])
        assert done.exit_code == 0, done.output
        assert word in done.stdout


def test_communities_keep_their_ids_and_labels_across_two_ingests(tmp_path: Path) -> None:
    import shutil

    from graph.analytics.gaps import cooperation_communities, structural_holes

    store = EmbeddedStore(tmp_path / "store")
    store.open()
    run_ingest(store, [SAMPLE])
    first = {r["community"]: r["label"] for r in cooperation_communities(store.subgraph())}
    holes = [(r["demand_community"], r["supply_community"])
             for r in structural_holes(store.subgraph())]
    # a second ingest: the sample again and a registry that adds people, not cooperation
    extra = tmp_path / "extra"
    extra.mkdir()
    template = SAMPLE.parent / "templates" / "科技特派员名单.csv"
    shutil.copy(template.with_name(template.name + ".mapping.yaml"), extra)
    (extra / template.name).write_text(template.read_text(encoding="utf-8-sig")
                                       + "李明,山东农业大学,东平县某合作社,现代农业,2020,\n",
                                       encoding="utf-8-sig")
    run_ingest(store, [SAMPLE, extra])
    second = {r["community"]: r["label"] for r in cooperation_communities(store.subgraph())}
    assert second == first and all(label for label in first.values())
    assert all(c.startswith("C-") for c in first)
    assert [(r["demand_community"], r["supply_community"])
            for r in structural_holes(store.subgraph())] == holes
    store.close()
