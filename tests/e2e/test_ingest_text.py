"""ingest-text on top of the sample: the plan's actors link to the sample's nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.backends.embedded import EmbeddedStore
from ingest.pipeline import run_ingest
from ingest.text import ingest_texts

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed" / "2020-taian-sci-tech-work-plan.txt"
TITLE = "泰安市2020年科技工作要点"


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    if not SEED.exists():
        pytest.skip("the seed text is not beside the checkout")
    store = EmbeddedStore(tmp_path_factory.mktemp("text") / "store")
    store.open()
    run_ingest(store, [ROOT / "data" / "sample"])
    return store


def test_plan_entities_link_to_sample_nodes(sample_store: EmbeddedStore) -> None:
    before = sample_store.stats()
    report = ingest_texts(sample_store, [SEED], year=2020, title=TITLE)
    assert report.documents == 1 and not report.failed
    doc = sample_store.find_records(name=TITLE, label="Document")
    assert len(doc) == 1  # the registry's Document is reused, not duplicated
    mentioned = {e.source for e in sample_store.get_edges(target=doc[0]["uid"],
                                                          rel_types=["MENTIONED_IN"])}
    for name in ("泰山创新谷", "山东省智慧康养创新创业共同体", "泰安市产业技术创新研究院",
                 "泰山创新谷黑马学院", "泰安国家农业科技园区"):
        found = sample_store.find_records(name=name)
        assert len(found) == 1, name  # one node per entity: no duplicate of the registry's
        assert found[0]["uid"] in mentioned, name
    assert not any(r["label"] == "Talent" and r["name"] == "习近平"
                   for r in sample_store.find_records(label="Talent", limit=10_000))
    after = sample_store.stats()
    # most of the plan's targets restate registry rows and are linked, not added
    assert 0 < after.nodes["Target"] - before.nodes["Target"] < report.targets + 10
    alias = sample_store.find_records(name="山东产业技术研究院泰安分院")
    assert [r["uid"] for r in alias] == [found[0]["uid"] for found in
                                        [sample_store.find_records(name="泰安市产业技术创新研究院")]]


def test_the_quoted_duplicates_are_linked_not_created(sample_store: EmbeddedStore) -> None:
    ingest_texts(sample_store, [SEED], year=2020, title=TITLE)  # idempotent if already run
    programs = {r["name"] for r in sample_store.find_records(label="Program", limit=10_000)}
    # the plan's 外专双百计划 is the stored 山东省“外专双百计划”, not a second programme
    assert "外专双百计划" not in programs and "山东省“外专双百计划”" in programs
    # "吸引20家以上创新主体单位参与共同体建设" restates the registry's target
    targets = [r for r in sample_store.find_records(label="Target", limit=10_000)
               if "创新主体单位" in r["name"]]
    assert [t["name"] for t in targets] == ["参与共同体建设的创新主体单位"]
    # the fund 泰山科技创业资金 is not read as the place 泰山
    doc = sample_store.find_records(name=TITLE, label="Document")[0]["uid"]
    for e in sample_store.get_edges(target=doc, rel_types=["MENTIONED_IN"]):
        if e.source == "reg:泰山":
            assert "创业资金" not in (e.model_dump().get("evidence") or "")


def test_second_run_changes_nothing(sample_store: EmbeddedStore) -> None:
    ingest_texts(sample_store, [SEED], year=2020, title=TITLE)
    before = sample_store.stats()
    again = ingest_texts(sample_store, [SEED], year=2020, title=TITLE)
    assert (again.nodes.created, again.nodes.updated) == (0, 0)
    assert (again.relationships.created, again.relationships.updated) == (0, 0)
    assert sample_store.stats() == before


def test_a_think_tank_is_an_institute(sample_store: EmbeddedStore) -> None:
    ingest_texts(sample_store, [SEED], year=2020, title=TITLE)
    found = sample_store.find_records(name="北京创享智库")
    assert [r["label"] for r in found] == ["Institute"]
