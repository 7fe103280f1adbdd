"""The synthetic registry generator: reproducibility, formats, identities, graph shape."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from ingest.generate import FILES, GenerateConfig, generate, real_entity_names
from ingest.generate.credit import check_char, is_valid, org_code_check, synthesize
from ingest.generate.messy import variants
from ingest.generate.sample import SAMPLE, build_sample
from schemas.names import normalize_name

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO / "data" / "sample"

HEADERS = {
    "领域.csv": ["领域", "上级领域", "关键词", "数据性质"],
    "机构名录.csv": ["机构名称", "机构类型", "标识码", "所在区县", "上级单位", "别名", "数据性质"],
    "高新技术企业名单.csv": ["序号", "企业名称", "统一社会信用代码", "所属领域", "所在区县",
                       "成立年份", "注册资本(万元)", "认定年度", "企业标签", "技术需求",
                       "需求关键词", "数据性质"],
    "共同体成员.csv": ["共同体", "成员单位", "成员类型", "所属联盟", "加入年份", "数据性质"],
    # the participation export keeps its fixed contract: no provenance column
    "项目参与.csv": ["project_id", "actor_id", "actor_type", "year", "field"],
    "项目名录.csv": ["项目编号", "项目名称", "承担单位", "立项年度", "所属领域", "计划类别",
                 "经费(万元)", "数据性质"],
    "规划目标.csv": ["指标", "目标值", "单位", "比较", "年度", "范围", "来源", "数据性质"],
}
ENCODING = {"高新技术企业名单.csv": "gbk", "机构名录.csv": "utf-8-sig"}
CSV_FILES = [f for f in FILES if f.endswith(".csv")]


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    text = (folder / name).read_bytes().decode(ENCODING.get(name, "utf-8"))
    return list(csv.DictReader(io.StringIO(text)))


def _sheet(folder: Path, title: str) -> list[tuple[object, ...]]:
    wb = load_workbook(folder / "创新平台名录.xlsx", read_only=True)
    try:
        return [r for r in wb[title].iter_rows(values_only=True)]
    finally:
        wb.close()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen_small")
    generate(out, GenerateConfig(actors=500, seed=11))
    return out


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen_clean")
    generate(out, GenerateConfig(actors=500, seed=11, messy=False))
    return out


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen_medium")
    generate(out, GenerateConfig(actors=3000, seed=5))
    return out


# ---- credit codes -----------------------------------------------------------------------

def test_check_character_of_a_published_example() -> None:
    # the example code printed in explanations of GB 32100
    assert check_char("91350100M000100Y4") == "3"
    assert is_valid("91350100M000100Y43")
    assert not is_valid("91350100M000100Y44")
    assert not is_valid("91350100M000100I43")  # I is not in the alphabet
    assert org_code_check("M000100Y") == "4"


def test_synthesized_codes_are_valid_and_distinct() -> None:
    rng = np.random.default_rng(3)
    codes = synthesize(rng, ["91370902"] * 3000, new_style=np.arange(3000) % 2 == 0)
    assert len(set(codes)) == 3000
    assert all(is_valid(c) for c in codes)
    assert all(org_code_check(c[8:16]) == c[16] for c in codes)
    assert all(c[8:10] == "MA" for c in codes[::2])
    assert not set("IOZSV") & set("".join(codes))


def test_every_code_in_the_registries_validates(small: Path) -> None:
    ents = _rows(small, "高新技术企业名单.csv")
    assert ents and all(is_valid(r["统一社会信用代码"]) for r in ents)
    orgs = _rows(small, "机构名录.csv")
    codes = [r["标识码"] for r in orgs if r["标识码"] and r["机构类型"] != "高校"]
    assert codes and all(is_valid(c) for c in codes)
    assert all(re.fullmatch(r"\d{10}", r["标识码"]) for r in orgs if r["机构类型"] == "高校")


# ---- reproducibility --------------------------------------------------------------------

def _bytes(folder: Path) -> dict[str, bytes]:
    return {f: (folder / f).read_bytes() for f in FILES}


def test_same_seed_gives_identical_bytes(small: Path, tmp_path: Path) -> None:
    generate(tmp_path, GenerateConfig(actors=500, seed=11))
    assert _bytes(tmp_path) == _bytes(small)


def test_another_seed_gives_other_files(small: Path, tmp_path: Path) -> None:
    generate(tmp_path, GenerateConfig(actors=500, seed=12))
    other = _bytes(tmp_path)
    mine = _bytes(small)
    # the field list and the plan's targets are data, not draws; everything else differs
    assert other["领域.csv"] == mine["领域.csv"]
    assert other["规划目标.csv"] == mine["规划目标.csv"]
    for name in ("高新技术企业名单.csv", "项目参与.csv", "人才名单.json", "创新平台名录.xlsx"):
        assert other[name] != mine[name], name


def test_committed_sample_is_what_the_script_writes(tmp_path: Path) -> None:
    if not (SAMPLE_DIR / "项目参与.csv").exists():
        pytest.skip("data/sample not generated")
    build_sample(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), (
            f"data/sample/{name} is stale: run python -m ingest.generate.sample data/sample")


# ---- formats ----------------------------------------------------------------------------

def test_all_files_exist_with_documented_headers(small: Path) -> None:
    for name in FILES:
        assert (small / name).is_file(), name
    for name, header in HEADERS.items():
        text = (small / name).read_bytes().decode(ENCODING.get(name, "utf-8"))
        assert next(csv.reader(io.StringIO(text))) == header, name


def test_enterprise_list_is_gbk(small: Path) -> None:
    raw = (small / "高新技术企业名单.csv").read_bytes()
    raw.decode("gbk")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # it really is GBK, not UTF-8 that GBK happens to accept


def test_organisation_list_has_a_bom(small: Path) -> None:
    assert (small / "机构名录.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert not (small / "项目参与.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_workbook_has_the_two_sheets(small: Path) -> None:
    wb = load_workbook(small / "创新平台名录.xlsx", read_only=True)
    try:
        assert wb.sheetnames == ["平台", "研究团队"]
    finally:
        wb.close()
    assert list(_sheet(small, "平台")[0]) == ["平台名称", "平台类型", "级别", "依托单位",
                                            "批准年度", "所属领域", "研究方向", "数据性质"]
    assert list(_sheet(small, "研究团队")[0]) == ["团队名称", "带头人", "依托单位", "所属领域",
                                              "研究方向", "团队人数", "入选计划", "数据性质"]


def test_platform_types_and_levels_are_schema_values(small: Path) -> None:
    from schemas.nodes import Level, PlatformType
    rows = [r for r in _sheet(small, "平台")[1:] if r and r[0]]
    assert {r[1] for r in rows} <= {p.value for p in PlatformType}
    assert {r[2] for r in rows if r[2]} <= {lv.value for lv in Level}
    assert ("山东省智慧康养创新创业共同体", "创新创业共同体") in {(r[0], r[1]) for r in rows}


def test_talents_are_synthetic_persons(small: Path) -> None:
    talents = json.loads((small / "人才名单.json").read_text(encoding="utf-8"))
    assert talents
    assert set(talents[0]) == {"姓名", "职称", "工作单位", "所属团队", "研究领域", "入选人才工程",
                               "入选年度", "联系电话", "电子邮箱", "数据性质"}
    assert all(re.fullmatch(r"100\d{8}", t["联系电话"]) for t in talents)
    assert all(re.fullmatch(r"[a-z0-9]+@example\.(com|org|net)", t["电子邮箱"])
               for t in talents)


def test_plan_targets_are_transcribed(small: Path) -> None:
    rows = _rows(small, "规划目标.csv")
    assert len(rows) == 19
    by_metric = {r["指标"]: r for r in rows}
    rd = by_metric["全市研究与试验发展经费投入强度"]
    assert (rd["目标值"], rd["单位"], rd["比较"]) == ("2.2", "%", "=")
    assert by_metric["全年登记技术合同成交额"]["目标值"] == "45"
    assert by_metric["参与共同体建设的创新主体单位"]["比较"] == ">="
    assert by_metric["引进与培养创新人才团队"]["比较"] == "~"
    assert {r["来源"] for r in rows} == {"泰安市2020年科技工作要点"}


# ---- identities -------------------------------------------------------------------------

def _known_uids(folder: Path) -> dict[str, str]:
    """uid -> actor_type, built only from the registries (as the graph would)."""
    uids: dict[str, str] = {}
    for r in _rows(folder, "高新技术企业名单.csv"):
        uids["ent:" + r["统一社会信用代码"]] = "enterprise"
    prefix = {"高校": ("uni:", "university"), "科研院所": ("ins:", "institute"),
              "产业技术研究院": ("ins:", "institute"), "专业研究所": ("ins:", "institute"),
              "医院": ("hos:", "hospital"), "政府部门": ("gov:", "government")}
    for r in _rows(folder, "机构名录.csv"):
        if r["机构类型"] in prefix:
            p, t = prefix[r["机构类型"]]
            ident = r["标识码"] if p == "uni:" else normalize_name(r["机构名称"])
            uids[p + ident] = t
    for row in _sheet(folder, "平台")[1:]:
        if row and row[0]:
            uids["plt:" + normalize_name(str(row[0]))] = "platform"
    for row in _sheet(folder, "研究团队")[1:]:
        if row and row[0]:
            uids["team:" + normalize_name(str(row[0]))] = "other"
    return uids


@pytest.mark.parametrize("fixture", ["small", "clean"])
def test_every_participant_is_in_a_registry(fixture: str, request: pytest.FixtureRequest
                                            ) -> None:
    folder = request.getfixturevalue(fixture)
    known = _known_uids(folder)
    parts = _rows(folder, "项目参与.csv")
    assert parts
    missing = {r["actor_id"] for r in parts} - set(known)
    assert not missing, sorted(missing)[:5]
    assert all(known[r["actor_id"]] == r["actor_type"] for r in parts)


def test_registry_names_identify_one_actor_each(clean: Path) -> None:
    ents = _rows(clean, "高新技术企业名单.csv")
    # one canonical name per firm, per organisation, per platform and per team
    cores = {normalize_name(r["企业名称"]) for r in ents}
    assert len(cores) == len(ents)
    orgs = [normalize_name(r["机构名称"]) for r in _rows(clean, "机构名录.csv")]
    plats = [normalize_name(str(r[0])) for r in _sheet(clean, "平台")[1:]]
    teams = [normalize_name(str(r[0])) for r in _sheet(clean, "研究团队")[1:]]
    for names in (orgs, plats, teams):
        assert len(set(names)) == len(names)


def test_projects_and_participations_agree(small: Path) -> None:
    projects = _rows(small, "项目名录.csv")
    parts = _rows(small, "项目参与.csv")
    members: dict[str, set[str]] = defaultdict(set)
    for r in parts:
        members[r["project_id"]].add(r["actor_id"])
    assert {p["项目编号"] for p in projects} == set(members)
    assert len({p["项目编号"] for p in projects}) == len(projects)
    assert all(2 <= len(m) <= 50 for m in members.values())
    years = {int(p["立项年度"]) for p in projects}
    assert min(years) >= 2010 and max(years) <= 2020


def test_community_has_twenty_members_with_real_universities(small: Path) -> None:
    rows = _rows(small, "共同体成员.csv")
    members = {r["成员单位"].strip() for r in rows}
    assert len(members) >= 20
    assert {"山东农业大学", "山东第一医科大学", "泰安市产业技术创新研究院"} <= members
    assert {r["共同体"] for r in rows} == {"山东省智慧康养创新创业共同体"}


# ---- messy and clean --------------------------------------------------------------------

def _lines(folder: Path, name: str) -> list[str]:
    return (folder / name).read_bytes().decode(ENCODING.get(name, "utf-8")).splitlines()


def test_clean_mode_has_no_repeats_or_blank_lines(clean: Path) -> None:
    for name in CSV_FILES:
        lines = _lines(clean, name)
        assert "" not in lines, name
        assert len(set(lines)) == len(lines), name
    names = [r["企业名称"] for r in _rows(clean, "高新技术企业名单.csv")]
    assert all(n == n.strip() for n in names)


def test_messy_mode_has_repeats_blanks_and_variant_spellings(small: Path, clean: Path) -> None:
    lines = _lines(small, "高新技术企业名单.csv")
    assert "" in lines
    repeated = [x for x, c in Counter(lines).items() if c > 1 and x]
    assert repeated
    ents = _rows(small, "高新技术企业名单.csv")
    by_code: dict[str, set[str]] = defaultdict(set)
    for r in ents:
        by_code[r["统一社会信用代码"]].add(r["企业名称"])
    # one firm listed under two spellings, both normalising to one of its variants
    assert any(len(v) > 1 for v in by_code.values())
    assert any(n != n.strip() for r in ents for n in [r["企业名称"]])
    # the same generation in clean mode writes the same firms, once each
    clean_codes = [r["统一社会信用代码"] for r in _rows(clean, "高新技术企业名单.csv")]
    assert set(clean_codes) == set(by_code) and len(clean_codes) == len(set(clean_codes))


def test_variants_stay_in_gbk_and_fold_by_normalisation() -> None:
    names = ("泰安华康医疗器械有限公司", "华康（泰安）康复科技有限公司", "泰安市产业技术创新研究院")
    for name in names:
        for v in variants(name):
            v.encode("gbk")
            assert v != name
            if "有限责任公司" not in v:
                assert normalize_name(v) == normalize_name(name), v


# ---- size and shape ---------------------------------------------------------------------

def test_row_counts_scale_with_actors(small: Path, medium: Path) -> None:
    for name in ("高新技术企业名单.csv", "项目参与.csv", "项目名录.csv"):
        a, b = len(_rows(small, name)), len(_rows(medium, name))
        assert 4.0 < b / a < 8.0, (name, a, b)  # 3000 vs 500 actors


def test_participation_is_heavy_tailed(medium: Path) -> None:
    deg = Counter(r["actor_id"] for r in _rows(medium, "项目参与.csv"))
    values = np.array(sorted(deg.values()))
    assert values.max() >= 8 * np.median(values)
    assert values.max() >= 30


def test_partners_cooperate_again(medium: Path) -> None:
    # pairs that cooperated before the last two years reappear far more often than chance
    parts = _rows(medium, "项目参与.csv")
    members: dict[str, set[str]] = defaultdict(set)
    year: dict[str, int] = {}
    for r in parts:
        members[r["project_id"]].add(r["actor_id"])
        year[r["project_id"]] = int(r["year"])
    early, late = set(), set()
    for p, m in members.items():
        ms = sorted(m)
        pairs = {(a, b) for i, a in enumerate(ms) for b in ms[i + 1:]}
        (early if year[p] < 2019 else late).update(pairs)
    actors = {a for a, _ in early} | {b for _, b in early}
    possible = len(actors) * (len(actors) - 1) / 2
    base_rate = len({p for p in late if p[0] in actors and p[1] in actors}) / possible
    repeat_rate = len(early & late) / len(early)
    assert repeat_rate > 5 * base_rate


# ---- the sample and the CLI -------------------------------------------------------------

def test_sample_settings_match_the_brief() -> None:
    assert (SAMPLE.first_year, SAMPLE.last_year) == (2016, 2020)
    assert 300 <= SAMPLE.actors <= 1000 and SAMPLE.messy


def test_sample_keeps_the_real_universities(tmp_path: Path) -> None:
    build_sample(tmp_path)
    unis = {r["机构名称"].strip(): r["标识码"] for r in _rows(tmp_path, "机构名录.csv")
            if r["机构类型"] == "高校"}
    assert unis["山东农业大学"] == "4137010434"
    assert unis["泰山学院"] == "4137010453"
    assert unis["山东第一医科大学"] == "4137010439"


def test_real_entity_names_cover_the_plan_and_nothing_synthetic(small: Path) -> None:
    real = real_entity_names()
    assert {"泰山创新谷", "山东省智慧康养创新创业共同体", "泰安市产业技术创新研究院",
            "山东产业技术研究院泰安分院", "泰安市科学技术局", "山东农业大学"} <= real
    ents = {r["企业名称"].strip() for r in _rows(small, "高新技术企业名单.csv")}
    assert not ents & real


def _natures(folder: Path) -> dict[str, list[tuple[str, str, str]]]:
    """(name, kind, 数据性质) of every row, per file (sheet) that has the column."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for name, col, kind in (("机构名录.csv", "机构名称", "机构类型"), ("领域.csv", "领域", ""),
                            ("高新技术企业名单.csv", "企业名称", ""),
                            ("共同体成员.csv", "成员单位", ""), ("项目名录.csv", "项目编号", ""),
                            ("规划目标.csv", "指标", "")):
        out[name] = [(r[col].strip(), r[kind] if kind else "", r["数据性质"])
                     for r in _rows(folder, name)]
    for title in ("平台", "研究团队"):
        header, *rows = _sheet(folder, title)
        assert header[-1] == "数据性质"
        out[title] = [(str(r[0]).strip(), "", str(r[-1])) for r in rows if r and r[0]]
    talents = json.loads((folder / "人才名单.json").read_text(encoding="utf-8"))
    out["人才名单.json"] = [(t["姓名"], "", t["数据性质"]) for t in talents]
    return out


