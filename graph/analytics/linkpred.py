"""Link prediction on the cooperation graph: classic scores and innograph's recommender.

The cooperation graph joins two actors that took part in the same project; its
adjacency matrix ``A`` (binary) and its weight matrix ``W`` (shared projects)
are scipy sparse matrices indexed by actor. For a source ``s`` and candidate ``c``:

* common neighbours  ``CN(s,c) = |N(s) ∩ N(c)| = (A A)[s,c]``
* Adamic-Adar        ``AA(s,c) = Σ_{z ∈ N(s)∩N(c)} 1 / log |N(z)| = (A D_log⁻¹ A)[s,c]``
* resource allocation ``RA(s,c) = Σ_{z ∈ N(s)∩N(c)} 1 / |N(z)| = (A D⁻¹ A)[s,c]``

All three are computed for a batch of sources at once (one sparse product of the
batch's rows with ``A``, ``D_log⁻¹ A`` and ``D⁻¹ A``), paths of length three as
``A · (A A)ᵀ`` on dense blocks of 32 sources; nothing loops over pairs in Python,
and the ranks of test pairs are counted from the sparse rows (the dense ranking of
every actor is never sorted).

innograph's recommender is a cascade. A first stage (a logistic regression on cheap
pair features: the classic scores, Jaccard, paths of length three, field
similarity, the candidate's degree and activity, the types' prior) scores every
actor for a source; its best 200, the best 200 2-hop actors by RA, the 200 with
the most paths of length three and the 50 most active actors form a bounded pool,
which a gradient-boosted classifier ranks over the full pair features (those,
weighted RA, the source's degree and the first stage's score). Both are trained
on an earlier time split of the same data: the graph up to ``train_until -
horizon`` predicts the links new in the following ``horizon`` years, the
classifier on a bounded sample of examples. The actors outside the pool follow,
ordered by activity. Nothing is tuned to a particular data set, and equal inputs
give equal rankings (seeded samples, ties to the lower actor index).

>>> P = Participation
>>> rows = [P("p1", "a", "enterprise", 2018), P("p1", "b", "university", 2018),
...         P("p2", "b", "university", 2019), P("p2", "c", "enterprise", 2019)]
>>> g = CoopGraph.build(rows, until=2019)
>>> s = classic_scores(g, g.index["a"])
>>> float(s["cn"][g.index["c"]]), round(float(s["ra"][g.index["c"]]), 3)
(1.0, 0.5)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

MIN_PROJECT = 2
MAX_PROJECT = 50
CLASSIC = ("cn", "aa", "ra")
BATCH = 128
"""Sources scored together: one sparse product per score and batch."""


class Participation(NamedTuple):
    """One row of a participation table."""

    project: str
    actor: str
    actor_type: str
    year: int
    field: str = ""


def _codes(values: list[str]) -> tuple[list[str], np.ndarray]:
    """Sorted distinct values and the code of each value."""
    names = sorted(set(values))
    index = {v: i for i, v in enumerate(names)}
    return names, np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))


@dataclass
class ParticipationTable:
    """A participation table as integer columns (built once, filtered by year many times).

    Actor, project, type and field names are sorted; ``actor[i]`` etc. are codes into
    them, row by row in the order given. The empty field is a field name like any other.
    """

    project: np.ndarray
    actor: np.ndarray
    actor_type: np.ndarray
    year: np.ndarray
    field: np.ndarray
    projects: list[str]
    actors: list[str]
    types: list[str]
    fields: list[str]

    @classmethod
    def from_rows(cls, rows: Iterable[Participation]) -> ParticipationTable:
        """Columns of ``rows`` (any iterable of :class:`Participation`)."""
        rows = rows if isinstance(rows, list | tuple) else list(rows)
        return cls.from_columns([r.project for r in rows], [r.actor for r in rows],
                                [r.actor_type for r in rows], [r.year for r in rows],
                                [r.field for r in rows])

    @classmethod
    def from_columns(cls, project: list[str], actor: list[str], actor_type: list[str],
                     year: list[int], field: list[str]) -> ParticipationTable:
        """The table of the rows whose values are the lists' items at one position (what
        :meth:`from_rows` gives for those rows, without making them)."""
        projects, pcode = _codes(project)
        actors, acode = _codes(actor)
        types, tcode = _codes(actor_type)
        fields, fcode = _codes(field)
        years = np.fromiter(year, dtype=np.int64, count=len(year))
        return cls(pcode, acode, tcode, years, fcode, projects, actors, types, fields)

    def __len__(self) -> int:
        return len(self.year)

    @property
    def latest_year(self) -> int:
        """The latest year of a row (0 for an empty table)."""
        return int(self.year.max()) if len(self.year) else 0


def as_table(rows: Iterable[Participation] | ParticipationTable) -> ParticipationTable:
    """``rows`` as a :class:`ParticipationTable` (unchanged if it is one)."""
    return rows if isinstance(rows, ParticipationTable) else ParticipationTable.from_rows(rows)


def _members(project: np.ndarray, actor: np.ndarray, n_actors: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (project, actor) pairs, sorted by project then actor."""
    key = sorted_unique(project * n_actors + actor)
    return key // n_actors, key % n_actors


def _cooperation(project: np.ndarray, actor: np.ndarray, size: np.ndarray,
                 n: int) -> sp.csr_matrix:
    """Shared projects per actor pair: ``BᵀB`` without its diagonal, B = project × actor.

    ``project`` and ``actor`` are distinct pairs (actor an index < n, or -1 for a
    member outside the graph); ``size`` the member count per project code. Only
    projects of MIN_PROJECT..MAX_PROJECT members count.
    """
    keep = (actor >= 0) & (size[project] >= MIN_PROJECT) & (size[project] <= MAX_PROJECT)
    p, a = project[keep], actor[keep]
    n_proj = int(p.max()) + 1 if len(p) else 0
    b = sp.csr_matrix((np.ones(len(p)), (p, a)), shape=(n_proj, n))
    m = (b.T @ b).tocoo()
    off = m.row != m.col
    w = sp.csr_matrix((m.data[off], (m.row[off], m.col[off])), shape=(n, n))
    w.sum_duplicates()
    return w


