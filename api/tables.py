"""Tables to files: CSV (UTF-8 with BOM, so Excel on Windows reads the Chinese) and XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple | set):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def _columns(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None) -> list[str]:
    if columns:
        return list(columns)
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


Sheet = tuple[str, Sequence[Mapping[str, Any]], Sequence[str] | None]
"""An extra sheet of a workbook: (title, rows, columns)."""


def notes_rows(notes: Mapping[str, str]) -> list[dict[str, str]]:
    """Column definitions as rows of a 说明 sheet (column header -> definition)."""
    return [{"列": col, "定义": text} for col, text in notes.items()]


def _width(value: Any) -> int:
    """Display width of a cell in Excel's units (a CJK character counts two)."""
    text = str(value) if value is not None else ""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _header(column: str) -> str:
    from schemas.vocabularies import COLUMN_NAMES

    return COLUMN_NAMES.get(column, column)


def _shown(column: str, value: Any) -> Any:
    """A cell of a workbook: kinds by their Chinese names, lists joined, booleans 是/否."""
    from schemas.ontology import label_name

    if column in ("label", "kind") and isinstance(value, str):
        return label_name(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return _cell(value)


def _finish(ws: Any, widths: list[int]) -> None:
    """Bold, frozen header row with a filter; columns as wide as their content (capped)."""
    from openpyxl.utils import get_column_letter

    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    if ws.max_row > 1 and ws.max_column:
        ws.auto_filter.ref = ws.dimensions
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(60, max(6, w + 2))


def _sheet(ws: Any, title: str, body: Sequence[Mapping[str, Any]],
           cols_of: Sequence[str] | None) -> None:
    ws.title = title[:31]
    cols = _columns(body, cols_of)
    heads = [_header(c) for c in cols]
    ws.append(heads)
    widths = [_width(h) for h in heads]
    for row in body:
        values = [_shown(c, row.get(c)) for c in cols]
        ws.append(values)
        widths = [max(w, _width(v)) for w, v in zip(widths, values, strict=True)]
    _finish(ws, widths)


def xlsx_bytes(rows: Sequence[Mapping[str, Any]], *, columns: Sequence[str] | None = None,
               sheet: str = "结果", extra: Sequence[Sheet] = ()) -> bytes:
    """An XLSX workbook: a sheet with a bold, frozen header row (Chinese names of the
    columns), then the rows; then ``extra`` sheets (a summary before the rows, the
    column definitions after them). Columns are sized to their content."""
    wb = Workbook()
    first = wb.active
    assert first is not None  # a new workbook always has its first sheet
    for i, (title, body, cols_of) in enumerate([(sheet, rows, columns), *extra]):
        _sheet(first if i == 0 else wb.create_sheet(), title, body, cols_of)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


VIEW_NODE_COLUMNS = {"name": "名称", "kind_zh": "类别", "role": "在视图中的角色", "uid": "标识",
                     "aliases": "别名", "keywords": "关键词", "prov_source": "来源",
                     "prov_method": "方式", "prov_confidence": "置信度"}
VIEW_EDGE_COLUMNS = {"source_name": "起点", "type_zh": "关系", "target_name": "终点",
                     "year": "年度", "first_year": "首次合作年", "last_year": "最近合作年",
                     "weight": "权重", "virtual": "视图补充", "source": "起点标识",
                     "target": "终点标识", "prov_source": "来源", "prov_method": "方式",
                     "prov_confidence": "置信度"}


def view_xlsx_bytes(view: Any) -> bytes:
    """One workbook for a view: 节点 and 关系 sheets (Chinese headers, frozen header
    rows, sized columns; each relationship's 起点 and 终点 link to that node's row in
    节点), then the view's own tables, then a 说明 sheet."""
    from openpyxl.styles import Font as _Font

    from graph.viz.export import edge_rows, node_rows
    from schemas.vocabularies import VALUE_NAMES

    nodes, edges = node_rows(view), edge_rows(view)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "节点"
    ws.append(list(VIEW_NODE_COLUMNS.values()))
    widths = [_width(h) for h in VIEW_NODE_COLUMNS.values()]
    row_of: dict[str, int] = {}
    for n in nodes:
        values = [_shown(k, VALUE_NAMES.get(str(n.get(k)), n.get(k)) if k == "prov_method"
                         else n.get(k)) for k in VIEW_NODE_COLUMNS]
        ws.append(values)
        row_of[str(n["uid"])] = ws.max_row
        widths = [max(w, _width(v)) for w, v in zip(widths, values, strict=True)]
    _finish(ws, widths)
    es = wb.create_sheet("关系")
    es.append(list(VIEW_EDGE_COLUMNS.values()))
    widths = [_width(h) for h in VIEW_EDGE_COLUMNS.values()]
    link = _Font(color="0563C1", underline="single")
    for e in edges:
        values = [_shown(k, VALUE_NAMES.get(str(e.get(k)), e.get(k)) if k == "prov_method"
                         else e.get(k)) for k in VIEW_EDGE_COLUMNS]
        es.append(values)
        for col, end in ((1, "source"), (3, "target")):
            target_row = row_of.get(str(e.get(end)))
            if target_row:
                cell = es.cell(row=es.max_row, column=col)
                cell.hyperlink = f"#'节点'!A{target_row}"
                cell.font = link
        widths = [max(w, _width(v)) for w, v in zip(widths, values, strict=True)]
    _finish(es, widths)
    for name, rows in getattr(view, "tables", {}).items():
        _sheet(wb.create_sheet(), str(name), rows, None)
    notes = wb.create_sheet("说明")
    notes.append(["项目", "内容"])
    n, m = view.size
    for k, v in (("视图", view.title), ("节点数", n), ("关系数", m),
                 ("视图补充", "是:视图为连通而补出的关系(如同属一个社区),图谱中并不存在"),
                 ("链接", "关系表的起点、终点可点击,跳到节点表中该主体所在行")):
        notes.append([k, v])
    _finish(notes, [8, 60])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_text(rows: Sequence[Mapping[str, Any]], *, columns: Sequence[str] | None = None) -> str:
    """CSV text with a header row."""
    cols = _columns(rows, columns)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(cols)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in cols])
    return buf.getvalue()


def write_table(rows: Sequence[Mapping[str, Any]], path: Path, *,
                columns: Sequence[str] | None = None, extra: Sequence[Sheet] = ()) -> None:
    """Write rows to ``path``: ``.xlsx`` as a workbook (with the ``extra`` sheets), anything
    else as CSV (UTF-8 BOM; the rows only, so that it stays one table)."""
    if path.suffix.lower() == ".xlsx":
        path.write_bytes(xlsx_bytes(rows, columns=columns, extra=extra))
    else:
        path.write_text(csv_text(rows, columns=columns), encoding="utf-8-sig")
