"""Identity and entity resolution: uids, credit codes, name variants, the Resolver."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from graph.backends.embedded import EmbeddedStore
from ingest.errors import IngestError
from ingest.resolve import (
    Gazetteer,
    InvalidCreditCode,
    InvalidMoeCode,
    MoeUniversity,
    ResolveError,
    Resolver,
    UidError,
    are_variants,
    compare_names,
    credit_code_check_char,
    credit_code_problem,
    default_gazetteer,
    guess_label,
    is_valid_credit_code,
    make_uid,
    parse_name,
    validate_credit_code,
)
from ingest.resolve.errors import GazetteerError
from ingest.resolve.gazetteer import AliasEntry
from schemas.nodes import Enterprise, Government, Institute, Talent, University

# Published codes of two large companies (Tencent, Huawei): real, valid check characters.
REAL_CODES = ["91440300708461136T", "914403001922038216"]
# Synthetic codes for fixtures, completed with the GB 32100-2015 check character.
CODE_A = "91370900MA3C4XYH1" + credit_code_check_char("91370900MA3C4XYH1")
CODE_B = "91370900MA3C4XYH2" + credit_code_check_char("91370900MA3C4XYH2")
CODE_C = "91370900MA3C4XYH3" + credit_code_check_char("91370900MA3C4XYH3")


# credit codes ---------------------------------------------------------------
@pytest.mark.parametrize("code", REAL_CODES)
def test_real_credit_codes_are_valid(code: str) -> None:
    assert is_valid_credit_code(code)
    assert validate_credit_code(code) == code


def test_credit_code_cleaning_tolerates_full_width_case_and_spaces() -> None:
    assert validate_credit_code(" ９１４４０３００７０８４６１１３６t ") == "91440300708461136T"


def test_wrong_check_character_is_an_error_naming_the_expected_one() -> None:
    # The example in the issue, 91370900MA3C4XYH1A, fails the checksum.
    assert CODE_A == "91370900MA3C4XYH17"
    with pytest.raises(InvalidCreditCode) as info:
        validate_credit_code("91370900MA3C4XYH1A")
    assert "'7'" in str(info.value)
    assert isinstance(info.value, IngestError)
    assert isinstance(info.value, ResolveError)
    assert info.value.code == "91370900MA3C4XYH1A"


@pytest.mark.parametrize(("code", "fragment"), [
    ("91440300708461136", "有 17 位"),
    ("9144030070846113I6T", "有 19 位"),
    ("91440300708461I36T", "不允许"),  # I is excluded from the alphabet
    ("9144A300708461136T", "数字"),
])
def test_malformed_credit_codes(code: str, fragment: str) -> None:
    problem = credit_code_problem(code)
    assert problem is not None and fragment in problem
    assert not is_valid_credit_code(code)


def test_single_character_change_is_detected() -> None:
    code = REAL_CODES[0]
    mutated = code[:5] + ("1" if code[5] != "1" else "2") + code[6:]
    assert not is_valid_credit_code(mutated)


# uids -------------------------------------------------------------------------
def test_enterprise_uid_from_credit_code() -> None:
    assert make_uid("Enterprise", "泰安康复医疗器械有限公司", credit_code=CODE_A) == f"ent:{CODE_A}"
    assert make_uid("Enterprise", "任意名称", credit_code=CODE_A.lower()) == f"ent:{CODE_A}"


def test_invalid_credit_code_makes_no_uid() -> None:
    with pytest.raises(InvalidCreditCode):
        make_uid("Enterprise", "泰安康复医疗器械有限公司", credit_code="91370900MA3C4XYH1A")


def test_university_uid_from_moe_list_or_code() -> None:
    assert make_uid("University", "山东农业大学") == "uni:4137010434"
    assert make_uid("University", "山東農業大學") == "uni:4137010434"
    assert make_uid("University", "泰山学院") == "uni:4137010453"
    assert make_uid("University", "anything", moe_code="4137010434") == "uni:4137010434"
    # not in the MoE list: kind + normalised name
    assert make_uid("University", "山东科技大学泰安校区") == "uni:山东科技大学泰安校区"
    with pytest.raises(InvalidMoeCode):
        make_uid("University", "山东农业大学", moe_code="41370104")


def test_name_uids_are_normalised_and_order_free() -> None:
    a = make_uid("Institute", "泰安市产业技术创新研究院")
    assert a == "ins:泰安市产业技术创新研究院"
    assert make_uid("Institute", " 泰安市產業技術創新研究院 ") == a
    assert make_uid("Institute", "泰安市产业\u200b技术创新研究院") == a  # zero-width space
    assert make_uid("Enterprise", "ＡＢＣ科技（泰安）有限公司") == "ent:abc科技(泰安)有限公司"


def test_talent_uid_includes_the_employer() -> None:
    assert make_uid("Talent", "张 三", qualifier="山东农业大学") == "tal:张三@山东农业大学"
    assert make_uid("Talent", "张三") == "tal:张三"


@pytest.mark.parametrize(("label", "prefix"), [
    ("Hospital", "hos"), ("Government", "gov"), ("Platform", "plt"), ("Team", "team"),
    ("Project", "prj"), ("Program", "prog"), ("Field", "fld"), ("Region", "reg"),
    ("Document", "doc"), ("Target", "tgt")])
def test_prefixes(label: str, prefix: str) -> None:
    assert make_uid(label, "泰安 市 名称").startswith(f"{prefix}:")


def test_uids_have_no_whitespace_and_fit_the_schema() -> None:
    long_name = "泰安" + "超长名称" * 80 + "有限公司"
    uid = make_uid("Enterprise", long_name)
    assert len(uid) <= 200 and not any(ch.isspace() for ch in uid)
    assert uid == make_uid("Enterprise", long_name)  # deterministic
    assert uid != make_uid("Enterprise", long_name + "x")
    Enterprise(uid=uid, name="泰安长名称有限公司")  # the schema accepts it


def test_uid_errors() -> None:
    with pytest.raises(UidError):
        make_uid("Company", "泰安XX有限公司")
    with pytest.raises(UidError):
        make_uid("Institute", "  ")
    with pytest.raises(UidError):
        make_uid("Institute", "泰安市产业技术创新研究院", moe_code="4137010434")


# name analysis ------------------------------------------------------------------
def test_parse_name_features() -> None:
    p = parse_name("山东泰安康复医疗器械有限责任公司")
    assert (p.regions, p.body, p.legal_form) == (("山东省", "泰安市"), "康复医疗器械", "有限公司")
    p = parse_name("中国石油大学（华东）")
    assert (p.body, p.org_type, p.qualifiers) == ("石油", "大学", ("华东",))
    p = parse_name("XX科技(泰安)有限公司")
    assert p.regions == ("泰安市",) and p.body == "xx科技"
    p = parse_name("山东科技大学泰安校区")
    assert (p.parent, p.branch) == ("山东科技大学", "泰安校区")


@pytest.mark.parametrize("name", ["泰安市科技局", "山东泰安康复医疗器械有限责任公司",
                                  "泰安高新区管委会", "泰安市产业\u200b技术创新研究院"])
def test_the_resolver_reads_a_name_with_and_without_expanded_terms_as_parse_name(
        name: str) -> None:
    # the resolver remembers each reading of a name, and reuses one for the other where
    # expanding the generic terms (科技局 -> 科学技术局) leaves the key as it was: in
    # either order, each reading is what parse_name gives
    for first in (True, False):
        resolver = Resolver(gazetteer=default_gazetteer())
        for expand in (first, not first, first):
            assert resolver._parse(name, expand=expand) == parse_name(name, expand=expand)
    assert parse_name("泰安市科技局", expand=False).body != parse_name("泰安市科技局").body


@pytest.mark.parametrize(("a", "b", "rule"), [
    ("泰安康复医疗器械有限责任公司", "泰安康复医疗器械有限公司", "suffix_variant"),
    ("泰安康复医疗器械股份有限公司", "泰安康复医疗器械有限公司", "suffix_variant"),
    ("泰安泰开(集团)有限公司", "泰安泰开集团有限公司", "term_variant"),
    ("山东泰安康复医疗器械有限公司", "泰安康复医疗器械有限公司", "region_variant"),
    ("泰安市康复医疗器械有限公司", "泰安康复医疗器械有限公司", "region_variant"),
    ("康复医疗器械(泰安)有限公司", "泰安康复医疗器械有限公司", "region_variant"),
    ("泰安市科技局", "泰安市科学技术局", "term_variant"),
    ("泰安高新区管委会", "泰安高新技术产业开发区管理委员会", "term_variant"),
    ("ＡＢＣ科技有限公司", "abc科技有限公司", "normalised"),
    ("山東農業大學", "山东农业大学", "normalised"),
    ("泰安市产业技术创新研究院(山东产业技术研究院泰安分院)", "泰安市产业技术创新研究院",
     "bracket_alias"),
    ("泰安市政府", "泰安市人民政府", "term_variant"),
    ("泰安市中医院", "泰安市中医医院", "term_variant"),
    ("中国石油大学华东", "中国石油大学（华东）", "term_variant"),  # qualifier without brackets
    ("瑞星集团", "瑞星集团股份有限公司", "suffix_variant"),  # XX集团: a group's short name
    ("山东泰山钢铁集团", "山东泰山钢铁集团有限公司", "suffix_variant"),
    ("泰安", "泰安市", "term_variant"),  # a place named with and without 市
])
def test_variants_of_one_name(a: str, b: str, rule: str) -> None:
    c = compare_names(a, b)
    assert (c.verdict, c.rule) == ("same", rule)
    assert c.score >= 0.88
    assert compare_names(b, a).verdict == "same"


@pytest.mark.parametrize(("a", "b"), [
    ("山东农业大学", "山东农业工程学院"),
    ("山东科技大学", "山东科技职业学院"),
    ("中国石油大学（华东）", "中国石油大学（北京）"),
    ("山东科技大学泰安校区", "山东科技大学"),
    ("济南康复医疗器械有限公司", "泰安康复医疗器械有限公司"),
    ("山西农业大学", "山东农业大学"),
    ("山东省科学院", "中国科学院"),
    ("泰安AA科技有限公司", "泰安BB科技有限公司"),
    ("泰安XX科技有限公司", "泰安XX科技合伙企业(有限合伙)"),
    ("泰安XX有限公司泰安分公司", "泰安XX有限公司"),
    ("中国石油大学", "西安石油大学"),  # a national name is not a local one
    ("中国地质大学武汉", "中国地质大学（北京）"),
])
def test_different_entities_are_kept_apart(a: str, b: str) -> None:
    assert compare_names(a, b).verdict == "different"
    assert not are_variants(a, b)


@pytest.mark.parametrize(("a", "b"), [
    ("泰山学院", "泰山科技学院"),
    ("泰安康复医疗器械有限公司", "泰安康复医疗设备有限公司"),
    ("康复医疗器械有限公司", "泰安康复医疗器械有限公司"),  # region dropped
    ("山东康复医疗器械有限公司", "泰安康复医疗器械有限公司"),  # province vs city
    ("泰安泰开集团有限公司", "泰安泰开有限公司"),  # a group is often the parent
    ("中国石油大学", "中国石油大学（华东）"),
    ("泰山职业学院", "泰山职业技术学院"),  # shortened type: review, never merge
    ("泰安五岳专用汽车有限公司", "中国重汽集团泰安五岳专用汽车有限公司"),  # contained body
    ("泰山钢铁集团", "山东泰山钢铁集团有限公司"),
    ("瑞星", "瑞星集团股份有限公司"),  # two bare characters are not enough to merge
])
def test_similar_names_are_only_possible(a: str, b: str) -> None:
    c = compare_names(a, b)
    assert c.verdict == "possible", c
    assert 0.5 <= c.score < 0.88


def test_guess_label() -> None:
    assert guess_label("泰安市产业技术创新研究院") == "Institute"
    assert guess_label("泰安XX医疗器械有限责任公司") == "Enterprise"
    assert guess_label("泰安市中心医院") == "Hospital"
    assert guess_label("泰安市科技局") == "Government"
    assert guess_label("泰山职业技术学院") == "University"
    assert guess_label("张三") is None


# gazetteer ---------------------------------------------------------------------------
def test_shipped_gazetteer() -> None:
    g = default_gazetteer()
    assert len(g.universities) == 2919
    taian = {u.name for u in g.universities if u.city == "泰安市"}
    assert {"山东农业大学", "泰山学院", "泰山科技学院"} <= taian and len(taian) == 8
    assert g.university_by_code("4137010439").name == "山东第一医科大学"  # type: ignore[union-attr]
    rules = {(a.alias, a.rule) for a in g.aliases}
    assert ("泰山医学院", "former_name") in rules and ("山农大", "abbreviation") in rules


def test_gazetteer_rejects_unknown_canonical_university() -> None:
    with pytest.raises(ResolveError):
        Gazetteer([MoeUniversity("4137010434", "山东农业大学")],
                  [AliasEntry("某大", "某某大学", "University", "abbreviation")])


# resolver without a store -------------------------------------------------------------
@pytest.fixture(scope="module")
def bare() -> Resolver:
    return Resolver()


@pytest.mark.parametrize(("query", "uid", "name", "rule"), [
    ("泰山医学院", "uni:4137010439", "山东第一医科大学", "former_name"),
    ("山东农学院", "uni:4137010434", "山东农业大学", "former_name"),
    ("山农大", "uni:4137010434", "山东农业大学", "alias_table"),
    ("浙江财经学院", "uni:4133011482", "浙江财经大学", "former_name"),  # renamed 2013
    ("山东轻工业学院", "uni:4137010431", "齐鲁工业大学", "former_name"),
    ("山科大", "uni:4137010424", "山东科技大学", "alias_table"),
    ("泰医", "uni:4137010439", "山东第一医科大学", "alias_table"),
    ("石油大学(华东)", "uni:4137010425", "中国石油大学（华东）", "former_name"),
    ("山东农业大学", "uni:4137010434", "山东农业大学", "gazetteer_moe"),
    ("山東農業大學", "uni:4137010434", "山东农业大学", "gazetteer_moe"),
    ("中国石油大学(华东)", "uni:4137010425", "中国石油大学（华东）", "gazetteer_moe"),
    ("泰山科技学院", "uni:4137013624", "泰山科技学院", "gazetteer_moe"),
    ("山东第一医科大学（山东省医学科学院）", "uni:4137010439", "山东第一医科大学",
     "bracket_alias"),
    ("山东产业技术研究院泰安分院", "ins:泰安市产业技术创新研究院", "泰安市产业技术创新研究院",
     "alias_table"),
])
def test_resolution_without_a_store(bare: Resolver, query: str, uid: str, name: str,
                                    rule: str) -> None:
    res = bare.resolve(query)
    assert (res.status, res.uid, res.name, res.rule) == ("matched", uid, name, rule)
    assert not res.in_store


def test_label_restricts_resolution(bare: Resolver) -> None:
    assert bare.resolve("山农大", label="University").uid == "uni:4137010434"
    assert not bare.resolve("山农大", label="Institute").matched


def test_campus_is_a_branch_not_its_university(bare: Resolver) -> None:
    res = bare.resolve("山东科技大学泰安校区", label="University")
    assert res.status == "none"
    assert res.parent is not None and res.parent.uid == "uni:4137010424"
    assert res.parent.rule == "branch_of"
    assert res.proposed_uid == "uni:山东科技大学泰安校区"


@pytest.mark.parametrize(("query", "uid", "rule"), [
    ("泰山学院校本部", "uni:4137010453", "main_campus"),
    ("山东农业大学主校区", "uni:4137010434", "main_campus"),
    ("泰山护理职业技术学院", "uni:4137014345", "vocational_type"),  # MoE: 泰山护理职业学院
    ("泰山职业学院", "uni:4137013861", "vocational_type"),  # MoE: 泰山职业技术学院
    ("山东泰山学院", "uni:4137010453", "location_variant"),  # its province added
    ("泰安市泰山学院", "uni:4137010453", "location_variant"),  # its city added
    ("山东农业大学(泰安)", "uni:4137010434", "location_variant"),
    ("山东农业大学泰安本部", "uni:4137010434", "location_variant"),
])
def test_main_campus_and_vocational_type_variants_by_rule(bare: Resolver, query: str,
                                                          uid: str, rule: str) -> None:
    res = bare.resolve(query)
    assert (res.status, res.uid, res.rule) == ("matched", uid, rule)
    assert res.score < 1.0


def test_rules_never_merge_what_is_known_apart(bare: Resolver) -> None:
    # a campus is still a branch, an exact MoE name still wins over the other type's form
    assert bare.resolve("山东科技大学泰安校区", label="University").status == "none"
    assert bare.resolve("山东职业学院").rule == "gazetteer_moe"
    # a main-campus marker on an unknown name resolves nothing
    assert not bare.resolve("不存在大学校本部").matched
    # the other type's form must itself be known
    assert not bare.resolve("不存在职业技术学院").matched
    # a place that is not the university's own is not a spelling of its name
    assert not bare.resolve("泰山学院(济南)").matched
    assert not bare.resolve("北京泰山学院").matched


def test_generic_branch_gets_its_parent(bare: Resolver) -> None:
    res = bare.resolve("山东农业大学泰安分校")
    assert res.uid != "uni:4137010434"
    assert res.parent is not None and res.parent.uid == "uni:4137010434"


def test_ambiguous_gazetteer_name_lists_both(bare: Resolver) -> None:
    res = bare.resolve("中国石油大学")
    assert res.status == "ambiguous" and res.uid is None
    assert {"uni:4137010425", "uni:4111011414"} <= {c.uid for c in res.candidates}


def test_fuzzy_hits_are_candidates_never_matches(bare: Resolver) -> None:
    res = bare.resolve("山东农业大")  # a truncated name: one university clearly fits
    assert (res.status, res.uid, res.rule) == ("matched", "uni:4137010434",
                                               "abbreviation_best")
    assert res.score < 0.9
    res = bare.resolve("山东财大东方学院")
    assert res.status == "ambiguous" and res.candidates[0].uid == "uni:4137013999"


def test_two_character_abbreviations_need_the_table(bare: Resolver) -> None:
    # 山西 is no listed short name: its generated readings stay candidates for review
    res = bare.resolve("西农大学")
    assert res.status != "matched" or res.name == "西北农林科技大学"
    res = bare.resolve("泰大")
    assert res.status != "matched"


@pytest.mark.parametrize(("home", "query", "name", "rule"), [
    (("山东省", "泰安市"), "山大", "山东大学", "abbreviation_context"),
    (("山西省",), "山大", "山西大学", "abbreviation_context"),
    ((), "山大", "山东大学", "abbreviation_primary"),
    ((), "深大", "深圳大学", "abbreviation_primary"),
    ((), "北化", "北京化工大学", "abbreviation_primary"),
    ((), "南大", "南京大学", "abbreviation_primary"),
    (("湖南省",), "中大", "中南大学", "abbreviation_context"),
])
def test_table_abbreviations_read_in_context(home: tuple[str, ...], query: str, name: str,
                                             rule: str) -> None:
    res = Resolver(home_regions=home).resolve(query)
    assert (res.status, res.name, res.rule) == ("matched", name, rule)


def test_abbreviation_without_a_default_reading_is_queued(bare: Resolver) -> None:
    res = Resolver(home_regions=()).resolve("华师")  # 华中, 华南, 华东师范大学: no default
    assert res.status == "ambiguous"
    assert {c.name for c in res.candidates} >= {"华中师范大学", "华南师范大学", "华东师范大学"}


def test_abbreviation_reads_the_graph_first() -> None:
    s = EmbeddedStore(None)
    s.open()
    s.upsert_nodes(nodes=[University(uid="uni:4114010108", name="山西大学",
                                     moe_code="4114010108")])
    res = Resolver(store=s).resolve("山大")  # home is 山东, but the graph has 山西大学
    assert (res.status, res.name, res.rule) == ("matched", "山西大学", "abbreviation_context")


@pytest.mark.parametrize(("query", "name"), [
    ("上海财大", "上海财经大学"), ("西安交大", "西安交通大学"), ("华中科大", "华中科技大学")])
def test_a_clearly_best_generated_abbreviation_is_taken(bare: Resolver, query: str,
                                                        name: str) -> None:
    res = bare.resolve(query)
    assert (res.status, res.name, res.rule) == ("matched", name, "abbreviation_best")


def test_tied_generated_abbreviations_stay_candidates(bare: Resolver) -> None:
    res = Resolver(home_regions=()).resolve("中国科大")  # 中国医科/药科/科学技术大学 …
    assert res.status == "ambiguous" and len(res.candidates) >= 3


@pytest.mark.parametrize(("query", "name", "rule"), [
    ("华中师范学院", "华中师范大学", "renamed_pattern"),
    ("东北林学院", "东北林业大学", "renamed_pattern"),
    ("西南政法学院", "西南政法大学", "renamed_pattern"),
    ("南京工学院", "东南大学", "former_name"),  # the table overrides the pattern
    ("新鄉醫學院三全學院", "豫北医学院", "former_name"),  # traditional script, renamed
    ("山东省济南市山东大学", "山东大学", "location_variant"),  # not 济南大学
    ("山东大学中心校区", "山东大学", "main_campus"),
])
def test_variant_rules(bare: Resolver, query: str, name: str, rule: str) -> None:
    res = bare.resolve(query)
    assert (res.status, res.name, res.rule) == ("matched", name, rule)


def test_a_campus_keeps_its_parents_bracketed_qualifier(bare: Resolver) -> None:
    for query, parent in (("中国石油大学（华东）东营校区", "中国石油大学（华东）"),
                          ("中国石油大学（北京）克拉玛依校区", "中国石油大学（北京）")):
        res = bare.resolve(query)
        assert res.status == "none" and res.parent is not None
        assert res.parent.name == parent and res.parent.uid.startswith("uni:41")


def test_gazetteer_rejects_a_bad_abbreviation_row(tmp_path: Path) -> None:
    bad = tmp_path / "abbr.csv"
    bad.write_text("abbreviation,canonical,province,primary\n山大,山东大学,山东省,1\n"
                   "山大,山西大学,山西省,1\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match="不止一个"):
        Gazetteer.load(abbreviations=bad)
    bad.write_text("abbreviation,canonical\n某大,某某大学\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match="不在教育部高校名单中"):
        Gazetteer.load(abbreviations=bad)


def small_gazetteer(*names: tuple[str, str]) -> Gazetteer:
    return Gazetteer([MoeUniversity(code, name) for code, name in names])


@pytest.mark.parametrize(("known", "query"), [
    (("4137010434", "山东农业大学"), "山东农业工程学院"),
    (("4137010424", "山东科技大学"), "山东科技职业学院"),
    (("4137014439", "山东农业工程学院"), "山东农业大学"),
])
def test_different_type_is_not_even_a_candidate(known: tuple[str, str], query: str) -> None:
    r = Resolver(gazetteer=small_gazetteer(known))
    res = r.resolve(query)
    assert res.status == "none"
    assert f"uni:{known[0]}" not in {c.uid for c in res.candidates}


def test_taishan_colleges_do_not_merge() -> None:
    r = Resolver(gazetteer=small_gazetteer(("4137010453", "泰山学院")))
    res = r.resolve("泰山科技学院")
    assert not res.matched and res.uid is None
    r = Resolver(gazetteer=small_gazetteer(("4137013624", "泰山科技学院")))
    assert not r.resolve("泰山学院").matched


def test_unknown_name(bare: Resolver) -> None:
    res = bare.resolve("泰安某某生物工程有限公司", label="Enterprise")
    assert res.status == "none" and res.uid is None
    assert res.proposed_uid == "ent:泰安某某生物工程有限公司"
    assert bare.resolve("   ").status == "none"


def test_resolve_rejects_bad_input(bare: Resolver) -> None:
    with pytest.raises(ResolveError):
        bare.resolve("泰山学院", label="College")
    with pytest.raises(ValueError):  # what a pipeline catches for a row's bad identifiers
        bare.resolve("泰安市产业技术创新研究院", label="Institute", moe_code="4137010434")
    with pytest.raises(InvalidCreditCode):
        bare.resolve("泰安康复医疗器械有限公司", credit_code="91370900MA3C4XYH1A")


def test_resolver_compare_uses_the_alias_table(bare: Resolver) -> None:
    assert bare.compare("山农大", "山东农业大学").verdict == "same"
    assert bare.compare("泰山医学院", "山东第一医科大学").verdict == "same"
    assert bare.compare("山农大", "山西农业大学").verdict == "different"
    assert bare.compare("泰山学院", "泰山科技学院").verdict == "different"
    assert bare.compare("泰安康复医疗器械有限公司",
                        "泰安康复医疗设备有限公司").verdict == "possible"


# resolver against a store ---------------------------------------------------------------
class CountingStore(EmbeddedStore):
    """An in-memory store that counts whole-store reads (scan_nodes, or find_records by
    label alone)."""

    def __init__(self) -> None:
        super().__init__(None)
        self.scans = 0

    def scan_nodes(self, *, labels: Sequence[str] | None = None,
                   batch_size: int = 10_000) -> Iterator[list[dict[str, Any]]]:
        self.scans += 1
        yield from super().scan_nodes(labels=labels, batch_size=batch_size)

    def find_records(self, *, uids: Sequence[str] | None = None, name: str | None = None,
                     label: str | None = None, where: Mapping[str, Any] | None = None,
                     limit: int = 100) -> list[dict[str, Any]]:
        if uids is None and name is None and label is not None:
            self.scans += 1
        return super().find_records(uids=uids, name=name, label=label, where=where,
                                    limit=limit)


@pytest.fixture()
def store() -> CountingStore:
    s = CountingStore()
    s.open()
    s.upsert_nodes(nodes=[
        Enterprise(uid=f"ent:{CODE_A}", name="泰安康复医疗器械有限公司", credit_code=CODE_A,
                   aliases=["泰安康复"]),
        Enterprise(uid=make_uid("Enterprise", "泰安XX科技有限公司"), name="泰安XX科技有限公司"),
        University(uid="uni:4137010434", name="山东农业大学", moe_code="4137010434",
                   aliases=["山东农大"]),
        University(uid="uni:泰山学院", name="泰山学院"),  # keyed by name by mistake
        Institute(uid=make_uid("Institute", "泰安市产业技术创新研究院"),
                  name="泰安市产业技术创新研究院", aliases=["山东产业技术研究院泰安分院"]),
        Government(uid=make_uid("Government", "泰安市科学技术局"), name="泰安市科学技术局"),
        Talent(uid=make_uid("Talent", "张三", qualifier="山东农业大学"), name="张三"),
        Talent(uid=make_uid("Talent", "张三", qualifier="泰山学院"), name="张三"),
    ])
    return s


@pytest.mark.parametrize(("query", "uid", "rule"), [
    ("泰安康复医疗器械有限公司", f"ent:{CODE_A}", "exact"),
    ("泰安康复医疗器械有限公司 ", f"ent:{CODE_A}", "exact"),
    ("泰安康复医疗器械有限公司".replace("公司", "公　司"), f"ent:{CODE_A}", "normalised"),
    ("泰安康复", f"ent:{CODE_A}", "store_alias"),
    ("山东农大", "uni:4137010434", "store_alias"),
    ("山东产业技术研究院泰安分院", "ins:泰安市产业技术创新研究院", "store_alias"),
    ("泰安康复医疗器械有限责任公司", f"ent:{CODE_A}", "suffix_variant"),
    ("山东泰安康复医疗器械有限公司", f"ent:{CODE_A}", "region_variant"),
    ("泰安市科技局", "gov:泰安市科学技术局", "term_variant"),
    ("山农大", "uni:4137010434", "alias_table"),
])
def test_resolution_against_a_store(store: CountingStore, query: str, uid: str,
                                    rule: str) -> None:
    res = Resolver(store).resolve(query)
    assert (res.status, res.uid, res.rule) == ("matched", uid, rule)
    assert res.in_store


def test_store_near_miss_is_a_candidate_not_a_match(store: CountingStore) -> None:
    res = Resolver(store).resolve("泰安康复医疗设备有限公司", label="Enterprise")
    assert res.status == "ambiguous" and res.uid is None
    assert res.candidates[0].uid == f"ent:{CODE_A}"
    assert res.candidates[0].in_store
    assert res.proposed_uid == "ent:泰安康复医疗设备有限公司"


def test_name_keyed_university_is_superseded_by_its_code(store: CountingStore) -> None:
    res = Resolver(store).resolve("泰山学院")
    assert res.uid == "uni:4137010453" and res.supersedes == ["uni:泰山学院"]


def test_credit_code_decides_identity(store: CountingStore) -> None:
    r = Resolver(store)
    res = r.resolve("泰安康复医疗器械有限公司", credit_code=CODE_A)
    assert (res.status, res.uid, res.rule, res.in_store) == (
        "matched", f"ent:{CODE_A}", "credit_code", True)
    # Same name, another valid code: a different company; the stored one is flagged.
    res = r.resolve("泰安康复医疗器械有限公司", credit_code=CODE_B)
    assert res.uid == f"ent:{CODE_B}" and not res.in_store
    assert [(c.uid, c.rule) for c in res.candidates] == [
        (f"ent:{CODE_A}", "credit_code_conflict")]
    # A name-keyed node of the same firm is to be merged into the code-keyed one.
    res = r.resolve("泰安XX科技有限责任公司", credit_code=CODE_C)
    assert res.uid == f"ent:{CODE_C}"
    assert res.supersedes == ["ent:泰安xx科技有限公司"]


def test_homonyms_are_not_merged(store: CountingStore) -> None:
    r = Resolver(store)
    res = r.resolve("张三", label="Talent")
    assert res.status == "ambiguous"
    assert {c.uid for c in res.candidates} == {"tal:张三@山东农业大学", "tal:张三@泰山学院"}
    assert all(c.rule == "homonym" for c in res.candidates)
    res = r.resolve("张三", label="Talent", qualifier="山农大")  # employer resolved first
    assert (res.status, res.uid) == ("matched", "tal:张三@山东农业大学")
    res = r.resolve("张三", label="Talent", qualifier="山东科技大学")
    assert res.status == "ambiguous" and res.proposed_uid == "tal:张三@山东科技大学"


def test_registered_nodes_are_found_before_a_refresh(store: CountingStore) -> None:
    r = Resolver(store)
    assert r.resolve("泰安YY新材料有限责任公司").status == "none"
    r.register(uid="ent:泰安yy新材料有限公司", name="泰安YY新材料有限公司", label="Enterprise")
    assert r.resolve("泰安YY新材料有限责任公司").uid == "ent:泰安yy新材料有限公司"


def test_refresh_sees_new_store_nodes_for_fuzzy_candidates(store: CountingStore) -> None:
    r = Resolver(store)
    assert r.resolve("泰安鼎盛生物制药有限公司").status == "none"
    store.upsert_nodes(nodes=[Enterprise(uid="ent:泰安鼎盛生物科技有限公司",
                                         name="泰安鼎盛生物科技有限公司")])
    assert r.refresh() > 0
    res = r.resolve("泰安鼎盛生物制药有限公司")
    assert res.status == "ambiguous"
    assert res.candidates[0].uid == "ent:泰安鼎盛生物科技有限公司"


def test_construction_is_lazy_and_the_index_is_built_once(store: CountingStore) -> None:
    r = Resolver(store)
    assert store.scans == 0  # no I/O in the constructor
    names = ["泰安康复医疗器械有限公司", "山农大", "泰安康复医疗设备有限公司",
             "泰安某某有限公司"] * 5
    r.resolve_many(names)
    scans = store.scans
    assert 0 < scans <= 14  # one scan, once
    r.resolve_many(names)
    assert store.scans == scans  # no scan per query


def test_resolve_many_matches_resolve(store: CountingStore) -> None:
    names = ["泰安康复医疗器械有限责任公司", "山农大", "泰安康复医疗设备有限公司", "泰山医学院",
             "泰安康复医疗器械有限责任公司", "中国石油大学", "泰安某某有限公司"]
    r = Resolver(store)
    many = r.resolve_many(names)
    assert [m.query for m in many] == names
    single = [Resolver(store).resolve(n) for n in names]
    assert [(m.status, m.uid, m.rule, [c.uid for c in m.candidates]) for m in many] == [
        (s.status, s.uid, s.rule, [c.uid for c in s.candidates]) for s in single]
    assert many[0] == many[4]


def test_fuzzy_block_ranks_as_counting_shared_bigrams_would(bare: Resolver) -> None:
    """The block handed to rapidfuzz: entries sharing the most bigrams with the query
    (read from the rarest postings until SCAN), ties in order of first appearance;
    counted with numpy, it must be exactly the ranking Counter.most_common gives."""
    import itertools
    import random
    from collections import Counter

    from ingest.resolve.resolver import _Entry, _grams, _NameIndex

    rng = random.Random(5)
    chars = "泰安山东科技有限公司生物医药研究院新材料智能装备大学医院平台中心"
    idx = _NameIndex()
    idx.SCAN = 400
    idx.BLOCK = 20
    names = sorted({"".join(rng.choice(chars) for _ in range(rng.randint(3, 12)))
                    for _ in range(3000)})
    for k, name in enumerate(names):
        idx.add(_Entry(f"x:{k}", name, rng.choice(["Team", "Platform"]),
                       bare._parse(name), "store", False))

    def counted(query: str, label: str | None) -> list[tuple[int, int]]:
        index = idx.by_gram if label is None else idx.by_label_gram.get(label, {})
        postings = sorted((p for g in _grams(query) if (p := index.get(g))), key=len)
        counts: Counter[int] = Counter()
        read = 0
        for posting in postings:
            if read and read + len(posting) > idx.SCAN:
                break
            read += len(posting)
            counts.update(posting)
        return counts.most_common(idx.BLOCK)

    queries = [rng.choice(names)[:rng.randint(2, 9)] for _ in range(300)] + ["泰", "", "xy"]
    ties = 0
    for q in queries:
        for label in (None, "Team", "Nothing"):
            keys, ranked = idx.block(q, label)
            expected = counted(q, label)
            assert ranked == [i for i, _ in expected], (q, label)
            assert keys == [idx.entries[i].parts.outer for i in ranked]
            ties += any(a[1] == b[1] for a, b in itertools.pairwise(expected))
    assert ties > 100  # most rankings had ties to order


def test_whole_graph_work_skips_full_collections_only() -> None:
    """During the analysis the cyclic collector makes no full collections (they walk the
    whole loaded store) but still frees young cycles (a driver's result objects), and
    its thresholds are as they were afterwards, on error too."""
    import gc
    import weakref

    from graph.analytics.computed import without_full_collections

    class Node:
        def __init__(self) -> None:
            self.me = self

    before = gc.get_threshold()
    left = Node()  # garbage from before the work (an ingest's pipeline)
    left_ref = weakref.ref(left)
    del left
    with pytest.raises(RuntimeError), without_full_collections():
        assert left_ref() is None  # freed by the one collection at the start
        with without_full_collections():  # nested: no second collection
            assert gc.get_threshold()[2] > 10**8
        assert gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] > 10**8
        stats0 = gc.get_stats()[2]["collections"]
        cycle = Node()
        dead = weakref.ref(cycle)
        del cycle
        keep = [[i] for i in range(200_000)]  # allocations that set off young collections
        assert dead() is None  # the cycle was found by a young collection
        assert gc.get_stats()[2]["collections"] == stats0  # and no full one ran
        del keep
        raise RuntimeError("failed halfway")
    assert gc.get_threshold() == before


class NameSearchCounting(EmbeddedStore):
    """An in-memory store that counts substring searches (the name resolution of a
    credit-code row asks one) and can claim more Enterprise nodes than it holds."""

    def __init__(self, claimed: int | None = None) -> None:
        super().__init__(None)
        self.searches = 0
        self.claimed = claimed

    def search(self, *, text: str, labels: Sequence[str] | None = None,
               limit: int = 20) -> list[Any]:
        self.searches += 1
        return super().search(text=text, labels=labels, limit=limit)

    def count_nodes(self, label: str) -> int:
        real = super().count_nodes(label)
        return real if self.claimed is None else max(real, self.claimed)


@pytest.mark.parametrize("stored", [
    [],  # a first load: nothing stored
    [Enterprise(uid=f"ent:{CODE_C}", name="泰安XX科技有限公司", credit_code=CODE_C)],  # itself
    [University(uid="uni:4137010434", name="山东农业大学", moe_code="4137010434")]])
def test_a_credit_code_row_searches_names_only_when_another_enterprise_is_stored(
        stored: list[Any]) -> None:
    # the name search of a credit-code row looks for another stored Enterprise to merge
    # or flag: with none stored it is skipped, and the answer is the one the search gives
    def resolve(claimed: int | None) -> tuple[Any, int]:
        s = NameSearchCounting(claimed)
        s.open()
        if stored:
            s.upsert_nodes(nodes=stored)
        r = Resolver(s)
        r.register(uid="ent:泰安xx科技有限公司", name="泰安XX科技有限公司", label="Enterprise")
        before = s.searches
        res = r.resolve("泰安XX科技有限责任公司", credit_code=CODE_C)
        return res, s.searches - before

    quick, searched = resolve(None)
    full, searched_full = resolve(10)  # as if other Enterprise nodes were stored
    assert searched == 0 and searched_full > 0
    assert quick == full
    assert quick.uid == f"ent:{CODE_C}" and quick.supersedes == [] and quick.candidates == []


def test_the_name_search_still_finds_what_a_credit_code_supersedes_or_conflicts_with(
        store: CountingStore) -> None:
    # one more stored Enterprise than the row's own node: the search runs and finds it
    r = Resolver(store)
    assert store.count_nodes("Enterprise") == 2
    res = r.resolve("泰安XX科技有限责任公司", credit_code=CODE_C)
    assert res.supersedes == ["ent:泰安xx科技有限公司"]
    store.delete(uids=["ent:泰安xx科技有限公司"])
    assert store.count_nodes("Enterprise") == 1
    res = r.resolve("泰安康复医疗器械有限公司", credit_code=CODE_B)
    assert [(c.uid, c.rule) for c in res.candidates] == [(f"ent:{CODE_A}",
                                                         "credit_code_conflict")]


def test_stored_only_resolution_reports_what_a_full_one_reports_of_stored_nodes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``stored_only`` (the ingest's mode: only stored candidates are asked about) may
    leave unstored neighbours that cannot be the same entity uncompared, and must
    otherwise answer as the full resolution: the same match, the same stored candidates
    in the same order. Names of one run are registered but not stored; some are stored;
    spellings vary by legal form, region, brackets and near-misses."""
    import random

    from ingest.resolve import names as names_module
    from ingest.resolve import resolver as resolver_module
    from schemas.nodes import Platform, Team

    rng = random.Random(11)
    chars = "泰安康复医疗智能装备生物材料数字健康养老机器人监测中药"
    kinds = {"Team": ("研究团队", "创新团队", "团队"),
             "Platform": ("工程技术研究中心", "重点实验室")}
    store = EmbeddedStore(None)
    store.open()
    resolver = Resolver(store)
    models = {"Team": Team, "Platform": Platform}
    bodies = sorted({"".join(rng.choice(chars) for _ in range(rng.randint(3, 6)))
                     for _ in range(400)})
    made: list[tuple[str, str]] = []
    stored: set[str] = set()
    for k, body in enumerate(bodies):
        label = "Team" if k % 3 else "Platform"
        name = rng.choice(["", "泰安", "山东泰安"]) + body + rng.choice(kinds[label])
        if k % 17 == 0:
            name += f"({rng.choice(bodies)}{kinds[label][0]})"
        uid = make_uid(label, name)
        if k % 29 == 0:  # a few stored: most names have no stored neighbour
            store.upsert_nodes(nodes=[models[label](uid=uid, name=name)])
            stored.add(uid)
        resolver.register(uid=uid, name=name, label=label)
        made.append((label, name))
    assert store.count_nodes("Platform") >= 1

    compared = {"n": 0}
    real_compare = names_module.compare_parts

    def counting(*args: Any, **kwargs: Any) -> Any:
        compared["n"] += 1
        return real_compare(*args, **kwargs)

    monkeypatch.setattr(resolver_module, "compare_parts", counting)

    def outcome(res: Any) -> tuple[str, Any]:
        if res.status == "matched":
            return "matched", res.uid
        return "stored", [(c.uid, c.score, c.rule) for c in res.candidates if c.uid in stored]

    queries: list[tuple[str, str]] = []
    for label, name in made:
        queries.append((label, name))
        queries.append((label, name.replace("泰安", "")[:-1] + rng.choice(chars)))
        queries.append((label, rng.choice(chars) + name[1:]))
        queries.append((label, name + "有限公司"))
    lists_stored = matched = spared = 0
    for label, q in queries:
        compared["n"] = 0
        full = resolver.resolve(q, label=label)
        full_calls = compared["n"]
        compared["n"] = 0
        lazy = resolver.resolve(q, label=label, stored_only=True)
        assert outcome(lazy) == outcome(full), (label, q)
        spared += full_calls > 0 and compared["n"] * 3 <= full_calls
        lists_stored += bool(outcome(full)[0] == "stored" and outcome(full)[1])
        matched += full.status == "matched"
    assert lists_stored > 20 and matched > 100  # both kinds of answer were compared
    assert spared > 300  # and where no neighbour was stored, most comparisons left out
    # a University (a short name may be picked among unstored candidates) or no label:
    # never lazy
    for label in ("University", None):
        resolver.register(uid=make_uid("University", "泰安康复医疗学院"),
                          name="泰安康复医疗学院", label="University")
        counts = []
        for flag in (True, False):
            compared["n"] = 0
            resolver.resolve("泰安康复医疗大学", label=label, stored_only=flag)
            counts.append(compared["n"])
        assert counts[0] == counts[1] > 0


def test_stored_only_retrieves_nothing_for_a_label_with_nothing_stored(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing of a label stored (a first load: its table registers names it has
    not written yet), ``stored_only`` retrieves no fuzzy neighbours at all and still
    finds every variant the full resolution finds; where a spelling of the label has a
    bracketed name, or the query has one, it retrieves as before."""
    import random

    from ingest.resolve.resolver import _NameIndex
    from schemas.nodes import Hospital

    rng = random.Random(3)
    chars = "泰安康复医疗智能装备生物材料数字健康养老机器人监测中药"
    store = EmbeddedStore(None)
    store.open()
    resolver = Resolver(store)
    names: dict[str, list[str]] = {"Team": [], "Hospital": []}
    for k in range(300):
        label = "Team" if k % 2 else "Hospital"
        body = "".join(rng.choice(chars) for _ in range(rng.randint(3, 6)))
        name = rng.choice(["", "泰安", "山东泰安"]) + body + (
            "研究团队" if label == "Team" else "医院")
        if label == "Hospital" and k % 20 == 0:
            name += f"({body}康复中心)"
        resolver.register(uid=make_uid(label, name), name=name, label=label)
        names[label].append(name)
    store.upsert_nodes(nodes=[Hospital(uid="hos:stored", name="泰安某某医院")])
    store.delete(uids=["hos:stored"])  # stored once, gone: nothing of the label now
    assert store.count_nodes("Team") == store.count_nodes("Hospital") == 0

    blocks = {"n": 0}
    real_block = _NameIndex.block

    def counting(self: Any, query: str, label: str | None) -> Any:
        blocks["n"] += 1
        return real_block(self, query, label)

    monkeypatch.setattr(_NameIndex, "block", counting)
    matched = retrievals = 0
    for label, spelled in names.items():
        for name in spelled:
            for q in (name, name.replace("泰安", "")[:-2] + "团队",
                      "山东" + name, rng.choice(chars) + name[1:]):
                blocks["n"] = 0
                full = resolver.resolve(q, label=label)
                retrieved = blocks["n"]
                blocks["n"] = 0
                lazy = resolver.resolve(q, label=label, stored_only=True)
                assert (lazy.status == "matched") == (full.status == "matched"), q
                assert lazy.uid == full.uid
                # Teams: nothing stored, nothing bracketed: nothing retrieved (the
                # alias table's institutes and universities would be retrieved).
                # Hospitals: some spellings are bracketed: retrieved as before.
                assert blocks["n"] == (0 if label == "Team" else retrieved), (label, q)
                matched += full.status == "matched"
                retrievals += retrieved > 0
    assert matched > 300 and retrievals > 300
    assert all(resolver.resolve(n, label="Team", stored_only=True).status == "matched"
               for n in names["Team"])
