"""Partner recommendations for one actor of the graph, each with its reasons.

The structural part is the link-prediction recommender of
:mod:`graph.analytics.linkpred`, trained on the graph's own history (project
participations and dated cooperations); content adds shared fields and
keywords; actor types decide who may be proposed (an enterprise is offered
universities, institutes, teams, talents, hospitals and platforms; research
actors are offered enterprises). The final score is

    score = 0.7 · structure + 0.3 · content,

where ``structure`` is the recommender's score min-max scaled over the
candidates and ``content`` = 0.7 · Jaccard(fields) + 0.3 · Jaccard(keywords).

Candidates are only actors with evidence about the source: partners of its partners
(asked of the store per request: one Cypher query on Neo4j) and actors of its fields.
Nobody is listed for being active alone, so a list may be shorter than asked for.
"""

from __future__ import annotations

import contextlib
import dataclasses
import heapq
import logging
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from graph.analytics.computed import Computed, typed_edges
from graph.analytics.linkpred import (
    CoopGraph,
    Participation,
    ParticipationTable,
    Recommender,
    as_table,
    sorted_unique,
)
from graph.store import GraphStore
from schemas.vocabularies import ACTOR_LABELS, RESEARCH_SIDE

RESEARCH = RESEARCH_SIDE
log = logging.getLogger("innograph.recommend")

W_STRUCTURE, W_CONTENT = 0.7, 0.3


def default_kinds(label: str) -> tuple[str, ...]:
    """Whom an actor of ``label`` is offered by default."""
    if label == "Enterprise":
        return RESEARCH
    if label in RESEARCH:
        return ("Enterprise",)
    return tuple(sorted(ACTOR_LABELS))


TAKING_PART = ("PARTICIPATES_IN", "UNDERTAKES", "COOPERATES_WITH")
"""The relationships the recommender learns from (with IN_FIELD for a project's field)."""


def participations(g: nx.MultiDiGraph) -> list[Participation]:
    """Project participations of the graph, plus one pseudo-project per dated cooperation."""
    return list(map(Participation, *_graph_columns(g)))


def participation_table(g: nx.MultiDiGraph) -> ParticipationTable:
    """:func:`participations` as a :class:`ParticipationTable`, made without a tuple per
    row (570,000 rows at 100,000 actors)."""
    return ParticipationTable.from_columns(*_graph_columns(g))


_Columns = tuple[list[str], list[str], list[str], list[int], list[str]]
"""Participations as five lists: project, actor, actor type, year, field."""


def _graph_columns(g: nx.MultiDiGraph) -> _Columns:
    return _participation_columns(dict(g.nodes(data=True)), typed_edges(g, "IN_FIELD"),
                                  typed_edges(g, *TAKING_PART))


def participations_of_records(nodes: Sequence[Mapping[str, Any]],
                              edges: Sequence[Mapping[str, Any]]) -> ParticipationTable:
    """The :func:`participation_table` of the projection of these records (both in uid
    order, as ``computed.sorted_records`` gives them), rows in the same order, without
    building it: the analysis of an ingest starts the recommender's fit on them first."""
    from graph.analytics.computed import in_edge_order

    ordered = in_edge_order(nodes, edges, types={"IN_FIELD", *TAKING_PART})
    return ParticipationTable.from_columns(*_participation_columns(
        {r["uid"]: r for r in nodes},
        ((e["source"], e["target"], e) for e in ordered if e.get("type") == "IN_FIELD"),
        ((e["source"], e["target"], e) for e in ordered if e.get("type") in TAKING_PART)))


