"""Reading the CSV data files shipped in ``ingest/resolve/data`` (or given by path)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from ingest.resolve.errors import GazetteerError

DataSource = str | os.PathLike[str] | None
"""A path to a data file, or None for the shipped default."""


def read_rows(source: DataSource, default: str, required: Sequence[str]) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts of stripped strings.

    Lines starting with ``#`` are comments (the shipped files explain themselves
    that way); a UTF-8 byte-order mark is tolerated.

    Args:
        source: A path, or None for ``data/<default>`` inside this package.
        default: File name of the shipped default.
        required: Columns the header must have.

    Raises:
        GazetteerError: If the file cannot be read or lacks a required column.
    """
    where = str(source) if source is not None else f"ingest/resolve/data/{default}"
    try:
        if source is None:
            text = resources.files("ingest.resolve").joinpath("data").joinpath(default).read_text(
                encoding="utf-8-sig")
        else:
            text = Path(source).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GazetteerError(f"无法读取数据文件:{exc}", file=where) from exc
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        header = "、".join(reader.fieldnames or [])
        raise GazetteerError(f"缺少列:{'、'.join(missing)}(表头:{header})", file=where)
    rows = []
    for row in reader:
        rows.append({k: (v or "").strip() for k, v in row.items() if k is not None})
    return rows
