"""``innograph eval resolve``: precision and recall by kind of variant on pairs files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api import cli_ingest  # noqa: F401  (registers the commands)
from api.cli import app
from ingest.resolve import Resolver
from ingest.resolve.evaluate import judge, read_pairs, summarise

PAIRS = Path(__file__).resolve().parents[1] / "data" / "resolve" / "pairs.csv"
runner = CliRunner()


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "pairs.csv"
    p.write_text("variant,canonical,kind\n" + body, encoding="utf-8")
    return p


def test_verdicts(tmp_path: Path) -> None:
    pairs = read_pairs(_write(tmp_path, "浙江财经学院,浙江财经大学,former_name\n"
                                        "某某不存在学院,某某大学,former_name\n"
                                        "山东大学,山东师范大学,negative\n"
                                        "山东科技大学泰安校区,山东科技大学,campus\n"
                                        "泰山学院,山东农业大学,informal\n"))
    got = [o.verdict for o in judge(Resolver(), pairs)]
    assert got == ["found", "missed", "kept_apart", "found", "false_merge"]
    rows, precision = summarise(judge(Resolver(), pairs))
    by_kind = {r.kind: r for r in rows}
    assert by_kind["former_name"].recall == 0.5
    assert by_kind["negative"].recall is None
    assert by_kind["ALL"].pairs == 4 and by_kind["ALL"].false_merges == 1
    assert precision == 2 / 3


def test_shipped_pairs_never_merge_different_universities() -> None:
    rows, precision = summarise(judge(Resolver(), read_pairs(PAIRS)))
    by_kind = {r.kind: r for r in rows}
    assert precision == 1.0
    assert by_kind["negative"].pairs >= 60 and by_kind["negative"].false_merges == 0
    for kind in ("campus", "traditional", "informal"):
        assert by_kind[kind].recall is not None and by_kind[kind].recall >= 0.9


def test_cli_json_and_errors(tmp_path: Path) -> None:
    ok = _write(tmp_path, "深大,深圳大学,abbreviation\n")
    out = runner.invoke(app, ["eval", "resolve", str(ok), "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert rows[0]["类型"] == "abbreviation" and rows[0]["正确合并"] == 1
    bad = _write(tmp_path, "深大,,abbreviation\n")
    out = runner.invoke(app, ["eval", "resolve", str(bad)])
    assert out.exit_code == 1
    assert "row 2" in out.output
