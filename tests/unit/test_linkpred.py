"""Link prediction: classic scores on hand-computed graphs and against networkx, the
batched and sparse paths against direct computations, the protocol, the CLI contract."""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from typer.testing import CliRunner

from api import cli_linkpred  # noqa: F401  (registers eval linkpred)
from api.cli import app
from bench.synth_participations import SynthConfig, synthesize
from graph.analytics.linkpred import (
    CLASSIC,
    CoopGraph,
    Participation,
    Recommender,
    classic_scores,
    evaluate,
    new_links,
    rank_of,
    run_eval,
    top_k,
)

P = Participation

# a - b - c, a - d - c, d - e ; project sizes 2 except p5 (4 members, year 2019)
TINY = [P("p1", "a", "enterprise", 2017), P("p1", "b", "university", 2017),
        P("p2", "b", "university", 2017), P("p2", "c", "enterprise", 2017),
        P("p3", "a", "enterprise", 2018), P("p3", "d", "institute", 2018),
        P("p4", "d", "institute", 2018), P("p4", "c", "enterprise", 2018),
        P("p6", "d", "institute", 2018), P("p6", "e", "other", 2018),
        P("p5", "a", "enterprise", 2019), P("p5", "c", "enterprise", 2019),
        P("p5", "e", "other", 2019), P("p5", "x", "other", 2019),
        P("solo", "f", "enterprise", 2018)]


def test_classic_scores_by_hand() -> None:
    g = CoopGraph.build(TINY, until=2018)
    i = g.index
    s = classic_scores(g, i["a"])
    # N(a) = {b, d}; N(c) = {b, d}; deg b = 2, deg d = 3
    assert s["cn"][i["c"]] == 2
    assert s["aa"][i["c"]] == pytest.approx(1 / math.log(2) + 1 / math.log(3))
    assert s["ra"][i["c"]] == pytest.approx(1 / 2 + 1 / 3)
    assert s["cn"][i["e"]] == 1 and s["ra"][i["e"]] == pytest.approx(1 / 3)
    assert s["cn"][i["f"]] == 0
    assert "x" not in i  # first seen after the split


def test_new_links_follow_the_protocol() -> None:
    g = CoopGraph.build(TINY, until=2018)
    pos = new_links(TINY, after=2018, until=None, known=g)
    i = g.index
    # p5 joins a, c, e (x is unknown in training); a-c, a-e, c-e are new
    assert pos[i["a"]] == {i["c"], i["e"]}
    assert pos[i["c"]] == {i["a"], i["e"]}
    big = [P("big", f"m{k}", "other", 2019) for k in range(51)]
    assert new_links(TINY + big, after=2018, until=None, known=g).keys() == pos.keys()


def test_rank_and_metrics_by_hand() -> None:
    scores = np.array([0.5, 0.9, 0.5, -np.inf, 0.1])
    assert rank_of(scores, 1) == 1
    assert rank_of(scores, 0) == 2 and rank_of(scores, 2) == 3  # tie: lower index first
    m = evaluate({0: [1, 12], 1: [60]})
    assert m.hits10 == pytest.approx(1 / 3) and m.hits50 == pytest.approx(2 / 3)
    assert m.mrr == pytest.approx((1 + 1 / 60) / 2)
    assert m.precision10 == pytest.approx((1 / 10 + 0) / 2)


def simulate(n: int, seed: int) -> list[Participation]:
    """Projects over 2010–2020 with repeat partners, triadic closure and field affinity."""
    rng = np.random.default_rng(seed)
    types = rng.choice(["enterprise", "university", "institute", "other"], size=n,
                       p=[0.6, 0.15, 0.15, 0.1])
    fields = rng.integers(0, 8, size=n)
    act = rng.pareto(1.5, size=n) + 1
    partners: list[set[int]] = [set() for _ in range(n)]
    rows, pid = [], 0
    for year in range(2010, 2021):
        for _ in range(int(n * 0.35)):
            size = min(1 + int(rng.geometric(0.55)), 50)
            lead = int(rng.choice(n, p=act / act.sum()))
            members = {lead}
            while len(members) < size:
                r = rng.random()
                if r < 0.45 and partners[lead]:
                    members.add(int(rng.choice(sorted(partners[lead]))))
                elif r < 0.7:
                    m = int(rng.choice(sorted(members)))
                    if partners[m]:
                        z = int(rng.choice(sorted(partners[m])))
                        two = sorted(partners[z])
                        members.add(int(rng.choice(two)) if two and rng.random() < 0.5 else z)
                else:
                    same = np.flatnonzero(fields == fields[lead])
                    members.add(int(rng.choice(same, p=act[same] / act[same].sum())))
            pid += 1
            for a in sorted(members):
                partners[a].update(x for x in members if x != a)
                rows.append(P(f"P{pid}", f"A{a}", str(types[a]), year, f"F{fields[a]}"))
    return rows


