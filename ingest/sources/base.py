"""Rows and tables as every reader returns them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_CELL = 20_000
"""Most characters one cell may hold; a longer one rejects its row."""

CellValue = str | list[str]
"""A cell as read: text, or a list of texts when the source has lists (JSON)."""


@dataclass(slots=True)
class Row:
    """One data row with where it came from.

    Attributes:
        values: Column name -> cell value ("" for an empty cell).
        file: The file's display name (its base name, so provenance does not
            depend on the directory a run starts from).
        line: Physical line of a CSV/JSONL row (the header is line 1).
        sheet: XLSX sheet.
        row: XLSX row number or JSON item number.
        defect: Why the reader could not make a proper row of it (ragged line,
            invalid JSON); such rows are rejected by the pipeline.
    """

    values: dict[str, CellValue]
    file: str
    line: int | None = None
    sheet: str | None = None
    row: int | None = None
    defect: str | None = None

    def __post_init__(self) -> None:
        # A cell far longer than any registry field is a broken export (a missing
        # quote swallowing the rest of the file) or an attack: the row is rejected
        # with its place, the other rows are read as usual.
        if self.defect is None:
            for column, value in self.values.items():
                size = len(value) if isinstance(value, str) else sum(map(len, value))
                if size > MAX_CELL:
                    self.defect = (f"单元格过长:列 {column!r} 有 {size:,} 个字符"
                                   f"(最多 {MAX_CELL:,} 个)")
                    self.values = {c: "" for c in self.values}
                    break

    @property
    def locator(self) -> str:
        """``file:line``, ``file[sheet]:row`` or ``file#item``."""
        if self.sheet is not None:
            return f"{self.file}[{self.sheet}]:{self.row}"
        if self.line is not None:
            return f"{self.file}:{self.line}"
        return f"{self.file}#{self.row}"


@dataclass(slots=True)
class Table:
    """A table read from a file: a CSV/JSON file or one XLSX sheet.

    Attributes:
        path: The file.
        columns: Header names, in file order.
        rows: Data rows (blank lines already skipped).
        sheet: The XLSX sheet, None for other formats.
        encoding: The text encoding used (None for XLSX).
        blank_lines: Blank lines or all-empty rows skipped; they are not rows.
        warnings: Things worth telling the user that are not errors.
    """

    path: Path
    columns: list[str]
    rows: list[Row]
    sheet: str | None = None
    encoding: str | None = None
    blank_lines: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The display name of the table: file base name and sheet."""
        return f"{self.path.name}[{self.sheet}]" if self.sheet else self.path.name


def clean_header(cells: list[str], file: str) -> tuple[list[str], list[str]]:
    """Strip header cells; name blank ones; return (columns, warnings).

    Trailing blank header cells (an Excel export's stray commas) are dropped.
    Duplicate names are an error because a row could not say which one it means.
    """
    from ingest.errors import SourceError

    cols = [c.replace("\ufeff", "").strip() for c in cells]
    while cols and not cols[-1]:
        cols.pop()
    warnings: list[str] = []
    for i, c in enumerate(cols):
        if not c:
            cols[i] = f"column_{i + 1}"
            warnings.append(f"表头第 {i + 1} 格为空,已命名为 '{cols[i]}'")
    seen: set[str] = set()
    for c in cols:
        if c in seen:
            raise SourceError("表头中这一列出现了两次", file=file, line=1,
                              column=c)
        seen.add(c)
    return cols, warnings


def fit_cells(cells: list[str], columns: list[str]) -> tuple[dict[str, CellValue], str | None]:
    """Pair cells with columns: pad a short row, refuse a long one unless the extra
    cells are empty (trailing separators). Returns (values, defect)."""
    defect = None
    if len(cells) > len(columns):
        extra = [c for c in cells[len(columns):] if c.strip()]
        if extra:
            defect = (f"行不齐:{len(cells)} 个单元格,表头只有 {len(columns)} 列"
                      f"(多出:{'、'.join(repr(c) for c in extra[:3])})")
        cells = cells[:len(columns)]
    values: dict[str, CellValue] = {c: (cells[i].strip() if i < len(cells) else "")
                                    for i, c in enumerate(columns)}
    return values, defect


def scalar_text(value: Any) -> str:
    """A source value as cell text: None → "", booleans → true/false, whole floats without
    ".0" (Excel and JSON store 2018 as 2018.0), dates as ISO text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
