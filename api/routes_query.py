"""Routes for paths with sentences, shared partners and partner recommendations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from api.answer import JSONAnswer
from api.deps import HEAVY, ComputedDep, StoreDep
from api.tables import xlsx_bytes
from graph.analytics.computed import Computed
from graph.analytics.paths import (
    path_facts,
    path_sentence,
    path_story,
    path_types,
    shared_partners,
)
from graph.analytics.recommend import recommend_partners
from graph.store import MAX_HOPS, GraphStore
from schemas.ontology import label_codes, label_name, rel_type_codes
from schemas.vocabularies import ACTOR_LABELS

router = APIRouter()
VIA_HUBS = "也经过地区、领域、文件、计划等共同背景(默认不经过)"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REC_COLUMNS = ["uid", "label", "name", "score", "structure", "content", "shared_partners",
               "shared_fields", "reason"]


@router.get("/paths/explained", response_model=list[dict[str, Any]])
def paths_explained(store: StoreDep, source: str, target: str,
                    k: Annotated[int, Query(ge=1, le=20)] = 3,
                    max_hops: Annotated[int, Query(ge=1, le=MAX_HOPS)] = 4,
                    rel_type: Annotated[list[str] | None, Query()] = None,
                    year_from: Annotated[int | None, Query(ge=1900, le=2100)] = None,
                    year_to: Annotated[int | None, Query(ge=1900, le=2100)] = None,
                    via_hubs: Annotated[bool, Query(description=VIA_HUBS)] = False,
                    ) -> JSONAnswer:
    """查关系:最短路径及其中文表述(默认只经主体之间的关联;可限定关系类型与年份区间)。"""
    years = None
    if year_from is not None or year_to is not None:
        years = (year_from or 1900, year_to or 2100)
    paths = store.shortest_paths(source=source, target=target, k=k, max_hops=max_hops,
                                 rel_types=path_types(rel_type_codes(rel_type),
                                                      via_hubs=via_hubs),
                                 years=years)
    edges, projects = path_facts(store, paths)
    return JSONAnswer([{"hops": p.hops, "story": path_story(p, edges, projects),
                        "sentence": path_sentence(p), **p.model_dump()} for p in paths])


@router.get("/paths/shared", response_model=list[dict[str, Any]])
def paths_shared(store: StoreDep, a: str, b: str,
                 rel_type: Annotated[list[str] | None, Query()] = None,
                 via_hubs: Annotated[bool, Query(description=VIA_HUBS)] = False,
                 ) -> JSONAnswer:
    """两个主体的共同伙伴(默认只计主体之间的关联:合作、成员、任职、依托、共同项目等)。"""
    return JSONAnswer(shared_partners(store, a, b, rel_types=rel_type_codes(rel_type),
                                      via_hubs=via_hubs))


def recommend_for(store: GraphStore, comp: Computed, uid: str, kind: list[str] | None,
                  k: int) -> list[dict[str, Any]]:
    """Recommendations for an actor (422 for a node that is no actor; kinds as codes or
    Chinese names), as the API and the recommendation view give them."""
    node = store.get_node(uid=uid)
    if node.label not in ACTOR_LABELS:
        raise HTTPException(422, f"{uid} 是{label_name(node.label)},不是创新主体")
    return recommend_partners(store, uid, kinds=label_codes(kind, param="kind"), k=k,
                              computed=comp)


@router.get("/recommendations/{uid}.xlsx", dependencies=HEAVY, responses={200: {
    "description": "推荐名单(Excel)", "content": {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
def recommendations_xlsx(uid: str, store: StoreDep, g: ComputedDep,
                         kind: Annotated[list[str] | None, Query()] = None,
                         k: Annotated[int, Query(ge=1, le=500)] = 50) -> Response:
    """合作伙伴推荐名单(Excel 下载)。"""
    rows = recommend_for(store, g, uid, kind, k)
    return Response(xlsx_bytes(rows, columns=REC_COLUMNS), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="recommendations.xlsx"'})


@router.get("/recommendations/{uid}", response_model=list[dict[str, Any]], dependencies=HEAVY)
def recommendations(uid: str, store: StoreDep, g: ComputedDep,
                    kind: Annotated[list[str] | None, Query(description="推荐的主体类型")] = None,
                    k: Annotated[int, Query(ge=1, le=500)] = 20) -> JSONAnswer:
    """为一个主体推荐新的合作伙伴,并说明理由(共同伙伴、同属领域)。"""
    return JSONAnswer(recommend_for(store, g, uid, kind, k))
