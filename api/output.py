"""Printing results for people (rich tables) and scripts (json, csv)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any


class Format(StrEnum):
    """Output formats of query commands."""

    table = "table"
    json = "json"
    csv = "csv"


def emit(rows: Sequence[Mapping[str, Any]], fmt: Format, *, title: str = "",
         columns: Sequence[str] | None = None) -> None:
    """Print rows as a table, a JSON list or CSV on stdout."""
    cols = list(columns or (rows[0].keys() if rows else []))
    if fmt is Format.json:
        sys.stdout.write(json.dumps(list(rows), ensure_ascii=False, indent=2, default=str) + "\n")
        return
    if fmt is Format.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in cols})
        return
    # rich is imported here, not at start-up: json and csv output never need it
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title or None)
    for c in cols:
        table.add_column(c)
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in cols))
    Console().print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
