"""The optional statistical NER model: loading, label mapping, merging, CLI switches."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api import cli_extract  # noqa: F401  (registers the commands)
from api.cli import app
from ingest.extract.lexicon import PRIORITY, load_lexicon
from ingest.extract.matchers import Candidate
from ingest.extract.pipeline import STATISTICAL, build_pipeline
from ingest.extract.statistical import (
    MODEL_DIR,
    LabelMapper,
    load_model,
    merge,
    model_available,
)

pytestmark = pytest.mark.skipif(not model_available(), reason="no shipped model")

SENTENCE = "欧盟委员会主席冯德莱恩访问北京。"


@pytest.fixture(scope="module")
def with_model() -> Any:
    return build_pipeline(rules_only=False)


@pytest.fixture(scope="module")
def rules_only() -> Any:
    return build_pipeline(rules_only=True)


def _ents(nlp: Any, text: str) -> set[tuple[str, str]]:
    return {(e.text, e.label) for e in nlp(text)._.innograph_entities}


def test_model_loads_from_package_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    load_model.cache_clear()
    nlp = load_model()
    assert Path(MODEL_DIR, "config.cfg").is_file()
    assert set(nlp.get_pipe("ner").labels) == {"ORG", "PER", "LOC"}  # type: ignore[attr-defined]


def test_model_size_stays_small() -> None:
    size = sum(p.stat().st_size for p in MODEL_DIR.rglob("*") if p.is_file())
    assert size < 30 * 1024 * 1024


def test_component_in_pipeline_only_when_asked(with_model: Any, rules_only: Any) -> None:
    assert STATISTICAL in with_model.pipe_names
    assert with_model.pipe_names.index(STATISTICAL) < with_model.pipe_names.index(
        "innograph_entities")
    assert STATISTICAL not in rules_only.pipe_names


def test_finds_unsuffixed_org_and_person(with_model: Any, rules_only: Any) -> None:
    found = _ents(with_model, SENTENCE)
    assert ("欧盟委员会", "ORG") in found
    assert ("冯德莱恩", "PERSON") in found
    old = _ents(rules_only, SENTENCE)
    assert ("欧盟委员会", "ORG") not in old
    assert ("冯德莱恩", "PERSON") not in old


def test_fine_label_from_suffix() -> None:
    mapper = LabelMapper(load_lexicon())
    assert mapper.fine_label("清华大学", "ORG") == "UNIVERSITY"
    assert mapper.fine_label("浪潮集团有限公司", "ORG") == "ENTERPRISE"
    assert mapper.fine_label("新华社", "ORG") == "ORG"
    assert mapper.fine_label("张伟", "PER") == "PERSON"
    assert mapper.fine_label("欧洲", "LOC") == "LOCATION"
    got = mapper.candidates("王", [(0, 1, "PER")])
    assert got == []  # shorter than min_length


def _cand(a: int, b: int, label: str, rule: str) -> Candidate:
    prio = PRIORITY["model"] if rule.startswith("model:") else PRIORITY.get(
        rule.split(":")[0], 20)
    return Candidate(a, b, label, rule, prio)


def test_rules_win_on_overlap() -> None:
    rule = _cand(0, 6, "UNIVERSITY", "org:大学")
    inside = _cand(2, 6, "ORG", "model:ORG")
    around = _cand(0, 8, "ORG", "model:ORG")
    crossing = _cand(4, 9, "ORG", "model:ORG")
    apart = _cand(10, 13, "ORG", "model:ORG")
    for m in (inside, around, crossing):
        assert merge([rule], [m]) == [rule]
    assert merge([rule], [apart]) == [rule, apart]


def test_shape_only_place_gives_way_to_longer_model_span() -> None:
    place = _cand(0, 2, "LOCATION", "place")
    model = _cand(0, 4, "ORG", "model:ORG")
    assert merge([place], [model]) == [model]
    same = _cand(0, 2, "LOCATION", "model:LOC")
    assert merge([place], [same]) == [place]


def test_rules_win_in_the_pipeline(with_model: Any, rules_only: Any) -> None:
    text = "山东农业大学与泰安市科学技术局签署协议。"
    old = {(e.start, e.end, e.label) for e in rules_only(text)._.innograph_entities}
    new = {(e.start, e.end, e.label) for e in with_model(text)._.innograph_entities}
    assert old <= new
    assert (0, 6, "UNIVERSITY") in new


runner = CliRunner()


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(ln) for ln in output.splitlines() if ln.strip()]


def test_cli_rules_only_gives_the_rule_output(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": SENTENCE}, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    plain = runner.invoke(app, ["extract", "--format", "jsonl", "--rules-only", str(src)])
    assert plain.exit_code == 0, plain.output
    expected = build_pipeline(rules_only=True)(SENTENCE)._.innograph_entities
    got = _lines(plain.output)[0]["entities"]
    assert got == [e.to_json() for e in expected]
    model = runner.invoke(app, ["extract", "--format", "jsonl", "--with-model", str(src)])
    assert model.exit_code == 0, model.output
    assert {"start": 0, "end": 5, "text": "欧盟委员会", "label": "ORG"} in _lines(
        model.output)[0]["entities"]
    both = runner.invoke(app, ["extract", "--rules-only", "--with-model", str(src)])
    assert both.exit_code != 0


def test_cli_eval_switches(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"text": SENTENCE, "spans": [
        {"start": 0, "end": 5, "label": "ORG"}]}, ensure_ascii=False) + "\n", encoding="utf-8")
    args = ["eval", "ner", str(gold), "--map", "ORG=ORG", "--format", "json"]
    old = json.loads(runner.invoke(app, [*args, "--rules-only"]).output)
    new = json.loads(runner.invoke(app, [*args, "--with-model"]).output)
    assert old[0]["tp"] == 0
    assert new[0]["tp"] == 1
