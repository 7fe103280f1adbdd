"""The explorer page at ``/``, its local assets, the graph views and the exports.

Everything the page needs is served from here (``/static/...``, vis-network
included), so it works on an intranet with no internet. Include ``router`` in
the app; nothing else needs installing (the static files are routes of this
router, not a mount, because FastAPI's ``include_router`` does not carry mounts).

Views (``fmt`` is ``html``, ``json``, ``graphml``, ``gexf``, ``csv`` or ``xlsx``):

* ``GET /viz/ego.{fmt}?uid=…&depth=…`` an actor's neighbourhood
* ``GET /viz/path.{fmt}?source=…&target=…`` paths between two actors
* ``GET /viz/gap.{fmt}?field=…`` a field's demand, supply and missing links
* ``GET /viz/recommend.{fmt}?uid=…`` recommended partners
* ``GET /viz/community.{fmt}?platform=…`` a community (or the whole graph)
* ``GET /export/subgraph.{fmt}?uid=…&depth=…`` several actors' neighbourhoods

``csv`` gives one table: ``table=nodes`` (default), ``edges`` or a table the view
was built from (``paths``, ``missing_links``, ``recommendations``); ``xlsx`` gives the
whole view as one workbook (节点, 关系, the view's tables, 说明) unless a table is named.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from api.auth import current_user, role_of
from api.deps import HEAVY, ComputedDep, GraphDep, StoreDep, current_store
from api.routes_query import recommend_for
from api.tables import csv_text, view_xlsx_bytes, xlsx_bytes
from graph.analytics.asof import describe, parse_years, year_span
from graph.store import MAX_HOPS, GraphStore
from graph.viz import render, style
from graph.viz.export import EDGE_COLUMNS, NODE_COLUMNS, edge_rows, graph_bytes, node_rows
from graph.viz.views import (
    OVERVIEW_MAX_NODES,
    View,
    aggregate,
    community_view,
    ego_view,
    gap_view,
    path_view,
    recommend_view,
    subgraph_view,
)
from schemas.ontology import label_codes, rel_type_codes
from schemas.privacy import may_see_personal
from schemas.relationships import REL_TYPES

router = APIRouter()
STATIC = Path(__file__).resolve().parent / "static"
ASSETS: dict[str, tuple[Path, str]] = {
    "explorer.js": (STATIC / "explorer.js", "text/javascript; charset=utf-8"),
    "explorer.css": (STATIC / "explorer.css", "text/css; charset=utf-8"),
    "vendor/vis-network.min.js": (render.vis_network_js(), "text/javascript; charset=utf-8"),
    "vendor/vis-network.css": (render.vis_network_css(), "text/css; charset=utf-8"),
}
"""The only files ``/static/`` serves: a fixed table, so no path can walk out of it."""
MEDIA = {"graphml": "application/graphml+xml", "gexf": "application/gexf+xml",
         "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
AUTH = [Depends(current_user)]
VIEW_RESPONSES: dict[int | str, dict[str, Any]] = {200: {
    "description": "视图或表格,格式由扩展名决定",
    "content": {"application/json": {}, "text/html": {}, **{m.split(";")[0]: {}
                                                            for m in MEDIA.values()}}}}


class ViewFormat(StrEnum):
    """What a view comes back as."""

    html = "html"
    json = "json"
    graphml = "graphml"
    gexf = "gexf"
    csv = "csv"
    xlsx = "xlsx"


TableArg = Annotated[str | None, Query(
    description="csv:nodes(默认)、edges 或视图自带的表;xlsx:默认为整本工作簿(节点、关系、"
                "视图的表与说明),给出表名则只导出该表")]


def _privileged(request: Request) -> bool:
    return may_see_personal(role_of(request))


def _table(view: View, table: str) -> tuple[list[dict[str, Any]], list[str] | None]:
    if table == "nodes":
        return node_rows(view), NODE_COLUMNS
    if table == "edges":
        return edge_rows(view), EDGE_COLUMNS
    if table in view.tables:
        return view.tables[table], None
    raise HTTPException(422, f"视图中没有表“{table}”,可选:nodes、edges"
                        + "".join(f"、{t}" for t in view.tables))


def respond(view: View, fmt: ViewFormat, request: Request, *, table: str | None = None,
            name: str = "view", aggregate_by: str = "label") -> Response:
    """The view in the format asked for (downloads get a file name).

    ``aggregate_by`` (``label`` or ``community``) groups a view over the hard cap. A
    view of a past year (``?year=``) says so in its title.
    """
    years = parse_years(request.query_params.get("year"))
    if years is not None:
        view = dataclasses.replace(view, title=f"{view.title}({describe(years)})")
    if fmt is ViewFormat.html:
        return HTMLResponse(render.render_html(view, aggregate_by=aggregate_by))
    if fmt is ViewFormat.json:
        return JSONResponse(render.vis_payload(view, aggregate_by=aggregate_by))
    disposition = {"Content-Disposition": f'attachment; filename="{name}.{fmt.value}"'}
    if fmt in (ViewFormat.graphml, ViewFormat.gexf):
        body = graph_bytes(view, fmt.value, include_sensitive=_privileged(request))
        return Response(body, media_type=MEDIA[fmt.value], headers=disposition)
    if fmt is ViewFormat.xlsx and table in (None, "all"):
        return Response(view_xlsx_bytes(view), media_type=MEDIA["xlsx"], headers=disposition)
    rows, columns = _table(view, table or "nodes")
    if fmt is ViewFormat.csv:
        # a BOM, so that Excel on Windows reads the Chinese as UTF-8
        return Response("\ufeff" + csv_text(rows, columns=columns), media_type=MEDIA["csv"],
                        headers=disposition)
    return Response(xlsx_bytes(rows, columns=columns), media_type=MEDIA["xlsx"],
                    headers=disposition)


@router.get("/", include_in_schema=False)
def explorer() -> FileResponse:
    """The explorer page."""
    return FileResponse(STATIC / "explorer.html", media_type="text/html; charset=utf-8")


@router.get("/static/{name:path}", include_in_schema=False)
def static(name: str) -> FileResponse:
    """A local asset of the explorer (no CDN anywhere)."""
    if name not in ASSETS:
        raise HTTPException(404, f"没有这个文件:{name[:100]}")
    path, media = ASSETS[name]
    return FileResponse(path, media_type=media, headers={"Cache-Control": "max-age=3600"})


@router.get("/viz/styles.json", dependencies=AUTH)
def viz_styles() -> dict[str, Any]:
    """图例:各类主体的颜色、形状与中文名,各类关系的中文读法与颜色。"""
    return {"kinds": {label: {"zh": s.zh, "color": s.color, "shape": s.shape,
                              "symbol": s.symbol} for label, s in style.KINDS.items()},
            "relationships": {t: {"zh": style.rel_zh(t), "color": style.rel_color(t)}
                              for t in REL_TYPES}}


class YearSpan(BaseModel):
    """时间轴的范围:关系最早出现的年份到图中最晚的年份。"""

    first: int | None = Field(description="最早有合作、参与等关系的年份")
    last: int | None = Field(description="图中最晚的年份")


@router.get("/viz/years.json", dependencies=AUTH, response_model=YearSpan)
def viz_years(request: Request) -> YearSpan:
    """时间轴范围:浏览页的时间滑块据此从最早的关系年份走到最近一年。"""
    comp = request.app.state.graphs.computed(current_store(request))
    with comp.lock:
        span = comp.extras.get("year-span")
        if span is None:
            g = comp.graph
            edges = [d for *_, d in g.edges(keys=True, data=True)]
            rel = year_span([], edges)
            whole = year_span([d for _, d in g.nodes(data=True)], edges)
            span = comp.extras["year-span"] = (rel[0] if rel else None,
                                               whole[1] if whole else None)
    return YearSpan(first=span[0], last=span[1])


@router.get("/viz/ego.{fmt}", dependencies=AUTH, responses=VIEW_RESPONSES)
def viz_ego(fmt: ViewFormat, request: Request, store: StoreDep, uid: str,
            depth: Annotated[int, Query(ge=1, le=MAX_HOPS)] = 1,
            per_type_limit: Annotated[int | None, Query(ge=1, le=1000)] = 20,
            limit: Annotated[int, Query(ge=1, le=10_000)] = 300,
            rel_type: Annotated[list[str] | None, Query()] = None,
            label: Annotated[list[str] | None, Query()] = None,
            table: TableArg = None) -> Response:
    """关系网络视图:一个主体的邻居(按类型计数后按上限展开)。"""
    view = ego_view(store, uid, depth=depth, per_type_limit=per_type_limit, limit=limit,
                    rel_types=rel_type_codes(rel_type), labels=label_codes(label))
    return respond(view, fmt, request, table=table, name="ego")


@router.get("/viz/path.{fmt}", dependencies=AUTH, responses=VIEW_RESPONSES)
def viz_path(fmt: ViewFormat, request: Request, store: StoreDep, source: str, target: str,
             k: Annotated[int, Query(ge=1, le=20)] = 3,
             max_hops: Annotated[int, Query(ge=1, le=MAX_HOPS)] = 4,
             rel_type: Annotated[list[str] | None, Query()] = None,
             year_from: Annotated[int | None, Query(ge=1900, le=2100)] = None,
             year_to: Annotated[int | None, Query(ge=1900, le=2100)] = None,
             via_hubs: Annotated[bool, Query(description="也经过地区、领域、文件、计划等"
                                                         "共同背景")] = False,
             table: TableArg = None) -> Response:
    """查关系视图:两个主体之间的最短路径(默认只经主体之间的关联)。"""
    years = None
    if year_from is not None or year_to is not None:
        years = (year_from or 1900, year_to or 2100)
    view = path_view(store, source, target, k=k, max_hops=max_hops,
                     rel_types=rel_type_codes(rel_type),
                     years=years, via_hubs=via_hubs)
    return respond(view, fmt, request, table=table, name="path")


def _field_uid(store: GraphStore, field: str) -> str:
    if store.find_records(uids=[field], limit=1):
        return field
    found = store.find_records(name=field, label="Field", limit=2)
    if len(found) == 1:
        return str(found[0]["uid"])
    raise HTTPException(404, f"没有标识或名称为“{field[:100]}”的领域")


@router.get("/viz/gap.{fmt}", dependencies=AUTH + HEAVY, responses=VIEW_RESPONSES)
def viz_gap(fmt: ViewFormat, request: Request, store: StoreDep, g: GraphDep,
            field: Annotated[str, Query(description="领域的标识或名称")],
            per_demand: Annotated[int, Query(ge=1, le=20)] = 3,
            table: TableArg = None) -> Response:
    """缺口视图:一个领域的需求方、供给方和缺少的合作。"""
    view = gap_view(g, _field_uid(store, field), per_demand=per_demand)
    return respond(view, fmt, request, table=table, name="gap")


@router.get("/viz/recommend.{fmt}", dependencies=AUTH + HEAVY, responses=VIEW_RESPONSES)
def viz_recommend(fmt: ViewFormat, request: Request, store: StoreDep, comp: ComputedDep,
                  uid: str,
                  k: Annotated[int, Query(ge=1, le=100)] = 10,
                  kind: Annotated[list[str] | None, Query()] = None,
                  table: TableArg = None) -> Response:
    """推荐视图:推荐的合作伙伴(虚线)及共同伙伴。"""
    recs = recommend_for(store, comp, uid, kind, k)
    return respond(recommend_view(comp.graph, uid, recs), fmt, request, table=table,
                   name="recommend")


@router.get("/viz/community.{fmt}", dependencies=AUTH + HEAVY, responses=VIEW_RESPONSES)
def viz_community(fmt: ViewFormat, request: Request, g: GraphDep,
                  platform: Annotated[str | None, Query(description="共同体平台的标识;"
                                                                   "不填为全图")] = None,
                  label: Annotated[list[str] | None, Query()] = None,
                  detect: Annotated[bool, Query(description="按社区着色")] = False,
                  group_by: Annotated[Literal["label", "field", "community"], Query(
                      description="全图与超出上限的视图按类型(label)、领域(field)或社区"
                                  "(community)聚合")] = "label",
                  expand: Annotated[list[str] | None, Query(
                      max_length=50, description="聚合视图中展开为成员的组(如 kind:Enterprise、"
                                                 "field:fld:…),可重复")] = None,
                  table: TableArg = None) -> Response:
    """共同体视图:成员及其关系;不填平台时为全图概览(按类型、领域或社区聚合,可逐组展开)。"""
    view = community_view(g, platform=platform, labels=label_codes(label), detect=detect)
    if platform is None and (expand or view.size[0] > OVERVIEW_MAX_NODES):
        view = aggregate(view, by=group_by, expand=expand or ())
    return respond(view, fmt, request, table=table, name="community", aggregate_by=group_by)


@router.get("/export/subgraph.{fmt}", dependencies=AUTH, responses=VIEW_RESPONSES)
def export_subgraph(fmt: ViewFormat, request: Request, store: StoreDep,
                    uid: Annotated[list[str], Query(description="一个或多个主体")],
                    depth: Annotated[int, Query(ge=1, le=MAX_HOPS)] = 1,
                    per_type_limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
                    limit: Annotated[int, Query(ge=1, le=10_000)] = 2000,
                    table: TableArg = None) -> Response:
    """导出子图:GraphML / GEXF(Gephi)、CSV / XLSX 表格、HTML 或 JSON。"""
    view = subgraph_view(store, uid, depth=depth, per_type_limit=per_type_limit, limit=limit)
    return respond(view, fmt, request, table=table, name="subgraph")
