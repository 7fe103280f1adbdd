"""Link prediction on the cooperation graph: classic scores and innograph's recommender.

The cooperation graph joins two actors that took part in the same project; its
adjacency matrix ``A`` (binary) and its weight matrix ``W`` (shared projects)
are scipy sparse matrices indexed by actor. For a source ``s`` and candidate ``c``:

* common neighbours  ``CN(s,c) = |N(s) ∩ N(c)| = (A A)[s,c]``
* Adamic-Adar        ``AA(s,c) = Σ_{z ∈ N(s)∩N(c)} 1 / log |N(z)|``
* resource allocation ``RA(s,c) = Σ_{z ∈ N(s)∩N(c)} 1 / |N(z)|``

innograph's recommender is a gradient-boosted classifier over pair features
(the classic scores, Jaccard, weighted RA, paths of length three, degrees,
recent activity, the prior of the two actor types cooperating, field
similarity) trained on an earlier time split of the same data: the graph up
to ``train_until - horizon`` predicts the links new in the following
``horizon`` years. Nothing is tuned to a particular data set.

>>> P = Participation
>>> rows = [P("p1", "a", "enterprise", 2018), P("p1", "b", "university", 2018),
...         P("p2", "b", "university", 2019), P("p2", "c", "enterprise", 2019)]
>>> g = CoopGraph.build(rows, until=2019)
>>> s = classic_scores(g, g.index["a"])
>>> float(s["cn"][g.index["c"]]), round(float(s["ra"][g.index["c"]]), 3)
(1.0, 0.5)
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

MIN_PROJECT = 2
MAX_PROJECT = 50
CLASSIC = ("cn", "aa", "ra")


class Participation(NamedTuple):
    """One row of a participation table."""

    project: str
    actor: str
    actor_type: str
    year: int
    field: str = ""


@dataclass
class CoopGraph:
    """The cooperation graph of the projects up to a year, as sparse matrices."""

    actors: list[str]
    index: dict[str, int]
    types: list[str]
    adjacency: sp.csr_matrix
    weights: sp.csr_matrix
    last_active: np.ndarray
    recent: np.ndarray
    projects: np.ndarray
    fields: sp.csr_matrix
    until: int
    type_prior: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def degree(self) -> np.ndarray:
        """Number of distinct partners per actor."""
        return np.asarray(self.adjacency.sum(axis=1)).ravel()

    @classmethod
    def build(cls, rows: Iterable[Participation], *, until: int,
              actors: Sequence[str] | None = None, recent_years: int = 2) -> CoopGraph:
        """Build the graph of projects with 2–50 participants and year <= ``until``.

        Every actor of ``actors`` (default: every actor seen up to ``until``) gets an
        index, even without partners.
        """
        by_project: dict[str, set[str]] = defaultdict(set)
        project_year: dict[str, int] = {}
        actor_type: dict[str, str] = {}
        last: dict[str, int] = {}
        recent: Counter[str] = Counter()
        count: Counter[str] = Counter()
        fields: dict[str, Counter[str]] = defaultdict(Counter)
        for r in rows:
            if r.year > until:
                continue
            by_project[r.project].add(r.actor)
            project_year[r.project] = min(project_year.get(r.project, r.year), r.year)
            actor_type.setdefault(r.actor, r.actor_type)
            last[r.actor] = max(last.get(r.actor, r.year), r.year)
            count[r.actor] += 1
            if r.year > until - recent_years:
                recent[r.actor] += 1
            if r.field:
                fields[r.actor][r.field] += 1
        names = sorted(actors) if actors is not None else sorted(actor_type)
        index = {a: i for i, a in enumerate(names)}
        n = len(names)
        src: list[int] = []
        dst: list[int] = []
        for members in by_project.values():
            if not MIN_PROJECT <= len(members) <= MAX_PROJECT:
                continue
            ids = sorted(index[m] for m in members if m in index)
            for i, a in enumerate(ids):
                for b in ids[i + 1:]:
                    src += (a, b)
                    dst += (b, a)
        w = sp.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
        w.sum_duplicates()
        adj = w.copy()
        adj.data[:] = 1.0
        field_names = sorted({f for c in fields.values() for f in c})
        fidx = {f: i for i, f in enumerate(field_names)}
        fr: list[int] = []
        fc: list[int] = []
        fv: list[float] = []
        for actor, c in fields.items():
            if actor in index:
                total = sum(c.values())
                for f, v in c.items():
                    fr.append(index[actor])
                    fc.append(fidx[f])
                    fv.append(v / total)
        fmat = sp.csr_matrix((fv, (fr, fc)), shape=(n, max(len(field_names), 1)))
        types = [actor_type.get(a, "other") for a in names]
        graph = cls(actors=names, index=index, types=types, adjacency=adj.tocsr(),
                    weights=w.tocsr(), until=until,
                    last_active=np.array([last.get(a, until - 100) for a in names], float),
                    recent=np.array([recent.get(a, 0) for a in names], float),
                    projects=np.array([count.get(a, 0) for a in names], float),
                    fields=fmat)
        graph.type_prior = _type_prior(graph)
        return graph


def _type_pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _type_prior(g: CoopGraph) -> dict[tuple[str, str], float]:
    """Share of cooperation edges between each pair of actor types (symmetric)."""
    coo = sp.triu(g.adjacency).tocoo()
    counts: Counter[tuple[str, str]] = Counter()
    for a, b in zip(coo.row, coo.col, strict=True):
        counts[_type_pair(g.types[a], g.types[b])] += 1
    total = sum(counts.values()) or 1
    return {k: v / total for k, v in counts.items()}


def classic_scores(g: CoopGraph, s: int) -> dict[str, np.ndarray]:
    """CN, AA and RA of source ``s`` against every actor (dense vectors of length n)."""
    deg = g.degree
    row = g.adjacency.getrow(s)
    inv_log = np.zeros_like(deg)
    mask = deg > 1
    inv_log[mask] = 1.0 / np.log(deg[mask])
    inv = np.zeros_like(deg)
    inv[deg > 0] = 1.0 / deg[deg > 0]
    cn = np.asarray((row @ g.adjacency).todense()).ravel()
    aa = np.asarray((row.multiply(inv_log) @ g.adjacency).todense()).ravel()
    ra = np.asarray((row.multiply(inv) @ g.adjacency).todense()).ravel()
    return {"cn": cn, "aa": aa, "ra": ra}


FEATURES = ("cn", "aa", "ra", "jaccard", "wra", "p3", "log_deg_s", "log_deg_c", "log_pa",
            "recent_c", "gap_c", "log_projects_c", "type_prior", "field_sim", "same_type")


def pair_features(g: CoopGraph, s: int, cands: np.ndarray) -> np.ndarray:
    """Feature matrix (len(cands) x len(FEATURES)) for source ``s``."""
    deg = g.degree
    cl = classic_scores(g, s)
    row = g.adjacency.getrow(s)
    strength = np.asarray(g.weights.sum(axis=1)).ravel()
    inv_strength = np.zeros_like(strength)
    inv_strength[strength > 0] = 1.0 / strength[strength > 0]
    wrow = g.weights.getrow(s)
    wra = np.asarray((wrow.multiply(inv_strength) @ g.weights).todense()).ravel()
    two = row @ g.adjacency
    p3 = np.asarray((two @ g.adjacency).todense()).ravel()
    cn = cl["cn"][cands]
    union = deg[s] + deg[cands] - cn
    jac = np.divide(cn, union, out=np.zeros_like(cn), where=union > 0)
    fs = g.fields.getrow(s)
    fsim = np.asarray((g.fields[cands] @ fs.T).todense()).ravel()
    ts = g.types[s]
    prior = np.array([g.type_prior.get(_type_pair(ts, g.types[c]), 0.0) for c in cands])
    same = np.array([g.types[c] == ts for c in cands], float)
    return np.column_stack([
        cn, cl["aa"][cands], cl["ra"][cands], jac, wra[cands], np.log1p(p3[cands]),
        np.full(len(cands), math.log1p(deg[s])), np.log1p(deg[cands]),
        math.log1p(deg[s]) + np.log1p(deg[cands]), np.log1p(g.recent[cands]),
        np.minimum(g.until - g.last_active[cands], 20), np.log1p(g.projects[cands]),
        prior, fsim, same])


def candidate_pool(g: CoopGraph, s: int, allowed: np.ndarray, *, popular: np.ndarray,
                   size: int = 600) -> np.ndarray:
    """Candidates worth scoring with the model: 2- and 3-hop actors and active ones.

    ``allowed`` is a boolean mask of actors that may be recommended (not the source,
    not already linked, of a wanted type).
    """
    row = g.adjacency.getrow(s)
    two = row @ g.adjacency
    hop2 = two.indices
    three = np.asarray((two @ g.adjacency).todense()).ravel()
    hop3 = np.argsort(-three, kind="stable")[:size]
    hop3 = hop3[three[hop3] > 0]
    pool = np.unique(np.concatenate([hop2, hop3, popular]))
    kept: np.ndarray = pool[allowed[pool]]
    return kept


def new_links(rows: Iterable[Participation], *, after: int, until: int | None,
              known: CoopGraph) -> dict[int, set[int]]:
    """Pairs first co-participating in (after, until], both known, not linked before."""
    by_project: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        if r.year > after and (until is None or r.year <= until) and r.actor in known.index:
            by_project[r.project].add(known.index[r.actor])
    adj = known.adjacency
    out: dict[int, set[int]] = defaultdict(set)
    for members in by_project.values():
        if not MIN_PROJECT <= len(members) <= MAX_PROJECT:
            continue
        ids = sorted(members)
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                if adj[a, b] == 0 and known.projects[a] > 0 and known.projects[b] > 0:
                    out[a].add(b)
                    out[b].add(a)
    return dict(out)


@dataclass
class Recommender:
    """innograph's recommender: a classifier over :data:`FEATURES` and a fallback."""

    model: object | None = None
    popular_size: int = 200
    mode: str = "model"
    """What ranks: ``model`` (the classifier), ``blend`` (its rank averaged with
    Adamic-Adar's) or one classic score (``cn``, ``aa``, ``ra``); chosen by :meth:`fit`."""
    validation: dict[str, float] = field(default_factory=dict)
    """MRR of each mode on the held-out sources of the latest split."""

    def fit(self, rows: Sequence[Participation], *, train_until: int, horizon: int = 1,
            max_sources: int = 2000, seed: int = 0, splits: int = 3,
            holdout: float = 0.3) -> Recommender:
        """Learn the feature combination on earlier time splits, then pick what ranks.

        Split ``c`` (c = train_until - horizon, then one and two years earlier, up to
        ``splits``) builds the graph up to ``c`` and labels the pairs new in
        (c, c + horizon]. Examples (positives and sampled negatives) come from the
        candidate pool, the set the model ranks at prediction time. A share
        ``holdout`` of the latest split's sources is kept out of training; on them
        the classifier, its blend with Adamic-Adar and each classic score are
        compared by MRR, and the best becomes :attr:`mode` (so on data where the
        learned combination does not help, the recommender is at least the best
        classic score). The classifier is then refitted on every example.
        """
        rng = np.random.default_rng(seed)
        train: list[tuple[np.ndarray, np.ndarray]] = []
        held: list[tuple[np.ndarray, np.ndarray]] = []
        latest: tuple[CoopGraph, dict[int, set[int]], list[int]] | None = None
        for back in range(splits):
            cut = train_until - horizon - back
            g = CoopGraph.build(rows, until=cut)
            if not g.adjacency.nnz:
                break
            labels = new_links(rows, after=cut, until=cut + horizon, known=g)
            sources = sorted(labels)
            if len(sources) > max_sources:
                sources = sorted(rng.choice(sources, size=max_sources, replace=False).tolist())
            out = set()
            if back == 0:
                n_out = int(len(sources) * holdout)
                out = set(rng.choice(sources, size=n_out, replace=False).tolist()) if n_out \
                    else set()
                latest = (g, labels, sorted(out))
            popular = self._popular(g)
            for s in sources:
                pool = candidate_pool(g, s, self._allowed(g, s, None), popular=popular)
                pos = np.intersect1d(pool, np.array(sorted(labels[s]), dtype=int))
                neg = np.setdiff1d(pool, pos)
                if len(neg) > 100:
                    neg = rng.choice(neg, size=100, replace=False)
                cands = np.concatenate([pos, neg]).astype(int)
                if len(cands):
                    (held if s in out else train).append(
                        (pair_features(g, s, cands),
                         np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])))
        self.model = _train(train, seed)
        if latest is not None and latest[2]:
            g, labels, sources = latest
            self.validation = {}
            for mode in (("model", "blend") if self.model is not None else ()) + CLASSIC:
                self.mode = mode
                ranks = {s: [rank_of(sc, p) for p in labels[s]]
                         for s, sc in self.score_many(g, sources)}
                self.validation[mode] = evaluate(ranks).mrr
            # ties go to the simpler ranking (classic scores are listed last)
            self.mode = max(self.validation, key=lambda m: (self.validation[m],
                                                            m in CLASSIC))
        else:
            self.mode = "model" if self.model is not None else "ra"
        if self.mode in ("model", "blend"):
            self.model = _train(train + held, seed)
        return self

    def _popular(self, g: CoopGraph) -> np.ndarray:
        activity = g.recent * 2 + g.projects
        return np.argsort(-activity, kind="stable")[:self.popular_size]

    @staticmethod
    def _allowed(g: CoopGraph, s: int, candidate_types: set[str] | None) -> np.ndarray:
        allowed = np.ones(len(g.actors), bool)
        allowed[s] = False
        allowed[g.adjacency.getrow(s).indices] = False
        if candidate_types:
            allowed &= np.array([t in candidate_types for t in g.types])
        return allowed

    def _predict(self, x: np.ndarray) -> np.ndarray:
        # one thread: on small batches OpenMP start-up costs more than it saves
        with threadpool_limits(limits=1):
            proba: np.ndarray = self.model.predict_proba(x)[:, 1]  # type: ignore[attr-defined]
        return proba

    def score_many(self, g: CoopGraph, sources: Sequence[int], *,
                   candidate_types: set[str] | None = None,
                   chunk: int = 256) -> Iterator[tuple[int, np.ndarray]]:
        """(source, scores) for each source; the model predicts once per chunk of sources.

        A score exists for every actor (-inf where not allowed); higher ranks first.
        With the classifier, actors outside the candidate pool are ordered by activity
        below every pooled one; a classic score breaks its ties by activity.
        """
        activity = np.log1p(g.recent * 2 + g.projects)
        tiebreak = activity / (activity.max() + 1.0)
        if self.mode in CLASSIC or self.model is None:
            name = self.mode if self.mode in CLASSIC else "ra"
            for s in sources:
                allowed = self._allowed(g, s, candidate_types)
                sc = classic_scores(g, s)[name] + 1e-6 * tiebreak
                yield s, np.where(allowed, sc, -np.inf)
            return
        base = -10.0 + tiebreak
        popular = self._popular(g)
        for start in range(0, len(sources), chunk):
            part = sources[start:start + chunk]
            pools, feats = [], []
            for s in part:
                allowed = self._allowed(g, s, candidate_types)
                pool = candidate_pool(g, s, allowed, popular=popular)
                pools.append((allowed, pool))
                feats.append(pair_features(g, s, pool) if len(pool)
                             else np.empty((0, len(FEATURES))))
            p = self._predict(np.vstack(feats)) if any(len(f) for f in feats) else np.empty(0)
            offset = 0
            for s, (allowed, pool) in zip(part, pools, strict=True):
                scores = np.where(allowed, base, -np.inf)
                scores[pool] = p[offset:offset + len(pool)]
                offset += len(pool)
                if self.mode == "blend":
                    scores = _rank_blend(scores, classic_scores(g, s)["aa"] + 1e-6 * tiebreak)
                yield s, scores

    def score(self, g: CoopGraph, s: int, *,
              candidate_types: set[str] | None = None) -> np.ndarray:
        """A score for every actor (-inf where not allowed); higher ranks first."""
        return next(self.score_many(g, [s], candidate_types=candidate_types))[1]


