"""Finding entity candidates in plain text: gazetteer and structural rules.

Everything here works on characters, not on tokens: a segmenter may glue a verb to a
name (依托泰山) or split a name (泰山 / 创新 / 谷), so spans come from regular
expressions and character scans and are mapped to tokens only when annotations are
written. The matchers return :class:`Candidate` objects and never touch a spaCy ``Doc``;
:mod:`ingest.extract.select` decides which candidates become entities.

How an organisation name is found (``OrgMatcher``):

1. a known suffix (有限公司, 研究院, 重点实验室, 科技局 …, from ``suffixes.yaml``);
2. its left edge: scan back over name characters, stop at punctuation or a digit, then
   cut after the right-most *boundary word* (依托, 建设, 的, 与 …) unless that word is
   inside a *protected* word (工业和信息化, 协和);
3. the named-versus-generic decision: strip leading place names (泰安市, 山东) and level
   words (国家, 省级); what remains before the suffix is the *core*. A name needs a
   place or a core that is not made only of generic words (科技, 企业, 创新 …), and, for
   category-like suffixes (重点实验室, 孵化器), a non-empty core: 泰安市产业技术创新研究院
   is a name, 省重点实验室 and 国家科技企业孵化器 are categories.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ingest.extract.lexicon import (
    DIGITS,
    LABELS,
    MEASURE_WORDS,
    NAME_CHARS,
    ONTOLOGY_TO_LABEL,
    PRIORITY,
    GazetteerEntry,
    Lexicon,
    Suffix,
)
from ingest.extract.trie import trie_pattern

MAX_NAME_PREFIX = 20
"""How far left of a suffix a name may start (characters)."""

_NAME_CHAR_RX = re.compile(f"[{NAME_CHARS}]")
_ALL_NAME_RX = re.compile(f"[{NAME_CHARS}]+")
_DIGIT_RX = re.compile(f"[{DIGITS}]")
_OPEN = "(（"
_CLOSE = ")）"
_QUALIFIERS = frozenset({"筹", "筹建", "试行", "暂定名", "总部", "集团"})
# Strings of the unknown-place shape (two or three characters and 市/县) that are words.
_NOT_PLACES = frozenset({"城市", "超市", "都市", "门市", "上市", "股市", "夜市", "集市", "早市",
                         "街市", "黑市", "各县", "郡县", "州县", "市县", "省市县", "全市", "全县",
                         "我市", "本市", "该市", "我县", "本县", "该县", "各市", "城乡市"})


# After a known name, characters that show it is the start of another word: 大学生,
# 科技部门 (departments, not the ministry), 民政局长.
_GAZ_NOT_BEFORE = {"学": "生城", "院": "派士", "部": "门署长属", "局": "长面势限", "委": "员托"}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible entity: character offsets into the text (``end`` exclusive).

    Attributes:
        start, end: Character offsets.
        label: One of :data:`~ingest.extract.lexicon.LABELS`.
        rule: The rule or list that proposed it (``org:研究院``, ``gazetteer:moe`` …).
        priority: Trust in the source, used when candidates cross each other.
        canonical: The official name when the text has a short form or alias.
        learned_place: A place name the rule recognised by shape only (临海市 in
            临海市科学技术局); the document's other mentions of it become LOCATIONs.
        confidence: The statistical model's confidence in its span (1 for rules).
    """

    start: int
    end: int
    label: str
    rule: str
    priority: int
    canonical: str = ""
    learned_place: str = ""
    confidence: float = 1.0


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, int]:
    """jieba's word frequencies (shipped with the package; no download)."""
    try:
        import jieba

        jieba.dt.check_initialized()
        freq: dict[str, int] = jieba.dt.FREQ
        return freq
    except Exception:  # pragma: no cover - jieba is a dependency; degrade gracefully
        return {}


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    """jieba's part-of-speech table of its dictionary words."""
    try:
        import jieba.posseg

        table: dict[str, str] = jieba.posseg.dt.word_tag_tab
        return table
    except Exception:  # pragma: no cover - degrade to the boundary list alone
        return {}


