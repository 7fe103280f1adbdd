"""The /gaps routes on each backend: hand-computed tables, paging, bounds and downloads."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from graph.analytics.gaps import community_id
from graph.settings import Settings
from graph.store import GraphStore

ENTS = ["ent:1", "ent:2", "ent:3", "ent:4"]
RESEARCH = [("ins:1", "Institute"), ("tal:1", "Talent"), ("team:1", "Team"),
            ("uni:1", "University")]
GOVS = ["gov:x", "gov:y", "gov:z"]


def _clique(uids: list[str]) -> list[dict[str, Any]]:
    return [{"type": "COOPERATES_WITH", "source": a, "target": b}
            for i, a in enumerate(uids) for b in uids[i + 1:]]


# Enterprises (three with needs, one 高企) and research actors form two cliques that
# only gov:x joins; the platform is hosted by the university and has no enterprise user.
NODES: list[dict[str, Any]] = [
    {"label": "Field", "uid": "fld:rehab", "name": "康复医疗装备"},
    *({"label": "Enterprise", "uid": u, "name": f"企业{u[-1]}"} for u in ENTS[:3]),
    {"label": "Enterprise", "uid": "ent:4", "name": "企业4", "tags": ["高新技术企业"]},
    *({"label": label, "uid": u, "name": u} for u, label in RESEARCH),
    *({"label": "Government", "uid": u, "name": u} for u in GOVS),
    {"label": "Platform", "uid": "plt:lab", "name": "康复工程重点实验室",
     "platform_type": "重点实验室", "level": "省"},
    {"label": "Target", "uid": "tgt:ht", "name": "高新技术企业", "metric": "高新技术企业",
     "value": 1, "unit": "家", "comparator": ">="},
    {"label": "Target", "uid": "tgt:rd", "name": "研发投入强度",
     "metric": "全市研究与试验发展经费投入强度", "value": 2.2, "unit": "%", "comparator": "=",
     "year": 2020},
]
EDGES: list[dict[str, Any]] = [
    *({"type": "NEEDS", "source": u, "target": "fld:rehab"} for u in ENTS[:3]),
    {"type": "IN_FIELD", "source": "ent:4", "target": "fld:rehab"},
    {"type": "OFFERS", "source": "uni:1", "target": "fld:rehab"},
    {"type": "IN_FIELD", "source": "team:1", "target": "fld:rehab"},
    *_clique(ENTS), *_clique([u for u, _ in RESEARCH]), *_clique(GOVS),
    {"type": "COOPERATES_WITH", "source": "gov:x", "target": "ent:1"},
    {"type": "COOPERATES_WITH", "source": "gov:x", "target": "uni:1"},
    {"type": "HOSTED_BY", "source": "plt:lab", "target": "uni:1"},
]


def gaps_app(store: GraphStore) -> FastAPI:
    """The app, whose factory includes the gaps router."""
    return create_app(Settings(INNOGRAPH_AUTH=False), store=store)


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    with TestClient(gaps_app(store)) as c:
        yield c


def test_fields(client: TestClient) -> None:
    r = client.get("/gaps/fields")
    assert r.status_code == 200 and r.headers["x-total-count"] == "1"
    [row] = r.json()
    # D = 4 firms (3 needs + 1 in the field), S = {uni:1, team:1}, no link: 4 * 4/6
    assert {k: row[k] for k in ("field", "demand", "needs", "supply", "links", "coverage",
                                "supply_ratio", "gap_score")} == {
        "field": "康复医疗装备", "demand": 4, "needs": 3, "supply": 2, "links": 0,
        "coverage": 0.0, "supply_ratio": 1.3333, "gap_score": 2.6667}


def test_isolated_kinds_and_paging(client: TestClient) -> None:
    rows = client.get("/gaps/isolated").json()
    assert [(r["kind"], r["uid"]) for r in rows] == [
        ("enterprise_no_partner", "ent:1"), ("enterprise_no_partner", "ent:2"),
        ("enterprise_no_partner", "ent:3"), ("platform_no_enterprise", "plt:lab"),
        ("team_no_enterprise", "team:1"), ("high_tech_no_university", "ent:4")]
    r = client.get("/gaps/isolated", params={"kind": "enterprise_no_partner", "offset": 1,
                                             "limit": 1})
    assert [x["name"] for x in r.json()] == ["企业2"] and r.headers["x-total-count"] == "3"
    two = client.get("/gaps/isolated", params=[("kind", "team_no_enterprise"),
                                                ("kind", "platform_no_enterprise")]).json()
    assert [x["uid"] for x in two] == ["plt:lab", "team:1"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 10_001}, {"offset": -1},
                                    {"kind": "lonely"}, {"format": "pdf"}])
def test_bad_parameters_are_422(client: TestClient, params: dict[str, Any]) -> None:
    assert client.get("/gaps/isolated", params=params).status_code == 422


def test_holes_and_communities(client: TestClient) -> None:
    comms = client.get("/gaps/communities").json()
    assert [(c["community"], c["size"], c["demand"], c["supply"], c["kind"]) for c in comms] \
        == [(community_id("ent:1"), 4, 3, 0, "需求型"), (community_id("ins:1"), 4, 0, 4, "供给型"),
            (community_id("gov:x"), 3, 0, 0, "均衡")]
    [hole] = client.get("/gaps/holes").json()
    assert (hole["demand_community"], hole["supply_community"], hole["bridges"],
            hole["hole_score"], hole["broker_uids"], hole["broker_edges"]) == (
        community_id("ent:1"), community_id("ins:1"), 0, 12.0, ["gov:x"], [2])
    assert client.get("/gaps/holes", params={"resolution": 0}).status_code == 422


def test_definitions_and_isolated_summary(client: TestClient) -> None:
    defs = client.get("/gaps/definitions").json()
    assert set(defs) == {"fields", "isolated", "communities", "holes", "targets", "platforms",
                         "tiers", "alliances"}
    fields = {d["key"]: d for d in defs["fields"]}
    assert fields["needs"]["name"] == "需求数" and "少于需求主体数" in fields["needs"]["definition"]
    isolated = client.get("/gaps/isolated").json()
    summary = client.get("/gaps/isolated/summary").json()
    assert sum(r["count"] for r in summary if r["field"] == "(合计)") == len(isolated)
    r = client.get("/gaps/fields", params={"format": "xlsx"})
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["fields", "说明"]


def test_targets(client: TestClient) -> None:
    rows = client.get("/gaps/targets").json()
    assert [(r["target_uid"], r["actual"], r["status"], r["rule"]) for r in rows] == [
        ("tgt:ht", 1, "达成", "high_tech"), ("tgt:rd", None, "无法统计", "rd_intensity")]
    assert rows[0]["query"] == "Enterprise where tags ∋ 高新技术企业 (rule high_tech)"


def test_downloads_have_chinese_headers(client: TestClient) -> None:
    r = client.get("/gaps/fields", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff领域,领域标识,上级领域,需求主体数")
    assert "康复医疗装备" in text.splitlines()[1]
    x = client.get("/gaps/targets", params={"format": "xlsx", "limit": 1})
    assert "gaps-targets.xlsx" in x.headers["content-disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("指标", "目标值") and len(rows) == 2 and rows[1][0] == "高新技术企业"


def test_openapi_describes_routes_in_chinese(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "领域供需缺口" in paths["/gaps/fields"]["get"]["description"]
    assert {"/gaps/isolated", "/gaps/holes", "/gaps/targets"} <= set(paths)
