"""The query commands speak Chinese to people: headers, kinds, relationship names,
titles and messages of the default table output, on an 80-column terminal, over the
sample; identifiers are never cut. JSON and CSV keep the machine keys."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from api import cli_commands  # noqa: F401  (registers the commands)
from api.cli import app

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"

QUERIES: list[list[str]] = [
    ["stats"],
    ["search", "泰山"],
    ["search", "泰山", "--kind", "高校"],
    ["node", "泰山学院"],
    ["neighbors", "泰山学院"],
    ["path", "山东农业大学", "泰山学院", "-n", "2"],
    ["recommend", "山东农业大学", "-n", "5"],
    ["recommend", "山东农业大学", "泰山学院", "-n", "3"],
    ["match", "中药材种植", "-n", "5"],
    ["match", "--field", "中医药", "--kind", "team", "-n", "3"],
    ["gaps", "fields"],
    ["gaps", "fields", "--year", "2016", "--compare", "2012"],
    ["gaps", "targets", "--compare", "2016"],
    ["stats", "--year", "2015"],
    ["neighbors", "泰山学院", "--year", "2016"],
    ["gaps", "isolated"],
    ["gaps", "holes"],
    ["gaps", "targets"],
    ["gaps", "platforms"],
    ["gaps", "tiers"],
    ["gaps", "alliances"],
    ["review", "list"],
    ["resolve", "山农大", "泰山医学院"],
    ["search", "不存在的名称"],
    ["neighbors", "不存在的单位"],
]

UID = re.compile(r"\b[a-z]+:[^\s│┃,,;;、()()]+|\br-[0-9a-f]+\b|\S+\.(?:yaml|csv|xlsx)\b")
"""An identifier (ent:9137…, uni:4137…, tal:张三@泰山学院, a review item r-9bcc…) or a
file name: kept as it is."""
ALLOWED = {"innograph", "csv", "json", "JSON", "CSV", "other", "wide", "format", "per", "type",
           "Neo4j", "search", "review", "accept", "reject", "via", "hubs"}
"""Command and option names a message may tell the user to type."""


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("sample-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("INNOGRAPH_HOME", str(home))
    mp.setenv("INNOGRAPH_STORE", "embedded")
    mp.setenv("COLUMNS", "80")
    mp.delenv("INNOGRAPH_ROLE", raising=False)
    mp.delenv("INNOGRAPH_VERBOSE", raising=False)
    result = CliRunner().invoke(app, ["ingest", str(SAMPLE), "--quiet"])
    assert result.exit_code == 0, result.output
    yield home
    mp.undo()


def _run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def english(text: str) -> list[str]:
    """English a person would read, once identifiers, file and command names are set aside:
    lower-case words and codes (relationship types, labels, column keys). Acronyms in the
    data's own names (CDC, AR) stay."""
    from schemas import LABELS, REL_TYPES
    from schemas.vocabularies import COLUMN_NAMES

    codes = set(REL_TYPES) | set(LABELS) | set(COLUMN_NAMES)
    text = UID.sub(" ", text)
    words = re.findall(r"[A-Za-z][A-Za-z_]+", text)
    return [w for w in words if w not in ALLOWED
            and (w in codes or "_" in w or not w.isupper())]


@pytest.mark.parametrize("args", QUERIES, ids=lambda a: " ".join(a))
def test_default_table_output_has_no_english(sample_home: Path, args: list[str]) -> None:
    code, out, err = _run(*args)
    assert code in (0, 1), err
    assert out.strip() or err.strip()
    assert english(out) == [], out
    assert english(err) == [], err
    assert "Building prefix dict" not in err  # jieba keeps quiet unless --verbose
    if code == 0:
        # 80 columns: every line of a table fits (plain lines wrap in the terminal)
        rows = [line for line in out.splitlines() if set(line) & set("┃│┏┗└┌━─")]
        assert max((cell_len(line) for line in rows), default=0) <= 80


def test_identifiers_are_never_cut_and_names_wrap(sample_home: Path) -> None:
    code, out, _ = _run("search", "泰山", "--format", "csv")
    uids = [r["uid"] for r in csv.DictReader(out.splitlines())]
    code, table, _ = _run("search", "泰山")
    assert code == 0 and uids
    for uid in uids:
        assert uid in table  # whole, on one line
    assert "…" not in table


def test_json_and_csv_keep_the_machine_keys(sample_home: Path) -> None:
    _, out, _ = _run("search", "泰山", "--format", "json")
    rows = json.loads(out)
    assert set(rows[0]) == {"uid", "label", "name", "score", "matched", "matched_text"}
    assert rows[0]["label"] in ("University", "Region", "Program", "Hospital", "Platform",
                                "Enterprise")
    _, out, _ = _run("stats", "--format", "csv")
    assert out.splitlines()[0] == "kind,code,name,count"


def test_wide_shows_every_column(sample_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def header(text: str) -> str:
        return "".join(line for line in text.splitlines() if "┃" in line)

    _, narrow, err = _run("gaps", "targets")
    assert "--wide" in err and "统计口径" not in header(narrow) and "完成率" in header(narrow)
    monkeypatch.setenv("COLUMNS", "300")  # a wide terminal shows every column anyway
    _, wide, _ = _run("gaps", "targets")
    assert "统计口径" in header(wide)
    monkeypatch.setenv("COLUMNS", "80")
    _, squeezed, err = _run("gaps", "targets", "--wide")
    assert "--wide" not in err and header(squeezed).count("┃") > header(narrow).count("┃")


def test_k_means_kind_everywhere(sample_home: Path) -> None:
    for args in (["search", "泰山", "-k", "高校"], ["recommend", "山东农业大学", "-k", "企业"],
                 ["match", "中药材种植", "-k", "team"], ["neighbors", "泰山学院", "-k", "企业"]):
        code, out, err = _run(*args, "--format", "json")
        assert code == 0, (args, err)
        labels = {r.get("label") for r in json.loads(out)}
        assert labels <= {"University", "Enterprise", "Team"} and len(labels) == 1, args


def test_years_on_the_command_line(sample_home: Path) -> None:
    code, out, _ = _run("gaps", "fields", "--year", "2016", "--compare", "2012",
                        "--format", "csv")
    header = out.splitlines()[0].split(",")
    assert code == 0 and {"demand@2012", "demand@2016", "demand@变化"} <= set(header)
    rows = list(csv.DictReader(out.splitlines()))
    assert all(float(r["demand@变化"]) == float(r["demand@2016"]) - float(r["demand@2012"])
               for r in rows if r["demand@变化"] not in ("", None))
    _, now, _ = _run("stats", "--format", "json")
    _, then, _ = _run("stats", "--year", "2012", "--format", "json")
    assert sum(r["count"] for r in json.loads(then)) < sum(r["count"] for r in json.loads(now))
    code, _, err = _run("search", "泰山", "--year", "明年")
    assert code == 2 and "年份" in err
    code, _, err = _run("gaps", "holes", "--compare", "2016")
    assert code == 2 and "对比" in err
