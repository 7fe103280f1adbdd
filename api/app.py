"""The HTTP service: ``create_app(settings)`` builds it; routes stay thin."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Query, Request
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api import errors, routes_auth, routes_explorer, routes_gaps, routes_match, routes_query
from api.answer import JSONAnswer
from api.auth import AuditLog, AuditMiddleware, UserStore, current_user, role_of
from api.deps import HEAVY, StoreDep
from api.graphcache import GraphCache
from api.hot import (
    NEIGHBOURS_DEFAULT,
    NEIGHBOURS_LIMIT,
    PER_TYPE_DEFAULT,
    PER_TYPE_LIMIT,
    HotReads,
    one_hop,
)
from api.quiet import quiet_libraries
from graph.errors import StoreUnavailable
from graph.factory import open_store
from graph.settings import Settings
from graph.store import MAX_HOPS, GraphStore
from schemas.ontology import label_codes, rel_type_codes
from schemas.privacy import redact
from schemas.results import Neighborhood, Path, SearchHit, Stats

log = logging.getLogger("innograph.api")
MAX_URL = 16_384
"""Longest URL (path and query, bytes as sent) a request may have: 414 beyond."""
URL_READ = 4 * 1024 * 1024
"""How much of a request line uvicorn reads before giving up (so long URLs get a 414)."""
AUTH = [Depends(current_user)]
"""Route dependencies of everything but the page, its assets, the login and /health."""


class UrlLimit:
    """ASGI middleware: a URL past :data:`MAX_URL` is answered 414 with the one error
    body (``innograph serve`` reads request lines up to :data:`URL_READ` bytes, so such a
    request reaches the app instead of having its connection reset)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and len(scope.get("raw_path") or b"") + len(
                scope.get("query_string") or b"") > MAX_URL:
            answer = errors.body(414, f"请求地址过长(超过 {MAX_URL:,} 字节),请缩短检索词或分批查询")
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)



def create_app(settings: Settings, *, store: GraphStore | None = None,
               warm: bool = False) -> FastAPI:
    """Build the API. The store is opened at start-up unless one is injected.

    With ``warm`` (``innograph serve``), the whole-graph results of each new store
    version (projection, match index, recommender) are built in the background as
    soon as the version is seen, starting at start-up, instead of by a first request;
    while they are built, requests that waited ``settings.fresh_wait`` seconds are
    answered from the previous version's results.
    """

    quiet_libraries()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        # Sync routes run in anyio's thread pool (40 threads by default). With more
        # concurrent requests than threads the rest wait outside, unordered, and the
        # tail grows to seconds; with a thread for each, they share the CPU in turn.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        owned = store is None
        app.state.store = store
        if owned:
            try:
                app.state.store = open_store(settings, read_only=True)
            except StoreUnavailable as exc:
                # start anyway: requests answer 503 until the store can be opened
                log.warning("启动时图谱不可用:%s", exc)
        # the loaded store lives as long as the process: keep the cyclic collector from
        # walking it in every full collection (a pause of seconds at 100,000 actors)
        gc.freeze()
        if warm and app.state.store is not None:
            try:
                app.state.graphs.computed(app.state.store)
            except StoreUnavailable as exc:
                log.warning("启动时未能预先计算分析结果:%s", exc)
        try:
            yield
        finally:
            if app.state.store is not None:
                # the asynchronous reads' connections belong to this app's event loop
                await app.state.store.close_async()
                if owned:
                    app.state.store.close()

    # FastAPIOffline serves the /docs and /redoc assets itself: the intranet has no CDN
    app = FastAPIOffline(title="innograph", version="0.1.0", lifespan=lifespan,
                         responses=errors.RESPONSES,
                  description="泰安创新主体知识图谱:检索、关系、匹配、推荐、缺口分析。")
    app.state.settings = settings
    app.state.graphs = GraphCache(warm=warm, fresh_wait=settings.fresh_wait)
    app.state.heavy = threading.BoundedSemaphore(settings.heavy)
    app.state.users = UserStore(settings.home)
    app.state.audit = AuditLog(settings.home)
    if not settings.auth:
        log.warning("身份验证已关闭(INNOGRAPH_AUTH=off):每个请求都按角色 %s 处理",
                    settings.demo_role)
    # innermost first: the audit and the URL limit see what the fast path answers too
    app.add_middleware(HotReads, state=app.state)
    if settings.auth:
        app.add_middleware(AuditMiddleware, audit=app.state.audit)
    app.add_middleware(UrlLimit)

    errors.install(app)
    # the routes of every click first: a request is matched against the routes in order

    @app.get("/health")
    def health() -> dict[str, str]:
        """服务状态。"""
        return {"status": "ok"}

    @app.get("/stats", response_model=Stats, dependencies=AUTH)
    def stats(store: StoreDep) -> JSONAnswer:
        """各类节点与关系的数量。"""
        return JSONAnswer(store.stats())

    @app.get("/search", response_model=list[SearchHit], dependencies=AUTH)
    async def search(store: StoreDep,
                     q: Annotated[str, Query(min_length=1, max_length=100,
                                             description="名称、别名或关键词",
                                             examples=["泰山创新谷"])],
                     label: Annotated[list[str] | None, Query(description="限定节点类型")] = None,
                     limit: Annotated[int, Query(ge=1, le=200)] = 20) -> JSONAnswer:
        """按名称、别名、关键词检索(支持中文子串)。"""
        labels = label_codes(label)
        if store.reads_async:
            return JSONAnswer(await store.search_async(text=q, labels=labels, limit=limit))
        # the embedded store's first search builds its index (seconds at scale): a thread
        return JSONAnswer(await run_in_threadpool(store.search, text=q, labels=labels,
                                                  limit=limit))

    @app.get("/nodes/{uid}", response_model=dict[str, Any], dependencies=AUTH)
    async def node(uid: str, store: StoreDep, request: Request) -> JSONAnswer:
        """节点详情及其来源(个人敏感信息仅对授权角色可见)。"""
        n = await _read(store, lambda: store.get_node(uid=uid))
        return JSONAnswer(redact(n.label, {"label": n.label, **n.model_dump(mode="json")},
                                 role_of(request)))

    @app.get("/nodes/{uid}/neighbors", response_model=Neighborhood, dependencies=AUTH)
    async def neighbors(uid: str, store: StoreDep,
                        depth: Annotated[int, Query(ge=1, le=MAX_HOPS)] = 1,
                        rel_type: Annotated[list[str] | None, Query()] = None,
                        label: Annotated[list[str] | None, Query()] = None,
                        per_type_limit: Annotated[int | None, Query(
                            ge=1, le=PER_TYPE_LIMIT)] = PER_TYPE_DEFAULT,
                        limit: Annotated[int, Query(
                            ge=1, le=NEIGHBOURS_LIMIT)] = NEIGHBOURS_DEFAULT,
                        ) -> JSONAnswer:
        """邻居:先按关系类型计数,再按上限展开。"""
        # the plain case is answered by HotReads before it gets here; this is the rest
        rel_types, labels = rel_type_codes(rel_type), label_codes(label)
        if depth == 1:
            hood = await one_hop(store, uid=uid, rel_types=rel_types, labels=labels,
                                 per_type_limit=per_type_limit, limit=limit)
            if hood is not None:
                return JSONAnswer(hood)
        return JSONAnswer(await run_in_threadpool(
            store.neighbors, uid=uid, depth=depth, rel_types=rel_types, labels=labels,
            per_type_limit=per_type_limit, limit=limit))

    @app.get("/paths", response_model=list[Path], dependencies=AUTH)
    def paths(store: StoreDep, source: str, target: str,
              k: Annotated[int, Query(ge=1, le=20)] = 3,
              max_hops: Annotated[int, Query(ge=1, le=MAX_HOPS)] = 4,
              rel_type: Annotated[list[str] | None, Query()] = None,
              via_hubs: Annotated[bool, Query(description="也经过地区、领域、文件、计划等"
                                                          "共同背景(默认不经过)")] = False,
              ) -> JSONAnswer:
        """两个主体之间的最短关系路径(查关系;默认只经主体之间的关联)。"""
        from graph.analytics.paths import path_types

        return JSONAnswer(store.shortest_paths(
            source=source, target=target, k=k, max_hops=max_hops,
            rel_types=path_types(rel_type_codes(rel_type), via_hubs=via_hubs)))

    app.include_router(routes_query.router, dependencies=AUTH)
    app.include_router(routes_match.router, dependencies=AUTH + HEAVY)
    app.include_router(routes_gaps.router, dependencies=AUTH + HEAVY)
    app.include_router(routes_explorer.router)
    app.include_router(routes_auth.router)
    _group_routes(app)
    return app


