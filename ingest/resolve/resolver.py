"""The Resolver: which known entity, if any, a name denotes.

Evidence is taken in a fixed order and the first conclusive step wins:

1. official identifiers given with the name (统一社会信用代码, 学校标识码);
2. the store: the normalised name or an alias of a stored node (``find_records``);
3. the curated alias table (aliases, former names, abbreviations);
4. the MoE list of universities;
5. bracketed names (``XX研究院(YY分院)``: the outer or the inner name resolves);
6. name variants: the same body with a different legal form, region prefix or
   generic term (:func:`~ingest.resolve.names.compare_parts` says "same");
7. fuzzy and abbreviation candidates (rapidfuzz over an in-memory name index,
   subsequence test for short names): never "matched" on their own, always
   "ambiguous" with candidates, for a review queue.

Steps 1-6 give "matched" only when they point at exactly one entity; two or more
make the result "ambiguous".
"""

from __future__ import annotations

import logging
import re
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz, process

from graph.store import GraphStore
from ingest.resolve.codes import validate_credit_code, validate_moe_code
from ingest.resolve.errors import InvalidCreditCode, UidError
from ingest.resolve.gazetteer import (
    Gazetteer,
    MoeUniversity,
    default_gazetteer,
)
from ingest.resolve.names import (
    Comparison,
    NameParts,
    NameRules,
    abbreviation_score,
    compare_names,
    compare_parts,
    comparison_key,
    default_rules,
    guess_label,
    parse_name,
)
from ingest.resolve.uids import UID_PREFIXES, is_code_uid, make_uid, split_uid, uid_key
from schemas.names import normalize_name
from schemas.ontology import label_name

log = logging.getLogger(__name__)

Status = Literal["matched", "ambiguous", "none"]

RULE_SCORES: dict[str, float] = {
    "credit_code": 1.0, "moe_code": 1.0, "exact": 1.0, "gazetteer_moe": 1.0,
    "normalised": 0.99, "store_alias": 0.97, "name_and_qualifier": 0.97,
    "alias_table": 0.95, "former_name": 0.95, "main_campus": 0.95, "vocational_type": 0.9,
    "location_variant": 0.92, "abbreviation_primary": 0.9, "abbreviation_context": 0.9,
    "abbreviation_best": 0.88, "renamed_pattern": 0.85,
}
"""Scores of the conclusive rules; variant rules take the comparison's score."""
MAIN_CAMPUS = ("校本部", "主校区", "中心校区", "本部")
"""Endings that name an institution's main campus: the institution itself (unlike 校区,
分校, a branch of it)."""
VOCATIONAL_TYPES = (("职业技术学院", "职业学院"), ("职业技术大学", "职业大学"))
"""Forms of one vocational school's type that people use for each other; one of the two
is resolved to the other when only the other names a known institution."""
UPGRADES = (("中医学院", "中医药大学"), ("医学院", "医科大学"), ("药学院", "药科大学"),
            ("农学院", "农业大学"), ("林学院", "林业大学"), ("工学院", "工业大学"),
            ("建筑工程学院", "建筑大学"), ("海运学院", "海事大学"), ("铁道学院", "交通大学"),
            ("学院", "大学"))
"""How colleges were renamed when they became universities (old ending, new ending)."""
ABBREVIATION_MIN = 0.7
"""Least score of a generated abbreviation candidate that may be taken as the answer."""
ABBREVIATION_MARGIN = 0.05
"""How far ahead of every other candidate a generated abbreviation must be to be taken."""
T = TypeVar("T")
PARSE_CACHE = 500_000
"""Most parsed names a resolver remembers."""


class Candidate(BaseModel):
    """An entity a name may denote.

    Attributes:
        uid: The entity's uid (stored, or the one it would get).
        name: Its canonical name.
        label: Its node label.
        score: 0..1, comparable across rules.
        rule: Why it is a candidate (see :class:`Resolution`).
        in_store: Whether a node with this uid is in the store.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    uid: str
    name: str
    label: str
    score: float = Field(ge=0.0, le=1.0)
    rule: str
    in_store: bool = False


class Resolution(BaseModel):
    """What a name resolved to.

    Attributes:
        query: The name as given.
        status: "matched" (one entity, conclusive evidence), "ambiguous" (candidates to
            review, none conclusive), "none" (nothing similar known).
        uid: The matched entity's uid (None unless matched).
        name: The matched entity's canonical name.
        label: The matched entity's label (else the label asked for).
        score: 0..1: the match's score, or the best candidate's.
        rule: exact, normalised, store_alias, alias_table, former_name, gazetteer_moe,
            credit_code, moe_code, name_and_qualifier, bracket_alias, suffix_variant,
            region_variant, term_variant; for candidates also fuzzy, abbreviation,
            region_dropped, region_broader, group_variant, qualifier_dropped,
            type_dropped, type_variant, legal_form_dropped, homonym,
            credit_code_conflict.
        candidates: For "ambiguous", the entities to review, best first. For a match
            by credit code, stored nodes of the same name with a *different* code.
        in_store: Whether the matched uid is a node of the store (a university can be
            matched from the MoE list before it is stored).
        proposed_uid: The uid a new node for this name would get (when the label is
            known and nothing matched); see :func:`~ingest.resolve.make_uid`.
        parent: For a branch or campus (XX大学泰安校区, XX有限公司泰安分公司) the
            entity it belongs to (rule ``branch_of``): a BRANCH_OF edge, not a merge.
        supersedes: Stored nodes keyed by name that the official identifier shows to
            be this entity: the pipeline should merge them into ``uid``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    query: str
    status: Status
    uid: str | None = None
    name: str | None = None
    label: str | None = None
    score: float = Field(default=0.0, ge=0.0, le=1.0)
    rule: str = ""
    candidates: list[Candidate] = Field(default_factory=list)
    in_store: bool = False
    proposed_uid: str | None = None
    parent: Candidate | None = None
    supersedes: list[str] = Field(default_factory=list)

    @property
    def matched(self) -> bool:
        """True if the name resolved to exactly one entity."""
        return self.status == "matched"


