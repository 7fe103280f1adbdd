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
    rows: list[dict[str, object]] = [{"what": "文档", "count": r.documents},
            {"what": "链接到已有节点的提及", "count": r.linked},
            {"what": "新主体", "count": r.created_entities},
            {"what": "规划目标", "count": r.targets},
            {"what": "节点 新建 / 更新 / 未变",
             "count": f"{r.nodes.created} / {r.nodes.updated} / {r.nodes.unchanged}"},
            {"what": "关系 新建 / 更新 / 未变",
             "count": f"{r.relationships.created} / {r.relationships.updated} / "
                      f"{r.relationships.unchanged}"},
            {"what": "跳过(不合本体或类别)", "count": len(r.skipped)},
            {"what": "无法读取的输入", "count": len(r.failed)},
            {"what": "用时(秒)", "count": r.elapsed}]
    emit(rows, fmt, title="文本装载")
    for line in r.failed:
        typer.echo(f"错误:{line}", err=True)
    if r.failed and not r.documents:
        raise typer.Exit(1)
