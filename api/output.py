"""Printing results for people (rich tables) and scripts (json, csv).

JSON and CSV keep the machine keys and codes. A table is for people: Chinese headers
(:data:`schemas.vocabularies.COLUMN_NAMES`), kinds and relationship types by their
Chinese names, identifiers never cut, long names wrapped; on a narrow terminal only
the chosen columns, the rest behind ``--wide`` or ``--format csv``.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

NARROW = 100
"""Terminals narrower than this many columns get a command's chosen columns only."""


class Format(StrEnum):
    """Output formats of query commands."""

    table = "table"
    json = "json"
    csv = "csv"


def emit(rows: Sequence[Mapping[str, Any]], fmt: Format, *, title: str = "",
         columns: Sequence[str] | None = None, narrow: Sequence[str] | None = None,
         wide: bool = False) -> None:
    """Print rows as a table, a JSON list or CSV on stdout.

    Args:
        rows: The rows, keyed by machine keys.
        fmt: Output format.
        title: The table's title (tables only).
        columns: Columns and their order (default: the first row's keys).
        narrow: For tables: the columns kept on a terminal narrower than :data:`NARROW`
            unless ``wide``; the others are named on stderr.
        wide: Show every column of ``columns`` whatever the terminal width.
    """
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

    from schemas.vocabularies import COLUMN_NAMES, ID_COLUMNS

    console = Console()
    if narrow and not wide and console.width < NARROW:
        left = [c for c in cols if c not in narrow]
        cols = [c for c in cols if c in narrow]
        if left and rows:
            Console(stderr=True).print(
                f"[dim]终端较窄,未显示:{'、'.join(COLUMN_NAMES.get(c, c) for c in left)}"
                "(加 --wide 或 --format csv 查看)[/dim]")
    table = Table(title=title or None, show_lines=False)
    for c in cols:
        if c in ID_COLUMNS:
            longest = max([len(_cell(r.get(c))) for r in rows] + [2])
            table.add_column(COLUMN_NAMES.get(c, c), no_wrap=True, min_width=longest,
                             overflow="fold")
        else:
            table.add_column(COLUMN_NAMES.get(c, c), overflow="fold")
    for row in rows:
        table.add_row(*(_shown(c, row.get(c)) for c in cols))
    console.print(table)


def _shown(column: str, value: Any) -> str:
    """A cell for people: kinds, relationship types and statuses by their Chinese names."""
    from schemas import REL_TYPES
    from schemas.ontology import LABEL_NAMES
    from schemas.vocabularies import RULE_NAMES, VALUE_NAMES

    if isinstance(value, str):
        if column == "rule" and value in RULE_NAMES:
            return RULE_NAMES[value]
        if column in ("label", "kind") and value in LABEL_NAMES:
            return LABEL_NAMES[value]
        if column in ("type", "rel_type", "via") and value in REL_TYPES:
            return REL_TYPES[value][2]
        if column in ("status", "matched", "kind") and value in VALUE_NAMES:
            return VALUE_NAMES[value]
    return _cell(value)


def readable(text: str) -> str:
    """Relationship type codes inside a text for people (a column's definition) by their
    Chinese readings: "(NEEDS)" → "(需求关系)"."""
    import re

    from schemas import REL_TYPES

    return re.sub(r"\b[A-Z][A-Z_]+\b",
                  lambda m: f"{REL_TYPES[m.group()][2]}关系" if m.group() in REL_TYPES
                  else m.group(), text)


@contextmanager
def busy(message: str) -> Iterator[None]:
    """A spinner with the elapsed time on stderr while work of unknown length runs (on a
    terminal only: piped output and logs stay clean)."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        progress.add_task(message, total=None)
        yield


def rel_name(code: str) -> str:
    """The Chinese reading of a relationship type code (the code if unknown)."""
    from schemas import REL_TYPES

    return REL_TYPES[code][2] if code in REL_TYPES else code


def label_name(code: str) -> str:
    """The Chinese name of a label code (the code if unknown)."""
    from schemas.ontology import label_name as name

    return name(code)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
