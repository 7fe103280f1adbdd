"""Span-level evaluation of entity extraction against gold files.

Gold files use the format of the shared NER corpora: one JSON object per line,
``{"text": str, "spans": [{"start": int, "end": int, "label": str}]}`` (other keys
are ignored). A predicted span counts only if start, end and label are all equal
(exact match).

Label handling:

* ``label_map`` renames gold labels into ours (``PER`` → ``PERSON``); when it is given,
  gold labels it does not name are dropped (MSRA's ``LOC`` is then not scored);
* ``collapse_org`` folds every organisation label (ENTERPRISE … GOVERNMENT, ORG) into
  ``ORG`` on both sides, for corpora that only know ORG;
* predictions with a label the gold side does not use are ignored, so programmes are
  not counted as false positives against a corpus that has no programmes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ingest.extract.errors import ExtractError
from ingest.extract.lexicon import ORG_LABELS

Span = tuple[int, int, str]


@dataclass(frozen=True)
class GoldDoc:
    """One gold sentence or document."""

    text: str
    spans: list[Span]


@dataclass(frozen=True)
class LabelScore:
    """Counts and scores of one label (or ``ALL``, micro-averaged)."""

    label: str
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 0 when the gold has none."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def row(self) -> dict[str, object]:
        """A table row with rounded scores."""
        return {"label": self.label, "gold": self.tp + self.fn, "predicted": self.tp + self.fp,
                "tp": self.tp, "precision": round(self.precision, 3),
                "recall": round(self.recall, 3), "f1": round(self.f1, 3)}


def read_gold(path: str | Path) -> Iterator[GoldDoc]:
    """Gold documents of a JSONL file.

    Raises:
        ExtractError: If the file cannot be read or a line is not a gold object, or a
            span's offsets fall outside its text.
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ExtractError(f"无法读取标注文件:{exc}", file=str(p)) from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            text = obj["text"]
            spans = [(int(s["start"]), int(s["end"]), str(s["label"])) for s in obj["spans"]]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ExtractError(f"不是有效的标注对象(需要 text 和 spans):{exc}", file=str(p),
                               line=n) from exc
        for a, b, _ in spans:
            if not 0 <= a < b <= len(text):
                raise ExtractError(f"片段 {a}-{b} 超出了文本范围", file=str(p), line=n)
        yield GoldDoc(text, spans)


def _map_labels(spans: Iterable[Span], label_map: Mapping[str, str] | None,
                collapse_org: bool) -> set[Span]:
    out = set()
    for a, b, label in spans:
        if label_map is not None:
            if label not in label_map:
                continue
            label = label_map[label]
        if collapse_org and label in ORG_LABELS:
            label = "ORG"
        out.add((a, b, label))
    return out


def score(gold: Iterable[GoldDoc], predict: Callable[[list[str]], list[list[Span]]], *,
          label_map: Mapping[str, str] | None = None, collapse_org: bool = False,
          batch: int = 256) -> list[LabelScore]:
    """Precision, recall and F1 per gold label, then ``ALL`` (micro average).

    Args:
        gold: Gold documents.
        predict: Spans predicted for a batch of texts (same order).
        label_map: Gold label → our label; unnamed gold labels are dropped.
        collapse_org: Fold organisation labels into ORG on both sides.
        batch: How many texts are given to ``predict`` at once.
    """
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    docs = list(gold)
    gold_sets = [_map_labels(d.spans, label_map, collapse_org) for d in docs]
    labels = {lab for g in gold_sets for _, _, lab in g}
    if label_map is not None:
        labels |= {("ORG" if collapse_org and v in ORG_LABELS else v)
                   for v in label_map.values()}
    for i in range(0, len(docs), batch):
        chunk = docs[i:i + batch]
        predicted = predict([d.text for d in chunk])
        for g, pred in zip(gold_sets[i:i + batch], predicted, strict=True):
            p = {s for s in _map_labels(pred, None, collapse_org) if s[2] in labels}
            for s in p & g:
                tp[s[2]] += 1
            for s in p - g:
                fp[s[2]] += 1
            for s in g - p:
                fn[s[2]] += 1
    rows = [LabelScore(lab, tp[lab], fp[lab], fn[lab]) for lab in sorted(labels)]
    rows.append(LabelScore("ALL", sum(tp.values()), sum(fp.values()), sum(fn.values())))
    return rows


def parse_maps(items: Iterable[str]) -> dict[str, str] | None:
    """``["PER=PERSON", "ORG=ORG"]`` → ``{"PER": "PERSON", "ORG": "ORG"}`` (None if empty).

    Raises:
        ExtractError: For an item without ``=``.
    """
    out: dict[str, str] = {}
    for item in items:
        src, sep, dst = item.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise ExtractError(f"--map expects SRC=DST, got {item!r}")
        out[src.strip()] = dst.strip()
    return out or None
