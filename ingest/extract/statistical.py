"""The optional statistical NER model: candidates for names the rules cannot see.

The rules find organisation names by their structure (place + core + suffix) and in
gazetteers; news and policy text also name organisations without a suffix (新华社, 浪潮,
欧盟) and persons without a title. A small spaCy ``ner`` model over characters, trained
offline on public corpora (``tools/train_ner.py``, ``model/MODEL_CARD.md``), proposes
ORG, PER and LOC spans; this module loads it and turns its spans into
:class:`~ingest.extract.matchers.Candidate` objects, and :func:`merge` decides how they
join the rules' choice:

* ORG gets a fine label from the suffix lexicon when its name ends with a known suffix
  (大学 → UNIVERSITY, 公司 → ENTERPRISE …), else ORG; PER → PERSON; LOC → LOCATION;
* rules win on overlaps, with one exception: a place the rules found only by its shape
  (rule ``place``) inside a longer model span gives way (中国 in 中国足协).

Loading needs spaCy and reads the model from the package directory; nothing is
downloaded.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.extract.errors import ExtractError
from ingest.extract.lexicon import PRIORITY, Lexicon
from ingest.extract.matchers import Candidate

if TYPE_CHECKING:  # pragma: no cover - spaCy is only imported when the model is used
    from spacy.language import Language
    from spacy.tokens import Doc

MODEL_DIR = Path(__file__).resolve().parent / "model"
"""The shipped model: a spaCy pipeline directory (``spacy.load`` reads it)."""

USE_MODEL_BY_DEFAULT = False
"""Whether :func:`~ingest.extract.pipeline.build_pipeline` adds the model unless told."""

RULE_PREFIX = "model:"
"""Rule names of model candidates start with it (``model:ORG``)."""

MODEL_PRIORITY = PRIORITY["model"]

_COARSE = {"ORG": "ORG", "PER": "PERSON", "LOC": "LOCATION"}


def model_available(path: str | Path | None = None) -> bool:
    """Whether a model directory (the shipped one by default) is present."""
    return (Path(path) if path else MODEL_DIR).joinpath("config.cfg").is_file()


@lru_cache(maxsize=2)
def load_model(path: str = "") -> Language:
    """The statistical pipeline (cached: loaded once per process and path).

    Args:
        path: A spaCy pipeline directory; the shipped model by default.

    Raises:
        ExtractError: If the directory is missing or cannot be loaded.
    """
    import spacy

    where = Path(path) if path else MODEL_DIR
    if not model_available(where):
        raise ExtractError("statistical NER model not found", file=str(where))
    try:
        return spacy.load(where)
    except (OSError, ValueError) as exc:
        raise ExtractError(f"cannot load the statistical NER model: {exc}",
                           file=str(where)) from exc


class LabelMapper:
    """Turns model spans into candidates with the extractor's labels.

    Args:
        lexicon: Its suffixes give an ORG span its fine label.
        labels: Model labels to keep (``ORG``, ``PER``, ``LOC``).
        min_length: Shorter spans are ignored (one-character ORG and PER are nearly
            always errors).
    """

    def __init__(self, lexicon: Lexicon, *, labels: Iterable[str] = ("ORG", "PER", "LOC"),
                 min_length: int = 2) -> None:
        self.labels = frozenset(labels) & set(_COARSE)
        self.min_length = min_length
        self._suffixes = sorted(((s.text, s.label) for s in lexicon.suffixes.values()),
                                key=lambda p: -len(p[0]))

    def fine_label(self, name: str, label: str) -> str:
        """The extraction label of a model span ``name`` labelled ``label``."""
        if label != "ORG":
            return _COARSE[label]
        for ending, fine in self._suffixes:
            if name.endswith(ending):
                return fine
        return "ORG"

    def candidates(self, text: str, spans: Iterable[tuple[int, int, str]]) -> list[Candidate]:
        """Candidates of ``(start, end, model label)`` spans over ``text``."""
        out = []
        for a, b, label in spans:
            if label not in self.labels or b - a < self.min_length:
                continue
            name = text[a:b]
            if name != name.strip():
                continue
            out.append(Candidate(a, b, self.fine_label(name, label), f"{RULE_PREFIX}{label}",
                                 MODEL_PRIORITY))
        return out


def is_model(c: Candidate) -> bool:
    """Whether a candidate comes from the statistical model."""
    return c.rule.startswith(RULE_PREFIX)


def _gives_way(rule: Candidate, model: Candidate) -> bool:
    return (rule.rule == "place" and model.start <= rule.start and rule.end <= model.end
            and rule.end - rule.start < model.end - model.start)


def merge(chosen: list[Candidate], proposed: Iterable[Candidate]) -> list[Candidate]:
    """Add model candidates to the rules' chosen candidates; rules win on overlaps.

    A model candidate is dropped when it overlaps a chosen rule candidate, unless every
    rule candidate it overlaps is a shape-only place (rule ``place``) lying inside it:
    those give way to the longer model span.

    Args:
        chosen: Non-overlapping rule candidates (``resolve_overlaps``'s result).
        proposed: Model candidates (non-overlapping among themselves).

    Returns:
        The merged candidates, sorted by start.
    """
    kept = sorted(chosen, key=lambda c: c.start)
    starts = [c.start for c in kept]
    ends = [c.end for c in kept]  # disjoint and sorted by start, so sorted by end too
    removed: set[int] = set()
    added: list[Candidate] = []
    for m in proposed:
        hits = range(bisect.bisect_right(ends, m.start), bisect.bisect_left(starts, m.end))
        if any(not _gives_way(kept[j], m) for j in hits):
            continue
        removed.update(hits)
        added.append(m)
    out = [c for i, c in enumerate(kept) if i not in removed] + added
    out.sort(key=lambda c: c.start)
    return out


def model_spans(doc: Doc) -> list[tuple[int, int, str]]:
    """``(start_char, end_char, label)`` of a model Doc's entities."""
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]
