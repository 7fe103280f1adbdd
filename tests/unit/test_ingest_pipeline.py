"""The ingest pipeline on messy registries: every row accounted for, one node per entity,
re-runs that change nothing, fail-fast on a missing column, the review round trip."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.backends.embedded import EmbeddedStore
from ingest.errors import MappingError, MissingColumnError, ReviewError
from ingest.pipeline import discover, run_ingest
from ingest.review import ReviewQueue
from schemas.ingest_report import IngestReport
from schemas.records import content
from tests.unit.test_ingest_support import DATA, registry_copy

# (rows read, accepted, rejected) per table of tests/data/ingest/registry
EXPECTED_FILES = {
    ("orgs.csv", None): (12, 10, 2),
    ("enterprises.csv", None): (8, 5, 3),
    ("platforms.xlsx", "平台"): (4, 3, 1),
    ("platforms.xlsx", "研究团队"): (2, 2, 0),
    ("talents.json", None): (7, 4, 3),
    ("memberships.csv", None): (7, 5, 2),
    ("projects.csv", None): (3, 3, 0),
    ("participation.csv", None): (15, 12, 3),
}

# (locator, column, part of the reason) of every rejected row
EXPECTED_REJECTS = {
    ("orgs.csv:13", "", "行不齐:8 个单元格,表头只有 6 列"),
    ("orgs.csv:14", "机构类型", "不认识的取值 '实验站'"),
    ("enterprises.csv:5", "成立年份", "不是年份:'abc'"),
    ("enterprises.csv:6", "成立年份", "年份 3018 不在 1900–2100 之间"),
    ("enterprises.csv:10", "统一社会信用代码", "校验位"),
    ("platforms.xlsx[平台]:6", "平台类型", "不存在的类型"),
    ("talents.json#5", "入选年度", "不是年份:'明年'"),
    ("talents.json#6", "", "应为一个对象"),
    ("talents.json#7", "姓名", "必填项为空"),
    ("memberships.csv:6", "成员单位",
     "'泰安某某未知公司' 在本次装载、图谱和名录词典中都没有匹配的企业"),
    ("memberships.csv:7", "成员类型", "不认识的取值 '学校'"),
    ("participation.csv:13", "year", "不是年份:'20x2'"),
    ("participation.csv:14", "actor_id", "'某未知单位' 在图谱和名录词典中都没有匹配"),
    ("participation.csv:15", "project_id", "项目编号为空"),
}


@pytest.fixture
def emb(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "store")
    store.open()
    yield store
    store.close()


@pytest.fixture
def reg(tmp_path: Path) -> Path:
    return registry_copy(tmp_path)


def contents(store: EmbeddedStore) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every node and relationship record without the volatile ingestion time."""
    g = store.subgraph()
    nodes = {u: content(d) for u, d in g.nodes(data=True)}
    edges = {k: content(d) for _, _, k, d in g.edges(keys=True, data=True)}
    return nodes, edges


def test_every_row_is_accepted_or_rejected_with_file_line_column_reason(
        emb: EmbeddedStore, reg: Path) -> None:
    rep = run_ingest(emb, [reg])
    got = {(Path(f.file).name, f.sheet): (f.rows_read, f.accepted, f.rejected) for f in rep.files}
    assert got == EXPECTED_FILES
    for f in rep.files:
        assert f.accepted + f.rejected == f.rows_read
    assert rep.accepted + len(rep.rejected) == rep.rows_read == 58
    assert len(rep.rejected) == len(EXPECTED_REJECTS)
    for loc, col, reason in EXPECTED_REJECTS:
        match = [r for r in rep.rejected if r.locator == loc]
        assert match, loc
        assert match[0].column == col and reason in match[0].reason, match[0]
        assert match[0].raw or loc == "talents.json#6"
    ragged = next(r for r in rep.rejected if r.locator == "orgs.csv:13")
    assert ragged.file.endswith("orgs.csv") and ragged.line == 13
    sheet_row = next(r for r in rep.rejected if r.locator.startswith("platforms"))
    assert (sheet_row.sheet, sheet_row.row) == ("平台", 6)


