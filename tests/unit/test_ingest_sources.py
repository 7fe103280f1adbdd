"""Readers and converters: encodings, blank and ragged lines, sheets, JSON defects, years."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ingest.errors import SourceError
from ingest.mapping.converters import to_float, to_int, to_list, to_year
from ingest.sources import read_tables
from ingest.sources.text import read_text
from tests.unit.test_ingest_support import REGISTRY, write_platforms


def test_bom_csv_is_read_as_utf8_sig_with_crlf_blank_and_ragged_lines() -> None:
    (table,) = read_tables(REGISTRY / "orgs.csv")
    assert table.encoding == "utf-8-sig"
    assert table.columns[0] == "机构名称"  # no BOM glued to the first header
    assert len(table.rows) == 12 and table.blank_lines == 3
    ragged = [r for r in table.rows if r.defect]
    assert [r.line for r in ragged] == [13]
    assert "8 个单元格,表头只有 6 列" in (ragged[0].defect or "")
    assert table.rows[4].line == 7  # physical line numbers survive the blank line 5


def test_gbk_csv_is_decoded_strictly_before_any_guess(tmp_path: Path) -> None:
    (table,) = read_tables(REGISTRY / "enterprises.csv")
    assert table.encoding == "gb18030"
    assert table.rows[0].values["企业名称"] == "泰安康复医疗器械有限公司"
    assert table.rows[0].values["注册资本(万元)"] == "1,200"  # quoted comma kept
    short = tmp_path / "short.csv"
    short.write_bytes("名称\n泰安\n".encode("gbk"))
    assert read_text(short)[1] == "gb18030"  # charset-normalizer alone says cp949 here


def test_forced_encoding_that_does_not_fit_names_the_file(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_bytes("名称\n泰安\n".encode("gbk"))
    with pytest.raises(SourceError, match=r"x\.csv"):
        read_text(f, "utf-8")


def test_short_rows_are_padded_and_trailing_empty_cells_accepted(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("a,b,c\n1\n1,2,3,,\n", encoding="utf-8")
    (table,) = read_tables(f)
    assert [r.values for r in table.rows] == [{"a": "1", "b": "", "c": ""},
                                              {"a": "1", "b": "2", "c": "3"}]
    assert not any(r.defect for r in table.rows)


def test_duplicate_header_is_an_error_naming_the_column(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("名称,名称\n1,2\n", encoding="utf-8")
    with pytest.raises(SourceError, match="名称"):
        read_tables(f)


def test_xlsx_every_sheet_or_one_with_row_numbers_and_integral_floats(tmp_path: Path) -> None:
    wb = write_platforms(tmp_path / "p.xlsx")
    tables = read_tables(wb)
    assert [t.sheet for t in tables] == ["平台", "研究团队"]
    (platforms,) = read_tables(wb, sheet="平台")
    assert [r.row for r in platforms.rows] == [2, 3, 5, 6] and platforms.blank_lines == 1
    assert platforms.rows[2].values["批准年度"] == "2018"  # 2018.0 in the cell
    assert platforms.rows[2].locator == "p.xlsx[平台]:5"
    with pytest.raises(SourceError, match="研究团队"):
        read_tables(wb, sheet="不存在")


def test_xlsx_cells_as_text_error_cells_empty_and_a_broken_workbook_named(
        tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "名单"
    ws["B3"], ws["C3"], ws["D3"], ws["E3"] = "名称", "日期", "数值", "是否"  # from B3
    ws.append([None, "泰安甲公司", dt.datetime(2020, 5, 1), 13812345678, True])
    ws.append([None, "#N/A", dt.datetime(2020, 5, 1, 13, 30), 0.5, False])  # an error cell
    path = tmp_path / "名单.xlsx"
    wb.save(path)
    (table,) = read_tables(path)
    assert table.columns[1:] == ["名称", "日期", "数值", "是否"]
    assert [r.row for r in table.rows] == [4, 5]  # Excel's row numbers
    first, second = (r.values for r in table.rows)
    assert (first["名称"], first["日期"], first["数值"], first["是否"]) == \
        ("泰安甲公司", "2020-05-01", "13812345678", "true")
    assert (second["名称"], second["日期"], second["数值"], second["是否"]) == \
        ("", "2020-05-01T13:30:00", "0.5", "false")
    broken = tmp_path / "坏.xlsx"
    broken.write_text("不是工作簿", encoding="utf-8")
    with pytest.raises(SourceError, match=r"坏\.xlsx.*无法作为 XLSX 打开"):
        read_tables(broken)


def test_json_items_are_located_and_non_objects_are_defects() -> None:
    (table,) = read_tables(REGISTRY / "talents.json")
    assert len(table.rows) == 7
    assert table.rows[1].values["入选人才工程"] == ["泰山产业领军人才", "泰山学者"]
    assert table.rows[1].values["入选年度"] == "2020"
    assert table.rows[5].defect and table.rows[5].locator == "talents.json#6"


def test_jsonl_bad_line_is_a_defective_row_not_a_failed_file(tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_text(json.dumps({"a": 1}) + "\n\n{bad json\n" + json.dumps({"a": 2, "b": "x"}) + "\n",
                 encoding="utf-8")
    (table,) = read_tables(f)
    assert table.columns == ["a", "b"] and table.blank_lines == 1
    assert [(r.line, bool(r.defect)) for r in table.rows] == [(1, False), (3, True), (4, False)]


def test_unknown_suffix_and_missing_file() -> None:
    with pytest.raises(SourceError, match="文件不存在"):
        read_tables(Path("/nonexistent/x.csv"))
    with pytest.raises(SourceError, match="不认识的数据文件类型"):
        read_tables(REGISTRY / "orgs.csv.mapping.yaml")


@pytest.mark.parametrize("text,year", [("2018", 2018), ("2018年", 2018), ("二〇一八", 2018),
                                       ("二零一八年", 2018), ("２０１８", 2018),
                                       ("2018.0", 2018), ("2018-05-01", 2018),
                                       ("2018年5月", 2018), ("", None)])
def test_years_in_the_shapes_registries_write_them(text: str, year: int | None) -> None:
    assert to_year(text) == year


@pytest.mark.parametrize("text,reason", [("abc", "不是年份"), ("3018", "不在"),
                                         ("1899", "不在"), ("18", "不是年份")])
def test_bad_years_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        to_year(text)


def test_numbers_and_lists() -> None:
    assert to_float("1,200.5万元") == 1200.5 and to_int("8人") == 8 and to_int("") is None
    with pytest.raises(ValueError):
        to_int("8.5")
    assert to_list("康复机器人；运动控制;步态、康复机器人") == ["康复机器人", "运动控制", "步态"]
    assert to_list(["a", " b ", ""]) == ["a", "b"]
