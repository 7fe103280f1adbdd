"""``innograph generate``: write synthetic registries of any size."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli import app, fail


@app.command()
def generate(
    out: Annotated[Path, typer.Argument(help="output folder (created; files are overwritten)")],
    actors: Annotated[int, typer.Option("--actors", help="total actors, talents included")]
    = 1000,
    seed: Annotated[int, typer.Option("--seed", help="same seed, same bytes")] = 0,
    messy: Annotated[bool, typer.Option(
        "--messy/--clean",
        help="add repeated rows, other spellings and blank lines as real registries have")]
    = True,
    first_year: Annotated[int, typer.Option("--first-year", help="first project year")] = 2010,
    last_year: Annotated[int, typer.Option("--last-year", help="last project year")] = 2020,
) -> None:
    """Write every registry file of docs/registries.md for a synthetic city of N actors.

    Each data file gets its mapping file beside it, so ``innograph ingest OUT``
    loads the folder as it is.
    """
    from ingest.generate import GenerateConfig
    from ingest.generate import generate as run_generate

    cfg = GenerateConfig(actors=actors, seed=seed, messy=messy, first_year=first_year,
                         last_year=last_year)
    try:
        summary = run_generate(out, cfg)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"wrote {out} in {summary.seconds:.1f} s "
               f"({'messy' if messy else 'clean'}, seed {seed})")
    for name, rows in summary.rows.items():
        typer.echo(f"  {name:<28} {rows:>10,} rows")
    kinds = ", ".join(f"{k} {v:,}" for k, v in summary.actors.items())
    typer.echo(f"  actors: {kinds}")
    typer.echo(f"  映射文件 {len(summary.mappings)} 个已写在数据文件旁，"
               f"可直接导入：innograph ingest {out}")