def _participation_columns(node: Mapping[str, Mapping[str, Any]],
                           in_field: Iterable[tuple[str, str, Mapping[str, Any]]],
                           taking_part: Iterable[tuple[str, str, Mapping[str, Any]]]
                           ) -> _Columns:
    project_field: dict[str, str] = {}
    for u, v, _ in in_field:
        if node[u].get("label") == "Project":
            project_field.setdefault(u, str(node[v].get("name", v)))
    project: list[str] = []
    actor: list[str] = []
    kind: list[str] = []
    years: list[int] = []
    field: list[str] = []
    for u, v, d in taking_part:
        t = d.get("type")
        if t in ("PARTICIPATES_IN", "UNDERTAKES") and u in node and v in node:
            year = d.get("year") or node[v].get("year")
            if year is not None:
                project.append(v)
                actor.append(u)
                kind.append(str(node[u].get("label")))
                years.append(int(year))
                field.append(project_field.get(v, ""))
        elif t == "COOPERATES_WITH":
            year = d.get("last_year") or d.get("year") or d.get("first_year")
            if year is not None:
                pid = f"coop:{d.get('uid')}"
                for a in (u, v):
                    project.append(pid)
                    actor.append(a)
                    kind.append(str(node[a].get("label")))
                    years.append(int(year))
                    field.append("")
    return project, actor, kind, years, field


def _profiles(g: nx.MultiDiGraph,
              actors: Sequence[str]) -> dict[str, tuple[set[str], set[str]]]:
    """Each of ``actors``' fields (the names of those it is in, offers or needs) and
    keywords (its own and those of these relationships), from one read of the
    relationships of the three types."""
    node = dict(g.nodes(data=True))
    out: dict[str, tuple[set[str], set[str]]] = {
        a: (set(), set(node[a].get("keywords") or [])) for a in actors}
    for u, v, d in typed_edges(g, "IN_FIELD", "OFFERS", "NEEDS"):
        if (p := out.get(u)) is not None:
            p[0].add(str(node[v].get("name", v)))
            p[1].update(d.get("keywords") or [])
    return out


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


@dataclass
class RecommendIndex:
    """What every recommendation of one graph shares, built once per store version:
    the cooperation graph as sparse matrices, the fitted recommender, each actor's
    fields, keywords and partners."""

    cg: CoopGraph
    model: Recommender
    profiles: dict[str, tuple[set[str], set[str]]]
    by_field: dict[tuple[str, str], np.ndarray]
    """(field name, label) -> the actors of that label in the field, as ascending
    indexes of :attr:`cg` (whose order is the uids' order)."""
    broader: dict[str, set[str]]
    """Each field name with the names of the fields above it (SUBFIELD_OF, transitively)."""
    fitted_on: tuple[int, int] = (0, 0)
    """(latest year, participation rows) of the data :attr:`model` was fitted on."""

    def domain(self, fields: set[str]) -> set[str]:
        """Fields and every field above them: two actors are in one domain when these meet."""
        out = set(fields)
        for f in fields:
            out |= self.broader.get(f, set())
        return out


REFIT_GROWTH = 0.1
"""A version's recommender reuses the model fitted for an earlier version of the store
while the participations are of the same latest year and have grown by at most this
share since that fit: fitting takes seconds at scale (most of a version's build), and a
few more rows do not change what the model learnt. More growth or a new year: refitted."""


MODEL_NAME = "recommend-model"
"""The fitted recommender's name among the store's derived results (``save_derived``)."""
MODEL_FORMAT = 1
_MODEL_TYPES = frozenset({"sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"})
"""The types a saved model may hold beyond those skops trusts by default: the
classifier's trees. Anything else in a saved model (planted in the database or the
store's folder) is refused instead of loaded."""

Fitted = tuple[Recommender, tuple[int, int]]
"""A fitted recommender and (latest year, participation rows) of the data it learnt from."""


def _reusable(fitted_on: tuple[int, int], until: int, rows: int) -> bool:
    """Whether a model fitted on ``fitted_on`` serves data of ``rows`` rows up to
    ``until`` (:data:`REFIT_GROWTH`)."""
    return fitted_on[0] == until and fitted_on[1] <= rows <= fitted_on[1] * (1 + REFIT_GROWTH)


