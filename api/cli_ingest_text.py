"""``innograph ingest-text``: extraction from Chinese texts into the graph."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli import app, store_from_env
from api.output import Format, emit


@app.command("ingest-text")
def ingest_text(
    paths: Annotated[list[str], typer.Argument(help=".txt files, directories or JSONL files")],
    year: Annotated[int, typer.Option(help="year of the targets (0: from the text)")] = 0,
    title: Annotated[str, typer.Option(help="document title; an existing Document of that "
                                            "name (a plan a registry cites) is reused")] = "",
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """Link the actors, relations and targets of policy and news texts into the graph."""
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
