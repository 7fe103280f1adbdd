"""Query commands on the embedded store: names resolve, formats are usable by scripts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from api import cli_query  # noqa: F401  (registers the commands)
from api.cli import app


@pytest.fixture
def home(fixture_home: Path) -> Path:
    return fixture_home


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_path_by_names_reads_as_a_sentence(home: Path) -> None:
    code, out, _ = run("path", "山农大", "康复机器人创新团队", "--format", "json")
    assert code == 0
    paths = json.loads(out)
    assert paths[0]["sentence"] == ("山东农业大学 —合作→ 泰安康养医疗器械有限公司 "
                                    "—合作→ 康复机器人创新团队")
    assert all("uid" in p for p in paths)


def test_ambiguous_and_unknown_names_exit_non_zero(home: Path) -> None:
    code, _, err = run("path", "泰山", "山农大")
    assert code == 2 and "泰山学院" in err and "泰山科技学院" in err
    code, _, err = run("neighbors", "不存在的单位")
    assert code == 1 and "不存在的单位" in err


def test_search_and_node_formats(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run("search", "泰山", "--format", "csv")
    rows = list(csv.DictReader(out.splitlines()))
    assert code == 0 and [r["uid"] for r in rows] == ["uni:4137010436", "uni:4137013994"]
    # the command line is a local admin unless INNOGRAPH_ROLE says less
    code, out, _ = run("node", "张三", "--format", "json")
    detail = json.loads(out)[0]
    assert detail["uid"] == "tal:张三@泰山学院" and detail["phone"]
    monkeypatch.setenv("INNOGRAPH_ROLE", "analyst")
    code, out, _ = run("node", "张三", "--format", "json")
    detail = json.loads(out)[0]
    assert detail["uid"] == "tal:张三@泰山学院" and "phone" not in detail


def test_recommend_batch_to_xlsx(home: Path) -> None:
    out = home / "list.xlsx"
    code, stdout, err = run("recommend", "ent:a", "ent:b", "--out", str(out), "--format", "json")
    assert code == 0, stdout
    rows = json.loads(stdout)
    # ent:a's partners work with nobody else and no research actor shares its field: its
    # list is empty, and the reason is said instead of padding it with active actors
    assert {r["source_uid"] for r in rows} == {"ent:b"}
    assert "泰安康养医疗器械有限公司: 推荐 0 个;其余候选与该主体既无共同合作伙伴" in err
    assert all(r["reason"] for r in rows)
    ws = load_workbook(out).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    # for people: Chinese headers, kinds by name, a frozen header row
    assert header[:6] == ["来源标识", "来源", "名次", "标识", "类别", "名称"]
    assert "推荐理由" in header and ws.freeze_panes == "A2"
    assert {ws.cell(row=i, column=5).value for i in range(2, ws.max_row + 1)} <= {
        "高校", "科研院所", "团队", "人才", "医院", "创新平台", "企业"}
    assert ws.max_row == len(rows) + 1
