"""XLSX reader (openpyxl, read-only): every sheet or a named one."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from ingest.errors import SourceError
from ingest.sources.base import Row, Table, clean_header, fit_cells, scalar_text


def sheet_names(path: Path) -> list[str]:
    """The sheet names of a workbook, in order.

    Raises:
        SourceError: not a readable XLSX file.
    """
    wb = _open(path)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _open(path: Path) -> Any:
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SourceError(f"无法作为 XLSX 打开:{exc}", file=str(path)) from exc


def read_xlsx(path: Path, *, sheet: str | None = None) -> list[Table]:
    """Read one sheet (``sheet``) or every sheet of a workbook, one Table each.

    The first non-empty row of a sheet is its header; rows are located as
    ``file[sheet]:row`` with Excel's row numbers. An empty sheet gives no table.

    Raises:
        SourceError: unreadable workbook or unknown sheet (the message lists the sheets).
    """
    wb = _open(path)
    try:
        names = list(wb.sheetnames)
        if sheet is not None and sheet not in names:
            raise SourceError(f"没有工作表 '{sheet}'(现有:{'、'.join(names)})",
                              file=str(path))
        tables = []
        for name in [sheet] if sheet is not None else names:
            table = _read_sheet(wb[name], path, name)
            if table is not None:
                tables.append(table)
        return tables
    finally:
        wb.close()


def _read_sheet(ws: Any, path: Path, name: str) -> Table | None:
    columns: list[str] | None = None
    rows: list[Row] = []
    warnings: list[str] = []
    blank = 0
    try:
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [scalar_text(v) for v in values]
            if not any(cells):
                if columns is not None:
                    blank += 1
                continue
            if columns is None:
                columns, warnings = clean_header(cells, f"{path}[{name}]")
                continue
            vals, defect = fit_cells(cells, columns)
            rows.append(Row(values=vals, file=path.name, sheet=name, row=number,
                            defect=defect))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SourceError(f"无法读取工作表 '{name}':{exc}", file=str(path)) from exc
    if columns is None:
        return None
    return Table(path=path, columns=columns, rows=rows, sheet=name, blank_lines=blank,
                 warnings=warnings)
