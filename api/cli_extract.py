"""``innograph extract`` and ``innograph eval ner``: text extraction on the command line.

The output of ``extract --format jsonl`` is a contract other tooling reads: one JSON
line per input line, in order, ``{"id", "entities", "relations"}`` (plus ``"error"``
when the line could not be used). Keep it exactly so.

``eval_app`` is the ``eval`` sub-command group. It is defined once in :mod:`api.cli`
(link prediction registers ``eval linkpred`` on the same group) and re-exported here,
so ``from api.cli_extract import eval_app`` gives the same object.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from itertools import chain
from typing import Annotated, Any

import typer

from api.cli import app, eval_app, fail, store_from_env
from api.output import Format, busy, emit

__all__ = ["eval_app", "eval_ner", "extract"]


class ExtractFormat(StrEnum):
    """Output formats of ``extract``."""

    jsonl = "jsonl"


def _write_line(obj: dict[str, object]) -> None:
    line = json.dumps(obj, ensure_ascii=False) + "\n"
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        # bytes, so that a non-UTF-8 locale cannot break the contract's encoding
        sys.stdout.flush()
        buffer.write(line.encode("utf-8"))
        buffer.flush()
    else:  # pragma: no cover - streams without a buffer (some test harnesses)
        sys.stdout.write(line)


def _rules_only(rules_only: bool, with_model: bool) -> bool | None:
    """The ``build_pipeline`` argument of the two flags (None: the shipped default)."""
    if rules_only and with_model:
        raise fail("--rules-only 与 --with-model 不能同时使用")
    return True if rules_only else (False if with_model else None)


def _pipeline(with_graph: bool, rules_only: bool | None = None) -> Any:  # a spaCy Language
    from ingest.extract.errors import ExtractError
    from ingest.extract.graph import graph_names
    from ingest.extract.pipeline import build_pipeline

    pairs: list[tuple[str, str]] = []
    if with_graph:
        with store_from_env(read_only=True) as store:
            pairs = list(graph_names(store))
    try:
        return build_pipeline(graph_entities=pairs, rules_only=rules_only)
    except ExtractError as exc:
        raise fail(str(exc)) from exc


_RULES_ONLY_HELP = "只用规则,不用统计实体识别模型"
_WITH_MODEL_HELP = "在规则之外加用统计实体识别模型"


@app.command()
def extract(
    source: Annotated[str, typer.Argument(
        metavar="INPUT",
        help="每行一个 {\"id\", \"text\"} 的 JSONL、一个 .txt 文件、.txt 文件的目录,"
             "或 -(从标准输入读 JSONL)")],
    fmt: Annotated[ExtractFormat, typer.Option("--format", "-f", help="输出格式")]
        = ExtractFormat.jsonl,
    details: Annotated[bool, typer.Option(
        "--details", help="每行附上规则名、规范名称与目标")] = False,
    with_graph: Annotated[bool, typer.Option(
        "--graph", help="同时匹配图谱中已有主体的名称")] = False,
    rules_only: Annotated[bool, typer.Option("--rules-only", help=_RULES_ONLY_HELP)] = False,
    with_model: Annotated[bool, typer.Option("--with-model", help=_WITH_MODEL_HELP)] = False,
) -> None:
    """从中文文本抽取实体与关系;每篇文本输出一行 JSON。"""
    from ingest.extract.errors import ExtractError
    from ingest.extract.inputs import iter_inputs
    from ingest.extract.pipeline import extraction

    mode = _rules_only(rules_only, with_model)
    items = iter_inputs(source)
    try:
        first = next(items, None)
    except ExtractError as exc:
        raise fail(str(exc)) from exc
    nlp = _pipeline(with_graph, mode)
    pending = [first] if first is not None else []
    for item in chain(pending, items):
        if item.error:
            _write_line({"id": item.id, "entities": [], "relations": [], "error": item.error})
            continue
        try:
            nlp.max_length = max(nlp.max_length, len(item.text) + 1)
            result = extraction(nlp(item.text), item.id).to_json(details=details)
        except Exception as exc:  # one bad document must not stop the others
            _write_line({"id": item.id, "entities": [], "relations": [],
                         "error": f"extraction failed: {type(exc).__name__}: {exc}"})
            continue
        _write_line(result)
    _ = fmt  # jsonl is the only format; the option exists so the contract is explicit


@eval_app.command("ner")
def eval_ner(
    gold: Annotated[str, typer.Argument(metavar="GOLD.jsonl",
                                        help="标注文件:每行一个 {\"text\", \"spans\"}")],
    maps: Annotated[list[str] | None, typer.Option(
        "--map", help="标注类别 SRC 按本系统类别 DST 评分(可重复,写作 SRC=DST);"
                      "未映射的类别不计")] = None,
    collapse_org: Annotated[bool, typer.Option(
        "--collapse-org", help="把企业、高校……政府部门并为 ORG")] = False,
    limit: Annotated[int, typer.Option(help="只评测前 N 行(0 为全部)")] = 0,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="表格、json 或 csv")]
        = Format.table,
    rules_only: Annotated[bool, typer.Option("--rules-only", help=_RULES_ONLY_HELP)] = False,
    with_model: Annotated[bool, typer.Option("--with-model", help=_WITH_MODEL_HELP)] = False,
) -> None:
    """实体抽取按类别的精确率、召回率与 F1(跨度完全一致)。"""
    from itertools import islice

    from ingest.extract.errors import ExtractError
    from ingest.extract.evaluate import parse_maps, read_gold, score

    mode = _rules_only(rules_only, with_model)
    try:
        label_map = parse_maps(maps or [])
        docs = list(read_gold(gold))
    except ExtractError as exc:
        raise fail(str(exc)) from exc
    if limit:
        docs = list(islice(docs, limit))
    nlp = _pipeline(False, mode)

    def predict(texts: list[str]) -> list[list[tuple[int, int, str]]]:
        return [[(e.start, e.end, e.label) for e in doc._.innograph_entities]
                for doc in nlp.pipe(texts)]

    with busy(f"正在评测 {len(docs)} 篇标注文本…"):
        rows = score(docs, predict, label_map=label_map, collapse_org=collapse_org)
    emit([r.row() for r in rows], fmt, title=f"{gold}: {len(docs)} documents, exact match")
