"""The catalog beside the embedded snapshot: the same answers as the store for the
command line's quick questions, used only while it describes the current snapshot."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.backends.catalog import CATALOG, SNAPSHOT, CatalogStore
from graph.backends.embedded import EmbeddedStore
from tests.contract.fixture import EDGES, NODES


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    home = tmp_path / "store"
    store = EmbeddedStore(home)
    store.open()
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    store.close()
    return home


def test_the_catalog_answers_as_the_store(saved: Path) -> None:
    store = EmbeddedStore(saved, read_only=True)
    store.open()
    catalog = CatalogStore.open_fresh(saved, SNAPSHOT)
    assert catalog is not None
    assert catalog.stats() == store.stats() and catalog.version() == store.version()
    for text in ("泰山", "山农大", "康复", "张三", "研究院", "x", "学院", "山"):
        for labels in (None, ["University"], ["Enterprise", "Team"]):
            for limit in (1, 2, 3, 20):
                assert catalog.search(text=text, labels=labels, limit=limit) == \
                    store.search(text=text, labels=labels, limit=limit), (text, labels, limit)
    for name in ("山东农业大学", "山农大", "泰山学院", "不存在"):
        assert catalog.find_records(name=name) == store.find_records(name=name)
    uids = [n["uid"] for n in NODES]
    assert catalog.find_records(uids=uids) == store.find_records(uids=uids)
    assert catalog.get_node(uid="tal:张三@泰山学院") == store.get_node(uid="tal:张三@泰山学院")
    catalog.close()


def test_a_catalog_of_another_snapshot_is_not_used(saved: Path) -> None:
    snapshot = saved / SNAPSHOT
    st = snapshot.stat()
    os.utime(snapshot, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # another save
    assert CatalogStore.open_fresh(saved, SNAPSHOT) is None
    (saved / CATALOG).write_bytes(b"not a database")
    assert CatalogStore.open_fresh(saved, SNAPSHOT) is None
    store = EmbeddedStore(saved)  # the next save writes a fresh one
    store.open()
    store.upsert_nodes(nodes=[{**NODES[0], "name": "山东农业大学(更名)"}])
    store.close()
    catalog = CatalogStore.open_fresh(saved, SNAPSHOT)
    assert catalog is not None
    assert catalog.find_records(uids=[NODES[0]["uid"]])[0]["name"] == "山东农业大学(更名)"
    catalog.close()
    # a catalog of another layout (an older innograph's), though of this very snapshot
    con = sqlite3.connect(saved / CATALOG)
    con.execute("UPDATE meta SET v = '1' WHERE k = 'format'")
    con.commit()
    con.close()
    assert CatalogStore.open_fresh(saved, SNAPSHOT) is None


def test_quick_commands_answer_without_loading_the_snapshot(
        saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from api import cli_commands  # noqa: F401  (registers the commands)
    from api.cli import app

    monkeypatch.setenv("INNOGRAPH_HOME", str(saved.parent))
    monkeypatch.setenv("INNOGRAPH_STORE", "embedded")

    def no_loading(self: EmbeddedStore) -> None:
        raise AssertionError("the snapshot was loaded")

    monkeypatch.setattr(EmbeddedStore, "open", no_loading)
    runner = CliRunner()
    done = runner.invoke(app, ["stats", "--format", "json"])
    assert done.exit_code == 0, done.output
    assert sum(r["count"] for r in json.loads(done.stdout)) == len(NODES) + len(EDGES)
    done = runner.invoke(app, ["search", "泰山", "--format", "json"])
    assert done.exit_code == 0 and json.loads(done.stdout)
    done = runner.invoke(app, ["node", "山农大", "--format", "json"])
    assert done.exit_code == 0 and json.loads(done.stdout)[0]["name"] == "山东农业大学"
    # anything else still opens the store
    assert runner.invoke(app, ["neighbors", "山农大"]).exit_code != 0


def test_search_pages_equal_the_store_on_the_sample(tmp_path: Path) -> None:
    """Every two-character piece of the sample's names, at several page sizes: the
    catalog's shortcut through the name tiers gives the store's page exactly."""
    import random

    from ingest.pipeline import run_ingest

    home = tmp_path / "store"
    store = EmbeddedStore(home)
    store.open()
    run_ingest(store, [Path(__file__).resolve().parents[2] / "data" / "sample"])
    store.close()
    store = EmbeddedStore(home, read_only=True)
    store.open()
    catalog = CatalogStore.open_fresh(home, SNAPSHOT)
    assert catalog is not None
    names = [r["name"] for r in store.find_records(limit=10_000)]
    rnd = random.Random(5)
    pieces = sorted({n[i:i + 2] for n in rnd.sample(names, 60) for i in range(len(n) - 1)})
    for q in rnd.sample(pieces, 120):
        for limit in (1, 5, 20):
            assert catalog.search(text=q, limit=limit) == store.search(text=q, limit=limit), \
                (q, limit)
    catalog.close()
