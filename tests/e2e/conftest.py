"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph.backends.embedded import EmbeddedStore
from graph.store import GraphStore
from ingest.pipeline import run_ingest

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    """The bundled sample ingested into an embedded store, shared by a module's tests
    (which only read it)."""
    store = EmbeddedStore(tmp_path_factory.mktemp("sample") / "store")
    store.open()
    run_ingest(store, [SAMPLE])
    yield store
    store.close()


@pytest.fixture
def fixture_client(store: GraphStore) -> Iterator[TestClient]:
    """The API (authentication off, analyst) over the contract fixture graph, on each
    backend."""
    from api.app import create_app
    from graph.settings import Settings
    from tests.contract.fixture import EDGES, NODES

    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    with TestClient(create_app(Settings(INNOGRAPH_AUTH=False), store=store)) as c:
        yield c
