"""The analysis's graph holds the embedded store's own records instead of copies of them:
no answer may change one, or the store would change under it."""

from __future__ import annotations

import pickle
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from graph.analytics.computed import TABLE_NAMES, Analysis, Computed
from graph.settings import Settings
from graph.store import GraphStore


def _frozen(store: Any) -> bytes:
    return pickle.dumps((sorted(store._nodes.items()), sorted(store._edges.items())))


def test_answers_leave_the_shared_records_as_they_were(embedded: GraphStore) -> None:
    store: Any = embedded
    before = _frozen(store)
    analysis = Analysis(store)
    analysis.compute()
    analysis.save()
    comp = Computed(store, store.version())
    g = comp.graph
    # shared, not copied: a node's and a relationship's data dict are the store's records
    uid = next(u for u, d in g.nodes(data=True) if d["label"] == "Enterprise"
               and g.out_degree(u) > 3)
    assert g.nodes[uid] is store._nodes[uid]
    u, v, key = next(iter(g.out_edges(uid, keys=True)))
    assert g.edges[u, v, key] is store._edges[key]

    field = next(u for u, d in g.nodes(data=True) if d["label"] == "Field")
    platform = next(u for u, d in g.nodes(data=True) if d["label"] == "Platform")
    other = next(x for x in sorted(g.nodes) if x != uid and g.nodes[x]["label"] == "University")
    app = create_app(Settings(INNOGRAPH_AUTH=False, INNOGRAPH_ROLE="talent_office"),
                     store=store)
    urls = [*(f"/gaps/{name}" for name in TABLE_NAMES), "/gaps/isolated/summary",
            f"/recommendations/{uid}", f"/match/enterprise/{uid}",
            f"/paths?source={uid}&target={other}", f"/paths/explained?source={uid}&target={other}",
            f"/nodes/{uid}", f"/nodes/{uid}/neighbors", "/search?q=科技",
            f"/viz/ego.json?uid={uid}", f"/viz/gap.json?field={field}",
            f"/viz/recommend.json?uid={uid}", "/viz/community.json?detect=true",
            "/viz/community.json", "/viz/community.graphml", "/viz/community.gexf",
            "/viz/community.xlsx?group_by=field", f"/viz/gap.csv?field={field}",
            f"/viz/community.json?platform={platform}&group_by=community",
            f"/viz/path.json?source={uid}&target={other}",
            f"/export/subgraph.graphml?uid={uid}"]
    with TestClient(app) as client:
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (url, response.text[:300])
        assert client.post("/match", json={"text": "康复医疗器械 智能养老"}).status_code == 200
    assert _frozen(store) == before
