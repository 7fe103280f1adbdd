"""Link prediction: classic scores on hand-computed graphs, the protocol, the CLI contract."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from api import cli_linkpred  # noqa: F401  (registers eval linkpred)
from api.cli import app
from graph.analytics.linkpred import (
    CoopGraph,
    Participation,
    classic_scores,
    evaluate,
    new_links,
    rank_of,
    run_eval,
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
    assert "nothing to score" in result.output
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
