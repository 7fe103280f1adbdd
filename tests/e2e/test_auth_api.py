"""Who may see what over HTTP, on each backend: keys, roles, redaction, audit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import cli_users  # noqa: F401  (registers the commands)
from api.app import create_app
from api.auth import USERS_FILE, UserStore
from api.cli import app as cli_app
from graph.settings import Settings
from graph.store import GraphStore
from tests.contract.fixture import EDGES, NODES

TALENT = "tal:张三@泰山学院"
PERSONAL = ("13800000000", "zhangsan@example.com")
PUBLIC = {"/", "/static/{name:path}", "/health", "/auth/login", "/auth/logout", "/docs",
          "/redoc", "/openapi.json", "/docs/oauth2-redirect", "/static-offline-docs/{path}"}
SAMPLE = {"uid": "ent:a", "fmt": "json"}
VIEWS = ["/viz/ego.{fmt}?uid=" + TALENT + "&depth=2",
         "/viz/community.{fmt}",
         "/export/subgraph.{fmt}?uid=" + TALENT + "&depth=2"]


@pytest.fixture
def env(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Path]]:
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    home = tmp_path / "home"
    users = UserStore(home)
    keys = {role: users.add(f"u_{role}", role) for role in ("analyst", "talent_office",
                                                            "admin")}
    app = create_app(Settings(INNOGRAPH_HOME=str(home), INNOGRAPH_AUTH=True), store=store)
    with TestClient(app) as c:
        yield c, keys, home


def _as(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _protected_paths(client: TestClient) -> list[tuple[str, str]]:
    """Every documented route but the public ones, with sample path parameters."""
    out = []
    for path, ops in client.get("/openapi.json").json()["paths"].items():
        if path in PUBLIC:
            continue
        for name, value in SAMPLE.items():
            path = path.replace("{" + name + "}", value)
        out.extend((method.upper(), path) for method in ops)
    return out


def test_every_route_needs_a_key(env: tuple[TestClient, dict[str, str], Path]) -> None:
    client, keys, _ = env
    routes = _protected_paths(client)
    assert len(routes) >= 20
    for method, path in routes:
        r = client.request(method, path)
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.headers.get("www-authenticate") == "Bearer"
        bad = client.request(method, path, headers=_as("igk_not-a-key"))
        assert bad.status_code == 401, (method, path)
    assert client.get("/health").status_code == 200
    assert client.get("/").status_code == 200  # the page itself logs in
    assert client.get("/stats", headers={"X-API-Key": keys["analyst"]}).status_code == 200


def test_analyst_never_receives_personal_data(
        env: tuple[TestClient, dict[str, str], Path]) -> None:
    client, keys, _ = env
    analyst, office = _as(keys["analyst"]), _as(keys["talent_office"])
    detail = client.get(f"/nodes/{TALENT}", headers=analyst).json()
    assert detail["name"] == "张三" and "phone" not in detail and "email" not in detail
    assert client.get(f"/nodes/{TALENT}", headers=office).json()["phone"] == PERSONAL[0]
    for view in VIEWS:
        for fmt in ("json", "html", "graphml", "gexf", "csv", "xlsx"):
            path = view.replace("{fmt}", fmt)
            r = client.get(path, headers=analyst)
            assert r.status_code == 200, (path, r.text[:200])
            for secret in PERSONAL:
                assert secret.encode() not in r.content, (path, secret)
    full = client.get(VIEWS[0].replace("{fmt}", "graphml"), headers=office)
    assert PERSONAL[0].encode() in full.content
    for path in ("/search?q=张三", f"/nodes/{TALENT}/neighbors?depth=2",
                 f"/paths?source={TALENT}&target=uni:4137010436"):
        body = client.get(path, headers=analyst).content
        assert all(s.encode() not in body for s in PERSONAL), path


def test_wrong_role_is_forbidden(env: tuple[TestClient, dict[str, str], Path]) -> None:
    client, keys, _ = env
    contact = f"/talents/{TALENT}/contact"
    r = client.get(contact, headers=_as(keys["analyst"]))
    assert r.status_code == 403 and "人才办" in r.json()["detail"]
    got = client.get(contact, headers=_as(keys["talent_office"])).json()
    assert got["phone"] == PERSONAL[0] and got["email"] == PERSONAL[1]
    assert client.get("/audit", headers=_as(keys["talent_office"])).status_code == 403
    assert client.get("/audit", headers=_as(keys["admin"])).status_code == 200


def test_revoked_key_stops_working(env: tuple[TestClient, dict[str, str], Path]) -> None:
    client, keys, home = env
    assert client.get("/stats", headers=_as(keys["analyst"])).status_code == 200
    UserStore(home).revoke("u_analyst")
    r = client.get("/stats", headers=_as(keys["analyst"]))
    assert r.status_code == 401 and "吊销" in r.json()["detail"]
    assert client.get("/stats", headers=_as(keys["admin"])).status_code == 200


def test_the_page_logs_in_with_a_cookie(env: tuple[TestClient, dict[str, str], Path]) -> None:
    client, keys, _ = env
    assert client.post("/auth/login", json={"key": "igk_wrong"}).status_code == 401
    r = client.post("/auth/login", json={"key": keys["talent_office"]})
    assert r.status_code == 200 and r.json()["role"] == "talent_office"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/auth/me").json()["name"] == "u_talent_office"
    # downloads opened from the page carry the cookie
    assert PERSONAL[0].encode() in client.get(VIEWS[0].replace("{fmt}", "graphml")).content
    client.post("/auth/logout")
    client.cookies.clear()
    assert client.get("/stats").status_code == 401


def test_audit_says_who_did_what_without_values(
        env: tuple[TestClient, dict[str, str], Path]) -> None:
    client, keys, home = env
    client.get("/search", params={"q": PERSONAL[0]}, headers=_as(keys["analyst"]))
    client.get(f"/nodes/{TALENT}", headers=_as(keys["talent_office"]))
    client.get("/stats")
    rows = client.get("/audit", headers=_as(keys["admin"])).json()
    seen = {(r["user"], r["path"], r["status"]) for r in rows}
    assert ("u_analyst", "/search", 200) in seen
    assert ("u_talent_office", f"/nodes/{TALENT}", 200) in seen
    assert (None, "/stats", 401) in seen
    search = next(r for r in rows if r["path"] == "/search")
    assert search["params"] == ["q"]
    text = (home / "audit.log").read_text(encoding="utf-8")
    assert PERSONAL[0] not in text
    users = (home / USERS_FILE).read_text(encoding="utf-8")
    assert all(k not in users for k in keys.values())
    assert oct((home / USERS_FILE).stat().st_mode & 0o777) == "0o600"


def test_auth_off_only_when_asked(store: GraphStore, tmp_path: Path) -> None:
    store.upsert_nodes(nodes=NODES)
    on = create_app(Settings(INNOGRAPH_HOME=str(tmp_path)), store=store)
    with TestClient(on) as c:
        assert c.get("/stats").status_code == 401
    off = create_app(Settings(INNOGRAPH_HOME=str(tmp_path), INNOGRAPH_AUTH="off",
                              INNOGRAPH_ROLE="analyst"), store=store)
    with TestClient(off) as c:
        me = c.get("/auth/me").json()
        assert me == {"name": "本地演示", "role": "analyst", "role_name": "分析员",
                      "auth": False}
        assert "phone" not in c.get(f"/nodes/{TALENT}").json()


runner = CliRunner()


def test_users_cli(tmp_path: Path) -> None:
    env = {"INNOGRAPH_HOME": str(tmp_path)}
    added = runner.invoke(cli_app, ["users", "add", "李四", "--role", "人才办"], env=env)
    assert added.exit_code == 0, added.output
    key = added.output.strip().splitlines()[-1]
    assert key.startswith("igk_")
    found = UserStore(tmp_path).find(key)
    assert found is not None and found.role == "talent_office"
    again = runner.invoke(cli_app, ["users", "add", "李四", "--role", "analyst"], env=env)
    assert again.exit_code == 2 and "已存在" in again.output
    bad = runner.invoke(cli_app, ["users", "add", "王五", "--role", "boss"], env=env)
    assert bad.exit_code == 2 and "未知角色" in bad.output
    listed = runner.invoke(cli_app, ["users", "list", "--format", "json"], env=env)
    rows: list[dict[str, Any]] = json.loads(listed.output)
    assert rows[0]["用户"] == "李四" and rows[0]["角色"] == "talent_office"
    assert key not in listed.output
    assert runner.invoke(cli_app, ["users", "revoke", "李四"], env=env).exit_code == 0
    assert UserStore(tmp_path).find(key) is None
    assert runner.invoke(cli_app, ["users", "revoke", "李四"], env=env).exit_code == 2


def test_a_bad_role_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "INNOGRAPH_HOME": str(tmp_path), "INNOGRAPH_ROLE": "boss"}
    r = subprocess.run([sys.executable, "-m", "api.cli", "stats"], env=env,
                       capture_output=True, text=True, timeout=120,
                       cwd=Path(__file__).resolve().parents[2])
    assert r.returncode == 2, r.stderr
    assert "INNOGRAPH_ROLE" in r.stderr and "Traceback" not in r.stderr


def test_the_cli_calls_a_server_as_a_named_user(store: GraphStore, tmp_path: Path) -> None:
    """``innograph api`` speaks to a running server with a user's key: the server's role
    rules and audit apply, and the machine running the CLI needs no data."""
    import threading

    import uvicorn

    from bench.harness import free_port

    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    home = tmp_path / "home"
    users = UserStore(home)
    analyst, office = users.add("a", "analyst"), users.add("o", "talent_office")
    app = create_app(Settings(INNOGRAPH_HOME=str(home), INNOGRAPH_AUTH=True), store=store)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        env = {"INNOGRAPH_SERVER": url, "INNOGRAPH_HOME": str(tmp_path / "empty")}
        r = runner.invoke(cli_app, ["api", f"/nodes/{TALENT}", "--key", analyst], env=env)
        assert r.exit_code == 0, r.output
        assert "张三" in r.output and PERSONAL[0] not in r.output
        r = runner.invoke(cli_app, ["api", f"/talents/{TALENT}/contact", "--key", analyst],
                          env=env)
        assert r.exit_code == 1 and "403" in r.output
        r = runner.invoke(cli_app, ["api", f"/talents/{TALENT}/contact"],
                          env={**env, "INNOGRAPH_KEY": office})
        assert r.exit_code == 0 and PERSONAL[0] in r.output
        r = runner.invoke(cli_app, ["api", "/search", "-p", "q=泰安", "--key", "igk_bad"],
                          env=env)
        assert r.exit_code == 1 and "401" in r.output
        r = runner.invoke(cli_app, ["api", "/match", "--json", '{"text": "康复"}', "--key",
                                    office, "--format", "json"], env=env)
        assert r.exit_code == 0, r.output
        assert json.loads(r.output)[0]["need"]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
