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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from api.output import Format, emit
from graph.errors import GraphError

if TYPE_CHECKING:
    from graph.store import GraphStore

app = typer.Typer(help="innograph:城市创新主体知识图谱(检索、查关系、匹配、推荐、缺口分析)。",
                  no_args_is_help=True, pretty_exceptions_enable=False)
neo4j_app = typer.Typer(help="本机 Neo4j(Community 5.26,取自 Maven Central)的启动与停止。",
                        no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
eval_app = typer.Typer(help="可重复运行的评测(实体识别、名称解析、匹配、链接预测)。",
                       no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@app.callback()
def _options(verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="显示第三方库的日志(jieba 词典加载、Neo4j 驱动连接)")] = False,
             ) -> None:
    """innograph:城市创新主体知识图谱。"""
    if verbose:
        os.environ["INNOGRAPH_VERBOSE"] = "1"
    from api.quiet import quiet_libraries

    quiet_libraries()

FormatOpt = Annotated[Format, typer.Option(
    "--format", "-f", help="输出格式:table(表格,给人看)、json 或 csv(给程序,键为代码)")]
WideOpt = Annotated[bool, typer.Option("--wide", help="表格显示全部列(窄终端默认只显示主要列)")]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error on stderr and return the Exit to raise."""
    typer.echo(f"错误:{message}", err=True)
    return typer.Exit(code)


YearOpt = Annotated[str | None, typer.Option(
    "--year", "-y", help="时间:截至某年(如 2019),或年份区间(如 2017-2019,只计区间内活跃的关系)")]


def years_of(year: str | None) -> tuple[int | None, int] | None:
    """``--year`` read; an unreadable one exits 2 with the reason."""
    from graph.analytics.asof import YearError, parse_years

    try:
        return parse_years(year)
    except YearError as exc:
        raise fail(str(exc), code=2) from exc


@contextmanager
def store_at(year: str | None) -> Iterator[GraphStore]:
    """The store opened read-only, or with ``--year`` the graph as it stood then (an
    in-memory store of what was present, see graph.analytics.asof)."""
    years = years_of(year)
    with store_from_env(read_only=True) as store:
        if years is None:
            yield store
            return
        from api.output import busy
        from graph.analytics.asof import describe
        from graph.analytics.computed import Computed

        with busy(f"正在还原{describe(years)}的图谱…"):
            past = Computed(store, store.version()).at(years).store
        yield past


@contextmanager
def store_quick(year: str | None = None) -> Iterator[GraphStore]:
    """For a quick question (stats, search, one node): the embedded store's catalog when
    it describes the current snapshot (a fraction of a second instead of loading the
    snapshot), else the store as :func:`store_at` opens it."""
    if year is None:
        from graph.settings import Settings

        settings = Settings()
        if settings.store == "embedded":
            from graph.backends.catalog import SNAPSHOT, CatalogStore

            catalog = CatalogStore.open_fresh(settings.home / "store", SNAPSHOT)
            if catalog is not None:
                try:
                    yield catalog  # type: ignore[misc]  # answers the read-only questions
                finally:
                    catalog.close()
                return
    with store_at(year) as store:
        yield store


@contextmanager
def store_from_env(*, read_only: bool = False) -> Iterator[GraphStore]:
    """Open the store the environment chooses; errors become a one-line message."""
    from api.output import busy
    from graph.factory import open_store
    from graph.settings import Settings

    try:
        with busy("正在打开图谱…"):
            store = open_store(Settings(), read_only=read_only)
    except GraphError as exc:
        raise fail(str(exc)) from exc
    try:
        yield store
    finally:
        store.close()


@app.command()
def schema(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON Schema")]
           = False) -> None:
    """本体:主体类别与关系类型(加 --json 输出 JSON Schema)。"""
    from schemas.ontology import json_schema

    doc = json_schema()
    if as_json:
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    from api.output import label_name

    rows = [{"code": name, "reading": spec["zh"],
             "from": "、".join(label_name(x) for x in spec["from"]),
             "to": "、".join(label_name(x) for x in spec["to"])}
            for name, spec in doc["x-relationship-types"].items()]
    emit(rows, Format.table, title="关系类型(--json 输出完整的 JSON Schema)",
         columns=["code", "reading", "from", "to"])


@app.command()
def stats(year: YearOpt = None, fmt: FormatOpt = Format.table) -> None:
    """各类节点与关系的数量(可按年份)。"""
    with store_quick(year) as store:
        s = store.stats()
    from api.output import label_name, rel_name

    rows = [{"kind": "node", "code": k, "name": label_name(k), "count": v}
            for k, v in s.nodes.items()]
    rows += [{"kind": "relationship", "code": k, "name": rel_name(k), "count": v}
             for k, v in s.relationships.items()]
    backend = {"embedded": "嵌入式存储", "neo4j": "Neo4j 数据库"}.get(store.backend, store.backend)
    emit(rows, fmt, title=f"{backend}:节点与关系数量",
         columns=["kind", "name", "count"] if fmt is Format.table else None)


def _neo4j_script(*args: str) -> None:
    from graph.settings import REPO_ROOT

    script = REPO_ROOT / "tools" / "neo4j" / "neo4j_local.py"
    if not script.exists():
        raise fail(f"找不到 {script}:neo4j 命令只能在源码目录中使用")
    code = subprocess.call([sys.executable, str(script), *args], env=os.environ.copy())
    raise typer.Exit(code)


@neo4j_app.command("start")
def neo4j_start() -> None:
    """启动本机 Neo4j,并写出 .neo4j/connection.json。"""
    _neo4j_script("start")


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """停止本机 Neo4j。"""
    _neo4j_script("stop")


@neo4j_app.command("status")
def neo4j_status() -> None:
    """本机 Neo4j 是否在运行(是:退出码 0;否:3)。"""
    _neo4j_script("status")


def main() -> None:
    """Entry point of the ``innograph`` script."""
    from api import cli_commands  # noqa: F401  (registers the other commands)

    try:
        _run_app()
    except SystemExit as done:
        _exit_without_teardown(done)
        raise


def _exit_without_teardown(done: SystemExit) -> None:
    """End the process at once with ``done``'s status, skipping the interpreter's
    teardown, when nothing is left to do: output flushed, no other thread alive. After an
    ingest at 100,000 actors the teardown frees the store's millions of records one by
    one: about 5 s in which the work is done and the user waits. Returns (and the normal
    exit goes on) when the status is not a number or another thread the normal exit would
    wait for still runs; a daemon thread (a library's monitor, such as the one any tqdm
    bar starts, which the matcher's BM25 index makes) is abandoned by either exit. The
    exit functions (``atexit``: logging's flush among them) still run."""
    import atexit
    import contextlib
    import os
    import threading

    code = 0 if done.code is None else done.code
    main = threading.main_thread()
    if not isinstance(code, int) or any(t is not main and not t.daemon
                                        for t in threading.enumerate()):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return  # a closed or broken stream: let the normal exit report it
    atexit._run_exitfuncs()
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def _run_app() -> None:
    try:
        app()
    except Exception as exc:
        # a setting from the environment is not allowed: pydantic's error, caught without
        # importing pydantic where no command did (``--help`` stays light)
        pydantic = sys.modules.get("pydantic")
        if pydantic is None or not isinstance(exc, pydantic.ValidationError):
            raise
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '?'}: {e['msg']}"
                             for e in exc.errors())
        typer.echo(f"错误:设置无效({problems})。INNOGRAPH_ROLE 可选 analyst、"
                   "talent_office、admin;INNOGRAPH_STORE 可选 embedded、neo4j", err=True)
        raise SystemExit(2) from None


