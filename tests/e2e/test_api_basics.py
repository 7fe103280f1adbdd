"""The HTTP API on each backend: status codes, limits, hidden personal data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph.settings import Settings
from graph.store import GraphStore
from schemas.results import Neighborhood, SearchHit
from tests.contract.fixture import EDGES, NODES


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    with TestClient(create_app(Settings(INNOGRAPH_AUTH=False, INNOGRAPH_ROLE="analyst"),
                                       store=store)) as c:
        yield c


def test_search_and_node_detail(client: TestClient) -> None:
    hits = client.get("/search", params={"q": "智慧康养"}).json()
    assert hits[0]["node"]["uid"] == "plt:community"
    detail = client.get("/nodes/plt:community").json()
    assert detail["label"] == "Platform" and detail["provenance"]["method"] == "manual"


def test_personal_data_hidden_from_analysts(client: TestClient, store: GraphStore) -> None:
    detail = client.get("/nodes/tal:张三@泰山学院").json()
    assert detail["name"] == "张三"
    assert "phone" not in detail and "email" not in detail
    with TestClient(create_app(Settings(INNOGRAPH_AUTH=False,
                                                INNOGRAPH_ROLE="talent_office"),
                                       store=store)) as c:
        assert c.get("/nodes/tal:张三@泰山学院").json()["phone"] == "13800000000"


def test_errors_map_to_status_codes(client: TestClient) -> None:
    assert client.get("/nodes/nope").status_code == 404
    r = client.get("/paths", params={"source": "ent:a", "target": "team:r", "max_hops": 9})
    assert r.status_code == 422
    r = client.get("/paths", params={"source": "ent:a", "target": "nope"})
    assert r.status_code == 404 and "nope" in r.json()["detail"]
    r = client.get("/search", params={"q": "x", "label": "Company"})
    assert r.status_code == 422 and "Company" in r.json()["detail"]


def test_paths_and_neighbors(client: TestClient) -> None:
    paths = client.get("/paths", params={"source": "uni:4137010434", "target": "team:r"}).json()
    assert [n["uid"] for n in paths[0]["nodes"]] == ["uni:4137010434", "ent:a", "team:r"]
    hood = client.get("/nodes/ent:a/neighbors", params={"per_type_limit": 1}).json()
    assert hood["counts"]["COOPERATES_WITH"] == 2 and hood["truncated"] is True
    assert client.get("/stats").json()["nodes"]["University"] == 3


def test_served_embedded_store_sees_later_ingests(tmp_path: object) -> None:
    from pathlib import Path

    from graph.backends.embedded import EmbeddedStore

    home = Path(str(tmp_path))
    writer = EmbeddedStore(home / "store")
    writer.open()
    writer.upsert_nodes(nodes=NODES[:3])
    settings = Settings(INNOGRAPH_AUTH=False, INNOGRAPH_HOME=str(home), INNOGRAPH_STORE="embedded")
    app = create_app(settings)
    with TestClient(app) as c:
        assert c.get("/stats").json()["nodes"] == {"University": 3}
        served = app.state.store
        reloads: list[bool] = []
        read_snapshot = served._read_snapshot

        def recorded() -> None:
            reloads.append(_on_event_loop())
            read_snapshot()

        served._read_snapshot = recorded
        writer.upsert_nodes(nodes=NODES[3:5])
        new = NODES[4]["uid"]
        # a point read served on the event loop still sees the new snapshot first
        assert c.get(f"/nodes/{new}/neighbors").json()["center"]["uid"] == new
        assert sum(c.get("/stats").json()["nodes"].values()) == 5
        # one reload, in a worker thread: loading a snapshot takes seconds at scale
        assert reloads == [False]
    writer.close()


def _on_event_loop() -> bool:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_point_reads_block_the_event_loop_only_when_read_from_memory(
        client: TestClient, store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # the served store answers one-hop reads on the event loop when it holds the graph in
    # memory (a thread hop costs more than the read); a database store reads one-hop
    # neighbourhoods through its asynchronous driver on the loop, and everything else in
    # worker threads, as do traversals deeper than one hop: no request waits behind I/O
    seen: list[tuple[str, bool]] = []
    for name in ("get_node", "neighbors", "neighbors_async"):
        method = getattr(store, name)
        if name == "neighbors_async":
            async def recorded_async(*args: object, _method: object = method,
                                     **kwargs: object) -> object:
                seen.append(("neighbors_async", _on_event_loop()))
                return await _method(*args, **kwargs)  # type: ignore[operator]

            monkeypatch.setattr(store, name, recorded_async)
            continue

        def recorded(*args: object, _name: str = name, _method: object = method,
                     **kwargs: object) -> object:
            seen.append((_name, _on_event_loop()))
            return _method(*args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(store, name, recorded)
    assert client.get("/nodes/ent:a").json()["uid"] == "ent:a"
    one = client.get("/nodes/ent:a/neighbors").json()
    two = client.get("/nodes/ent:a/neighbors", params={"depth": 2}).json()
    assert {n["uid"] for n in one["nodes"]} < {n["uid"] for n in two["nodes"]}
    assert client.get("/nodes/nope:x/neighbors").status_code == 404
    if store.backend == "embedded":
        assert store.reads_in_memory and not store.reads_async
        assert seen == [("get_node", True), ("neighbors", True), ("neighbors", False),
                        ("neighbors", True)]
    else:
        assert store.reads_async and not store.reads_in_memory
        assert seen == [("get_node", False), ("neighbors_async", True), ("neighbors", False),
                        ("neighbors_async", True)]


def test_hub_neighbourhoods_are_assembled_off_the_event_loop(
        client: TestClient, store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # counting and sorting a hub's tens of thousands of relationships takes tens of
    # milliseconds: past INLINE_ROWS that runs in a thread on either path, so the event
    # loop keeps answering the other requests meanwhile
    seen: list[bool] = []
    assemble = store._neighbourhood

    def recorded(*args: object, **kwargs: object) -> object:
        seen.append(_on_event_loop())
        return assemble(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "_neighbourhood", recorded)
    want = store.neighbors(uid="ent:a", per_type_limit=20, limit=200)
    seen.clear()
    assert Neighborhood.model_validate_json(client.get("/nodes/ent:a/neighbors").content) == want
    monkeypatch.setattr("graph.store.INLINE_ROWS", 1)
    monkeypatch.setattr("api.hot.INLINE_ROWS", 1)
    assert Neighborhood.model_validate_json(client.get("/nodes/ent:a/neighbors").content) == want
    assert seen == [True, False]


def test_search_through_either_path_equals_the_store_and_sees_new_versions(
        client: TestClient, store: GraphStore) -> None:
    # a database store answers searches on the event loop when the page was asked at the
    # current store version, else in a thread; the embedded store always in a thread
    from pydantic import TypeAdapter

    hits = TypeAdapter(list[SearchHit])
    for params in ({"q": "智慧康养"}, {"q": "大学", "limit": 2}, {"q": "大学", "limit": 2},
                   {"q": "大学", "label": ["高校"]}, {"q": "ent"}, {"q": "没有这个"}):
        r = client.get("/search", params=params)
        assert r.status_code == 200, (params, r.text)
        want = store.search(text=str(params["q"]), limit=int(params.get("limit", 20)),
                            labels=["University"] if "label" in params else None)
        assert hits.validate_json(r.content) == want, params
    assert client.get("/search", params={"q": "新建的研究院"}).json() == []
    store.upsert_nodes(nodes=[{"uid": "ins:new", "label": "Institute", "name": "新建的研究院"}])
    found = client.get("/search", params={"q": "新建的研究院"}).json()
    assert [h["node"]["uid"] for h in found] == ["ins:new"]


def test_one_hop_neighbourhoods_read_asynchronously_equal_the_store_answer(
        client: TestClient, store: GraphStore) -> None:
    # every filter and cap of the route, through whichever path the store reads by
    for params in ({}, {"per_type_limit": 1}, {"limit": 2}, {"rel_type": "COOPERATES_WITH"},
                   {"label": ["University", "Team"]}, {"rel_type": "合作", "limit": 1}):
        r = client.get("/nodes/ent:a/neighbors", params=params)
        assert r.status_code == 200, (params, r.text)
        from schemas.ontology import label_codes, rel_type_codes

        types = params.get("rel_type")
        labels = params.get("label")
        want = store.neighbors(uid="ent:a", rel_types=rel_type_codes([types] if isinstance(
            types, str) else types), labels=label_codes(labels),  # type: ignore[arg-type]
            per_type_limit=params.get("per_type_limit", 20),  # type: ignore[arg-type]
            limit=params.get("limit", 200))  # type: ignore[arg-type]
        assert Neighborhood.model_validate_json(r.content) == want, params


def test_openapi_pages_need_no_cdn(client: TestClient) -> None:
    from graph.viz.offline import external_references

    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "<html" in html.lower()
        assert external_references(html) == [], page
    asset = client.get("/static-offline-docs/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.content) > 100_000


def test_openapi_groups_every_operation_in_chinese() -> None:
    import re

    from api.app import TAGS
    from graph.backends.embedded import EmbeddedStore

    store = EmbeddedStore(None)
    store.open()
    doc = create_app(Settings(INNOGRAPH_AUTH=False), store=store).openapi()
    groups = [t for t, _, _ in TAGS]
    assert [t["name"] for t in doc["tags"]] == groups
    used = set()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert len(op["tags"]) == 1 and op["tags"][0] in groups, (path, method, op["tags"])
            used.add(op["tags"][0])
            assert re.search(r"[\u4e00-\u9fff]", op["summary"]), (path, op["summary"])
            assert not re.search(r"\b[a-z]{3,}\b", op["summary"]), (path, op["summary"])
    assert used == set(groups)


def test_hot_routes_answer_the_store_models_as_fastapi_documents_them(
        client: TestClient, store: GraphStore) -> None:
    # the read routes serialise the store's models once (api.answer): the body must be the
    # models' own JSON, UTF-8 as written, and /openapi.json must still name the models
    from pydantic import TypeAdapter

    from schemas.results import Neighborhood, Path, SearchHit, Stats

    r = client.get("/nodes/ent:a/neighbors", params={"per_type_limit": 1})
    assert r.headers["content-type"] == "application/json"
    want = store.neighbors(uid="ent:a", per_type_limit=1)
    assert r.content == want.model_dump_json().encode()
    assert Neighborhood.model_validate_json(r.content) == want
    r = client.get("/search", params={"q": "智慧康养"})
    hits = TypeAdapter(list[SearchHit]).validate_json(r.content)
    assert hits == store.search(text="智慧康养") and "智慧康养".encode() in r.content
    r = client.get("/paths", params={"source": "uni:4137010434", "target": "team:r"})
    from graph.analytics.paths import path_types

    paths = store.shortest_paths(source="uni:4137010434", target="team:r", k=3, max_hops=4,
                                 rel_types=path_types(None, via_hubs=False))
    assert paths
    assert TypeAdapter(list[Path]).validate_json(r.content) == paths
    assert Stats.model_validate_json(client.get("/stats").content) == store.stats()
    doc = client.get("/openapi.json").json()

    def answer_ref(path: str) -> str:
        schema = doc["paths"][path]["get"]["responses"]["200"]["content"][
            "application/json"]["schema"]
        return str(schema.get("$ref") or schema.get("items", {}).get("$ref"))

    assert answer_ref("/nodes/{uid}/neighbors").endswith("/Neighborhood")
    assert answer_ref("/search").endswith("/SearchHit")
    assert answer_ref("/paths").endswith("/Path")
    assert answer_ref("/stats").endswith("/Stats")


def test_plain_neighbourhood_requests_are_answered_before_the_router_alike(
        client: TestClient, store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # api.hot.HotReads answers the plain one-hop request itself; the route answers the
    # rest. A parameter the route ignores (``_``) sends the same request to the route:
    # both answers must be the same bytes, errors included
    plain = [{}, {"per_type_limit": 1}, {"limit": 2}, {"rel_type": "COOPERATES_WITH"},
             {"rel_type": ["合作", "任职于"], "label": "高校"}, {"depth": 1, "limit": 2000},
             {"label": ["University", "Team"], "per_type_limit": 1000}]
    from api.hot import HotReads

    answered: list[bool] = []
    answer = HotReads._answer

    async def recorded(self: HotReads, *args: object) -> object:
        out = await answer(self, *args)  # type: ignore[arg-type]
        answered.append(out is not None)
        return out

    monkeypatch.setattr(HotReads, "_answer", recorded)
    for uid in ("ent:a", "tal:张三@泰山学院", "nope:x"):
        for params in plain:
            fast = client.get(f"/nodes/{uid}/neighbors", params=params)
            slow = client.get(f"/nodes/{uid}/neighbors", params={**params, "_": "1"})
            assert answered == [True, False], (uid, params)
            answered.clear()
            assert (fast.status_code, fast.content) == (slow.status_code, slow.content), params
            assert fast.headers["content-type"] == slow.headers["content-type"]
            assert fast.status_code == (404 if uid == "nope:x" else 200), (uid, params)
    assert client.get("/nodes/nope:x/neighbors").json()["code"] == "not_found"
    answered.clear()
    # everything else goes to the route, which answers it as it always has
    for params, status in (({"depth": 2}, 200), ({"year": "2019"}, 200),
                           ({"limit": 0}, 422), ({"limit": 2001}, 422),
                           ({"per_type_limit": "x"}, 422), ({"depth": 9}, 422),
                           ({"rel_type": "不存在的关系"}, 422), ({"limit": " 5"}, 200)):
        r = client.get("/nodes/ent:a/neighbors", params=params)
        assert r.status_code == status, (params, r.text)
        assert answered == [False], params
        answered.clear()
    r = client.get("/nodes/ent:a/neighbors", params={"limit": 2001})
    assert r.json()["param"] == "limit" and "2000" in r.json()["message"]


def test_plain_neighbourhood_requests_keep_authentication_and_audit(
        store: GraphStore, tmp_path: object) -> None:
    from pathlib import Path

    from api.auth import COOKIE, UserStore

    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    home = Path(str(tmp_path)) / "home"
    users = UserStore(home)
    key = users.add("analyst_1", "analyst")
    revoked = users.add("gone_1", "analyst")
    users.revoke("gone_1")
    app = create_app(Settings(INNOGRAPH_HOME=str(home), INNOGRAPH_AUTH=True), store=store)
    path = "/nodes/ent:a/neighbors"
    with TestClient(app) as c:
        want = store.neighbors(uid="ent:a", per_type_limit=20, limit=200)
        for headers in ({"Authorization": f"Bearer {key}"}, {"authorization": f"bearer  {key}"},
                        {"X-API-Key": key}, {"Cookie": f"{COOKIE}={key}"}):
            r = c.get(path, headers=headers)
            assert r.status_code == 200, headers
            assert Neighborhood.model_validate_json(r.content) == want
        for headers in ({}, {"Authorization": f"Bearer {revoked}"},
                        {"Authorization": "Bearer igk_not-a-key", "X-API-Key": key},
                        {"Authorization": f"Basic {key}"}, {"X-API-Key": ""}):
            r = c.get(path, headers=headers)
            assert r.status_code == 401, headers
            assert r.headers.get("www-authenticate") == "Bearer"
        assert c.get("/nodes/nope:x/neighbors", headers={"X-API-Key": key}).status_code == 404
        entries = app.state.audit.read(limit=100)
        # repeated headers are read as the route reads them (the first Authorization and
        # X-API-Key, the last cookie of that name): the same answer either way
        bad = "igk_not-a-key"
        for headers in ([("Authorization", f"Bearer {bad}"), ("Authorization", f"Bearer {key}")],
                        [("Authorization", f"Bearer {key}"), ("Authorization", f"Bearer {bad}")],
                        [("X-API-Key", bad), ("X-API-Key", key)],
                        [("Cookie", f"{COOKIE}={key}"), ("Cookie", f"{COOKIE}={bad}")],
                        [("Cookie", f"{COOKIE}={bad}"), ("Cookie", f"{COOKIE}={key}")]):
            fast = c.get(path, headers=headers)
            routed = c.get(path, params={"_": "1"}, headers=headers)
            assert (fast.status_code, fast.content) == (routed.status_code, routed.content)
            assert fast.status_code in (200, 401)
    mine = [e for e in entries if e["path"].startswith("/nodes/")]
    assert [(e["user"], e["status"]) for e in mine] == (
        [("analyst_1", 200)] * 4 + [(None, 401)] * 5 + [("analyst_1", 404)])
