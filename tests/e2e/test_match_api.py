"""Matchmaking over HTTP on each backend: the same rankings as on a graph built by hand."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes_match import to_response
from graph.analytics.match import MATCH_LABELS, match, prepare
from graph.settings import Settings
from graph.store import GraphStore
from schemas.ontology import parse_node, parse_relationship
from schemas.records import edge_to_record, node_to_record


def E(typ: str, s: str, t: str, **kw: Any) -> dict[str, Any]:
    return {"type": typ, "source": s, "target": t, **kw}


NODES: list[dict[str, Any]] = [
    {"label": "Field", "uid": "f:health", "name": "智慧康养"},
    {"label": "Field", "uid": "f:rehab", "name": "康复医疗装备", "aliases": ["康复装备"]},
    {"label": "Field", "uid": "f:robot", "name": "康复机器人"},
    {"label": "Field", "uid": "f:mat", "name": "新材料"},
    {"label": "Region", "uid": "r:ta", "name": "泰安市"},
    {"label": "Region", "uid": "r:jn", "name": "济南市"},
    {"label": "Enterprise", "uid": "ent:need", "name": "泰安步康医疗科技有限公司",
     "region": "泰安市"},
    {"label": "Enterprise", "uid": "ent:none", "name": "泰安无需求科技有限公司"},
    {"label": "Platform", "uid": "p:comm", "name": "山东省智慧康养创新创业共同体",
     "platform_type": "创新创业共同体", "level": "省"},
    {"label": "University", "uid": "uni:ta", "name": "泰山医学院",
     "keywords": ["康复医学", "步态"]},
    {"label": "Team", "uid": "team:exo", "name": "外骨骼康复团队", "size": 8,
     "keywords": ["外骨骼", "康复机器人"], "description": "下肢外骨骼与步态训练"},
    {"label": "Team", "uid": "team:gait", "name": "步态评估团队", "size": 5,
     "keywords": ["步态分析", "康复评估"]},
    {"label": "Team", "uid": "team:mat", "name": "先进复合材料团队", "size": 30,
     "keywords": ["碳纤维", "复合材料"], "description": "轻量化复合材料,可用于外骨骼结构件"},
    {"label": "Platform", "uid": "p:lab", "name": "山东省康复工程重点实验室",
     "platform_type": "重点实验室", "level": "省", "keywords": ["康复工程", "外骨骼"]},
    {"label": "Talent", "uid": "tal:li", "name": "李四", "title": "教授",
     "keywords": ["康复机器人"]},
    {"label": "Project", "uid": "prj:1", "name": "下肢外骨骼研制", "year": 2021},
    {"label": "Project", "uid": "prj:2", "name": "智能康复机器人", "year": 2018},
    # outside MATCH_LABELS: the API's whole-graph copy has it, the reference does not
    {"label": "Document", "uid": "doc:plan", "name": "泰安市康养产业发展规划",
     "keywords": ["步态康复训练"]},
]
EDGES: list[dict[str, Any]] = [
    E("SUBFIELD_OF", "f:rehab", "f:health"), E("SUBFIELD_OF", "f:robot", "f:rehab"),
    E("NEEDS", "ent:need", "f:rehab", description="研发下肢外骨骼康复机器人,需要步态评估",
      keywords=["外骨骼"]),
    E("MEMBER_OF", "ent:need", "p:comm"), E("MEMBER_OF", "uni:ta", "p:comm"),
    E("COOPERATES_WITH", "ent:need", "uni:ta", weight=2, first_year=2019, last_year=2021),
    E("LOCATED_IN", "uni:ta", "r:ta"), E("LOCATED_IN", "ent:need", "r:ta"),
    E("HOSTED_BY", "team:exo", "uni:ta"), E("HOSTED_BY", "p:lab", "uni:ta"),
    E("HOSTED_BY", "team:gait", "ent:need"),
    E("OFFERS", "team:exo", "f:rehab", keywords=["外骨骼", "康复机器人"]),
    E("OFFERS", "team:gait", "f:rehab", keywords=["步态分析"]),
    E("IN_FIELD", "team:mat", "f:mat"), E("IN_FIELD", "p:lab", "f:robot"),
    E("IN_FIELD", "tal:li", "f:robot"), E("WORKS_AT", "tal:li", "uni:ta"),
    E("MEMBER_OF", "tal:li", "team:exo"),
    E("IN_FIELD", "prj:1", "f:rehab"), E("IN_FIELD", "prj:2", "f:robot"),
    E("UNDERTAKES", "team:exo", "prj:1"), E("PARTICIPATES_IN", "ent:need", "prj:1"),
    E("PARTICIPATES_IN", "p:lab", "prj:2"),
    E("MENTIONED_IN", "ent:need", "doc:plan"), E("MENTIONED_IN", "team:mat", "doc:plan"),
]


def reference_graph() -> nx.MultiDiGraph:
    """The same data, MATCH_LABELS only, as a networkx graph built without any store."""
    g = nx.MultiDiGraph()
    for n in NODES:
        if n["label"] in MATCH_LABELS:
            rec = node_to_record(parse_node(n))
            g.add_node(rec["uid"], **rec)
    for e in EDGES:
        if e["source"] not in g or e["target"] not in g:
            continue
        rec = edge_to_record(parse_relationship(e))
        g.add_edge(rec["source"], rec["target"], key=rec["uid"])
        g.edges[rec["source"], rec["target"], rec["uid"]].update(rec)
    return g


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    app = create_app(Settings(INNOGRAPH_AUTH=False, INNOGRAPH_ROLE="analyst"), store=store)
    with TestClient(app) as c:
        yield c


def uids(payload: dict[str, Any]) -> list[str]:
    return [r["uid"] for r in payload["results"]]


def expected(**kw: Any) -> dict[str, Any]:
    return to_response(match(reference_graph(), **kw)).model_dump(mode="json")


def test_enterprise_need_ranks_the_rehab_team_first(client: TestClient) -> None:
    r = client.get("/match/enterprise/ent:need")
    assert r.status_code == 200, r.text
    body = r.json()
    # team:gait is the enterprise's own team; team:mat is in 新材料 and only mentions 外骨骼
    assert uids(body)[0] == "team:exo"
    assert "team:gait" not in uids(body)
    assert uids(body).index("team:exo") < uids(body).index("team:mat")
    top = body["results"][0]
    # the need text names 康复机器人 too: fields (1 + 0.5) / 2, the team offering the parent
    assert body["need"]["field_names"] == ["康复医疗装备", "康复机器人"]
    assert body["need"]["inferred_fields"] == ["康复机器人"]
    assert top["components"]["field"] == 0.75
    # two hops (through the shared project) 0.5·0.6 + cooperation 0.3 + community 0.2
    assert top["components"]["proximity"] == 0.8
    assert top["components"]["track_record"] == pytest.approx(1 / 3, abs=1e-4)
    assert "外骨骼" in top["matched_keywords"] and top["shared_fields"] == ["康复医疗装备"]
    # two shortest paths; the one whose first step sorts first by name (下… < 泰…) wins
    assert [s["uid"] for s in top["path"]] == ["ent:need", "prj:1", "team:exo"]
    assert "关键词匹配:" in top["reason"] and "外骨骼" in top["reason"]
    assert "同属领域:康复医疗装备" in top["reason"]
    assert "曾与需求企业合作(共同参与项目1项)" in top["reason"]
    assert "与需求企业同属山东省智慧康养创新创业共同体" in top["reason"]
    assert "近5年参与该领域项目1项" in top["reason"]
    assert body["need"]["enterprise_name"] == "泰安步康医疗科技有限公司"
    lab = next(x for x in body["results"] if x["uid"] == "p:lab")
    assert ("与需求企业的关系路径(2跳):泰安步康医疗科技有限公司—合作—泰山医学院—依托—"
            in lab["reason"])
    assert "省级平台" in lab["reason"]
    uni = next(x for x in body["results"] if x["uid"] == "uni:ta")
    assert "曾与需求企业合作(2019-2021年)" in uni["reason"]
    assert "依托省级平台:山东省康复工程重点实验室" in uni["reason"]


def test_both_backends_rank_like_the_reference(client: TestClient) -> None:
    got = client.get("/match/enterprise/ent:need").json()
    assert got == expected(enterprise="ent:need")
    body = {"text": "需要康复机器人和外骨骼方面的平台与人才", "kinds": ["platform", "talent"],
            "top": 5}
    got = client.post("/match", json=body).json()
    assert got == expected(text=body["text"], kinds=body["kinds"], top=5)
    assert {r["label"] for r in got["results"]} == {"Platform", "Talent"}
    assert got["need"]["inferred_fields"] == ["康复机器人"]


def test_post_match_with_fields_keywords_and_region(client: TestClient) -> None:
    r = client.post("/match", json={"fields": ["康复装备"], "keywords": ["外骨骼"],
                                    "region": "泰安", "top": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    # team:mat is not located anywhere; the others are 泰安 through 泰山医学院
    assert "team:mat" not in uids(body) and len(body["results"]) <= 3
    assert uids(body)[0] == "team:exo"
    assert body["need"]["fields"] == ["f:rehab"]
    assert body == expected(fields=["康复装备"], keywords=["外骨骼"], region="泰安", top=3)


@pytest.mark.parametrize("request_body, fragment", [
    ({"text": "外骨骼", "top": 0}, "top"),
    ({"text": "外骨骼", "top": 101}, "top"),
    ({"text": "外骨骼", "kinds": ["company"]}, "kinds"),
    ({"text": "外骨骼", "colour": "red"}, "colour"),
])
def test_request_validation(client: TestClient, request_body: dict[str, Any],
                            fragment: str) -> None:
    r = client.post("/match", json=request_body)
    assert r.status_code == 422 and fragment in r.text


def test_match_errors(client: TestClient) -> None:
    r = client.get("/match/enterprise/ent:nope")
    assert r.status_code == 404 and "ent:nope" in r.json()["detail"]
    r = client.get("/match/enterprise/ent:none")
    assert r.status_code == 422 and "没有技术需求" in r.json()["detail"]
    r = client.get("/match/enterprise/ent:none", params={"text": "外骨骼"})
    assert r.status_code == 200 and uids(r.json())[0] == "team:exo"
    r = client.get("/match/enterprise/team:exo")
    assert r.status_code == 422 and "不是企业" in r.json()["detail"]
    r = client.post("/match", json={"fields": ["不存在"]})
    assert r.status_code == 422 and "不认识的领域" in r.json()["detail"]
    r = client.post("/match", json={"text": "的"})
    assert r.status_code == 422 and "需求为空" in r.json()["detail"]


def test_the_enterprise_is_given_by_name(client: TestClient) -> None:
    by_uid = client.get("/match/enterprise/ent:need").json()
    by_name = client.get("/match/enterprise/泰安步康医疗科技有限公司").json()
    assert uids(by_name) == uids(by_uid) and by_name["need"]["enterprise"] == "ent:need"
    posted = client.post("/match", json={"enterprise": "泰安步康医疗科技有限公司"}).json()
    assert uids(posted) == uids(by_uid)
    r = client.post("/match", json={"enterprise": "没有这家企业"})
    assert r.status_code == 404 and "没有这家企业" in r.json()["detail"]


def test_openapi_has_chinese_texts_and_an_example(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    post = doc["paths"]["/match"]["post"]
    assert "匹配" in post["description"]
    schema = doc["components"]["schemas"]["MatchRequest"]
    assert schema["examples"][0]["fields"] == ["康复医疗装备"]
    assert "需求描述" in schema["properties"]["text"]["description"]
    assert "名称或标识" in schema["properties"]["enterprise"]["description"]
    assert schema["properties"]["kinds"]["x-labels"]["team"] == "团队"
    get = doc["paths"]["/match/enterprise/{uid}"]["get"]
    assert "NEEDS" in get["description"] and "404" in get["description"]


def kinds_of(results: Sequence[dict[str, Any]]) -> set[str]:
    return {r["label"] for r in results}


def test_kind_query_parameter(client: TestClient) -> None:
    r = client.get("/match/enterprise/ent:need", params=[("kind", "team"), ("kind", "talent")])
    assert r.status_code == 200
    assert kinds_of(r.json()["results"]) <= {"Team", "Talent"}
    assert uids(r.json())[0] == "team:exo"


def test_repeated_requests_reuse_the_cached_graph_and_index(client: TestClient,
                                                           store: GraphStore) -> None:
    body = {"text": "外骨骼"}
    first = client.post("/match", json=body).json()
    cache = client.app.state.graphs  # type: ignore[attr-defined]
    graph = cache.graph(store)
    facts, index = prepare(graph)
    assert client.post("/match", json=body).json() == first
    assert cache.graph(store) is graph and prepare(graph) == (facts, index)
