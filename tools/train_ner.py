"""Train the extractor's small statistical NER model (ORG, PER, LOC over characters).

Run by hand, offline, on the public corpora of ``/work/shared/data/ner`` (never in CI)::

    .venv/bin/python tools/train_ner.py [--data /work/shared/data/ner] \
        [--out ingest/extract/model] [--minutes 12] [--epochs 4]

What it does:

* one token per character (spaCy's ``char`` segmenter), so the model never depends on
  jieba's word boundaries;
* training sentences: MSRA train (all 42,000), CLUENER2020 train from line 3,001 and
  Resume NER lines 1-1,500. CLUENER's first 3,000 lines, Resume from line 1,501 and
  ``msra_dev.jsonl`` are held out: BENCHMARKS.md scores on them;
* labels: MSRA ``ORG/PER/LOC`` as they are; CLUENER ``company``, ``government``,
  ``organization`` → ORG and ``name`` → PER; Resume ``ORG`` → ORG, ``NAME`` → PER,
  ``LOC`` → LOC. CLUENER ``address`` and ``scene`` and Resume ``CONT`` are places written
  in another convention (full street addresses, 中国国籍): their characters are marked
  *missing* (no loss either way) instead of O. Every other source label is O;
* MSRA writes digits and Latin letters full-width; half of its sentences are converted to
  half-width (same length, offsets unchanged) so both spellings are seen;
* a ``ner`` component with its own small ``tok2vec`` (hash embeddings of the character
  and its shape, a maxout CNN), trained with Adam until ``--epochs`` or ``--minutes``;
  the epoch with the best ORG+PER F1 on a slice of ``msra_dev`` is kept.

The result is a spaCy pipeline directory (``spacy.load`` reads it); see
``ingest/extract/model/MODEL_CARD.md``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.training import Example, offsets_to_biluo_tags
from thinc.api import fix_random_seed

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path("/work/shared/data/ner")
DEFAULT_OUT = ROOT / "ingest" / "extract" / "model"

MISSING = "-"
LABEL_MAPS: dict[str, dict[str, str]] = {
    "msra": {"ORG": "ORG", "PER": "PER", "LOC": "LOC"},
    "cluener": {"company": "ORG", "government": "ORG", "organization": "ORG", "name": "PER",
                "address": MISSING, "scene": MISSING},
    "resume": {"ORG": "ORG", "NAME": "PER", "LOC": "LOC", "CONT": MISSING},
}
"""Source label → model label; ``-`` marks the characters as missing, unnamed labels are O."""

SOURCES = (
    # (name, file, first line, last line) - lines 1-based, inclusive; 0 means "to the end"
    ("msra", "msra_ner_train.jsonl", 1, 0),
    ("cluener", "cluener2020_train.jsonl", 3001, 0),
    ("resume", "resume_ner_train.jsonl", 1, 1500),
)

MODEL_CONFIG: dict[str, Any] = {
    "@architectures": "spacy.TransitionBasedParser.v2",
    "state_type": "ner",
    "extra_state_tokens": False,
    "hidden_width": 64,
    "maxout_pieces": 2,
    "use_upper": True,
    "nO": None,
    "tok2vec": {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {
            "@architectures": "spacy.MultiHashEmbed.v2",
            "width": 64,
            "attrs": ["NORM", "SHAPE"],
            "rows": [6000, 200],
            "include_static_vectors": False,
        },
        "encode": {
            "@architectures": "spacy.MaxoutWindowEncoder.v2",
            "width": 64,
            "depth": 3,
            "window_size": 1,
            "maxout_pieces": 2,
        },
    },
}
"""The ``ner`` model: small on purpose, the extractor runs it on every sentence."""

_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}
_FULL_WIDTH.update({c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)})
_FULL_WIDTH.update({c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)})


def blank_char_pipeline() -> Language:
    """A blank Chinese pipeline with one token per character."""
    return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})


def read_source(path: Path, first: int, last: int) -> Iterator[dict[str, Any]]:
    """JSON objects of lines ``first``..``last`` (1-based, inclusive; ``last`` 0: all)."""
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if n < first or (last and n > last):
                continue
            if line.strip():
                yield json.loads(line)


def to_example(nlp: Language, obj: dict[str, Any], label_map: dict[str, str],
               halfwidth: bool) -> Example | None:
    """One training example: BILUO tags over characters, missing where asked.

    Args:
        nlp: The character pipeline (its tokenizer makes the Doc).
        obj: ``{"text", "spans"}``.
        label_map: Source label → model label or ``-``.
        halfwidth: Write full-width digits and Latin letters half-width first.

    Returns:
        The example, or None when the text is empty.
    """
    text: str = obj["text"]
    if halfwidth:
        text = text.translate(_FULL_WIDTH)
    if not text.strip():
        return None
    doc = nlp.make_doc(text)
    ents, missing = [], []
    for s in obj["spans"]:
        label = label_map.get(s["label"])
        if label == MISSING:
            missing.append((s["start"], s["end"]))
        elif label:
            ents.append((s["start"], s["end"], label))
    tags = offsets_to_biluo_tags(doc, ents, missing="O")
    if missing:
        for tok in doc:
            if any(a <= tok.idx < b for a, b in missing):
                tags[tok.i] = MISSING
    return Example.from_dict(doc, {"entities": tags})


def load_examples(nlp: Language, data: Path, seed: int) -> list[Example]:
    """Every training example of :data:`SOURCES`, shuffled."""
    rng = random.Random(seed)
    out: list[Example] = []
    for name, file, first, last in SOURCES:
        n0 = len(out)
        for obj in read_source(data / file, first, last):
            ex = to_example(nlp, obj, LABEL_MAPS[name],
                            halfwidth=name == "msra" and rng.random() < 0.5)
            if ex is not None:
                out.append(ex)
        print(f"{name}: {len(out) - n0} sentences", file=sys.stderr)
    rng.shuffle(out)
    return out


def dev_scores(nlp: Language, gold: Iterable[dict[str, Any]]) -> dict[str, tuple[float, ...]]:
    """Exact-span precision, recall and F1 of ORG and PER (and both) on gold objects."""
    tp = {"ORG": 0, "PER": 0}
    fp = dict.fromkeys(tp, 0)
    fn = dict.fromkeys(tp, 0)
    objs = list(gold)
    for obj, doc in zip(objs, nlp.pipe(o["text"] for o in objs), strict=True):
        g = {(s["start"], s["end"], s["label"]) for s in obj["spans"] if s["label"] in tp}
        p = {(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in tp}
        for _, _, lab in p & g:
            tp[lab] += 1
        for _, _, lab in p - g:
            fp[lab] += 1
        for _, _, lab in g - p:
            fn[lab] += 1
    out: dict[str, tuple[float, ...]] = {}
    for lab in [*tp, "ALL"]:
        t = sum(tp.values()) if lab == "ALL" else tp[lab]
        f_p = sum(fp.values()) if lab == "ALL" else fp[lab]
        f_n = sum(fn.values()) if lab == "ALL" else fn[lab]
        prec = t / (t + f_p) if t + f_p else 0.0
        rec = t / (t + f_n) if t + f_n else 0.0
        out[lab] = (round(prec, 3), round(rec, 3),
                    round(2 * prec * rec / (prec + rec), 3) if prec + rec else 0.0)
    return out


def main() -> None:
    """Train, keep the best epoch on the dev slice, write the pipeline directory."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--minutes", type=float, default=12.0, help="stop after this much time")
    ap.add_argument("--limit", type=int, default=0, help="train on the first N examples only")
    ap.add_argument("--dev", type=int, default=1000, help="msra_dev sentences scored per epoch")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    fix_random_seed(args.seed)
    nlp = blank_char_pipeline()
    ner = nlp.add_pipe("ner", config={"model": MODEL_CONFIG})
    for label in ("ORG", "PER", "LOC"):
        ner.add_label(label)  # type: ignore[attr-defined]
    examples = load_examples(nlp, args.data, args.seed)
    if args.limit:
        examples = examples[:args.limit]
    dev = list(read_source(args.data / "msra_dev.jsonl", 1, args.dev))
    t0 = time.perf_counter()
    optimizer = nlp.initialize(lambda: examples[:2000])
    best: tuple[float, bytes] | None = None
    rng = random.Random(args.seed)
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        for i in range(0, len(examples), 64):
            batch = examples[i:i + 64]
            nlp.update(batch, drop=0.1, sgd=optimizer, losses=losses)
            if time.perf_counter() - t0 > args.minutes * 60:
                break
        with nlp.select_pipes(enable="ner"):
            scores = dev_scores(nlp, dev)
            data = nlp.to_bytes()
        minutes = (time.perf_counter() - t0) / 60
        print(f"epoch {epoch}: {minutes:.1f} min, loss {losses.get('ner', 0):.0f}, "
              f"dev {scores}", file=sys.stderr)
        if best is None or scores["ALL"][2] > best[0]:
            best = (scores["ALL"][2], data)
        if minutes > args.minutes:
            break
    assert best is not None
    nlp.from_bytes(best[1])
    nlp.meta.update({"name": "innograph_ner_char", "version": "0.1.0",
                     "description": "ORG/PER/LOC over characters; see MODEL_CARD.md",
                     "sources": [f"{n}: {f} lines {a}-{b or 'end'}" for n, f, a, b in SOURCES]})
    nlp.to_disk(args.out)
    print(f"best dev ORG+PER F1 {best[0]}; written to {args.out} "
          f"({(time.perf_counter() - t0) / 60:.1f} min)", file=sys.stderr)


if __name__ == "__main__":
    main()
