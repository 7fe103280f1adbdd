"""One error body everywhere, filters that take Chinese names and refuse unknown ones,
and an OpenAPI schema that says which errors each route gives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from graph.settings import Settings
from graph.store import GraphStore
from tests.contract.fixture import EDGES, NODES

FIELDS = {"code", "message", "detail", "param"}


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    with TestClient(create_app(Settings(INNOGRAPH_AUTH=False), store=store)) as c:
        yield c


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
    huge = "泰" * 5_000
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
