"""Routes of the cooperation-gap tables: ``GET /gaps/fields|isolated|holes|communities|targets``.

Each returns a JSON list of rows (English keys) paged by ``offset``/``limit``,
with the number of rows before paging in the ``X-Total-Count`` header; with
``format=csv`` or ``format=xlsx`` the same page comes as a download with
Chinese column headers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from api.deps import ComputedDep
from api.tables import Sheet, csv_text, notes_rows, xlsx_bytes
from graph.analytics.gaps import (
    COMMUNITY_COLUMNS,
    FIELD_GAP_COLUMNS,
    HOLE_COLUMNS,
    ISOLATED_COLUMNS,
    NOTES,
    IsolatedKind,
    isolated_summary,
)
from graph.analytics.systems import ALLIANCE_COLUMNS, PLATFORM_COLUMNS, TIER_COLUMNS
from graph.analytics.systems import NOTES as SYSTEM_NOTES
from graph.analytics.targets import TARGET_COLUMNS, TARGET_NOTES

router = APIRouter(prefix="/gaps", tags=["缺口分析"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_LIMIT = 10_000


class TableFormat(StrEnum):
    """How a gap table is returned."""

    json = "json"
    csv = "csv"
    xlsx = "xlsx"


Offset = Annotated[int, Query(ge=0, le=1_000_000, description="跳过的行数")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="返回的最大行数")]
FormatQ = Annotated[TableFormat, Query(alias="format",
                                       description="json(默认)、csv 或 xlsx(中文表头)")]
TABLE_RESPONSES: dict[int | str, dict[str, Any]] = {200: {
    "description": "行列表;X-Total-Count 为分页前的总行数",
    "content": {"application/json": {}, "text/csv": {}, XLSX: {}}}}


def _table(rows: list[dict[str, Any]], columns: Mapping[str, str], *, name: str,
           offset: int, limit: int, fmt: TableFormat) -> Response:
    """One page of ``rows`` in the format asked for (XLSX with a 说明 sheet)."""
    page = rows[offset:offset + limit]
    headers = {"X-Total-Count": str(len(rows))}
    if fmt is TableFormat.json:
        return JSONResponse(page, headers=headers)
    local = [{zh: row.get(key) for key, zh in columns.items()} for row in page]
    cols = list(columns.values())
    headers["Content-Disposition"] = f'attachment; filename="gaps-{name}.{fmt.value}"'
    if fmt is TableFormat.csv:
        # a BOM so that Excel opens the Chinese text as UTF-8
        return Response(csv_text(local, columns=cols).encode("utf-8-sig"),
                        media_type="text/csv; charset=utf-8", headers=headers)
    notes = {columns[k]: v for k, v in _notes(name).items() if k in columns}
    extra: list[Sheet] = [("说明", notes_rows(notes), ["列", "定义"])] if notes else []
    return Response(xlsx_bytes(local, columns=cols, sheet=name, extra=extra), media_type=XLSX,
                    headers=headers)


def _notes(name: str) -> dict[str, str]:
    return TARGET_NOTES if name == "targets" else NOTES.get(name) or SYSTEM_NOTES.get(name, {})


@router.get("/definitions")
def gaps_definitions() -> dict[str, list[dict[str, str]]]:
    """缺口表各列的定义(表注):每张表的列代码、中文列名与定义。"""
    tables = {"fields": FIELD_GAP_COLUMNS, "isolated": ISOLATED_COLUMNS,
              "communities": COMMUNITY_COLUMNS, "holes": HOLE_COLUMNS, "targets": TARGET_COLUMNS,
              "platforms": PLATFORM_COLUMNS, "tiers": TIER_COLUMNS,
              "alliances": ALLIANCE_COLUMNS}
    return {name: [{"key": k, "name": cols[k], "definition": text}
                   for k, text in _notes(name).items() if k in cols]
            for name, cols in tables.items()}


@router.get("/isolated/summary")
def gaps_isolated_summary(g: ComputedDep,
                          kind: Annotated[list[IsolatedKind] | None,
                                          Query(description="只计这些类别(可重复)")] = None,
                          ) -> list[dict[str, Any]]:
    """孤立主体汇总:按类别和领域计数,先列每类合计。"""
    return isolated_summary(g.table("isolated", kinds=kind))


def _route(path: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    return router.get(path, response_model=None, responses=TABLE_RESPONSES)


@_route("/fields")
def gaps_fields(g: ComputedDep, offset: Offset = 0, limit: Limit = 1000,
                fmt: FormatQ = TableFormat.json,
                rollup: Annotated[bool, Query(description="只列一级领域,子领域计入上级")] = False,
                via_projects: Annotated[bool, Query(description="共同参与该领域项目也算对接")]
                = True,
                min_demand: Annotated[int, Query(ge=0, le=1_000_000,
                                                 description="需求主体数下限")] = 0,
                ) -> Response:
    """领域供需缺口:各领域的需求主体、供给主体与对接链接,缺口分高者在前。"""
    rows = g.table("fields", rollup=rollup, via_projects=via_projects,
                   min_demand=min_demand)
    return _table(rows, FIELD_GAP_COLUMNS, name="fields", offset=offset, limit=limit, fmt=fmt)


@_route("/isolated")
def gaps_isolated(g: ComputedDep, offset: Offset = 0, limit: Limit = 1000,
                  fmt: FormatQ = TableFormat.json,
                  kind: Annotated[list[IsolatedKind] | None,
                                  Query(description="只列这些类别(可重复)")] = None,
                  ) -> Response:
    """孤立主体:有需求无科研伙伴的企业、无企业用户的平台、无企业合作的团队、无高校合作的高企。"""
    rows = g.table("isolated", kinds=kind)
    return _table(rows, ISOLATED_COLUMNS, name="isolated", offset=offset, limit=limit,
                  fmt=fmt)


Seed = Annotated[int, Query(ge=0, le=2**31 - 1, description="社区发现(Leiden)的随机种子")]
Resolution = Annotated[float, Query(ge=0.01, le=100, description="社区发现(Leiden)的分辨率")]
Threshold = Annotated[float, Query(ge=0, lt=1, description="判定需求型/供给型的供需倾向阈值")]


@_route("/holes")
def gaps_holes(g: ComputedDep, offset: Offset = 0, limit: Limit = 1000,
               fmt: FormatQ = TableFormat.json, seed: Seed = 42, resolution: Resolution = 1.0,
               threshold: Threshold = 0.0,
               max_bridges: Annotated[int | None, Query(ge=0, le=1_000_000,
                                                        description="桥接边数上限")] = None,
               ) -> Response:
    """结构洞:桥接很少的需求型与供给型合作社区对(结构洞分最高的前 10000 对),
    及连接两者的中介主体。"""
    rows = g.table("holes", seed=seed, resolution=resolution, threshold=threshold,
                   max_bridges=max_bridges)
    return _table(rows, HOLE_COLUMNS, name="holes", offset=offset, limit=limit, fmt=fmt)


@_route("/communities")
def gaps_communities(g: ComputedDep, offset: Offset = 0, limit: Limit = 1000,
                     fmt: FormatQ = TableFormat.json, seed: Seed = 42,
                     resolution: Resolution = 1.0, threshold: Threshold = 0.0) -> Response:
    """合作社区:合作网络的 Leiden 社区及其需求/供给倾向。"""
    rows = g.table("communities", seed=seed, resolution=resolution, threshold=threshold)
    return _table(rows, COMMUNITY_COLUMNS, name="communities", offset=offset, limit=limit,
                  fmt=fmt)


@_route("/targets")
def gaps_targets(g: ComputedDep, offset: Offset = 0, limit: Limit = 1000,
                 fmt: FormatQ = TableFormat.json) -> Response:
    """规划目标完成情况:每个目标的图谱统计数、差额、完成率、状态与统计口径。"""
    rows = g.table("targets")
    return _table(rows, TARGET_COLUMNS, name="targets", offset=offset, limit=limit, fmt=fmt)


@_route("/platforms")
def gaps_platforms(g: ComputedDep, offset: Offset = 0, limit: Limit = 1000,
                   fmt: FormatQ = TableFormat.json) -> Response:
    """创新平台按工作要点15类与级别统计,对照相关规划目标。"""
    return _table(g.table("platforms"), PLATFORM_COLUMNS, name="platforms", offset=offset,
                  limit=limit, fmt=fmt)


@_route("/tiers")
def gaps_tiers(g: ComputedDep, offset: Offset = 0, limit: Limit = 1000,
               fmt: FormatQ = TableFormat.json) -> Response:
    """科技型企业梯次:科技型中小企业、高新技术企业、创新50强,对照相关规划目标。"""
    return _table(g.table("tiers"), TIER_COLUMNS, name="tiers", offset=offset, limit=limit,
                  fmt=fmt)


@_route("/alliances")
def gaps_alliances(g: ComputedDep, offset: Offset = 0, limit: Limit = 1000,
                   fmt: FormatQ = TableFormat.json) -> Response:
    """共同体利益联盟及其成员构成。"""
    return _table(g.table("alliances"), ALLIANCE_COLUMNS, name="alliances", offset=offset,
                  limit=limit, fmt=fmt)