def _dictionary_cut(span: str) -> list[str]:
    """Dictionary-only segmentation (no HMM) of a short span."""
    import jieba

    words: list[str] = jieba.lcut(span, HMM=False)
    return words


def is_name_char(ch: str) -> bool:
    """Whether ``ch`` can be part of a name (CJK ideograph or letter, not a digit)."""
    return _NAME_CHAR_RX.match(ch) is not None


class GazetteerMatcher:
    """Exact matching of known names (and aliases) anywhere in a text.

    Built from a list given at construction (the MoE universities, the curated lists)
    and extended with :meth:`add_pairs`, e.g. with the entities already in the graph.
    All names are compiled into one trie-shaped regex, recompiled lazily after additions.
    """

    def __init__(self, entries: Iterable[GazetteerEntry] = (), *, min_length: int = 2) -> None:
        self.min_length = min_length
        self._entries: dict[str, GazetteerEntry] = {}
        self._rx: re.Pattern[str] | None = None
        self.add(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, entries: Iterable[GazetteerEntry], *, min_length: int | None = None) -> int:
        """Add entries; a name already present keeps its first entry. Returns how many."""
        least = self.min_length if min_length is None else min_length
        added = 0
        for entry in entries:
            name = entry.name.strip()
            if len(name) < least or entry.label not in LABELS:
                continue
            for variant in _bracket_variants(name):
                if variant not in self._entries:
                    self._entries[variant] = GazetteerEntry(variant, entry.label,
                                                            entry.canonical, entry.source)
                    added += 1
        if added:
            self._rx = None
        return added

    def add_pairs(self, pairs: Iterable[tuple[str, str]], *, source: str = "graph",
                  min_length: int = 3) -> int:
        """Add ``(name, label)`` pairs, e.g. from a store's nodes.

        ``label`` is an extraction label (``UNIVERSITY``) or a graph node label
        (``University``); pairs with other labels are skipped. Short names are skipped
        (``min_length``): a two-character trade name matches too much running text.

        Returns:
            How many names were added.
        """
        entries = []
        for name, label in pairs:
            lab = label if label in LABELS else ONTOLOGY_TO_LABEL.get(label)
            if lab:
                entries.append(GazetteerEntry(name, lab, "", source))
        return self.add(entries, min_length=min_length)

    def find(self, text: str) -> list[Candidate]:
        """Every leftmost-longest gazetteer match in ``text``."""
        if not self._entries:
            return []
        if self._rx is None:
            self._rx = re.compile(trie_pattern(self._entries))
        out = []
        words = _dictionary()
        for m in self._rx.finditer(text):
            entry = self._entries[m.group()]
            a, b = m.span()
            if b - a <= 2 and (words.get(text[a - 1:a + 1], 0) > 0 if a > 0 else False
                               or words.get(text[b - 1:b + 1], 0) > 0):
                continue  # 北大 inside 华北大部: the short name is part of other words
            if b < len(text) and text[b] in _GAZ_NOT_BEFORE.get(entry.name[-1], ""):
                continue
            out.append(Candidate(m.start(), m.end(), entry.label, f"gazetteer:{entry.source}",
                                 PRIORITY["gazetteer"], entry.canonical))
        return out


def _bracket_variants(name: str) -> list[str]:
    """The name with ASCII and with full-width brackets (texts use both)."""
    variants = [name]
    if "(" in name or ")" in name:
        variants.append(name.replace("(", "（").replace(")", "）"))
    if "（" in name or "）" in name:
        variants.append(name.replace("（", "(").replace("）", ")"))
    return variants


