"""The labelled matchmaking evaluation: grading, metrics, and the CLI on a small city."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api import cli_linkpred  # noqa: F401  (registers eval commands)
from api.cli import app
from graph.analytics.match_eval import _grade, ndcg, precision


def test_grades_and_metrics() -> None:
    parent = {"leaf": "root", "sib": "root", "child": "leaf"}
    assert _grade(parent, "leaf", {"leaf"}) == 2
    assert [_grade(parent, "leaf", {x}) for x in ("root", "sib", "child", "other")] == [1, 1, 1, 0]
    grades = {"a": 2, "b": 1, "c": 2}
    assert ndcg(["a", "c", "b"], grades) == 1.0
    assert 0 < ndcg(["x", "b", "a"], grades) < ndcg(["a", "b", "x"], grades) < 1
    assert precision(["a", "b", "c", "x", "y"], grades) == 0.4


def test_eval_match_on_a_generated_city(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["eval", "match", "--actors", "1500", "--seed", "3",
                                    "--needs", "60", "-f", "json"])
    assert done.exit_code == 0, done.output
    rows = {(r["needs"], r["method"]): r for r in json.loads(done.stdout)}
    assert set(rows) == {(s, m) for s in ("需求原文", "产品短需求") for m in ("innograph", "bm25")}
    assert rows["需求原文", "innograph"]["n"] == 60
    # a product's name alone: the field must be understood, which plain BM25 cannot do
    assert rows["产品短需求", "innograph"]["ndcg@10"] > rows["产品短需求", "bm25"]["ndcg@10"]
    assert all(0 <= r["ndcg@10"] <= 1 and 0 <= r["p@5"] <= 1 for r in rows.values())
