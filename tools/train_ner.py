"""Train the extractor's statistical NER model: a character CRF (ORG, PER, LOC).

Run by hand, offline, on the public corpora of ``/work/shared/data/ner`` (never in CI)::

    .venv/bin/python tools/train_ner.py [--data /work/shared/data/ner] \
        [--out ingest/extract/model/ner.crfsuite] [--iterations 150]

What it does:

* training sentences: MSRA train (all 42,000), CLUENER2020 train from line 3,001 and
  Resume NER lines 1-1,500. CLUENER's first 3,000 lines, Resume from line 1,501 and
  ``msra_dev.jsonl`` are held out: BENCHMARKS.md scores on them. Weibo NER is not used
  (share-alike annotations);
* labels: MSRA ``ORG/PER/LOC`` as they are; CLUENER ``company``, ``government``,
  ``organization`` → ORG, ``name`` → PER, ``address`` and ``scene`` → LOC; Resume
  ``ORG`` → ORG, ``NAME`` → PER, ``LOC`` → LOC. Every other source label is O;
* features: :class:`ingest.extract.crf.Featurizer` over the rule lexicon, with the jieba
  words of each sentence (what the spaCy pipeline's tokenizer gives at run time);
* CRFsuite L-BFGS with L1 and L2 regularisation (``--c1``, ``--c2``); features seen
  fewer than ``--min-freq`` times are dropped, which keeps the file small.

Prints the held-out scores of the model alone on the first ``--dev`` lines of
``msra_dev.jsonl`` (for model selection; the full evaluation is ``innograph eval ner``).
See ``ingest/extract/model/MODEL_CARD.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATA = Path("/work/shared/data/ner")
DEFAULT_OUT = ROOT / "ingest" / "extract" / "model" / "ner.crfsuite"

LABEL_MAPS: dict[str, dict[str, str]] = {
    "msra": {"ORG": "ORG", "PER": "PER", "LOC": "LOC"},
    "cluener": {"company": "ORG", "government": "ORG", "organization": "ORG", "name": "PER",
                "address": "LOC", "scene": "LOC"},
    "resume": {"ORG": "ORG", "NAME": "PER", "LOC": "LOC"},
}
"""Source label → model label; labels not named are O."""

SOURCES = (
    # (name, file, first line, last line) - lines 1-based, inclusive; 0 means "to the end"
    ("msra", "msra_ner_train.jsonl", 1, 0),
    ("cluener", "cluener2020_train.jsonl", 3001, 0),
    ("resume", "resume_ner_train.jsonl", 1, 1500),
)


def read(path: Path, first: int, last: int, labels: dict[str, str]
         ) -> Iterator[tuple[str, list[tuple[int, int, str]]]]:
    """``(text, spans)`` of lines ``first``..``last`` with labels mapped."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if number < first or (last and number > last):
                continue
            obj = json.loads(line)
            spans = [(s["start"], s["end"], labels[s["label"]]) for s in obj["spans"]
                     if s["label"] in labels]
            yield obj["text"], spans


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--iterations", type=int, default=150)
    ap.add_argument("--c1", type=float, default=0.05)
    ap.add_argument("--c2", type=float, default=0.01)
    ap.add_argument("--min-freq", type=float, default=2)
    ap.add_argument("--limit", type=int, default=0, help="sentences per source (0: all)")
    ap.add_argument("--dev", type=int, default=3000)
    args = ap.parse_args(argv)

    import jieba
    import pycrfsuite

    from ingest.extract.crf import CrfTagger, Featurizer, bio_tags
    from ingest.extract.lexicon import load_lexicon

    jieba.setLogLevel(60)
    feat = Featurizer.from_lexicon(load_lexicon())
    trainer = pycrfsuite.Trainer(verbose=False)
    t0 = time.perf_counter()
    count = 0
    for name, file, first, last in SOURCES:
        k = 0
        for text, spans in read(args.data / file, first, last, LABEL_MAPS[name]):
            if not text:
                continue
            trainer.append(feat.features(text, jieba.lcut(text)), bio_tags(len(text), spans))
            k += 1
            if args.limit and k >= args.limit:
                break
        count += k
        print(f"{name}: {k} sentences", file=sys.stderr)
    print(f"features built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    trainer.select("lbfgs")
    trainer.set_params({"c1": args.c1, "c2": args.c2, "max_iterations": args.iterations,
                        "feature.minfreq": args.min_freq,
                        "feature.possible_transitions": True})
    t1 = time.perf_counter()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(args.out))
    print(f"trained on {count} sentences in {time.perf_counter() - t1:.0f} s; "
          f"{args.out.stat().st_size / 1e6:.1f} MB", file=sys.stderr)

    tagger = CrfTagger(args.out, feat)
    tp: dict[str, int] = {}
    fp: dict[str, int] = {}
    fn: dict[str, int] = {}
    for n, (text, gold) in enumerate(read(args.data / "msra_dev.jsonl", 1, 0,
                                          LABEL_MAPS["msra"])):
        if n >= args.dev:
            break
        pred = {(a, b, lab) for a, b, lab, _ in tagger.spans(text, jieba.lcut(text))}
        g = set(gold)
        for lab in ("ORG", "PER", "LOC"):
            p = {s for s in pred if s[2] == lab}
            q = {s for s in g if s[2] == lab}
            tp[lab] = tp.get(lab, 0) + len(p & q)
            fp[lab] = fp.get(lab, 0) + len(p - q)
            fn[lab] = fn.get(lab, 0) + len(q - p)
    for lab in ("ORG", "PER", "LOC"):
        pr = tp[lab] / max(tp[lab] + fp[lab], 1)
        rc = tp[lab] / max(tp[lab] + fn[lab], 1)
        f1 = 2 * pr * rc / max(pr + rc, 1e-9)
        print(f"msra_dev[:{args.dev}] {lab}: P {pr:.3f} R {rc:.3f} F1 {f1:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
