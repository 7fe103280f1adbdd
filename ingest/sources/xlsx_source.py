"""XLSX reader (python-calamine, Rust's calamine): every sheet or a named one.

calamine reads a workbook about ten times faster than openpyxl's read-only mode (the
platform registry of 100,000 actors, 17,000 rows: 0.18 s against 1.66 s) and gives the
same cell values; an error cell (``#N/A``, ``#DIV/0!``) reads as empty, where openpyxl
gave its code as text (a name ``#N/A`` is no name: such a row is rejected for the empty
cell, naming it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from ingest.errors import SourceError
from ingest.sources.base import Row, Table, clean_header, fit_cells, scalar_text


def sheet_names(path: Path) -> list[str]:
    """The sheet names of a workbook, in order.

    Raises:
        SourceError: not a readable XLSX file.
    """
    wb = _open(path)
    try:
        return list(wb.sheet_names)
    finally:
        wb.close()


def _open(path: Path) -> Any:
    try:
        return CalamineWorkbook.from_path(str(path))
    except (OSError, CalamineError, ValueError) as exc:
        raise SourceError(f"无法作为 XLSX 打开(文件损坏,或不是 Excel 工作簿):{exc}",
                          file=str(path)) from exc


def read_xlsx(path: Path, *, sheet: str | None = None) -> list[Table]:
    """Read one sheet (``sheet``) or every sheet of a workbook, one Table each.

    The first non-empty row of a sheet is its header; rows are located as
    ``file[sheet]:row`` with Excel's row numbers. An empty sheet gives no table.

    Raises:
        SourceError: unreadable workbook or unknown sheet (the message lists the sheets).
    """
    wb = _open(path)
    try:
        names = list(wb.sheet_names)
        if sheet is not None and sheet not in names:
            raise SourceError(f"没有工作表 '{sheet}'(现有:{'、'.join(names)})",
                              file=str(path))
        tables = []
        for name in [sheet] if sheet is not None else names:
            table = _read_sheet(wb, path, name)
            if table is not None:
                tables.append(table)
        return tables
    finally:
        wb.close()


def _read_sheet(wb: Any, path: Path, name: str) -> Table | None:
    columns: list[str] | None = None
    rows: list[Row] = []
    warnings: list[str] = []
    blank = 0
    try:
        # from A1, empty rows and columns before the data included: Excel's row numbers
        grid = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except (CalamineError, ValueError) as exc:
        raise SourceError(f"无法读取工作表 '{name}':{exc}", file=str(path)) from exc
    for number, values in enumerate(grid, start=1):
        cells = [scalar_text(v) for v in values]
        if not any(cells):
            if columns is not None:
                blank += 1
            continue
        if columns is None:
            columns, warnings = clean_header(cells, f"{path}[{name}]")
            continue
        vals, defect = fit_cells(cells, columns)
        rows.append(Row(values=vals, file=path.name, sheet=name, row=number, defect=defect))
    if columns is None:
        return None
    return Table(path=path, columns=columns, rows=rows, sheet=name, blank_lines=blank,
                 warnings=warnings)
