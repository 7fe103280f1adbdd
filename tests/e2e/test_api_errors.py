"""One error body everywhere, filters that take Chinese names and refuse unknown ones,
and an OpenAPI schema that says which errors each route gives."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from graph.settings import Settings

FIELDS = {"code", "message", "detail", "param"}


@pytest.fixture
def client(fixture_client: TestClient) -> TestClient:
    return fixture_client


def _error(r: object, status: int, param: str | None = None) -> dict[str, object]:
    assert r.status_code == status, r.text[:300]  # type: ignore[attr-defined]
    data = r.json()  # type: ignore[attr-defined]
    assert set(data) == FIELDS
    assert data["message"] == data["detail"] and isinstance(data["message"], str)
    if param is not None:
        assert data["param"] == param
    return data  # type: ignore[no-any-return]


@pytest.mark.parametrize(("path", "param"), [
    ("/recommendations/ent:a?kind=NOPE", "kind"),
    ("/viz/recommend.json?uid=ent:a&kind=NOPE", "kind"),
    ("/paths/shared?a=ent:a&b=ent:b&rel_type=NOPE", "rel_type"),
    ("/paths?source=ent:a&target=ent:b&rel_type=NOPE", "rel_type"),
    ("/viz/community.json?label=NOPE", "label"),
    ("/nodes/ent:a/neighbors?label=NOPE", "label"),
    ("/search?q=泰安&label=NOPE", "label"),
])
def test_unknown_filters_are_errors(client: TestClient, path: str, param: str) -> None:
    data = _error(client.get(path), 422, param)
    assert "可选" in str(data["message"])


def test_filters_take_chinese_names(client: TestClient) -> None:
    by_code = client.get("/recommendations/ent:b", params={"kind": "University"}).json()
    by_name = client.get("/recommendations/ent:b", params={"kind": "高校"}).json()
    assert by_code == by_name
    coop = client.get("/paths", params={"source": "ent:a", "target": "uni:4137010434",
                                        "rel_type": "合作"})
    assert coop.status_code == 200 and coop.json()
    hits = client.get("/search", params={"q": "泰安", "label": "企业"}).json()
    assert hits and all(h["node"]["label"] == "Enterprise" for h in hits)


def test_validation_errors_are_short_and_chinese(client: TestClient) -> None:
    data = _error(client.get("/paths", params={"target": "ent:b"}), 422, "source")
    assert data["message"] == "缺少参数 source"
    huge = "泰" * 1_500  # 13.5 KB encoded: under the URL limit, over the q limit
    r = client.get("/search", params={"q": huge})
    data = _error(r, 422, "q")
    assert "过长" in str(data["message"])
    assert len(r.content) < 500  # the input is not echoed back
    data = _error(client.get("/nodes/ent:a/neighbors", params={"depth": 99}), 422, "depth")
    assert "不大于" in str(data["message"])
    _error(client.post("/match", content=b"{not json", headers={
        "Content-Type": "application/json"}), 422)


def test_not_found_has_the_same_body(client: TestClient) -> None:
    data = _error(client.get("/nodes/ent:nobody"), 404)
    assert data["code"] == "not_found"


def test_openapi_documents_every_error(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "ErrorBody" in spec["components"]["schemas"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert {"401", "403", "404", "422", "503"} <= codes, (method, path, codes)
            ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorBody"), (method, path)


def test_cli_filters(tmp_path: object) -> None:
    from api import cli_commands  # noqa: F401
    from api.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["neighbors", "ent:a", "--type", "朋友"])
    assert r.exit_code == 2 and "不是已知的关系类型" in r.output
    r = runner.invoke(app, ["recommend", "ent:a", "--kind", "NOPE"])
    assert r.exit_code == 2 and "企业(Enterprise)" in r.output


def test_a_huge_url_gets_414_from_the_real_server(tmp_path: object) -> None:
    """100,000 Chinese characters in a query (900 KB encoded) used to reset the connection
    inside uvicorn; ``innograph serve`` reads the line and answers 414 with the error body."""
    import json
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.parse
    from pathlib import Path

    from bench.harness import free_port

    port = free_port()
    exe = Path(sys.executable).with_name("innograph")
    env = {**os.environ, "INNOGRAPH_HOME": str(tmp_path), "INNOGRAPH_STORE": "embedded",
           "INNOGRAPH_AUTH": "off"}
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("innograph serve did not start") from None
                time.sleep(0.2)
        query = urllib.parse.quote("泰" * 100_000)
        request = (f"GET /search?q={query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Connection: close\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(request)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 414"), head[:100]
        data = json.loads(payload)
        assert data["code"] == "uri_too_long" and "过长" in data["message"]
        assert len(payload) < 500
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_whole_graph_routes_share_a_few_slots(client: TestClient,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from api import deps

    monkeypatch.setattr(deps, "HEAVY_WAIT", 0.2)
    slots = client.app.state.heavy  # type: ignore[attr-defined]
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    assert taken == Settings().heavy
    try:
        busy = client.get("/gaps/fields")
        data = _error(busy, 503)
        assert busy.headers["retry-after"] == "5" and "繁忙" in str(data["message"])
        assert client.get("/recommendations/ent:b").status_code == 503
        assert client.get("/stats").status_code == 200  # light routes are not held up
    finally:
        for _ in range(taken):
            slots.release()
    assert client.get("/gaps/fields").status_code == 200