async def _read(store: GraphStore, call: Callable[[], Any]) -> Any:
    """``call()``, a point read of one record of ``store``: on the event loop when the
    store reads from memory, else in a worker thread (I/O to a database). Under load, the
    hop to a thread and back cost more than the read."""
    if store.reads_in_memory:
        return call()
    return await run_in_threadpool(call)


TAGS: list[tuple[str, str, str]] = [
    ("检索", "/search /nodes /stats /health", "按名称、别名、关键词检索主体;主体详情、邻居与数量"),
    ("查关系", "/paths", "两个主体之间的合作路径与共同伙伴"),
    ("匹配", "/match", "按需求匹配团队、人才、高校、院所、平台与医院"),
    ("推荐", "/recommendations", "合作伙伴推荐与批量推荐清单"),
    ("缺口", "/gaps", "领域缺口、孤立主体、结构洞、规划目标、平台与企业梯次"),
    ("视图", "/viz", "离线可视化视图(HTML 与 JSON)"),
    ("导出", "/export", "子图导出:GraphML、GEXF、CSV、XLSX"),
    ("登录与权限", "/auth /audit /talents", "登录、当前用户、审计日志、人才联系方式"),
]
"""OpenAPI groups: (tag, path prefixes, description), in the order /docs shows them."""


def _group_routes(app: FastAPI) -> None:
    """Each documented route under its Chinese group (:data:`TAGS`), summarised by the
    first sentence of its Chinese docstring instead of its function name."""
    from fastapi.routing import APIRoute

    def routes(items: list[Any]) -> Iterator[APIRoute]:
        for r in items:
            if isinstance(r, APIRoute):
                yield r
            elif getattr(r, "original_router", None) is not None:  # an included router
                yield from routes(r.original_router.routes)

    for route in routes(app.routes):
        if not route.include_in_schema:
            continue
        for tag, prefixes, _ in TAGS:
            if any(route.path == p or route.path.startswith(p + "/")
                   or route.path.startswith(p + ".") for p in prefixes.split()):
                route.tags = [tag]
                break
        if route.summary is None and route.description:
            first = route.description.strip().splitlines()[0]
            route.summary = first.split("。")[0].strip() or None
    app.openapi_tags = [{"name": t, "description": d} for t, _, d in TAGS]


def served_app() -> FastAPI:
    """The app of each worker process of ``innograph serve --workers N`` (a factory)."""
    return create_app(Settings(), warm=True)
