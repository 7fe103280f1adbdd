"""The ``innograph`` command line.

Start-up stays cheap: this module and the command modules it registers import
only what their command signatures need. Stores, analytics, spaCy, scipy, pyvis,
openpyxl, the web server and the like are imported inside the commands that use
them (``tests/unit/test_cli_startup.py`` keeps it so).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from api.output import Format, emit
from graph.errors import GraphError

if TYPE_CHECKING:
    from graph.store import GraphStore

app = typer.Typer(help="innograph: the knowledge graph of a city's innovation actors.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
neo4j_app = typer.Typer(help="Run a local Neo4j (Community 5.26, from Maven Central).",
                        no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
eval_app = typer.Typer(help="Evaluations you can rerun (NER, link prediction).",
                       no_args_is_help=True)
app.add_typer(eval_app, name="eval")

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv")]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error on stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def store_from_env(*, read_only: bool = False) -> Iterator[GraphStore]:
    """Open the store the environment chooses; errors become a one-line message."""
    from graph.factory import open_store
    from graph.settings import Settings

    try:
        store = open_store(Settings(), read_only=read_only)
    except GraphError as exc:
        raise fail(str(exc)) from exc
    try:
        yield store
    finally:
        store.close()


@app.command()
def schema(as_json: Annotated[bool, typer.Option("--json", help="print the JSON Schema")]
           = False) -> None:
    """Print the ontology: labels and relationship types (or the JSON Schema with --json)."""
    from schemas.ontology import json_schema

    doc = json_schema()
    if as_json:
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    rows = [{"relationship": name, "from": "|".join(spec["from"]), "to": "|".join(spec["to"]),
             "中文": spec["zh"]} for name, spec in doc["x-relationship-types"].items()]
    emit(rows, Format.table, title="relationship types")


@app.command()
def stats(fmt: FormatOpt = Format.table) -> None:
    """Counts of nodes per label and relationships per type."""
    with store_from_env(read_only=True) as store:
        s = store.stats()
    rows = [{"kind": "node", "name": k, "count": v} for k, v in s.nodes.items()]
    rows += [{"kind": "relationship", "name": k, "count": v} for k, v in s.relationships.items()]
    emit(rows, fmt, title=f"{store.backend} store")


def _neo4j_script(*args: str) -> None:
    from graph.settings import REPO_ROOT

    script = REPO_ROOT / "tools" / "neo4j" / "neo4j_local.py"
    if not script.exists():
        raise fail(f"{script} not found: the neo4j commands work from a source checkout")
    code = subprocess.call([sys.executable, str(script), *args], env=os.environ.copy())
    raise typer.Exit(code)


@neo4j_app.command("start")
def neo4j_start() -> None:
    """Start the local Neo4j and write .neo4j/connection.json."""
    _neo4j_script("start")


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j."""
    _neo4j_script("stop")


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Say whether the local Neo4j runs (exit 0) or not (exit 3)."""
    _neo4j_script("status")


def main() -> None:
    """Entry point of the ``innograph`` script."""
    from pydantic import ValidationError

    from api import cli_commands  # noqa: F401  (registers the other commands)

    try:
        app()
    except ValidationError as exc:  # a setting from the environment is not allowed
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '?'}: {e['msg']}"
                             for e in exc.errors())
        typer.echo(f"error: 设置无效({problems})。INNOGRAPH_ROLE 可选 analyst、"
                   "talent_office、admin;INNOGRAPH_STORE 可选 embedded、neo4j", err=True)
        raise SystemExit(2) from None


@app.command()
def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="port; 0 picks a free one")] = 8000,
          workers: Annotated[int, typer.Option(
              min=1, max=64, help="worker processes (each holds its own copy of the "
                                  "embedded store; with Neo4j they share the database)")] = 1,
          ) -> None:
    """Start the HTTP API (and the explorer page) on the configured store."""
    import socket

    import uvicorn

    from api.app import create_app
    from graph.settings import Settings

    if port == 0:
        with socket.socket() as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
    typer.echo(f"innograph API: http://{host}:{port}/  (OpenAPI: http://{host}:{port}/docs)")
    settings = Settings()
    if settings.auth:
        typer.echo("认证已开启:请求须带 API 密钥(innograph users add 用户名 --role 角色)")
    else:
        typer.echo(f"警告:认证已关闭(INNOGRAPH_AUTH=off),任何能访问此端口的人都以 "
                   f"{settings.demo_role} 角色访问。仅用于本机演示。")
    from api.app import URL_READ

    if workers > 1:
        uvicorn.run("api.app:served_app", factory=True, host=host, port=port,
                    workers=workers, log_level="warning", h11_max_incomplete_event_size=URL_READ)
        return
    uvicorn.run(create_app(Settings(), warm=True), host=host, port=port, log_level="warning",
                h11_max_incomplete_event_size=URL_READ)


def terms(convert: Callable[..., list[str] | None], values: list[str] | None,
          option: str) -> list[str] | None:
    """Kinds or relationship types given on the command line (codes or Chinese names)
    as codes; an unknown one exits 2 with the allowed values."""
    from schemas.errors import SchemaError

    try:
        return convert(values, param=option)
    except SchemaError as exc:
        raise fail(str(exc), code=2) from exc


def resolve_actor(store: GraphStore, text: str) -> str:
    """A uid from a uid, a name or an alias; ambiguous or unknown names exit non-zero.

    Exact uid first, then normalised name/alias matches, then a unique search hit.
    Candidates are listed on stderr when there are several.
    """
    if store.find_records(uids=[text], limit=1):
        return text
    found = store.find_records(name=text, limit=20)
    if len(found) == 1:
        return str(found[0]["uid"])
    if not found:
        hits = store.search(text=text, limit=10)
        if len(hits) == 1:
            return hits[0].node.uid
        if not hits:
            raise fail(f"no actor named or identified by '{text}'")
        found = [{"uid": h.node.uid, "label": h.node.label, "name": h.node.name} for h in hits]
    typer.echo(f"'{text}' is ambiguous; candidates:", err=True)
    for rec in found:
        typer.echo(f"  {rec['uid']}\t{rec['label']}\t{rec['name']}", err=True)
    raise typer.Exit(2)


if __name__ == "__main__":
    main()
