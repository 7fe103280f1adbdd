"""Full collections held off during bulk work (graph.collector), and an ingest's run
making none."""

from __future__ import annotations

import contextlib
import gc
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph import collector
from graph.backends.embedded import EmbeddedStore
from ingest import pipeline
from ingest.pipeline import run_ingest
from tests.unit.test_ingest_support import registry_copy


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_overlapping_holds_keep_the_pause_until_the_last_release(
        thresholds: tuple[int, int, int]) -> None:
    collector.hold()  # an owner that outlives the block below (an ingest's analysis)
    with collector.full_collections_paused():
        assert gc.get_threshold()[2] > 10**8
    assert gc.get_threshold()[2] > 10**8 and collector.paused()  # still held
    collector.release()
    assert gc.get_threshold() == thresholds and not collector.paused()
    collector.release()  # one too many: nothing changes
    assert gc.get_threshold() == thresholds


def test_whole_graph_work_inside_a_pause_leaves_the_outer_garbage_alone(
        thresholds: tuple[int, int, int]) -> None:
    left = _Cycle()
    ref = weakref.ref(left)
    del left
    with collector.full_collections_paused(), collector.without_full_collections():
        assert ref() is not None  # nothing collected first inside an outer pause
    gc.collect()
    assert ref() is None


def _full_collections_in_tables(tmp_path: Path) -> tuple[int, int]:
    """Full collections while the run ingested its tables, and young ones in all, for an
    ingest of the test registry with the collector set to collect fully at every turn."""
    seen: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            frame = sys._getframe(1)
            while frame is not None and frame.f_code.co_name != "ingest_table":
                frame = frame.f_back
            seen.append(frame is not None)

    reg = registry_copy(tmp_path)
    store = EmbeddedStore(None)
    store.open()
    young = gc.get_stats()[0]["collections"]
    gc.set_threshold(50, 2, 2)
    # what lives now out of the count: the collector then sees an empty old generation,
    # and a full collection is due as soon as anything reaches it
    gc.freeze()
    gc.collect()
    gc.callbacks.append(watch)
    try:
        rep = run_ingest(store, [reg], batch_size=3)
    finally:
        gc.callbacks.remove(watch)
        gc.unfreeze()
    assert rep.created > 50
    assert gc.get_threshold() == (50, 2, 2)  # as they were
    return sum(seen), gc.get_stats()[0]["collections"] - young


def test_an_ingest_run_makes_no_full_collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                thresholds: tuple[int, int, int]) -> None:
    full, young = _full_collections_in_tables(tmp_path / "paused")
    assert full == 0 and young > 0  # young ones went on
    # the same run without the pause: full collections while it ingests
    monkeypatch.setattr(pipeline, "full_collections_paused", contextlib.nullcontext)
    full, _ = _full_collections_in_tables(tmp_path / "not")
    assert full > 0


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if was:  # as it was before, whatever the test left
        gc.enable()
    else:
        gc.disable()


def test_collections_off_overlap_and_restore(collector_on: None) -> None:
    with collector.collections_off():
        assert not gc.isenabled()
        with collector.collections_off():  # a second loader (another thread)
            assert not gc.isenabled()
        assert not gc.isenabled()  # the first is still loading
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector.collections_off():
        raise RuntimeError("a broken snapshot")
    assert gc.isenabled()  # on again after an error
    gc.disable()  # someone turned it off before: left off
    with collector.collections_off():
        pass
    assert not gc.isenabled()


def _young_collections_while_loading(home: Path) -> int:
    counts: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_name not in ("_snapshot", "_load"):
            frame = frame.f_back
        if phase == "start" and frame is not None:  # unpickling the records, indexing them
            counts.append(info["generation"])

    gc.set_threshold(5, 2, 2)  # at every turn: any collection inside the load is seen
    gc.callbacks.append(watch)
    try:
        loaded = EmbeddedStore(home, read_only=True)
        loaded.open()
    finally:
        gc.callbacks.remove(watch)
    assert loaded.stats().nodes and gc.isenabled()
    return len(counts)


def test_loading_a_snapshot_makes_no_collection(tmp_path: Path, collector_on: None,
                                                monkeypatch: pytest.MonkeyPatch,
                                                thresholds: tuple[int, int, int]) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.open()
    run_ingest(store, [registry_copy(tmp_path / "reg")])
    store.close()
    assert _young_collections_while_loading(tmp_path / "store") == 0
    # the same load with the collector left on: it collects meanwhile
    monkeypatch.setattr("graph.backends.embedded.collections_off", contextlib.nullcontext)
    assert _young_collections_while_loading(tmp_path / "store") > 0
