"""``innograph match``: teams, talents and platforms that fit a technical need."""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli import FormatOpt, WideOpt, YearOpt, app, fail, resolve_actor, store_at
from api.output import Format, busy, emit, label_name
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
    return " → ".join(f"{s.name}({label_name(s.label)})" for s in path)


def _flat(rank: int, m: Match) -> dict[str, Any]:
    """A match as one table or CSV row."""
    return {"rank": rank, "uid": m.uid, "label": m.label, "name": m.name, "score": m.score,
            **m.components, "matched_keywords": m.matched_keywords,
            "shared_fields": m.shared_fields, "path": _path_text(m.path), "reason": m.reason}


@app.command("match")
def match_command(
    text: Annotated[str | None, typer.Argument(help="需求描述(中文自由文本)")] = None,
    enterprise: Annotated[str | None, typer.Option(
        "--enterprise", "-e", help="需求企业的标识或名称:其在图中的技术需求并入本次需求")] = None,
    field: Annotated[list[str] | None, typer.Option(
        "--field", help="领域的标识或名称(可重复)")] = None,
    keyword: Annotated[list[str] | None, typer.Option(
        "--keyword", "-w", help="关键词(可重复)")] = None,
    kind: Annotated[list[Kind] | None, typer.Option(
        "--kind", "-k", help="候选类别(可重复;默认全部)")] = None,
    region: Annotated[str | None, typer.Option("--region", help="所在地区,如 泰安")] = None,
    top: Annotated[int, typer.Option("--top", "-n", min=1, max=MAX_TOP,
                                     help=f"列出前几名(1..{MAX_TOP})")] = 10,
    min_score: Annotated[float, typer.Option("--min-score", min=0.0, max=1.0,
                                             help="低于此分的不列出")] = 0.0,
    year: YearOpt = None, fmt: FormatOpt = Format.table, wide: WideOpt = False,
) -> None:
    """匹配:为一项需求找出合适的团队、人才、高校、院所、平台与医院,附中文推荐理由。

    需求可以是文本、--field/--keyword、--enterprise(用其在图中的技术需求),或任意组合。
    需求无法按所给条件匹配时退出码为 2。
    """
    from graph.analytics.match import MATCH_LABELS, MatchError, match
    from graph.settings import Settings

    with store_at(year) as store:
        ent = resolve_actor(store, enterprise) if enterprise else None
        with busy("正在读取候选…"):
            graph = store.subgraph(labels=list(MATCH_LABELS))
        try:
            with busy("正在匹配…"):
                result = match(graph, text=text or "", enterprise=ent, fields=field or [],
                               keywords=keyword or [],
                               kinds=[k.value for k in kind or []] or None, region=region,
                               top=top, min_score=min_score,
                               retrieve=(lambda t, f: store.match_candidates(terms=t, fields=f))
                               if Settings().match_retrieval == "store" else None)
        except MatchError as exc:
            raise fail(str(exc), code=2) from exc
        except GraphError as exc:
            raise fail(str(exc)) from exc
    if fmt is Format.json:
        emit([{"rank": i, **asdict(m)} for i, m in enumerate(result.matches, start=1)], fmt)
        return
    need = result.need
    title = (f"{result.scored} 个候选中的前 {len(result.matches)} 名"
             + (f";需求企业:{need.enterprise_name}" if need.enterprise_name else "")
             + (f";领域:{'、'.join(need.field_names)}" if need.field_names else "")
             + (f";词项:{'、'.join(need.tokens[:12])}" if need.tokens else ""))
    rows = [_flat(i, m) for i, m in enumerate(result.matches, start=1)]
    if fmt is Format.table:
        emit(rows, fmt, title=title, columns=["rank", "name", "label", "score", "text", "field",
                                              "proximity", "track_record", "capacity",
                                              "reason"],
             narrow=["rank", "name", "label", "score", "reason"], wide=wide)
        if not rows:
            typer.echo("没有符合需求的候选", err=True)
        return
    emit(rows, fmt, columns=csv_columns())
