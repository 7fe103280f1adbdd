"""Dependencies shared by every route: the store, the settings, the analysis graph."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated

import networkx as nx
from fastapi import Depends, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from api.graphcache import GraphCache
from graph.analytics.asof import Years, parse_years
from graph.analytics.computed import Computed
from graph.factory import open_store
from graph.settings import Settings
from graph.store import GraphStore

_OPENING = threading.Lock()


async def get_years(year: Annotated[str | None, Query(
        max_length=20, description="时间:截至某年(如 2019),或年份区间(如 2017-2019,只计区间内"
                                   "活跃的关系);不填为当前全部数据",
        examples=["2019"])] = None) -> Years | None:
    """The ``year`` query parameter of every graph route, read (422 when unreadable).

    Async: FastAPI runs a plain ``def`` dependency in its thread pool, a hop per request
    on every graph route for a few string operations."""
    return parse_years(year)


YearsDep = Annotated[Years | None, Depends(get_years)]


async def get_store(request: Request, years: YearsDep) -> GraphStore:
    """The store of the request: the current one, or with ``?year=`` the graph as it
    stood then (an in-memory store, see :mod:`graph.analytics.asof`).

    Async: on most requests this is an attribute read and a ``stat``; only opening the
    store, reloading its snapshot and building a year's graph go to a worker thread."""
    store: GraphStore | None = request.app.state.store
    if store is None or store.refresh_due():
        store = await run_in_threadpool(current_store, request)
    if years is None:
        return store
    cache: GraphCache = request.app.state.graphs
    return await run_in_threadpool(lambda: cache.computed(store).at(years).store)


def current_store(request: Request) -> GraphStore:
    """The store opened by the app's lifespan (or injected into create_app).

    If it could not be opened at start-up (Neo4j down), each request tries again,
    so the service recovers without a restart; until then StoreUnavailable → 503.
    The store is asked to pick up what other processes wrote (``refresh``).
    """
    store: GraphStore | None = request.app.state.store
    if store is None:
        with _OPENING:
            store = request.app.state.store
            if store is None:
                store = open_store(get_settings(request), read_only=True)
                request.app.state.store = store
    store.refresh()
    return store


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_computed(request: Request, years: YearsDep) -> Computed:
    """Whole-graph results of the store's current version (see graph.analytics.computed),
    or of the graph as it stood in ``?year=``."""
    cache: GraphCache = request.app.state.graphs
    return cache.computed(current_store(request)).at(years)


def get_graph(computed: Annotated[Computed, Depends(get_computed)]) -> nx.MultiDiGraph:
    """The store's whole graph for analytics, shared until the store version changes."""
    return computed.graph


HEAVY_WAIT = 60.0
"""Seconds a whole-graph request waits for a slot before it is answered 503."""


def heavy_slot(request: Request) -> Iterator[None]:
    """Hold one of the server's slots for whole-graph work for the request's duration
    (``INNOGRAPH_HEAVY`` at once): on two cores, fifty matchings at a time all finish
    late; a few at a time, each finishes soon and light requests are not starved."""
    slots: threading.BoundedSemaphore = request.app.state.heavy
    if not slots.acquire(timeout=HEAVY_WAIT):
        raise HTTPException(503, "服务繁忙:同时进行的分析请求已达上限,请稍后重试",
                            headers={"Retry-After": "5"})
    try:
        yield
    finally:
        slots.release()


HEAVY = [Depends(heavy_slot)]
"""Route dependencies of the whole-graph routes."""

StoreDep = Annotated[GraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
GraphDep = Annotated[nx.MultiDiGraph, Depends(get_graph)]
ComputedDep = Annotated[Computed, Depends(get_computed)]
