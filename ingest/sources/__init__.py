"""File readers: CSV, XLSX, JSON and JSON Lines into located rows."""

from __future__ import annotations

from pathlib import Path

from ingest.errors import SourceError
from ingest.sources.base import CellValue, Row, Table
from ingest.sources.csv_source import read_csv
from ingest.sources.json_source import read_json, read_jsonl
from ingest.sources.xlsx_source import read_xlsx, sheet_names

DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson")
"""File suffixes ``innograph ingest`` treats as data files."""


def read_tables(path: Path, *, sheet: str | None = None, encoding: str | None = None,
                delimiter: str | None = None) -> list[Table]:
    """Read a data file into tables by its suffix (one per XLSX sheet, else one).

    Raises:
        SourceError: unknown suffix, unreadable or malformed file.
    """
    suffix = path.suffix.lower()
    if not path.is_file():
        raise SourceError("文件不存在", file=str(path))
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, sheet=sheet)
    if suffix in (".csv", ".tsv", ".txt"):
        return [read_csv(path, encoding=encoding,
                         delimiter=delimiter or ("\t" if suffix == ".tsv" else None))]
    if suffix == ".json":
        return [read_json(path, encoding=encoding)]
    if suffix in (".jsonl", ".ndjson"):
        return [read_jsonl(path, encoding=encoding)]
    raise SourceError(f"不认识的数据文件类型 '{suffix}'(可用:{'、'.join(DATA_SUFFIXES)})",
                      file=str(path))


__all__ = ["DATA_SUFFIXES", "CellValue", "Row", "Table", "read_csv", "read_json", "read_jsonl",
           "read_tables", "read_xlsx", "sheet_names"]
