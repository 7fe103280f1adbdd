"""Matchmaking over HTTP: ``POST /match`` and ``GET /match/enterprise/{uid}``.

Both take the app's shared analysis graph (``app.state.graphs``, rebuilt when
the store changes) and hand it to :func:`graph.analytics.match.match`, whose
lookups and BM25 index are cached per graph, so repeated queries skip the
build. Unknown enterprises become 404 and needs that cannot be matched 422,
through the app's one error mapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

import networkx as nx
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import GraphDep, SettingsDep, StoreDep
from graph.analytics.match import MAX_TOP, MatchResult, match
from graph.settings import Settings
from graph.store import GraphStore, find_actor

Kind = Literal["team", "talent", "university", "institute", "platform", "hospital"]

router = APIRouter(prefix="/match", tags=["匹配"])
KIND_NAMES: dict[str, Any] = {"team": "团队", "talent": "人才", "university": "高校",
                              "institute": "科研院所", "platform": "创新平台", "hospital": "医院"}
"""Chinese names of the candidate kinds, for forms (the codes stay the API's values)."""

_EXAMPLE: dict[str, Any] = {
    "text": "研发下肢外骨骼康复机器人,需要步态识别与康复评估方面的技术团队",
    "fields": ["康复医疗装备"], "keywords": ["外骨骼"], "kinds": ["team", "university"],
    "region": "泰安", "top": 10}


class MatchRequest(BaseModel):
    """一项技术需求:自由文本、领域、关键词,可附需求企业。"""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    text: str = Field(default="", max_length=2000, description="需求描述(中文自由文本)")
    enterprise: str | None = Field(
        default=None, max_length=200,
        description="需求企业(名称或标识,可选):其图中的技术需求并入需求,并据此计算关系距离")
    fields: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20, description="领域 uid 或名称(须为图中已有领域)")
    keywords: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=50, description="关键词")
    kinds: list[Kind] = Field(default_factory=list,
                              description="候选类型(不选为全部)",
                              json_schema_extra={"x-labels": dict(KIND_NAMES.items())})
    region: str | None = Field(default=None, max_length=50, description="限定地区,如 泰安")
    top: int = Field(default=10, ge=1, le=MAX_TOP, description="返回条数(1–100)")
    min_score: float = Field(default=0.0, ge=0.0, le=1.0, description="最低得分")


class Components(BaseModel):
    """得分构成(各项 0–1,未适用的项为 0)。"""

    text: float = Field(description="文本相关度:BM25,以最佳候选为 1")
    field: float = Field(description="领域匹配(含上下级领域)")
    proximity: float = Field(description="与需求企业的图上距离、合作与同属共同体")
    track_record: float = Field(description="该领域项目业绩,近年加权")
    capacity: float = Field(description="承载能力:平台级别、团队规模")


class PathStepOut(BaseModel):
    """路径上的一个节点;via 为走到该节点所经关系类型。"""

    uid: str
    label: str
    name: str
    via: str | None = None


class MatchOut(BaseModel):
    """一条推荐:得分、构成、命中关键词、共同领域、关系路径与中文理由。"""

    uid: str
    label: str
    name: str
    score: float
    components: Components
    matched_keywords: list[str]
    shared_fields: list[str]
    path: list[PathStepOut] = Field(description="从需求企业出发的最短关系路径(3 跳以内)")
    reason: str = Field(description="推荐理由")


class NeedOut(BaseModel):
    """系统对需求的理解:实际参与计算的文本、领域、关键词、词项与权重。"""

    text: str
    enterprise: str | None
    enterprise_name: str | None
    fields: list[str]
    field_names: list[str]
    inferred_fields: list[str] = Field(description="从文本中识别出的领域名称")
    keywords: list[str]
    tokens: list[str]
    weights: dict[str, float] = Field(description="本次生效的各项权重(合计为 1)")


class MatchResponse(BaseModel):
    """需求理解、排序结果,以及参与评分的候选数。"""

    need: NeedOut
    results: list[MatchOut]
    scored: int


def _run(graph: nx.MultiDiGraph, store: GraphStore, settings: Settings, *, text: str,
         enterprise: str | None, fields: list[str], keywords: list[str], kinds: list[Kind],
         region: str | None, top: int, min_score: float) -> MatchResponse:
    def retrieve(terms: Sequence[str], related: Sequence[str]) -> set[str] | None:
        return store.match_candidates(terms=terms, fields=related)

    result = match(graph, text=text, enterprise=enterprise, fields=fields, keywords=keywords,
                   kinds=list(kinds) or None, region=region or None, top=top,
                   min_score=min_score,
                   retrieve=retrieve if settings.match_retrieval == "store" else None)
    return to_response(result)


def to_response(result: MatchResult) -> MatchResponse:
    """The API payload of a match result."""
    return MatchResponse.model_validate(
        {"need": result.need, "results": result.matches, "scored": result.scored},
        from_attributes=True)


@router.post("", response_model=MatchResponse)
def match_need(body: MatchRequest, store: StoreDep, graph: GraphDep,
               settings: SettingsDep) -> MatchResponse:
    """按需求匹配团队、人才、高校、院所、平台与医院,返回得分构成与中文推荐理由。

    需求企业可填名称或标识:名称按全称、别名解析,重名时返回 422 并列出候选。"""
    enterprise = (find_actor(store, body.enterprise, label="Enterprise")
                  if body.enterprise and body.enterprise.strip() else None)
    return _run(graph, store, settings, text=body.text, enterprise=enterprise,
                fields=body.fields, keywords=body.keywords, kinds=body.kinds,
                region=body.region, top=body.top, min_score=body.min_score)


@router.get("/enterprise/{uid}", response_model=MatchResponse)
def match_enterprise(
        store: StoreDep,
        graph: GraphDep,
        settings: SettingsDep,
        uid: Annotated[str, Path(description="需求企业的标识或名称",
                                 examples=["ent:91370900MA3C000001",
                                           "泰安义锦康复科技股份有限公司"])],
        text: Annotated[str, Query(max_length=2000, description="补充需求描述(可选)")] = "",
        kind: Annotated[list[Kind] | None, Query(description="候选类型,可重复")] = None,
        region: Annotated[str | None, Query(max_length=50, description="限定地区")] = None,
        top: Annotated[int, Query(ge=1, le=MAX_TOP, description="返回条数")] = 10,
        min_score: Annotated[float, Query(ge=0.0, le=1.0, description="最低得分")] = 0.0,
) -> MatchResponse:
    """按企业在图中的技术需求(NEEDS)匹配;企业不存在为 404,无需求且未给文本为 422。"""
    enterprise = find_actor(store, uid, label="Enterprise")
    return _run(graph, store, settings, text=text, enterprise=enterprise, fields=[], keywords=[],
                kinds=kind or [], region=region, top=top, min_score=min_score)
