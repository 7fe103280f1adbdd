"""Matchmaking: rank the teams, talents and institutions that fit a technical need.

A *need* is free Chinese text and/or fields, keywords, an enterprise whose
``NEEDS`` relationships are in the graph, or both (the enterprise's needs and
the words given are pooled). Candidates are the research actors of the kinds
asked for (team, talent, university, institute, platform, hospital); 创新创业共同体
platforms are communities, not suppliers, and are never candidates. With an
enterprise, the enterprise's own units (``HOSTED_BY`` it) and staff
(``WORKS_AT`` it) are left out too.

Score
-----
For a need ``q`` and a candidate ``c`` five components, each in [0, 1]:

* ``text(c) = BM25(q, d_c) / max_{c'} BM25(q, d_c')`` — Lucene BM25 (k1 = 1.5,
  b = 0.75, bm25s) between the need's tokens and the candidate's document
  ``d_c`` (name, aliases, keywords, description, tags, the descriptions and
  keywords of its ``OFFERS``, the names of its fields), cut by jieba with the
  graph's field names and keywords as dictionary terms. A query token that is a
  whole word of the need (jieba's precise cut) weighs 1, one that is only a part of
  a word (search mode's 机器 of 康复机器人) weighs :data:`PART_WEIGHT`. The maximum
  is over every candidate in the graph, so a kind or region filter never changes
  a score.
* ``field(c) = (1/|F|) Σ_{f∈F} max_{g∈G_c} sim(f, g)`` — ``F`` the need's fields
  (those given, the targets of the enterprise's ``NEEDS``, fields whose name or
  alias the text contains, else the fields its words are said of: field keywords,
  OFFERS keywords and research actors' keywords vote, see ``_fields_of_terms``),
  ``G_c`` the fields ``c`` is ``IN_FIELD`` of or
  ``OFFERS``; ``sim(f, g) = 0.5^d`` when one field is ``d`` ``SUBFIELD_OF`` steps
  (0..3) above the other, else 0.
* ``proximity(c) = 0.5·hop + 0.3·coop + 0.2·community`` — only with an enterprise
  ``e``: ``hop`` is 1, 0.6, 0.3 for a shortest path of 1, 2, 3 hops from ``e``
  over cooperation, hosting, employment, membership, leadership, branch and
  project relationships (communities, fields and regions are not walked: they
  would join almost everyone); ``coop`` is 1 when ``c`` and ``e`` are joined by
  ``COOPERATES_WITH`` or took part in one project; ``community`` is 1 when both
  (``c`` directly or through its host or employer) are ``MEMBER_OF`` one 共同体.
* ``track_record(c) = r / (r + 2)``, ``r = Σ_p 0.5^((Y − year_p)/3) · sim(F, p)`` —
  over the projects ``c`` ``PARTICIPATES_IN`` or ``UNDERTAKES`` that are
  ``IN_FIELD`` of a field related to ``F`` (``sim(F, p)`` the best ``sim``); a
  three-year half-life, ``Y`` the latest project year in the graph (not the
  clock, so results do not drift); a project without a year takes the earliest
  ``year`` of its participation edges, or else counts as six years old. Two
  current projects in the very field give 0.5.
* ``capacity(c) = max(level, size)`` — level 国家 1.0, 省 0.7, 市 0.4, 县 0.2 of
  the platform itself, of the best platform an organisation hosts, or of the
  best platform a talent leads or belongs to; ``size = s / (s + 10)`` for a
  team of ``s`` people.

``score(c) = Σ_k W_k · x_k(c) / Σ_{k applicable} W_k`` with the weights of
:data:`WEIGHTS` (text 0.40, field 0.25, proximity 0.15, track record 0.10,
capacity 0.10). A component applies when the need can produce it — text when
it has tokens, field and track record when it has fields, proximity when it
names an enterprise, capacity always — so scores of different needs stay on
one 0..1 scale. A candidate is listed only when ``text > 0`` or ``field > 0``:
proximity or capacity alone is not a fit, nor is a text score from parts of the need's
words alone (加工 of 深加工): the candidate's document must hold a whole word of the need
(or share a field). Ties are broken by name, then uid, so
every backend holding the same data gives the same ranking.

Each match carries a Chinese reason built from the parts that apply, joined by
``;``: 关键词匹配 (whole need terms found in the document), 同属领域 / 相关领域,
曾与需求企业合作 or the relationship path, 同属 a 共同体, projects in the field in
the last five years, and the platform level or team size.

>>> import networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_node("f", uid="f", label="Field", name="康复医疗装备")
>>> G.add_node("t1", uid="t1", label="Team", name="甲团队", keywords=["外骨骼"], size=10)
>>> G.add_node("t2", uid="t2", label="Team", name="乙团队", keywords=["复合材料"])
>>> _ = G.add_edge("t1", "f", key="o1", type="OFFERS")
>>> result = match(G, text="外骨骼", fields=["康复医疗装备"])
>>> [(m.name, m.score, m.components["field"]) for m in result.matches]
[('甲团队', 0.8235, 1.0)]
>>> result.matches[0].reason
'关键词匹配:外骨骼;同属领域:康复医疗装备;团队规模10人'

Here text = 1 (the only BM25 hit), field = 1, track record = 0 (no projects),
capacity = 10/(10+10) = 0.5, and there is no proximity (no enterprise), so
score = (0.40·1 + 0.25·1 + 0.10·0 + 0.10·0.5) / 0.85 = 0.8235. 乙团队 matches
neither text nor field and is not listed.
"""

from __future__ import annotations

import bisect
import hashlib
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import bm25s
import networkx as nx
import numpy as np

from graph.analytics.text import Tokenizer, maximal_terms, normalize_text
from graph.collector import full_collections_paused
from graph.errors import NotFound, QueryLimitError
from schemas.names import normalize_name
from schemas.ontology import label_name
from schemas.relationships import REL_TYPES
from schemas.vocabularies import CANDIDATE_KINDS, COMMUNITY_TYPE

# ---- the knobs, in one place ------------------------------------------------------------

WEIGHTS: Mapping[str, float] = {"text": 0.40, "field": 0.25, "proximity": 0.15,
                                "track_record": 0.10, "capacity": 0.10}
"""Weight of each component in the score (they sum to 1)."""
COMPONENTS: tuple[str, ...] = tuple(WEIGHTS)

KINDS: Mapping[str, str] = CANDIDATE_KINDS
"""Candidate kinds and the node label of each (:data:`schemas.vocabularies.CANDIDATE_KINDS`)."""

MATCH_LABELS: tuple[str, ...] = ("Enterprise", "University", "Institute", "Hospital",
                                 "Government", "Platform", "Talent", "Team", "Project",
                                 "Field", "Region")