@dataclass
class CoopGraph:
    """The cooperation graph of the projects up to a year, as sparse matrices."""

    actors: list[str]
    index: dict[str, int]
    types: list[str] | tuple[str, ...]
    adjacency: sp.csr_matrix
    weights: sp.csr_matrix
    last_active: np.ndarray
    recent: np.ndarray
    projects: np.ndarray
    fields: sp.csr_matrix
    until: int
    type_prior: dict[tuple[str, str], float] = field(default_factory=dict)
    _engine: _Engine | None = field(default=None, repr=False, compare=False)
    _codes_kept: tuple[tuple[str, ...], list[str], np.ndarray] | None = field(
        default=None, repr=False, compare=False)

    @property
    def degree(self) -> np.ndarray:
        """Number of distinct partners per actor."""
        deg: np.ndarray = self.engine.deg
        return deg

    @property
    def engine(self) -> _Engine:
        """The precomputed matrices of the batch scorer (built on first use)."""
        if self._engine is None or self._engine.adjacency is not self.adjacency:
            self._engine = _Engine(self)
        return self._engine

    @classmethod
    def build(cls, rows: Iterable[Participation] | ParticipationTable, *, until: int,
              actors: Sequence[str] | None = None, recent_years: int = 2) -> CoopGraph:
        """Build the graph of projects with 2–50 participants and year <= ``until``.

        Every actor of ``actors`` (default: every actor seen up to ``until``) gets an
        index, even without partners. ``rows`` may be a :class:`ParticipationTable`,
        which saves converting the same rows for every split.
        """
        t = as_table(rows)
        m = t.year <= until
        act, proj, year = t.actor[m], t.project[m], t.year[m]
        n_all = len(t.actors)
        seen = sorted_unique(act)
        if actors is None:
            names = [t.actors[c] for c in seen.tolist()]
            to_graph = np.full(n_all, -1, np.int64)
            to_graph[seen] = np.arange(len(seen))
        else:
            names = sorted(actors)
            pos = {a: i for i, a in enumerate(names)}
            to_graph = np.array([pos.get(a, -1) for a in t.actors], dtype=np.int64)
        index = {a: i for i, a in enumerate(names)}
        n = len(names)
        mp, ma = _members(proj, act, max(n_all, 1))
        size = np.bincount(mp, minlength=len(t.projects))
        w = _cooperation(mp, to_graph[ma], size, n)
        adj = w.copy()
        adj.data[:] = 1.0

        gi = to_graph[act]
        inside = gi >= 0
        projects = np.bincount(gi[inside], minlength=n).astype(float)
        recent = np.bincount(gi[inside & (year > until - recent_years)], minlength=n
                             ).astype(float)
        last = np.full(n, until - 100, np.int64)
        np.maximum.at(last, gi[inside], year[inside])
        # an actor's type: that of its first row up to ``until``
        first_code, first_row = np.unique(act, return_index=True)
        type_of = np.full(n_all, -1, np.int64)
        type_of[first_code] = t.actor_type[m][first_row]
        types = ["other"] * n
        for code, g_i in zip(first_code.tolist(), to_graph[first_code].tolist(), strict=True):
            if g_i >= 0:
                types[g_i] = t.types[int(type_of[code])]
        graph = cls(actors=names, index=index, types=types, adjacency=adj, weights=w,
                    until=until, last_active=last.astype(float), recent=recent,
                    projects=projects, fields=_field_shares(t, m, to_graph, n))
        graph.type_prior = _type_prior(graph)
        return graph


def _field_shares(t: ParticipationTable, m: np.ndarray, to_graph: np.ndarray,
                  n: int) -> sp.csr_matrix:
    """Share of each actor's rows (up to the split, with a field) per field."""
    blank = t.fields.index("") if "" in t.fields else -1
    keep = m & (t.field != blank)
    used = sorted_unique(t.field[keep])
    remap = np.full(len(t.fields), -1, np.int64)
    remap[used] = np.arange(len(used))
    a, f = to_graph[t.actor[keep]], remap[t.field[keep]]
    inside = a >= 0
    counts = sp.csr_matrix((np.ones(int(inside.sum())), (a[inside], f[inside])),
                           shape=(n, max(len(used), 1)))
    counts.sum_duplicates()
    total = np.asarray(counts.sum(axis=1)).ravel()
    scale = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)
    shares: sp.csr_matrix = sp.csr_matrix(sp.diags(scale) @ counts)
    return shares


def _type_pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _type_codes(g: CoopGraph) -> tuple[list[str], np.ndarray]:
    """The graph's type names (sorted) and each actor's code. Kept while ``g.types`` is
    the same tuple (a list may be changed in place: read again every time)."""
    kept = g._codes_kept
    if kept is not None and kept[0] is g.types:
        return kept[1], kept[2]
    names, codes = _codes(list(g.types))
    if isinstance(g.types, tuple):
        g._codes_kept = (g.types, names, codes)
    return names, codes


