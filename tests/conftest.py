"""Shared fixtures: a store per backend (embedded always, Neo4j when configured).

The Neo4j backend runs against a real server: NEO4J_URI (and NEO4J_PASSWORD) or
the local server started by ``make neo4j-start`` (.neo4j/connection.json). When
INNOGRAPH_REQUIRE_NEO4J=1 (set by ``make test``) or NEO4J_URI is set, an
unreachable Neo4j fails the run instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from graph.backends.embedded import EmbeddedStore
from graph.errors import StoreUnavailable
from graph.settings import Settings
from graph.store import GraphStore

if TYPE_CHECKING:
    import networkx as nx

BACKENDS = ["embedded", "neo4j"]


def generated_city(folder: Path, *, actors: int, seed: int) -> nx.MultiDiGraph:
    """The analysis projection of a city ``innograph generate`` writes into ``folder``,
    ingested into an in-memory embedded store."""
    from graph.analytics.computed import project
    from ingest.generate.core import GenerateConfig, generate
    from ingest.pipeline import run_ingest

    generate(folder, GenerateConfig(actors=actors, seed=seed))
    store = EmbeddedStore(None)
    store.open()
    run_ingest(store, [folder])
    return project(store)


def neo4j_settings() -> Settings:
    """Settings for the test Neo4j, or a skip/fail when there is none."""
    settings = Settings().with_local_neo4j()
    required = os.environ.get("INNOGRAPH_REQUIRE_NEO4J") == "1" or bool(
        os.environ.get("NEO4J_URI"))
    if not settings.neo4j_uri:
        if required:
            pytest.fail("Neo4j is required (INNOGRAPH_REQUIRE_NEO4J=1) but not configured")
        pytest.skip("no Neo4j configured (make neo4j-start or set NEO4J_URI)")
    return settings


def open_neo4j() -> GraphStore:
    """Open a Neo4jStore on the test server; fail loudly if it is configured but down."""
    from graph.backends.neo4j.store import Neo4jStore, make_async_driver, make_driver

    settings = neo4j_settings()
    store = Neo4jStore(make_driver(settings), database=settings.neo4j_database,
                       async_driver=lambda: make_async_driver(settings))
    try:
        store.open()
    except StoreUnavailable as exc:
        pytest.fail(f"Neo4j configured at {settings.neo4j_uri} but unreachable: {exc}")
    return store


@pytest.fixture(scope="session")
def _neo4j_session() -> Iterator[GraphStore]:
    store = open_neo4j()
    yield store
    store.close()


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def backend(request: pytest.FixtureRequest) -> str:
    """The backend name; neo4j tests carry the ``neo4j`` marker from collection on, so
    ``-m "not neo4j"`` leaves them out."""
    return str(request.param)


@pytest.fixture
def store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    """An empty, open store of each backend."""
    if backend == "neo4j":
        s: GraphStore = request.getfixturevalue("_neo4j_session")
        s.clear()
        yield s
        return
    emb = EmbeddedStore(tmp_path / "store")
    emb.open()
    yield emb
    emb.close()


@pytest.fixture
def fixture_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An INNOGRAPH_HOME whose embedded store holds the contract fixture graph; the CLI
    and the API read it from the environment (as an analyst)."""
    from tests.contract.fixture import EDGES, NODES

    store = EmbeddedStore(tmp_path / "store")
    store.open()
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    store.close()
    monkeypatch.setenv("INNOGRAPH_HOME", str(tmp_path))
    monkeypatch.setenv("INNOGRAPH_STORE", "embedded")
    monkeypatch.delenv("INNOGRAPH_ROLE", raising=False)
    return tmp_path


def reopen_store(backend: str, old: GraphStore, tmp_path: Path) -> GraphStore:
    """A fresh store on the same data: a new process would see exactly this."""
    if backend == "neo4j":
        return open_neo4j()  # a new driver and connection pool
    old.close()
    emb = EmbeddedStore(tmp_path / "store")
    emb.open()
    return emb


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many tests ran per backend, so a run shows the Neo4j tests did run."""
    counts: dict[tuple[str, str], int] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for rep in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(rep, "nodeid", "")
            if getattr(rep, "when", "call") not in ("call", "setup") or (
                    outcome == "passed" and getattr(rep, "when", "") != "call"):
                continue
            for name in BACKENDS:
                if f"[{name}" in nodeid or (name == "neo4j" and "neo4j" in rep.keywords):
                    counts[(name, outcome)] = counts.get((name, outcome), 0) + 1
                    break
    if counts:
        terminalreporter.section("tests per backend")
        for name in BACKENDS:
            parts = [f"{counts[(name, o)]} {o}" for o in ("passed", "failed", "error", "skipped")
                     if counts.get((name, o))]
            terminalreporter.write_line(f"{name}: {', '.join(parts) or 'none'}")