@dataclass(frozen=True)
class _Entry:
    """One spelling in the in-memory name index."""

    uid: str | None  # None: an alias-table row, identified when it becomes a candidate
    name: str  # the entity's canonical name
    label: str
    parts: NameParts  # of the indexed spelling
    source: str  # moe, alias_table, store, registered
    home: bool  # located in the resolver's home region


class _NameIndex:
    """Spellings indexed by loose key (variants), first character (abbreviations),
    character bigrams (blocking for fuzzy retrieval) and label."""

    BLOCK = 150
    """Most spellings handed to rapidfuzz for one fuzzy query."""
    SCAN = 5_000
    """Most postings read to build one block (rarest bigrams first)."""

    def __init__(self) -> None:
        self.entries: list[_Entry] = []
        self.outers: list[str] = []  # entries[i].parts.outer, what rapidfuzz compares
        self.by_loose: dict[str, list[int]] = {}
        self.by_first: dict[str, list[int]] = {}
        # postings as int32 arrays: half the memory of lists, and counted by numpy
        self.by_gram: dict[str, array[int]] = {}
        self.by_label_gram: dict[str, dict[str, array[int]]] = {}
        self.unidentified: set[str] = set()
        """Labels of alias-table rows (no uid: identified when they become candidates)."""
        self.bracketed: set[str] = set()
        """Labels of spellings with a bracketed name (a way to be "same" by that name)."""
        self._seen: set[tuple[str | None, str, str]] = set()

    def add(self, entry: _Entry) -> None:
        ident = (entry.uid, entry.name if entry.uid is None else "", entry.parts.key)
        if ident in self._seen or not entry.parts.key:
            return
        self._seen.add(ident)
        i = len(self.entries)
        self.entries.append(entry)
        if entry.uid is None:
            self.unidentified.add(entry.label)
        if entry.parts.embedded:
            self.bracketed.add(entry.label)
        self.outers.append(entry.parts.outer)
        self.by_loose.setdefault(entry.parts.loose_key, []).append(i)
        for ch in {entry.parts.outer[:1], entry.parts.body[:1]} - {""}:
            self.by_first.setdefault(ch, []).append(i)
        by_label = self.by_label_gram.setdefault(entry.label, {})
        for gram in _grams(entry.parts.outer):
            if (posting := self.by_gram.get(gram)) is None:
                posting = self.by_gram[gram] = array("i")
            posting.append(i)
            if (posting := by_label.get(gram)) is None:
                posting = by_label[gram] = array("i")
            posting.append(i)

    def block(self, query: str, label: str | None) -> tuple[list[str], list[int]]:
        """Spellings (of ``label``) sharing the most bigrams with ``query``: the only
        ones rapidfuzz compares, so a lookup costs the same at 1k names and at 1M.

        Postings are read rarest first until :attr:`SCAN` entries were read; a
        spelling that shares only very common bigrams (有限, 公司) with the query
        is not a fuzzy candidate worth reviewing anyway.
        """
        import numpy as np

        index = self.by_gram if label is None else self.by_label_gram.get(label, {})
        postings = sorted((p for g in _grams(query) if (p := index.get(g))), key=len)
        taken: list[array[int]] = []
        read = 0
        for posting in postings:
            if read and read + len(posting) > self.SCAN:
                break
            read += len(posting)
            taken.append(posting)
        if not taken:
            return [], []
        k = len(taken)
        if k == 1:  # one posting: every entry shares one bigram, in order of appearance
            ranked = taken[0][:self.BLOCK].tolist()
        else:
            # most shared bigrams first, ties in order of first appearance (rarest posting
            # first, then entry order): the order Counter(ids).most_common gives, from one
            # sort of entry * k + posting, where an entry's run is its count and the run's
            # first element names its first posting
            pairs = np.concatenate([np.frombuffer(p, dtype=np.int32) for p in taken]
                                   ).astype(np.int64)
            pairs *= k
            pairs += np.repeat(np.arange(k, dtype=np.int64), [len(p) for p in taken])
            pairs.sort()
            entry = pairs // k
            starts = np.flatnonzero(np.concatenate(([True], entry[1:] != entry[:-1])))
            counts = np.diff(np.append(starts, len(pairs)))
            n = len(self.entries)
            key = ((k - counts) * k + pairs[starts] % k) * n + entry[starts]
            if len(key) > self.BLOCK:
                key = key[np.argpartition(key, self.BLOCK - 1)[:self.BLOCK]]
            key.sort()
            ranked = (key % n).tolist()
        outers = self.outers
        return [outers[i] for i in ranked], ranked


def _grams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


@dataclass(frozen=True)
class _Ident:
    uid: str
    name: str
    label: str
    in_store: bool
    supersedes: tuple[str, ...] = ()