class OrgMatcher:
    """Structural rules for organisation, government and zone names (see module doc)."""

    def __init__(self, lex: Lexicon) -> None:
        self.lex = lex
        self._unknown_place = re.compile(r"[\u4e00-\u9fff]{2,3}?[市县]")

    # -- the left edge ------------------------------------------------------------
    def window_start(self, text: str, s: int) -> tuple[int, bool]:
        """Where the run of name characters before ``s`` starts, and whether it was cut
        by the length limit rather than by punctuation."""
        i = s
        while i > 0 and s - i < MAX_NAME_PREFIX:
            ch = text[i - 1]
            if is_name_char(ch):
                i -= 1
                continue
            if ch in _CLOSE:
                # a bracketed region inside a company name: 华为技术(泰安)有限公司
                lo = max(0, i - 9)
                j = max(text.rfind("(", lo, i - 1), text.rfind("（", lo, i - 1))
                inner = text[j + 1:i - 1] if j >= 0 else ""
                if 1 <= len(inner) <= 6 and _ALL_NAME_RX.fullmatch(inner):
                    i = j
                    continue
            break
        capped = s - i >= MAX_NAME_PREFIX
        if 0 < i < s and _DIGIT_RX.match(text[i - 1]) and text[i] in MEASURE_WORDS:
            i += 1  # 建设4家…, 2010年2月…: the measure or date word belongs to the number
        return i, capped

    def name_start(self, text: str, ws: int, s: int) -> tuple[int, bool]:
        """The start of the name ending at ``s``, and whether a boundary word was seen."""
        seg = text[ws:s]
        protected = [m.span() for m in self.lex.protected_rx.finditer(seg)]
        start = 0
        seen = False
        words = _dictionary()
        for m in self.lex.boundary_rx.finditer(seg):
            a, b = m.span()
            if any(pa < b and a < pb for pa, pb in protected):
                continue
            if b - a == 1 and (words.get(seg[a - 1:b], 0) > 0 if a > 0 else False
                               or words.get(text[ws + a:ws + a + 2], 0) > 0):
                # a one-character function word that is part of a word here: 华为, 协和
                continue
            start = b
            seen = True
        return ws + start, seen

    def pos_cut(self, text: str, start: int, s: int) -> int:
        """Move ``start`` past the right-most function word or verb before ``s``.

        The boundary list cannot name every verb of news and policy prose. jieba's
        dictionary (segmentation without the HMM, so unknown names are not glued into
        words) tags the words of the span; a verb, preposition, conjunction, adverb,
        pronoun, numeral, measure word, particle or time word ends the name's left side
        unless it is one of the generic words names are made of (创新, 联合, 高新).
        """
        if s - start < 2:
            return start
        tags = _word_tags()
        if not tags:
            return start
        lex = self.lex
        pos = cut = 0
        leading = True
        for tok in _dictionary_cut(text[start:s]):
            end = pos + len(tok)
            tag = tags.get(tok, "")
            kind = ""
            if tok in lex.places:
                pos = end
                continue  # a place opening the span keeps the next verb "leading"
            if tag and tok not in lex.generic and not tok.startswith("第"):
                if len(tok) >= 2 and tag[0] in "pcdrmqut":
                    kind = "function"
                elif len(tok) >= 2 and tag[0] == "v" and tag != "vn":
                    kind = "verb"
                elif len(tok) == 1 and tag[0] in "pcu":
                    kind = "function"
            # Function words never sit inside a name; verbs may (小麦育种联合实验室), so a
            # verb only counts while it opens the span (何辗转返回中国科学院…).
            if kind == "function" or (kind == "verb" and leading):
                cut = end
            else:
                leading = False
            pos = end
        return start + cut

    # -- named or generic -------------------------------------------------------
    def is_proper(self, core: str) -> bool:
        """Whether ``core`` has something distinctive, i.e. cannot be covered entirely by
        generic words, level words and place names."""
        if not core:
            return False
        lex = self.lex
        n = len(core)
        ok = [False] * (n + 1)
        ok[0] = True
        longest = max(lex.generic_max, 8)
        for i in range(n):
            if not ok[i]:
                continue
            for length in range(1, min(longest, n - i) + 1):
                w = core[i:i + length]
                if w in lex.generic or w in lex.places or w in "、与和及的之":
                    ok[i + length] = True
        return not ok[n]

    def analyse(self, text: str, start: int, s: int) -> tuple[int, bool, bool, str]:
        """Split ``text[start:s]`` into leading places/levels and the core.

        Returns:
            (core start, has a place, has a level word, place learned by shape).
        """
        lex = self.lex
        pos = start
        has_place = has_level = False
        learned = ""
        m = self._unknown_place.match(text, pos, s)
        if m and not lex.place_rx.match(text, pos, s) and m.group() not in _NOT_PLACES:
            # 临海市科学技术局: a county-level city no list has; trusted only in front of
            # a suffix, and remembered so the document's other mentions are found
            pos, has_place, learned = m.end(), True, m.group()
        while pos < s:
            m = lex.place_rx.match(text, pos, s)
            if m:
                pos, has_place = m.end(), True
                continue
            m = lex.level_rx.match(text, pos, s)
            if m:
                pos, has_level = m.end(), True
                continue
            break
        return pos, has_place, has_level, learned

    def is_named(self, text: str, start: int, s: int, suffix: Suffix) -> tuple[bool, str]:
        """The named-versus-generic decision for ``text[start:s] + suffix``.

        Returns:
            (is a name, place learned by shape or "").
        """
        if text.startswith(self.lex.not_name_start, start):
            return False, ""
        pos, has_place, has_level, learned = self.analyse(text, start, s)
        core = text[pos:s]
        if not has_place and core[:4] and any(core[:k] in self.lex.suffixes
                                               for k in (2, 3, 4)):
            return False, ""  # 公司加基地: a bare kind word opens the span
        zone_core = bool(core) and core.endswith(self.lex.zone_suffixes)
        # without a place, one odd character (体 of 共同体联盟 cut short) is no core
        proper = len(core) >= 2 and self.is_proper(core)
        if suffix.core == "place":
            named = has_place or proper
        elif suffix.core == "proper":
            named = bool(core) and (has_place or proper)
        elif suffix.core == "located":
            named = bool(core) and has_place
        elif suffix.core == "prefix":
            named = (has_place or has_level) and (not core or zone_core)
        elif suffix.core == "ministry":
            named = not core
        else:  # place_only
            named = has_place and (not core or zone_core)
        return named, learned if named else ""

    def qualifier_end(self, text: str, e: int) -> int:
        """Extend a name over a bracketed campus or status: 中国石油大学(华东), …(筹)."""
        if e >= len(text) or text[e] not in _OPEN:
            return e
        close = -1
        for k in range(e + 1, min(len(text), e + 9)):
            if text[k] in _CLOSE:
                close = k
                break
        if close < 0:
            return e
        inner = text[e + 1:close]
        if inner in _QUALIFIERS or (inner in self.lex.places and len(inner) <= 4):
            return close + 1
        return e

    def find(self, text: str) -> list[Candidate]:
        """Organisation, government and zone candidates in ``text``."""
        lex = self.lex
        out: list[Candidate] = []
        for m in lex.suffix_rx.finditer(text):
            s, e = m.span()
            suffix = lex.suffixes[m.group()]
            if e < len(text) and text[e] in suffix.not_before:
                continue
            ws, capped = self.window_start(text, s)
            start, seen = self.name_start(text, ws, s)
            if not seen:
                # No boundary word: the clause may open with a verb we do not know
                # (抢抓山东省实验室). A place inside the run is a safer left edge.
                pm = lex.place_rx.search(text, ws, s)
                if pm and text[pm.start() - 1:pm.start()] not in _OPEN:
                    start = pm.start()
                elif capped:
                    continue
            named, learned = self.is_named(text, start, s, suffix)
            if not named:
                continue
            # the dictionary check only runs on spans that would be names (it is the
            # costliest step, and cutting a span never turns a category into a name)
            cut = self.pos_cut(text, start, s)
            if cut > start:
                start = cut
                named, learned = self.is_named(text, start, s, suffix)
            if not named or e - start < 3:
                continue
            end = self.qualifier_end(text, e)
            kind = "government" if suffix.label == "GOVERNMENT" else "org"
            out.append(Candidate(start, end, suffix.label, f"{kind}:{suffix.text}",
                                 PRIORITY[kind], "", learned))
        return out


