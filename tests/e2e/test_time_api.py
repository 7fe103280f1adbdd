"""Every graph route as of a year, on both backends: the same answers (the past is cut
from the store's own records), Chinese errors for unreadable years, the slider's span."""

from __future__ import annotations

from fastapi.testclient import TestClient

from graph.analytics.asof import records_as_of
from graph.store import GraphStore
from tests.contract.fixture import EDGES, NODES


def test_stats_and_views_as_of_a_year(fixture_client: TestClient) -> None:
    c = fixture_client
    now = c.get("/stats").json()
    past = c.get("/stats", params={"year": "2016"}).json()
    # the 2017–2020 cooperation and the 2020 membership were not there yet
    dated = [e for e in EDGES if e.get("first_year") or e.get("year")]
    assert sum(past["relationships"].values()) == sum(now["relationships"].values()) - len(dated)
    kept_nodes, kept_edges = records_as_of(NODES, EDGES, (None, 2016))
    assert sum(past["nodes"].values()) == len(kept_nodes)
    assert sum(past["relationships"].values()) == len(kept_edges)
    ego = c.get("/viz/ego.json", params={"uid": "ent:a", "year": "2016"}).json()
    assert "截至2016年" in ego["title"]
    assert "uni:4137010434" not in {n["id"] for n in ego["nodes"]}  # cooperating from 2017
    now_ego = c.get("/viz/ego.json", params={"uid": "ent:a"}).json()
    assert "uni:4137010434" in {n["id"] for n in now_ego["nodes"]}
    hood = c.get("/nodes/ent:a/neighbors", params={"year": "2016"}).json()
    assert "COOPERATES_WITH" in hood["counts"]  # the undated one with team:r stays
    paths = c.get("/paths", params={"source": "uni:4137010434", "target": "ent:a",
                                    "year": "2016", "max_hops": 1}).json()
    assert paths == []
    assert c.get("/paths", params={"source": "uni:4137010434", "target": "ent:a",
                                   "max_hops": 1}).json()
    for path in ("/gaps/fields", "/gaps/isolated", "/recommendations/ent:b"):
        assert c.get(path, params={"year": "2016"}).status_code == 200, path
    assert c.post("/match", params={"year": "2016"},
                  json={"text": "外骨骼", "top": 3}).status_code == 200


def test_an_unreadable_year_is_a_422_naming_the_parameter(fixture_client: TestClient) -> None:
    for bad in ("明年", "2020-2017", "1700"):
        r = fixture_client.get("/stats", params={"year": bad})
        assert r.status_code == 422 and r.json()["param"] == "year", r.json()
        assert "年" in r.json()["message"]


def test_the_slider_spans_the_years_of_the_relationships(fixture_client: TestClient) -> None:
    span = fixture_client.get("/viz/years.json").json()
    assert span == {"first": 2017, "last": 2020}


def test_match_answers_the_same_whichever_index_gives_the_pool(store: GraphStore) -> None:
    from api.app import create_app
    from graph.analytics.computed import analyse
    from graph.settings import Settings

    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    analyse(store)
    answers = []
    for how in ("index", "store"):
        app = create_app(Settings(INNOGRAPH_AUTH=False, INNOGRAPH_MATCH_RETRIEVAL=how),
                         store=store)
        with TestClient(app) as c:
            answers.append([c.post("/match", json=need).json() for need in (
                {"text": "外骨骼康复机器人"}, {"fields": ["康复医疗装备"]},
                {"enterprise": "ent:b", "text": "护理"})])
    assert answers[0] == answers[1] and all(a["results"] for a in answers[0][:2])
