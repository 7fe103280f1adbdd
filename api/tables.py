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


def xlsx_bytes(rows: Sequence[Mapping[str, Any]], *, columns: Sequence[str] | None = None,
               sheet: str = "结果", extra: Sequence[Sheet] = ()) -> bytes:
    """An XLSX workbook: a sheet with a bold header row, then the rows; then ``extra``
    sheets (a summary before the rows, the column definitions after them)."""
    wb = Workbook()
    first = wb.active
    assert first is not None  # a new workbook always has its first sheet
    for i, (title, body, cols_of) in enumerate([(sheet, rows, columns), *extra]):
        ws = first if i == 0 else wb.create_sheet()
        ws.title = title[:31]
        cols = _columns(body, cols_of)
        ws.append(cols)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in body:
            ws.append([_cell(row.get(c)) for c in cols])
        ws.freeze_panes = "A2"
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
