"""The explorer's routes over HTTP (every backend) and the ``innograph viz`` commands."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from api import cli_viz  # noqa: F401  (registers the commands)
from api.app import create_app
from api.cli import app as cli_app
from graph.settings import Settings
from graph.store import GraphStore
from graph.viz.offline import external_references
from tests.contract.fixture import EDGES, NODES


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    app = create_app(Settings(INNOGRAPH_AUTH=False, INNOGRAPH_ROLE="analyst"), store=store)
    with TestClient(app) as c:
        yield c


def test_explorer_page_and_assets_are_local(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "泰安创新主体知识图谱" in page.text
    assert external_references(page.text) == []
    for asset in ("explorer.js", "explorer.css", "vendor/vis-network.min.js",
                  "vendor/vis-network.css"):
        r = client.get(f"/static/{asset}")
        assert r.status_code == 200 and len(r.content) > 1000, asset
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/%2e%2e/app.py").status_code == 404


def test_view_formats(client: TestClient) -> None:
    data = client.get("/viz/ego.json", params={"uid": "ent:a", "depth": 2}).json()
    assert data["center"] == "ent:a" and data["stats"]["nodes"] == 9
    html = client.get("/viz/ego.html", params={"uid": "ent:a"})
    assert html.headers["content-type"].startswith("text/html")
    assert external_references(html.text) == []
    graphml = client.get("/viz/ego.graphml", params={"uid": "ent:a"})
    assert "attachment" in graphml.headers["content-disposition"]
    g = nx.read_graphml(io.BytesIO(graphml.content))
    assert g.nodes["ent:a"]["kind"] == "Enterprise"
    rows = list(csv.DictReader(io.StringIO(
        client.get("/viz/ego.csv", params={"uid": "ent:a", "table": "edges"})
        .content.decode("utf-8-sig"))))
    assert {r["type_zh"] for r in rows} >= {"合作", "成员"}
    assert client.get("/viz/ego.csv", params={"uid": "ent:a", "table": "x"}).status_code == 422
    assert client.get("/viz/ego.json", params={"uid": "nope"}).status_code == 404


def test_path_gap_recommend_community_and_export(client: TestClient) -> None:
    path = client.get("/viz/path.json", params={"source": "plt:lab", "target": "ent:a"}).json()
    assert path["title"].endswith("的关系路径") and path["notes"][0].startswith("路径 1")
    gap = client.get("/viz/gap.json", params={"field": "康复医疗装备"}).json()
    assert any(e["type"] == "MISSING" for e in gap["edges"])
    rec = client.get("/viz/recommend.json", params={"uid": "ent:b"}).json()
    assert rec["center"] == "ent:b"
    assert client.get("/viz/recommend.json", params={"uid": "fld:rehab"}).status_code == 422
    com = client.get("/viz/community.json", params={"platform": "plt:community"}).json()
    assert com["title"].startswith("山东省智慧康养创新创业共同体")
    whole = client.get("/viz/community.json").json()
    assert whole["stats"]["nodes"] == len(NODES)
    gexf = client.get("/export/subgraph.gexf", params={"uid": ["ent:a", "ent:b"]})
    back = nx.read_gexf(io.BytesIO(gexf.content))
    assert {"ent:a", "ent:b", "team:r"} <= set(back.nodes)
    xlsx = client.get("/export/subgraph.xlsx", params={"uid": "ent:a"})
    book = load_workbook(io.BytesIO(xlsx.content))
    ws = book["节点"]
    assert ws["A1"].value == "名称" and ws["D1"].value == "标识"
    assert "ent:a" in {ws.cell(row=i, column=4).value for i in range(2, ws.max_row + 1)}


def test_styles_for_the_page(client: TestClient) -> None:
    styles = client.get("/viz/styles.json").json()
    assert styles["kinds"]["Enterprise"]["zh"] == "企业"
    assert styles["relationships"]["COOPERATES_WITH"]["zh"] == "合作"


@pytest.fixture
def home(fixture_home: Path) -> Path:
    return fixture_home


@pytest.mark.parametrize("suffix", [".html", ".json", ".graphml", ".gexf", ".csv", ".xlsx"])
def test_cli_writes_every_format(home: Path, suffix: str) -> None:
    out = home / f"view{suffix}"
    result = CliRunner().invoke(cli_app, ["viz", "ego", "山农大", "--depth", "2", "--out",
                                          str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 100
    if suffix == ".json":
        assert json.loads(out.read_text())["center"] == "uni:4137010434"
    if suffix == ".html":
        assert external_references(out.read_text(encoding="utf-8")) == []


def test_cli_views_and_errors(home: Path) -> None:
    runner = CliRunner()
    for args in (["path", "山农大", "康复机器人创新团队"], ["gap", "康复医疗装备"],
                 ["recommend", "泰安智慧养老科技有限公司"], ["community"],
                 ["community", "山东省智慧康养创新创业共同体", "--detect"],
                 ["subgraph", "山农大", "张三"]):
        out = home / f"{args[0]}.html"
        result = runner.invoke(cli_app, ["viz", *args, "--out", str(out)])
        assert result.exit_code == 0, (args, result.output)
    paths = home / "paths.csv"
    assert runner.invoke(cli_app, ["viz", "path", "山农大", "康复机器人创新团队", "--out",
                                   str(paths), "--table", "paths"]).exit_code == 0
    told = paths.read_text(encoding="utf-8-sig")
    assert "山东农业大学与泰安康养医疗器械有限公司有合作（2017—2020年）" in told
    assert "属于康复医疗装备领域" not in told  # no default path through a field
    bad = runner.invoke(cli_app, ["viz", "ego", "山农大", "--out", str(home / "x.pdf")])
    assert bad.exit_code == 1 and "不支持的输出格式" in bad.output


def test_a_view_downloads_as_one_workbook_with_linked_sheets(client: TestClient) -> None:
    import io

    from openpyxl import load_workbook

    r = client.get("/viz/ego.xlsx", params={"uid": "ent:a", "depth": 2})
    assert r.status_code == 200, r.text
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[:2] == ["节点", "关系"] and wb.sheetnames[-1] == "说明"
    nodes, rels = wb["节点"], wb["关系"]
    assert [c.value for c in nodes[1]][:3] == ["名称", "类别", "在视图中的角色"]
    assert nodes.freeze_panes == "A2" and rels.freeze_panes == "A2"
    assert nodes.column_dimensions["A"].width > 6
    names = {nodes.cell(row=i, column=1).value: i for i in range(2, nodes.max_row + 1)}
    assert rels.max_row > 1
    for row in range(2, rels.max_row + 1):
        start = rels.cell(row=row, column=1)
        assert start.hyperlink is not None
        linked_row = int(str(start.hyperlink.location or start.hyperlink.target).rsplit("A", 1)[1])
        assert nodes.cell(row=linked_row, column=1).value == start.value
        assert start.value in names
    only_edges = client.get("/viz/ego.xlsx", params={"uid": "ent:a", "table": "edges"})
    assert load_workbook(io.BytesIO(only_edges.content)).sheetnames == ["结果"]
