"""The statistical NER model (a character CRF): loading, features, the gate that keeps
categories and fragments out, merging with the rules, CLI switches."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api import cli_extract  # noqa: F401  (registers the commands)
from api.cli import app
from ingest.extract.core import Rules
from ingest.extract.crf import Featurizer, bio_tags, spans_of
from ingest.extract.evaluate import read_gold, score
from ingest.extract.lexicon import PRIORITY, load_lexicon
from ingest.extract.matchers import Candidate
from ingest.extract.pipeline import STATISTICAL, build_pipeline
from ingest.extract.statistical import (
    MODEL_FILE,
    USE_MODEL_BY_DEFAULT,
    LabelMapper,
    ModelGate,
    boundaries,
    load_model,
    merge,
)

SENTENCE = "欧盟委员会主席冯德莱恩访问北京。"
GOLD = Path(__file__).resolve().parents[1] / "data" / "extract" / "gold_policy.jsonl"


@pytest.fixture(scope="module")
def default() -> Any:
    return build_pipeline()


@pytest.fixture(scope="module")
def rules_only() -> Any:
    return build_pipeline(rules_only=True)


@pytest.fixture(scope="module")
def gate() -> ModelGate:
    return ModelGate(Rules().orgs)


def _ents(nlp: Any, text: str) -> set[tuple[str, str]]:
    return {(e.text, e.label) for e in nlp(text)._.innograph_entities}


def test_model_loads_from_package_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    load_model.cache_clear()
    tagger = load_model()
    assert Path(tagger.path) == MODEL_FILE
    labels = {label for _, _, label, _ in tagger.spans(SENTENCE)}
    assert labels <= {"ORG", "PER", "LOC"} and "PER" in labels
    assert MODEL_FILE.stat().st_size < 15 * 1024 * 1024


def test_model_is_in_the_default_pipeline(default: Any, rules_only: Any) -> None:
    assert USE_MODEL_BY_DEFAULT
    assert STATISTICAL in default.pipe_names
    assert default.pipe_names.index(STATISTICAL) < default.pipe_names.index(
        "innograph_entities")
    assert STATISTICAL not in rules_only.pipe_names


def test_finds_unsuffixed_org_and_person(default: Any, rules_only: Any) -> None:
    found = _ents(default, SENTENCE)
    assert ("欧盟委员会", "ORG") in found
    assert ("冯德莱恩", "PERSON") in found
    old = _ents(rules_only, SENTENCE)
    assert ("欧盟委员会", "ORG") not in old
    assert ("冯德莱恩", "PERSON") not in old


def test_full_width_text_reads_like_half_width() -> None:
    f = Featurizer.from_lexicon(load_lexicon())
    half = f.features("ABC公司2020年", ["ABC", "公司", "2020", "年"])
    full = f.features("ＡＢＣ公司２０２０年", ["ＡＢＣ", "公司", "２０２０", "年"])
    assert [row[0] for row in half] == [row[0] for row in full]
    assert half[0][0] == "c=A"


def test_words_that_do_not_spell_the_text_are_not_used() -> None:
    f = Featurizer.from_lexicon(load_lexicon())
    rows = f.features("泰安市", ["泰安"])
    assert all("w=?" in row for row in rows)
    assert len(rows) == 3


def test_bio_round_trip() -> None:
    spans = [(0, 2, "PER"), (3, 7, "ORG")]
    tags = bio_tags(8, spans)
    assert tags == ["B-PER", "I-PER", "O", "B-ORG", "I-ORG", "I-ORG", "I-ORG", "O"]
    assert spans_of(tags) == spans
    assert spans_of(["I-LOC", "I-LOC", "O"]) == [(0, 2, "LOC")]  # no B: still a span
    assert bio_tags(4, [(0, 3, "ORG"), (1, 2, "PER")]) == ["B-ORG", "I-ORG", "I-ORG", "O"]


@pytest.mark.parametrize("text", ["国家重点实验室", "院士工作站", "省委", "山东省重点实验室",
                                  "高层次创新平台", "民政厅(局", "中共中央 国务院", "税务部门",
                                  "十九届二中"])
def test_gate_keeps_categories_and_fragments_out(gate: ModelGate, text: str) -> None:
    assert not gate.keep(text, 0, len(text), "ORG", 1.0, None)


@pytest.mark.parametrize("text", ["中国共产党", "国务院", "欧盟委员会", "司法部", "中央军委",
                                  "泰安市科学技术局", "意大利队", "人民出版社"])
def test_gate_lets_names_through(gate: ModelGate, text: str) -> None:
    assert gate.keep(text, 0, len(text), "ORG", 0.95, None)


def test_gate_floors(gate: ModelGate) -> None:
    # generic words only: a name only when the model is sure (世界卫生组织, not 智能物流)
    assert gate.keep("世界卫生组织", 0, 6, "ORG", 0.99, None)
    assert not gate.keep("智能物流", 0, 4, "ORG", 0.6, None)
    assert not gate.keep("张伟", 0, 2, "PER", 0.3, None)
    assert gate.keep("张伟", 0, 2, "PER", 0.8, None)
    # a span cutting a word (足泰安 of 立足泰安) needs a high confidence
    text = "立足泰安"
    cuts = boundaries(["立足", "泰安"])
    assert cuts == frozenset({0, 2, 4})
    assert not gate.keep(text, 1, 4, "LOC", 0.8, cuts)
    assert gate.keep(text, 2, 4, "LOC", 0.8, cuts)


def test_fine_label_from_suffix() -> None:
    mapper = LabelMapper(load_lexicon())
    assert mapper.fine_label("清华大学", "ORG") == "UNIVERSITY"
    assert mapper.fine_label("浪潮集团有限公司", "ORG") == "ENTERPRISE"
    assert mapper.fine_label("新华社", "ORG") == "ORG"
    assert mapper.fine_label("张伟", "PER") == "PERSON"
    assert mapper.fine_label("欧洲", "LOC") == "LOCATION"
    assert mapper.candidates("王", [(0, 1, "PER", 1.0)]) == []  # shorter than min_length
    got = mapper.candidates("张伟说", [(0, 2, "PER", 0.7)])
    assert got[0].confidence == 0.7 and got[0].rule == "model:PER"


def _cand(a: int, b: int, label: str, rule: str, confidence: float = 1.0) -> Candidate:
    prio = PRIORITY["model"] if rule.startswith("model:") else PRIORITY.get(
        rule.split(":")[0], 20)
    return Candidate(a, b, label, rule, prio, confidence=confidence)


def test_rules_win_on_overlap_unless_the_model_is_sure() -> None:
    rule = _cand(0, 6, "UNIVERSITY", "org:大学")
    inside = _cand(2, 6, "ORG", "model:ORG", 0.99)
    crossing = _cand(4, 9, "ORG", "model:ORG", 0.99)
    apart = _cand(10, 13, "ORG", "model:ORG", 0.6)
    for m in (inside, crossing):
        assert merge([rule], [m]) == [rule]
    assert merge([rule], [apart]) == [rule, apart]
    # the outermost name is the mention: a confident longer model span wins
    around = _cand(0, 8, "ORG", "model:ORG", 0.95)
    assert merge([rule], [around]) == [around]
    unsure = _cand(0, 8, "ORG", "model:ORG", 0.6)
    assert merge([rule], [unsure]) == [rule]


def test_weak_rules_give_way_to_a_sure_model() -> None:
    person = _cand(3, 5, "PERSON", "person:title_after")  # 林老 of 季羡林老先生
    model = _cand(2, 5, "PERSON", "model:PER", 0.97)
    assert merge([person], [model]) == [model]
    assert merge([person], [_cand(2, 5, "PERSON", "model:PER", 0.6)]) == [person]
    place = _cand(0, 2, "LOCATION", "place")
    assert merge([place], [_cand(0, 4, "ORG", "model:ORG", 0.55)]) == [
        _cand(0, 4, "ORG", "model:ORG", 0.55)]
    same = _cand(0, 2, "LOCATION", "model:LOC", 0.55)
    assert merge([place], [same]) == [place]


def test_rules_win_in_the_pipeline(default: Any, rules_only: Any) -> None:
    text = "山东农业大学与泰安市科学技术局签署协议。"
    old = {(e.start, e.end, e.label) for e in rules_only(text)._.innograph_entities}
    new = {(e.start, e.end, e.label) for e in default(text)._.innograph_entities}
    assert old <= new
    assert (0, 6, "UNIVERSITY") in new


def test_policy_precision_holds_with_the_model(default: Any) -> None:
    def predict(texts: list[str]) -> list[list[tuple[int, int, str]]]:
        return [[(e.start, e.end, e.label) for e in d._.innograph_entities]
                for d in default.pipe(texts)]

    rows = {r.label: r for r in score(read_gold(GOLD), predict, collapse_org=True)}
    assert rows["ORG"].precision >= 0.9
    assert rows["ORG"].recall >= 0.95
    assert rows["PERSON"].precision >= 0.9


runner = CliRunner()


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(ln) for ln in output.splitlines() if ln.strip()]


def test_cli_switches(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": SENTENCE}, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    plain = runner.invoke(app, ["extract", "--format", "jsonl", "--rules-only", str(src)])
    assert plain.exit_code == 0, plain.output
    expected = build_pipeline(rules_only=True)(SENTENCE)._.innograph_entities
    assert _lines(plain.output)[0]["entities"] == [e.to_json() for e in expected]
    for args in (["--with-model"], []):
        out = runner.invoke(app, ["extract", "--format", "jsonl", *args, str(src)])
        assert out.exit_code == 0, out.output
        assert {"start": 0, "end": 5, "text": "欧盟委员会", "label": "ORG"} in _lines(
            out.output)[0]["entities"]
    both = runner.invoke(app, ["extract", "--rules-only", "--with-model", str(src)])
    assert both.exit_code != 0


def test_cli_eval_switches(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"text": SENTENCE, "spans": [
        {"start": 0, "end": 5, "label": "ORG"}]}, ensure_ascii=False) + "\n", encoding="utf-8")
    args = ["eval", "ner", str(gold), "--map", "ORG=ORG", "--format", "json"]
    old = json.loads(runner.invoke(app, [*args, "--rules-only"]).output)
    new = json.loads(runner.invoke(app, args).output)
    assert old[0]["tp"] == 0
    assert new[0]["tp"] == 1


def test_batched_decoding_gives_crfsuites_answers() -> None:
    import jieba

    from ingest.extract.crf import CompiledCrf

    tagger = load_model()
    fast = CompiledCrf(tagger.path, tagger.featurizer)
    texts = [*[d.text for d in read_gold(GOLD)][:60],
             SENTENCE, "ＡＢＣ公司与北京大学合作", "a", "  空格 开头", "新华社北京3月5日电",
             "习近平总书记在山东考察", "张伟、李娜和王芳出席会议。"]
    words = [jieba.lcut(t) for t in texts]
    words[-1] = ["张伟"]  # words that do not spell the text: no word features
    ref = [tagger.spans(t, w) for t, w in zip(texts, words, strict=True)]
    got = fast.spans_many(texts, words, group=16)
    assert [[s[:3] for s in r] for r in ref] == [[s[:3] for s in g] for g in got]
    for r, g in zip(ref, got, strict=True):
        for a, b in zip(r, g, strict=True):
            assert abs(a[3] - b[3]) < 1e-4
    assert any(ref)  # the sample has entities


def test_pipe_and_call_agree(default: Any) -> None:
    texts = [*[d.text for d in read_gold(GOLD)][:40], SENTENCE]
    one = [[(e.start, e.end, e.label) for e in default(t)._.innograph_entities]
           for t in texts]
    many = [[(e.start, e.end, e.label) for e in d._.innograph_entities]
            for d in default.pipe(texts)]
    assert one == many
