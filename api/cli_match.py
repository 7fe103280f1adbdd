"""``innograph match``: teams, talents and platforms that fit a technical need."""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli import FormatOpt, app, fail, resolve_actor, store_from_env
from api.output import Format, emit
from graph.errors import GraphError

if TYPE_CHECKING:
    from graph.analytics.match import Match, PathStep


class Kind(StrEnum):
    """Candidate kinds (the keys of graph.analytics.match.KINDS).

    Mirrored here, like :data:`MAX_TOP`, because the option types are needed when
    the command is registered, and importing the matcher (bm25s, networkx, jieba)
    would slow every command's start; ``tests/unit/test_cli_startup.py`` checks
    that the mirrors agree with the matcher.
    """

    team = "team"
    talent = "talent"
    university = "university"
    institute = "institute"
    platform = "platform"
    hospital = "hospital"


MAX_TOP = 100
"""The most matches ``--top`` may ask for (graph.analytics.match.MAX_TOP)."""


def csv_columns() -> list[str]:
    """Columns of the CSV output (also its header when nothing matches)."""
    from graph.analytics.match import COMPONENTS

    return ["rank", "uid", "label", "name", "score", *COMPONENTS, "matched_keywords",
            "shared_fields", "path", "reason"]


def _path_text(path: list[PathStep]) -> str:
    return " → ".join(f"{s.name}({s.label})" for s in path)


def _flat(rank: int, m: Match) -> dict[str, Any]:
    """A match as one table or CSV row."""
    return {"rank": rank, "uid": m.uid, "label": m.label, "name": m.name, "score": m.score,
            **m.components, "matched_keywords": m.matched_keywords,
            "shared_fields": m.shared_fields, "path": _path_text(m.path), "reason": m.reason}


@app.command("match")
def match_command(
    text: Annotated[str | None, typer.Argument(help="the need in free Chinese text")] = None,
    enterprise: Annotated[str | None, typer.Option(
        "--enterprise", "-e", help="enterprise uid or name: its NEEDS join the need")] = None,
    field: Annotated[list[str] | None, typer.Option(
        "--field", help="field uid or name (repeatable)")] = None,
    keyword: Annotated[list[str] | None, typer.Option(
        "--keyword", "-k", help="keyword (repeatable)")] = None,
    kind: Annotated[list[Kind] | None, typer.Option(
        "--kind", help="candidate kind (repeatable; default: all)")] = None,
    region: Annotated[str | None, typer.Option("--region", help="e.g. 泰安")] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=MAX_TOP,
                                     help=f"matches to show (1..{MAX_TOP})")] = 10,
    min_score: Annotated[float, typer.Option("--min-score", min=0.0, max=1.0)] = 0.0,
    fmt: FormatOpt = Format.table,
) -> None:
    """Rank the teams, talents and institutions that fit a need, with reasons in Chinese.

    Give the need as TEXT, --field/--keyword, --enterprise (whose NEEDS are in the
    graph), or any mix. Exit code 2 when the need cannot be matched as asked.
    """
    from graph.analytics.match import MATCH_LABELS, MatchError, match

    with store_from_env(read_only=True) as store:
        ent = resolve_actor(store, enterprise) if enterprise else None
        graph = store.subgraph(labels=list(MATCH_LABELS))
    try:
        result = match(graph, text=text or "", enterprise=ent, fields=field or [],
                       keywords=keyword or [], kinds=[k.value for k in kind or []] or None,
                       region=region, top=top, min_score=min_score)
    except MatchError as exc:
        raise fail(str(exc), code=2) from exc
    except GraphError as exc:
        raise fail(str(exc)) from exc
    if fmt is Format.json:
        emit([{"rank": i, **asdict(m)} for i, m in enumerate(result.matches, start=1)], fmt)
        return
    need = result.need
    title = (f"{len(result.matches)} of {result.scored} candidates"
             + (f"; enterprise: {need.enterprise_name}" if need.enterprise_name else "")
             + (f"; fields: {'、'.join(need.field_names)}" if need.field_names else "")
             + (f"; terms: {'、'.join(need.tokens[:12])}" if need.tokens else ""))
    rows = [_flat(i, m) for i, m in enumerate(result.matches, start=1)]
    if fmt is Format.table:
        emit(rows, fmt, title=title, columns=["rank", "name", "label", "score", "text", "field",
                                              "proximity", "track_record", "capacity",
                                              "reason"])
        if not rows:
            typer.echo("no candidate fits the need", err=True)
        return
    emit(rows, fmt, columns=csv_columns())