@pytest.mark.parametrize("fixture", ["small", "clean"])
def test_real_rows_say_public_and_generated_rows_say_synthetic(
        fixture: str, request: pytest.FixtureRequest) -> None:
    natures = _natures(request.getfixturevalue(fixture))
    real = real_entity_names()
    for name, rows in natures.items():
        assert rows and {n for _, _, n in rows} <= {"公开", "合成"}, name
    # an organisation or platform row is 公开 exactly when it is a real entity: one of
    # taian_real.json or a university of the MoE list
    for name in ("机构名录.csv", "平台"):
        for entity, kind, nature in natures[name]:
            assert (nature == "公开") == (entity in real or kind == "高校"), (name, entity)
    public_orgs = {e for e, _, n in natures["机构名录.csv"] + natures["平台"] if n == "公开"}
    assert {"泰山创新谷", "泰安市产业技术创新研究院", "泰安市科学技术局", "山东农业大学",
            "山东省智慧康养创新创业共同体", "泰安市技术交易中心"} <= public_orgs
    synthetic_kinds = {k for _, k, n in natures["机构名录.csv"] if n == "合成"}
    assert synthetic_kinds == {"专业研究所", "科研院所", "医院"}
    # everything generated is 合成, memberships of real bodies included; the plan's
    # targets are transcribed from the plan and so 公开
    for name in ("领域.csv", "高新技术企业名单.csv", "研究团队", "人才名单.json", "共同体成员.csv",
                 "项目名录.csv"):
        assert {n for _, _, n in natures[name]} == {"合成"}, name
    assert {n for _, _, n in natures["规划目标.csv"]} == {"公开"}
    assert "山东农业大学" in {e for e, _, _ in natures["共同体成员.csv"]}


def test_cli_generate_writes_and_summarises(tmp_path: Path) -> None:
    from api import cli_generate  # noqa: F401  (registers the command)
    from api.cli import app

    result = CliRunner().invoke(app, ["generate", str(tmp_path / "out"), "--actors", "300",
                                      "--seed", "4", "--clean"])
    assert result.exit_code == 0, result.output
    assert "项目参与.csv" in result.output
    assert all((tmp_path / "out" / f).is_file() for f in FILES)


def test_cli_rejects_too_few_actors(tmp_path: Path) -> None:
    from api import cli_generate  # noqa: F401
    from api.cli import app

    result = CliRunner().invoke(app, ["generate", str(tmp_path), "--actors", "20"])
    assert result.exit_code != 0
