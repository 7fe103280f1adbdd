"""Per-row provenance (``synthetic_column``): a file mixing real and synthetic rows gives
each node and relationship the right ``provenance.synthetic``, and a real fact wins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.backends.embedded import EmbeddedStore
from ingest.errors import MissingColumnError
from ingest.pipeline import run_ingest
from schemas.records import content

MAPPING = """\
order: {order}
synthetic: true          # a row that leaves 数据性质 blank is synthetic
synthetic_column: {{column: 数据性质, synthetic_values: [合成, synthetic],
                    real_values: [公开, 真实, real]}}
required: [机构名称, 机构类型]
name: 机构名称
label_column: 机构类型
labels: {{科研院所: Institute, 医院: Hospital, 政府部门: Government}}
relationships:
  - type: BRANCH_OF
    column: 上级单位
    label: [Government, Institute, University, Hospital]
    create_missing: true
    create_label: auto
    create_fallback: Institute
"""

HEADER = "机构名称,机构类型,上级单位,数据性质\n"
MIXED = HEADER + """\
泰安市科学技术局,政府部门,泰安市人民政府,公开
泰安某某研究所,科研院所,泰安市科学技术局,合成
泰安某医院,医院,,
泰安康复研究所,科研院所,山东农业大学,ＳＹＮＴＨＥＴＩＣ
泰安坏值研究所,科研院所,泰安市科学技术局,未知
泰安双报研究所,科研院所,泰安市科学技术局,real
泰安双报研究所,科研院所,泰安市科学技术局,合成
泰安合成研究中心,科研院所,泰安新建研究中心,合成
"""
# the same bodies in a second registry, which knows two of them to be real
LATER = HEADER + """\
泰安某某研究所,科研院所,泰安市科学技术局,公开
泰安某医院,医院,,合成
泰安市科学技术局,政府部门,泰安市人民政府,合成
"""


def write(folder: Path, name: str, text: str, order: int = 10) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    (folder / f"{name}.mapping.yaml").write_text(MAPPING.format(order=order), encoding="utf-8")
    return folder / name


@pytest.fixture
def emb(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "store")
    store.open()
    yield store
    store.close()


def node_flag(store: EmbeddedStore, uid: str) -> bool:
    return store.get_node(uid=uid).provenance.synthetic


def branch_flag(store: EmbeddedStore, source: str) -> bool:
    (edge,) = store.get_edges(source=source, rel_types=["BRANCH_OF"])
    return edge.provenance.synthetic


def contents(store: EmbeddedStore) -> tuple[dict[str, Any], dict[str, Any]]:
    g = store.subgraph()
    return ({u: content(d) for u, d in g.nodes(data=True)},
            {k: content(d) for _, _, k, d in g.edges(keys=True, data=True)})


def test_each_row_flags_its_node_its_relationships_and_what_it_creates(
        emb: EmbeddedStore, tmp_path: Path) -> None:
    rep = run_ingest(emb, [write(tmp_path / "reg", "orgs.csv", MIXED)])
    assert (rep.rows_read, rep.accepted) == (8, 7)
    # a real row: its node, its relationship and the parent it names are real
    assert not node_flag(emb, "gov:泰安市科学技术局")
    assert not branch_flag(emb, "gov:泰安市科学技术局")
    assert not node_flag(emb, "gov:泰安市人民政府")
    # a synthetic row: node and relationship synthetic, the real parent untouched
    assert node_flag(emb, "ins:泰安某某研究所") and branch_flag(emb, "ins:泰安某某研究所")
    # a blank cell falls back to the file-level flag (true here)
    assert node_flag(emb, "hos:泰安某医院")
    # values are compared width- and case-insensitively
    assert node_flag(emb, "ins:泰安康复研究所") and branch_flag(emb, "ins:泰安康复研究所")
    # a node known from the MoE list holds only public facts, whoever named it
    uni = emb.get_node(uid="uni:4137010434")
    assert uni.provenance.method == "gazetteer" and not uni.provenance.synthetic
    # a node created for an unknown name is as synthetic as the row naming it
    assert node_flag(emb, "ins:泰安新建研究中心")


def test_an_unknown_value_rejects_the_row_naming_file_line_and_column(
        emb: EmbeddedStore, tmp_path: Path) -> None:
    rep = run_ingest(emb, [write(tmp_path / "reg", "orgs.csv", MIXED)])
    (bad,) = rep.rejected
    assert Path(bad.file).name == "orgs.csv" and bad.line == 6
    assert bad.column == "数据性质" and "不认识的来源标记 '未知'" in bad.reason
    assert "公开" in bad.reason and "合成" in bad.reason  # says what it accepts
    assert not emb.find_records(name="泰安坏值研究所")


def test_rows_of_one_file_merge_real_wins(emb: EmbeddedStore, tmp_path: Path) -> None:
    run_ingest(emb, [write(tmp_path / "reg", "orgs.csv", MIXED)])
    # 泰安双报研究所 is listed twice, real then 合成: one node, one relationship, both real
    node = emb.get_node(uid="ins:泰安双报研究所")
    assert not node.provenance.synthetic
    assert node.provenance.source == "orgs.csv:7; orgs.csv:8"
    assert not branch_flag(emb, "ins:泰安双报研究所")


@pytest.mark.parametrize("order", ["mixed first", "later first"])
def test_files_and_runs_merge_real_wins(emb: EmbeddedStore, tmp_path: Path,
                                        order: str) -> None:
    mixed = write(tmp_path / "reg", "orgs.csv", MIXED, order=10)
    later = write(tmp_path / "reg", "later.csv", LATER, order=20)
    for path in ([mixed, later] if order == "mixed first" else [later, mixed]):
        run_ingest(emb, [path])
    # synthetic in one file, real in the other: real, whichever came first
    for uid in ("ins:泰安某某研究所", "gov:泰安市科学技术局"):
        assert not node_flag(emb, uid) and not branch_flag(emb, uid), uid
    # synthetic in both: synthetic
    assert node_flag(emb, "hos:泰安某医院")
    # running a file again, which calls a node synthetic, leaves the real node real
    before = contents(emb)
    again = run_ingest(emb, [mixed])
    assert (again.created, again.updated) == (0, 0) and contents(emb) == before


def test_one_run_over_both_files_gives_the_graph_of_two_runs(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    mixed = write(folder, "orgs.csv", MIXED, order=10)
    later = write(folder, "later.csv", LATER, order=20)
    one = EmbeddedStore(None)
    one.open()
    run_ingest(one, [folder])
    two = EmbeddedStore(None)
    two.open()
    run_ingest(two, [mixed])
    run_ingest(two, [later])
    assert contents(one) == contents(two)


def test_a_missing_provenance_column_fails_fast_naming_file_and_column(
        emb: EmbeddedStore, tmp_path: Path) -> None:
    path = write(tmp_path / "reg", "orgs.csv", "机构名称,机构类型,上级单位\n泰安某医院,医院,\n")
    with pytest.raises(MissingColumnError) as err:
        run_ingest(emb, [path])
    assert err.value.column == "数据性质" and "orgs.csv" in str(err.value)
    assert "synthetic_column" in str(err.value)
    assert emb.stats().node_total == 0


def test_participation_keeps_its_file_level_flag_but_gazetteer_actors_are_real(
        emb: EmbeddedStore, tmp_path: Path) -> None:
    folder = tmp_path / "prj"
    folder.mkdir()
    (folder / "p.csv").write_text("project_id,actor_id,actor_type,year\n"
                                  "P1,山东农业大学,university,2019\n"
                                  "P1,泰安某企业有限公司,enterprise,2019\n", encoding="utf-8")
    (folder / "p.csv.mapping.yaml").write_text("kind: participation\nsynthetic: true\n",
                                               encoding="utf-8")
    run_ingest(emb, [folder])
    assert not node_flag(emb, "uni:4137010434")  # from the MoE list
    assert node_flag(emb, "ent:泰安某企业有限公司")
    (part,) = emb.get_edges(source="uni:4137010434", rel_types=["PARTICIPATES_IN"])
    assert part.provenance.synthetic