class ProgramMatcher:
    """Programme names: 《…规划》 titles, “…计划”, and …行动/工程 after a trigger verb."""

    def __init__(self, lex: Lexicon, orgs: OrgMatcher) -> None:
        cfg = lex.programs
        self.lex = lex
        self.orgs = orgs
        period = r"(?:[(（][0-9０-９\-—–~～至年]{4,14}[)）])?"
        title_sfx = "(?:" + trie_pattern(cfg["title_suffixes"]) + ")"
        name_sfx = "(?:" + trie_pattern(cfg["name_suffixes"]) + ")"
        self.title_rx = re.compile(r"《([^《》]{2,80})》|<([^<>《》]{2,60})>|〈([^〈〉]{2,60})〉")
        self.title_is_program = re.compile(f"{title_sfx}{period}$")
        self.quoted_rx = re.compile(r"“([^“”\n]{2,20})”")
        self.quoted_whole = re.compile("(?:" + trie_pattern(cfg["quoted_suffixes"]) + ")$")
        self.quoted_prefix = re.compile(f"[\u4e00-\u9fff]{{0,16}}?{name_sfx}{period}")
        self.trigger_rx = re.compile(
            "(?:" + trie_pattern(cfg["triggers"]) + ")"
            + f"([\u4e00-\u9fff]{{2,20}}?{name_sfx}{period})")
        self.name_sfx = re.compile(f"{name_sfx}{period}$")
        # a line that is nothing but a programme's name: the title above its text
        self.heading_rx = re.compile(
            r"(?m)^[ \t\u3000]*([^\s，。,；;：:、《》“”\"]{4,60}?"
            rf"{title_sfx}{period})[ \t\u3000]*$")
        self.not_names = tuple(cfg.get("not_names", []))

    def _named(self, name: str) -> bool:
        """A programme name needs a place or a distinctive core, like an organisation."""
        if any(w in name for w in self.not_names):
            return False
        m = self.name_sfx.search(name)
        core_end = m.start() if m else len(name)
        pos, has_place, _, _ = self.orgs.analyse(name, 0, core_end)
        core = name[pos:core_end]
        # a place anywhere names a programme (健康中国行动), not only in front
        in_core = self.orgs.lex.place_rx.search(core) is not None
        return bool(core) and (has_place or in_core or self.orgs.is_proper(core))

    def find(self, text: str) -> list[Candidate]:
        """Programme candidates in ``text``."""
        prio = PRIORITY["program"]
        out: list[Candidate] = []
        for m in self.title_rx.finditer(text):
            g = next(i for i in (1, 2, 3) if m.group(i) is not None)
            inner = m.group(g)
            a = m.start(g)
            if self.title_is_program.search(inner):
                out.append(Candidate(a, a + len(inner), "PROGRAM", "program:title", prio))
            # a programme quoted in a document's title: 《…印发<国家…规划>的通知》
            for sub in self.title_rx.finditer(inner):
                sg = next(i for i in (1, 2, 3) if sub.group(i) is not None)
                if self.title_is_program.search(sub.group(sg)):
                    out.append(Candidate(a + sub.start(sg), a + sub.end(sg), "PROGRAM",
                                         "program:title", prio))
        for m in self.quoted_rx.finditer(text):
            inner = m.group(1)
            if "+" in inner or "＋" in inner:
                continue  # a slogan (“平台+人才+项目”), not a name
            if self.quoted_whole.search(inner):
                out.append(Candidate(m.start(1), m.end(1), "PROGRAM", "program:quoted", prio))
                continue
            tail = self.quoted_prefix.match(text, m.end())
            if tail and tail.end() > m.end():
                ws, _ = self.orgs.window_start(text, m.start())
                start, _ = self.orgs.name_start(text, ws, m.start())
                if self.orgs.lex.level_rx.fullmatch(text, start, m.start()):
                    start = m.start()  # 省“十四五”规划: the level is not part of the name
                out.append(Candidate(start, tail.end(), "PROGRAM", "program:quoted_prefix",
                                     prio))
        for m in self.heading_rx.finditer(text):
            name = m.group(1)
            # standing alone on its line, a long title is a name even when made of
            # generic words (智慧健康养老产业发展行动计划(2021-2025年))
            if self._named(name) or (len(name) >= 8 and not any(w in name
                                                                 for w in self.not_names)):
                out.append(Candidate(m.start(1), m.end(1), "PROGRAM", "program:heading", prio))
        for m in self.trigger_rx.finditer(text):
            name = m.group(1)
            if self._named(name):
                out.append(Candidate(m.start(1), m.end(1), "PROGRAM", "program:trigger", prio))
        return out


