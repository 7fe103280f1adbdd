"""Mapping files are checked against the ontology before any row is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import MappingError
from ingest.mapping import load_mapping
from ingest.pipeline import discover
from tests.unit.test_ingest_support import REGISTRY, registry_copy

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def mapping(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "x.csv.mapping.yaml"
    f.write_text(text, encoding="utf-8")
    return f


@pytest.mark.parametrize("text,key,reason", [
    ("label: Company\nname: 名称\n", "label", "不认识的主体类别 'Company'"),
    ("label: Enterprise\n", "name", "需要 'name'"),
    ("label: Enterprise\nname: a\nfields: {moe_code: b}\n", "fields.moe_code",
     "有字段 'moe_code'"),
    ("label: Enterprise\nname: a\nfields: {uid: b}\n", "fields.uid", "由装载程序设置"),
    ("label: Enterprise\nname: a\nrelationships: [{type: KNOWS, column: b}]\n",
     "relationships[0].type", "不认识的关系类型 'KNOWS'"),
    ("label: Enterprise\nname: a\nrelationships: [{type: HOSTED_BY, column: b, "
     "label: University}]\n", "relationships[0].type", "HOSTED_BY 关系不能从 Enterprise"),
    ("label: Field\nname: a\nrelationships: [{type: SUBFIELD_OF, column: b, label: [Field, "
     "Region], create_missing: true}]\n", "relationships[0].to.create_label",
     "create_missing 需要"),
    ("label: Enterprise\nname: a\ncolour: red\n", "colour", "不认识的字段"),
    ("label: Enterprise\nname: a\nfields: {founded_year: {column: b, type: date}}\n",
     "fields.founded_year.type", "取值应为"),
    ("label: Enterprise\nname: a\nrelationships:\n  - type: IN_FIELD\n    column: b\n"
     "    label: Field\n    properties: {colour: c}\n", "relationships[0].properties.colour",
     "没有属性 'colour'"),
    ("label: Enterprise\nname: a\nsynthetic_column: {column: b, synthetic_values: [合成],\n"
     "  real_values: [公开, ' 合成 ']}\n", "synthetic_column",
     "同时列为合成和真实:合成"),
    ("label: Enterprise\nname: a\nsynthetic_column: {column: b, real_values: []}\n",
     "synthetic_column.real_values", "至少要有 1 项"),
    ("label: Enterprise\nname: a\nsynthetic_column: {column: b, real_values: ['']}\n",
     "synthetic_column", "不能为空"),
    ("label: Enterprise\nname: a\nsynthetic_column: {values: [x]}\n",
     "synthetic_column.column", "缺少必填项"),
    ("kind: participation\nsynthetic_column: 数据性质\n", "synthetic_column",
     "文件级的 'synthetic'"),
])
def test_bad_mappings_name_the_file_and_the_key(tmp_path: Path, text: str, key: str,
                                                reason: str) -> None:
    with pytest.raises(MappingError) as err:
        load_mapping(mapping(tmp_path, text))
    assert err.value.column == key, str(err.value)
    assert reason in str(err.value) and "x.csv.mapping.yaml" in str(err.value)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(MappingError) as err:
        load_mapping(mapping(tmp_path, "label: Enterprise\nname: [a\n"))
    assert err.value.line is not None and "YAML 格式错误" in str(err.value)


def test_tables_inherit_top_level_keys() -> None:
    tables = load_mapping(REGISTRY / "platforms.xlsx.mapping.yaml")
    assert [t.sheet for t in tables] == ["平台", "研究团队"]
    assert all(t.synthetic and t.order == 40 for t in tables)


def test_synthetic_column_shorthand_and_defaults(tmp_path: Path) -> None:
    (table,) = load_mapping(mapping(tmp_path, "label: Enterprise\nname: a\n"
                                              "synthetic_column: 数据性质\n"))
    spec = table.synthetic_column
    assert spec is not None and spec.column == "数据性质"
    assert (spec.flag("合成"), spec.flag(" Synthetic "), spec.flag("公开"), spec.flag("真实"),
            spec.flag("ＲＥＡＬ"), spec.flag("")) == (True, True, False, False, False, None)
    with pytest.raises(ValueError, match="不认识的来源标记 '未知'"):
        spec.flag("未知")
    assert "数据性质" in table.referenced_columns()  # not reported as an unmapped column


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="no sample data")
def test_sample_mappings_take_provenance_per_row_except_participation() -> None:
    for job in discover([SAMPLE])[0]:
        m = job.mapping
        if m.kind == "participation":
            assert m.synthetic_column is None and m.synthetic
        else:
            assert m.synthetic_column is not None and m.synthetic_column.column == "数据性质"
            assert m.synthetic, job.path.name  # a row that does not say is synthetic


def test_directory_order_follows_the_mappings(tmp_path: Path) -> None:
    d = registry_copy(tmp_path)
    (d / "notes.txt").write_text("not data", encoding="utf-8")
    jobs, skipped = discover([d])
    assert [j.path.name for j in jobs] == ["orgs.csv", "enterprises.csv", "platforms.xlsx",
                                           "platforms.xlsx", "talents.json", "memberships.csv",
                                           "projects.csv", "participation.csv"]
    assert len(skipped) == 1 and "notes.txt" in skipped[0]


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="no sample data")
def test_every_sample_file_has_a_valid_mapping() -> None:
    jobs, skipped = discover([SAMPLE])
    assert skipped == []
    names = [j.path.name for j in jobs]
    assert names == ["机构名录.csv", "领域.csv", "高新技术企业名单.csv", "创新平台名录.xlsx",
                     "创新平台名录.xlsx", "人才名单.json", "共同体成员.csv", "项目名录.csv",
                     "项目参与.csv", "规划目标.csv"]
