"""The graph as it stood in a year, or as it was active over a range of years.

A year spec is ``2019`` (as of the end of 2019: everything founded, approved,
started or first cooperating by then) or ``2017-2019`` (as of 2019, and of the
relationships only those active in the range). What has no year at all is timeless
and always present. A node counts from its ``founded_year``, ``approved_year``,
``year`` or the year of ``published``; a relationship from its ``first_year`` or
``year`` and until its ``last_year`` (or that same year).

Queries with a year run unchanged against an in-memory store holding only what was
present (:func:`store_as_of`), so every answer (search, neighbours, paths, matching,
recommendations, gaps, views) means the same with and without a year.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graph.errors import QueryLimitError

Years = tuple[int | None, int]
"""(first year of activity or None, the year as of which the graph is taken)."""

YEAR_MIN, YEAR_MAX = 1900, 2100
NODE_YEARS = ("founded_year", "approved_year", "year")


class YearError(QueryLimitError):
    """A year spec that cannot be read (the message is Chinese)."""

    field = "year"


def parse_years(value: str | int | None) -> Years | None:
    """``"2019"`` → (None, 2019); ``"2017-2019"`` → (2017, 2019); None or "" → None.

    Raises:
        YearError: Anything else, or years outside 1900–2100, or a range backwards.
    """
    if value is None:
        return None
    text = str(value).strip().replace("—", "-").replace("–", "-").replace("~", "-")
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})(?:\s*-\s*(\d{4}))?", text)
    if not m:
        raise YearError(f"年份“{text[:20]}”无法识别:请写 2019(截至该年)或 2017-2019(年份区间)")
    lo, hi = (int(m.group(1)), int(m.group(2))) if m.group(2) else (None, int(m.group(1)))
    for y in (lo, hi):
        if y is not None and not YEAR_MIN <= y <= YEAR_MAX:
            raise YearError(f"年份 {y} 超出范围({YEAR_MIN}–{YEAR_MAX})")
    if lo is not None and lo > hi:
        raise YearError(f"年份区间 {lo}-{hi} 的起点晚于终点")
    return lo, hi


def describe(years: Years | None) -> str:
    """How a view or table names its time: "截至2019年", "2017—2019年", or ""."""
    if years is None:
        return ""
    lo, hi = years
    return f"截至{hi}年" if lo is None else f"{lo}—{hi}年"


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


TIMELESS_LABELS = frozenset({"Target", "Field", "Region", "Program"})
"""Kinds that are there whatever the year: a plan target's ``year`` is the year it is
for, not the year it appeared."""


def short(years: Years | None) -> str:
    """A column suffix for a year spec: "2019", "2017-2019", or "当前"."""
    if years is None:
        return "当前"
    return str(years[1]) if years[0] is None else f"{years[0]}-{years[1]}"


def node_start(rec: Mapping[str, Any]) -> int | None:
    """The year a node comes into the graph, or None (timeless)."""
    if rec.get("label") in TIMELESS_LABELS:
        return None
    for key in NODE_YEARS:
        y = _int(rec.get(key))
        if y is not None:
            return y
    published = str(rec.get("published") or "")
    return _int(published[:4]) if re.match(r"\d{4}", published) else None


def edge_span(rec: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(first, last) year of a relationship, either None when unknown."""
    first = _int(rec.get("first_year"))
    year = _int(rec.get("year"))
    last = _int(rec.get("last_year"))
    start = first if first is not None else year if year is not None else last
    end = last if last is not None else year if year is not None else first
    return start, end


def node_present(rec: Mapping[str, Any], years: Years) -> bool:
    start = node_start(rec)
    return start is None or start <= years[1]


def edge_present(rec: Mapping[str, Any], years: Years) -> bool:
    lo, hi = years
    start, end = edge_span(rec)
    if start is not None and start > hi:
        return False
    return lo is None or end is None or end >= lo


def records_as_of(nodes: Iterable[Mapping[str, Any]], edges: Iterable[Mapping[str, Any]],
                  years: Years) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The node and relationship records present in ``years`` (relationships between
    present nodes only)."""
    kept = [n for n in nodes if node_present(n, years)]
    uids = {str(n["uid"]) for n in kept}
    rels = [e for e in edges if str(e["source"]) in uids and str(e["target"]) in uids
            and edge_present(e, years)]
    return kept, rels


def year_span(nodes: Iterable[Mapping[str, Any]],
              edges: Iterable[Mapping[str, Any]]) -> tuple[int, int] | None:
    """The first and last year anything in the graph starts, or None."""
    years = [y for y in (node_start(n) for n in nodes) if y is not None]
    years += [y for e in edges for y in edge_span(e) if y is not None]
    return (min(years), max(years)) if years else None


def store_as_of(nodes: Sequence[Mapping[str, Any]], edges: Sequence[Mapping[str, Any]],
                years: Years, *, version: int = 0) -> Any:
    """An in-memory embedded store holding what was present in ``years``."""
    from graph.backends.embedded import EmbeddedStore

    kept, rels = records_as_of(nodes, edges, years)
    store = EmbeddedStore(None)
    store.open()
    store._load({"nodes": [dict(n) for n in kept], "edges": [dict(e) for e in rels],
                 "merges": [], "store_version": version})
    return store


def compare_rows(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]], *,
                 key: str, labels: tuple[str, str]) -> list[dict[str, Any]]:
    """Two years' rows of one table side by side, joined on ``key``: every numeric
    column ``c`` becomes ``c@A``, ``c@B`` and ``c@变化`` (B − A); the other columns are
    taken from the later row (or the earlier one when the key is gone by then)."""
    a = {r.get(key): r for r in before}
    b = {r.get(key): r for r in after}
    order = [*b, *(k for k in a if k not in b)]
    numeric = {c for rows in (before, after) for r in rows for c, v in r.items()
               if isinstance(v, int | float) and not isinstance(v, bool)}
    out: list[dict[str, Any]] = []
    for k in order:
        ra, rb = a.get(k, {}), b.get(k, {})
        row: dict[str, Any] = {}
        for c in dict.fromkeys([*rb, *ra]):
            if c in numeric:
                va, vb = ra.get(c), rb.get(c)
                row[f"{c}@{labels[0]}"] = va
                row[f"{c}@{labels[1]}"] = vb
                row[f"{c}@变化"] = (round(vb - va, 4) if isinstance(va, int | float)
                                  and isinstance(vb, int | float) else None)
            else:
                row[c] = rb.get(c, ra.get(c))
        out.append(row)
    return out