class PersonMatcher:
    """Persons with a title next to the name: 张三院士, 院长吴弦光代表….

    A name is a surname and one or two characters. Strings the segmenter's dictionary
    knows as ordinary words (党委 in 党委书记, 高级 in 高级工程师) are rejected, using
    the part-of-speech table shipped with jieba.
    """

    _BAD_GIVEN = frozenset("副总常务长书记委部局厅院校所会省市县区镇乡村"
                           "的是在和与等了及或各全本第级员处科股室组队届")

    def __init__(self, lex: Lexicon) -> None:
        cfg = lex.persons
        compound = "|".join(sorted(cfg["compound_surnames"], key=len, reverse=True))
        surname = f"(?:{compound}|[{cfg['surnames']}])"
        titles = "(?:" + trie_pattern(cfg["titles"]) + ")"
        follow = "(?:" + trie_pattern(cfg["follow"]) + r"|[，,。；;：:、！？!?\s]|$)"
        self.after_rx = re.compile(f"({surname}[\u4e00-\u9fff]{{1,2}}?)(?={titles})")
        self.before_rx = re.compile(f"{titles}({surname}[\u4e00-\u9fff]{{1,2}}?)(?={follow})")
        self.generic = lex.generic

    def plausible(self, name: str) -> bool:
        """Whether ``name`` may be a person's name rather than a word."""
        if any(ch in self._BAD_GIVEN for ch in name[1:]) or name in self.generic:
            return False
        tag = _word_tags().get(name)
        return tag is None or tag.startswith("nr")

    def find(self, text: str) -> list[Candidate]:
        """Person candidates in ``text``."""
        prio = PRIORITY["person"]
        out = []
        for rx, rule in ((self.after_rx, "person:title_after"),
                         (self.before_rx, "person:title_before")):
            for m in rx.finditer(text):
                a, b = m.span(1)
                if self.plausible(m.group(1)):
                    out.append(Candidate(a, b, "PERSON", rule, prio))
        return out


NAMED_AFTER_PLACE = re.compile(r"[\u4e00-\u9fff]{0,8}?(?:资金|基金|学者|领军人才|人才工程)")
"""What a place name may open without being a place: a fund, title or talent scheme named
after it (泰山科技创业资金, 泰安市科技创新转化基金, 泰山学者, 泰山产业领军人才)."""


class PlaceMatcher:
    """Place names standing alone (LOCATION): regions, cities, the extra list; not the
    first word of a fund or title named after the place."""

    def __init__(self, lex: Lexicon) -> None:
        self.rx = lex.location_rx

    def find(self, text: str) -> list[Candidate]:
        """Location candidates in ``text``."""
        prio = PRIORITY["place"]
        return [Candidate(m.start(), m.end(), "LOCATION", "place", prio)
                for m in self.rx.finditer(text) if not NAMED_AFTER_PLACE.match(text, m.end())]
