"""Name analysis for entity resolution: comparison keys, name parts, pairwise verdicts.

An organisation name is read as ``region* body org_type? group? legal_form? branch?``
plus bracketed parts, e.g.::

    山东泰安 | 康复医疗器械 | — | — | 有限责任公司        (regions, body, legal form)
    山东    | 农业        | 大学                          (region, body, org type)
    山东科技大学 + 泰安校区                                (parent, branch)
    中国 | 石油 | 大学 | (华东)                          (qualifier)

The parts are *features* for comparison, never a licence to throw text away: two
names are variants of one entity ("same") only when their bodies are identical and
the parts around them agree or differ in ways that cannot change the entity
(有限责任公司 vs 有限公司, 山东泰安 vs 泰安, 科技局 vs 科学技术局). A different
org type (大学 / 学院 / 职业学院), legal-form family, branch, bracketed qualifier or
region blocks a match outright. Anything else similar is at most "possible", which
callers send to review.

The word lists (regions, suffixes, term equivalences) are data files under
``ingest/resolve/data``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz

from ingest.resolve._data import DataSource, read_rows
from ingest.resolve.errors import GazetteerError
from schemas.names import normalize_name
from schemas.nodes import NODE_MODELS

Verdict = Literal["same", "possible", "different"]

LEVELS: dict[str, int] = {"country": 0, "province": 1, "city": 2, "county": 3}
"""Region levels, coarse to fine."""

SUFFIX_KINDS = frozenset({"legal_form", "group", "org_type", "branch", "qualifier"})

POSSIBLE_MIN = 0.5
"""Below this score a pair is 'different' rather than 'possible'."""

# Punctuation that never distinguishes two organisations (quotes, dots, dashes, title
# marks); brackets are kept because they carry qualifiers such as (华东).
_PUNCT = re.compile(r"[\"'`.,;:!?、，。；：！？\-‐‑–—_~/\\|*#<>]+")
_SQUARE = str.maketrans({"[": "(", "]": ")", "{": "(", "}": ")"})
_BRACKET = re.compile(r"\(([^()]*)\)")


@dataclass(frozen=True)
class Region:
    """An administrative region known to the rules."""

    name: str
    level: str
    parent: str | None


@dataclass(frozen=True)
class Suffix:
    """A name ending that is not the distinctive part (see ``data/suffixes.csv``)."""

    kind: str
    suffix: str
    canonical: str
    family: str
    label: str


class NameRules:
    """The word lists name analysis needs: regions, suffixes, term equivalences.

    Build with :meth:`load` (shipped data files) or directly for tests.

    Args:
        regions: Every region, by official name.
        region_forms: Surface form (official or short) -> official name.
        suffixes: Legal forms, group markers, org types and branch markers.
        equivalences: Short term -> standard term, applied to comparison keys.
    """

    def __init__(self, *, regions: Iterable[Region], region_forms: Mapping[str, str],
                 suffixes: Iterable[Suffix], equivalences: Mapping[str, str]) -> None:
        self.regions: dict[str, Region] = {r.name: r for r in regions}
        self.region_forms: dict[str, str] = dict(region_forms)
        self._region_lengths = sorted({len(f) for f in self.region_forms}, reverse=True)
        by_kind: dict[str, dict[str, Suffix]] = {k: {} for k in SUFFIX_KINDS}
        for s in suffixes:
            if s.kind not in SUFFIX_KINDS:
                raise GazetteerError(f"后缀 {s.suffix!r} 的种类 {s.kind!r} 不认识")
            by_kind[s.kind][s.suffix] = s
        self.legal_forms = by_kind["legal_form"]
        self.group_markers = by_kind["group"]
        self.org_types = by_kind["org_type"]
        self.branch_markers = by_kind["branch"]
        self.qualifier_words = by_kind["qualifier"]
        self.equivalences = dict(equivalences)
        variants = sorted(self.equivalences, key=len, reverse=True)
        self._equiv_re = re.compile("|".join(map(re.escape, variants))) if variants else None
        self._ancestors: dict[str, frozenset[str]] = {}

    @classmethod
    def load(cls, *, regions: DataSource = None, suffixes: DataSource = None,
             equivalences: DataSource = None,
             cities: Iterable[tuple[str, str]] = ()) -> NameRules:
        """Read the rules from CSV files (the shipped ones by default).

        Args:
            regions: ``regions.csv`` (name, short, level, parent).
            suffixes: ``suffixes.csv`` (kind, suffix, canonical, family, label).
            equivalences: ``equivalences.csv`` (variant, canonical).
            cities: (province, city) pairs added as city-level regions; the default
                rules take them from the MoE list, which names every prefecture that
                has a college.

        Raises:
            GazetteerError: If a file is malformed.
        """
        region_list: list[Region] = []
        forms: dict[str, str] = {}
        region_rows = read_rows(regions, "regions.csv", ("name", "short", "level", "parent"))
        for row in region_rows:
            if row["level"] not in LEVELS:
                raise GazetteerError(f"地区 {row['name']!r} 的级别 "
                                     f"{row['level']!r} 不认识", file="regions.csv")
            region_list.append(Region(row["name"], row["level"], row["parent"] or None))
        known = {r.name for r in region_list}
        for province, city in cities:
            if city and city not in known:
                known.add(city)
                region_list.append(Region(city, "city", province or None))
        # Official names first, then short forms; a short form already taken by a
        # higher level (吉林 the province vs 吉林市) keeps its first owner.
        for r in region_list:
            forms.setdefault(r.name, r.name)
        for row in region_rows:
            if row["short"]:
                forms.setdefault(row["short"], row["name"])
        for r in region_list:
            short = _city_short(r) if r.level == "city" else ""
            if short:
                forms.setdefault(short, r.name)
        suffix_rows = read_rows(suffixes, "suffixes.csv",
                                ("kind", "suffix", "canonical", "family", "label"))
        suffix_list = []
        for row in suffix_rows:
            if row["label"] and row["label"] not in NODE_MODELS:
                raise GazetteerError(f"后缀 {row['suffix']!r} 的类别 "
                                     f"{row['label']!r} 不认识", file="suffixes.csv")
            suffix_list.append(Suffix(row["kind"], row["suffix"], row["canonical"] or
                                      row["suffix"], row["family"], row["label"]))
        equiv = {normalize_name(r["variant"]): normalize_name(r["canonical"]) for r in
                 read_rows(equivalences, "equivalences.csv", ("variant", "canonical"))}
        return cls(regions=region_list, region_forms=forms, suffixes=suffix_list,
                   equivalences=equiv)

    # lookups ----------------------------------------------------------------
    def expand_terms(self, text: str) -> str:
        """Rewrite short generic terms to their standard form (科技局 -> 科学技术局)."""
        if self._equiv_re is None:
            return text
        return self._equiv_re.sub(lambda m: self.equivalences[m.group(0)], text)

    def region_prefix(self, text: str) -> tuple[str, str] | None:
        """The longest region form ``text`` starts with, as (form, official name)."""
        for n in self._region_lengths:
            if n <= len(text) and text[:n] in self.region_forms:
                return text[:n], self.region_forms[text[:n]]
        return None

    def ancestors(self, region: str) -> frozenset[str]:
        """The regions enclosing ``region`` (not itself)."""
        cached = self._ancestors.get(region)
        if cached is None:
            seen: list[str] = []
            cur = self.regions.get(region)
            while cur is not None and cur.parent and cur.parent not in seen:
                seen.append(cur.parent)
                cur = self.regions.get(cur.parent)
            cached = self._ancestors[region] = frozenset(seen)
        return cached

    def level(self, region: str) -> int:
        """Level number of a region (unknown regions count as cities)."""
        r = self.regions.get(region)
        return LEVELS[r.level] if r else LEVELS["city"]

    @staticmethod
    def longest_suffix(text: str, table: Mapping[str, Suffix], *,
                       keep: int = 1) -> Suffix | None:
        """The longest entry of ``table`` that ends ``text`` leaving ``keep`` chars before it."""
        for length in _suffix_lengths(table):
            if len(text) >= length + keep:
                entry = table.get(text[-length:])
                if entry is not None:
                    return entry
        return None

    def ends_with_org_word(self, text: str) -> bool:
        """True if ``text`` ends with a legal form or an org type (and has more before it)."""
        return (self.longest_suffix(text, self.legal_forms, keep=1) is not None
                or self.longest_suffix(text, self.org_types, keep=1) is not None)


_LENGTHS: dict[int, tuple[Mapping[str, Suffix], tuple[int, ...]]] = {}


def _suffix_lengths(table: Mapping[str, Suffix]) -> tuple[int, ...]:
    """The suffix lengths of a table, longest first (cached per table object)."""
    got = _LENGTHS.get(id(table))
    if got is None or got[0] is not table:
        got = _LENGTHS[id(table)] = (table, tuple(sorted({len(k) for k in table},
                                                         reverse=True)))
    return got[1]


def _city_short(region: Region) -> str:
    # 泰安市 -> 泰安, 喀什地区 -> 喀什, 兴安盟 -> 兴安; autonomous prefectures (…自治州)
    # have no safe short form, and one-character stems (e.g. 沙市) would be too greedy.
    for ending in ("地区", "市", "盟"):
        if region.name.endswith(ending) and len(region.name) - len(ending) >= 2:
            return region.name[: -len(ending)]
    return ""


@lru_cache(maxsize=1)
def default_rules() -> NameRules:
    """The rules from the shipped data files, loaded once."""
    from ingest.resolve.gazetteer import moe_cities  # late: the gazetteer imports us

    return NameRules.load(cities=moe_cities())


# parsing ------------------------------------------------------------------
@dataclass(frozen=True)
class NameParts:
    """A name taken apart for comparison (all strings are comparison-key text).

    Attributes:
        norm: ``schemas.names.normalize_name`` of the name.
        key: The comparison key: normalised, punctuation removed, terms expanded.
        outer: ``key`` without bracketed names of other entities.
        regions: Official names of the regions in the name, in order.
        body: What is left: the distinctive part (trade name, subject, industry words).
        org_type: Canonical org type (大学, 研究院, 医院, 局 …) or "".
        org_label: The node label the org type suggests, or "".
        legal_form: Canonical legal form (有限公司, 股份有限公司 …) or "".
        legal_family: Family of the legal form (company, partnership …) or "".
        legal_text: The legal form as written (有限责任公司), or "".
        region_text: The region forms as written (山东泰安, or (泰安) in brackets).
        group: Whether the name says 集团.
        branch: Branch part (泰安分公司, 泰安校区) or "".
        parent: The parent's name (key text) when there is a branch, else "".
        qualifiers: Bracketed parts that distinguish entities, e.g. ("华东",).
        embedded: Bracketed names of the same or a former entity: 原XX, or XX(YY研究院).
    """

    norm: str
    key: str
    outer: str
    regions: tuple[str, ...]
    body: str
    org_type: str
    org_label: str
    legal_form: str
    legal_family: str
    legal_text: str
    region_text: str
    group: bool
    branch: str
    parent: str
    qualifiers: tuple[str, ...]
    embedded: tuple[str, ...]

    @property
    def loose_key(self) -> str:
        """Key that ignores regions, legal form and 集团: names that may be variants share it."""
        return f"{self.body}|{self.org_type}|{self.branch}"

    @property
    def distinctive(self) -> bool:
        """Whether the name says anything beyond generic words (a body or a region)."""
        return bool(self.body or self.regions)


def _strip_invisible(text: str) -> str:
    # Zero-width spaces, BOMs and control characters survive NFKC and would make two
    # identical-looking names (and uids) differ. A printable text holds none of them
    # (str.isprintable is false for every Cf and Cc character): most names, at no cost.
    if text.isprintable():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))


def comparison_key(name: str, rules: NameRules | None = None, *, expand: bool = True) -> str:
    """The key two spellings of one name share.

    ``normalize_name`` (full-width, brackets, spaces, traditional characters), then
    invisible characters and non-distinguishing punctuation removed, square brackets
    read as round ones, and (if ``expand``) generic terms expanded (科技局 -> 科学技术局).

    >>> comparison_key("泰安市科技局")
    '泰安市科学技术局'
    >>> comparison_key("《泰安市“十四五”科技创新发展规划》")
    '泰安市十四五科技创新发展规划'
    """
    return _key_of(normalize_name(_strip_invisible(name)), rules, expand)


def _key_of(norm: str, rules: NameRules | None, expand: bool) -> str:
    """:func:`comparison_key` of a name already normalised (``norm``)."""
    text = _PUNCT.sub("", norm.translate(_SQUARE))
    if expand:
        text = (rules or default_rules()).expand_terms(text)
    return text


def parse_name(name: str, rules: NameRules | None = None, *, expand: bool = True) -> NameParts:
    """Take an organisation name apart into the features comparison uses.

    Args:
        name: The name as written.
        rules: Word lists (the shipped ones by default).
        expand: Expand generic terms first (off to get the body as stored text, for
            substring search in a store).

    >>> p = parse_name("山东泰安康复医疗器械有限责任公司")
    >>> p.regions, p.body, p.legal_form
    (('山东省', '泰安市'), '康复医疗器械', '有限公司')
    >>> p = parse_name("山东科技大学泰安校区")
    >>> p.parent, p.branch, p.org_type
    ('山东科技大学', '泰安校区', '大学')
    """
    rules = rules or default_rules()
    norm = normalize_name(_strip_invisible(name))
    key = _key_of(norm, rules, expand)
    regions: list[str] = []
    region_text: list[str] = []  # bracketed region forms
    prefix_forms: list[str] = []
    qualifiers: list[str] = []
    embedded: list[str] = []
    legal: Suffix | None = None
    group = False
    pieces: list[str] = []
    outer_pieces: list[str] = []
    pos = 0
    for m in _BRACKET.finditer(key):
        content = m.group(1)
        pieces.append(key[pos:m.start()])
        outer_pieces.append(key[pos:m.start()])
        pos = m.end()
        at_end = m.end() == len(key)
        if not content:
            continue
        if content.startswith("原") and len(content) > 2:
            embedded.append(content[1:])  # (原XX有限公司): a former name
            continue
        if content in rules.legal_forms:
            legal = rules.legal_forms[content]  # (有限合伙)
        elif content in rules.group_markers:
            group = True  # XX(集团)有限公司 is XX集团有限公司
        elif len(content) >= 4 and (rules.ends_with_org_word(content) or any(
                content.endswith(b) for b in rules.branch_markers)):
            embedded.append(content)  # 泰安市产业技术创新研究院(山东产业技术研究院泰安分院)
            continue
        elif content in rules.region_forms and not at_end:
            regions.append(rules.region_forms[content])  # 字号(泰安)行业有限公司
            region_text.append(m.group(0))
        else:
            # A trailing (北京) / (华东) after an org type names a distinct institution.
            qualifiers.append(content)
        outer_pieces.append(m.group(0))
    pieces.append(key[pos:])
    outer_pieces.append(key[pos:])
    rest = "".join(pieces)
    outer = "".join(outer_pieces)

    if not qualifiers:
        tail = _trailing_qualifier(rest, rules)
        if tail:
            qualifiers.append(tail)
            rest = rest[: -len(tail)]
    branch = parent = ""
    marker = NameRules.longest_suffix(rest, rules.branch_markers, keep=2)
    if marker is not None:
        head = rest[: -len(marker.suffix)]
        for p in range(len(head), 1, -1):
            if rules.ends_with_org_word(head[:p]):
                parent, branch = head[:p], rest[p:]
                rest = parent
                break
    if legal is None:
        legal = NameRules.longest_suffix(rest, rules.legal_forms, keep=1)
        if legal is not None:
            rest = rest[: -len(legal.suffix)]
    grp = NameRules.longest_suffix(rest, rules.group_markers, keep=1)
    if grp is not None:
        group = True
        rest = rest[: -len(grp.suffix)]
    org = NameRules.longest_suffix(rest, rules.org_types, keep=0)
    if org is not None:
        rest = rest[: -len(org.suffix)]
    typed = org is not None or legal is not None or group
    while True:
        hit = rules.region_prefix(rest)
        if hit is None:
            break
        form, official = hit
        if len(rest) == len(form) and not typed:
            rest = official  # the whole name is a place: 泰安 and 泰安市 are one body
            break
        regions.append(official)
        prefix_forms.append(form)
        rest = rest[len(form):]
    return NameParts(
        norm=norm, key=key, outer=outer, regions=tuple(regions), body=rest,
        org_type=org.canonical if org else "", org_label=org.label if org else "",
        legal_form=legal.canonical if legal else "", legal_family=legal.family if legal else "",
        legal_text=legal.suffix if legal else "", region_text="".join(prefix_forms + region_text),
        group=group, branch=branch, parent=parent, qualifiers=tuple(qualifiers),
        embedded=tuple(embedded))


def _trailing_qualifier(text: str, rules: NameRules) -> str:
    """A qualifier written without brackets after an org type (中国石油大学华东,
    中国地质大学武汉), or ""."""
    for n in (3, 2):
        tail, head = text[-n:], text[:-n]
        if (len(text) > n and (tail in rules.qualifier_words or tail in rules.region_forms)
                and NameRules.longest_suffix(head, rules.org_types, keep=1) is not None):
            return tail
    return ""


def guess_label(name: str, rules: NameRules | None = None) -> str | None:
    """The node label a name's ending suggests (大学 -> University, 有限公司 -> Enterprise).

    Returns None when the ending says nothing (a bare trade name, 中心, a person).

    >>> guess_label("泰安市产业技术创新研究院"), guess_label("泰安XX医疗器械有限公司")
    ('Institute', 'Enterprise')
    """
    rules = rules or default_rules()
    parts = parse_name(name, rules)
    if parts.org_label:
        return parts.org_label
    if parts.legal_form or parts.group:
        return "Enterprise"
    return None


# comparison ---------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """Whether two names denote one entity.

    Attributes:
        verdict: "same" (merge), "possible" (review), "different" (keep apart).
        score: 0..1; "same" scores are >= 0.88, "possible" ones in [0.5, 0.88).
        rule: Why: normalised, term_variant, suffix_variant, region_variant,
            bracket_alias, region_dropped, region_broader, group_variant,
            qualifier_dropped, type_dropped, type_variant (职业学院 vs 职业技术学院),
            legal_form_dropped, no_distinctive_part, abbreviation, fuzzy;
            for "different": org_type, legal_form, kind, branch, qualifier, region,
            low_similarity.
        detail: A short human-readable explanation.
    """

    verdict: Verdict
    score: float
    rule: str
    detail: str = ""


def region_relation(a: Sequence[str], b: Sequence[str], rules: NameRules | None = None) -> str:
    """How two names' regions relate.

    Returns:
        "same" (identical), "redundant" (one adds enclosing regions: 山东泰安 vs 泰安),
        "dropped" (only one names a region), "broader" (山东 vs 泰安: one is inside the
        other but they name different levels), or "conflict" (泰安 vs 济南).
    """
    rules = rules or default_rules()
    if not a and not b:
        return "same"
    if not a or not b:
        return "dropped"
    sa = max(reversed(a), key=rules.level)
    sb = max(reversed(b), key=rules.level)
    if sa == sb:
        chain = rules.ancestors(sa) | {sa}
        if all(r in chain for r in (*a, *b)):
            return "same" if set(a) == set(b) else "redundant"
        return "conflict"
    if rules.level(sa) == LEVELS["country"] or rules.level(sb) == LEVELS["country"]:
        return "national"  # 中国XX is a national body, not a spelling of 泰安XX
    if sa in rules.ancestors(sb) or sb in rules.ancestors(sa):
        return "broader"
    return "conflict"


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def abbreviation_score(short: str, long: NameParts) -> float | None:
    """Score ``short`` (a comparison key) as an abbreviation of the name ``long``.

    Chinese short names keep characters of the full name in order (山农大 from
    山东农业大学, 泰开电器 from 山东泰开电器集团有限公司) and start like the full name
    or like its body. That is evidence for review, never for a merge: 山农大 fits
    山西农业大学 just as well.

    Returns:
        A score in [0.5, 0.8], or None if ``short`` cannot abbreviate ``long``.
    """
    if not 2 <= len(short) <= 6 or len(short) >= len(long.outer):
        return None
    if short[0] != long.outer[0] and not (long.body and short[0] == long.body[0]):
        return None
    if not _is_subsequence(short, long.outer):
        return None
    score = 0.55 + 0.2 * len(short) / len(long.outer)
    if short in long.outer:
        score += 0.05  # a contiguous cut (泰开电器) is the commonest short name
    if long.org_type and short[-1] in long.org_type:
        score += 0.05  # 山农大 ends like 大学
    return round(min(score, 0.8), 4)


def _same_body_verdict(pa: NameParts, pb: NameParts, rel: str) -> Comparison:
    # What may differ around an identical body, from most to least telling.
    if pa.legal_form and pb.legal_form and pa.legal_form != pb.legal_form:
        score, rule = 0.9, "suffix_variant"  # 股份有限公司 vs 有限公司: one 字号, one firm
    elif pa.legal_form != pb.legal_form:
        score, rule = 0.88, "suffix_variant"  # cited without its legal form
    elif pa.legal_text != pb.legal_text:
        score, rule = 0.95, "suffix_variant"  # 有限责任公司 vs 有限公司
    elif rel == "redundant":
        score, rule = 0.92, "region_variant"  # 山东泰安XX vs 泰安XX
    elif pa.region_text != pb.region_text:
        score, rule = 0.95, "region_variant"  # 泰安市XX vs 泰安XX vs XX(泰安)
    elif pa.embedded != pb.embedded:
        score, rule = 0.93, "bracket_alias"  # XX研究院(YY分院) vs XX研究院
    else:
        score, rule = 0.95, "term_variant"  # 科技局 vs 科学技术局, (集团) vs 集团
    doubts: list[tuple[str, float]] = []
    if rel == "dropped":
        doubts.append(("region_dropped", 0.8))
    elif rel == "broader":
        doubts.append(("region_broader", 0.65))  # 山东XX vs 泰安XX: often two bodies
    if pa.group != pb.group:
        doubts.append(("group_variant", 0.8))  # XX集团 is often the parent of XX有限公司
    if bool(pa.qualifiers) != bool(pb.qualifiers):
        doubts.append(("qualifier_dropped", 0.75))
    if bool(pa.org_type) != bool(pb.org_type):
        doubts.append(("type_dropped", 0.7))
    if bool(pa.legal_form) != bool(pb.legal_form) and not (
            len(pa.body) >= 4 or (len(pa.body) >= 2 and (
                pa.regions or pb.regions or (pa.group and pb.group)))):
        # Without its legal form a short bare trade name is not evidence of one firm;
        # with a region or as XX集团 (the usual short form of a group) it is.
        doubts.append(("legal_form_dropped", 0.75))
    if not pa.distinctive:
        doubts.append(("no_distinctive_part", 0.6))
    if doubts:
        doubts.sort(key=lambda d: d[1])
        worst, s = doubts[0]
        s *= 0.95 ** (len(doubts) - 1)
        return Comparison("possible", round(s, 4), worst, ", ".join(d for d, _ in doubts))
    return Comparison("same", score, rule, "identical body")


def compare_parts(pa: NameParts, pb: NameParts, rules: NameRules | None = None) -> Comparison:
    """Compare two parsed names (see :func:`compare_names`)."""
    rules = rules or default_rules()
    if pa.key == pb.key:
        return Comparison("same", 1.0 if pa.norm == pb.norm else 0.97,
                          "normalised" if pa.norm == pb.norm else "term_variant")
    best = _compare_core(pa, pb, rules)
    if best.verdict != "same" and (pa.embedded or pb.embedded):
        # XX(YY研究院): the bracketed name is another name of the same entity.
        alts_a = [pa, *(parse_name(e, rules) for e in pa.embedded)]
        alts_b = [pb, *(parse_name(e, rules) for e in pb.embedded)]
        for x in alts_a:
            for y in alts_b:
                if x is pa and y is pb:
                    continue
                c = _compare_core(x, y, rules) if x.key != y.key else Comparison(
                    "same", 1.0, "normalised")
                if c.verdict == "same":
                    return Comparison("same", round(min(c.score, 0.93), 4), "bracket_alias",
                                      f"via bracketed name ({c.rule})")
    return best


def _shortened_type(pa: NameParts, pb: NameParts, rules: NameRules) -> bool:
    """True if one org type is the other with characters left out, in one family
    (职业学院 / 职业技术学院, 学院 / 职业学院): a plausible shortening, unlike 大学 / 学院."""
    ta, tb = rules.org_types.get(pa.org_type), rules.org_types.get(pb.org_type)
    if ta is None or tb is None or ta.family != tb.family:
        return False
    short, long = sorted((pa.org_type, pb.org_type), key=len)
    return len(short) < len(long) and _is_subsequence(short, long)


def _similarity(pa: NameParts, pb: NameParts) -> float:
    """Edit similarity of two names, the body weighing more than the whole."""
    s_body = fuzz.ratio(pa.body, pb.body) / 100
    s_key = fuzz.ratio(pa.outer, pb.outer) / 100
    short, long = sorted((pa.body, pb.body), key=len)
    if len(short) >= 4 and short in long:
        # A whole distinctive body inside another (五岳专用汽车 in 重汽集团泰安五岳专用汽车):
        # a subsidiary or a fuller name, worth a look whatever leads the longer one.
        return 0.55 * max(s_body, 0.85) + 0.45 * s_key
    score = 0.55 * s_body + 0.45 * s_key
    if pa.body and pb.body and not set(pa.body[:2]) & set(pb.body[:2]):
        score *= 0.7  # the trade name leads the body: different leads, different firms
    return score


def _compare_core(pa: NameParts, pb: NameParts, rules: NameRules) -> Comparison:
    if pa.key == pb.key:
        return Comparison("same", 1.0, "normalised")
    type_variant = False
    if pa.org_type and pb.org_type and pa.org_type != pb.org_type:
        if not _shortened_type(pa, pb, rules):
            return Comparison("different", 0.0, "org_type", f"{pa.org_type} vs {pb.org_type}")
        type_variant = True
    if pa.legal_family and pb.legal_family and pa.legal_family != pb.legal_family:
        return Comparison("different", 0.0, "legal_form",
                          f"{pa.legal_form} vs {pb.legal_form}")
    a_firm = bool(pa.legal_family) and not pa.org_type
    b_firm = bool(pb.legal_family) and not pb.org_type
    if (a_firm and pb.org_type and not pb.legal_family) or (
            b_firm and pa.org_type and not pa.legal_family):
        return Comparison("different", 0.0, "kind", "a company vs an institution")
    if pa.branch != pb.branch:
        return Comparison("different", 0.0, "branch",
                          f"branch {pa.branch or '-'} vs {pb.branch or '-'}")
    if pa.qualifiers and pb.qualifiers and set(pa.qualifiers) != set(pb.qualifiers):
        return Comparison("different", 0.0, "qualifier",
                          f"({'/'.join(pa.qualifiers)}) vs ({'/'.join(pb.qualifiers)})")
    rel = region_relation(pa.regions, pb.regions, rules)
    if rel == "conflict":
        return Comparison("different", 0.0, "region",
                          f"{'/'.join(pa.regions)} vs {'/'.join(pb.regions)}")
    if type_variant:
        # Never a match: at most a candidate, scored below every other possible rule.
        base = 1.0 if pa.body == pb.body else _similarity(pa, pb)
        score = round(0.7 * base, 4)
        if score < POSSIBLE_MIN:
            return Comparison("different", score, "org_type", f"{pa.org_type} vs {pb.org_type}")
        return Comparison("possible", score, "type_variant", f"{pa.org_type} vs {pb.org_type}")
    if pa.body == pb.body:
        if rel == "national" or (not pa.body and rel in ("dropped", "broader")):
            # 山东省科学院 vs 中国科学院: with no body the region is the whole identity.
            return Comparison("different", 0.0, "region",
                              f"{'/'.join(pa.regions) or '-'} vs {'/'.join(pb.regions) or '-'}")
        return _same_body_verdict(pa, pb, rel)
    short, long = (pa, pb) if len(pa.outer) <= len(pb.outer) else (pb, pa)
    if not short.org_type and not short.legal_form:
        abbr = abbreviation_score(short.outer, long)
        if abbr is not None:
            return Comparison("possible", abbr, "abbreviation",
                              f"{short.outer} keeps characters of {long.outer} in order")
    score = _similarity(pa, pb)
    for flag, factor in ((rel in ("dropped", "broader", "national"), 0.9),
                         (pa.group != pb.group, 0.95),
                         (bool(pa.qualifiers) != bool(pb.qualifiers), 0.9),
                         (bool(pa.org_type) != bool(pb.org_type), 0.9)):
        if flag:
            score *= factor
    score = round(min(score, 0.85), 4)
    if score < POSSIBLE_MIN:
        return Comparison("different", score, "low_similarity", "bodies differ")
    return Comparison("possible", score, "fuzzy", f"bodies {pa.body} / {pb.body}")


def compare_names(a: str, b: str, rules: NameRules | None = None) -> Comparison:
    """Decide whether two organisation names are variants of one entity, by name alone.

    Identifiers and curated aliases are not consulted here (see
    :meth:`ingest.resolve.Resolver.compare` for that).

    Args:
        a: A name as written.
        b: Another name.
        rules: Word lists (the shipped ones by default).

    Returns:
        A :class:`Comparison`: "same" means merge, "possible" means review.

    >>> compare_names("泰安康复医疗器械有限责任公司", "泰安康复医疗器械有限公司").verdict
    'same'
    >>> compare_names("山东农业大学", "山东农业工程学院").verdict
    'different'
    """
    rules = rules or default_rules()
    return compare_parts(parse_name(a, rules), parse_name(b, rules), rules)


def are_variants(a: str, b: str, rules: NameRules | None = None) -> bool:
    """True if :func:`compare_names` says the two names are one entity."""
    return compare_names(a, b, rules).verdict == "same"
