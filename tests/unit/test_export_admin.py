"""``innograph export --admin-import``: the CSV files read back with neo4j-admin's rules.

The files are parsed here as neo4j-admin reads them (a quoted field is a string,
``""`` included; an empty unquoted field is no value; arrays split on U+001F; an
empty array is dropped) and then as the Neo4j backend reads them (empty fields put
back, a relationship's type and endpoints from the relationship), so the round trip
to the store's records is checked without a server.
``tests/e2e/test_admin_import.py`` runs the real importer.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api import cli_export  # noqa: F401  (registers the command)
from api.cli import app
from graph.backends.embedded import EmbeddedStore
from graph.export_admin import ARRAY_DELIMITER, ExportError, export_admin_import
from graph.store import GraphStore
from schemas.records import EMPTY_EDGE_FIELDS, EMPTY_NODE_FIELDS, with_empty
from tests.contract.fixture import EDGES, NODES

TRICKY_NODES: list[dict[str, Any]] = [
    {"label": "Institute", "uid": "ins:导出测试所", "name": '导出"测试"研究所',
     "aliases": ["导出所", "测试所, 泰安"], "keywords": [],
     "description": '第一行\n第二行，含"引号"和逗号,\r\n第三行 ␟ 结束',
     "attrs": {"级别": "省级", "人数": 12, "比例": 0.25, "在建": True}, "founded_year": 2001,
     "provenance": {"source": "机构名录.csv:12, 复核", "method": "registry",
                    "confidence": 0.75}},
    {"label": "Institute", "uid": "ins:导出乙所", "name": "导出乙所"},
    {"label": "Enterprise", "uid": "ent:导出测试", "name": "导出测试企业有限公司",
     "registered_capital": 12.5, "employees": 0, "tags": ["高新技术企业", "瞪羚企业"]},
    {"label": "Talent", "uid": "tal:导出@测试", "name": "导出测试", "phone": "13900000000",
     "id_number": "370900199001011234"},
    {"label": "Talent", "uid": "tal:无电话@测试", "name": "无电话", "title": ""},
    {"label": "Target", "uid": "tgt:导出研发投入", "name": "研发投入占比", "metric": "研发投入占比",
     "value": 1e-05, "year": 2020, "comparator": ">="},
]
TRICKY_EDGES: list[dict[str, Any]] = [
    {"type": "WORKS_AT", "source": "tal:导出@测试", "target": "ins:导出测试所", "role": "所长",
     "evidence": '他说："欢迎"\n下一句', "weight": 0.5, "year": 2020, "start": 0, "end": 7,
     "key": "k1", "attrs": {"来源": "测试"}},
    {"type": "COOPERATES_WITH", "source": "ins:导出乙所", "target": "ent:导出测试",
     "first_year": 2019, "last_year": 2021},
]


def add_tricky(store: GraphStore) -> None:
    """Records that test the CSV: quotes, commas, CR/LF, empty strings and lists, None
    fields, attrs, tiny floats, and one merge (a ``_Merge`` node)."""
    store.upsert_nodes(nodes=TRICKY_NODES)
    store.upsert_edges(edges=TRICKY_EDGES)
    store.merge_nodes(keep="ins:导出测试所", merge=["ins:导出乙所"], reason="导出测试",
                      rule="manual")


_FIELD = re.compile(r'"((?:[^"]|"")*)"|([^,"\n]*)')


def read_admin_csv(path: Path) -> tuple[list[str], list[list[str | None]]]:
    """Header and rows as neo4j-admin sees them: None where a field is empty and unquoted."""
    text = path.read_bytes().decode("utf-8")  # keep CR LF inside values as written
    rows: list[list[str | None]] = []
    row: list[str | None] = []
    pos = 0
    while pos < len(text):
        m = _FIELD.match(text, pos)
        assert m is not None
        quoted, bare = m.group(1), m.group(2)
        row.append(quoted.replace('""', '"') if quoted is not None else (bare or None))
        pos = m.end()
        sep, pos = text[pos], pos + 1
        assert sep in ",\n", f"{path.name}: unexpected {sep!r} at {pos}"
        if sep == "\n":
            rows.append(row)
            row = []
    header = [c or "" for c in rows[0]]
    return header, rows[1:]


def _typed(value: str | None, kind: str) -> Any:
    if value is None:
        return None
    if kind == "string[]":
        return value.split(ARRAY_DELIMITER) if value else None  # the importer drops []
    return {"long": int, "double": float, "boolean": lambda v: v == "true"}.get(
        kind, str)(value)


def imported(out: Path) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]],
                                 list[dict[str, Any]]]:
    """Node and relationship records (by uid) and merge nodes as the Neo4j backend reads
    them after the import and after-import.cypher: the empty fields the export leaves
    out put back, a relationship's type and endpoints from the relationship itself."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[str, dict[str, Any]] = {}
    merges: list[dict[str, Any]] = []
    for f in manifest["files"]:
        header, rows = read_admin_csv(out / f["file"])
        for row in rows:
            assert len(row) == len(header), f["file"]
            props: dict[str, Any] = {}
            meta: dict[str, Any] = {}
            for col, value in zip(header, row, strict=True):
                name, _, kind = col.partition(":")
                if not name:
                    meta[kind] = value
                elif kind == "ID":
                    props[name] = value
                elif (v := _typed(value, kind)) is not None:
                    props[name] = v
            for prop in f["empty_lists"]:  # what after-import.cypher does
                props.setdefault(prop, [])
            empties = EMPTY_EDGE_FIELDS if f["kind"] == "relationships" else \
                EMPTY_NODE_FIELDS.get(f["entity"], {})
            with_empty(props, empties)  # what the backend's reads do
            if f["entity"] == "_Merge":
                assert meta == {"LABEL": "_Merge"}
                merges.append(props)
            elif f["kind"] == "nodes":
                assert meta == {"LABEL": f"Node{ARRAY_DELIMITER}{f['entity']}"}
                nodes[props["uid"]] = props
            else:
                assert {"type", "source", "target"}.isdisjoint(props)
                assert meta["TYPE"] == f["entity"]
                props.update(type=meta["TYPE"], source=meta["START_ID"],
                             target=meta["END_ID"])
                edges[props["uid"]] = props
    return nodes, edges, merges


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    s = EmbeddedStore(tmp_path / "store")
    s.open()
    s.upsert_nodes(nodes=NODES)
    s.upsert_edges(edges=EDGES)
    add_tricky(s)
    return s


