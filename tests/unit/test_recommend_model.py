"""The recommender's model: fitted by an ingest's analysis, saved in the store, loaded by
the processes that open the store later instead of fitted again (both backends)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio

from graph.analytics import recommend
from graph.analytics.computed import Computed, analyse
from graph.analytics.linkpred import Participation, Recommender
from graph.analytics.recommend import (
    MODEL_NAME,
    model_bytes,
    model_from_bytes,
    recommend_index,
    recommend_partners,
    saved_model,
)
from graph.store import GraphStore
from tests.conftest import reopen_store


class Planted:
    """A type no saved recommender holds."""


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ingest.generate.core import GenerateConfig, generate

    folder = tmp_path_factory.mktemp("city")
    generate(folder, GenerateConfig(actors=300, seed=3))
    return folder


def _no_fit(*_: object, **__: object) -> Recommender:
    raise AssertionError("fitted again instead of loading the saved model")


def _sources(comp: Computed, n: int = 12) -> list[str]:
    g = comp.graph
    return sorted(u for u, d in g.nodes(data=True)
                  if d.get("label") == "Enterprise" and g.degree(u) > 2)[:n]


def test_a_later_process_loads_the_model_the_analysis_fitted(
        store: GraphStore, backend: str, city: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.pipeline import run_ingest

    run_ingest(store, [city])
    first = Computed(store, store.version())
    analyse(store, computed=first)
    fitted, fitted_on = first.extras["recommend-model"]
    assert fitted.model is not None and fitted_on[1] > 100  # a classifier was trained
    sources = _sources(first)
    assert sources
    expected = {s: recommend_partners(store, s, computed=first) for s in sources}
    assert any(expected.values())

    later = reopen_store(backend, store, tmp_path)
    try:
        monkeypatch.setattr(Recommender, "fit", _no_fit)
        comp = Computed(later, later.version())
        ix = recommend_index(comp)
        assert ix.fitted_on == fitted_on and ix.model.mode == fitted.mode
        assert ix.model is not fitted  # read from the store, not this process's object
        got = {s: recommend_partners(later, s, computed=comp) for s in sources}
        assert got == expected
    finally:
        if later is not store:
            later.close()


def test_analysis_refits_only_when_the_data_grew(store: GraphStore, city: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.pipeline import run_ingest

    run_ingest(store, [city])
    analyse(store)
    saved = saved_model(store)
    assert saved is not None
    calls: list[int] = []
    real_fit = Recommender.fit

    def counted(self: Recommender, rows: object, **kw: object) -> Recommender:
        calls.append(1)
        return real_fit(self, rows, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Recommender, "fit", counted)
    # a property-only change: a new version, the same participations: the saved model
    some = next(iter(store.find_records(label="Enterprise", limit=1)))
    store.upsert_nodes(nodes=[{**{k: some[k] for k in ("uid", "label", "name")},
                               "keywords": ["新关键词"]}])
    analyse(store)
    assert calls == []
    # a new year of cooperation: fitted again, and the new fit replaces the saved one
    enterprises = [r["uid"] for r in store.find_records(label="Enterprise", limit=2)]
    store.upsert_edges(edges=[{"type": "COOPERATES_WITH", "source": enterprises[0],
                               "target": enterprises[1], "first_year": 2031,
                               "last_year": 2031}])
    analyse(store)
    assert calls == [1]
    again = saved_model(store)
    assert again is not None and again[1][0] == 2031


def test_the_model_round_trips_and_scores_the_same() -> None:
    from graph.analytics.linkpred import CoopGraph
    from tests.unit.test_linkpred import simulate

    rows = simulate(300, seed=5)
    rec = Recommender().fit(rows, train_until=2019)
    assert rec.model is not None and rec.stage is not None
    back, fitted_on = model_from_bytes(model_bytes(rec, (2019, len(rows))))
    assert fitted_on == (2019, len(rows))
    assert (back.mode, back.validation, back.pool_size) == (rec.mode, rec.validation,
                                                           rec.pool_size)
    g = CoopGraph.build(rows, until=2019)
    for s in range(0, 60, 7):
        assert np.array_equal(back.score(g, s), rec.score(g, s))


def _dump(**over: object) -> bytes:
    import sklearn

    data = {"format": recommend.MODEL_FORMAT, "sklearn": sklearn.__version__,
            "fitted_on": [2020, 10], "params": {}, "stage": None, "model": None}
    data.update(over)
    return sio.dumps(data)


def test_a_saved_model_with_foreign_types_is_refused_unloaded() -> None:
    with pytest.raises(ValueError, match="Planted"):
        model_from_bytes(_dump(model=Planted()))


def test_a_model_of_another_scikit_learn_is_refitted(store: GraphStore,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ValueError, match=r"scikit-learn 0\.1 训练"):
        model_from_bytes(_dump(sklearn="0.1"))
    assert model_from_bytes(_dump())[1] == (2020, 10)
    store.save_derived(name=MODEL_NAME, version=store.version(), data=_dump(sklearn="0.1"))
    with caplog.at_level(logging.WARNING, logger="innograph.recommend"):
        assert saved_model(store) is None
    assert "重新训练" in caplog.text
    store.save_derived(name=MODEL_NAME, version=store.version(), data=b"not a model")
    assert saved_model(store) is None


def test_a_large_fit_runs_in_a_child_process_and_gives_the_same_model(
        city: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.backends.embedded import EmbeddedStore
    from ingest.pipeline import run_ingest

    store = EmbeddedStore(None)
    store.open()
    run_ingest(store, [city])
    here = Computed(store, store.version())
    in_process, fitted_on = recommend.start_model(here).finish()
    store.save_derived(name=MODEL_NAME, version=0, data=b"")  # nothing to reuse

    # every fit is "large", and this process may not fit: the child must
    monkeypatch.setattr(recommend, "FIT_APART_ROWS", 0)
    monkeypatch.setattr(recommend.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(Recommender, "fit", _no_fit)
    comp = Computed(store, store.version())
    job = recommend.start_model(comp)
    assert job.apart is not None
    got, got_on = job.finish()
    assert got_on == fitted_on and got.mode == in_process.mode
    assert got.validation == pytest.approx(in_process.validation)
    ix = recommend_index(comp)
    assert ix.model is got
    for s in range(0, min(40, len(ix.cg.actors)), 5):
        assert np.array_equal(got.score(ix.cg, s), in_process.score(ix.cg, s))
    saved = saved_model(store)
    assert saved is not None and saved[1] == fitted_on


def test_an_ingest_s_fit_child_is_started_before_the_participations_are_read(
        city: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the analysis of an ingest starts the child first, so that its imports overlap the
    # reading of the participations; the model it fits is the one this process fits
    from graph.analytics.computed import sorted_records
    from graph.backends.embedded import EmbeddedStore
    from ingest.pipeline import run_ingest

    store = EmbeddedStore(None)
    store.open()
    run_ingest(store, [city])
    records = sorted_records(store)
    in_process, fitted_on = recommend.start_model(Computed(store, store.version()),
                                                  records=records).finish()
    store.save_derived(name=MODEL_NAME, version=0, data=b"")  # nothing to reuse

    monkeypatch.setattr(recommend, "FIT_APART_ROWS", 0)
    monkeypatch.setattr(recommend.os, "cpu_count", lambda: 2)
    children: list[Any] = []
    reads: list[int] = []
    real_child, real_read = recommend._FitApart, recommend.participations_of_records

    def child() -> Any:
        children.append(real_child())
        return children[-1]

    def read(*got: Any) -> Any:
        assert children and children[-1]._proc.poll() is None  # started, waiting
        reads.append(len(children))
        return real_read(*got)

    monkeypatch.setattr(recommend, "_FitApart", child)
    monkeypatch.setattr(recommend, "participations_of_records", read)
    job = recommend.start_model(Computed(store, store.version()), records=records)
    assert job.apart is children[0]
    monkeypatch.setattr(Recommender, "fit", _no_fit)  # only the child may fit
    got, got_on = job.finish()
    assert got_on == fitted_on and got.mode == in_process.mode
    assert got.validation == pytest.approx(in_process.validation)
    assert len(children) == 1

    # a saved model that serves: the child started in advance is stopped, unused
    job = recommend.start_model(Computed(store, store.version()), records=records)
    assert job.reused is not None and job.apart is None
    assert reads == [1, 2] and children[1]._proc.poll() is not None


def test_a_cancelled_fit_stops_its_child(city: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.backends.embedded import EmbeddedStore
    from ingest.pipeline import run_ingest

    store = EmbeddedStore(None)
    store.open()
    run_ingest(store, [city])
    monkeypatch.setattr(recommend, "FIT_APART_ROWS", 0)
    monkeypatch.setattr(recommend.os, "cpu_count", lambda: 2)
    job = recommend.start_model(Computed(store, store.version()))
    assert job.apart is not None
    proc = job.apart._proc
    job.cancel()
    assert proc.poll() is not None and job.apart is None
    assert saved_model(store) is None  # nothing half-saved


def test_a_failed_child_leaves_the_fit_to_this_process(
        city: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import sys

    from graph.backends.embedded import EmbeddedStore
    from ingest.pipeline import run_ingest

    store = EmbeddedStore(None)
    store.open()
    run_ingest(store, [city])
    monkeypatch.setattr(recommend, "FIT_APART_ROWS", 0)
    monkeypatch.setattr(recommend.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(sys, "executable", "/bin/false")  # a child that fails at once
    job = recommend.start_model(Computed(store, store.version()))
    assert job.apart is not None
    with caplog.at_level(logging.WARNING, logger="innograph.recommend"):
        model, fitted_on = job.finish()
    assert "在子进程中训练推荐模型失败(退出码 1" in caplog.text
    assert model.mode in model.validation and fitted_on[1] > 100
    saved = saved_model(store)
    assert saved is not None and saved[1] == fitted_on


def _rows_of(table: Any) -> list[Participation]:
    """The rows a participation table holds, in its order (decoded from its columns)."""
    return [Participation(table.projects[p], table.actors[a], table.types[t], int(y),
                          table.fields[f])
            for p, a, t, y, f in zip(table.project.tolist(), table.actor.tolist(),
                                     table.actor_type.tolist(), table.year.tolist(),
                                     table.field.tolist(), strict=True)]


def test_participations_read_from_records_are_those_of_the_projection(city: Path) -> None:
    # the analysis starts the fit on participations read from the store's records before it
    # builds the projection: the rows, and their order, must be the projection's
    from graph.analytics.computed import in_edge_order, project, project_records, sorted_records
    from graph.analytics.recommend import (
        participation_table,
        participations,
        participations_of_records,
    )
    from graph.backends.embedded import EmbeddedStore
    from ingest.pipeline import run_ingest

    store = EmbeddedStore(None)
    store.open()
    run_ingest(store, [city])
    nodes, edges = sorted_records(store)
    g = project(store)
    assert [e["uid"] for e in in_edge_order(nodes, edges)] == [
        k for *_, k in g.edges(keys=True)]
    table = participations_of_records(nodes, edges)
    assert len(table) > 100 and _rows_of(table) == participations(g)
    assert _rows_of(participation_table(g)) == participations(g)

    # from one source, a target comes where its first relationship (of any type) puts it,
    # and a relationship to a node that is not there is left out
    def node(uid: str, label: str, **kw: object) -> dict[str, object]:
        return {"uid": uid, "label": label, "name": uid, **kw}

    def rel(t: str, s: str, o: str, **kw: object) -> dict[str, object]:
        return {"uid": f"{s}|{t}||{o}", "type": t, "source": s, "target": o, **kw}

    nodes = sorted([node("ent:a", "Enterprise"), node("ent:b", "Enterprise"),
                    node("prj:1", "Project", year=2019), node("prj:2", "Project"),
                    node("fld:x", "Field"), node("fld:y", "Field")], key=lambda r: r["uid"])
    edges = sorted([rel("PARTICIPATES_IN", "ent:a", "prj:2", year=2020),
                    rel("PARTICIPATES_IN", "ent:a", "prj:1"),
                    rel("LEADS", "ent:a", "prj:1"),  # sorts first: prj:1 comes before prj:2
                    rel("COOPERATES_WITH", "ent:a", "ent:b", last_year=2021),
                    rel("IN_FIELD", "prj:1", "fld:y"), rel("IN_FIELD", "prj:1", "fld:x"),
                    rel("IN_FIELD", "prj:2", "fld:gone"),
                    rel("PARTICIPATES_IN", "ent:gone", "prj:1", year=2018)],
                   key=lambda r: r["uid"])
    g = project_records(nodes, edges)
    assert [e["uid"] for e in in_edge_order(nodes, edges)] == [
        k for *_, k in g.edges(keys=True)]
    # of some types only: the same order, the others left out (they still place targets:
    # prj:2 comes first, where the LEADS to it puts it)
    few = sorted([rel("LEADS", "ent:a", "prj:2"), rel("PARTICIPATES_IN", "ent:a", "prj:1"),
                  rel("PARTICIPATES_IN", "ent:a", "prj:2")], key=lambda r: r["uid"])
    assert [e["uid"] for e in in_edge_order(nodes, few, types={"PARTICIPATES_IN"})] == [
        "ent:a|PARTICIPATES_IN||prj:2", "ent:a|PARTICIPATES_IN||prj:1"]
    assert _rows_of(participations_of_records(nodes, edges)) == participations(g)
    assert [(r.project, r.actor, r.year, r.field) for r in participations(g)][:3] == [
        ("coop:ent:a|COOPERATES_WITH||ent:b", "ent:a", 2021, ""),
        ("coop:ent:a|COOPERATES_WITH||ent:b", "ent:b", 2021, ""),
        ("prj:1", "ent:a", 2019, "fld:x")]


def test_the_analysis_fits_the_model_of_the_projection(city: Path) -> None:
    # the analysis of a store fits on the participations of its records, read before the
    # projection: the model it saves is the one a fit on the projection's gives
    from graph.analytics.computed import project
    from graph.analytics.recommend import participations
    from graph.backends.embedded import EmbeddedStore
    from ingest.pipeline import run_ingest

    store = EmbeddedStore(None)
    store.open()
    run_ingest(store, [city])
    comp = Computed(store, store.version())
    analyse(store, computed=comp)
    got, got_on = comp.extras["recommend-model"]
    rows = participations(project(store))
    until = max(r.year for r in rows)
    want = Recommender().fit(rows, train_until=until)
    assert got_on == (until, len(rows))
    assert got.mode == want.mode and got.validation == pytest.approx(want.validation)
    ix = recommend_index(comp)
    assert ix.model is got
    for s in range(0, min(60, len(ix.cg.actors)), 3):
        assert np.array_equal(got.score(ix.cg, s), want.score(ix.cg, s))
