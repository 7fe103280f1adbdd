"""Paths with sentences, shared partners and recommendations over HTTP, on both backends."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from graph.settings import Settings


@pytest.fixture
def client(fixture_client: TestClient) -> TestClient:
    return fixture_client


def test_paths_explained(client: TestClient) -> None:
    r = client.get("/paths/explained", params={"source": "plt:lab", "target": "ent:a",
                                                "rel_type": "MEMBER_OF"})
    assert r.status_code == 200
    assert r.json()[0]["sentence"] == ("山东省作物生物学重点实验室 —成员→ "
                                       "山东省智慧康养创新创业共同体 "
                                       "←成员— 泰安康养医疗器械有限公司")
    r = client.get("/paths/explained", params={"source": "uni:4137010434", "target": "team:r",
                                                "rel_type": "COOPERATES_WITH",
                                                "year_from": 2010, "year_to": 2015})
    assert r.json() == []


def test_shared_partners(client: TestClient) -> None:
    r = client.get("/paths/shared", params={"a": "plt:lab", "b": "ent:a"})
    assert [p["uid"] for p in r.json()] == ["uni:4137010434", "plt:community"]  # by name
    assert client.get("/paths/shared", params={"a": "plt:lab", "b": "nope"}).status_code == 404


def test_recommendations_json_and_xlsx(client: TestClient, tmp_path: object) -> None:
    recs = client.get("/recommendations/ent:b").json()
    assert recs and all(r["label"] != "Enterprise" for r in recs)
    assert "ent:b" not in {r["uid"] for r in recs}
    r = client.get("/recommendations/ent:b.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    import io

    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None and ws.max_row == len(recs) + 1
    assert client.get("/recommendations/fld:rehab").status_code == 422
    assert client.get("/recommendations/nope").status_code == 404


def test_the_server_runs_as_many_requests_at_once_as_it_has_threads() -> None:
    import anyio.to_thread

    from graph.backends.embedded import EmbeddedStore

    store = EmbeddedStore(None)
    store.open()
    app = create_app(Settings(INNOGRAPH_AUTH=False, INNOGRAPH_STORE="embedded",
                              INNOGRAPH_THREADS=123), store=store)
    with TestClient(app) as c:
        assert c.get("/health").status_code == 200
        seen = c.portal.call(  # type: ignore[union-attr]
            lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)
    assert seen == 123
