"""Schemathesis over the whole HTTP API, authenticated as an admin: generated requests
(valid and invalid) against the published OpenAPI schema. No answer may be a server
error, and every status code, content type and response body must be the documented
one. ``make test`` runs a bounded number of examples per operation
(``INNOGRAPH_FUZZ_EXAMPLES``, default 10); ``make fuzz`` runs 200.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.auth import UserStore
from graph.backends.embedded import EmbeddedStore
from graph.settings import REPO_ROOT, Settings
from tests.contract.fixture import EDGES, NODES

EXAMPLES = int(os.environ.get("INNOGRAPH_FUZZ_EXAMPLES", "10"))
HOME = Path(tempfile.mkdtemp(prefix="innograph-fuzz-"))
STORE = EmbeddedStore(HOME / "store")
STORE.open()
STORE.upsert_nodes(nodes=NODES)
STORE.upsert_edges(edges=EDGES)
KEY = UserStore(HOME).add("fuzz", "admin")
APP = create_app(Settings(INNOGRAPH_HOME=str(HOME)), store=STORE)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CASES = {"n": 0}


@pytest.fixture(scope="module", autouse=True)
def _count() -> Iterator[None]:
    yield
    out = REPO_ROOT / "artifacts" / "fuzz-cases.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"{CASES['n']} cases, {EXAMPLES} examples per operation\n",
                   encoding="utf-8")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    CASES["n"] += 1
    case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"},
                           checks=[not_a_server_error, status_code_conformance,
                                   content_type_conformance, response_schema_conformance])