def _train(examples: Sequence[tuple[np.ndarray, np.ndarray]], seed: int) -> object | None:
    """A gradient-boosted classifier on (features, labels) blocks; None if too few."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    y = np.concatenate([b[1] for b in examples]) if examples else np.empty(0)
    if len(np.unique(y)) < 2 or y.sum() < 20:
        return None
    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08,
                                           max_leaf_nodes=15, l2_regularization=1.0,
                                           random_state=seed)
    with threadpool_limits(limits=1):
        model.fit(np.vstack([b[0] for b in examples]), y)
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
    order = np.lexsort((finite, -scores[finite]))
    return [int(finite[i]) for i in order[:k]]


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
    all_ranks = [r for rs in ranks.values() for r in rs]
    if not all_ranks:
        return Metrics()
    return Metrics(
        hits10=float(np.mean([r <= 10 for r in all_ranks])),
        hits50=float(np.mean([r <= 50 for r in all_ranks])),
        mrr=float(np.mean([1.0 / min(rs) for rs in ranks.values()])),
        precision10=float(np.mean([sum(r <= 10 for r in rs) / 10 for rs in ranks.values()])),
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


def run_eval(rows: Sequence[Participation], *, train_until: int, test_until: int | None = None,
             sources: Sequence[str] | None = None, source_type: str | None = None,
             candidate_types: Sequence[str] | None = None, k: int = 50,
             seed: int = 0) -> EvalResult:
    """The ``innograph eval linkpred`` protocol.

    Train graph: projects with 2–50 participants and year <= train_until. Test
    positives: pairs first co-participating after train_until (up to test_until),
    both in the train graph, not linked there. Each source (given, or every actor
    with a test positive) ranks every train actor it is not linked to. Sources
    unknown to the train graph get no list.
    """
    g = CoopGraph.build(rows, until=train_until)
    positives = new_links(rows, after=train_until, until=test_until, known=g)
    if sources is None:
        chosen = sorted(positives)
    else:
        chosen = [g.index[s] for s in dict.fromkeys(sources) if s in g.index]
    if source_type:
        chosen = [s for s in chosen if g.types[s] == source_type]
    ctypes = set(candidate_types) if candidate_types else None
    horizon = max(1, (test_until or train_until + 1) - train_until)
    rec = Recommender().fit(rows, train_until=train_until, horizon=horizon, seed=seed)
    ranks: dict[str, dict[int, list[int]]] = {m: {} for m in ("innograph", *CLASSIC)}
    out: dict[str, list[tuple[str, float]]] = {}
    for s, ours in rec.score_many(g, chosen, candidate_types=ctypes):
        allowed = np.isfinite(ours)
        out[g.actors[s]] = [(g.actors[c], float(ours[c])) for c in top_k(ours, k)]
        pos = [p for p in positives.get(s, ()) if allowed[p]]
        if not pos:
            continue
        ranks["innograph"][s] = [rank_of(ours, p) for p in pos]
        for name, vec in classic_scores(g, s).items():
            masked = np.where(allowed, vec, -np.inf)
            ranks[name][s] = [rank_of(masked, p) for p in pos]
    return EvalResult(metrics={m: evaluate(r) for m, r in ranks.items()}, recommendations=out,
                      train_actors=len(g.actors), train_edges=int(g.adjacency.nnz // 2),
                      test_positives=sum(len(v) for v in positives.values()) // 2,
                      mode=rec.mode, validation=rec.validation)
