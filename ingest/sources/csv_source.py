"""CSV reader: encoding detection, blank and ragged lines, physical line numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ingest.errors import SourceError
from ingest.sources.base import Row, Table, clean_header, fit_cells
from ingest.sources.text import read_text

# the csv module refuses fields over 128 KiB by failing the whole file; cells are
# checked per row instead (see Row and MAX_CELL)
csv.field_size_limit(1 << 30)


def _delimiter(first_line: str) -> str:
    # Bureau exports are comma- or tab-separated; ';' and '、' occur inside cells
    # as list separators, so they are never guessed as delimiters.
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


def read_csv(path: Path, *, encoding: str | None = None,
             delimiter: str | None = None) -> Table:
    """Read a CSV file into a Table.

    The first non-blank line is the header. Blank lines (and rows of empty
    cells) are skipped and counted, not treated as rows. Each row keeps the
    physical line it starts on, so quoted multi-line cells still point at the
    right place.

    Raises:
        SourceError: unreadable file, bad encoding, malformed quoting, no header.
    """
    text, used = read_text(path, encoding)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _delimiter(first))
    columns: list[str] | None = None
    rows: list[Row] = []
    warnings: list[str] = []
    blank = 0
    prev_end = 0
    try:
        for cells in reader:
            start = prev_end + 1
            prev_end = reader.line_num
            if not any(c.strip() for c in cells):
                blank += 1
                continue
            if columns is None:
                columns, warnings = clean_header(cells, str(path))
                continue
            values, defect = fit_cells(cells, columns)
            rows.append(Row(values=values, file=path.name, line=start, defect=defect))
    except csv.Error as exc:
        raise SourceError(f"CSV 格式错误:{exc}", file=str(path), line=reader.line_num) from exc
    if columns is None:
        raise SourceError("没有表头行:文件是空的", file=str(path))
    return Table(path=path, columns=columns, rows=rows, encoding=used, blank_lines=blank,
                 warnings=warnings)
