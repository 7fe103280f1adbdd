"""``innograph generate``: write synthetic registries of any size."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli import app, fail


@app.command()
def generate(
    out: Annotated[Path, typer.Argument(help="输出目录(不存在则创建;同名文件会被覆盖)")],
    actors: Annotated[int, typer.Option("--actors", help="主体总数(含人才)")]
    = 1000,
    seed: Annotated[int, typer.Option("--seed", help="随机种子:种子相同,文件逐字节相同")] = 0,
    messy: Annotated[bool, typer.Option(
        "--messy/--clean",
        help="像真实名录一样加入重复行、不同写法与空行")]
    = True,
    first_year: Annotated[int, typer.Option("--first-year", help="最早的项目年份")] = 2010,
    last_year: Annotated[int, typer.Option("--last-year", help="最晚的项目年份")] = 2020,
) -> None:
    """生成一个有 N 个主体的合成城市的全部名录文件(测试与基准用)。

    每个数据文件旁都写有映射文件,``innograph ingest OUT`` 可直接装载该文件夹。
    """
    from ingest.generate import GenerateConfig
    from ingest.generate import generate as run_generate
    from schemas.ontology import label_name

    cfg = GenerateConfig(actors=actors, seed=seed, messy=messy, first_year=first_year,
                         last_year=last_year)
    try:
        summary = run_generate(out, cfg)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"已写入 {out},用时 {summary.seconds:.1f} 秒"
               f"({'含脏数据' if messy else '干净数据'},种子 {seed})")
    for name, rows in summary.rows.items():
        typer.echo(f"  {name:<28} {rows:>10,} 行")
    kinds = "、".join(f"{label_name(k.capitalize())} {v:,}" for k, v in summary.actors.items())
    typer.echo(f"  主体:{kinds}")
    typer.echo(f"  映射文件 {len(summary.mappings)} 个已写在数据文件旁，"
               f"可直接导入：innograph ingest {out}")
