"""Hostile strings in every string parameter: nothing reaches Cypher as code. Values go
to Neo4j as query parameters; labels and relationship types only from the ontology (an
unknown one is refused before any query)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from graph.store import GraphStore

HOSTILE = ["a' OR 1=1 //", "x\") DETACH DELETE n //", "}) MATCH (n) DETACH DELETE n //",
           "`Enterprise` {uid:'x'}) DETACH DELETE n RETURN 1 //",
           "CALL db.clearQueryCaches()", "$uid", "\\u0027; MATCH (n) DELETE n", "泰安'}]->()"]
PATHS = ["/search?q={v}", "/nodes/{v}", "/nodes/{v}/neighbors", "/nodes/ent:a/neighbors?label={v}",
         "/nodes/ent:a/neighbors?rel_type={v}", "/paths?source={v}&target=ent:b",
         "/paths?source=ent:a&target=ent:b&rel_type={v}", "/paths/shared?a={v}&b=ent:b",
         "/recommendations/{v}", "/recommendations/ent:a?kind={v}", "/viz/ego.json?uid={v}",
         "/viz/community.json?label={v}", "/match/enterprise/{v}"]


@pytest.fixture
def client(fixture_client: TestClient) -> TestClient:
    return fixture_client


def test_hostile_strings_change_nothing(client: TestClient, store: GraphStore) -> None:
    before = store.stats()
    version = store.version()
    seen: set[int] = set()
    for template in PATHS:
        for value in HOSTILE:
            r = client.get(template.format(v=value))
            seen.add(r.status_code)
            assert r.status_code < 500, (template, value, r.text[:200])
    r = client.post("/match", json={"text": HOSTILE[2], "keywords": HOSTILE[:3]})
    assert r.status_code < 500
    assert store.stats() == before and store.version() == version
    assert 422 in seen  # unknown labels and types are refused, not queried