def model_bytes(model: Recommender, fitted_on: tuple[int, int]) -> bytes:
    """A fitted recommender as bytes (skops: no pickle, types checked on loading)."""
    import sklearn
    import skops.io as sio

    params = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)
              if f.name not in ("model", "stage")}
    params["validation"] = {k: float(v) for k, v in model.validation.items()}
    out: bytes = sio.dumps({"format": MODEL_FORMAT, "sklearn": sklearn.__version__,
                            "fitted_on": [int(fitted_on[0]), int(fitted_on[1])],
                            "params": params, "stage": model.stage, "model": model.model})
    return out


def model_from_bytes(data: bytes) -> Fitted:
    """The recommender :func:`model_bytes` wrote.

    Raises:
        ValueError: another format or scikit-learn version, or types that a model does
            not hold (the bytes are not loaded then).
    """
    import sklearn
    import skops.io as sio

    unknown = set(sio.get_untrusted_types(data=data)) - _MODEL_TYPES
    if unknown:
        raise ValueError(f"文件含推荐模型不应有的类型:{'、'.join(sorted(unknown))}")
    d = sio.loads(data, trusted=sorted(_MODEL_TYPES))
    if not isinstance(d, dict) or d.get("format") != MODEL_FORMAT:
        raise ValueError("不是本版本 innograph 保存的推荐模型")
    if d.get("sklearn") != sklearn.__version__:
        raise ValueError(f"模型用 scikit-learn {d.get('sklearn')} 训练,"
                         f"当前是 {sklearn.__version__}")
    model = Recommender(**d["params"])
    model.stage, model.model = d["stage"], d["model"]
    return model, (int(d["fitted_on"][0]), int(d["fitted_on"][1]))


def saved_model(store: GraphStore) -> Fitted | None:
    """The recommender saved in ``store`` (by :func:`model_for`), or None; a saved model
    that cannot be used (see :func:`model_from_bytes`) is logged and passed over."""
    got = store.load_derived(name=MODEL_NAME)
    if got is None:
        return None
    try:
        return model_from_bytes(got[1])
    except Exception as exc:  # any unusable file means: fit again
        log.warning("未使用保存的推荐模型(%s),重新训练", exc)
        return None


def _reused(rows: int, until: int, previous: Fitted | None,
            store: GraphStore | None) -> Fitted | None:
    if previous is not None and _reusable(previous[1], until, rows):
        return previous
    if store is not None:
        saved = saved_model(store)
        if saved is not None and _reusable(saved[1], until, rows):
            return saved
    return None


def _fit(rows: Sequence[Participation] | ParticipationTable, until: int) -> Fitted:
    return (Recommender().fit(rows, train_until=until) if rows else Recommender(),
            (until, len(rows)))


def _save(store: GraphStore | None, version: int, fitted: Fitted) -> None:
    if store is None:
        return
    try:
        store.save_derived(name=MODEL_NAME, version=version, data=model_bytes(*fitted))
    except Exception as exc:  # a cache: the next process fits again
        log.warning("训练好的推荐模型未能保存:%s", exc)


def model_for(rows: Sequence[Participation] | ParticipationTable, until: int, *,
              previous: Fitted | None = None, store: GraphStore | None = None,
              version: int = 0) -> Fitted:
    """The recommender for participations ``rows`` up to year ``until``: ``previous``
    (a model this process fitted for an earlier version) or the model saved in
    ``store`` when the data grew little since its fit (:data:`REFIT_GROWTH`), else a
    new fit, saved in ``store`` for the processes that open it later. Fitting is most
    of a version's whole-graph work at scale (tens of seconds at 100,000 actors), so
    an ingest's analysis fits once and a server that starts later loads the result."""
    return ModelJob(rows, until, previous=previous, store=store, version=version).finish()


FIT_APART_ROWS = 50_000
"""Participation rows from which the analysis fits the recommender in a child process,
on another core, while it computes the gap tables (at 100,000 actors the two take
about as long); fewer rows fit in process, where the child's start would cost more
than it saves."""


