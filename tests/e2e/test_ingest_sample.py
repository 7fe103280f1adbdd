"""The bundled sample ingests completely, a second run changes nothing, and real and
synthetic entities keep their provenance flags."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.backends.embedded import EmbeddedStore
from graph.store import MAX_RESULTS, GraphStore
from ingest.generate import real_entity_names
from ingest.pipeline import DIE_ENV, run_ingest
from ingest.resolve import Resolver
from ingest.review import ReviewQueue

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
FILES = ["机构名录.csv", "领域.csv", "高新技术企业名单.csv", "创新平台名录.xlsx", "人才名单.json",
         "共同体成员.csv", "项目名录.csv", "项目参与.csv", "规划目标.csv"]

pytestmark = pytest.mark.skipif(not all((SAMPLE / f).is_file() for f in FILES),
                                reason="the sample data files are not there")


def test_sample_twice(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.open()
    queue = ReviewQueue(tmp_path / "review.json")
    first = run_ingest(store, [SAMPLE], review=queue)
    stats = store.stats()
    second = run_ingest(store, [SAMPLE], review=queue)
    store.close()

    assert len(first.files) == len(FILES) + 1  # the workbook has two sheets
    assert first.accepted + len(first.rejected) == first.rows_read > 1500
    assert [(f.file, f.sheet, f.rows_read, f.accepted) for f in second.files] == \
        [(f.file, f.sheet, f.rows_read, f.accepted) for f in first.files]
    assert (second.created, second.updated) == (0, 0)
    assert second.unchanged > 0
    assert second.queued_for_review == []  # questions are asked once

    reopened = EmbeddedStore(tmp_path / "store", read_only=True)
    reopened.open()
    assert reopened.stats() == stats
    # a few facts the sample is built to show
    # a former name written in a registry resolves to the university's current node
    former = Resolver(store=reopened).resolve("泰山医学院", label="University")
    assert former.uid == "uni:4137010439" and former.in_store
    assert "泰安市科技局" in reopened.get_node(uid="gov:泰安市科学技术局").aliases
    assert stats.relationships["COOPERATES_WITH"] > 0
    talent_rows = next(f.accepted for f in first.files if f.file.endswith("人才名单.json"))
    assert stats.nodes["Talent"] < talent_rows  # the sample repeats talents; they fold
    reopened.close()


REAL_PLATFORMS = ["山东省智慧康养创新创业共同体", "泰山创新谷黑马学院", "泰安国家农业科技园区",
                  "泰安市技术交易中心"]
NAMED_REAL = ["泰山创新谷", "泰安高新区", "泰安市产业技术创新研究院", *REAL_PLATFORMS,
              "泰安市人民政府", "泰安市科学技术局", "泰安市2020年科技工作要点"]


@pytest.fixture
def sample_store(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    """The store ``innograph ingest data/sample`` wrote, on each backend."""
    from api import cli_ingest  # noqa: F401  (registers the command)
    from api.cli import app

    monkeypatch.setenv("INNOGRAPH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("INNOGRAPH_STORE", backend)
    monkeypatch.delenv(DIE_ENV, raising=False)
    if backend == "neo4j":
        shared: GraphStore = request.getfixturevalue("_neo4j_session")
        shared.clear()
    result = CliRunner().invoke(app, ["ingest", str(SAMPLE), "--quiet"])
    assert result.exit_code == 0, result.output
    if backend == "neo4j":
        yield shared
        return
    store = EmbeddedStore(tmp_path / "home" / "store", read_only=True)
    store.open()
    yield store
    store.close()


def _flags(store: GraphStore, label: str) -> dict[str, bool]:
    return {r["name"]: bool(r["prov_synthetic"])
            for r in store.find_records(label=label, limit=MAX_RESULTS)}


def test_sample_real_entities_are_real_and_generated_ones_synthetic(
        sample_store: GraphStore) -> None:
    store = sample_store
    unis = _flags(store, "University")
    assert len(unis) == 16 and not any(unis.values())  # every one is on the MoE list
    for name in [*NAMED_REAL, *real_entity_names()]:
        found = store.find_records(name=name)
        assert found and not any(r["prov_synthetic"] for r in found), name
    for label in ("Enterprise", "Team", "Talent", "Project"):
        flags = _flags(store, label)
        assert flags and all(flags.values()), label
    # mixed files: only the real rows of 机构名录 and of the 平台 sheet are real
    assert all(_flags(store, "Hospital").values())
    institutes = _flags(store, "Institute")
    assert [n for n, syn in institutes.items() if not syn] == ["泰安市产业技术创新研究院"]
    platforms = _flags(store, "Platform")
    assert sorted(n for n, syn in platforms.items() if not syn) == sorted(REAL_PLATFORMS)
    targets = _flags(store, "Target")
    assert len(targets) == 19 and not any(targets.values())  # transcribed from the plan
    # relationships carry their row's flag: memberships and participations are made up,
    # the plan's targets and the zone inside the high-tech zone are not
    for rtype, synthetic in (("MEMBER_OF", True), ("PARTICIPATES_IN", True),
                             ("COOPERATES_WITH", True), ("SET_BY", False)):
        edges = store.get_edges(rel_types=[rtype])
        assert edges and {e.provenance.synthetic for e in edges} == {synthetic}, rtype
    (valley,) = store.get_edges(source="reg:泰山创新谷", rel_types=["LOCATED_IN"])
    assert valley.target == "reg:泰安高新区" and not valley.provenance.synthetic