def _type_prior(g: CoopGraph) -> dict[tuple[str, str], float]:
    """Share of cooperation edges between each pair of actor types (symmetric)."""
    names, code = _type_codes(g)
    coo = sp.triu(g.adjacency).tocoo()
    a, b = code[coo.row], code[coo.col]
    k = len(names)
    pairs, counts = np.unique(np.minimum(a, b) * k + np.maximum(a, b), return_counts=True)
    total = int(counts.sum()) or 1
    return {(names[int(p) // k], names[int(p) % k]): int(c) / total
            for p, c in zip(pairs.tolist(), counts.tolist(), strict=True)}


def _scaled_rows(scale: np.ndarray, m: sp.csr_matrix) -> sp.csr_matrix:
    out: sp.csr_matrix = sp.csr_matrix(sp.diags(scale) @ m)
    out.sort_indices()
    return out


class _Engine:
    """Matrices shared by every batch of sources of one graph."""

    def __init__(self, g: CoopGraph) -> None:
        self.adjacency = g.adjacency
        a = g.adjacency
        a.sort_indices()
        self.n = a.shape[0]
        self.deg_int = np.diff(a.indptr).astype(np.int64)
        self.deg = self.deg_int.astype(float)
        inv_log = np.zeros(self.n)
        np.divide(1.0, np.log(self.deg, where=self.deg > 1, out=np.ones(self.n)),
                  out=inv_log, where=self.deg > 1)
        inv = np.divide(1.0, self.deg, out=np.zeros(self.n), where=self.deg > 0)
        self.a_aa = _scaled_rows(inv_log, a)
        self.a_ra = _scaled_rows(inv, a)
        self.a32 = a.astype(np.float32)
        self.fields_t = sp.csr_matrix(g.fields.T)
        self.weights = g.weights
        strength = np.asarray(g.weights.sum(axis=1)).ravel()
        self.w_ra = _scaled_rows(np.divide(1.0, strength, out=np.zeros(self.n),
                                           where=strength > 0), g.weights)
        activity = np.log1p(g.recent * 2 + g.projects)
        self.tiebreak = activity / (activity.max() + 1.0) if self.n else activity
        # the order of the actors outside a pool: by activity, ties by index
        self.rest_order = np.lexsort((np.arange(self.n), -self.tiebreak))
        self.rest_pos = np.empty(self.n, np.int64)
        self.rest_pos[self.rest_order] = np.arange(self.n)
        self.popularity = np.argsort(-(g.recent * 2 + g.projects), kind="stable")
        self.log_deg = np.log1p(self.deg)
        self.log_recent = np.log1p(g.recent)
        self.log_projects = np.log1p(g.projects)
        self.gap = np.minimum(g.until - g.last_active, 20)

    def classic(self, sources: np.ndarray) -> dict[str, sp.csr_matrix]:
        """CN, AA and RA of each source (rows) against every actor, sparse.

        The rows' column indices are not sorted (sorting costs more than the product).
        """
        r = self.adjacency[sources]
        return {name: sp.csr_matrix(r @ right) for name, right in
                (("cn", self.adjacency), ("aa", self.a_aa), ("ra", self.a_ra))}


def _values_at(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``values`` of the sorted ``keys`` at ``query`` (0 where a key is absent)."""
    out = np.zeros(len(query))
    if len(keys):
        at = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
        hit = keys[at] == query
        out[hit] = values[at[hit]]
    return out


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest values, best first, ties to the lower position."""
    if k <= 0:
        return np.empty(0, np.int64)
    n = len(values)
    if n > k:
        # the k-th largest value by a partition of the values (half the time of an
        # argpartition, which sorts an index array along), then everything at or above it
        cand = np.flatnonzero(values >= np.partition(values, n - k)[n - k])
    else:
        cand = np.arange(len(values))
    order: np.ndarray = cand[np.lexsort((cand, -values[cand]))][:k]
    return order


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """``np.unique(a)`` of a 1-D array by sorting: numpy 2's hash-based ``unique`` is
    3-5 times slower on the arrays of a few hundred to thousands of ids met per
    source here (the recommender's fit calls it tens of thousands of times)."""
    s = np.sort(a)
    if len(s) < 2:
        return s
    keep = np.empty(len(s), dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    out: np.ndarray = s[keep]
    return out


def classic_scores(g: CoopGraph, s: int) -> dict[str, np.ndarray]:
    """CN, AA and RA of source ``s`` against every actor (dense vectors of length n)."""
    return {k: v.toarray().ravel() for k, v in g.engine.classic(np.array([s])).items()}


FEATURES = ("cn", "aa", "ra", "jaccard", "wra", "p3", "log_deg_s", "log_deg_c", "log_pa",
            "recent_c", "gap_c", "log_projects_c", "type_prior", "field_sim", "same_type")
STAGE = ("cn", "aa", "ra", "jaccard", "p3", "log_deg_c", "recent_c", "gap_c",
         "log_projects_c", "type_prior", "field_sim", "same_type")
"""The features of the first stage: cheap for every pair of a source with any actor
(dense rows per block of sources),
and varying with the candidate (one of the source alone does not change its ranking)."""
_STAGE_COLS = np.array([FEATURES.index(f) for f in STAGE])
MODEL_FEATURES = (*FEATURES, "first_stage")
"""What the classifier sees: the pair features and the first stage's score."""
_COL = {f: j for j, f in enumerate(FEATURES)}
_ROWS = 32
"""Sources per dense block (rows × actors) of CN, AA, RA and paths of length three."""


@dataclass
class _Batch:
    """Sources scored together, with their classic scores and candidate pools."""

    sources: np.ndarray
    classic: dict[str, sp.csr_matrix]
    blocked: list[np.ndarray]
    """Per source: itself and its partners (never recommended)."""
    pools: list[np.ndarray] = field(default_factory=list)
    proba: np.ndarray | None = None
    """The classifier's probability for every pooled pair, pool after pool."""


@dataclass
class _Block:
    """Dense scores of the sources ``lo:hi`` of a batch against every actor."""

    lo: int
    hi: int
    cn: np.ndarray
    aa: np.ndarray
    ra: np.ndarray
    p3: np.ndarray
    field_sim: np.ndarray
    wra: np.ndarray | None


class _Context:
    """What every batch of one scoring run shares: the graph, allowed types, priors."""

    def __init__(self, g: CoopGraph, candidate_types: set[str] | None = None) -> None:
        self.g = g
        self.e = g.engine
        names, self.tcode = _type_codes(g)
        self.prior = np.array([[g.type_prior.get(_type_pair(a, b), 0.0) for b in names]
                               for a in names]).reshape(len(names), len(names))
        self.type_ok = (np.isin(self.tcode, [i for i, t in enumerate(names)
                                             if t in candidate_types])
                        if candidate_types else np.ones(self.e.n, bool))
        # type-allowed actors among the first k of the rest order, and of the index order
        self.ok_cum_rest = np.concatenate([[0], np.cumsum(self.type_ok[self.e.rest_order])])
        self.ok_cum_index = np.concatenate([[0], np.cumsum(self.type_ok)])
        self._mark = np.zeros(self.e.n, bool)
        self.identity = np.arange(self.e.n)
        self._stage: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def batch(self, sources: Sequence[int] | np.ndarray) -> _Batch:
        src = np.asarray(sources, dtype=np.int64)
        a = self.e.adjacency
        blocked = [np.concatenate([[s], a.indices[a.indptr[s]:a.indptr[s + 1]]])
                   for s in src.tolist()]
        return _Batch(src, self.e.classic(src), blocked)

    def allowed_of(self, blocked: np.ndarray, cand: np.ndarray) -> np.ndarray:
        """Which of ``cand`` may be recommended to the source with ``blocked``."""
        self._mark[blocked] = True
        ok: np.ndarray = self.type_ok[cand] & ~self._mark[cand]
        self._mark[blocked] = False
        return ok

    def allowed_mask(self, blocked: np.ndarray) -> np.ndarray:
        mask = self.type_ok.copy()
        mask[blocked] = False
        return mask

    def hop2(self, b: _Batch, i: int, score: str = "ra") -> tuple[np.ndarray, np.ndarray]:
        """Allowed 2-hop candidates of the i-th source (ascending) and their ``score``."""
        m = b.classic[score]
        lo, hi = m.indptr[i], m.indptr[i + 1]
        cand, val = m.indices[lo:hi], m.data[lo:hi]
        ok = self.allowed_of(b.blocked[i], cand) & (val > 0)
        cand, val = cand[ok], val[ok]
        order = np.argsort(cand)
        return cand[order].astype(np.int64), val[order]

    def blocks(self, b: _Batch, *, wra: bool = False) -> Iterator[_Block]:
        """The batch in dense blocks of :data:`_ROWS` sources (paths of length three
        as ``A · (A A)ᵀ``, one sparse-times-dense product per block)."""
        e = self.e
        wrows = sp.csr_matrix(e.weights[b.sources] @ e.w_ra) if wra else None
        for lo in range(0, len(b.sources), _ROWS):
            hi = min(lo + _ROWS, len(b.sources))
            cn = b.classic["cn"][lo:hi].toarray()
            p3 = np.asarray(e.a32 @ cn.T.astype(np.float32)).T
            fsim = (self.g.fields[b.sources[lo:hi]] @ e.fields_t).toarray()
            yield _Block(lo, hi, cn, b.classic["aa"][lo:hi].toarray(),
                         b.classic["ra"][lo:hi].toarray(), p3, fsim,
                         wrows[lo:hi].toarray() if wrows is not None else None)

    def stage_scores(self, b: _Batch, blk: _Block, stage: np.ndarray | None) -> np.ndarray:
        """The first stage's score of every actor for the block's sources (-inf where
        not allowed); without a stage, RA on the 2-hop actors."""
        e = self.e
        if stage is None:
            out = np.where(blk.ra > 0, blk.ra, -np.inf)
        else:
            if self._stage is None or self._stage[0] is not stage:
                # the part of the score that depends on the candidate (and source type) only
                cand = sum((stage[_COL[f]] * v for f, v in (
                    ("log_deg_c", e.log_deg), ("recent_c", e.log_recent), ("gap_c", e.gap),
                    ("log_projects_c", e.log_projects))), np.zeros(e.n))
                types = np.arange(len(self.prior))[:, None]
                by_type = (stage[_COL["type_prior"]] * self.prior[:, self.tcode]
                           + stage[_COL["same_type"]] * (types == self.tcode[None, :]))
                self._stage = (stage, np.asarray(cand), np.asarray(by_type) + cand[None, :])
            src = b.sources[blk.lo:blk.hi]
            union = e.deg[src][:, None] + e.deg[None, :] - blk.cn
            jac = np.divide(blk.cn, union, out=np.zeros_like(blk.cn), where=union > 0)
            out = (stage[_COL["cn"]] * blk.cn + stage[_COL["aa"]] * blk.aa
                   + stage[_COL["ra"]] * blk.ra + stage[_COL["jaccard"]] * jac
                   + stage[_COL["p3"]] * np.log1p(blk.p3)
                   + stage[_COL["field_sim"]] * blk.field_sim + self._stage[2][self.tcode[src]])
        out[:, ~self.type_ok] = -np.inf
        for r in range(blk.hi - blk.lo):
            out[r, b.blocked[blk.lo + r]] = -np.inf
        return out

    def pools(self, b: _Batch, *, stage: np.ndarray | None, size: int, popular: int,
              choose: Callable[[int, np.ndarray], np.ndarray] | None = None,
              hop2: int = 0, hop3: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
        """Fill ``b.pools`` with the allowed actors among: the ``size`` best by the first
        stage ``stage`` (linear weights over :data:`FEATURES`), the ``hop2`` best 2-hop
        ones by RA, the ``hop3`` with the most paths of length three and the
        ``popular`` most active. Return the candidates ``choose(i, pool)`` (default:
        the pool) of each source and their rows of :data:`MODEL_FEATURES`."""
        pop = self.e.popularity[:popular]
        chosen: list[np.ndarray] = []
        feats: list[np.ndarray] = []
        b.pools = []
        for blk in self.blocks(b, wra=True):
            s1 = self.stage_scores(b, blk, stage)
            rows = []
            for r in range(blk.hi - blk.lo):
                i = blk.lo + r
                top = _top(s1[r], size)
                top = top[np.isfinite(s1[r, top])]
                parts = [top, pop[self.allowed_of(b.blocked[i], pop)]]
                allowed = np.isfinite(s1[r])
                for k, score in ((hop2, blk.ra[r]), (hop3, blk.p3[r])):
                    if k:  # the best among the few actors with a score, not all
                        near = np.flatnonzero(allowed & (score > 0))
                        parts.append(near[_top(score[near], k)])
                pool = sorted_unique(np.concatenate(parts))
                b.pools.append(pool)
                rows.append(choose(i, pool) if choose is not None else pool)
            chosen += rows
            feats.append(self._features(b, blk, rows, s1))
        x = np.vstack(feats) if feats else np.empty((0, len(MODEL_FEATURES)), np.float32)
        return chosen, x

    def features(self, b: _Batch, cands: Sequence[np.ndarray]) -> np.ndarray:
        """Feature rows (float32) of every (source, candidate) pair of the batch, in order."""
        feats = [self._features(b, blk, cands[blk.lo:blk.hi])
                 for blk in self.blocks(b, wra=True)]
        return np.vstack(feats) if feats else np.empty((0, len(FEATURES)), np.float32)

    def _features(self, b: _Batch, blk: _Block, cands: Sequence[np.ndarray],
                  first: np.ndarray | None = None) -> np.ndarray:
        """Feature rows of the block's sources with their ``cands``, source by source;
        with the block's first-stage scores ``first``, rows of :data:`MODEL_FEATURES`
        (a score that is not finite becomes NaN, a missing value to the classifier)."""
        e = self.e
        sizes = np.array([len(c) for c in cands], dtype=np.int64)
        rel = np.repeat(np.arange(len(cands), dtype=np.int64), sizes)
        pc = np.concatenate(list(cands)).astype(np.int64) if len(cands) else rel
        src = b.sources[blk.lo + rel]
        flat = rel * e.n + pc
        x = np.empty((len(pc), len(FEATURES) + (first is not None)), dtype=np.float32)
        if first is not None:
            x[:, -1] = first.ravel()[flat]
            x[~np.isfinite(x[:, -1]), -1] = np.nan
        cn = blk.cn.ravel()[flat]
        union = e.deg[src] + e.deg[pc] - cn
        ts, tc = self.tcode[src], self.tcode[pc]
        for name, col in (
                ("cn", cn), ("aa", blk.aa.ravel()[flat]), ("ra", blk.ra.ravel()[flat]),
                ("jaccard", np.divide(cn, union, out=np.zeros_like(union), where=union > 0)),
                ("wra", blk.wra.ravel()[flat] if blk.wra is not None else 0.0),
                ("p3", np.log1p(blk.p3.ravel()[flat])), ("log_deg_s", e.log_deg[src]),
                ("log_deg_c", e.log_deg[pc]), ("log_pa", e.log_deg[src] + e.log_deg[pc]),
                ("recent_c", e.log_recent[pc]), ("gap_c", e.gap[pc]),
                ("log_projects_c", e.log_projects[pc]), ("type_prior", self.prior[ts, tc]),
                ("field_sim", blk.field_sim.ravel()[flat]),
                ("same_type", ts == tc)):
            x[:, _COL[name]] = col
        return x


def pair_features(g: CoopGraph, s: int, cands: np.ndarray) -> np.ndarray:
    """Feature matrix (len(cands) x len(FEATURES)) for source ``s``."""
    ctx = _Context(g)
    return ctx.features(ctx.batch([s]), [np.asarray(cands, dtype=np.int64)])


def candidate_pool(g: CoopGraph, s: int, allowed: np.ndarray, *, popular: np.ndarray,
                   size: int = 200, stage: np.ndarray | None = None, hop2: int = 200,
                   hop3: int = 200) -> np.ndarray:
    """Candidates worth scoring with the model (ascending).

    ``allowed`` is a boolean mask of actors that may be recommended (not the source,
    not already linked, of a wanted type). The allowed ones among: the ``size`` best
    by the first stage ``stage`` (weights over :data:`FEATURES`, see
    :attr:`Recommender.stage`; without one, 2-hop actors by RA), the ``hop2`` best
    2-hop actors by RA, the ``hop3`` with the most paths of length three, and
    ``popular``.
    """
    ctx = _Context(g)
    ctx.type_ok = allowed.copy()
    b = ctx.batch([s])
    ctx.pools(b, stage=stage, size=size, popular=0, hop2=hop2, hop3=hop3)
    pool: np.ndarray = sorted_unique(np.concatenate(
        [b.pools[0], popular[allowed[popular]]])).astype(np.int64)
    return pool


def new_links(rows: Iterable[Participation] | ParticipationTable, *, after: int,
              until: int | None, known: CoopGraph) -> dict[int, set[int]]:
    """Pairs first co-participating in (after, until], both known, not linked before."""
    t = as_table(rows)
    m = t.year > after
    if until is not None:
        m &= t.year <= until
    to_graph = np.array([known.index.get(a, -1) for a in t.actors], dtype=np.int64)
    gi = to_graph[t.actor[m]]
    inside = gi >= 0
    p, a = _members(t.project[m][inside], gi[inside], max(len(known.actors), 1))
    size = np.bincount(p, minlength=len(t.projects))
    w = _cooperation(p, a, size, len(known.actors)).tocoo()
    active = known.projects > 0
    keep = active[w.row] & active[w.col]
    r, c = w.row[keep], w.col[keep]
    linked = (np.asarray(known.adjacency[r, c]).ravel() != 0 if len(r)
              else np.zeros(0, bool))
    r, c = r[~linked], c[~linked]
    out: dict[int, set[int]] = {}
    order = np.lexsort((c, r))
    r, c = r[order], c[order]
    bounds = np.flatnonzero(np.diff(r)) + 1
    for rr, cc in zip(np.split(r, bounds), np.split(c, bounds), strict=True):
        if len(rr):
            out[int(rr[0])] = set(cc.tolist())
    return out


@dataclass
class _Ranked:
    """One source's ranking: ``pool`` ranks first by ``scores``, then every other
    allowed actor by activity (ties by index), all scoring ``rest`` there."""

    source: int
    pool: np.ndarray
    scores: np.ndarray
    blocked: np.ndarray
    rest: np.ndarray


def _ranks(ctx: _Context, pool: np.ndarray, scores: np.ndarray, blocked: np.ndarray,
           targets: np.ndarray, *, by_activity: bool) -> list[int]:
    """1-based ranks of ``targets`` (all allowed) in the ranking ``pool`` (ascending)
    first, by score with ties to the lower index, then the other allowed actors by
    activity or by index.

    The same ranks as :func:`rank_of` on the dense score vector, in
    O((pool + partners) · log) instead of O(actors) per target.
    """
    out = np.empty(len(targets), np.int64)
    at = np.minimum(np.searchsorted(pool, targets), max(len(pool) - 1, 0))
    hit = pool[at] == targets if len(pool) else np.zeros(len(targets), bool)
    if hit.any():
        where, value = at[hit], scores[at[hit]]
        srt = np.sort(scores)
        above = np.searchsorted(srt, value, side="right")
        ties = np.zeros(len(where), np.int64)
        for chunk in np.array_split(np.flatnonzero(above - np.searchsorted(srt, value) > 1),
                                    max(1, len(where) // 256)):
            if len(chunk):  # equal scores earlier in the (ascending) pool rank first
                same = scores[None, :] == value[chunk, None]
                ties[chunk] = (same & (np.arange(len(pool))[None, :] < where[chunk, None])
                               ).sum(axis=1)
        out[hit] = len(pool) - above + ties + 1
    if not hit.all():
        key = ctx.e.rest_pos if by_activity else ctx.identity
        cum = ctx.ok_cum_rest if by_activity else ctx.ok_cum_index
        k = key[targets[~hit]]
        # allowed actors outside the pool that come before the target in the rest order
        before = (cum[k] - np.searchsorted(np.sort(key[blocked[ctx.type_ok[blocked]]]), k)
                  - np.searchsorted(np.sort(key[pool]), k))
        out[~hit] = len(pool) + before + 1
    return [int(x) for x in out]


def _top_ranked(ctx: _Context, r: _Ranked, k: int) -> list[tuple[int, float]]:
    """The ``k`` best (actor, score) of a ranking."""
    order = np.lexsort((r.pool, -r.scores))[:k]
    out = [(int(r.pool[i]), float(r.scores[i])) for i in order]
    if len(out) < k:
        taken = np.concatenate([r.pool, r.blocked])
        need = k - len(out)
        rest = ctx.e.rest_order[:need + len(taken)]
        rest = rest[ctx.type_ok[rest] & ~np.isin(rest, taken)]
        if len(rest) < need:  # many excluded among the first: take the full order
            rest = ctx.e.rest_order[ctx.type_ok[ctx.e.rest_order]
                                    & ~np.isin(ctx.e.rest_order, taken)]
        out += [(int(c), float(r.rest[c])) for c in rest[:need]]
    return out


def _sample(rng: np.random.Generator, cands: np.ndarray, positives: set[int],
            negatives: int) -> tuple[np.ndarray, np.ndarray]:
    """The positives among ``cands`` and at most ``negatives`` sampled others, labelled."""
    cands = sorted_unique(cands)
    pos = cands[np.isin(cands, np.array(sorted(positives), dtype=np.int64),
                        assume_unique=True)]
    neg = cands[~np.isin(cands, pos, assume_unique=True)]
    if len(neg) > negatives:
        neg = rng.choice(neg, size=negatives, replace=False)
    return (np.concatenate([pos, neg]).astype(np.int64),
            np.concatenate([np.ones(len(pos)), np.zeros(len(neg))]))


@dataclass
class _Split:
    graph: CoopGraph
    labels: dict[int, set[int]]
    sources: list[int]
    held: set[int]


@dataclass
class Recommender:
    """innograph's recommender: a classifier over :data:`MODEL_FEATURES`, a fallback.

    Ranking is a cascade: a linear first stage over the :data:`STAGE` features scores
    every actor for a source; its best :attr:`pool_size`, the best 2-hop actors by RA
    (:attr:`hop2_size`), the actors with the most paths of length three
    (:attr:`hop3_size`) and the :attr:`popular_size` most active actors form the pool
    the classifier scores (at most 650 actors per source with the defaults).
    """

    model: object | None = None
    popular_size: int = 50
    mode: str = "model"
    """What ranks: ``model`` (the classifier), ``blend`` (its rank averaged with
    Adamic-Adar's over the pool) or one classic score (``cn``, ``aa``, ``ra``);
    chosen by :meth:`fit`."""
    validation: dict[str, float] = field(default_factory=dict)
    """MRR of each mode on the held-out sources of the latest split."""
    pool_size: int = 200
    """The first stage's best this many join a source's pool."""
    stage: np.ndarray | None = None
    """Weights of the first stage over :data:`FEATURES` (0 outside :data:`STAGE`), a
    logistic regression fitted by :meth:`fit`; None: 2-hop actors by RA."""
    hop2_size: int = 200
    """So do the 2-hop actors with the highest RA, at most this many."""
    hop3_size: int = 200
    """And the actors with the most paths of length three, at most this many."""
    negatives: int = 100
    """Sampled negatives per training source."""
    train_pool_size: int = 2000
    """The classifier's training negatives come from a pool with this many of the
    first stage's best (wider than :attr:`pool_size`: examples from a narrow pool
    teach it only fine distinctions)."""
    stage_sources: int = 1000
    """Sources of the latest split the first stage learns from."""
    max_examples: int = 400_000
    """The classifier learns from at most this many examples (a seeded sample)."""

    def fit(self, rows: Sequence[Participation] | ParticipationTable, *, train_until: int,
            horizon: int = 1, max_sources: int = 2000, seed: int = 0, splits: int = 3,
            holdout: float = 0.3) -> Recommender:
        """Learn the feature combination on earlier time splits, then pick what ranks.

        Split ``c`` (c = train_until - horizon, then one and two years earlier, up to
        ``splits``) builds the graph up to ``c`` and labels the pairs new in
        (c, c + horizon]. The first stage learns from the latest split (positives
        and sampled negatives); the classifier's examples come from the candidate
        pool, the set it ranks at prediction time. A share ``holdout`` of
        the latest split's sources is kept out of training; on them the classifier,
        its blend with Adamic-Adar and each classic score are compared by MRR, and
        the best becomes :attr:`mode` (so on data where the learned combination does
        not help, the recommender is at least the best classic score). The
        classifier is then refitted on every example.
        """
        table = as_table(rows)
        rng = np.random.default_rng(seed)
        done: list[_Split] = []
        for back in range(splits):
            cut = train_until - horizon - back
            g = CoopGraph.build(table, until=cut)
            if not g.adjacency.nnz:
                break
            labels = new_links(table, after=cut, until=cut + horizon, known=g)
            sources = sorted(labels)
            if len(sources) > max_sources:
                sources = sorted(rng.choice(sources, size=max_sources, replace=False).tolist())
            out: set[int] = set()
            if back == 0:
                n_out = int(len(sources) * holdout)
                out = set(rng.choice(sources, size=n_out, replace=False).tolist()) if n_out \
                    else set()
            done.append(_Split(g, labels, sources, out))
        self.stage = self._fit_stage(done[0], rng, seed) if done else None
        train: list[tuple[np.ndarray, np.ndarray]] = []
        held: list[tuple[np.ndarray, np.ndarray]] = []
        for k, split in enumerate(done):
            ctx = _Context(split.graph)
            for start in range(0, len(split.sources), BATCH):
                b = ctx.batch(split.sources[start:start + BATCH])
                ys: list[np.ndarray] = []

                def pick(i: int, pool: np.ndarray, b: _Batch = b, split: _Split = split,
                         ys: list[np.ndarray] = ys) -> np.ndarray:
                    cands, y = _sample(rng, pool, split.labels[int(b.sources[i])],
                                       self.negatives)
                    ys.append(y)
                    return cands

                _, x = ctx.pools(b, stage=self.stage, size=self.train_pool_size,
                                 popular=self.popular_size, choose=pick,
                                 hop2=self.hop2_size, hop3=self.hop3_size)
                offset = 0
                for s, y in zip(b.sources.tolist(), ys, strict=True):
                    if len(y):
                        (held if s in split.held else train).append(
                            (x[offset:offset + len(y)], y))
                    offset += len(y)
            if k:  # release the split's matrices (the latest one is validated on)
                del ctx
                split.graph._engine = None
        if not (done and done[0].held):
            self.model = _train(train, seed, self.max_examples)
            self.mode = "model" if self.model is not None else "ra"
            return self
        # The refit on every example does not depend on the validation's verdict, only
        # its use does: it runs in a second thread while the model without the held-out
        # sources is trained and validated (the boosting releases the GIL; each fit is
        # one OpenMP thread, so each is the fit it would be alone). The winning model is
        # the same as fitting one after the other; on two cores it comes a fit sooner.
        with ThreadPoolExecutor(max_workers=1) as pool:
            refit = pool.submit(_train, train + held, seed, self.max_examples)
            self.model = _train(train, seed, self.max_examples)
            self.validation = self._validate(done[0])
            everything = refit.result()
        # ties go to the simpler ranking (classic scores are listed last)
        self.mode = max(self.validation, key=lambda m: (self.validation[m], m in CLASSIC))
        if self.mode in ("model", "blend"):
            self.model = everything
        return self

    def _fit_stage(self, split: _Split, rng: np.random.Generator,
                   seed: int) -> np.ndarray | None:
        """The first stage, learnt on up to :attr:`stage_sources` training sources of
        ``split``: their positives against sampled actors, half of them within three
        hops (the ones a pool must tell apart), half anywhere."""
        ctx = _Context(split.graph)
        learn = [s for s in split.sources if s not in split.held][:self.stage_sources]
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        for start in range(0, len(learn), BATCH):
            b = ctx.batch(learn[start:start + BATCH])
            for blk in ctx.blocks(b):
                rows = []
                for r in range(blk.hi - blk.lo):
                    i = blk.lo + r
                    allowed = ctx.allowed_mask(b.blocked[i])
                    pos = np.array(sorted(split.labels[int(b.sources[i])]), dtype=np.int64)
                    pos = pos[allowed[pos]]
                    allowed[pos] = False
                    near = np.flatnonzero(allowed & ((blk.cn[r] > 0) | (blk.p3[r] > 0)))
                    anywhere = np.flatnonzero(allowed)
                    half = self.negatives // 2
                    neg = sorted_unique(np.concatenate([
                        rng.choice(near, size=min(half, len(near)), replace=False),
                        rng.choice(anywhere, size=min(half, len(anywhere)), replace=False)]))
                    rows.append(np.concatenate([pos, neg]).astype(np.int64))
                    ys.append(np.concatenate([np.ones(len(pos)), np.zeros(len(neg))]))
                xs.append(ctx._features(b, blk, rows)[:, _STAGE_COLS])
        return _fit_stage(xs, ys, seed)

    def _validate(self, split: _Split) -> dict[str, float]:
        """MRR of each mode on the held-out sources of ``split``."""
        ctx = _Context(split.graph)
        sources = sorted(split.held)
        modes = (("model", "blend") if self.model is not None else ()) + CLASSIC
        ranks: dict[str, dict[int, list[int]]] = {m: {} for m in modes}
        for start in range(0, len(sources), BATCH):
            b = ctx.batch(sources[start:start + BATCH])
            for mode in modes:
                for r in self._rank_batch(ctx, b, mode):
                    targets = np.array(sorted(split.labels[r.source]), dtype=np.int64)
                    ranks[mode][r.source] = _ranks(ctx, r.pool, r.scores, r.blocked,
                                                   targets, by_activity=True)
        return {m: evaluate(ranks[m]).mrr for m in modes}

    def _predict(self, x: np.ndarray) -> np.ndarray:
        # one thread: on the shared 2-core machine a second OpenMP thread made the
        # predictions slower, not faster (predictions do not depend on it)
        with threadpool_limits(limits=1):
            proba: np.ndarray = self.model.predict_proba(x)[:, 1]  # type: ignore[attr-defined]
        return proba

    def _rank_batch(self, ctx: _Context, b: _Batch, mode: str | None = None
                    ) -> Iterator[_Ranked]:
        """The ranking of each source of the batch by ``mode`` (default: :attr:`mode`)."""
        mode = mode or self.mode
        e = ctx.e
        if mode in CLASSIC or self.model is None:
            name = mode if mode in CLASSIC else "ra"
            rest = 1e-6 * e.tiebreak
            for i, s in enumerate(b.sources.tolist()):
                cand, val = ctx.hop2(b, i, name)
                yield _Ranked(s, cand, val + rest[cand], b.blocked[i], rest)
            return
        rest = -10.0 + e.tiebreak
        if b.proba is None:
            _, x = ctx.pools(b, stage=self.stage, size=self.pool_size,
                             popular=self.popular_size, hop2=self.hop2_size,
                             hop3=self.hop3_size)
            b.proba = self._predict(x) if len(x) else np.empty(0)
        offset = 0
        for i, s in enumerate(b.sources.tolist()):
            pool = b.pools[i]
            sc = b.proba[offset:offset + len(pool)].astype(float)
            offset += len(pool)
            if mode == "blend" and len(pool):
                aa = _values_at(*ctx.hop2(b, i, "aa"), pool)
                sc = _rank_blend(sc, aa + 1e-6 * e.tiebreak[pool])
            yield _Ranked(s, pool, sc, b.blocked[i], rest)

    def score_many(self, g: CoopGraph, sources: Sequence[int], *,
                   candidate_types: set[str] | None = None,
                   chunk: int = BATCH) -> Iterator[tuple[int, np.ndarray]]:
        """(source, scores) for each source; one batch of sparse products and one
        prediction per ``chunk`` sources.

        A score exists for every actor (-inf where not allowed); higher ranks first.
        With the classifier, actors outside the candidate pool are ordered by activity
        below every pooled one; a classic score breaks its ties by activity.
        """
        ctx = _Context(g, candidate_types)
        for start in range(0, len(sources), chunk):
            b = ctx.batch(sources[start:start + chunk])
            for r in self._rank_batch(ctx, b):
                scores = np.where(ctx.allowed_mask(r.blocked), r.rest, -np.inf)
                scores[r.pool] = r.scores
                yield r.source, scores

    def score(self, g: CoopGraph, s: int, *,
              candidate_types: set[str] | None = None) -> np.ndarray:
        """A score for every actor (-inf where not allowed); higher ranks first."""
        return next(self.score_many(g, [s], candidate_types=candidate_types))[1]


def _fit_stage(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray],
               seed: int) -> np.ndarray | None:
    """Weights over :data:`FEATURES` of a logistic regression on the :data:`STAGE`
    columns ``xs`` (standardised) and labels ``ys``; None if too few positives."""
    from sklearn.linear_model import LogisticRegression

    y = np.concatenate(ys) if ys else np.empty(0)
    if len(np.unique(y)) < 2 or y.sum() < 20:
        return None
    x = np.vstack(xs).astype(np.float64)
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    with threadpool_limits(limits=1):
        lr = LogisticRegression(max_iter=300, random_state=seed).fit((x - mean) / std, y)
    weights = np.zeros(len(FEATURES))
    weights[_STAGE_COLS] = lr.coef_.ravel() / std
    return weights


def _train(examples: Sequence[tuple[np.ndarray, np.ndarray]], seed: int,
           max_examples: int = 400_000) -> object | None:
    """A gradient-boosted classifier on (features, labels) blocks; None if too few.

    Above ``max_examples``, every positive is kept and negatives are sampled (seeded).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    y = np.concatenate([b[1] for b in examples]) if examples else np.empty(0)
    if len(np.unique(y)) < 2 or y.sum() < 20:
        return None
    x = np.vstack([b[0] for b in examples]).astype(np.float32, copy=False)
    if len(y) > max_examples:
        rng = np.random.default_rng(seed)
        pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
        n_pos = min(len(pos), max_examples // 2)
        keep = np.sort(np.concatenate([
            rng.choice(pos, size=n_pos, replace=False),
            rng.choice(neg, size=min(len(neg), max_examples - n_pos), replace=False)]))
        x, y = x[keep], y[keep]
    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08,
                                           max_leaf_nodes=15, l2_regularization=1.0,
                                           random_state=seed)
    with threadpool_limits(limits=1):
        model.fit(x, y)
    fitted: object = model
    return fitted


def _rank_blend(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean of the two scores' ranks (0..1) over the finite entries of ``a``."""
    fin = np.flatnonzero(np.isfinite(a))
    out = np.full_like(a, -np.inf)
    if len(fin):
        ra = np.argsort(np.argsort(a[fin], kind="stable"), kind="stable")
        rb = np.argsort(np.argsort(b[fin], kind="stable"), kind="stable")
        out[fin] = (ra + rb) / (2.0 * len(fin))
    return out


def rank_of(scores: np.ndarray, target: int) -> int:
    """1-based rank of ``target``; ties go to the lower actor index first."""
    v = scores[target]
    higher = int(np.sum(scores > v))
    ties_before = int(np.sum(scores[:target] == v))
    return higher + ties_before + 1


def top_k(scores: np.ndarray, k: int) -> list[int]:
    """Indices of the k best scores (finite only), ties by index."""
    finite = np.flatnonzero(np.isfinite(scores))
    return [int(finite[i]) for i in _top(scores[finite], k)]


@dataclass
class Metrics:
    """Ranking quality over sources with test positives."""

    hits10: float = 0.0
    hits50: float = 0.0
    mrr: float = 0.0
    precision10: float = 0.0
    sources: int = 0
    positives: int = 0


def evaluate(ranks: dict[int, list[int]]) -> Metrics:
    """Metrics from, per source, the ranks of its test positives.

    Hits@k: share of positive pairs ranked within the top k of their source's
    list. MRR: mean over sources of 1 / rank of the best-ranked positive.
    Precision@10: mean over sources of (positives in the top 10) / 10.
    """
    all_ranks = np.array([r for rs in ranks.values() for r in rs])
    if not len(all_ranks):
        return Metrics()
    best = np.array([min(rs) for rs in ranks.values()])
    top10 = np.array([sum(r <= 10 for r in rs) for rs in ranks.values()])
    return Metrics(
        hits10=float(np.mean(all_ranks <= 10)), hits50=float(np.mean(all_ranks <= 50)),
        mrr=float(np.mean(1.0 / best)), precision10=float(np.mean(top10 / 10)),
        sources=len(ranks), positives=len(all_ranks))


@dataclass
class EvalResult:
    """Metrics per method and innograph's top-k list per source."""

    metrics: dict[str, Metrics]
    recommendations: dict[str, list[tuple[str, float]]]
    train_actors: int
    train_edges: int
    test_positives: int
    mode: str = "model"
    validation: dict[str, float] = field(default_factory=dict)


def run_eval(rows: Sequence[Participation] | ParticipationTable, *, train_until: int,
             test_until: int | None = None, sources: Sequence[str] | None = None,
             source_type: str | None = None, candidate_types: Sequence[str] | None = None,
             k: int = 50, seed: int = 0) -> EvalResult:
    """The ``innograph eval linkpred`` protocol.

    Train graph: projects with 2–50 participants and year <= train_until. Test
    positives: pairs first co-participating after train_until (up to test_until),
    both in the train graph, not linked there. Each source (given, or every actor
    with a test positive) ranks every train actor it is not linked to. Sources
    unknown to the train graph get no list.
    """
    table = as_table(rows)
    g = CoopGraph.build(table, until=train_until)
    positives = new_links(table, after=train_until, until=test_until, known=g)
    if sources is None:
        chosen = sorted(positives)
    else:
        chosen = [g.index[s] for s in dict.fromkeys(sources) if s in g.index]
    if source_type:
        chosen = [s for s in chosen if g.types[s] == source_type]
    ctypes = set(candidate_types) if candidate_types else None
    horizon = max(1, (test_until or train_until + 1) - train_until)
    rec = Recommender().fit(table, train_until=train_until, horizon=horizon, seed=seed)
    ranks: dict[str, dict[int, list[int]]] = {m: {} for m in ("innograph", *CLASSIC)}
    out: dict[str, list[tuple[str, float]]] = {}
    ctx = _Context(g, ctypes)
    for start in range(0, len(chosen), BATCH):
        b = ctx.batch(chosen[start:start + BATCH])
        for i, r in enumerate(rec._rank_batch(ctx, b)):
            s = r.source
            out[g.actors[s]] = [(g.actors[c], v) for c, v in _top_ranked(ctx, r, k)]
            pos = np.array(sorted(positives.get(s, ())), dtype=np.int64)
            pos = pos[ctx.allowed_of(r.blocked, pos)] if len(pos) else pos
            if not len(pos):
                continue
            ranks["innograph"][s] = _ranks(ctx, r.pool, r.scores, r.blocked, pos,
                                           by_activity=True)
            for name in CLASSIC:
                cand, val = ctx.hop2(b, i, name)
                ranks[name][s] = _ranks(ctx, cand, val, r.blocked, pos, by_activity=False)
    return EvalResult(metrics={m: evaluate(r) for m, r in ranks.items()}, recommendations=out,
                      train_actors=len(g.actors), train_edges=int(g.adjacency.nnz // 2),
                      test_positives=sum(len(v) for v in positives.values()) // 2,
                      mode=rec.mode, validation=rec.validation)
