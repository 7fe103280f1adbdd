"""The bulk path end to end: sample ingested into the embedded store, ``innograph export
--admin-import``, the real ``neo4j-admin database import full`` of Neo4j 5.26 (from
Maven Central, through tools/neo4j) into a fresh database, a second Neo4j server on
it, and a Neo4jStore that holds exactly the embedded store's records.

The shared test server (.neo4j/) is not touched: the second server has its own
home, port and run dir, and is stopped at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from api import cli_export, cli_ingest  # noqa: F401  (register the commands)
from api.cli import app
from graph.backends.embedded import EmbeddedStore
from graph.settings import LOCAL_NEO4J, Settings
from tests.unit.test_export_admin import add_tricky

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
TOOL = ROOT / "tools" / "neo4j" / "neo4j_local.py"

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


def _require_tools() -> None:
    java_home = os.environ.get("JAVA_HOME")
    java = Path(java_home, "bin", "java").exists() if java_home else shutil.which("java")
    missing = [] if java else ["java"]
    built = any((TOOL.parent / "target" / "lib").glob("neo4j-import-tool-*.jar"))
    if not built and not shutil.which("mvn"):
        missing.append("mvn")
    if not shutil.which("sh"):
        missing.append("sh")
    if missing:
        why = f"the Neo4j tools need {', '.join(missing)}"
        if os.environ.get("INNOGRAPH_REQUIRE_NEO4J") == "1":
            pytest.fail(why)
        pytest.skip(why)


def _run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=300, **kw)


def test_admin_import_gives_the_same_store(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _require_tools()
    from graph.backends.neo4j.store import Neo4jStore, make_driver

    home = tmp_path / "home"
    monkeypatch.setenv("INNOGRAPH_HOME", str(home))
    monkeypatch.setenv("INNOGRAPH_STORE", "embedded")
    monkeypatch.setenv("INNOGRAPH_ROLE", "admin")
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(SAMPLE), "--quiet"])
    assert result.exit_code == 0, result.output
    emb = EmbeddedStore(home / "store")
    emb.open()
    add_tricky(emb)
    emb.close()

    out = tmp_path / "csv"
    result = runner.invoke(app, ["export", "--admin-import", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))

    shared_before = LOCAL_NEO4J.read_bytes() if LOCAL_NEO4J.exists() else None
    neo_home, run_dir = tmp_path / "neo4j", tmp_path / "run"
    admin = f"{sys.executable} {TOOL} admin --home {neo_home} --heap 512m"
    t0 = time.monotonic()
    imp = _run(["sh", str(out / "import.sh"), "--max-off-heap-memory=256m"],
               env={**os.environ, "NEO4J_ADMIN": admin})
    assert imp.returncode == 0, imp.stdout[-3000:] + imp.stderr[-3000:]
    assert "IMPORT DONE" in imp.stdout
    imported_s = time.monotonic() - t0
    assert (neo_home / "data" / "databases" / "neo4j").is_dir()

    start = _run([sys.executable, str(TOOL), "start", "--run-dir", str(run_dir), "--home",
                  str(neo_home), "--heap", "512m", "--pagecache", "64m", "--timeout", "150"])
    store = None
    try:
        assert start.returncode == 0, start.stdout + start.stderr[-3000:]
        info = json.loads((run_dir / "connection.json").read_text())
        assert Path(info["home"]) == neo_home.resolve()
        # the shared server's connection file is neither read nor rewritten
        assert (LOCAL_NEO4J.read_bytes() if LOCAL_NEO4J.exists() else None) == shared_before
        settings = Settings().model_copy(update={
                            "neo4j_uri": info["uri"], "neo4j_user": info["user"],
                            "neo4j_password": SecretStr(info["password"]),
                            "neo4j_database": info["database"]})
        store = Neo4jStore(make_driver(settings), database=info["database"])
        store.open()  # constraints and indexes, as on any database innograph opens

        emb = EmbeddedStore(home / "store", read_only=True)
        emb.open()
        g = emb.subgraph()
        uids = list(g.nodes)
        euids = [k for *_, k in g.edges(keys=True)]
        assert store.stats() == emb.stats()
        assert manifest["nodes"] == emb.stats().nodes

        # the export leaves out what the backend does not write (empty fields, a
        # relationship's type and endpoints); its reads put them back: nothing to run
        # after the import
        assert not (out / "after-import.cypher").exists()
        with make_driver(settings) as driver:
            raw = driver.execute_query(
                "MATCH (n:Node {uid: $u}) RETURN n.keywords AS k, "
                "[(n)-[r]-() | properties(r)] AS rs", u="ins:导出测试所",
                database_=info["database"]).records[0]
        assert raw["k"] is None and raw["rs"]
        assert all({"type", "source", "target"}.isdisjoint(r) for r in raw["rs"])

        want_nodes, got_nodes = emb.read_nodes(uids=uids), store.read_nodes(uids=uids)
        assert got_nodes["ins:导出测试所"] == want_nodes["ins:导出测试所"]
        assert got_nodes["tal:导出@测试"]["phone"] == "13900000000"
        assert [u for u in uids if got_nodes.get(u) != want_nodes[u]] == []
        want_edges, got_edges = emb.read_edges(uids=euids), store.read_edges(uids=euids)
        assert [u for u in euids if got_edges.get(u) != want_edges[u]] == []
        assert store.merge_history() == emb.merge_history() != []
        assert [h.node.uid for h in store.search(text="导出测试", limit=5)] == \
            [h.node.uid for h in emb.search(text="导出测试", limit=5)]
        emb.close()
        print(f"neo4j-admin import of {len(uids) + len(euids)} objects: {imported_s:.1f} s")
    finally:
        if store is not None:
            store.close()
        stop = _run([sys.executable, str(TOOL), "stop", "--run-dir", str(run_dir)])
        assert stop.returncode == 0, stop.stderr
