"""``innograph users add|list|revoke`` and ``innograph audit``: who may call the HTTP
API, with which role, and what they did (see :mod:`api.auth`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from api.cli import FormatOpt, app, fail
from api.output import Format, emit

if TYPE_CHECKING:
    from api.auth import UserStore

users_app = typer.Typer(help="HTTP API 的用户与密钥(角色: analyst 分析员, talent_office "
                             "人才办, admin 管理员)", no_args_is_help=True)
app.add_typer(users_app, name="users")


def _store() -> UserStore:
    from api.auth import UserStore
    from graph.settings import Settings

    return UserStore(Settings().home)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="用户名")],
    role: Annotated[str, typer.Option("--role", "-r",
                                      help="analyst | talent_office | admin(或中文名)")],
) -> None:
    """新建用户并显示其 API 密钥(只显示这一次,只保存其摘要)。"""
    from api.auth import AuthError

    try:
        key = _store().add(name, role)
    except AuthError as exc:
        raise fail(str(exc), code=2) from exc
    typer.echo(f"已创建用户 {name}。API 密钥(请妥善保存,不会再次显示):")
    typer.echo(key)


@users_app.command("list")
def users_list(fmt: FormatOpt = Format.table) -> None:
    """列出用户(含已吊销的),不显示密钥。"""
    from api.auth import AuthError

    try:
        rows = _store().list()
    except AuthError as exc:
        raise fail(str(exc)) from exc
    emit([{"用户": r["name"], "角色": r["role"], "角色名": r["role_name"],
           "创建时间": r["created"], "吊销时间": r["revoked"] or ""} for r in rows], fmt,
         title="用户")


@users_app.command("revoke")
def users_revoke(name: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """吊销用户的密钥(正在运行的服务在下一个请求即生效)。"""
    from api.auth import AuthError

    try:
        _store().revoke(name)
    except AuthError as exc:
        raise fail(str(exc), code=2) from exc
    typer.echo(f"已吊销 {name}")


@app.command("audit")
def audit(limit: Annotated[int, typer.Option(min=1, help="最近多少条")] = 50,
          fmt: FormatOpt = Format.table) -> None:
    """审计日志:谁在何时检索、查看、导出了什么(只追加,不可改写)。"""
    from api.auth import AuditLog
    from graph.settings import Settings

    rows = AuditLog(Settings().home).read(limit=limit)
    emit([{"时间": r.get("time"), "用户": r.get("user") or "(未登录)", "角色": r.get("role") or "",
           "方法": r.get("method"), "路径": r.get("path"),
           "参数": ",".join(r.get("params") or []), "状态": r.get("status")} for r in rows],
         fmt, title=f"审计日志(最近 {len(rows)} 条)")


@app.command("api")
def api_call(
    path: Annotated[str, typer.Argument(help="路径,如 /search 或 /nodes/ent:a")],
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="查询参数 名=值,可重复")] = None,
    body: Annotated[str | None, typer.Option(
        "--json", help="以 POST 发送的 JSON 请求体")] = None,
    server: Annotated[str | None, typer.Option(
        "--server", envvar="INNOGRAPH_SERVER", help="服务地址,如 http://10.0.0.5:8000")] = None,
    key: Annotated[str | None, typer.Option(
        "--key", envvar="INNOGRAPH_KEY", help="API 密钥(也可用环境变量 INNOGRAPH_KEY)")]
    = None,
    fmt: FormatOpt = Format.json,
) -> None:
    """以某个用户的身份调用 innograph 服务(角色与审计随该用户,本机无需数据)。"""
    import json

    import httpx

    if not server:
        raise fail("请用 --server 或 INNOGRAPH_SERVER 指定服务地址", code=2)
    params: list[tuple[str, str | int | float | bool | None]] = []
    for item in param or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise fail(f"--param 须为 名=值,收到 {item!r}", code=2)
        params.append((name, value))
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    url = server.rstrip("/") + "/" + path.lstrip("/")
    try:
        if body is not None:
            try:
                payload = json.loads(body)
            except ValueError as exc:
                raise fail(f"--json 不是有效的 JSON: {exc}", code=2) from exc
            r = httpx.post(url, params=params, json=payload, headers=headers, timeout=120)
        else:
            r = httpx.get(url, params=params, headers=headers, timeout=120)
    except httpx.HTTPError as exc:
        raise fail(f"无法连接服务 {server}: {exc}") from exc
    if r.status_code >= 400:
        try:
            message = r.json().get("message") or r.text
        except ValueError:
            message = r.text
        raise fail(f"{r.status_code}: {message}")
    data = r.json() if "json" in r.headers.get("content-type", "") else r.text
    if isinstance(data, list) and all(isinstance(x, dict) for x in data):
        emit(data, fmt)
    elif isinstance(data, dict):
        emit([data], fmt)
    else:
        typer.echo(data)
