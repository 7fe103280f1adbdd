"""The bundled sample ingests completely, and a second run changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.backends.embedded import EmbeddedStore
from ingest.pipeline import run_ingest
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
