"""The embedded store survives a crash in the middle of a save and refuses a second writer."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from graph.backends.embedded import EmbeddedStore
from graph.errors import StoreUnavailable
from tests.contract.fixture import EDGES, NODES

CRASHING_WRITER = textwrap.dedent("""
    import os, pickle, signal, sys
    from graph.backends.embedded import EmbeddedStore

    real_dump = pickle.dump
    def dump_half_then_die(obj, fh, protocol=None):
        data = pickle.dumps(obj, protocol=protocol)
        fh.write(data[: len(data) // 2])
        fh.flush()
        os.kill(os.getpid(), signal.SIGKILL)   # the process dies mid-save
    pickle.dump = dump_half_then_die

    store = EmbeddedStore(sys.argv[1])
    store.open()
    store.upsert_nodes(nodes=[{"label": "Enterprise", "uid": f"ent:crash{i}",
                               "name": f"崩溃测试公司{i}"} for i in range(500)])
""")


def test_killed_mid_save_leaves_previous_state_readable(tmp_path: Path) -> None:
    home = tmp_path / "store"
    store = EmbeddedStore(home)
    store.open()
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    before = store.stats()
    store.close()

    proc = subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(home)],
                          cwd=Path(__file__).resolve().parents[2], capture_output=True,
                          timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()
    assert list(home.glob("graph.tmp*")), "the crash should have left a partial temp file"

    again = EmbeddedStore(home)
    again.open()
    assert again.stats() == before
    assert again.find_nodes(uids=["ent:crash0"]) == []
    # and it still writes: the stale temp file does not get in the way
    again.upsert_nodes(nodes=[{"label": "Enterprise", "uid": "ent:after", "name": "之后公司"}])
    again.close()
    third = EmbeddedStore(home, read_only=True)
    third.open()
    assert third.get_node(uid="ent:after").name == "之后公司"


def test_second_writer_is_refused_but_reader_is_not(tmp_path: Path) -> None:
    first = EmbeddedStore(tmp_path / "s")
    first.open()
    first.upsert_nodes(nodes=NODES[:3])
    second = EmbeddedStore(tmp_path / "s")
    with pytest.raises(StoreUnavailable, match="另一个进程"):
        second.open()
    reader = EmbeddedStore(tmp_path / "s", read_only=True)
    reader.open()
    assert reader.stats().node_total == 3
    with pytest.raises(StoreUnavailable, match="只读"):
        reader.upsert_nodes(nodes=NODES[3:4])
    first.close()


def test_bulk_saves_once_at_the_end(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "b")
    store.open()
    with store.bulk():
        store.upsert_nodes(nodes=NODES)
        assert not (tmp_path / "b" / "graph.pickle").exists()
        store.upsert_edges(edges=EDGES)
    reader = EmbeddedStore(tmp_path / "b", read_only=True)
    reader.open()
    assert reader.stats() == store.stats()



@contextmanager
def disk_full(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Saves fail as on a full disk (a partial write, then ENOSPC) until the block ends."""
    import errno
    import pickle

    def full(obj: object, fh: object, protocol: int | None = None) -> None:
        fh.write(b"partial")  # type: ignore[attr-defined]
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(pickle, "dump", full)
        yield


@pytest.mark.parametrize("saved_by", ["commit", "checkpoint"])
def test_a_full_disk_is_a_clear_error_and_the_last_snapshot_survives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, saved_by: str) -> None:
    """A save that fails, after a commit or at a checkpoint inside a bulk context (an
    ingest saving while the analysis runs), leaves the snapshot of before."""
    home = tmp_path / "store"
    store = EmbeddedStore(home)
    store.open()
    store.upsert_nodes(nodes=NODES)
    before = store.stats()
    late = [{"label": "Enterprise", "uid": "ent:late", "name": "迟到公司"}]
    if saved_by == "commit":
        with pytest.raises(StoreUnavailable, match="磁盘已满"), disk_full(monkeypatch):
            store.upsert_nodes(nodes=late)
    else:
        with store.bulk():
            store.upsert_nodes(nodes=late)
            with pytest.raises(StoreUnavailable, match="磁盘已满"), disk_full(monkeypatch):
                store.checkpoint()
            assert store.stats() == before  # the process holds what is on disk
    store.close()
    assert not list(home.glob("*.tmp*"))  # no half-written file left behind
    again = EmbeddedStore(home, read_only=True)
    again.open()
    assert again.stats() == before
    assert not again.find_records(uids=["ent:late"], limit=1)


def test_after_a_failed_save_the_writer_holds_what_is_on_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.open()
    store.upsert_nodes(nodes=NODES)
    before = store.stats()
    with pytest.raises(StoreUnavailable), disk_full(monkeypatch):
        store.upsert_nodes(nodes=[{"label": "Enterprise", "uid": "ent:late", "name": "迟到公司"}])
    # the same process goes on with the saved state, not with a change that is nowhere
    assert store.stats() == before and not store.find_records(uids=["ent:late"], limit=1)
    store.upsert_nodes(nodes=[{"label": "Enterprise", "uid": "ent:next", "name": "后来公司"}])
    store.close()
    again = EmbeddedStore(tmp_path / "store", read_only=True)
    again.open()
    assert again.find_records(uids=["ent:next"], limit=1)
    assert not again.find_records(uids=["ent:late"], limit=1)


def test_a_read_only_store_folder_is_a_clear_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    home = tmp_path / "store"
    store = EmbeddedStore(home)
    store.open()
    store.upsert_nodes(nodes=NODES)
    store.close()
    snapshot = (home / "graph.pickle").read_bytes()
    real_open = os.open

    def read_only_fs(path: object, flags: int, *args: object) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", read_only_fs)
    writer = EmbeddedStore(home)
    with pytest.raises(StoreUnavailable, match="只读"):
        writer.open()
    reader = EmbeddedStore(home, read_only=True)  # reading still works
    reader.open()
    assert reader.stats().node_total == len(NODES)
    monkeypatch.setattr(os, "open", real_open)
    assert (home / "graph.pickle").read_bytes() == snapshot


def test_a_checkpoint_saves_inside_a_bulk_context_and_its_end_saves_only_what_followed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "store"
    store = EmbeddedStore(home)
    store.open()
    saves: list[int] = []
    real_save = store._save

    def counted() -> None:
        if not store._deferred:
            saves.append(sum(store.stats().nodes.values()))
        real_save()

    monkeypatch.setattr(store, "_save", counted)
    with store.bulk():
        store.upsert_nodes(nodes=NODES)
        assert saves == []  # deferred
        store.checkpoint()
        assert saves == [len(NODES)]
        on_disk = EmbeddedStore(home, read_only=True)
        on_disk.open()  # another process sees the data while the context goes on
        assert sum(on_disk.stats().nodes.values()) == len(NODES)
    assert saves == [len(NODES)]  # nothing committed after the checkpoint: no second save
    with store.bulk():
        store.checkpoint()  # nothing deferred: nothing to save
        store.upsert_nodes(nodes=[{"label": "Enterprise", "uid": "ent:late", "name": "迟到公司"}])
    assert saves == [len(NODES), len(NODES) + 1]  # the end saves what followed
    store.close()


def test_snapshot_records_are_the_stored_ones_without_opening_the_store(tmp_path: Path) -> None:
    import pickle

    from graph.backends.catalog import SNAPSHOT
    from graph.backends.embedded import snapshot_records

    home = tmp_path / "store"
    with pytest.raises(StoreUnavailable, match="没有内置图谱的快照"):
        snapshot_records(home)
    writer = EmbeddedStore(home)
    writer.open()
    writer.upsert_nodes(nodes=NODES)
    writer.upsert_edges(edges=EDGES)
    stored_nodes = sorted((r for b in writer.scan_nodes() for r in b), key=lambda r: r["uid"])
    stored_edges = sorted((r for b in writer.scan_edges() for r in b), key=lambda r: r["uid"])
    # read while the writer still holds its lock: no lock is taken
    nodes, edges = snapshot_records(home)
    assert sorted(nodes, key=lambda r: r["uid"]) == stored_nodes
    assert sorted(edges, key=lambda r: r["uid"]) == stored_edges
    writer.close()
    # a snapshot of another format names the file and both formats
    (home / SNAPSHOT).write_bytes(pickle.dumps({"version": 99, "nodes": [], "edges": []}))
    with pytest.raises(StoreUnavailable, match=r"graph\.pickle:无法识别的快照格式 99"):
        snapshot_records(home)
    with pytest.raises(StoreUnavailable, match="无法识别的快照格式"):
        EmbeddedStore(home, read_only=True).open()
