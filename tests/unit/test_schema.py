"""The ontology: JSON Schema export, name normalisation, validation messages."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.cli import app
from schemas import LABELS, REL_TYPE_NAMES, SchemaError, normalize_name, parse_node
from schemas.records import node_from_record, node_to_record
from schemas.relationships import REL_TYPES


def test_schema_json_lists_every_label_and_type() -> None:
    result = CliRunner().invoke(app, ["schema", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    for label in LABELS:
        assert doc["$defs"][label]["properties"]["label"] == {"const": label}
    assert doc["$defs"]["Relationship"]["properties"]["type"]["enum"] == list(REL_TYPE_NAMES)
    assert set(doc["x-relationship-types"]) == set(REL_TYPES)
    assert doc["$defs"]["Talent"]["properties"]["phone"].get("sensitive") is True


@pytest.mark.parametrize("a, b", [
    ("泰安市产业技术创新研究院（山东产业技术研究院泰安分院）",
     "泰安市产业技术创新研究院(山东产业技术研究院泰安分院)"),
    ("山東農業大學", "山东农业大学"),
    ("中国石油大学（华东）", "中国石油大学 (华东)"),
    ("ＡＢＣ医疗科技有限公司", "abc医疗科技有限公司"),
])
def test_normalisation_equates_variants(a: str, b: str) -> None:
    assert normalize_name(a) == normalize_name(b)


def test_normalisation_keeps_different_names_apart() -> None:
    assert normalize_name("泰山学院") != normalize_name("泰山科技学院")
    assert normalize_name("山东农业大学") != normalize_name("山东农业工程学院")


def test_error_names_record_and_field() -> None:
    with pytest.raises(SchemaError) as info:
        parse_node({"label": "Target", "uid": "tgt:1", "name": "新增高企", "value": "很多",
                    "metric": "高新技术企业"})
    assert info.value.record == "tgt:1" and info.value.field == "value"


def test_record_round_trip_every_label() -> None:
    samples = {"Target": {"metric": "高新技术企业", "value": 25}}
    for label in LABELS:
        node = parse_node({"label": label, "uid": f"x:{label}", "name": f"名称{label}",
                           "aliases": ["别名"], "attrs": {"列": 1},
                           **samples.get(label, {})})
        rec = node_to_record(node)
        assert all(not isinstance(v, dict) for v in rec.values())
        assert node_from_record(rec) == node
