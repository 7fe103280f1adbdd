"""Relations between entities of one sentence, from the patterns in ``relations.yaml``.

Each sentence is rewritten with every entity replaced by one private-use character
(U+E000 + its index in the sentence), so that a rule such as
``依托{X}{g}建设{g}{Y}`` is an ordinary regular expression over that string and the
entities it binds are read back from the characters it captured.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ingest.extract.errors import ExtractError
from ingest.extract.lexicon import ORG_LABELS, Lexicon
from ingest.extract.select import Entity

_FIRST = 0xE000
_LAST = 0xF8FF
_E = "[\ue000-\uf8ff]"
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_JOINERS = "(?:、|和|与|及|以及)"
_PLACE_LABELS = frozenset({"ZONE", "LOCATION"})
RELATION_TYPES = ("HOSTED_BY", "ALIAS_OF", "BRANCH_OF", "COOPERATES_WITH", "LEADS", "WORKS_AT",
                  "LOCATED_IN", "SELECTED_FOR", "MEMBER_OF")


@dataclass(frozen=True, slots=True)
class Relation:
    """A relation between two entities of a document.

    Attributes:
        type: Ontology relationship type, or ``ALIAS_OF`` (two names of one entity).
        head, tail: Indexes into the document's entity list.
        evidence: The sentence it was read from.
        rule: The rule's name in ``relations.yaml``.
        start, end: Offsets of the sentence in the text.
    """

    type: str
    head: int
    tail: int
    evidence: str
    rule: str
    start: int
    end: int

    def to_json(self, *, with_rule: bool = False) -> dict[str, object]:
        """The CLI contract's relation object (``rule`` only when asked for)."""
        out: dict[str, object] = {"type": self.type, "head": self.head, "tail": self.tail,
                                  "evidence": self.evidence}
        if with_rule:
            out["rule"] = self.rule
        return out


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of ``text``, ends of sentence excluded."""
    spans = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


@dataclass(frozen=True)
class _Rule:
    name: str
    rx: re.Pattern[str]
    slots: tuple[str, ...]
    labels: dict[str, frozenset[str]]
    emit: tuple[tuple[str, str, str], ...]


def _compile(rule: dict[str, Any]) -> _Rule:
    name = str(rule.get("name", "?"))
    pattern = str(rule.get("pattern", ""))
    slots = tuple(dict.fromkeys(re.findall(r"\{([A-Z])\}", pattern)))
    src = pattern
    for slot in slots:
        src = src.replace("{" + slot + "}", f"(?P<{slot}>{_E}(?:{_JOINERS}{_E})*)", 1)
    src = (src.replace("{g}", "[^\ue000-\uf8ff，,；;。]{0,12}?")
              .replace("{any}", ".*?")
              .replace("{pre}", "^[^\ue000-\uf8ff]*"))
    labels: dict[str, frozenset[str]] = {}
    for slot, allowed in (rule.get("labels") or {}).items():
        values = [allowed] if isinstance(allowed, str) else list(allowed)
        expanded: set[str] = set()
        for v in values:
            expanded |= ORG_LABELS if v == "ORGLIKE" else {v}
        labels[slot] = frozenset(expanded)
    emit = tuple((str(h), str(t), str(tl)) for h, t, tl in rule.get("emit", []))
    for h, _, tl in emit:
        if h not in slots or tl not in slots:
            raise ExtractError(f"规则 {name}:emit 用到了模式里没有的槽位",
                               file="relations.yaml")
    try:
        rx = re.compile(src)
    except re.error as exc:
        raise ExtractError(f"规则 {name}:模式无效:{exc}", file="relations.yaml") from exc
    return _Rule(name, rx, slots, labels, emit)


class RelationMatcher:
    """Applies the relation rules to every sentence of a document."""

    def __init__(self, lex: Lexicon) -> None:
        self.rules = [_compile(r) for r in lex.relations]

    def find(self, text: str, entities: Sequence[Entity]) -> list[Relation]:
        """Relations between ``entities`` (sorted by start) of ``text``."""
        out: list[Relation] = []
        if len(entities) < 2:
            return out
        k = 0
        for a, b in sentences(text):
            while k < len(entities) and entities[k].start < a:
                k += 1
            first = k
            while k < len(entities) and entities[k].end <= b:
                k += 1
            idx = list(range(first, k))
            if len(idx) < 2 or len(idx) > _LAST - _FIRST:
                continue
            out.extend(self._sentence(text, a, b, entities, idx))
        return out

    def _sentence(self, text: str, a: int, b: int, entities: Sequence[Entity],
                  idx: list[int]) -> list[Relation]:
        parts = []
        pos = a
        for n, i in enumerate(idx):
            e = entities[i]
            parts.append(text[pos:e.start])
            parts.append(chr(_FIRST + n))
            pos = e.end
        parts.append(text[pos:b])
        masked = "".join(parts)
        evidence = text[a:b].strip()
        related: set[frozenset[int]] = set()
        out = []
        for rule in self.rules:
            for m in rule.rx.finditer(masked):
                bound = {s: [idx[ord(ch) - _FIRST] for ch in m.group(s)
                             if _FIRST <= ord(ch) <= _LAST] for s in rule.slots}
                if any(entities[i].label not in rule.labels[s]
                       for s in rule.labels for i in bound.get(s, [])):
                    continue
                for h_slot, rtype, t_slot in rule.emit:
                    for h in bound[h_slot]:
                        for t in bound[t_slot]:
                            pair = frozenset((h, t))
                            if h == t or pair in related or entities[h].text == entities[t].text:
                                continue
                            kind = rtype
                            if kind == "HOSTED_BY" and entities[t].label in _PLACE_LABELS:
                                kind = "LOCATED_IN"  # a place contains, it does not host
                            related.add(pair)
                            out.append(Relation(kind, h, t, evidence, rule.name, a, b))
        return out