class Resolver:
    """Resolve names of actors to stable uids, against a store and the gazetteers.

    Construction does no I/O; the gazetteers, word lists and the in-memory name
    index are loaded on first use or by :meth:`load`, then kept. The part of the index
    that mirrors the store is rebuilt by :meth:`refresh`; nodes written since can also
    be announced one by one with :meth:`register`. Exact, alias and variant lookups
    always ask the store itself, so only fuzzy candidates depend on the index being
    fresh.

    Args:
        store: An opened GraphStore, or None to resolve from the gazetteers alone.
        gazetteer: MoE list and alias table (the shipped ones by default).
        rules: Word lists for name analysis (the shipped ones by default).
        home_regions: Regions whose entities rank first among equal candidates.
        fuzzy_cutoff: Minimum rapidfuzz WRatio (0-100) for a fuzzy retrieval.
        min_candidate_score: Candidates scoring below this are dropped.
        max_candidates: At most this many candidates per resolution.
        person_labels: Labels whose names are not identities (homonyms): name hits are
            candidates only, and the uid includes a qualifier (the employer).

    Example:
        >>> r = Resolver()
        >>> res = r.resolve("泰山医学院")
        >>> res.status, res.uid, res.name, res.rule
        ('matched', 'uni:4137010439', '山东第一医科大学', 'former_name')
    """

    def __init__(self, store: GraphStore | None = None, *, gazetteer: Gazetteer | None = None,
                 rules: NameRules | None = None,
                 home_regions: Sequence[str] = ("山东省", "泰安市"),
                 fuzzy_cutoff: float = 60.0, min_candidate_score: float = 0.5,
                 max_candidates: int = 5,
                 person_labels: Iterable[str] = ("Talent",)) -> None:
        self.store = store
        self._gazetteer = gazetteer
        self._rules = rules
        self.home_regions = frozenset(home_regions)
        self.fuzzy_cutoff = fuzzy_cutoff
        self.min_candidate_score = min_candidate_score
        self.max_candidates = max_candidates
        self.person_labels = frozenset(person_labels)
        self._base: _NameIndex | None = None
        self._live: _NameIndex | None = None
        self._registered: list[tuple[str, str, str, tuple[str, ...]]] = []
        self._parsed: dict[tuple[str, bool], NameParts] = {}

    # loading ----------------------------------------------------------------
    @property
    def gazetteer(self) -> Gazetteer:
        """The gazetteer in use (loaded on first access)."""
        if self._gazetteer is None:
            self._gazetteer = default_gazetteer()
        return self._gazetteer

    @property
    def rules(self) -> NameRules:
        """The name-analysis word lists in use (loaded on first access)."""
        if self._rules is None:
            self._rules = default_rules()
        return self._rules

    def load(self) -> Resolver:
        """Load the gazetteers and build the name index now rather than on first use.

        Returns:
            The resolver itself, for chaining.

        Raises:
            GazetteerError: If a data file is malformed.
        """
        self._base_index()
        self._live_index()
        return self

    def refresh(self) -> int:
        """Rebuild the index of store names (after writes by others); keep registrations.

        Returns:
            The number of spellings (names and aliases) indexed from the store and
            registrations.
        """
        self._live = None
        return len(self._live_index().entries)

    def register(self, *, uid: str, name: str, label: str, aliases: Sequence[str] = ()) -> None:
        """Add a node to the name index without a store round trip.

        The pipeline calls this for nodes it has just created, so that later rows of
        the same run find them as variant and fuzzy candidates.
        """
        if label not in UID_PREFIXES:
            raise UidError(f"不认识的类别 {label!r}")
        item = (uid, name, label, tuple(aliases))
        self._registered.append(item)
        if self._live is not None:
            self._index_node(self._live, *item, source="registered")

    def _base_index(self) -> _NameIndex:
        if self._base is None:
            idx = _NameIndex()
            for u in self.gazetteer.universities:
                idx.add(_Entry(u.uid, u.name, "University", self._parse(u.name),
                               "moe", self._home_university(u)))
            for a in self.gazetteer.aliases:
                if a.rule == "branch_of":
                    continue  # a campus is not a spelling of its parent
                # Both spellings: the canonical name is a known entity too, even before
                # the store holds it (泰安市产业技术创新研究院).
                for spelling in (a.alias, a.canonical):
                    parts = self._parse(spelling)
                    idx.add(_Entry(None, a.canonical, a.label, parts, "alias_table",
                                   self._is_home(parts)))
            self._base = idx
        return self._base

    def _live_index(self) -> _NameIndex:
        if self._live is None:
            idx = _NameIndex()
            if self.store is not None:
                labels = [lb for lb in UID_PREFIXES if lb not in self.person_labels]
                for batch in self.store.scan_nodes(labels=labels):
                    for rec in batch:
                        self._index_node(idx, rec["uid"], rec["name"], rec["label"],
                                         tuple(rec.get("aliases") or ()), source="store")
            for item in self._registered:
                self._index_node(idx, *item, source="registered")
            self._live = idx
        return self._live

    def _index_node(self, idx: _NameIndex, uid: str, name: str, label: str,
                    aliases: tuple[str, ...], *, source: str) -> None:
        if label in self.person_labels:
            return
        for text in (name, *aliases):
            parts = self._parse(text)
            idx.add(_Entry(uid, name, label, parts, source, self._is_home(parts)))

    def _parse(self, text: str, *, expand: bool = True) -> NameParts:
        """``parse_name`` with the resolver's rules, remembered (names recur in a run)."""
        key = (text, expand)
        got = self._parsed.get(key)
        if got is None:
            if len(self._parsed) >= PARSE_CACHE:
                self._parsed.clear()
            # the parts follow from the normalised name and the key alone: where expanding
            # the generic terms leaves the key as it was (most names), the other reading's
            # parts are these
            other = self._parsed.get((text, not expand))
            if other is None or other.key != comparison_key(text, self.rules, expand=expand):
                other = parse_name(text, self.rules, expand=expand)
            got = self._parsed[key] = other
        return got

    def _is_home(self, parts: NameParts) -> bool:
        return bool(set(parts.regions) & self.home_regions)

    # public API ---------------------------------------------------------------
    def resolve(self, name: str, *, label: str | None = None, credit_code: str | None = None,
                moe_code: str | None = None, qualifier: str | None = None,
                stored_only: bool = False) -> Resolution:
        """Resolve one name.

        Args:
            name: The name as written in the source.
            label: The node label the source implies (None: any).
            credit_code: 统一社会信用代码 given with the name: it decides an
                Enterprise's identity (stored nodes of the same name with another code
                are reported as ``credit_code_conflict`` candidates).
            moe_code: 学校标识码 given with the name: it decides a University's identity.
            qualifier: For persons, the employer (resolved too, so 山农大 and
                山东农业大学 agree); otherwise only used in ``proposed_uid``.
            stored_only: The caller uses no candidate that is not stored (an ingest asks
                for review only against a stored node: a merge needs two). With a
                ``label`` other than University, when no neighbour found is stored,
                those that cannot be the same entity are not compared and not listed:
                the match, if any, is the one found without it; fewer candidates may be
                listed, none of them stored either way.

        Returns:
            A :class:`Resolution`.

        Raises:
            InvalidCreditCode: A credit code that breaks GB 32100-2015.
            InvalidMoeCode: A 学校标识码 that is not ten digits.
            UidError: An unknown label, or a 学校标识码 with a label other than University
                (a ResolveError and a ValueError, like the invalid-code errors).
            GraphError: From the store.
        """
        if label is not None and label not in UID_PREFIXES:
            raise UidError(f"不认识的类别 {label!r};可用:{'、'.join(UID_PREFIXES)}")
        text = name.strip()
        if not uid_key(text):
            return Resolution(query=name, status="none", label=label, rule="empty")
        if credit_code:
            code = validate_credit_code(credit_code)
            if label in (None, "Enterprise"):
                return self._by_credit_code(name, text, code)
        if moe_code:
            mcode = validate_moe_code(moe_code)
            if label in (None, "University"):
                return self._by_moe_code(name, text, mcode)
            raise UidError(f"学校标识码只能标识高校,不能标识{label_name(label)}")
        if label in self.person_labels:
            return self._resolve_person(name, text, label, qualifier)
        res = self._resolve_org(text, label, qualifier, loose=True,
                                stored_only=stored_only and label not in (None, "University"))
        return res.model_copy(update={"query": name})

    def resolve_many(self, names: Iterable[str], *, label: str | None = None) -> list[Resolution]:
        """Resolve many names; equal names are resolved once, the index is built once.

        Returns:
            One Resolution per name, in the order given.
        """
        self.load()
        done: dict[str, Resolution] = {}
        out = []
        for n in names:
            if n not in done:
                done[n] = self.resolve(n, label=label)
            out.append(done[n])
        return out

    def compare(self, a: str, b: str, *, label: str | None = None) -> Comparison:
        """Decide whether two names denote one entity, using everything the resolver knows.

        Both names are resolved with conclusive evidence only (store, alias table, MoE
        list, variants); if both resolve, equal uids mean "same" and different uids
        "different". Otherwise the names alone decide (:func:`compare_names`). So
        山农大 / 山东农业大学 is "same" (alias table), 山农大 / 山西农业大学 is
        "different" (two universities), and two unknown names are judged by their parts.

        Returns:
            A Comparison; the pipeline merges on "same" and queues "possible" for review.
        """
        ra = self._resolve_org(a.strip(), label, None, loose=False)
        rb = self._resolve_org(b.strip(), label, None, loose=False)
        if ra.matched and rb.matched:
            if ra.uid == rb.uid:
                return Comparison("same", round(min(ra.score, rb.score), 4),
                                  ra.rule if ra.score <= rb.score else rb.rule,
                                  f"both resolve to {ra.uid}")
            return Comparison("different", 0.0, "resolved_apart",
                              f"{ra.uid} vs {rb.uid}")
        if ra.matched or rb.matched:
            hit, other = (ra, b) if ra.matched else (rb, a)
            if hit.name is not None:
                c = compare_names(hit.name, other, self.rules)
                if c.verdict == "same":
                    return c
        return compare_names(a, b, self.rules)

    # identifiers -------------------------------------------------------------
    def _by_credit_code(self, query: str, text: str, code: str) -> Resolution:
        uid = f"ent:{code}"
        rec = self._record(uid)
        conflicts: list[Candidate] = []
        supersedes: list[str] = []
        # both come from another stored Enterprise reached by the name: none when the store
        # holds no other (a first load of the registry: no name to resolve for each row)
        if self.store is not None and self.store.count_nodes("Enterprise") > (rec is not None):
            by_name = self._resolve_org(text, "Enterprise", None, loose=False)
            uids = [by_name.uid] if by_name.matched and by_name.uid else [
                c.uid for c in by_name.candidates if c.in_store]
            for other_uid in uids:
                if other_uid == uid:
                    continue
                other = self._record(other_uid)
                if other is None:
                    continue
                other_code = _record_code(other)
                if other_code and other_code != code:
                    conflicts.append(Candidate(uid=other_uid, name=other["name"],
                                               label="Enterprise", score=0.5,
                                               rule="credit_code_conflict", in_store=True))
                else:
                    supersedes.append(other_uid)
        return Resolution(query=query, status="matched", uid=uid,
                          name=rec["name"] if rec else text, label="Enterprise", score=1.0,
                          rule="credit_code", candidates=conflicts, in_store=rec is not None,
                          parent=self._parent(text, "Enterprise"), supersedes=supersedes)

    def _by_moe_code(self, query: str, text: str, code: str) -> Resolution:
        uid = f"uni:{code}"
        rec = self._record(uid)
        known = self.gazetteer.university_by_code(code)
        supersedes: list[str] = []
        if self.store is not None:
            for r in self.store.find_records(name=text, label="University", limit=50):
                if r["uid"] != uid and not is_code_uid(r["uid"], "University"):
                    supersedes.append(r["uid"])
        name = rec["name"] if rec else known.name if known else text
        return Resolution(query=query, status="matched", uid=uid, name=name, label="University",
                          score=1.0, rule="moe_code", in_store=rec is not None,
                          supersedes=supersedes)

    # persons -------------------------------------------------------------------
    def _resolve_person(self, query: str, text: str, label: str,
                        qualifier: str | None) -> Resolution:
        employer: str | None = None
        if qualifier and qualifier.strip():
            emp = self._resolve_org(qualifier.strip(), None, None, loose=False)
            employer = emp.name if emp.matched and emp.name else qualifier.strip()
        uid = make_uid(label, text, qualifier=employer, gazetteer=self.gazetteer)
        rec = self._record(uid)
        if rec is not None:
            return Resolution(query=query, status="matched", uid=uid, name=rec["name"],
                              label=label, score=RULE_SCORES["name_and_qualifier"],
                              rule="name_and_qualifier", in_store=True)
        homonyms: dict[str, tuple[str, bool]] = {}
        if self.store is not None:
            for r in self.store.find_records(name=text, label=label, limit=50):
                homonyms[r["uid"]] = (r["name"], True)
        key = uid_key(text)
        for ruid, rname, rlabel, _aliases in self._registered:
            if rlabel == label and uid_key(rname) == key and ruid not in homonyms:
                homonyms[ruid] = (rname, self._record(ruid) is not None)
        same: list[Candidate] = []
        cands: list[Candidate] = []
        for huid, (hname, stored) in homonyms.items():
            _, _, their_employer = split_uid(huid)
            if employer and their_employer and compare_names(
                    employer, their_employer, self.rules).verdict == "same":
                # The same person, with the employer spelled another way.
                same.append(Candidate(uid=huid, name=hname, label=label, score=0.9,
                                      rule="name_and_qualifier", in_store=stored))
            else:
                cands.append(Candidate(uid=huid, name=hname, label=label, score=0.5,
                                       rule="homonym", in_store=stored))
        if len(same) == 1:
            c = same[0]
            return Resolution(query=query, status="matched", uid=c.uid, name=c.name,
                              label=label, score=c.score, rule=c.rule, in_store=c.in_store)
        cands = sorted(same + cands, key=lambda c: (-c.score, c.name, c.uid))
        return self._unresolved(query, label, cands, proposed=uid)

    # organisations and everything else ------------------------------------------
    def _resolve_org(self, text: str, label: str | None, qualifier: str | None, *,
                     loose: bool, by_rule: bool = True, stored_only: bool = False
                     ) -> Resolution:
        parts = self._parse(text)
        raw = self._parse(text, expand=False)
        parent = self._parent(text, label, raw) if loose else None

        # 2. the store: name or alias
        hits = self._store_hits(text, label)
        if hits:
            return self._conclude(text, hits, parent)

        # 3. the alias table
        rows = [a for a in self.gazetteer.aliases_for(text, label=label) if a.rule != "branch_of"]
        if rows:
            found: list[tuple[_Ident, str, float]] = []
            for a in rows:
                rule = "former_name" if a.rule == "former_name" else "alias_table"
                found.append((self._identify(a.canonical, a.label), rule, RULE_SCORES[rule]))
            return self._conclude(text, found, parent)

        # 3b. a university's short name: the reading the context points at
        if label in (None, "University"):
            chosen = self._abbreviation(text)
            if isinstance(chosen, Resolution):
                return chosen
            if chosen is not None:
                return self._conclude(text, [chosen], parent)

        # 4. the MoE list
        if label in (None, "University"):
            uni = self.gazetteer.university_by_name(text)
            if uni is not None:
                return self._conclude(text, [(self._moe_ident(uni), "gazetteer_moe", 1.0)],
                                      parent)

        # 5. bracketed names: XX研究院(YY分院), XX公司(原YY公司)
        if raw.embedded:
            inner: list[tuple[_Ident, str, float]] = []
            for alt in (raw.outer, *raw.embedded):
                r = self._resolve_org(alt, label, None, loose=False)
                if r.matched and r.uid and r.name and r.label:
                    inner.append((_Ident(r.uid, r.name, r.label, r.in_store,
                                         tuple(r.supersedes)), "bracket_alias",
                                  min(r.score, 0.93)))
            if inner:
                return self._conclude(text, inner, parent)

        if label in self.person_labels:
            return self._unresolved(text, label, [], parent=parent,
                                    proposed=self._proposed(text, label, qualifier))

        # 5b. by rule: a main campus is the institution; a vocational school's type
        # written in its other form (职业学院 / 职业技术学院) names it when only that form
        # is known
        for alt, rule in self._rule_variants(raw.key, label) if by_rule else ():
            r = self._resolve_org(alt, label, None, loose=False, by_rule=False)
            if r.matched and r.uid and r.name and r.label:
                return self._conclude(text, [(_Ident(r.uid, r.name, r.label, r.in_store,
                                                     tuple(r.supersedes)), rule,
                                              min(r.score, RULE_SCORES[rule]))], parent)

        # 6. variants, 7. candidates
        scored = self._variant_candidates(parts, raw, label)
        if loose:
            # only stored candidates matter (see resolve): while none is, the neighbours
            # that cannot be the same entity need no comparison
            lazy = stored_only and not self._any_stored(
                e for e, c in scored if c.verdict != "different")
            for entry, comp in self._fuzzy_candidates(parts, label, lazy=lazy):
                scored.append((entry, comp))
        same = [(e, c) for e, c in scored if c.verdict == "same"]
        if same:
            idents = [(self._entry_ident(e), c.rule, c.score) for e, c in same]
            return self._conclude(text, idents, parent)
        if not loose:
            return self._unresolved(text, label, [], parent=parent,
                                    proposed=self._proposed(text, label, qualifier))
        # per uid: (score, name, label, rule, entry or identity). An entry of the index
        # knows its uid, name and label; whether it is stored (a look-up) is asked only
        # of the candidates kept: a new name of a province's table has a dozen
        # "possible" neighbours, of which five are reported
        best: dict[str, tuple[float, str, str, str, _Entry | _Ident]] = {}
        for entry, comp in scored:
            if comp.verdict == "different":
                continue
            score = min(comp.score + (0.02 if entry.home else 0.0), 0.89)
            if score < self.min_candidate_score:
                continue
            who: _Entry | _Ident = entry
            uid, name, cand_label = entry.uid, entry.name, entry.label
            if uid is None:  # an alias-table row: identified now
                who = self._entry_ident(entry)
                uid, name, cand_label = who.uid, who.name, who.label
            prev = best.get(uid)
            if prev is None or score > prev[0]:
                best[uid] = (round(score, 4), name, cand_label, comp.rule, who)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[1][1], kv[0]))
        if not (ranked and ranked[0][1][3] == "abbreviation"
                and ranked[0][1][2] == "University"):
            ranked = ranked[: self.max_candidates]  # _clear_abbreviation needs no others
        cands = [self._candidate(uid, *item) for uid, item in ranked]
        clear = self._clear_abbreviation(parts, cands)
        if clear is not None:
            ident = self._identify(clear.name, clear.label)
            rule = clear.rule
            return self._conclude(text, [(ident, rule, RULE_SCORES[rule])], parent)
        return self._unresolved(text, label, cands[: self.max_candidates], parent=parent,
                                proposed=self._proposed(text, label, qualifier))

    def _candidate(self, uid: str, score: float, name: str, label: str, rule: str,
                   who: _Entry | _Ident) -> Candidate:
        ident = who if isinstance(who, _Ident) else self._entry_ident(who)
        return Candidate(uid=uid, name=name, label=label, score=score, rule=rule,
                         in_store=ident.in_store)

    def _clear_abbreviation(self, parts: NameParts, cands: Sequence[Candidate]
                            ) -> Candidate | None:
        """The one university a short name that no list holds (上海财大, 华中科大) clearly
        abbreviates: the best abbreviation candidate, when no other comes within
        :data:`ABBREVIATION_MARGIN` of it, else the only one of those close ones in the
        graph or in the home regions. Two-character short names are too ambiguous to
        pick (山大, 南大): only the abbreviation table resolves them."""
        if (len(parts.outer) < 3 or not cands or cands[0].rule != "abbreviation"
                or cands[0].label != "University"
                or cands[0].score < ABBREVIATION_MIN):
            return None
        close = [c for c in cands if c.rule == "abbreviation" and c.label == "University"
                 and c.score > cands[0].score - ABBREVIATION_MARGIN]
        if len(close) == 1:
            return close[0].model_copy(update={"rule": "abbreviation_best"})
        got = _narrow(close, [("abbreviation_context", lambda c: c.in_store),
                              ("abbreviation_context", lambda c: self._in_home(c.name))])
        return got[0].model_copy(update={"rule": got[1]}) if isinstance(got, tuple) else None

    def _abbreviation(self, text: str) -> tuple[_Ident, str, float] | Resolution | None:
        """The university a short name (深大, 山大) denotes, by context.

        Readings are narrowed in order: the ones already in the graph, then the ones in
        the home regions, then the national default (``primary``). One left: it; several
        left at every step: the candidates, for review. None when ``text`` is no known
        short name.
        """
        readings = self.gazetteer.abbreviations_for(text)
        if not readings:
            return None
        pool = [(b, self._identify(b.canonical, "University")) for b in readings]
        if len(pool) == 1:
            return pool[0][1], "abbreviation_primary", RULE_SCORES["abbreviation_primary"]
        got = _narrow(pool, [("abbreviation_context", lambda p: p[1].in_store),
                             ("abbreviation_context", lambda p: self._in_home(p[0].canonical)),
                             ("abbreviation_primary", lambda p: p[0].primary)])
        if isinstance(got, tuple):
            (_, ident), rule = got
            return ident, rule, RULE_SCORES[rule]
        cands = sorted((Candidate(uid=i.uid, name=i.name, label=i.label,
                                  score=RULE_SCORES["abbreviation_primary"] - 0.05,
                                  rule="abbreviation", in_store=i.in_store)
                        for _, i in got), key=lambda c: (c.name, c.uid))
        return self._unresolved(text, "University", cands)

    def _in_home(self, university: str) -> bool:
        uni = self.gazetteer.university_by_name(university)
        return uni is not None and self._home_university(uni)

    def _home_university(self, uni: MoeUniversity) -> bool:
        return bool({uni.province, uni.city} & self.home_regions)

    def _rule_variants(self, key: str, label: str | None) -> list[tuple[str, str]]:
        """Other spellings of ``key`` (a comparison key) that rules say name the same body."""
        out: list[tuple[str, str]] = []
        for marker in MAIN_CAMPUS:
            if key.endswith(marker) and len(key) > len(marker) + 2:
                out.append((key[: -len(marker)], "main_campus"))
                break
        if label in (None, "University"):
            for base in [key, *(alt for alt, _ in out)]:
                out += [(alt, "location_variant") for alt in self._location_variants(base)]
        if label in (None, "University"):
            for a, b in VOCATIONAL_TYPES:
                for this, other in ((a, b), (b, a)):
                    if key.endswith(this) and len(key) > len(this):
                        out.append((key[: -len(this)] + other, "vocational_type"))
                        break
                else:
                    continue
                break
            out += [(alt, "renamed_pattern") for alt in self._upgraded(key)]
        return out

    def _upgraded(self, key: str) -> list[str]:
        """The university a former college name was upgraded into (江西中医学院 →
        江西中医药大学, 华中师范学院 → 华中师范大学): the new name by the usual patterns
        of :data:`UPGRADES`, when exactly one of them is in the MoE list. Known renamings
        that break the pattern (南京工学院 → 东南大学) are in the alias table, which is
        read first."""
        if "大学" in key:
            return []
        found = {self.gazetteer.university_by_name(key[: -len(old)] + new)
                 for old, new in UPGRADES if key.endswith(old) and len(key) > len(old) + 1}
        names = [u.name for u in found if u is not None]
        return names if len(names) == 1 else []

    def _location_variants(self, key: str) -> list[str]:
        """A university's name with its own province or city added (山东泰山学院,
        泰安市泰山学院, 山东农业大学(泰安), 山东农业大学泰安): the MoE name, when the
        place added is where the MoE list puts that university."""
        rules, gaz = self.rules, self.gazetteer
        out: list[str] = []

        def fits(rest: str, official: str) -> bool:
            uni = gaz.university_by_name(rest)
            return uni is not None and official in (uni.province, uni.city)

        hit = rules.region_prefix(key)
        if hit is not None:
            rest = key[len(hit[0]):]
            if fits(rest, hit[1]):
                out.append(rest)
            else:
                # province and city both written: 山东省济南市山东大学
                inner = rules.region_prefix(rest)
                if (inner is not None and fits(rest[len(inner[0]):], inner[1])
                        and fits(rest[len(inner[0]):], hit[1])):
                    out.append(rest[len(inner[0]):])
        m = re.fullmatch(r"(.+)\((.+)\)", key)
        if m and m.group(2) in rules.region_forms and fits(m.group(1),
                                                           rules.region_forms[m.group(2)]):
            out.append(m.group(1))
        for form, official in rules.region_forms.items():
            if len(form) >= 2 and key.endswith(form) and fits(key[: -len(form)], official):
                out.append(key[: -len(form)])
                break
        return out

    def _store_hits(self, text: str, label: str | None) -> list[tuple[_Ident, str, float]]:
        if self.store is None:
            return []
        norm = normalize_name(text)
        out = []
        for rec in self.store.find_records(name=text, label=label, limit=50):
            if rec["label"] in self.person_labels:
                continue
            if rec["name"] == text:
                rule = "exact"
            elif rec.get("name_norm", normalize_name(rec["name"])) == norm:
                rule = "normalised"
            else:
                rule = "store_alias"
            out.append((self._record_ident(rec), rule, RULE_SCORES[rule]))
        return out

    def _variant_candidates(self, parts: NameParts, raw: NameParts,
                            label: str | None) -> list[tuple[_Entry, Comparison]]:
        """Entries sharing the loose key (same body, type, branch), plus store substring
        hits on the body: the only places a 'same' variant can come from."""
        pool: list[_Entry] = []
        for idx in (self._base_index(), self._live_index()):
            pool.extend(idx.entries[i] for i in idx.by_loose.get(parts.loose_key, ()))
        if self.store is not None:
            probe = raw.body if len(raw.body) >= 2 else raw.outer
            labels = [label] if label else None
            for hit in self.store.search(text=probe, labels=labels, limit=50):
                node = hit.node
                if node.label in self.person_labels:
                    continue
                for spelling in {node.name, hit.matched_text}:
                    pool.append(_Entry(node.uid, node.name, node.label,
                                       self._parse(spelling), "store",
                                       False))
        out = []
        for e in pool:
            if label is not None and e.label != label:
                continue
            out.append((e, compare_parts(parts, e.parts, self.rules)))
        return [(e, c) for e, c in out if not _reverse_abbreviation(parts, e, c)]

    def _fuzzy_candidates(self, parts: NameParts, label: str | None, *,
                          lazy: bool = False) -> list[tuple[_Entry, Comparison]]:
        """Neighbours of the name in the index (its bigram block ranked by rapidfuzz, and
        for a short name the names it may abbreviate), compared with it.

        ``lazy`` (only stored candidates matter, and none of the variants was stored):
        when none of the neighbours is stored either, only those that may be the same
        entity are compared and returned. A comparison says "same" only for an equal
        key, an equal body, organisation type and branch (:attr:`NameParts.loose_key`),
        or through a bracketed name; the others could only be candidates, and unstored.
        When nothing of the label is stored, no spelling of it has a bracketed name and
        the query none either, nothing is retrieved: every neighbour would be unstored,
        and one that may be the same entity shares the query's loose key (the parts
        follow from the key), so it is among the variants already.
        """
        if lazy and label is not None and not parts.embedded and self._none_stored(label):
            return []
        query = parts.outer
        abbreviation = (not parts.org_type and not parts.legal_form and not parts.group
                        and 2 <= len(query) <= 6 and bool(parts.body))
        found: list[tuple[_Entry, Comparison | None]] = []
        for idx in (self._base_index(), self._live_index()):
            keys, idxs = idx.block(query, label)
            if keys:
                for _, _score, i in process.extract(query, keys, scorer=fuzz.WRatio,
                                                    limit=25, score_cutoff=self.fuzzy_cutoff):
                    found.append((idx.entries[idxs[i]], None))
            if abbreviation:
                for i in idx.by_first.get(query[0], ()):
                    entry = idx.entries[i]
                    if label is not None and entry.label != label:
                        continue
                    s = abbreviation_score(query, entry.parts)
                    if s is not None:
                        found.append((entry, Comparison("possible", s, "abbreviation")))
        lazy = lazy and not self._any_stored(e for e, _ in found)
        out: list[tuple[_Entry, Comparison]] = []
        for entry, comp in found:
            if comp is None:
                if lazy and not _may_be_same(parts, entry.parts):
                    continue
                comp = compare_parts(parts, entry.parts, self.rules)
                if _reverse_abbreviation(parts, entry, comp):
                    continue
            out.append((entry, comp))
        return out

    def _none_stored(self, label: str) -> bool:
        """Whether no spelling of ``label`` in the index can be a stored node nor the same
        entity as another through a bracketed name (see :meth:`_fuzzy_candidates`)."""
        if self.store is None or self.store.count_nodes(label):
            return False
        return not any(label in idx.unidentified or label in idx.bracketed
                       for idx in (self._base_index(), self._live_index()))

    def _any_stored(self, entries: Iterable[_Entry]) -> bool:
        """Whether one of the index ``entries`` may be a stored node (an alias-table row
        is identified only when it becomes a candidate: it may be)."""
        uids = []
        for e in entries:
            if e.uid is None:
                return True
            uids.append(e.uid)
        return self.store is None or bool(uids and self.store.read_nodes(uids=uids))

    # identities -------------------------------------------------------------------
    def _record(self, uid: str) -> dict[str, Any] | None:
        if self.store is None:
            return None
        recs = self.store.find_records(uids=[uid], limit=1)
        return recs[0] if recs else None

    def _record_ident(self, rec: Mapping[str, Any]) -> _Ident:
        """A stored node's identity, moved to its official-code uid when the node is keyed
        by name but a code is known (its name in the MoE list, its credit_code field)."""
        uid, label = rec["uid"], rec["label"]
        if label == "University" and not is_code_uid(uid, label):
            for n in (rec["name"], *(rec.get("aliases") or ())):
                uni = self.gazetteer.university_by_name(n)
                if uni is not None:
                    stored = self._record(uni.uid)
                    return _Ident(uni.uid, stored["name"] if stored else uni.name, label,
                                  stored is not None, (uid,))
        if label == "Enterprise" and not is_code_uid(uid, label):
            code = _record_code(rec)
            if code:
                stored = self._record(f"ent:{code}")
                return _Ident(f"ent:{code}", stored["name"] if stored else rec["name"], label,
                              stored is not None, (uid,))
        return _Ident(uid, rec["name"], label, True)

    def _moe_ident(self, uni: MoeUniversity) -> _Ident:
        stored = self._record(uni.uid)
        return _Ident(uni.uid, stored["name"] if stored else uni.name, "University",
                      stored is not None)

    def _identify(self, name: str, label: str) -> _Ident:
        """The identity of a canonical name: the stored node, the MoE entry, or a new uid."""
        if self.store is not None:
            recs = [r for r in self.store.find_records(name=name, label=label, limit=2)]
            if len(recs) == 1:
                return self._record_ident(recs[0])
        if label == "University":
            uni = self.gazetteer.university_by_name(name)
            if uni is not None:
                return self._moe_ident(uni)
        uid = make_uid(label, name, gazetteer=self.gazetteer)
        return _Ident(uid, name, label, self._record(uid) is not None)

    def _entry_ident(self, entry: _Entry) -> _Ident:
        if entry.uid is None:
            return self._identify(entry.name, entry.label)
        if entry.source == "moe":
            return _Ident(entry.uid, entry.name, entry.label, self._record(entry.uid) is not None)
        return _Ident(entry.uid, entry.name, entry.label, entry.source == "store"
                      or self._record(entry.uid) is not None)

    def _parent(self, text: str, label: str | None,
                raw: NameParts | None = None) -> Candidate | None:
        """The entity a branch or campus belongs to: from the alias table, else from the
        name's shape (a branch marker after an organisation name)."""
        for a in self.gazetteer.aliases_for(text):
            if a.rule == "branch_of" and (label is None or a.label == label):
                ident = self._identify(a.canonical, a.label)
                return Candidate(uid=ident.uid, name=ident.name, label=ident.label, score=0.95,
                                 rule="branch_of", in_store=ident.in_store)
        raw = raw or self._parse(text, expand=False)
        if not raw.parent:
            return None
        # a bracketed campus qualifier belongs to the parent's name: 中国石油大学(华东)东营校区
        tries = [f"{raw.parent}({q})" for q in raw.qualifiers]
        if raw.branch and raw.norm.endswith(raw.branch):
            tries.append(raw.norm[: -len(raw.branch)])  # 中国石油大学(北京)克拉玛依校区
        for name in dict.fromkeys([*tries, raw.parent]):
            r = self._resolve_org(name, None, None, loose=False)
            if r.matched and r.uid and r.name and r.label:
                return Candidate(uid=r.uid, name=r.name, label=r.label, score=r.score,
                                 rule="branch_of", in_store=r.in_store)
        parent_label = guess_label(raw.parent, self.rules) or label
        if parent_label is None:
            return None
        uid = make_uid(parent_label, raw.parent, gazetteer=self.gazetteer)
        return Candidate(uid=uid, name=raw.parent, label=parent_label, score=0.5,
                         rule="branch_of", in_store=False)

    def _proposed(self, text: str, label: str | None, qualifier: str | None) -> str | None:
        if label is None:
            return None
        return make_uid(label, text, qualifier=qualifier, gazetteer=self.gazetteer)

    # results ------------------------------------------------------------------------
    def _conclude(self, text: str, found: Sequence[tuple[_Ident, str, float]],
                  parent: Candidate | None) -> Resolution:
        """One identity among the evidence: matched; several: ambiguous."""
        best: dict[str, tuple[_Ident, str, float]] = {}
        for ident, rule, score in found:
            prev = best.get(ident.uid)
            if prev is None or score > prev[2]:
                best[ident.uid] = (ident, rule, score)
        if len(best) == 1:
            ident, rule, score = next(iter(best.values()))
            return Resolution(query=text, status="matched", uid=ident.uid, name=ident.name,
                              label=ident.label, score=round(score, 4), rule=rule,
                              in_store=ident.in_store, parent=parent,
                              supersedes=list(ident.supersedes))
        cands = sorted((Candidate(uid=i.uid, name=i.name, label=i.label, score=round(s, 4),
                                  rule=r, in_store=i.in_store) for i, r, s in best.values()),
                       key=lambda c: (-c.score, c.name, c.uid))
        labels = {c.label for c in cands}
        return Resolution(query=text, status="ambiguous", score=cands[0].score,
                          rule=cands[0].rule, label=labels.pop() if len(labels) == 1 else None,
                          candidates=cands[: max(self.max_candidates, 2)], parent=parent)

    @staticmethod
    def _unresolved(text: str, label: str | None, cands: list[Candidate], *,
                    parent: Candidate | None = None,
                    proposed: str | None = None) -> Resolution:
        if cands:
            return Resolution(query=text, status="ambiguous", label=label,
                              score=cands[0].score, rule=cands[0].rule, candidates=cands,
                              parent=parent, proposed_uid=proposed)
        return Resolution(query=text, status="none", label=label, parent=parent,
                          proposed_uid=proposed)


