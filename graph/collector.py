"""Python's cyclic collector during bulk work: no full collections while it lasts.

A full (oldest-generation) collection walks every container that lives, and the
collector sets one off each time the long-lived containers grew by a quarter. Bulk
work (an ingest's run, a whole-graph projection and its analysis) makes millions of
long-lived records, so full collections come again and again and each walks more: a
100,000-actor first load on Neo4j made two dozen, 17 s in all, although the run froze
what it wrote. Young collections go on meanwhile, for the short-lived cycles the work
makes; what lives on is collected after the work.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_NO_FULL = 1_000_000_000
_lock = threading.Lock()
_holds = 0
_saved: tuple[int, int, int] | None = None


def hold() -> None:
    """No full collections from now until every :func:`hold` is matched by a
    :func:`release` (holds may overlap: work handed from one owner to another keeps the
    pause without a gap)."""
    global _holds, _saved
    with _lock:
        if _holds == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(_saved[0], _saved[1], _NO_FULL)
        _holds += 1


def release() -> None:
    """End one :func:`hold`; the last one puts the thresholds back as they were."""
    global _holds, _saved
    with _lock:
        if _holds == 0:
            return
        _holds -= 1
        if _holds == 0 and _saved is not None:
            gc.set_threshold(*_saved)
            _saved = None


def paused() -> bool:
    """Whether full collections are held off now."""
    return _holds > 0


@contextmanager
def full_collections_paused() -> Iterator[None]:
    """No full collections inside (a :func:`hold` for the length of the block); the
    thresholds as they were afterwards, on error too."""
    hold()
    try:
        yield
    finally:
        release()


@contextmanager
def without_full_collections() -> Iterator[None]:
    """As :func:`full_collections_paused`, after one full collection of the garbage
    already made (by an ingest's run: a gigabyte at 100,000 actors), so that it is not
    kept for the length of the work. Inside a pause, nothing is collected first: the
    outer work's garbage is its own to free."""
    if not paused():
        gc.collect()
    with full_collections_paused():
        yield


_off = 0
_was_on = False


@contextmanager
def collections_off() -> Iterator[None]:
    """No collections at all inside (young ones neither), for work that only builds
    containers that outlive it and makes no cycles: loading a snapshot. Unpickling the
    records of 100,000 actors set off a young collection every 700 containers, each
    walking the records loaded since the last one: 2.5 s of unpickling, 1.0 s without.
    Blocks may overlap (threads loading at once); after the last one the collector is
    on again if it was on before the first, on error too."""
    global _off, _was_on
    with _lock:
        if _off == 0:
            _was_on = gc.isenabled()
            gc.disable()
        _off += 1
    try:
        yield
    finally:
        with _lock:
            _off -= 1
            if _off == 0 and _was_on:
                gc.enable()
