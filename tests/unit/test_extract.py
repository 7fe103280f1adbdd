"""Extraction of actors, relations and targets from Chinese text (real sentences of the
2020 泰安 science and technology work plan), and the ``innograph extract`` contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from typer.testing import CliRunner

from api import cli_extract  # noqa: F401  (registers the commands)
from api.cli import app
from ingest.extract.core import Extraction, Rules
from ingest.extract.lexicon import ORG_LABELS, load_lexicon
from ingest.extract.pipeline import COMPONENTS, build_pipeline, extraction
from ingest.extract.targets import document_year


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return build_pipeline()


@pytest.fixture(scope="module")
def rules_only() -> Rules:
    """The structural rules without the resolver's curated aliases: the seed's names are
    among those aliases, so this is what the rules find in text nobody has curated."""
    return Rules(load_lexicon(resolver_aliases=False))


def run(nlp: spacy.language.Language, text: str) -> Extraction:
    return extraction(nlp(text), "t")


def names(ex: Extraction) -> dict[str, str]:
    return {e.text: e.label for e in ex.entities}


def test_components_are_registered_with_default_configs() -> None:
    blank = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    for name in COMPONENTS:
        blank.add_pipe(name)
    doc = blank("依托泰山创新谷黑马学院建设孵化基地")
    assert [e.text for e in doc._.innograph_entities] == ["泰山创新谷黑马学院"]


def test_name_after_verb_is_found_without_the_verb(nlp: spacy.language.Language) -> None:
    ex = run(nlp, "依托泰山创新谷黑马学院,深化与北京创享智库合作。")
    found = names(ex)
    assert found["泰山创新谷黑马学院"] in {"PLATFORM", "ORG"}
    assert not any("依托" in n for n in found)
    assert found["北京创享智库"] == "INSTITUTE"  # a think tank: an institute, not a platform
    for e in ex.entities:
        assert ex.text[e.start:e.end] == e.text


def test_doc_ents_are_token_aligned_and_disjoint(nlp: spacy.language.Language) -> None:
    doc = nlp("依托泰山创新谷黑马学院建设孵化基地")
    assert len(doc.ents) == 1
    # jieba may glue or split; the exact span is kept on the extension
    assert doc._.innograph_entities[0].text == "泰山创新谷黑马学院"


@pytest.mark.parametrize("use_aliases", [True, False])
def test_parenthesised_second_name_is_an_alias(use_aliases: bool, nlp: spacy.language.Language,
                                               rules_only: Rules) -> None:
    text = "6.重点建设泰安市产业技术创新研究院(山东产业技术研究院泰安分院)。"
    ex = run(nlp, text) if use_aliases else rules_only.extract(text)
    found = names(ex)
    assert found["泰安市产业技术创新研究院"] == "INSTITUTE"
    assert found["山东产业技术研究院泰安分院"] == "INSTITUTE"
    rels = [(ex.entities[r.head].text, r.type, ex.entities[r.tail].text) for r in ex.relations]
    assert ("山东产业技术研究院泰安分院", "ALIAS_OF", "泰安市产业技术创新研究院") in rels


def test_second_plate_and_branch(rules_only: Rules) -> None:
    ex = rules_only.extract("——加快泰安市产业技术创新研究院建设,争取成为山东产业技术研究院分支机构,"
                            "加挂山东产业技术研究院泰安分院牌子,引进与培养5个左右创新人才团队。")
    rels = {(ex.entities[r.head].text, r.type, ex.entities[r.tail].text): r for r in ex.relations}
    assert ("泰安市产业技术创新研究院", "BRANCH_OF", "山东产业技术研究院") in rels
    alias = rels[("山东产业技术研究院泰安分院", "ALIAS_OF", "泰安市产业技术创新研究院")]
    assert alias.rule == "alias_second_plate"
    assert alias.evidence.startswith("——加快泰安市产业技术创新研究院建设")


def test_a_fund_or_scheme_named_after_a_place_is_not_the_place(rules_only: Rules) -> None:
    ex = rules_only.extract("充分发挥泰山科技创业资金、泰安市科技创新转化基金的杠杆作用,"
                            "推荐入选泰山产业领军人才,登上泰山之巅。")
    places = [e.text for e in ex.entities if e.label == "LOCATION"]
    # only the mountain itself: not the fund, the 基金 or the talent scheme
    assert places == ["泰山"] and ex.entities[[e.text for e in ex.entities].index("泰山")
                                                ].start > ex.text.index("登上")


def test_community_is_one_entity_located_in_the_valley(rules_only: Rules) -> None:
    ex = rules_only.extract("——推进以泰山创新谷为核心的山东省智慧康养创新创业共同体建设,"
                            "引进3个高水平研发团队。")
    found = names(ex)
    assert found["山东省智慧康养创新创业共同体"] == "PLATFORM"
    assert found["泰山创新谷"] == "ZONE"
    assert not any(n != "山东省智慧康养创新创业共同体" and "共同体" in n for n in found)
    rel = ex.relations[0]
    assert (ex.entities[rel.head].text, rel.type, ex.entities[rel.tail].text) == (
        "山东省智慧康养创新创业共同体", "LOCATED_IN", "泰山创新谷")


@pytest.mark.parametrize("text", [
    "——建设4家企业联合创新中心,10家省级工程技术研究中心、重点实验室、技术创新中心、院士工作站等"
    "高层次创新平台,5家省级以上众创空间、科技企业孵化器。",
    "加强我市已有重点实验室、工程技术研究中心等科技创新平台的能力建设,发挥其集聚辐射作用。",
    "重点争取在国家科技企业孵化器、国家众创空间、国家引才引智示范基地、国家技术创新中心、"
    "国家重点实验室、省技术创新中心、省工程技术研究中心、省重点实验室、省科技企业孵化器、"
    "省众创空间、省离岸创新创业基地、省国际科技合作基地等15类创新平台的培育建设方面取得突破。",
    "抢抓山东省实验室和省级技术创新中心布局、山东省重点实验室体系重组等机遇。",
    "提升科技企业孵化器和众创空间的专业化水平,培育一批创业孵化平台。",
])
def test_categories_are_not_entities(text: str, nlp: spacy.language.Language) -> None:
    orgs = [e.text for e in run(nlp, text).entities if e.label in ORG_LABELS | {"ZONE"}]
    assert orgs == []


def test_government_bodies_need_a_place_or_level(nlp: spacy.language.Language) -> None:
    ex = run(nlp, "(责任单位:省文化和旅游厅、省商务厅、省民政厅等)各省工业和信息化主管部门、"
                  "民政厅(局)、卫生健康委:")
    assert [e.text for e in ex.entities] == ["省文化和旅游厅", "省商务厅", "省民政厅"]


def test_unknown_county_learned_from_its_bureau(rules_only: Rules) -> None:
    ex = rules_only.extract("临海市科学技术局印发通知,打造“创新临海”。")
    assert names(ex) == {"临海市科学技术局": "GOVERNMENT", "临海": "LOCATION"}


def test_campus_in_brackets_and_short_name(nlp: spacy.language.Language) -> None:
    ex = run(nlp, "中国石油大学（华东）与山东农业大学（以下简称“山农大”）合作。山农大牵头。")
    found = [(e.text, e.label) for e in ex.entities]
    assert ("中国石油大学（华东）", "UNIVERSITY") in found
    assert found.count(("山农大", "UNIVERSITY")) == 2
    assert any(r.type == "ALIAS_OF" for r in ex.relations)


def test_programmes_and_persons(nlp: spacy.language.Language) -> None:
    ex = run(nlp, "——科学编制《泰安市“十四五”科技创新发展规划》。"
                  "有效衔接省“外专双百计划”重大引才工程。"
                  "深刻领会习近平总书记关于科技创新重要论述。院长吴弦光代表医院致辞。")
    found = names(ex)
    assert found["泰安市“十四五”科技创新发展规划"] == "PROGRAM"
    assert found["外专双百计划"] == "PROGRAM"
    assert found["习近平"] == "PERSON"
    assert found["吴弦光"] == "PERSON"


def test_relations_from_sentence_patterns(nlp: spacy.language.Language) -> None:
    ex = run(nlp, "支持泰开集团建设山东省输变电装备技术创新中心,"
                  "与山东农业大学共建小麦育种联合实验室。")
    rels = {(ex.entities[r.head].text, r.type, ex.entities[r.tail].text): r.rule
            for r in ex.relations}
    assert rels[("山东省输变电装备技术创新中心", "HOSTED_BY", "泰开集团")] == "host_support_build"
    assert rels[("小麦育种联合实验室", "HOSTED_BY", "山东农业大学")] == "host_cobuild"


@pytest.mark.parametrize(("phrase", "metric", "value", "unit", "comparator"), [
    ("引进3个高水平研发团队", "引进高水平研发团队", 3, "个", "="),
    ("新增高新技术企业25家以上", "新增高新技术企业", 25, "家", ">="),
    ("省科技特派员系统注册人数达到600人以上", "省科技特派员系统注册人数", 600, "人", ">="),
    ("全市研究与试验发展经费投入强度达到2.2%", "研究与试验发展经费投入强度", 2.2, "%", "="),
    ("引进与培养5个左右创新人才团队", "引进与培养创新人才团队", 5, "个", "~"),
])
def test_targets(phrase: str, metric: str, value: float, unit: str, comparator: str,
                 nlp: spacy.language.Language) -> None:
    text = f"2020年全市科技工作要点。——{phrase}。"
    targets = run(nlp, text).targets
    assert len(targets) == 1
    t = targets[0]
    assert (t.metric, t.value, t.unit, t.comparator, t.year) == (metric, value, unit,
                                                                 comparator, 2020)
    assert text[t.start:t.end] == t.text


def test_target_list_inherits_its_verb_and_scope(rules_only: Rules) -> None:
    ts = rules_only.extract("——建设4家企业联合创新中心,5家省级以上众创空间、科技企业孵化器。"
                            "——全市研究与试验发展经费投入强度达到2.2%。",
                            year=2020).targets
    assert [(t.metric, t.value) for t in ts] == [
        ("建设企业联合创新中心", 4), ("建设省级以上众创空间、科技企业孵化器", 5),
        ("研究与试验发展经费投入强度", 2.2)]
    assert ts[2].scope == "全市"


def test_target_year_from_sentence_and_document() -> None:
    assert document_year("工信部联电子〔2021〕154号 行动计划(2021-2025年)") == 2021
    ex = Rules().extract("2020年工作要点。到2025年,全市高新技术企业数量突破500家。")
    assert [(t.value, t.year, t.comparator) for t in ex.targets] == [(500, 2025, ">=")]


def test_graph_entities_join_the_gazetteer() -> None:
    nlp = build_pipeline(graph_entities=[("鲁普耐特", "Enterprise"), ("泰", "Enterprise")])
    ex = extraction(nlp("鲁普耐特牵头组建产业联盟"), "x")
    assert names(ex) == {"鲁普耐特": "ENTERPRISE"}
    assert ex.entities[0].rule == "gazetteer:graph"


# --- the CLI contract ---------------------------------------------------------------

runner = CliRunner()


def _lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_cli_one_line_per_input_line(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes("\n".join([
        json.dumps({"id": "a", "text": "依托泰山创新谷黑马学院建设孵化基地"}, ensure_ascii=False),
        "",
        '{"id": "b", "text": "broken',
        json.dumps({"id": "c", "text": ""}),
        "[1, 2]",
        json.dumps({"id": "d", "text": 5}),
        json.dumps({"text": "no id"}),
    ]).encode("utf-8") + b"\n\xff\xfe\n")
    result = runner.invoke(app, ["extract", "--format", "jsonl", str(src)])
    assert result.exit_code == 0, result.output
    out = _lines(result.stdout)
    assert [o["id"] for o in out] == ["a", None, "b", "c", None, "d", None, None]
    assert ["error" in o for o in out] == [False, True, True, False, True, True, True, True]
    for o in out:
        assert set(o) - {"error"} == {"id", "entities", "relations"}
    text = "依托泰山创新谷黑马学院建设孵化基地"
    ents = out[0]["entities"]
    assert isinstance(ents, list) and ents
    for e in ents:
        assert text[e["start"]:e["end"]] == e["text"]
    assert out[3]["entities"] == [] and out[3]["relations"] == []


def test_cli_relations_index_entities(tmp_path: Path) -> None:
    text = "重点建设泰安市产业技术创新研究院(山东产业技术研究院泰安分院)。"
    src = tmp_path / "plan.txt"
    src.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["extract", "--format", "jsonl", str(src)])
    assert result.exit_code == 0
    (line,) = _lines(result.stdout)
    assert line["id"] == "plan.txt"
    rel = line["relations"][0]
    assert set(rel) == {"type", "head", "tail", "evidence"}
    assert line["entities"][rel["tail"]]["text"] == "泰安市产业技术创新研究院"
    assert rel["evidence"] == text.rstrip("。")


def test_cli_directory_and_details(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("新增高新技术企业25家以上", encoding="utf-8")
    (tmp_path / "a.txt").write_text("依托泰山创新谷建设孵化器", encoding="utf-8")
    result = runner.invoke(app, ["extract", "--details", str(tmp_path)])
    out = _lines(result.stdout)
    assert [o["id"] for o in out] == ["a.txt", "b.txt"]
    assert out[1]["targets"][0]["value"] == 25
    assert out[0]["entities"][0]["rule"] == "org:创新谷"


def test_cli_unreadable_input_fails(tmp_path: Path) -> None:
    result = runner.invoke(app, ["extract", "--format", "jsonl", str(tmp_path / "missing.jsonl")])
    assert result.exit_code != 0
    assert result.stdout == ""
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    assert runner.invoke(app, ["extract", str(empty_dir)]).exit_code != 0