def _narrow(pool: list[T], steps: Sequence[tuple[str, Callable[[T], bool]]]
            ) -> tuple[T, str] | list[T]:
    """Narrow ``pool`` step by step (a step keeping nothing is skipped): the one item left
    with the rule of the step that singled it out, or what is left after every step."""
    for rule, keep in steps:
        left = [p for p in pool if keep(p)]
        if len(left) == 1:
            return left[0], rule
        if left:
            pool = left
    return pool


def _may_be_same(a: NameParts, b: NameParts) -> bool:
    """Whether :func:`compare_parts` could say "same" of these names: only with equal
    keys, equal loose keys (body, organisation type, branch) or a bracketed name."""
    return (a.loose_key == b.loose_key or a.key == b.key or bool(a.embedded)
            or bool(b.embedded))


def _reverse_abbreviation(query: NameParts, entry: _Entry, comp: Comparison) -> bool:
    # A known short name (泰医) that abbreviates the query (泰山医学院附属医院) says
    # nothing about which entity the longer query is.
    return comp.rule == "abbreviation" and len(entry.parts.outer) < len(query.outer)


def _record_code(rec: Mapping[str, Any]) -> str | None:
    """A stored enterprise's valid credit code, from its field or its uid."""
    for candidate in (rec.get("credit_code"), rec["uid"][4:] if is_code_uid(
            rec["uid"], "Enterprise") else None):
        if candidate:
            try:
                return validate_credit_code(str(candidate))
            except InvalidCreditCode:
                continue
    return None