@app.command()
def serve(host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="端口;0 表示自动选一个空闲端口")] = 8000,
          workers: Annotated[int, typer.Option(
              min=1, max=64, help="工作进程数(嵌入式存储时每个进程各持一份图谱;"
                                  "Neo4j 时共用数据库)")] = 1,
          ) -> None:
    """启动 HTTP 接口与浏览页(使用当前配置的图谱)。"""
    import socket

    import uvicorn

    from api.app import create_app
    from graph.settings import Settings

    if port == 0:
        with socket.socket() as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
    typer.echo(f"innograph 服务:http://{host}:{port}/ (接口文档:http://{host}:{port}/docs)")
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


def terms(kind: Literal["label", "rel_type"], values: list[str] | None,
          option: str) -> list[str] | None:
    """Kinds (``kind="label"``) or relationship types given on the command line (codes
    or Chinese names) as codes; an unknown one exits 2 with the allowed values. The
    ontology (pydantic models) is imported only when a value is given."""
    if values is None:
        return None
    from schemas.errors import SchemaError
    from schemas.ontology import label_codes, rel_type_codes

    convert = label_codes if kind == "label" else rel_type_codes
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
            raise fail(f"没有名称、别名或标识为“{text}”的主体(可先用 innograph search 查找)")
        found = [{"uid": h.node.uid, "label": h.node.label, "name": h.node.name} for h in hits]
    from api.output import label_name

    typer.echo(f"“{text}”对应多个主体,请改用标识或全称:", err=True)
    for rec in found:
        typer.echo(f"  {rec['uid']}\t{label_name(str(rec['label']))}\t{rec['name']}", err=True)
    raise typer.Exit(2)


if __name__ == "__main__":
    main()
