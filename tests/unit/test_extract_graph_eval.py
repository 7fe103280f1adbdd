"""Extraction → schema nodes and relationships; the NER evaluation and its gold set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api import cli_extract  # noqa: F401
from api.cli import app
from ingest.extract.core import Rules
from ingest.extract.errors import ExtractError
from ingest.extract.evaluate import GoldDoc, parse_maps, read_gold, score
from ingest.extract.graph import document_graph, document_uid
from schemas.nodes import Document, Target
from schemas.relationships import check_endpoints

GOLD = Path(__file__).resolve().parents[1] / "data" / "extract" / "gold_policy.jsonl"

PLAN = ("2020年全市科技工作要点。——加快泰安市产业技术创新研究院建设,争取成为山东产业技术研究院"
        "分支机构,加挂山东产业技术研究院泰安分院牌子,转移转化3项以上技术成果。"
        "依托山东农业大学建设作物生物学国家重点实验室。")


def test_document_graph() -> None:
    ex = Rules().extract(PLAN, doc_id="plan")
    known = {("山东农业大学", "University"): "uni:4137010434"}
    g = document_graph(ex, resolve=lambda name, label: known.get((name, label)),
                       title="2020年科技工作要点")
    uid, sha = document_uid(PLAN)
    assert g.document_uid == uid == f"doc:{sha[:16]}"
    doc = next(n for n in g.nodes if isinstance(n, Document))
    assert doc.sha256 == sha and doc.length == len(PLAN)

    mentions = [r for r in g.relationships if r.type == "MENTIONED_IN"]
    assert len(mentions) == len(ex.entities)
    assert all(r.target == uid and r.key == f"{r.start}-{r.end}" for r in mentions)

    by_uid = {n.uid: n for n in g.nodes}
    # the second plate is an alias of the institute, not a node of its own
    inst = by_uid["ins:泰安市产业技术创新研究院"]
    assert inst.aliases == ["山东产业技术研究院泰安分院"]
    assert not any(n.name == "山东产业技术研究院泰安分院" for n in g.nodes)
    assert "uni:4137010434" not in by_uid  # resolved: an existing node is not re-created

    rels = {(r.source, r.type, r.target): r for r in g.relationships}
    branch = rels[("ins:泰安市产业技术创新研究院", "BRANCH_OF", "ins:山东产业技术研究院")]
    assert "分支机构" in branch.evidence
    assert branch.provenance.method.endswith(":branch_become")
    hosted = [r for r in g.relationships if r.type == "HOSTED_BY"]
    assert [r.target for r in hosted] == ["uni:4137010434"]

    (target,) = [n for n in g.nodes if isinstance(n, Target)]
    assert (target.metric, target.value, target.unit, target.comparator, target.year) == (
        "转移转化技术成果", 3, "项", ">=", 2020)
    assert (target.uid, "SET_BY", uid) in rels


def test_document_graph_reports_what_the_ontology_forbids() -> None:
    ex = Rules().extract("以泰山创新谷为核心的泰安市医养健康产业联盟", doc_id="x")
    labels = {e.text: e.label for e in ex.entities}
    assert labels == {"泰山创新谷": "ZONE", "泰安市医养健康产业联盟": "ORG"}
    g = document_graph(ex, resolve=lambda n, lab: None)
    located = [r for r in g.relationships if r.type == "LOCATED_IN"]
    assert len(located) == 1 and check_endpoints(located[0], "Platform", "Region") is None
    g2 = document_graph(ex, resolve=lambda n, lab: None, label_map={"ZONE": "Region"})
    assert any("no node label" in s for s in g2.skipped)


def test_score_counts_exact_spans_and_maps_labels() -> None:
    gold = [GoldDoc("北京博爱医院院长吴弦光", [(0, 6, "ORG"), (8, 11, "PER"), (0, 2, "LOC")])]

    def predict(texts: list[str]) -> list[list[tuple[int, int, str]]]:
        return [[(0, 6, "HOSPITAL"), (8, 10, "PERSON"), (0, 2, "PROGRAM")]]

    rows = {r.label: r for r in score(gold, predict, label_map=parse_maps(
        ["ORG=ORG", "PER=PERSON"]), collapse_org=True)}
    assert set(rows) == {"ORG", "PERSON", "ALL"}  # LOC dropped, PROGRAM ignored
    assert (rows["ORG"].tp, rows["ORG"].fp, rows["ORG"].fn) == (1, 0, 0)
    assert (rows["PERSON"].tp, rows["PERSON"].fp, rows["PERSON"].fn) == (0, 1, 1)
    assert rows["ALL"].precision == 0.5


def test_parse_maps_rejects_junk() -> None:
    with pytest.raises(ExtractError):
        parse_maps(["PER"])


def test_gold_offsets_slice_their_text() -> None:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    spans = [s for r in rows for s in r["spans"]]
    assert 60 <= len(spans) <= 150
    for r in rows:
        for s in r["spans"]:
            assert r["text"][s["start"]:s["end"]] == s["text"]
    assert len(list(read_gold(GOLD))) == len(rows)


def test_policy_gold_scores_stay_high() -> None:
    """A regression guard on the hand-annotated set (developed on, so optimistic)."""
    rules = Rules()

    def predict(texts: list[str]) -> list[list[tuple[int, int, str]]]:
        return [[(e.start, e.end, e.label) for e in rules.extract(t).entities] for t in texts]

    rows = {r.label: r for r in score(read_gold(GOLD), predict, collapse_org=True)}
    assert rows["ORG"].precision >= 0.9
    assert rows["ALL"].f1 >= 0.9


def test_cli_eval_ner(tmp_path: Path) -> None:
    gold = tmp_path / "g.jsonl"
    gold.write_text(json.dumps({"text": "院长吴弦光代表医院", "spans": [
        {"start": 2, "end": 5, "label": "PER"}]}, ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "ner", str(gold), "--map", "PER=PERSON",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout[result.stdout.index("["):])
    assert rows[0] == {"label": "PERSON", "gold": 1, "predicted": 1, "tp": 1,
                       "precision": 1.0, "recall": 1.0, "f1": 1.0}
    bad = CliRunner().invoke(app, ["eval", "ner", str(gold), "--map", "PER"])
    assert bad.exit_code != 0
