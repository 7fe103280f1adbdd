"""From candidates to entities: overlaps, short-name aliases, document-level recall.

Matchers propose; this module decides. It is pure (text and candidates in, entities
out) so it can be tested without spaCy.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ingest.extract.lexicon import ORG_LABELS, PRIORITY
from ingest.extract.matchers import Candidate

_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［]\d{4}[〕\]］]\d+号")
_SHORT_NAME = re.compile(r"[(（](?:以下)?(?:简称|下称)[：:]?[“\"「『]?([^”\"」』)）,，。]{2,12})"
                         r"[”\"」』]?[)）]")


@dataclass(frozen=True, slots=True)
class Entity:
    """An entity mention: character offsets into the text, ``end`` exclusive.

    Attributes:
        start, end: Character offsets.
        text: ``text[start:end]``.
        label: One of the extraction labels.
        rule: What found it (``org:研究院``, ``gazetteer:moe``, ``propagated`` …).
        canonical: The official name when the mention is a short form or alias.
    """

    start: int
    end: int
    text: str
    label: str
    rule: str
    canonical: str = ""

    def to_json(self) -> dict[str, object]:
        """The CLI contract's entity object."""
        return {"start": self.start, "end": self.end, "text": self.text, "label": self.label}


def _crosses(a: Candidate, b: Candidate) -> bool:
    return a.start < b.start < a.end < b.end or b.start < a.start < b.end < a.end


def resolve_overlaps(candidates: Iterable[Candidate], *,
                     plain_prefix: Callable[[int, int], bool] | None = None) -> list[Candidate]:
    """Choose non-overlapping candidates.

    1. Of two candidates that cross (overlap, neither inside the other), the less
       trusted source goes.
    2. A rule span that only adds an unexplained prefix to a gazetteer name ending at
       the same place goes too (支撑山东农业大学 loses to 山东农业大学), unless
       ``plain_prefix(start, end)`` says the prefix is places and levels only.
    3. The rest is taken longest first (a campus contains its university, an
       organisation contains its place), ties by trust, then position.

    Returns:
        The chosen candidates sorted by start.
    """
    cands = sorted(set(candidates), key=lambda c: (c.start, -c.end, -c.priority))
    dropped: set[int] = set()
    active: list[int] = []
    gaz = PRIORITY["gazetteer"]
    for i, c in enumerate(cands):
        active = [a for a in active if cands[a].end > c.start]
        for a in active:
            o = cands[a]
            if _crosses(o, c) and o.priority != c.priority:
                dropped.add(i if o.priority > c.priority else a)
            elif (o.end == c.end and o.start < c.start and c.priority >= gaz > o.priority
                  and not (plain_prefix and plain_prefix(o.start, c.start))):
                dropped.add(a)
        active.append(i)
    order = sorted((c for i, c in enumerate(cands) if i not in dropped),
                   key=lambda c: (-(c.end - c.start), -c.priority, c.start))
    starts: list[int] = []
    ends: list[int] = []
    chosen: list[Candidate] = []
    for c in order:
        k = bisect.bisect_left(starts, c.start)
        if k > 0 and ends[k - 1] > c.start:
            continue
        if k < len(starts) and starts[k] < c.end:
            continue
        starts.insert(k, c.start)
        ends.insert(k, c.end)
        chosen.append(c)
    chosen.sort(key=lambda c: c.start)
    return chosen


def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    k = bisect.bisect_left(taken, (start, start))
    if k > 0 and taken[k - 1][1] > start:
        return False
    return not (k < len(taken) and taken[k][0] < end)


def complete(text: str, chosen: list[Candidate]) -> list[Entity]:
    """Turn chosen candidates into entities and add what the document itself teaches.

    * ``X(以下简称“Y”)``: Y becomes an entity with X's label, its canonical name X.
    * A name found once is found everywhere in the document: a mention where the left
      edge was unclear (no boundary word) is still the same name (rule ``propagated``).
    * A place recognised by shape in front of a suffix (临海市 in 临海市科学技术局) is a
      LOCATION wherever else it stands, with its short form (临海).
    """
    codes = ([m.span() for m in _DOC_NUMBER.finditer(text)]
             if "〔" in text or "[" in text or "［" in text else [])
    # 工信部联电子〔2021〕154号 is a document number, not a mention of the ministry
    chosen = [c for c in chosen if not any(a <= c.start and c.end <= b for a, b in codes)]
    ents = [Entity(c.start, c.end, text[c.start:c.end], c.label, c.rule, c.canonical)
            for c in chosen]
    taken = sorted((e.start, e.end) for e in ents)
    names: dict[str, tuple[str, str]] = {}
    for e in ents:
        if e.label == "LOCATION":
            continue
        least = 2 if e.label == "PERSON" else 3
        if len(e.text) >= least and e.text not in names:
            names[e.text] = (e.label, e.canonical)
    by_end = {e.end: e for e in ents}
    for m in _SHORT_NAME.finditer(text):
        owner = by_end.get(m.start())
        short = m.group(1)
        if owner is None or owner.label not in ORG_LABELS | {"PROGRAM", "ZONE"}:
            continue
        a, b = m.span(1)
        if _free(taken, a, b):
            ents.append(Entity(a, b, short, owner.label, "alias:short_name",
                               owner.canonical or owner.text))
            bisect.insort(taken, (a, b))
        names.setdefault(short, (owner.label, owner.canonical or owner.text))
    for c in chosen:
        if c.learned_place:
            names.setdefault(c.learned_place, ("LOCATION", ""))
            short = c.learned_place[:-1]
            if len(short) >= 2:
                names.setdefault(short, ("LOCATION", c.learned_place))
    for name in sorted(names, key=len, reverse=True):
        label, canonical = names[name]
        pos = text.find(name)
        while pos >= 0:
            end = pos + len(name)
            if _free(taken, pos, end):
                ents.append(Entity(pos, end, name, label, "propagated", canonical))
                bisect.insort(taken, (pos, end))
            pos = text.find(name, end)
    ents.sort(key=lambda e: (e.start, e.end))
    return ents
