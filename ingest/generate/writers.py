"""Byte-reproducible writers for CSV (any encoding), XLSX and JSON lists."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from openpyxl import Workbook

_FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_FIXED_ISO = "2020-01-01T00:00:00Z"


class TableWriter:
    """A CSV file written row by row.

    Args:
        path: Where to write.
        header: Column names.
        encoding: ``utf-8``, ``gbk``…; characters the encoding lacks raise an error
            rather than being replaced, so a GBK file is always decodable as GBK.
        bom: Start with a UTF-8 byte-order mark, as Excel's "CSV UTF-8" does.
        crlf: End lines with CR LF (Excel exports) instead of LF.
    """

    def __init__(self, path: Path, header: Sequence[str], *, encoding: str = "utf-8",
                 bom: bool = False, crlf: bool = False) -> None:
        self.path = path
        enc = "utf-8-sig" if bom else encoding
        self._fh = path.open("w", encoding=enc, errors="strict", newline="")
        self._eol = "\r\n" if crlf else "\n"
        self._csv = csv.writer(self._fh, lineterminator=self._eol)
        self._csv.writerow(header)
        self.rows = 0

    def row(self, values: Sequence[Any], *, twice: bool = False) -> None:
        """Write a data row (``twice``: repeat it, as a copy-paste slip does)."""
        self._csv.writerow(values)
        self.rows += 1
        if twice:
            self._csv.writerow(values)
            self.rows += 1

    def many(self, rows: Iterable[Sequence[Any]]) -> None:
        """Write many data rows at once."""
        rows = list(rows)
        self._csv.writerows(rows)
        self.rows += len(rows)

    def blank(self) -> None:
        """Write an empty line (a spreadsheet's empty row exported as text)."""
        self._fh.write(self._eol)

    def close(self) -> None:
        """Close the file."""
        self._fh.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def write_xlsx(path: Path, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]
               ) -> dict[str, int]:
    """Write a workbook with one sheet per (title, header, rows), reproducibly.

    openpyxl stamps the save time into docProps/core.xml and into every zip entry;
    both are replaced by a fixed time so that equal content gives equal bytes.

    Returns:
        Data rows written per sheet (empty rows included, header excluded).
    """
    wb = Workbook(write_only=True)
    counts: dict[str, int] = {}
    for title, header, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(list(header))
        n = 0
        for r in rows:
            ws.append(list(r))
            n += 1
        counts[title] = n
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                              rb"\g<1>" + _FIXED_ISO.encode(), data)
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)
    path.write_bytes(out.getvalue())
    return counts


def write_json_list(path: Path, items: Iterable[dict[str, Any]]) -> int:
    """Write a JSON list with one object per line (readable, streamable, deterministic).

    Returns:
        The number of objects written.
    """
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("[")
        for item in items:
            fh.write(",\n" if n else "\n")
            fh.write(json.dumps(item, ensure_ascii=False))
            n += 1
        fh.write("\n]\n")
    return n
