"""``innograph ingest-text``: extraction from Chinese texts into the graph."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli import app, store_from_env
from api.output import Format, emit


@app.command("ingest-text")
def ingest_text(
    paths: Annotated[list[str], typer.Argument(help=".txt 文件、目录或 JSONL 文件")],
    year: Annotated[int, typer.Option(help="目标所属年份(0 表示从文本中读取)")] = 0,
    title: Annotated[str, typer.Option(help="文件标题;图谱中已有同名文件(如名录引用的规划)"
                                            "则沿用")] = "",
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """把政策与新闻文本中的主体、关系和目标接入图谱。"""
    from ingest.text import ingest_texts

    with store_from_env() as store:
        r = ingest_texts(store, paths, year=year, title=title)
    rows: list[dict[str, object]] = [{"what": "documents", "count": r.documents},
            {"what": "mentions linked to existing nodes", "count": r.linked},
            {"what": "new entities", "count": r.created_entities},
            {"what": "targets", "count": r.targets},
            {"what": "nodes created / updated / unchanged",
             "count": f"{r.nodes.created} / {r.nodes.updated} / {r.nodes.unchanged}"},
            {"what": "relationships created / updated / unchanged",
             "count": f"{r.relationships.created} / {r.relationships.updated} / "
                      f"{r.relationships.unchanged}"},
            {"what": "skipped (ontology or label)", "count": len(r.skipped)},
            {"what": "unreadable inputs", "count": len(r.failed)},
            {"what": "seconds", "count": r.elapsed}]
    emit(rows, fmt, title="ingest-text")
    for line in r.failed:
        typer.echo(f"error: {line}", err=True)
    if r.failed and not r.documents:
        raise typer.Exit(1)