def test_encodings_are_detected_and_reported(emb: EmbeddedStore, reg: Path) -> None:
    rep = run_ingest(emb, [reg])
    enc = {Path(f.file).name: f.encoding for f in rep.files}
    assert enc["orgs.csv"] == "utf-8-sig" and enc["enterprises.csv"] == "gb18030"
    assert emb.get_node(uid="ent:91370900MA3C4XYH17").name == "泰安康复医疗器械有限公司"


def test_duplicate_rows_and_alias_spellings_end_as_one_node(emb: EmbeddedStore,
                                                            reg: Path) -> None:
    rep = run_ingest(emb, [reg])
    # a university listed twice, found later by its abbreviation
    uni = emb.get_node(uid="uni:4137010434")
    assert uni.name == "山东农业大学" and uni.aliases == ["山农大", "山农"]
    assert uni.provenance.source == "orgs.csv:2; orgs.csv:11"
    assert [r["uid"] for r in emb.find_records(name="山农大")] == ["uni:4137010434"]
    # a row spelled like another row's alias folds into it, its name kept as an alias
    gov = emb.get_node(uid="gov:泰安市科学技术局")
    assert gov.name == "泰安市科学技术局" and "泰安市科技局" in gov.aliases
    assert [r["uid"] for r in emb.find_records(name="泰安市科技局")] == [gov.uid]
    # the same enterprise twice: lists and relationship keywords are unioned
    ent = emb.get_node(uid="ent:91370900MA3C4XYH17")
    assert ent.tags == ["高新技术企业", "创新50强"]  # type: ignore[attr-defined]
    need = emb.get_edges(source=ent.uid, rel_types=["NEEDS"])
    assert [n.keywords for n in need] == [["康复机器人", "运动控制", "步态分析"]]
    # 二〇一八 and a spelling with a space inside are the same enterprise, same year
    smart = emb.get_node(uid="ent:91370900MA3D5K2L1D")
    assert smart.founded_year == 2018 and smart.aliases == []  # type: ignore[attr-defined]
    # a talent named via two spellings of the employer, first met as a team leader
    talent = emb.get_node(uid="tal:张伟@山东农业大学")
    assert talent.title == "教授"  # type: ignore[attr-defined]
    assert talent.keywords == ["康复医疗器械", "智能控制", "康复机器人"]
    assert {e.type for e in emb.get_edges(source=talent.uid)} >= {"LEADS", "WORKS_AT",
                                                                  "MEMBER_OF", "SELECTED_FOR"}
    assert len(emb.find_records(label="Talent")) == 3
    # no name-keyed twin of a university whose code the gazetteer knows
    assert emb.get_node(uid="uni:4137010453").name == "泰山学院"
    folded = {(m.uid, m.alias, m.rule) for m in rep.merged}
    assert ("gov:泰安市科学技术局", "泰安市科技局", "alias") in folded
    assert ("uni:4137010434", "山东农业大学", "duplicate row") in folded


def test_unknown_columns_are_kept_only_when_the_mapping_says_so(emb: EmbeddedStore,
                                                                reg: Path) -> None:
    rep = run_ingest(emb, [reg])
    ent = emb.get_node(uid="ent:91370900MA3D5K2L1D")
    assert ent.attrs == {"认定年度": "2020"}  # 备注 was not listed
    warnings = next(f.warnings for f in rep.files if f.file.endswith("enterprises.csv"))
    assert any("备注" in w for w in warnings)