@pytest.mark.slow
def test_recommender_beats_every_classic_score_on_a_simulated_network() -> None:
    rows = simulate(1200, seed=7)
    result = run_eval(rows, train_until=2018, test_until=2020)
    ours = result.metrics["innograph"]
    assert ours.positives > 500
    for name in ("cn", "aa", "ra"):
        assert ours.mrr > result.metrics[name].mrr, name
        assert ours.hits50 >= result.metrics[name].hits50, name


def _write(path: Path, rows: list[Participation]) -> Path:
    lines = ["project_id,actor_id,actor_type,year,field"]
    lines += [f"{r.project},{r.actor},{r.actor_type},{r.year},{r.field}" for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_writes_k_recommendations_per_source(tmp_path: Path) -> None:
    table = _write(tmp_path / "p.csv", simulate(150, seed=3))
    out = tmp_path / "recs.jsonl"
    result = CliRunner().invoke(app, ["eval", "linkpred", "--participations", str(table),
                                      "--train-until", "2018", "--k", "5", "--out", str(out),
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert [m["method"] for m in metrics] == ["innograph", "cn", "aa", "ra"]
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert lines and all(len(x["recommendations"]) == 5 for x in lines)
    first = lines[0]
    assert first["actor_id"] not in {r["actor_id"] for r in first["recommendations"]}
    scores = [r["score"] for r in first["recommendations"]]
    assert scores == sorted(scores, reverse=True)


def test_cli_ranks_sources_without_positives(tmp_path: Path) -> None:
    table = _write(tmp_path / "p.csv", [r for r in TINY if r.year <= 2018])
    sources = tmp_path / "s.txt"
    sources.write_text("a\nf\nnobody\n", encoding="utf-8")
    out = tmp_path / "recs.jsonl"
    result = CliRunner().invoke(app, ["eval", "linkpred", "--participations", str(table),
                                      "--train-until", "2018", "--sources", str(sources),
                                      "--candidate-types", "enterprise,other",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "无可评分" in result.output
    recs = {x["actor_id"]: x["recommendations"]
            for x in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(recs) == {"a", "f"}
    assert [r["actor_id"] for r in recs["a"]] == ["c", "e", "f"]  # b, d linked; types kept
    assert recs["a"][0]["score"] > recs["a"][2]["score"]


def test_cli_names_the_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("project_id,actor_id,actor_type,year\np1,a,enterprise,二〇一八\n",
                   encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "linkpred", "--participations", str(bad),
                                      "--train-until", "2018"])
    assert result.exit_code == 1
    assert "bad.csv:2" in result.output and "year" in result.output


def test_selection_falls_back_to_a_classic_score_on_short_histories() -> None:
    from graph.analytics.linkpred import Recommender

    rec = Recommender().fit(TINY, train_until=2018)
    assert rec.model is None and rec.mode in ("cn", "aa", "ra")
    g = CoopGraph.build(TINY, until=2018)
    (_, scores), = list(rec.score_many(g, [g.index["a"]]))
    order = [g.actors[i] for i in np.argsort(-scores) if np.isfinite(scores[i])]
    assert order[0] == "c"  # two common neighbours beat one


@pytest.mark.slow
def test_selection_compares_every_mode_on_held_out_sources() -> None:
    from graph.analytics.linkpred import Recommender

    rec = Recommender().fit(simulate(600, seed=5), train_until=2018, horizon=2)
    assert set(rec.validation) == {"model", "blend", "cn", "aa", "ra"}
    assert rec.mode == max(rec.validation, key=lambda m: (rec.validation[m],
                                                          m in ("cn", "aa", "ra")))


def random_rows(n_actors: int, n_projects: int, seed: int) -> list[Participation]:
    """Projects of 2–6 random members over 2015–2018 (a few repeated rows)."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(n_projects):
        members = rng.choice(n_actors, size=int(rng.integers(2, 7)), replace=False)
        year = int(rng.integers(2015, 2019))
        rows += [P(f"p{p}", f"a{m:03d}", ("enterprise", "university")[m % 2], year, f"F{m % 3}")
                 for m in members]
    return rows + rows[:5]


def test_batched_classic_scores_equal_networkx() -> None:
    g = CoopGraph.build(random_rows(60, 70, seed=4), until=2018)
    ref = nx.from_scipy_sparse_array(g.adjacency)
    n = len(g.actors)
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
    want = {"cn": {(u, v): float(len(list(nx.common_neighbors(ref, u, v)))) for u, v in pairs},
            "aa": {(u, v): p for u, v, p in nx.adamic_adar_index(ref, pairs)},
            "ra": {(u, v): p for u, v, p in nx.resource_allocation_index(ref, pairs)}}
    assert any(v > 0 for v in want["aa"].values())
    batch = g.engine.classic(np.arange(n))  # every source in one sparse product
    for name in CLASSIC:
        rows = batch[name].toarray()
        for u, v in pairs:
            assert rows[u, v] == pytest.approx(want[name][u, v], abs=1e-12), (name, u, v)
    for s in (0, 7, n - 1):  # one source at a time gives the same
        single = classic_scores(g, s)
        for name in CLASSIC:
            np.testing.assert_allclose(single[name], batch[name].toarray()[s], atol=1e-12)


def test_build_counts_like_a_direct_loop() -> None:
    big = [P("huge", f"m{k}", "other", 2018) for k in range(51)]  # > 50 members: ignored
    rows = [*TINY, P("p1", "a", "university", 2017), P("p3", "a", "enterprise", 2018),
            P("p7", "a", "enterprise", 2016), P("p7", "b", "university", 2016),
            P("p7", "ghost", "other", 2016), *big]
    listed = ["a", "b", "c", "d", "e", "f", "nobody"]  # "ghost" and the m's are left out
    g = CoopGraph.build(rows, until=2018, actors=listed)
    assert g.actors == sorted(listed)
    members: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r.year <= 2018:
            members[r.project].add(r.actor)
    shared: Counter[tuple[str, str]] = Counter()
    for m in members.values():
        if 2 <= len(m) <= 50:
            shared.update(combinations(sorted(x for x in m if x in g.index), 2))
    w = g.weights.toarray()
    got = {(g.actors[i], g.actors[j]): w[i, j] for i, j in zip(*np.nonzero(np.triu(w)),
                                                               strict=True)}
    assert got == dict(shared)
    assert got[("a", "b")] == 2  # p1 and p7 (p7 has three members with ghost)
    assert (g.adjacency.toarray() == (w > 0)).all() and (w == w.T).all()
    i = g.index
    assert g.projects[i["a"]] == 5  # p1 twice, p3 twice, p7
    assert g.types[i["a"]] == "enterprise" and g.types[i["nobody"]] == "other"
    assert g.last_active[i["a"]] == 2018 and g.recent[i["b"]] == 2  # p1, p2 in 2017
    assert g.degree[i["nobody"]] == 0 and g.degree[i["d"]] == 3


def test_new_links_equal_a_direct_loop() -> None:
    rows = simulate(200, seed=4)
    g = CoopGraph.build(rows, until=2016)
    members: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        if 2016 < r.year <= 2018 and r.actor in g.index:
            members[r.project].add(g.index[r.actor])
    adj = g.adjacency.toarray()
    want: dict[int, set[int]] = defaultdict(set)
    for m in members.values():
        if 2 <= len(m) <= 50:
            for a, b in combinations(sorted(m), 2):
                if not adj[a, b]:
                    want[a].add(b)
                    want[b].add(a)
    got = new_links(rows, after=2016, until=2018, known=g)
    assert got == dict(want) and len(got) > 20


def test_top_k_orders_ties_by_index() -> None:
    scores = np.array([1.0, 3.0, 3.0, -np.inf, 2.0, 3.0, 0.0])
    assert top_k(scores, 4) == [1, 2, 5, 4]
    assert top_k(scores, 10) == [1, 2, 5, 4, 0, 6]  # -inf never listed
    rng = np.random.default_rng(3)
    many = rng.integers(0, 6, 3000).astype(float)  # a few values: ties everywhere
    many[rng.random(3000) < 0.2] = -np.inf
    order = sorted(np.flatnonzero(np.isfinite(many)), key=lambda i: (-many[i], i))
    for k in (1, 9, 100, 5000):
        assert top_k(many, k) == order[:k]


@pytest.mark.slow
def test_eval_ranks_equal_the_dense_ranking_and_repeat() -> None:
    """run_eval counts ranks from sparse rows; the dense score vectors of the same
    (re-fitted, hence deterministic) recommender give the same ranks, metrics and lists."""
    rows = simulate(400, seed=11)
    wanted = ["enterprise", "institute"]
    result = run_eval(rows, train_until=2018, test_until=2020, candidate_types=wanted, k=20)
    g = CoopGraph.build(rows, until=2018)
    positives = new_links(rows, after=2018, until=2020, known=g)
    rec = Recommender().fit(rows, train_until=2018, horizon=2)
    assert rec.mode == result.mode and rec.validation == result.validation
    assert rec.model is not None  # the classifier path, not only a classic score
    ranks: dict[str, dict[int, list[int]]] = {m: {} for m in ("innograph", *CLASSIC)}
    for s, scores in rec.score_many(g, sorted(positives), candidate_types=set(wanted)):
        allowed = np.isfinite(scores)
        assert result.recommendations[g.actors[s]] == [
            (g.actors[c], float(scores[c])) for c in top_k(scores, 20)]
        pos = [p for p in sorted(positives[s]) if allowed[p]]
        if not pos:
            continue
        ranks["innograph"][s] = [rank_of(scores, p) for p in pos]
        for name, vec in classic_scores(g, s).items():
            masked = np.where(allowed, vec, -np.inf)
            ranks[name][s] = [rank_of(masked, p) for p in pos]
    assert ranks["innograph"]
    for method, by_source in ranks.items():
        want, got = evaluate(by_source), result.metrics[method]
        assert (got.sources, got.positives) == (want.sources, want.positives)
        assert (got.hits10, got.hits50, got.mrr, got.precision10) == pytest.approx(
            (want.hits10, want.hits50, want.mrr, want.precision10), rel=1e-12)


def test_recommender_pool_is_bounded() -> None:
    rows = simulate(300, seed=9)
    rec = Recommender(pool_size=30, hop2_size=10, hop3_size=10, popular_size=5)
    rec.fit(rows, train_until=2018)
    assert rec.model is not None and rec.stage is not None
    g = CoopGraph.build(rows, until=2018)
    rec.mode = "model"
    sizes = []
    for _, scores in rec.score_many(g, list(range(0, len(g.actors), 25))):
        # the pool gets probabilities in [0, 1], every other allowed actor -10 + activity
        sizes.append(((scores >= 0) & np.isfinite(scores)).sum())
        assert (np.isfinite(scores) & (scores < 0)).any()
    assert max(sizes) <= 30 + 10 + 10 + 5 and max(sizes) > 30


def test_synthetic_table_is_reproducible_and_heavy_tailed() -> None:
    cfg = SynthConfig(rows=6000, pool=4000, seed=5)
    rows = synthesize(cfg)
    assert rows == synthesize(cfg)
    assert rows != synthesize(SynthConfig(rows=6000, pool=4000, seed=6))
    assert abs(len(rows) - 6000) < 600
    sizes = Counter(Counter(r[0] for r in rows).values())
    assert sizes[1] > 0 and sizes[2] > sizes[10] > 0 and max(sizes) > 20
    assert {r[3] for r in rows} == set(range(2010, 2021))
    first = rows[0]
    assert first[0].startswith("P2010") and first[1].startswith("A") and first[2]


def test_sorted_unique_is_numpy_unique_by_sorting() -> None:
    """The recommender's pools and samples deduplicate with a sort (numpy 2's hash-based
    unique is slower there); it must give exactly np.unique: values, order and dtype."""
    from graph.analytics.linkpred import sorted_unique

    rng = np.random.default_rng(3)
    cases = [np.empty(0, np.int64), np.array([7]), np.array([5, 5, 5]),
             np.array([-3, 2, -3, 0], dtype=np.int32)]
    cases += [rng.integers(-50, 10**6 if i % 2 else 40, size=rng.integers(2, 3000))
              for i in range(40)]
    for a in cases:
        got, want = sorted_unique(a), np.unique(a)
        assert got.dtype == want.dtype and np.array_equal(got, want), a[:10]
    a = np.array([3, 1, 3])
    sorted_unique(a)
    assert a.tolist() == [3, 1, 3]  # the input is left as it was


def test_top_positions_are_the_k_best_ties_to_the_lower_position() -> None:
    """The pools' selection (a partition for the k-th value, then a sort of what is at
    or above it) gives the order a full sort by (-value, position) gives, -inf and
    heavy ties included, for k below, at and above the length."""
    from graph.analytics.linkpred import _top

    rng = np.random.default_rng(11)
    for trial in range(60):
        n = int(rng.integers(1, 400))
        v = rng.integers(0, 1 + trial % 7, n).astype(float)
        v[rng.random(n) < 0.3] = -np.inf
        order = sorted(range(n), key=lambda i: (-v[i], i))
        for k in (1, 2, n // 3, n - 1, n, n + 5):
            assert _top(v, k).tolist() == order[:max(k, 0)], (trial, k)
    assert _top(np.array([1.0, 2.0]), 0).tolist() == []
