"""Quantified targets of plans: 引进3个高水平研发团队, 新增高新技术企业25家以上.

The shapes and word lists are in ``targets.yaml``; see there for what is read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ingest.extract.lexicon import Lexicon
from ingest.extract.relations import sentences
from ingest.extract.trie import trie_pattern

_NUM = (r"(?P<num>[0-9０-９]+(?:[.．][0-9０-９]+)?)"
        r"(?:\s*[—\-–~～至到]\s*(?P<num2>[0-9０-９]+(?:[.．][0-9０-９]+)?))?")
_CLAUSE_END = r"[，,；;。：:！？!?\n]"
_TARGET_YEAR = re.compile(r"(?:到|至|在|于)((?:19|20)\d{2})年|((?:19|20)\d{2})年(?:底|末)?前")
_DOC_NUMBER_YEAR = re.compile(r"[〔\[［(（]((?:19|20)\d{2})[〕\]］)）]")
_DATE_YEAR = re.compile(r"((?:19|20)\d{2})(?:年\d{1,2}月\d{1,2}日|[-/.]\d{1,2}[-/.]\d{1,2})")
_BARE_YEAR = re.compile(r"((?:19|20)\d{2})年")
_ANY_DIGIT = re.compile(r"[0-9０-９]")
_CLAUSE_START = re.compile(r"[，,；;。：:！？!?\n、“”]")
_LEADING_JUNK = "—–-－~～·•* \t\u3000（(）)【】[]"


@dataclass(frozen=True, slots=True)
class Target:
    """A quantified goal read from a sentence.

    Attributes:
        start, end: Character offsets of the phrase.
        text: The phrase.
        metric: What is counted (引进高水平研发团队).
        value: The number (the lower bound of a range such as 1—2家).
        unit: 个, 家, %, 亿元 …
        comparator: ``>=``, ``<=``, ``=`` or ``~`` (the schema's choices).
        year: The year the target is for: 到2025年 in the sentence, else the document's.
        scope: An area word that opened the metric (全市), else "".
        rule: Which shape read it (``cue``, ``verb_number``, ``verb_object``).
    """

    start: int
    end: int
    text: str
    metric: str
    value: float
    unit: str
    comparator: str
    year: int | None
    scope: str
    rule: str

    def to_json(self) -> dict[str, object]:
        """A plain dict of every field."""
        return {"start": self.start, "end": self.end, "text": self.text, "metric": self.metric,
                "value": self.value, "unit": self.unit, "comparator": self.comparator,
                "year": self.year, "scope": self.scope, "rule": self.rule}


def document_year(text: str) -> int | None:
    """The year a document was issued, guessed from its first lines.

    A document number (〔2021〕) is the best witness, then a full date, then the first
    ``YYYY年``: a plan written in 2021 mentions 2025 in its title before its date.

    >>> document_year("工信部联电子〔2021〕154号 …到2025年")
    2021
    >>> document_year("2020年,是全面建成小康社会的决胜之年")
    2020
    """
    head = text[:600]
    for rx in (_DOC_NUMBER_YEAR, _DATE_YEAR, _BARE_YEAR):
        m = rx.search(head)
        if m:
            return int(m.group(1))
    return None


def _number(s: str) -> float:
    return float(unicodedata.normalize("NFKC", s).replace("．", "."))


class TargetMatcher:
    """Reads targets with the three shapes of ``targets.yaml``."""

    def __init__(self, lex: Lexicon) -> None:
        cfg = lex.targets
        self.comparators: dict[str, str] = {str(k): str(v)
                                            for k, v in cfg["comparators"].items()}
        verbs = "(?:" + trie_pattern(cfg["verbs"]) + ")"
        cues = "(?:" + trie_pattern(cfg["cues"]) + ")"
        units = "(?:" + trie_pattern(cfg["units"]) + ")"
        after = "(?P<cmp>以上|及以上|左右|以内|以下)?"
        before = "(?P<pre>约|近|至少|超过|不少于|不低于)?"
        amount = f"{before}(?<!第){_NUM}(?P<more>多|余)?(?P<unit>{units})"
        # an object runs to the end of its clause, or to a 、 that opens the next target
        obj_end = f"(?={_CLAUSE_END}|$|、{verbs}?[0-9０-９])"
        # the metric is read backwards from the cue to the start of its clause
        self.cue_rx = re.compile(f"(?P<cue>{cues}){amount}{after}")
        self.verb_number_rx = re.compile(
            f"(?P<verb>{verbs}){amount}{after}(?P<obj>[^，,；;。：:！？!?\\n]{{1,40}}?){obj_end}")
        self.continuation_rx = re.compile(
            f"[，,、]{amount}{after}(?P<obj>[^，,；;。：:！？!?\\n]{{1,50}}?){obj_end}")
        # anchored on the amount at the end of a clause; the verb is looked up before it
        self.amount_end_rx = re.compile(f"{amount}{after}(?={_CLAUSE_END}|$|、)")
        self.verb_rx = re.compile(verbs)
        self.scopes = tuple(sorted(cfg.get("scopes", []), key=len, reverse=True))
        self.hedges = tuple(sorted(cfg.get("hedges", []), key=len, reverse=True))
        self._growth = ("增长", "提高到", "提高至", "提升到", "提升至", "增至", "增加到")

    def _comparator(self, m: re.Match[str], cue: str = "") -> str:
        if m.group("num2"):
            return ">="
        for word in (m.group("cmp"), m.group("pre"), m.group("more"), cue):
            if word and word in self.comparators:
                return self.comparators[word]
        return "="

    def _clean_metric(self, metric: str) -> tuple[str, str]:
        scope = ""
        changed = True
        while changed:
            changed = False
            for w in self.scopes:
                if metric.startswith(w) and len(metric) > len(w):
                    scope, metric, changed = w, metric[len(w):], True
            for w in self.hedges:
                if metric.startswith(w) and len(metric) > len(w):
                    metric, changed = metric[len(w):], True
        return metric, scope

    def find(self, text: str, *, year: int | None = None) -> list[Target]:
        """Targets in ``text``; ``year`` is the document's (guessed when None)."""
        if year is None:
            year = document_year(text)
        out: list[Target] = []
        for a, b in sentences(text):
            if not _ANY_DIGIT.search(text, a, b):
                continue  # most sentences hold no number at all
            ym = _TARGET_YEAR.search(text, a, b)
            s_year = int(ym.group(1) or ym.group(2)) if ym else year
            used: list[tuple[int, int]] = []

            def free(m: re.Match[str], used: list[tuple[int, int]] = used) -> bool:
                s, e = m.span("num")
                return all(not (us < e and s < ue) for us, ue in used)

            for m in self.cue_rx.finditer(text, a, b):
                if not free(m):
                    continue
                cue = m.group("cue")
                c0 = self._clause_start(text, a, m.start())
                raw = text[c0:m.start()]
                lead = len(raw) - len(raw.lstrip(_LEADING_JUNK))
                metric, scope = self._clean_metric(raw[lead:].strip())
                if len(metric) < 2 or len(raw) > 40 or metric in self.hedges:
                    continue
                if cue in self._growth:
                    metric += cue
                used.append(m.span("num"))
                out.append(self._target(text, c0 + lead, m.end(), metric, m, scope, s_year,
                                        "cue", cue))
            for m in self.verb_number_rx.finditer(text, a, b):
                if not free(m):
                    continue
                verb = m.group("verb")
                used.append(m.span("num"))
                out.append(self._target(text, m.start(), m.end(), verb + m.group("obj"), m, "",
                                        s_year, "verb_number"))
                end = m.end()
                while True:
                    c = self.continuation_rx.match(text, end, b)
                    if not c or not free(c):
                        break
                    used.append(c.span("num"))
                    out.append(self._target(text, c.start() + 1, c.end(), verb + c.group("obj"),
                                            c, "", s_year, "verb_number"))
                    end = c.end()
            for m in self.amount_end_rx.finditer(text, a, b):
                if not free(m):
                    continue
                c0 = self._clause_start(text, a, m.start())
                v = self.verb_rx.search(text, c0, m.start())
                if not v or v.end() >= m.start() or m.start() - v.end() > 30:
                    continue
                if _ANY_DIGIT.search(text, v.end(), m.start()):
                    continue
                used.append(m.span("num"))
                metric, scope = self._clean_metric(text[v.start():m.start()])
                out.append(self._target(text, v.start(), m.end(), metric, m, scope, s_year,
                                        "verb_object"))
        out.sort(key=lambda t: t.start)
        return out

    @staticmethod
    def _clause_start(text: str, a: int, pos: int) -> int:
        last = a
        for m in _CLAUSE_START.finditer(text, a, pos):
            last = m.end()
        return last

    def _target(self, text: str, start: int, end: int, metric: str, m: re.Match[str],
                scope: str, year: int | None, rule: str, cue: str = "") -> Target:
        return Target(start=start, end=end, text=text[start:end], metric=metric.strip(),
                      value=_number(m.group("num")), unit=m.group("unit") or "",
                      comparator=self._comparator(m, cue), year=year, scope=scope, rule=rule)