def _all(store: GraphStore) -> tuple[dict[str, Any], dict[str, Any]]:
    g = store.subgraph()
    return dict(g.nodes(data=True)), {k: d for *_, k, d in g.edges(keys=True, data=True)}


def test_round_trip_gives_the_store_records(store: EmbeddedStore, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    result = export_admin_import(store, out)
    nodes, edges, merges = imported(out)
    want_nodes, want_edges = _all(store)
    assert nodes == want_nodes
    assert edges == want_edges
    assert [json.loads(m["json"]) for m in merges] == \
        [m.model_dump(mode="json") for m in store.merge_history()]
    assert result.nodes == store.stats().nodes
    assert result.relationships == store.stats().relationships
    assert result.merges == 1

    header = (out / "nodes_Enterprise.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("uid:ID,:LABEL,name:string,aliases:string[],")
    for col in ("registered_capital:double", "employees:long", "founded_year:long",
                "prov_synthetic:boolean", "tags:string[]", "credit_code:string"):
        assert col in header.split(",")
    script = (out / "import.sh").read_text(encoding="utf-8")
    assert "database import full" in script and "--array-delimiter=U+001F" in script
    assert "--multiline-fields=true" in script  # the description and evidence span lines
    assert "--nodes=merges.csv" in script and "--relationships=rels_WORKS_AT.csv" in script
    # empty lists are fields left out as empty (the backend's reads put them back):
    # nothing to restore after the import
    assert not result.fixup and not (out / "after-import.cypher").exists()
    assert "cypher-shell" not in script


def test_empty_string_and_missing_value_differ(store: EmbeddedStore, tmp_path: Path) -> None:
    export_admin_import(store, tmp_path / "csv")
    header, rows = read_admin_csv(tmp_path / "csv" / "nodes_Talent.csv")
    row = dict(zip(header, next(r for r in rows if r[0] == "tal:无电话@测试"), strict=True))
    assert row["prov_source:string"] == ""  # stored as an empty string
    assert row["phone:string"] is None  # not stored at all
    assert row["title:string"] is None  # an empty field: left out, read back as ""


def test_without_privilege_personal_data_stays_out(store: EmbeddedStore,
                                                   tmp_path: Path) -> None:
    export_admin_import(store, tmp_path / "csv", include_sensitive=False)
    text = (tmp_path / "csv" / "nodes_Talent.csv").read_text(encoding="utf-8")
    assert "phone" not in text and "13900000000" not in text and "370900199001011234" not in text
    nodes, _, _ = imported(tmp_path / "csv")
    assert nodes["tal:导出@测试"]["name"] == "导出测试"


def test_values_the_csv_cannot_carry_stop_the_export(store: EmbeddedStore,
                                                     tmp_path: Path) -> None:
    rec = dict(store.read_nodes(uids=["ent:导出测试"])["ent:导出测试"])
    store.commit(put_nodes=[{**rec, "registered_capital": 12}])  # int in a double column
    with pytest.raises(ExportError, match="registered_capital"):
        export_admin_import(store, tmp_path / "a")
    store.commit(put_nodes=[{**rec, "tags": ["甲\x1f乙"]}])
    with pytest.raises(ExportError, match="tags"):
        export_admin_import(store, tmp_path / "b", overwrite=True)
    store.commit(put_nodes=[{**rec, "nickname": "x"}])
    with pytest.raises(ExportError, match="nickname"):
        export_admin_import(store, tmp_path / "c")


def test_a_store_without_scans_is_read_through_subgraph(store: EmbeddedStore,
                                                        tmp_path: Path) -> None:
    class SubgraphOnly:  # the GraphStore methods the exporter falls back to
        def __init__(self, inner: EmbeddedStore) -> None:
            self.subgraph, self.merge_history = inner.subgraph, inner.merge_history

    export_admin_import(SubgraphOnly(store), tmp_path / "csv")  # type: ignore[arg-type]
    nodes, edges, _ = imported(tmp_path / "csv")
    assert (nodes, edges) == _all(store)


def test_cli_refuses_a_used_folder_and_overwrites_its_own(store: EmbeddedStore, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    store.close()
    monkeypatch.setenv("INNOGRAPH_HOME", str(tmp_path))
    monkeypatch.setenv("INNOGRAPH_STORE", "embedded")
    monkeypatch.setenv("INNOGRAPH_ROLE", "analyst")
    runner = CliRunner()
    out = tmp_path / "csv"

    result = runner.invoke(app, ["export"])
    assert result.exit_code == 2 and "--admin-import" in result.stderr
    result = runner.invoke(app, ["export", "--admin-import", str(out)])
    assert result.exit_code == 0, result.output
    assert "个节点" in result.stdout and "未导出人才的电话" in result.stdout
    assert "phone" not in (out / "nodes_Talent.csv").read_text(encoding="utf-8")

    result = runner.invoke(app, ["export", "--admin-import", str(out)])
    assert result.exit_code == 1 and "不是空的" in result.stderr
    monkeypatch.setenv("INNOGRAPH_ROLE", "admin")
    result = runner.invoke(app, ["export", "--admin-import", str(out), "--overwrite"])
    assert result.exit_code == 0 and "未导出" not in result.stdout
    assert "13900000000" in (out / "nodes_Talent.csv").read_text(encoding="utf-8")

    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = runner.invoke(app, ["export", "--admin-import", str(out), "--overwrite"])
    assert result.exit_code == 1 and "notes.txt" in result.stderr
    assert (out / "notes.txt").exists() and (out / "import.sh").exists()