"""The labels matchmaking reads: ask a store for ``subgraph(labels=MATCH_LABELS)``.
Documents, programmes and targets are left out; paths through them are not
cooperation."""

MAX_TOP = 100
FIELD_DEPTH = 3
"""How many SUBFIELD_OF steps apart two fields may be and still count as related."""
PATH_HOPS = 3
HOP_SCORE: Mapping[int, float] = {1: 1.0, 2: 0.6, 3: 0.3}
PROXIMITY_PARTS: Mapping[str, float] = {"hop": 0.5, "coop": 0.3, "community": 0.2}
HALF_LIFE = 3.0
"""Years after which a project counts half in the track record."""
UNDATED_AGE = 6
TRACK_K = 2.0
RECENT_YEARS = 5
LEVEL_SCORE: Mapping[str, float] = {"国家": 1.0, "省": 0.7, "市": 0.4, "县": 0.2}
LEVEL_TEXT: Mapping[str, str] = {"国家": "国家级", "省": "省级", "市": "市级", "县": "县级"}
TEAM_SIZE_K = 10.0
MAX_SHOWN_KEYWORDS = 6
TERM_LENGTH = (2, 12)
"""Shortest and longest keyword added to the tokenizer's dictionary; longer ones are
phrases, and keeping a phrase whole would hide its words from BM25."""

PROXIMITY_TYPES = frozenset({"COOPERATES_WITH", "HOSTED_BY", "WORKS_AT", "MEMBER_OF", "LEADS",
                             "PARTICIPATES_IN", "UNDERTAKES", "BRANCH_OF"})
PROJECT_TYPES = frozenset({"PARTICIPATES_IN", "UNDERTAKES"})
_REGION_SUFFIXES = ("省", "市", "区", "县")
PART_WEIGHT = 0.25
"""Weight in the text score of a token that is only a part of a word of the need (机器 of
康复机器人, 加工 of 深加工): a document sharing the whole word ranks first."""
INFER_MIN_VOTES = 1.0
INFER_MIN_SHARE = 0.35
INFER_SECOND = 0.7
"""When the need's words name a field (see :func:`_fields_of_terms`)."""
_INDEX_CACHE_SIZE = 4


class MatchError(QueryLimitError):
    """A need that cannot be matched as asked: empty, unknown field or kind, bad limits."""


# ---- results ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PathStep:
    """One node of a path from the enterprise; ``via`` is the relationship walked into it."""

    uid: str
    label: str
    name: str
    via: str | None = None


@dataclass(frozen=True)
class Match:
    """One ranked candidate.

    Attributes:
        uid: The candidate's uid.
        label: Its node label.
        name: Its name.
        score: The weighted score (rounded to 4 places).
        components: Each component in [0, 1] (rounded to 4 places), also those
            that did not apply to the need (they are 0).
        matched_keywords: Need terms found in the candidate's document, whole terms only.
        shared_fields: The candidate's fields related to the need's, closest first.
        path: Shortest relationship path from the enterprise (empty if none within 3 hops).
        reason: Why, in one Chinese sentence.
    """

    uid: str
    label: str
    name: str
    score: float
    components: dict[str, float]
    matched_keywords: list[str]
    shared_fields: list[str]
    path: list[PathStep]
    reason: str


@dataclass(frozen=True)
class Need:
    """The need as understood: what the score was computed against.

    Attributes:
        text: The free text, the enterprise's need descriptions included.
        enterprise: The enterprise's uid, if any.
        enterprise_name: Its name.
        fields: uids of the need's fields.
        field_names: Their names.
        inferred_fields: Names of fields found in the text (part of ``field_names``).
        keywords: Keywords given and those of the enterprise's needs.
        tokens: The query tokens BM25 used.
        weights: The weights in effect (those of components that apply, rescaled).
        token_weights: Each token's weight in the text score: 1 for a whole word of
            the need, :data:`PART_WEIGHT` for a part of one (机器 of 康复机器人).
    """

    text: str
    enterprise: str | None
    enterprise_name: str | None
    fields: list[str]
    field_names: list[str]
    inferred_fields: list[str]
    keywords: list[str]
    tokens: list[str]
    weights: dict[str, float]
    token_weights: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class MatchResult:
    """The need as understood, the ranked matches and how many candidates were scored."""

    need: Need
    matches: list[Match]
    scored: int
    retrieval: str = "index"
    """Where the candidate pool came from: "store" (the database's indexes) or "index"
    (the in-process index of the graph)."""


# ---- what a graph offers matchmaking, computed once per graph ---------------------------

@dataclass
class _Facts:
    """Per-graph lookups: built in one pass over the edges, reused by every query."""

    nodes: Mapping[str, Mapping[str, Any]]
    candidates: list[str] = field(default_factory=list)
    fields_of: dict[str, dict[str, str]] = field(default_factory=dict)
    actors_by_field: dict[str, set[str]] = field(default_factory=dict)
    parents: dict[str, set[str]] = field(default_factory=dict)
    children: dict[str, set[str]] = field(default_factory=dict)
    field_by_name: dict[str, str] = field(default_factory=dict)
    projects_of: dict[str, set[str]] = field(default_factory=dict)
    project_fields: dict[str, set[str]] = field(default_factory=dict)
    project_year: dict[str, int | None] = field(default_factory=dict)
    adjacency: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    cooperates: dict[str, set[str]] = field(default_factory=dict)
    coop_years: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    communities_of: dict[str, set[str]] = field(default_factory=dict)
    hosts_of: dict[str, set[str]] = field(default_factory=dict)
    own_units: dict[str, set[str]] = field(default_factory=dict)
    platforms_of: dict[str, set[str]] = field(default_factory=dict)
    located_in: dict[str, set[str]] = field(default_factory=dict)
    region_by_name: dict[str, str] = field(default_factory=dict)
    needs: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    offers: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    latest_year: int | None = None
    term_fields: dict[str, dict[str, float]] = field(default_factory=dict)
    """A domain term (normalised) -> the fields it is said of, with how often: a field's
    own keywords, the keywords of OFFERS into it, the keywords of its research actors,
    the words of its projects' titles.
    The needs' own words are left out, so that inferring a need's field never reads it."""
    bounds: _Bounds | None = None
    """Per-candidate arrays for the top-k walk's upper bounds (built by :func:`prepare`)."""

    def name(self, uid: str) -> str:
        return str(self.nodes[uid].get("name") or uid)

    def order(self, uid: str) -> tuple[str, str]:
        return (self.name(uid), uid)

    def is_community(self, uid: str) -> bool:
        rec = self.nodes[uid]
        return rec.get("label") == "Platform" and rec.get("platform_type") == COMMUNITY_TYPE


def _add(index: dict[str, set[str]], key: str, value: str) -> None:
    index.setdefault(key, set()).add(value)


