"""The graph the browser tests explore, and the app that serves it.

The bundled sample (``data/sample``, loaded by the ingest pipeline) when its
mapping files are there; otherwise the contract suite's small graph plus the
泰山创新谷 zone, so the tests can always search 泰山创新谷 and find a path to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from api.app import create_app
from graph.settings import REPO_ROOT, Settings
from graph.store import GraphStore
from tests.contract.fixture import EDGES, NODES

SAMPLE = REPO_ROOT / "data" / "sample"
VALLEY = "泰山创新谷"

FIXTURE_EXTRA_NODES: list[dict[str, Any]] = [
    {"label": "Region", "uid": "reg:泰山创新谷", "name": VALLEY, "region_type": "园区",
     "aliases": ["泰山创新谷园区"]},
]
FIXTURE_EXTRA_EDGES: list[dict[str, Any]] = [
    {"type": "LOCATED_IN", "source": "plt:community", "target": "reg:泰山创新谷"},
    {"type": "LOCATED_IN", "source": "ins:泰安市产业技术创新研究院", "target": "reg:泰山创新谷"},
]


def sample_available() -> bool:
    """Whether the sample data and the ingest pipeline that loads it are both there."""
    return (REPO_ROOT / "ingest" / "pipeline.py").exists() and any(
        SAMPLE.glob("*.mapping.yaml"))


def load_demo(store: GraphStore) -> str:
    """Fill an empty store with the sample (``"sample"``) or the fixture (``"fixture"``)."""
    if sample_available():
        from ingest.pipeline import run_ingest

        report = run_ingest(store, [SAMPLE])
        assert report.accepted > 0, "the sample ingested nothing"
        return "sample"
    store.upsert_nodes(nodes=[*NODES, *FIXTURE_EXTRA_NODES])
    store.upsert_edges(edges=[*EDGES, *FIXTURE_EXTRA_EDGES])
    return "fixture"


def explorer_app(store: GraphStore) -> FastAPI:
    """The API over ``store``: the explorer, matchmaking and gap routes included."""
    return create_app(Settings(INNOGRAPH_AUTH=False, INNOGRAPH_ROLE="analyst"), store=store)


def screenshot_dir() -> Path:
    """``artifacts/screenshots`` (git-ignored), created when missing."""
    path = REPO_ROOT / "artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
