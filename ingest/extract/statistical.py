"""The statistical NER model: candidates for names the rules cannot see.

The rules find organisation names by their structure (place + core + suffix) and in
gazetteers; news and policy text also name organisations without a suffix (新华社, 浪潮,
欧盟) and persons without a title. A character CRF (:mod:`ingest.extract.crf`), trained
offline on public corpora (``tools/train_ner.py``, ``model/MODEL_CARD.md``), proposes
ORG, PER and LOC spans with a confidence; this module loads it, keeps the spans that
pass :class:`ModelGate` and turns them into :class:`~ingest.extract.matchers.Candidate`
objects, and :func:`merge` decides how they join the rules' choice:

* ORG gets a fine label from the suffix lexicon when its name ends with a known suffix
  (大学 → UNIVERSITY, 公司 → ENTERPRISE …), else ORG; PER → PERSON; LOC → LOCATION;
* rules win on overlaps, with one exception: a place the rules found only by its shape
  (rule ``place``) inside a longer model span gives way (中国 in 中国足协).

The gate is what lets the model run by default on policy prose: a suffixed span must
pass the rules' own named-versus-generic test (国家科技企业孵化器 is a category, not a
name), an unsuffixed one must have a distinctive core (省委 has none), spans must start
and end on word boundaries, and each label has a confidence floor.

Loading needs ``pycrfsuite`` and reads the model file from the package directory;
nothing is downloaded.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.extract.crf import CrfTagger, Featurizer
from ingest.extract.errors import ExtractError
from ingest.extract.lexicon import PRIORITY, Lexicon, load_lexicon
from ingest.extract.matchers import Candidate

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc

    from ingest.extract.matchers import OrgMatcher

MODEL_DIR = Path(__file__).resolve().parent / "model"
"""Where the shipped model lives (with its MODEL_CARD.md)."""

MODEL_FILE = MODEL_DIR / "ner.crfsuite"
"""The shipped CRFsuite model."""

USE_MODEL_BY_DEFAULT = True
"""Whether :func:`~ingest.extract.pipeline.build_pipeline` adds the model unless told."""

RULE_PREFIX = "model:"
"""Rule names of model candidates start with it (``model:ORG``)."""

MODEL_PRIORITY = PRIORITY["model"]

_COARSE = {"ORG": "ORG", "PER": "PERSON", "LOC": "LOCATION"}

CONFIDENCE_FLOORS = {"ORG": 0.5, "PER": 0.5, "LOC": 0.5}
"""Minimum confidence of a model span per label (see :class:`ModelGate`)."""

UNALIGNED_FLOOR = 0.9
"""Minimum confidence of a model span that cuts a jieba word (足泰安 of 立足泰安)."""


def model_available(path: str | Path | None = None) -> bool:
    """Whether a model file (the shipped one by default) is present."""
    return (Path(path) if path else MODEL_FILE).is_file()


@lru_cache(maxsize=2)
def load_model(path: str = "") -> CrfTagger:
    """The CRF tagger (cached: loaded once per process and path).

    Args:
        path: A CRFsuite model file; the shipped model by default.

    Raises:
        ExtractError: If the file is missing or cannot be loaded.
    """
    where = Path(path) if path else MODEL_FILE
    if not model_available(where):
        raise ExtractError("找不到统计实体识别模型文件", file=str(where))
    try:
        return CrfTagger(where, Featurizer.from_lexicon(load_lexicon()))
    except (OSError, ValueError) as exc:
        raise ExtractError(f"无法加载统计实体识别模型:{exc}",
                           file=str(where)) from exc


@dataclass(frozen=True)
class ModelGate:
    """Which model spans may join the rules' entities.

    Args:
        orgs: The rules' organisation matcher (its named-versus-generic test).
        floors: Minimum confidence per model label.
        unaligned: Minimum confidence of a span that starts or ends inside a word.
    """

    orgs: OrgMatcher
    floors: dict[str, float] = field(default_factory=lambda: dict(CONFIDENCE_FLOORS))
    unaligned: float = UNALIGNED_FLOOR

    def keep(self, text: str, start: int, end: int, label: str, confidence: float,
             bounds: frozenset[int] | None) -> bool:
        """Whether the model's span ``text[start:end]`` labelled ``label`` is kept.

        Args:
            bounds: Word boundaries (character offsets) of ``text``; ``None``: not known.
        """
        if confidence < self.floors.get(label, 1.0):
            return False
        if bounds is not None and (start not in bounds or end not in bounds) \
                and confidence < self.unaligned:
            return False
        if label != "ORG":
            return True
        name = text[start:end]
        if not _balanced(name) or any(ch in _NOT_IN_NAMES for ch in name):
            return False
        if name.endswith(NOT_ORG_ENDINGS) or _SESSION.search(name):
            return False
        # a category, not a name: nothing distinctive between the place and level words
        # and the kind word (国家重点实验室, 山东省重点实验室, 院士工作站, 省委)
        lex = self.orgs.lex
        core_start, has_place, has_level, _ = self.orgs.analyse(text, start, end)
        suffix = lex.ending_suffix(text, core_start, end)
        core_end = end - len(suffix.text) if suffix else end
        kind, fine = (suffix.core, suffix.label) if suffix else ("", "")
        if text.startswith(lex.not_name_start, start) or (
                kind and core_end - start >= 2
                and self.orgs.pos_cut(text, start, core_end) > start):
            return False  # a verb or function word opens it: 提升科技企业孵化器
        core = text[core_start:core_end]
        if not kind:  # no kind word: the model's evidence, unless it is a place's name
            if name in lex.location_places or not (has_place or core_start < end):
                return False
            # made of generic words only (智能物流): only when the model is sure
            return (has_place or self.orgs.is_proper(core)
                    or confidence >= self.unaligned)
        if kind == "ministry":
            return not core or self.orgs.is_proper(core)
        if fine == "GOVERNMENT" and has_level and core:
            return True  # 国家质量技术监督局, 中央军委 (but not 省委 alone)
        if not core:
            return has_place and kind != "proper"
        return has_place or (len(core) >= 2 and self.orgs.is_proper(core))


NOT_ORG_ENDINGS = ("部门", "理念", "机制", "体系", "精神", "政策", "全会", "工作")
"""Endings of model ORG spans that are never names (税务部门, 主管部门, 康养理念)."""


_SESSION = re.compile("届[一二三四五六七八九十]+中")
"""十九届二中(全会): a party plenary session, not a body."""

_NOT_IN_NAMES = frozenset(" \t\u3000\"‘’'+＋:：;；,，。、!！?？=<>|/\\")
_PAIRS = {"(": ")", "（": "）", "[": "]", "【": "】", "“": "”", "《": "》"}


def _balanced(name: str) -> bool:
    stack: list[str] = []
    closing = set(_PAIRS.values())
    for ch in name:
        if ch in _PAIRS:
            stack.append(_PAIRS[ch])
        elif ch in closing and (not stack or stack.pop() != ch):
            return False
    return not stack


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
        self._lexicon = lexicon

    def fine_label(self, name: str, label: str) -> str:
        """The extraction label of a model span ``name`` labelled ``label``."""
        if label != "ORG":
            return _COARSE[label]
        suffix = self._lexicon.ending_suffix(name, 0, len(name))
        return suffix.label if suffix else "ORG"

    def candidates(self, text: str, spans: Iterable[tuple[int, int, str, float]], *,
                   gate: ModelGate | None = None, bounds: frozenset[int] | None = None
                   ) -> list[Candidate]:
        """Candidates of ``(start, end, model label, confidence)`` spans over ``text``.

        Args:
            gate: Drops the spans it does not keep; none: every span is kept.
            bounds: Word boundaries of ``text`` for the gate.
        """
        out = []
        for a, b, label, conf in spans:
            if label not in self.labels or b - a < self.min_length:
                continue
            name = text[a:b]
            if name != name.strip():
                continue
            if gate is not None and not gate.keep(text, a, b, label, conf, bounds):
                continue
            out.append(Candidate(a, b, self.fine_label(name, label), f"{RULE_PREFIX}{label}",
                                 MODEL_PRIORITY, confidence=conf))
        return out


def is_model(c: Candidate) -> bool:
    """Whether a candidate comes from the statistical model."""
    return c.rule.startswith(RULE_PREFIX)


WEAK_RULES = ("person:", "place", "propagated")
"""Rule candidates a confident model span overrides: persons read from a title next to
them (季羡林老先生 gives 林老), places by shape, mentions propagated from elsewhere."""

OVERRIDE_FLOOR = 0.9
"""Confidence from which a model span overrides weak rule candidates (see :func:`merge`)."""


def _gives_way(rule: Candidate, model: Candidate, override: float) -> bool:
    inside = (model.start <= rule.start and rule.end <= model.end
              and rule.end - rule.start < model.end - model.start)
    if inside and rule.rule == "place":
        return True
    # a confident model overrides weak rules, and names nested in a longer name it
    # reads (中共中央 in 中共中央政治局: the outermost name is the mention)
    return model.confidence >= override and (inside or rule.rule.startswith(WEAK_RULES))


def merge(chosen: list[Candidate], proposed: Iterable[Candidate], *,
          override: float = OVERRIDE_FLOOR) -> list[Candidate]:
    """Add model candidates to the rules' chosen candidates; rules win on overlaps.

    A model candidate is dropped when it overlaps a chosen rule candidate, unless every
    rule candidate it overlaps gives way to it: a shape-only place (rule ``place``)
    lying inside it, or, when the model's confidence is at least ``override``, a weak
    rule candidate (:data:`WEAK_RULES`) or any candidate lying inside it (the
    outermost name is the mention).

    Args:
        chosen: Non-overlapping rule candidates (``resolve_overlaps``'s result).
        proposed: Model candidates (non-overlapping among themselves).
        override: See above.

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
        if any(not _gives_way(kept[j], m, override) for j in hits):
            continue
        removed.update(hits)
        added.append(m)
    out = [c for i, c in enumerate(kept) if i not in removed] + added
    out.sort(key=lambda c: c.start)
    return out


def words_of(doc: Doc, text: str | None = None) -> list[str]:
    """The jieba words of a Doc, each with the whitespace after it (their concatenation
    is the Doc's text). Cut from the text at the tokens' offsets: iterating over the
    tokens costs more than the model's tagging."""
    text = doc.text if text is None else text
    if not len(doc):
        return []
    starts = doc.to_array("IDX").tolist()
    starts.append(len(text))
    return [text[a:b] for a, b in itertools.pairwise(starts)]


def boundaries(words: Sequence[str]) -> frozenset[int]:
    """Character offsets where words start or end."""
    return frozenset(itertools.accumulate(map(len, words), initial=0))