class _FitApart:
    """A fit running in a child process (a new interpreter, ``python -m
    graph.analytics.recommend``: nothing of the parent's threads, native thread pools or
    main module is inherited); the participations go to it on its standard input as
    integer columns (a :class:`ParticipationTable`: at 100,000 actors 0.1 s to send and
    read, where the 570,000 rows as tuples took 2.4 s before the child could start), the
    fitted model (:func:`model_bytes`) comes back on its standard output. The child is
    started first and given its rows by :meth:`send`; :meth:`result` waits for the
    model, :meth:`cancel` stops the child (sent its rows or not)."""

    def __init__(self) -> None:
        import subprocess
        import sys
        import threading

        # started before its participations are ready: the new interpreter imports what
        # the fit needs (1.4 s at 100,000 actors) while the caller reads them
        self._proc = subprocess.Popen([sys.executable, "-m", "graph.analytics.recommend"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
        self._out: list[bytes] = []
        self._err: list[bytes] = []
        # the pipes are drained by threads, so that neither side waits on a full one
        self._threads = [threading.Thread(target=self._drain, args=(self._proc.stdout,
                                                                   self._out), daemon=True),
                         threading.Thread(target=self._drain, args=(self._proc.stderr,
                                                                   self._err), daemon=True)]
        for t in self._threads:
            t.start()

    def send(self, rows: ParticipationTable, until: int) -> None:
        """Give the child its participations: the fit starts."""
        import pickle
        import threading

        payload = pickle.dumps((rows, until), protocol=pickle.HIGHEST_PROTOCOL)
        feed = threading.Thread(target=self._feed, args=(payload,), daemon=True)
        self._threads.append(feed)
        feed.start()

    def _feed(self, payload: bytes) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(payload)
            self._proc.stdin.close()
        except OSError:
            pass  # the child ended early: its exit status says why

    @staticmethod
    def _drain(pipe: Any, into: list[bytes]) -> None:
        into.append(pipe.read())
        pipe.close()

    def result(self) -> Fitted | None:
        """The fitted model, or None (logged) when the child failed."""
        try:
            code = self._proc.wait()
            for t in self._threads:
                t.join()
            if code != 0:
                err = b"".join(self._err).decode("utf-8", "replace").strip().splitlines()
                raise RuntimeError(f"退出码 {code}:{err[-1] if err else ''}")
            return model_from_bytes(b"".join(self._out))
        except Exception as exc:  # the caller fits in process instead
            log.warning("在子进程中训练推荐模型失败(%s),"
                        "改在本进程中训练", exc)
            return None
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the child (if it still runs) and release it."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for t in self._threads:
            t.join()
        stdin = self._proc.stdin
        if stdin is not None and not stdin.closed:  # never sent its rows, or could not be
            with contextlib.suppress(OSError):
                stdin.close()


def _fits_apart(rows: int) -> bool:
    """Whether a fit of ``rows`` participations runs in a child process."""
    return rows >= FIT_APART_ROWS and (os.cpu_count() or 1) > 1


def _fit_child() -> _FitApart | None:
    """A started :class:`_FitApart`, or None (logged) where no child process can start:
    the fit then runs in this process."""
    try:
        return _FitApart()
    except Exception as exc:
        log.warning("无法启动训练推荐模型的子进程:%s", exc)
        return None


class ModelJob:
    """The recommender for participations ``rows`` up to year ``until`` being prepared
    (see :func:`model_for`); with ``apart``, a fit of at least :data:`FIT_APART_ROWS`
    rows starts in a child process at once (``child``, when one was started for it
    already), and :meth:`finish` waits for it. With ``computed``, the result is kept with
    that version (``extras``)."""

    def __init__(self, rows: Sequence[Participation] | ParticipationTable, until: int, *,
                 previous: Fitted | None = None, store: GraphStore | None = None,
                 version: int = 0, apart: bool = False,
                 computed: Computed | None = None, child: _FitApart | None = None) -> None:
        self.rows, self.until = rows, until
        self.store, self.version, self.computed = store, version, computed
        self.reused = _reused(len(rows), until, previous, store)
        self.apart: _FitApart | None = None
        if apart and self.reused is None and _fits_apart(len(rows)):
            self.apart, child = child or _fit_child(), None
            if self.apart is not None:
                try:
                    self.apart.send(as_table(rows), until)
                except Exception as exc:  # the child cannot be fed: fit in process
                    log.warning("无法启动训练推荐模型的子进程:%s", exc)
                    self.cancel()
        if child is not None:  # not needed after all (a saved model serves, or few rows)
            child.cancel()

    def finish(self) -> Fitted:
        """Wait for the fit (or fit now), save the model, keep it with the version."""
        got = self.reused or (self.apart.result() if self.apart is not None else None)
        self.apart = None
        if got is None:
            got = _fit(self.rows, self.until)
        if self.reused is None:
            _save(self.store, self.version, got)
        if self.computed is not None:
            with self.computed.lock:
                self.computed.extras["recommend-model"] = got
        return got

    def cancel(self) -> None:
        """Give the fit up (the caller failed before :meth:`finish`)."""
        if self.apart is not None:
            self.apart.cancel()
            self.apart = None


def start_model(computed: Computed, *, records: tuple[Sequence[Mapping[str, Any]],
                                                     Sequence[Mapping[str, Any]]] | None = None
                ) -> ModelJob:
    """The recommender of ``computed``'s version, as an ingest's analysis prepares it:
    the model saved in the store when the data grew little since its fit; else a fit of
    at least :data:`FIT_APART_ROWS` participations starts in a child process, while the
    caller does its own work (the gap tables) before :meth:`ModelJob.finish`. Given the
    version's node and relationship ``records`` (in uid order), the participations are
    read from them, before the graph is projected; when the relationships are as many as
    a fit apart needs rows, its child is started before they are read."""
    child = _fit_child() if records is not None and _fits_apart(len(records[1])) else None
    try:
        rows = participation_table(computed.graph) if records is None else \
            participations_of_records(*records)
        return ModelJob(rows, rows.latest_year, store=computed.store,
                        version=computed.version, apart=True, computed=computed, child=child)
    except BaseException:
        if child is not None:
            child.cancel()
        raise


def build_index(g: nx.MultiDiGraph, *, model: Recommender | None = None,
                previous: RecommendIndex | Fitted | None = None,
                store: GraphStore | None = None, version: int = 0) -> RecommendIndex:
    """The shared part of :func:`recommend_partners` for graph ``g``; ``previous``: the
    index (or the fitted model) of an earlier version of the same store, whose model may
    be reused, as may the one saved in ``store`` (see :func:`model_for`)."""
    actors = sorted(n for n, d in g.nodes(data=True) if d.get("label") in ACTOR_LABELS)
    rows = participation_table(g)
    until = rows.latest_year
    cg = CoopGraph.build(rows, until=until, actors=actors)
    types = list(cg.types)
    for a in actors:  # types from labels, also for actors without projects
        types[cg.index[a]] = str(g.nodes[a].get("label"))
    cg.types = tuple(types)  # final: the scorer may keep their codes
    if model is not None:
        fitted_on = (until, len(rows))
    else:
        before = ((previous.model, previous.fitted_on) if isinstance(previous, RecommendIndex)
                  else previous)
        model, fitted_on = model_for(rows, until, previous=before, store=store,
                                     version=version)
    profiles = _profiles(g, actors)
    members: dict[tuple[str, str], list[int]] = defaultdict(list)
    for a in actors:  # ascending uids, so ascending indexes
        for f in profiles[a][0]:
            members[f, str(g.nodes[a].get("label"))].append(cg.index[a])
    by_field = {key: np.array(ids, dtype=np.int64) for key, ids in members.items()}
    parent: dict[str, set[str]] = defaultdict(set)
    for u, v, _ in typed_edges(g, "SUBFIELD_OF"):
        parent[str(g.nodes[u].get("name", u))].add(str(g.nodes[v].get("name", v)))
    broader: dict[str, set[str]] = {}
    for f in parent:
        seen: set[str] = set()
        todo = list(parent[f])
        while todo:
            x = todo.pop()
            if x not in seen:
                seen.add(x)
                todo.extend(parent.get(x, ()))
        broader[f] = seen
    return RecommendIndex(cg, model, profiles, by_field, broader, fitted_on)


def recommend_index(computed: Computed) -> RecommendIndex:
    """The :class:`RecommendIndex` of a store version, built once and kept with it. Its
    model: the previous version's (``extras["previous-recommend"]``, set by a server),
    the one this process's analysis fitted (:func:`start_model`), or the one saved in the
    store, while the data grew little (:data:`REFIT_GROWTH`); else a new fit."""
    with computed.lock:
        ix = computed.extras.get("recommend")
        if ix is None:
            previous = computed.extras.pop("previous-recommend", None)
            if previous is None:
                previous = computed.extras.get("recommend-model")
            ix = computed.extras["recommend"] = build_index(
                computed.graph, previous=previous, store=computed.store,
                version=computed.version)
    assert isinstance(ix, RecommendIndex)
    return ix


FIELD_POOL = 2_000
"""Candidates found only by a shared field that are scored: the best this many by
structure (a field of a province can hold thousands of actors)."""
NO_MORE = "其余候选与该主体既无共同合作伙伴、也无相同或相近领域,不列出"
"""What a list shorter than asked for says about the rest."""


def _names(g: nx.MultiDiGraph, uids: Sequence[str]) -> str:
    names = [str(g.nodes[u].get("name", u)) if u in g else u for u in uids]
    return "、".join(names[:3]) + ("等" if len(names) > 3 else "")


def field_pool(ix: RecommendIndex, fields: set[str], labels: Sequence[str],
               taken: set[str], structure: np.ndarray) -> set[str]:
    """The actors of ``labels`` in one of ``fields``, not in ``taken``: the best
    :data:`FIELD_POOL` by ``structure`` (one score per index of ``ix.cg``; not finite
    counts as lowest), ties by uid. By index arrays: a field of a province holds
    thousands of actors, and this runs on every request."""
    cg = ix.cg
    parts = [ix.by_field[f, lab] for f in fields for lab in labels if (f, lab) in ix.by_field]
    if not parts:
        return set()
    cand = sorted_unique(np.concatenate(parts))
    skip = np.fromiter((cg.index[c] for c in taken if c in cg.index), dtype=np.int64)
    cand = cand[~np.isin(cand, skip)]
    s = structure[cand]
    s = np.where(np.isfinite(s), s, -np.inf)
    best = cand[np.lexsort((cand, -s))[:FIELD_POOL]]
    return {cg.actors[i] for i in best.tolist()}


def recommend_partners(store: GraphStore, uid: str, *, kinds: Sequence[str] | None = None,
                       k: int = 20, computed: Computed | None = None) -> list[dict[str, Any]]:
    """Ranked new partners for ``uid`` with a score breakdown and reasons about ``uid``.

    Only candidates with evidence about this source are proposed: a partner of one of
    its partners (the store's :meth:`~graph.store.GraphStore.partner_neighbourhood`,
    Cypher on Neo4j) or an actor of a field the source works in. When the source has
    fields, a candidate with fields of another domain (no shared field or broader
    field) is left out. A list shorter than ``k`` is the honest answer: no actor is
    added for being active alone.

    Args:
        store: The store (the neighbourhood is asked of it per request).
        uid: The actor asking.
        kinds: Labels that may be proposed (default: :func:`default_kinds`).
        k: How many to return at most.
        computed: The store's computed results at its current version (the
            recommender's model and profiles); made from the store when None.

    Raises:
        KeyError: ``uid`` is not in the graph.
    """
    comp = computed or Computed(store, store.version())
    g = comp.graph
    if uid not in g:
        raise KeyError(uid)
    wanted = tuple(sorted(set(kinds or default_kinds(str(g.nodes[uid].get("label"))))))
    ix = recommend_index(comp)
    hood = store.partner_neighbourhood(uid=uid, labels=wanted)
    cg = ix.cg
    structure = ix.model.score(cg, cg.index[uid], candidate_types=set(wanted))
    my_fields, my_keywords = ix.profiles.get(uid, (set(), set()))
    my_domain = ix.domain(my_fields)
    mine = set(hood.partners) | {uid}
    by_uid = {c.uid: c for c in hood.candidates}
    via = {c: cand.via for c, cand in by_uid.items()}

    def fits(c: str) -> bool:
        fields = ix.profiles.get(c, (set(), set()))[0]
        return not (my_fields and fields) or bool(ix.domain(fields) & my_domain)

    # the store may already hold a newer version than the projection (an ingest has just
    # committed): candidates the projection does not know wait for the next version
    pool = {c for c in via if c in g and fits(c)}
    pool |= field_pool(ix, my_fields, wanted, mine | pool, structure)
    if not pool:
        return []
    members = sorted(pool)
    at = np.array([cg.index.get(c, -1) for c in members], dtype=np.int64)
    raw = np.where(at >= 0, structure[at], -np.inf)
    raw[~np.isfinite(raw)] = -np.inf
    finite = raw[np.isfinite(raw)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    scaled_all = (raw - lo) / (hi - lo) if hi > lo else np.zeros(len(raw))
    scaled_all[~np.isfinite(raw)] = 0.0
    results = []
    for c, scaled in zip(members, scaled_all.tolist(), strict=True):
        fields, keywords = ix.profiles.get(c, (set(), set()))
        content = 0.7 * _jaccard(my_fields, fields) + 0.3 * _jaccard(my_keywords, keywords)
        results.append((W_STRUCTURE * scaled + W_CONTENT * content, c, scaled, content))
    top = heapq.nsmallest(k, results, key=lambda r: (-r[0], str(g.nodes[r[1]].get("name")),
                                                     r[1]))
    out = []
    for score, cand, scaled, content in top:
        fields, keywords = ix.profiles.get(cand, (set(), set()))
        sf, sk = fields & my_fields, keywords & my_keywords
        shared = [p for _, p in sorted(via.get(cand, ()),
                                       key=lambda x: (x[0], str(g.nodes[x[1]].get("name"))
                                                      if x[1] in g else x[1]))]
        names = [str(g.nodes[x].get("name")) if x in g else x for x in shared]
        reasons = []
        if shared:
            reasons.append(f"与{g.nodes[uid].get('name')}有共同合作伙伴{len(shared)}个:"
                           f"{_names(g, shared)}")
        if sf:
            reasons.append(f"同属领域:{'、'.join(sorted(sf))}")
        elif fields and my_fields and ix.domain(fields) & my_domain:
            near = sorted(ix.domain(fields) & my_domain)
            reasons.append(f"领域相近(同属{'、'.join(near[:2])})")
        if sk:
            reasons.append(f"共同关键词:{'、'.join(sorted(sk)[:5])}")
        i = cg.index.get(cand)
        ra = by_uid[cand].resource_allocation if cand in by_uid else 0.0
        out.append({"uid": cand, "label": g.nodes[cand].get("label"),
                    "name": g.nodes[cand].get("name"), "score": round(score, 4),
                    "structure": round(scaled, 4), "content": round(content, 4),
                    "resource_allocation": round(ra, 4), "shared_partners": names,
                    "shared_fields": sorted(sf),
                    "recent_activity": int(cg.recent[i]) if i is not None else 0,
                    "reason": ";".join(reasons)})
    return out


def recommend_many(store: GraphStore, uids: Sequence[str], *,
                   kinds: Sequence[str] | None = None,
                   k: int = 20) -> dict[str, list[dict[str, Any]]]:
    """Batch mode: one model and one projection serve every source."""
    comp = Computed(store, store.version())
    return {uid: recommend_partners(store, uid, kinds=kinds, k=k, computed=comp)
            for uid in uids}


def _fit_apart_main() -> None:
    """The child of :class:`_FitApart`: (participations, year) in on standard input as
    a pickle from the parent, the fitted model out on standard output."""
    import pickle
    import sys

    # what the fit imports, imported while the parent reads the participations
    from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: F401
    from sklearn.linear_model import LogisticRegression  # noqa: F401

    rows, until = pickle.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(model_bytes(*_fit(rows, until)))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _fit_apart_main()
