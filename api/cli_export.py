"""``innograph export``: the whole graph as files for other tools (neo4j-admin import)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli import app, fail, store_from_env


@app.command("export")
def export(
    admin_import: Annotated[Path | None, typer.Option(
        "--admin-import", metavar="DIR",
        help="写出 neo4j-admin database import full 所需的 CSV、import.sh 和 manifest.json")]
    = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="目录里已有上次导出的文件时覆盖它们")] = False,
) -> None:
    """导出整个图：--admin-import DIR 生成供 Neo4j 批量导入（首次装载上百万行）的文件。"""
    if admin_import is None:
        raise fail("请指定导出格式，例如 innograph export --admin-import 目录", code=2)

    from graph.export_admin import ExportError, export_admin_import
    from graph.settings import Settings
    from schemas.privacy import may_see_personal

    include_sensitive = may_see_personal(Settings().cli_role)
    with store_from_env(read_only=True) as store:
        try:
            result = export_admin_import(store, admin_import, include_sensitive=include_sensitive,
                                         overwrite=overwrite)
        except ExportError as exc:
            raise fail(str(exc)) from exc
    seconds = max(result.seconds, 1e-6)
    typer.echo(f"已写出 {admin_import}：{sum(result.nodes.values()):,} 个节点，"
               f"{sum(result.relationships.values()):,} 条关系，{result.merges} 条合并记录，"
               f"用时 {result.seconds:.1f} 秒（{result.objects / seconds:,.0f} 个/秒）")
    for f in result.files:
        typer.echo(f"  {f.name:<32} {f.rows:>10,} 行")
    if not include_sensitive:
        typer.echo("注意：未导出人才的电话、邮箱和身份证号；以 INNOGRAPH_ROLE=admin 或 "
                   "talent_office 运行可导出完整数据。")
    typer.echo(f"导入（目标数据库须为新库或空库，先停止 Neo4j）：sh {admin_import / 'import.sh'}")
    if result.fixup:
        typer.echo(f"启动 Neo4j 后运行 {admin_import / 'after-import.cypher'}（补回空列表属性），"
                   "例如 cypher-shell -f")