def test_second_run_changes_nothing(emb: EmbeddedStore, reg: Path) -> None:
    first = run_ingest(emb, [reg])
    stats, records = emb.stats(), contents(emb)
    second = run_ingest(emb, [reg])
    assert (second.created, second.updated) == (0, 0)
    assert second.unchanged > 0
    assert emb.stats() == stats and contents(emb) == records
    assert [(r.locator, r.reason) for r in second.rejected] == \
        [(r.locator, r.reason) for r in first.rejected]
    assert [(m.uid, m.alias) for m in second.merged] == [(m.uid, m.alias) for m in first.merged]
    assert (second.rows_read, second.accepted) == (first.rows_read, first.accepted)


def test_one_run_per_file_gives_the_graph_of_one_run_over_all(tmp_path: Path,
                                                              reg: Path) -> None:
    one = EmbeddedStore(None)
    one.open()
    run_ingest(one, [reg])
    two = EmbeddedStore(None)
    two.open()
    # the same files given one by one, in mapping order, as separate runs
    for job in discover([reg])[0]:
        if job.path.suffix != ".xlsx" or job.index == 0:
            run_ingest(two, [job.path])
    assert contents(one) == contents(two)


def test_missing_required_column_fails_fast_naming_column_and_file(emb: EmbeddedStore) -> None:
    with pytest.raises(MissingColumnError) as err:
        run_ingest(emb, [DATA / "errors" / "bad_header.csv"])
    assert err.value.column == "企业名称" and "bad_header.csv" in str(err.value)
    assert "企业名称" in str(err.value) and "公司名称" in str(err.value)
    assert emb.stats().node_total == 0


def test_unknown_member_is_rejected_unless_the_mapping_creates_it(emb: EmbeddedStore,
                                                                  reg: Path) -> None:
    run_ingest(emb, [reg])
    assert not emb.find_records(name="泰安某某未知公司")
    rep = run_ingest(emb, [reg / "memberships.csv"],
                     mapping=DATA / "variants" / "memberships.create.yaml")
    assert [r.locator for r in rep.rejected] == ["memberships.csv:7"]  # 学校 is still unknown
    (created,) = emb.find_records(name="泰安某某未知公司")
    assert created["label"] == "Enterprise"
    member = emb.get_edges(source=created["uid"], rel_types=["MEMBER_OF"])
    assert [m.target for m in member] == ["plt:山东省智慧康养创新创业共同体"]
    assert member[0].year == 2021


def test_a_data_file_without_mapping(tmp_path: Path, emb: EmbeddedStore) -> None:
    f = tmp_path / "lonely.csv"
    f.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"lonely\.csv\.mapping\.yaml"):
        run_ingest(emb, [f])
    rep = run_ingest(emb, [tmp_path])  # in a directory it is skipped with a warning
    assert rep.rows_read == 0 and any("lonely.csv" in w for w in rep.warnings)


def test_report_is_saved_and_reloads(emb: EmbeddedStore, reg: Path, tmp_path: Path) -> None:
    rep = run_ingest(emb, [reg], report_dir=tmp_path / "reports")
    assert rep.report_path is not None
    again = IngestReport.model_validate_json(Path(rep.report_path).read_text(encoding="utf-8"))
    assert again.rows_read == rep.rows_read and len(again.rejected) == len(rep.rejected)
    assert again.nodes["Enterprise"].created == 3