def _build_facts(G: nx.MultiDiGraph) -> _Facts:
    """One pass over nodes and one over the edges of each type into the lookups of
    :class:`_Facts`.

    The edges of the types that feed one lookup are read together, in the graph's edge
    order (from a projection's type index, ``computed.type_index``): each lookup gets its
    entries in the order a single pass over every edge would give them, without testing
    every one of a province's million edges against every lookup."""
    nodes: dict[str, Mapping[str, Any]] = {u: d for u, d in G.nodes(data=True)}
    f = _Facts(nodes=nodes)
    labels = set(KINDS.values())
    communities: set[str] = set()
    for uid in sorted(nodes):  # sorted: first-come name lookups stay stable
        rec = nodes[uid]
        label = rec.get("label")
        if label in labels:  # communities are platforms: a label of KINDS
            if f.is_community(uid):
                communities.add(uid)
            else:
                f.candidates.append(uid)
        elif label == "Field":
            for name in [rec.get("name") or "", *(rec.get("aliases") or [])]:
                if name:
                    f.field_by_name.setdefault(normalize_name(name), uid)
        elif label == "Region":
            f.region_by_name.setdefault(_region_key(str(rec.get("name") or "")), uid)
        elif label == "Project" and rec.get("year") is not None:
            f.project_year[uid] = int(rec["year"])
    f.candidates.sort()
    from graph.analytics.computed import edges_of, type_index

    by_type = type_index(G)

    def edges(*types: str) -> Iterable[tuple[str, str, Any]]:
        return edges_of(by_type, *types)

    for s, t, e in edges("IN_FIELD", "OFFERS"):
        typ = e["type"]
        if nodes[s].get("label") == "Project":
            _add(f.project_fields, s, t)
        else:
            # OFFERS says more than IN_FIELD about what an actor can do; keep it
            if typ == "OFFERS" or t not in f.fields_of.get(s, {}):
                f.fields_of.setdefault(s, {})[t] = typ
            _add(f.actors_by_field, t, s)
        if typ == "OFFERS":
            f.offers.setdefault(s, []).append(e)
    for s, t, _e in edges("SUBFIELD_OF"):
        _add(f.parents, s, t)
        _add(f.children, t, s)
    for s, _t, e in edges("NEEDS"):
        f.needs.setdefault(s, []).append(e)
    for s, t, _e in edges("LOCATED_IN"):
        _add(f.located_in, s, t)
    edge_years: dict[str, int] = {}
    for s, t, e in edges(*sorted(PROJECT_TYPES)):
        if nodes[t].get("label") == "Project":
            _add(f.projects_of, s, t)
            if e.get("year") is not None:
                # the earliest participation year stands in for a project without one,
                # whatever order the edges come in
                edge_years[t] = min(edge_years.get(t, 9999), int(e["year"]))
    for s, t, e in edges("COOPERATES_WITH"):
        _add(f.cooperates, s, t)
        _add(f.cooperates, t, s)
        if e.get("first_year") or e.get("last_year"):
            f.coop_years[(s, t)] = f.coop_years[(t, s)] = (
                int(e.get("first_year") or e["last_year"]),
                int(e.get("last_year") or e["first_year"]))
    for s, t, _e in edges("MEMBER_OF"):
        if t in communities:
            _add(f.communities_of, s, t)
    for s, t, _e in edges("HOSTED_BY", "WORKS_AT"):
        _add(f.hosts_of, s, t)
        _add(f.own_units, t, s)
    # the platforms whose level stands for an actor's capacity: those an organisation
    # hosts, those a talent leads or belongs to (a community joins hundreds of members:
    # neither a platform of theirs nor a path)
    for s, t, e in edges("HOSTED_BY", "LEADS", "MEMBER_OF"):
        if e["type"] == "HOSTED_BY":
            if nodes[s].get("label") == "Platform":
                _add(f.platforms_of, t, s)
        elif (t not in communities and nodes[s].get("label") == "Talent"
              and nodes[t].get("label") == "Platform"):
            _add(f.platforms_of, s, t)
    # neighbours in name, uid order (ties: type) make the first shortest path found
    # deterministic; each neighbour is held as one integer, its rank among all nodes by
    # name and uid times the number of types plus its type's rank, which sorts a
    # province's million pairs without a key function
    order = sorted(nodes, key=f.order)
    rank = {u: i for i, u in enumerate(order)}
    types = sorted(PROXIMITY_TYPES)
    width = len(types)
    type_rank = {typ: i for i, typ in enumerate(types)}
    adjacency: dict[str, set[int]] = {}
    for s, t, e in edges(*types):
        typ = e["type"]
        if typ == "MEMBER_OF" and t in communities:
            continue
        code = type_rank[typ]
        adjacency.setdefault(s, set()).add(rank[t] * width + code)
        adjacency.setdefault(t, set()).add(rank[s] * width + code)
    f.adjacency = {u: [(order[c // width], types[c % width]) for c in sorted(codes)]
                   for u, codes in adjacency.items()}
    for p, y in edge_years.items():
        f.project_year.setdefault(p, y)
    years = [y for y in f.project_year.values() if y is not None]
    f.latest_year = max(years) if years else None
    return f


def _term_fields(f: _Facts, tokenizer: Tokenizer) -> None:
    """Fill ``f.term_fields`` (see :class:`_Facts`): each term is said of the field, and
    each word inside a term (中药材 of 中药材种植) half as much."""
    counts: dict[str, dict[str, float]] = {}
    split: dict[str, dict[str, float]] = {}  # a graph repeats few terms many times: cut each once

    def parts_of(term: str) -> dict[str, float]:
        parts = split.get(term)
        if parts is None:
            key = normalize_text(term).strip()
            parts = {w: 0.5 for w in tokenizer.tokens(key)}
            parts[key] = 1.0
            split[term] = parts
        return parts

    def say(terms: Iterable[str], fld: str) -> None:
        for t in terms:
            for w, weight in parts_of(str(t)).items():
                if TERM_LENGTH[0] <= len(w) <= TERM_LENGTH[1]:
                    row = counts.setdefault(w, {})
                    row[fld] = row.get(fld, 0.0) + weight

    for uid, rec in f.nodes.items():
        if rec.get("label") == "Field":
            say([rec.get("name") or "", *(rec.get("aliases") or []),
                 *(rec.get("keywords") or [])], uid)
    for proj, flds in f.project_fields.items():
        # a project's title names what the field makes (新型智能轮椅研发与产业化)
        words = tokenizer.words(str(f.nodes[proj].get("name") or ""))
        for fld in flds:
            say(words, fld)
    for uid in f.candidates:
        fields = f.fields_of.get(uid, {})
        for fld in fields:
            say(f.nodes[uid].get("keywords") or [], fld)
        for e in f.offers.get(uid, []):
            say(e.get("keywords") or [], str(e.get("target") or ""))
    f.term_fields = {t: row for t, row in counts.items() if "" not in row}


# ---- the text index -----------------------------------------------------------------------

class TextIndex:
    """BM25 over the candidates' documents, with the tokenizer that cut them.

    Args:
        uids: Candidate uids, in index order.
        documents: One document per candidate.
        terms: Dictionary terms for the tokenizer.
    """

    def __init__(self, uids: Sequence[str], documents: Sequence[str],
                 terms: Iterable[str]) -> None:
        self.uids = list(uids)
        self.position = {u: i for i, u in enumerate(self.uids)}
        self.tokenizer = Tokenizer(terms)
        doc_tokens = [self.tokenizer.tokens(d) for d in documents]
        self.doc_terms = [frozenset(t) for t in doc_tokens]
        # ids from a sorted vocabulary: the index does not depend on set iteration order
        self.vocab = {t: i for i, t in enumerate(sorted({t for d in doc_tokens for t in d}))}
        self._bm25: bm25s.BM25 | None = None
        if self.vocab and self.uids:
            self._bm25 = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
            self._bm25.index(([[self.vocab[t] for t in d] for d in doc_tokens], dict(self.vocab)),
                             show_progress=False)

    def scores(self, tokens: Sequence[str],
               weights: Mapping[str, float] | None = None) -> np.ndarray:
        """BM25 of every document for the (deduplicated) query tokens, each token's part
        multiplied by its weight in ``weights`` (1 when absent)."""
        groups: dict[float, set[int]] = {}
        for t in tokens:
            if t in self.vocab:
                groups.setdefault((weights or {}).get(t, 1.0), set()).add(self.vocab[t])
        out = np.zeros(len(self.uids))
        if self._bm25 is None:
            return out
        for w, ids in sorted(groups.items()):
            if w > 0:
                out += w * np.asarray(self._bm25.get_scores_from_ids(sorted(ids)),
                                      dtype=np.float64)
        return out


_INDEX_CACHE: OrderedDict[str, TextIndex] = OrderedDict()
_FACTS_CACHE: weakref.WeakKeyDictionary[Any, tuple[int, _Facts, TextIndex]] = (
    weakref.WeakKeyDictionary())
_CACHE_LOCK = threading.Lock()
_BUILDING: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
"""Per graph, the lock held while its lookups are built: a server's warm-up thread and
its first requests build them once, the others wait (two builds at once would each take
twice as long on a shared interpreter)."""


def _document(f: _Facts, uid: str) -> str:
    """The text BM25 sees for a candidate."""
    rec = f.nodes[uid]
    parts: list[str] = [rec.get("name") or "", *(rec.get("aliases") or []),
                        *(rec.get("keywords") or []), rec.get("description") or "",
                        *(rec.get("tags") or []), rec.get("platform_type") or "",
                        rec.get("institute_type") or ""]
    for e in sorted(f.offers.get(uid, []), key=lambda e: str(e.get("uid", ""))):
        parts += [e.get("description") or "", *(e.get("keywords") or [])]
    parts += sorted(f.name(g) for g in f.fields_of.get(uid, {}))
    return "\n".join(p for p in parts if p)


def _dictionary_terms(f: _Facts) -> list[str]:
    """Field names and every keyword of the graph: the domain terms to keep whole."""
    terms: set[str] = set()
    for rec in f.nodes.values():
        # only the labels matchmaking reads: a whole-graph copy (documents, programmes)
        # and a MATCH_LABELS subgraph must cut text alike and so rank alike
        if rec.get("label") not in MATCH_LABELS:
            continue
        if rec.get("label") == "Field":
            terms.update([rec.get("name") or "", *(rec.get("aliases") or [])])
        terms.update(rec.get("keywords") or [])
    for edges in (*f.needs.values(), *f.offers.values()):
        for e in edges:
            terms.update(e.get("keywords") or [])
    lo, hi = TERM_LENGTH
    return sorted(t for t in terms if lo <= len(t) <= hi)


def _text_index(f: _Facts) -> TextIndex:
    """The BM25 index of the candidates, shared by graphs with identical documents."""
    documents = [_document(f, u) for u in f.candidates]
    terms = _dictionary_terms(f)
    digest = hashlib.blake2b(digest_size=20)
    for part in (*terms, "\x1d", *f.candidates, "\x1d", *documents):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1e")
    key = digest.hexdigest()
    with _CACHE_LOCK:
        hit = _INDEX_CACHE.get(key)
        if hit is not None:
            _INDEX_CACHE.move_to_end(key)
            return hit
    index = TextIndex(f.candidates, documents, terms)
    with _CACHE_LOCK:
        _INDEX_CACHE[key] = index
        while len(_INDEX_CACHE) > _INDEX_CACHE_SIZE:
            _INDEX_CACHE.popitem(last=False)
    return index


def prepare(G: nx.MultiDiGraph) -> tuple[_Facts, TextIndex]:
    """The lookups and the text index of a graph, built on first use and cached.

    The cache holds a graph weakly and checks its node count, so a graph that gained
    or lost nodes is rebuilt. Counting a multigraph's edges walks all of it (more
    than a whole query costs), so a graph whose edges or properties were changed
    in place must be passed as a fresh copy or dropped with :func:`forget`. The
    text index is also cached by the content of the documents: a fresh copy of an
    unchanged graph (one ``store.subgraph()`` per request) reuses it and only redoes
    the one-pass lookups.
    """
    size = G.number_of_nodes()
    with _CACHE_LOCK:
        cached = _FACTS_CACHE.get(G)
        building = _BUILDING.setdefault(G, threading.Lock())
    if cached is not None and cached[0] == size:
        return cached[1], cached[2]
    with building:
        with _CACHE_LOCK:
            cached = _FACTS_CACHE.get(G)
        if cached is not None and cached[0] == size:
            return cached[1], cached[2]  # built meanwhile by another caller
        # millions of lookups' containers: no full collection while they are made
        with full_collections_paused():
            facts = _build_facts(G)
            index = _text_index(facts)
            _term_fields(facts, index.tokenizer)
            facts.bounds = _Bounds.of(facts, index)
        with _CACHE_LOCK:
            _FACTS_CACHE[G] = (size, facts, index)
    return facts, index


@dataclass(frozen=True)
class _Bounds:
    """What the exact top-k walk knows of every candidate before evaluating it, as arrays
    in the text index's order: its capacity (a component that depends on the candidate
    alone), its labels, the candidates of each field and those with a project in it.
    A query turns them into an upper bound of every candidate's score (:func:`_bound`)."""

    capacity: np.ndarray
    label: np.ndarray
    """Index into ``labels`` per candidate."""
    labels: tuple[str, ...]
    in_field: Mapping[str, np.ndarray]
    """Field uid -> positions of the candidates IN_FIELD or OFFERS it."""
    worked_in: Mapping[str, np.ndarray]
    """Field uid -> positions of the candidates with a project in it."""

    @staticmethod
    def of(f: _Facts, index: TextIndex) -> _Bounds:
        capacity = np.array([_capacity(f, u)[0] for u in index.uids], dtype=np.float64)
        labels = tuple(sorted({str(f.nodes[u].get("label")) for u in index.uids}))
        code = {lab: i for i, lab in enumerate(labels)}
        label = np.array([code[str(f.nodes[u].get("label"))] for u in index.uids],
                         dtype=np.int32)
        pos = index.position
        in_field = {g: np.array(sorted(pos[u] for u in members if u in pos), dtype=np.int64)
                    for g, members in f.actors_by_field.items()}
        worked: dict[str, set[int]] = {}
        for u, projects in f.projects_of.items():
            if u in pos:
                for p in projects:
                    for g in f.project_fields.get(p, ()):
                        worked.setdefault(g, set()).add(pos[u])
        worked_in = {g: np.array(sorted(v), dtype=np.int64) for g, v in worked.items()}
        return _Bounds(capacity=capacity, label=label, labels=labels, in_field=in_field,
                       worked_in=worked_in)


def _bound(b: _Bounds, need: Need, related: Mapping[str, Mapping[str, _Related]],
           flat_related: Mapping[str, float], text_score: np.ndarray) -> np.ndarray:
    """An upper bound of every candidate's score for one need: the text and capacity
    components exactly, the field component exactly (each need field's best related
    field among the candidate's own, averaged), track record 1 where the candidate
    has a project in a related field and 0 elsewhere, proximity 1."""
    w = need.weights
    out = w["text"] * text_score + w["capacity"] * b.capacity + w["proximity"]
    if need.fields:
        field_part = np.zeros_like(text_score)
        for nf in need.fields:
            best = np.zeros_like(text_score)
            for g, r in related[nf].items():
                at = b.in_field.get(g)
                if at is not None and at.size:
                    best[at] = np.maximum(best[at], r.sim)
            field_part += best
        out += w["field"] * field_part / len(need.fields)
        worked = np.zeros_like(text_score)
        for g, sim in flat_related.items():
            at = b.worked_in.get(g)
            if sim > 0 and at is not None and at.size:
                worked[at] = 1.0
        out += w["track_record"] * worked
    return out


def forget(G: nx.MultiDiGraph) -> None:
    """Drop the cached lookups of a graph that was changed in place."""
    with _CACHE_LOCK:
        _FACTS_CACHE.pop(G, None)


# ---- field relatedness ----------------------------------------------------------------------

def _ancestors(f: _Facts, uid: str) -> dict[str, int]:
    """Fields above ``uid`` with their distance (1..FIELD_DEPTH), cycles tolerated."""
    out: dict[str, int] = {}
    frontier = [uid]
    for depth in range(1, FIELD_DEPTH + 1):
        nxt = []
        for u in frontier:
            for p in f.parents.get(u, ()):
                if p != uid and p not in out:
                    out[p] = depth
                    nxt.append(p)
        frontier = nxt
    return out


def _descendants(f: _Facts, uid: str) -> dict[str, int]:
    """Fields below ``uid`` with their distance (1..FIELD_DEPTH)."""
    out: dict[str, int] = {}
    frontier = [uid]
    for depth in range(1, FIELD_DEPTH + 1):
        nxt = []
        for u in frontier:
            for c in f.children.get(u, ()):
                if c != uid and c not in out:
                    out[c] = depth
                    nxt.append(c)
        frontier = nxt
    return out


@dataclass(frozen=True)
class _Related:
    """A field related to one of the need's fields: similarity and how."""

    sim: float
    need_field: str
    relation: str  # "same", "child" (below the need's field) or "parent"


def _related_fields(f: _Facts, need_fields: Sequence[str]) -> dict[str, dict[str, _Related]]:
    """For each need field, every related field with its similarity 0.5^d."""
    out: dict[str, dict[str, _Related]] = {}
    for nf in need_fields:
        rel = {nf: _Related(1.0, nf, "same")}
        for g, d in _descendants(f, nf).items():
            rel.setdefault(g, _Related(0.5 ** d, nf, "child"))
        for g, d in _ancestors(f, nf).items():
            if g not in rel or rel[g].sim < 0.5 ** d:
                rel[g] = _Related(0.5 ** d, nf, "parent")
        out[nf] = rel
    return out


# ---- the need -----------------------------------------------------------------------------

def _resolve_field(f: _Facts, text: str) -> str:
    """A field's uid from its uid, name or alias; MatchError with suggestions otherwise."""
    text = text.strip()
    if text in f.nodes and f.nodes[text].get("label") == "Field":
        return text
    key = normalize_name(text)
    if key in f.field_by_name:
        return f.field_by_name[key]
    close = sorted({f.name(u) for n, u in f.field_by_name.items()
                    if key and (key in n or n in key)})
    hint = f";是否指:{'、'.join(close[:8])}" if close else ""
    raise MatchError(f"不认识的领域 '{text}'{hint}")


def _fields_in_text(f: _Facts, text: str, words: Sequence[str] = ()) -> list[str]:
    """Fields whose name or alias occurs in the text as a word of it (``words``, when
    given: 物联网 inside the term 农业物联网 is not the field 物联网); a name inside a
    longer one found is dropped (康复医疗装备 mentions 医疗装备, but means the former)."""
    norm = normalize_name(text)
    if not norm:
        return []
    whole = {normalize_name(w) for w in words}
    found = {n: u for n, u in f.field_by_name.items()
             if len(n) >= 2 and n in norm and (not words or n in whole)}
    names = [n for n in found if not any(n != o and n in o for o in found)]
    return sorted({found[n] for n in names})


def _fields_of_terms(f: _Facts, words: Sequence[str]) -> list[str]:
    """Fields the need's whole words are said of, when they point clearly at some.

    Each word known in ``f.term_fields`` votes for its fields in proportion to how
    often it is said of each (a word with less than one mention in all votes that
    much in total); the best field is kept when it has at least
    :data:`INFER_MIN_VOTES` votes and a share of :data:`INFER_MIN_SHARE` of all, and
    a runner-up with at least :data:`INFER_SECOND` of the best's votes is kept too.
    """
    votes: dict[str, float] = {}
    for w in dict.fromkeys(words):
        row = f.term_fields.get(w)
        if not row:
            continue
        total = sum(row.values())
        # a word seen once inside a longer term (0.5) votes half: little evidence
        strength = min(1.0, total)
        for fld, n in row.items():
            votes[fld] = votes.get(fld, 0.0) + strength * n / total
    if not votes:
        return []
    ranked = sorted(votes.items(), key=lambda t: (-t[1], f.order(t[0])))
    best = ranked[0][1]
    if best < INFER_MIN_VOTES or best / sum(votes.values()) < INFER_MIN_SHARE:
        return []
    out = [ranked[0][0]]
    if len(ranked) > 1 and ranked[1][1] >= INFER_SECOND * best:
        out.append(ranked[1][0])
    return out


def _build_need(f: _Facts, index: TextIndex, *, text: str, enterprise: str | None,
                fields: Sequence[str], keywords: Sequence[str]) -> Need:
    """Pool the enterprise's NEEDS with the text, fields and keywords given."""
    texts = [text.strip()] if text.strip() else []
    kws = [k.strip() for k in keywords if k.strip()]
    field_uids: list[str] = []
    ent_name = None
    if enterprise is not None:
        if enterprise not in f.nodes:
            raise NotFound("enterprise", enterprise)
        if f.nodes[enterprise].get("label") != "Enterprise":
            kind = label_name(str(f.nodes[enterprise].get("label")))
            raise MatchError(f"'{enterprise}' 是{kind},不是企业")
        ent_name = f.name(enterprise)
        needs = sorted(f.needs.get(enterprise, []),
                       key=lambda e: (f.order(e["target"]), str(e.get("uid", ""))))
        if not needs and not (texts or kws or fields):
            raise MatchError(f"企业 '{ent_name}'({enterprise})在图谱中没有技术需求(NEEDS);"
                             "请以文字、领域或关键词给出需求")
        for e in needs:
            field_uids.append(e["target"])
            if e.get("description"):
                texts.append(str(e["description"]))
            kws += list(e.get("keywords") or [])
    field_uids += [_resolve_field(f, x) for x in fields if x.strip()]
    full_text = "\n".join(texts)
    words = list(dict.fromkeys(index.tokenizer.words("\n".join([full_text, *kws]))))
    inferred = [u for u in _fields_in_text(f, full_text, index.tokenizer.words(full_text))
                if u not in field_uids]
    if not field_uids and not inferred:
        inferred = _fields_of_terms(f, words)
    field_uids = list(dict.fromkeys(field_uids + inferred))
    kws = list(dict.fromkeys(kws))
    query = "\n".join([full_text, *kws, *(f.name(u) for u in field_uids)])
    tokens = list(dict.fromkeys(index.tokenizer.tokens(query)))
    whole = set(words) | set(index.tokenizer.words(query))
    token_weights = {t: 1.0 if t in whole else PART_WEIGHT for t in tokens}
    applies = {"text": bool(tokens), "field": bool(field_uids),
               "proximity": enterprise is not None, "track_record": bool(field_uids),
               "capacity": True}
    if not (applies["text"] or applies["field"]):
        raise MatchError("需求为空:请给出需求描述、关键词、领域或有技术需求(NEEDS)的企业"
                         "(只有停用词不算)")
    total = sum(w for k, w in WEIGHTS.items() if applies[k])
    weights = {k: (round(w / total, 6) if applies[k] else 0.0) for k, w in WEIGHTS.items()}
    return Need(text=full_text, enterprise=enterprise, enterprise_name=ent_name,
                fields=field_uids, field_names=[f.name(u) for u in field_uids],
                inferred_fields=[f.name(u) for u in inferred], keywords=kws, tokens=tokens,
                weights=weights, token_weights=token_weights)


# ---- components ---------------------------------------------------------------------------

def _bfs_paths(f: _Facts, source: str) -> dict[str, list[PathStep]]:
    """Shortest paths (up to PATH_HOPS) from ``source``; the first found in name order."""
    prev: dict[str, tuple[str, str] | None] = {source: None}
    frontier = deque([(source, 0)])
    while frontier:
        u, d = frontier.popleft()
        if d == PATH_HOPS:
            continue
        for v, typ in f.adjacency.get(u, ()):
            if v not in prev:
                prev[v] = (u, typ)
                frontier.append((v, d + 1))
    paths: dict[str, list[PathStep]] = {}
    for target in prev:
        if target == source:
            continue
        steps: list[PathStep] = []
        cur: str | None = target
        while cur is not None:
            back = prev[cur]
            rec = f.nodes[cur]
            steps.append(PathStep(cur, str(rec.get("label")), f.name(cur),
                                  back[1] if back else None))
            cur = back[0] if back else None
        steps.reverse()
        paths[target] = steps
    return paths


def _region_key(name: str) -> str:
    key = normalize_name(name)
    for suffix in _REGION_SUFFIXES:
        if len(key) > 2 and key.endswith(suffix):
            return key[: -len(suffix)]
    return key


def _regions(f: _Facts, uid: str) -> set[str]:
    """Region names of an actor: its own properties, the regions it is LOCATED_IN, and
    those of its host or employer for a team, platform or talent; each with the
    regions above it (LOCATED_IN between regions), also when a property names a
    Region node (所在区县 泰山区 is in 泰安市 when the graph says so)."""
    out: set[str] = set()
    frontier: list[str] = []
    for u in (uid, *sorted(f.hosts_of.get(uid, ()))):
        rec = f.nodes[u]
        for k in ("region", "city", "province"):
            if rec.get(k):
                out.add(str(rec[k]))
                named = f.region_by_name.get(_region_key(str(rec[k])))
                if named:
                    frontier.append(named)
        frontier += f.located_in.get(u, ())
    seen: set[str] = set()
    while frontier:
        r = frontier.pop()
        if r in seen:
            continue
        seen.add(r)
        out.add(f.name(r))
        frontier += f.located_in.get(r, ())
    return out


def _in_region(f: _Facts, uid: str, region: str) -> bool:
    want = normalize_name(region)
    want_key = _region_key(region)
    return any(want in normalize_name(r) or want_key == _region_key(r)
               for r in _regions(f, uid))


def _capacity(f: _Facts, uid: str) -> tuple[float, list[str]]:
    """Capacity in [0, 1] and its Chinese explanation."""
    rec = f.nodes[uid]
    score, notes = 0.0, []
    own = LEVEL_SCORE.get(str(rec.get("level") or "")) if rec.get("label") == "Platform" else None
    if own is not None:
        score = own
        notes.append(f"{LEVEL_TEXT[str(rec['level'])]}平台")
    else:
        best = sorted((p for p in f.platforms_of.get(uid, ())
                       if str(f.nodes[p].get("level") or "") in LEVEL_SCORE),
                      key=lambda p: (-LEVEL_SCORE[str(f.nodes[p]["level"])], *f.order(p)))
        if best:
            level = str(f.nodes[best[0]]["level"])
            score = LEVEL_SCORE[level]
            verb = "依托" if rec.get("label") != "Talent" else "所在"
            notes.append(f"{verb}{LEVEL_TEXT[level]}平台:{f.name(best[0])}")
    size = rec.get("size")
    if rec.get("label") == "Team" and isinstance(size, int | float) and size > 0:
        score = max(score, float(size) / (float(size) + TEAM_SIZE_K))
        notes.append(f"团队规模{int(size)}人")
    return score, notes


def _track_record(f: _Facts, uid: str, related: Mapping[str, float],
                  as_of: int | None) -> tuple[float, int, int]:
    """Track record in [0, 1], projects in related fields in the last RECENT_YEARS, all."""
    raw, recent, total = 0.0, 0, 0
    for p in f.projects_of.get(uid, ()):
        sim = max((related.get(g, 0.0) for g in f.project_fields.get(p, ())), default=0.0)
        if sim <= 0:
            continue
        year = f.project_year.get(p)
        age = UNDATED_AGE if year is None or as_of is None else max(0, as_of - year)
        raw += 0.5 ** (age / HALF_LIFE) * sim
        total += 1
        if year is not None and as_of is not None and year > as_of - RECENT_YEARS:
            recent += 1
    return raw / (raw + TRACK_K), recent, total


def _field_component(f: _Facts, uid: str, need_fields: Sequence[str],
                     related: Mapping[str, Mapping[str, _Related]]) -> tuple[float, list[str],
                                                                             list[str]]:
    """Field score, the shared field names (closest first) and their Chinese notes."""
    mine = f.fields_of.get(uid, {})
    if not need_fields or not mine:
        return 0.0, [], []
    total = 0.0
    hits: dict[str, _Related] = {}
    for nf in need_fields:
        best = 0.0
        for g in mine:
            r = related[nf].get(g)
            if r is not None:
                best = max(best, r.sim)
                if g not in hits or hits[g].sim < r.sim:
                    hits[g] = r
        total += best
    ordered = sorted(hits, key=lambda g: (-hits[g].sim, *f.order(g)))
    same = [f.name(g) for g in ordered if hits[g].relation == "same"]
    notes = [f"同属领域:{'、'.join(same)}"] if same else []
    for g in ordered:
        r = hits[g]
        if r.relation == "child":
            notes.append(f"相关领域:{f.name(g)}({f.name(r.need_field)}的细分领域)")
        elif r.relation == "parent":
            notes.append(f"相关领域:{f.name(g)}({f.name(r.need_field)}的上级领域)")
    return total / len(need_fields), [f.name(g) for g in ordered], notes


def _coop_detail(years: tuple[int, int] | None, projects: int) -> str:
    """"(2019-2021年,共同参与项目2项)" or the part of it that is known."""
    parts = []
    if years:
        parts.append(f"{years[0]}年" if years[0] == years[1] else f"{years[0]}-{years[1]}年")
    if projects:
        parts.append(f"共同参与项目{projects}项")
    return f"({','.join(parts)})" if parts else ""


def _path_text(path: Sequence[PathStep]) -> str:
    out = path[0].name
    for step in path[1:]:
        out += f"—{REL_TYPES[step.via][2] if step.via in REL_TYPES else step.via}—{step.name}"
    return out


# ---- the matcher ----------------------------------------------------------------------------

def match(G: nx.MultiDiGraph, *, text: str = "", enterprise: str | None = None,
          fields: Sequence[str] = (), keywords: Sequence[str] = (),
          kinds: Sequence[str] | None = None, region: str | None = None, top: int = 10,
          min_score: float = 0.0,
          retrieve: Callable[[Sequence[str], Sequence[str]], set[str] | None] | None = None,
          ) -> MatchResult:
    """Rank the candidates of ``G`` for a need (see the module docstring for the score).

    Args:
        G: A graph as ``GraphStore.subgraph`` returns it (node and edge records as
            attributes); ``subgraph(labels=MATCH_LABELS)`` is enough. Treated as
            read-only: lookups are cached per graph object (see :func:`prepare`).
        text: The need in free Chinese text.
        enterprise: uid of the enterprise with the need; its ``NEEDS`` join the need
            and proximity is measured from it.
        fields: Fields by uid, name or alias.
        keywords: Terms that must be matched as given.
        kinds: Candidate kinds among :data:`KINDS` (default: all).
        region: Keep candidates located there (their own region or their host's);
            a candidate with no known region is left out.
        top: How many matches to return (1..100).
        min_score: Leave out matches scoring below this.
        retrieve: The store's candidate retrieval (``GraphStore.match_candidates``
            with the need's terms and related fields): the pool is taken from it when
            it answers, else from the in-process index. Both give the same pool.

    Returns:
        The need as understood, the best ``top`` matches (score descending, then
        name, then uid) and how many candidates were scored.

    Raises:
        NotFound: ``enterprise`` is not in the graph.
        MatchError: the need is empty, a field or kind is unknown, ``top`` is out of range.
    """
    if not 1 <= top <= MAX_TOP:
        raise MatchError(f"top 应在 1 到 {MAX_TOP} 之间,收到 {top}")
    wanted_kinds = list(kinds) if kinds else list(KINDS)
    bad = [k for k in wanted_kinds if k not in KINDS]
    if bad:
        raise MatchError(f"不认识的类别 {'、'.join(bad)};可用:{'、'.join(KINDS)}")
    labels = {KINDS[k] for k in wanted_kinds}
    f, index = prepare(G)
    need = _build_need(f, index, text=text, enterprise=enterprise, fields=fields,
                       keywords=keywords)
    related = _related_fields(f, need.fields)
    flat_related: dict[str, float] = {}
    for rel in related.values():
        for g, r in rel.items():
            flat_related[g] = max(flat_related.get(g, 0.0), r.sim)

    bm25 = index.scores(need.tokens, need.token_weights)
    top_bm25 = float(bm25.max()) if bm25.size else 0.0
    text_score = bm25 / top_bm25 if top_bm25 > 0 else bm25
    position = index.position
    retrieved = retrieve(need.tokens, sorted(flat_related)) if retrieve is not None else None
    b = f.bounds
    assert b is not None  # prepare builds them with the facts
    in_pool = np.zeros(len(index.uids), dtype=bool)
    if retrieved is not None:
        in_pool[[position[u] for u in retrieved if u in position]] = True
    else:
        in_pool |= text_score > 0
        for g in flat_related:
            at = b.in_field.get(g)
            if at is not None and at.size:
                in_pool[at] = True
    in_pool &= np.isin(b.label, [i for i, lab in enumerate(b.labels) if lab in labels])

    excluded: set[str] = set()
    paths: dict[str, list[PathStep]] = {}
    ent_projects: set[str] = set()
    ent_communities: set[str] = set()
    if enterprise is not None:
        excluded = {enterprise, *f.own_units.get(enterprise, ())}
        paths = _bfs_paths(f, enterprise)
        ent_projects = f.projects_of.get(enterprise, set())
        ent_communities = f.communities_of.get(enterprise, set())
    q = _Query(f=f, index=index, need=need, related=related, flat_related=flat_related,
               text_score=text_score, enterprise=enterprise, paths=paths,
               ent_projects=ent_projects, ent_communities=ent_communities,
               field_name_keys={normalize_name(n) for n in need.field_names})
    for uid in excluded:
        if uid in position:
            in_pool[position[uid]] = False
    at = np.flatnonzero(in_pool)
    if region:
        at = np.array([i for i in at if _in_region(f, index.uids[i], region)], dtype=np.int64)
    # Exact top-k with an upper bound of each candidate's score (_bound): candidates are
    # evaluated in descending order of it and the walk stops once it falls below the
    # k-th score found. The bound holds the exact capacity and field components, so a
    # broad field's thousands of members without a word of the need fall below the
    # first good matches and are never evaluated.
    bound = _bound(b, need, related, flat_related, text_score)[at]
    order = np.lexsort((at, -bound))  # ties in index order: a fixed walk
    whole = frozenset(t for t, w in need.token_weights.items() if w >= 1.0)
    ranked: list[tuple[float, str, str]] = []
    kth = -1.0
    for i in order:
        if float(bound[i]) < kth - 1e-9:
            break
        uid = index.uids[at[i]]
        comp, _ = _evaluate(q, uid, explain=False)
        # a fit needs a field or a whole word of the need: parts alone (加工 of 深加工)
        # rank, but do not qualify
        if comp["field"] <= 0 and not (whole & index.doc_terms[position[uid]]):
            continue
        score = sum(need.weights[k] * comp[k] for k in COMPONENTS)
        if score >= min_score:
            # rounding before sorting makes float noise unable to reorder equal scores
            bisect.insort(ranked, (-round(score, 9), f.name(uid), uid))
            if len(ranked) >= top:
                del ranked[top:]
                kth = -ranked[-1][0]
    count = int(at.size)
    ranked.sort()
    return MatchResult(need=need, matches=[_explain(q, uid) for *_, uid in ranked[:top]],
                       scored=count, retrieval="store" if retrieved is not None else "index")


@dataclass(frozen=True)
class _Query:
    """What one query computes once and every candidate's evaluation reads."""

    f: _Facts
    index: TextIndex
    need: Need
    related: Mapping[str, Mapping[str, _Related]]
    flat_related: Mapping[str, float]
    text_score: np.ndarray
    enterprise: str | None
    paths: Mapping[str, list[PathStep]]
    ent_projects: set[str]
    ent_communities: set[str]
    field_name_keys: set[str]


@dataclass
class _Explanation:
    notes: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)
    path: list[PathStep] = field(default_factory=list)


def _evaluate(q: _Query, uid: str, *, explain: bool) -> tuple[dict[str, float], _Explanation]:
    """The components of one candidate; with ``explain``, also what the reason says.

    Ranking evaluates every candidate in the pool without the explanation (whole-term
    keyword extraction is the costly part); only the ``top`` get explained.
    """
    f, need = q.f, q.need
    comp = dict.fromkeys(COMPONENTS, 0.0)
    ex = _Explanation()
    pos = q.index.position[uid]
    comp["text"] = float(q.text_score[pos])
    if explain:
        doc_terms = q.index.doc_terms[pos]
        matched = maximal_terms(t for t in need.tokens if t in doc_terms)
        ex.matched = [t for t in matched if normalize_name(t) not in q.field_name_keys]
        if ex.matched:
            ex.notes.append(f"关键词匹配:{'、'.join(ex.matched[:MAX_SHOWN_KEYWORDS])}")
    comp["field"], ex.shared, field_notes = _field_component(f, uid, need.fields, q.related)
    ex.notes += field_notes
    if q.enterprise is not None:
        ent = q.enterprise
        ex.path = q.paths.get(uid, [])
        hop = HOP_SCORE.get(len(ex.path) - 1, 0.0) if ex.path else 0.0
        shared_projects = f.projects_of.get(uid, set()) & q.ent_projects
        coop = uid in f.cooperates.get(ent, set()) or bool(shared_projects)
        theirs = set(f.communities_of.get(uid, set()))
        for host in f.hosts_of.get(uid, ()):
            theirs |= f.communities_of.get(host, set())
        common = sorted(theirs & q.ent_communities, key=f.order)
        comp["proximity"] = (PROXIMITY_PARTS["hop"] * hop
                             + PROXIMITY_PARTS["coop"] * float(coop)
                             + PROXIMITY_PARTS["community"] * float(bool(common)))
        if coop:
            ex.notes.append("曾与需求企业合作" + _coop_detail(f.coop_years.get((ent, uid)),
                                                            len(shared_projects)))
        if ex.path and not coop:  # cooperation already says why they are close
            ex.notes.append(f"与需求企业的关系路径({len(ex.path) - 1}跳):"
                            f"{_path_text(ex.path)}")
        if common:
            ex.notes.append(f"与需求企业同属{'、'.join(f.name(c) for c in common)}")
    if need.fields:
        comp["track_record"], recent, total = _track_record(f, uid, q.flat_related,
                                                            f.latest_year)
        if recent:
            more = f"(累计{total}项)" if total > recent else ""
            ex.notes.append(f"近{RECENT_YEARS}年参与该领域项目{recent}项{more}")
        elif total:
            ex.notes.append(f"参与该领域项目{total}项(近{RECENT_YEARS}年无)")
    comp["capacity"], cap_notes = _capacity(f, uid)
    ex.notes += cap_notes
    return comp, ex


def _explain(q: _Query, uid: str) -> Match:
    """The full result for one ranked candidate."""
    comp, ex = _evaluate(q, uid, explain=True)
    score = sum(q.need.weights[k] * comp[k] for k in COMPONENTS)
    rec = q.f.nodes[uid]
    return Match(uid=uid, label=str(rec.get("label")), name=q.f.name(uid),
                 score=round(score, 4), components={k: round(v, 4) for k, v in comp.items()},
                 matched_keywords=ex.matched, shared_fields=ex.shared, path=ex.path,
                 reason=_sentence(ex.notes))


def _sentence(notes: Sequence[str]) -> str:
    """Join the notes into one line, in the house style of the API texts (ASCII ``:`` and ``;``)."""
    return ";".join(notes)


__all__ = ["COMPONENTS", "KINDS", "MATCH_LABELS", "MAX_TOP", "WEIGHTS", "Match", "MatchError",
           "MatchResult", "Need", "PathStep", "TextIndex", "forget", "match", "prepare"]
