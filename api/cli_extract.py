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
from api.output import Format, emit

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
        raise fail("--rules-only and --with-model exclude each other")
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


_RULES_ONLY_HELP = "rules only, without the statistical NER model"
_WITH_MODEL_HELP = "add the statistical NER model (ingest/extract/model) to the rules"


@app.command()
def extract(
    source: Annotated[str, typer.Argument(
        metavar="INPUT",
        help="JSONL of {\"id\", \"text\"} objects, a .txt file, a directory of .txt files, "
             "or - for JSONL on standard input")],
    fmt: Annotated[ExtractFormat, typer.Option("--format", "-f", help="output format")]
        = ExtractFormat.jsonl,
    details: Annotated[bool, typer.Option(
        "--details", help="add rule names, canonical names and targets to each line")] = False,
    with_graph: Annotated[bool, typer.Option(
        "--graph", help="also match the names of entities already in the graph")] = False,
    rules_only: Annotated[bool, typer.Option("--rules-only", help=_RULES_ONLY_HELP)] = False,
    with_model: Annotated[bool, typer.Option("--with-model", help=_WITH_MODEL_HELP)] = False,
) -> None:
    """Extract entities and relations from Chinese text; one JSON line per document."""
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
                                        help="gold file: {\"text\", \"spans\"} per line")],
    maps: Annotated[list[str] | None, typer.Option(
        "--map", help="gold label SRC is scored as our label DST (repeatable); labels not "
                      "mapped are dropped")] = None,
    collapse_org: Annotated[bool, typer.Option(
        "--collapse-org", help="fold ENTERPRISE, UNIVERSITY, … GOVERNMENT into ORG")] = False,
    limit: Annotated[int, typer.Option(help="score only the first N gold lines (0: all)")] = 0,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv")]
        = Format.table,
    rules_only: Annotated[bool, typer.Option("--rules-only", help=_RULES_ONLY_HELP)] = False,
    with_model: Annotated[bool, typer.Option("--with-model", help=_WITH_MODEL_HELP)] = False,
) -> None:
    """Precision, recall and F1 per label (exact span match) of the extraction pipeline."""
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

    rows = score(docs, predict, label_map=label_map, collapse_org=collapse_org)
    emit([r.row() for r in rows], fmt, title=f"{gold}: {len(docs)} documents, exact match")