def test_fuzzy_match_goes_to_review_and_accept_reject_unmerge(emb: EmbeddedStore, reg: Path,
                                                              tmp_path: Path) -> None:
    run_ingest(emb, [reg])
    queue = ReviewQueue(tmp_path / "review.json")
    rep = run_ingest(emb, [DATA / "review"], review=queue)
    items = {i.name: i for i in rep.queued_for_review}
    assert set(items) == {"泰安康复医疗器械科技有限公司", "泰山生物制药科技有限公司"}
    rehab = items["泰安康复医疗器械科技有限公司"]
    assert [c.uid for c in rehab.candidates] == ["ent:91370900MA3C4XYH17"]
    # nothing was merged silently: both nodes exist
    assert emb.get_node(uid=rehab.uid).name == "泰安康复医疗器械科技有限公司"
    assert len(ReviewQueue(tmp_path / "review.json").items(status="pending")) == 2  # durable

    record = queue.accept(rehab.id, store=emb)
    assert record.rule == "review" and record.kept == "ent:91370900MA3C4XYH17"
    kept = emb.get_node(uid="ent:91370900MA3C4XYH17")
    assert "泰安康复医疗器械科技有限公司" in kept.aliases
    assert not emb.find_records(uids=[rehab.uid])
    stored = ReviewQueue(tmp_path / "review.json").get(rehab.id)
    assert stored.status == "accepted" and stored.merge_id == record.merge_id
    with pytest.raises(ReviewError, match="已经处理过"):
        queue.accept(rehab.id, store=emb)

    bio = items["泰山生物制药科技有限公司"]
    assert queue.reject(bio.id).status == "rejected"
    # re-ingesting asks nothing again: the accepted name is an alias, the rejected a node
    again = run_ingest(emb, [DATA / "review"], review=queue)
    assert again.queued_for_review == [] and again.created == 0

    emb.unmerge(merge_id=record.merge_id)
    reopened = queue.reopen_merge(record.merge_id)
    assert reopened is not None and reopened.status == "pending"
    assert emb.get_node(uid=rehab.uid).name == "泰安康复医疗器械科技有限公司"
    assert "泰安康复医疗器械科技有限公司" not in emb.get_node(uid=kept.uid).aliases


def test_review_errors_name_the_item(tmp_path: Path, emb: EmbeddedStore) -> None:
    queue = ReviewQueue(tmp_path / "review.json")
    with pytest.raises(ReviewError, match="没有待审核项 'r-nope'"):
        queue.reject("r-nope")


def test_an_official_code_folds_the_name_keyed_node_made_before(emb: EmbeddedStore) -> None:
    run_ingest(emb, [DATA / "supersede" / "refs"])
    assert [r["uid"] for r in emb.find_records(label="Enterprise")] == ["ent:泰安新星材料有限公司"]
    rep = run_ingest(emb, [DATA / "supersede" / "codes"])
    (merged,) = rep.merged
    assert (merged.uid, merged.rule) == ("ent:91370900MA3F7R4T1Y", "official_code")
    assert [r["uid"] for r in emb.find_records(label="Enterprise")] == [merged.uid]
    (undertakes,) = emb.get_edges(rel_types=["UNDERTAKES"])
    assert undertakes.source == merged.uid  # the relationship moved with the merge
    assert emb.merge_history()[-1].merge_id == merged.merge_id
    again = run_ingest(emb, [DATA / "supersede" / "refs", DATA / "supersede" / "codes"])
    assert (again.created, again.updated, again.merged) == (0, 0, [])


def test_a_huge_cell_rejects_its_row_only(tmp_path: Path, emb: EmbeddedStore) -> None:
    """One 3-million-character cell (a missing quote, a hostile file) used to fail the
    whole CSV; now its row is rejected with its line and the others are ingested."""
    src = tmp_path / "huge"
    src.mkdir()
    reg = DATA / "registry"
    (src / "enterprises.csv.mapping.yaml").write_bytes(
        (reg / "enterprises.csv.mapping.yaml").read_bytes())
    lines = (reg / "enterprises.csv").read_bytes().decode("gbk").splitlines()
    header, first, second = lines[0], lines[1], lines[2]
    cells = first.split(",")
    cells[-1] = "长" * 3_000_000
    (src / "enterprises.csv").write_bytes(
        "\n".join([header, ",".join(cells), second, ""]).encode("gbk"))
    rep = run_ingest(emb, [src])
    rejected = {r.locator: r.reason for r in rep.rejected}
    assert list(rejected) == ["enterprises.csv:2"]
    assert "单元格过长" in rejected["enterprises.csv:2"]
    assert len(rejected["enterprises.csv:2"]) < 200  # the cell is not repeated
    assert rep.accepted == 1
    assert emb.find_records(name=second.split(",")[1], limit=1)
