"""What the scale work must not change: fresh answers after any commit, computed tables
served as saved, the node mirror and its pipelined writer, fuzzy look-ups among many
names. (Speed itself is measured in bench/, never asserted here.)"""

from __future__ import annotations

import inspect
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph.analytics import computed as computed_mod
from graph.analytics.computed import Computed, ComputedCache, analyse
from graph.backends.embedded import EmbeddedStore
from graph.errors import GraphError
from graph.settings import Settings
from graph.store import GraphStore
from ingest.errors import IngestError
from ingest.mirror import MirroredStore
from ingest.pipeline import run_ingest
from ingest.resolve import Resolver
from schemas.nodes import Enterprise
from schemas.records import Record, edge_to_record, node_to_record
from schemas.relationships import Relationship
from tests.e2e import test_match_api
from tests.e2e.test_match_api import EDGES, NODES
from tests.unit.test_ingest_support import registry_copy

client = test_match_api.client  # the same fixture: the match tests' graph, served


def test_a_property_only_update_is_seen_by_the_next_match_and_recommendation(
        client: TestClient, store: GraphStore) -> None:
    before = client.post("/match", json={"text": "量子点标记"}).json()
    assert "team:mat" not in [r["uid"] for r in before["results"]]
    recs = client.get("/recommendations/ent:need", params={"k": 50}).json()
    assert recs, "the fixture gives the enterprise candidates"
    shown = recs[0]["uid"]
    counts = store.stats()
    mat = next(n for n in NODES if n["uid"] == "team:mat")
    store.upsert_nodes(nodes=[{**mat, "keywords": [*mat["keywords"], "量子点标记"]}])
    renamed = next(n for n in NODES if n["uid"] == shown)
    store.upsert_nodes(nodes=[{**renamed, "name": renamed["name"] + "(更名)"}])
    assert store.stats() == counts  # no count changed: only the version tells
    after = client.post("/match", json={"text": "量子点标记"}).json()
    assert "team:mat" in [r["uid"] for r in after["results"]]
    again = client.get("/recommendations/ent:need", params={"k": 50}).json()
    assert {r["uid"]: r["name"] for r in again}[shown].endswith("(更名)")


def test_saved_gap_tables_are_served_until_the_store_changes(
        store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    counts = analyse(store)
    assert set(counts) == set(computed_mod.TABLE_NAMES)
    expected = Computed(store, store.version()).table("fields")

    def boom(*_a: object, **_k: object) -> list[dict[str, object]]:
        raise AssertionError("computed although a saved table of this version exists")

    import graph.analytics.gaps as gaps

    boom.__signature__ = inspect.signature(gaps.field_gaps)  # type: ignore[attr-defined]
    monkeypatch.setattr(gaps, "field_gaps", boom)
    fresh = Computed(store, store.version())  # a new process would start like this
    assert fresh.table("fields") == expected
    assert fresh.table("fields", rollup=False, min_demand=0) == expected  # defaults spelled
    with pytest.raises(AssertionError):
        fresh.table("fields", rollup=True)  # other parameters: computed
    store.upsert_nodes(nodes=[{**NODES[0], "name": "智慧康养产业"}])
    with pytest.raises(AssertionError):
        Computed(store, store.version()).table("fields")  # a newer version: computed


def test_saved_gap_tables_are_compressed_and_older_plain_saves_still_load(
        store: GraphStore) -> None:
    import json
    import zlib

    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    analyse(store)
    version, data = store.load_derived(name=computed_mod.TABLES_NAME) or (0, b"")
    assert version == store.version()
    tables = json.loads(zlib.decompress(data))  # a zlib stream, not the JSON itself
    assert set(tables) == set(computed_mod.TABLE_NAMES) and tables["fields"]
    assert len(data) < len(json.dumps(tables, ensure_ascii=False).encode())
    assert Computed(store, version).saved_tables() == tables
    # a store analysed before the compression holds the JSON as it was: still served
    plain = {**tables, "fields": tables["fields"][:1]}
    store.save_derived(name=computed_mod.TABLES_NAME, version=version,
                       data=json.dumps(plain, ensure_ascii=False).encode("utf-8"))
    assert Computed(store, version).table("fields") == plain["fields"]


def test_the_served_tables_equal_freshly_computed_ones(client: TestClient,
                                                       store: GraphStore) -> None:
    analyse(store)
    for name in ("fields", "isolated", "communities", "holes", "targets"):
        served = client.get(f"/gaps/{name}").json()
        assert served == computed_mod._plain(computed_mod._tables()[name](
            computed_mod.project(store)))


class _Counting(EmbeddedStore):
    """A store that is not the embedded backend to the pipeline, counting what it is asked."""

    backend = "counting"

    def __init__(self, fail_on_commit: int | None = None) -> None:
        super().__init__(None)
        self.searches = 0
        self.name_finds = 0
        self.commits = 0
        self.fail_on_commit = fail_on_commit
        self.edge_uids_asked: list[str] = []
        self.edge_uids_put: set[str] = set()
        self.asked_before_put: list[str] = []

    def search(self, **kw: object) -> list:  # type: ignore[override]
        self.searches += 1
        return super().search(**kw)  # type: ignore[arg-type]

    def find_records(self, **kw: object) -> list[Record]:  # type: ignore[override]
        if kw.get("name") is not None:
            self.name_finds += 1
        return super().find_records(**kw)  # type: ignore[arg-type]

    def read_edges(self, **kw: object) -> dict[str, Record]:  # type: ignore[override]
        asked = list(kw.get("uids") or ())  # type: ignore[call-overload]
        self.edge_uids_asked.extend(asked)
        self.asked_before_put.extend(u for u in asked if u not in self.edge_uids_put)
        return super().read_edges(**kw)  # type: ignore[arg-type]

    def commit(self, **kw: object) -> None:  # type: ignore[override]
        self.edge_uids_put.update(e["uid"] for e in kw.get("put_edges") or ())  # type: ignore[union-attr]
        self.commits += 1
        if self.fail_on_commit is not None and self.commits >= self.fail_on_commit:
            raise GraphError("the database refused the write")
        super().commit(**kw)  # type: ignore[arg-type]


def _graph_of(store: GraphStore) -> tuple[dict[str, Record], dict[str, Record]]:
    nodes = {r["uid"]: {k: v for k, v in r.items() if k != "prov_ingested_at"}
             for b in store.scan_nodes() for r in b}
    edges = {r["uid"]: {k: v for k, v in r.items() if k != "prov_ingested_at"}
             for b in store.scan_edges() for r in b}
    return nodes, edges


def _mirrored_ingest(tmp_path: Path) -> tuple[Path, _Counting, MirroredStore]:
    """The sample registry ingested through a mirror of a counting store, checked to give
    the same report and graph as a plain embedded store."""
    reg = registry_copy(tmp_path)
    plain = EmbeddedStore(None)
    plain.open()
    rep_plain = run_ingest(plain, [reg], batch_size=3)
    real = _Counting()
    real.open()
    mirror = MirroredStore(real)
    mirror.open()
    rep = run_ingest(mirror, [reg], batch_size=3)
    assert (rep.created, rep.updated, len(rep.merged)) == (
        rep_plain.created, rep_plain.updated, len(rep_plain.merged))
    assert _graph_of(real) == _graph_of(plain)
    return reg, real, mirror


def test_the_mirror_resolves_in_memory_and_writes_the_same_graph(tmp_path: Path) -> None:
    reg, real, mirror = _mirrored_ingest(tmp_path)
    assert real.searches == 0 and real.name_finds == 0  # every name question in memory
    assert mirror.count_nodes("Enterprise") == real.count_nodes("Enterprise") > 0
    assert real.commits > 3  # written batch by batch through the writer thread
    again = run_ingest(mirror, [reg], batch_size=3)
    assert (again.created, again.updated) == (0, 0)


@pytest.mark.parametrize("cache", [MirroredStore.EDGE_CACHE, 2])
def test_a_first_load_asks_only_for_relationships_it_wrote(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: int) -> None:
    # begun on a store without relationships, the run knows every relationship stored is
    # one it wrote: it asks the database for none other (with a tiny cache, for the ones
    # it wrote and forgot); begun on a filled store, it asks for what it does not hold
    monkeypatch.setattr(MirroredStore, "EDGE_CACHE", cache)
    reg, real, _ = _mirrored_ingest(tmp_path)
    assert real.edge_uids_put and real.asked_before_put == []
    if cache == 2:
        assert real.edge_uids_asked  # forgotten by the cache: read back, not assumed new
    real.edge_uids_asked.clear()
    again = MirroredStore(real)
    again.open()
    rerun = run_ingest(again, [reg], batch_size=3)
    assert (rerun.created, rerun.updated) == (0, 0)
    assert set(real.edge_uids_asked) == real.edge_uids_put  # a filled store: asked


def test_a_first_load_hands_its_landing_the_graph_the_store_then_holds(
        store: GraphStore, tmp_path: Path) -> None:
    # while the last batches are still queued, the run hands its landing the records of
    # the graph it kept (the mirrored nodes, the relationships it wrote, those of
    # merged-away nodes gone), in uid order; once the run has ended, the store's own
    # projection is their projection: the same nodes and relationships, the same
    # records, in the same order
    reg = registry_copy(tmp_path)
    seen: list[tuple[int, Any]] = []

    def landing(rep: Any, records: Any) -> None:
        nodes, edges = records
        assert [r["uid"] for r in nodes] == sorted(r["uid"] for r in nodes)
        assert [r["uid"] for r in edges] == sorted(r["uid"] for r in edges)
        seen.append((rep.created, computed_mod.project_records(nodes, edges)))

    mirror = MirroredStore(store)
    mirror.open()
    rep = run_ingest(mirror, [reg], batch_size=3, landing=landing)
    assert rep.merged, "the registry merges names: deletions are part of the check"
    assert len(seen) == 1
    created, g = seen[0]
    assert created == rep.created  # the counts are final when it is called
    p = computed_mod.project(store)
    assert g.number_of_edges() > 50
    assert list(g.nodes(data=True)) == list(p.nodes(data=True))
    assert list(g.edges(keys=True, data=True)) == list(p.edges(keys=True, data=True))
    # a run that begins on a store with relationships has no such graph: no landing
    again = MirroredStore(store)
    again.open()
    run_ingest(again, [reg], batch_size=3, landing=landing)
    assert len(seen) == 1


def test_a_failed_background_write_fails_the_run(tmp_path: Path) -> None:
    reg = registry_copy(tmp_path)
    real = _Counting(fail_on_commit=4)
    real.open()
    mirror = MirroredStore(real)
    mirror.open()
    with pytest.raises((IngestError, GraphError), match="refused"):
        run_ingest(mirror, [reg], batch_size=3)
    assert real.commits == 4  # nothing after the failure was sent


class _Held(EmbeddedStore):
    """A store whose commits wait until the test lets them through."""

    backend = "held"

    def __init__(self) -> None:
        super().__init__(None)
        self.gate = threading.Event()
        self.started = threading.Event()

    def commit(self, **kw: object) -> None:  # type: ignore[override]
        self.started.set()
        assert self.gate.wait(30), "the test never opened the gate"
        super().commit(**kw)  # type: ignore[arg-type]


def test_the_writer_queue_is_bounded_by_the_records_in_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # commits queue up to IN_FLIGHT records while the database is busy (the run goes on
    # planning); the one that would pass the bound waits for the oldest to be written
    monkeypatch.setattr(MirroredStore, "IN_FLIGHT", 100)
    real = _Held()
    real.open()
    mirror = MirroredStore(real)
    mirror.open()
    batches = [[node_to_record(Enterprise(uid=f"n:{b}:{i}", name=f"企业{b}-{i}"))
                for i in range(30)] for b in range(4)]
    for batch in batches[:3]:  # 90 records: queued, none written yet
        mirror.commit(put_nodes=batch)
    assert real.started.wait(10)
    assert mirror.read_nodes(uids=["n:2:0"])  # the mirror sees them at once
    assert real.stats().nodes == {}
    done = threading.Event()
    fourth = threading.Thread(target=lambda: (mirror.commit(put_nodes=batches[3]),
                                              done.set()))
    fourth.start()
    assert not done.wait(0.3)  # 120 records would be queued: it waits
    real.gate.set()
    fourth.join(10)
    assert done.is_set()
    mirror.flush()
    assert sum(real.stats().nodes.values()) == 120
    mirror.close()


class _Gated(EmbeddedStore):
    """A store whose every commit waits for the test to let it through, by its name (the
    first relationship's description, else "nodes")."""

    backend = "gated"

    def __init__(self) -> None:
        super().__init__(None)
        self.started: dict[str, threading.Event] = {}
        self.gates: dict[str, threading.Event] = {}
        self.done: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def events(self, name: str) -> tuple[threading.Event, threading.Event, threading.Event]:
        with self._lock:
            return (self.started.setdefault(name, threading.Event()),
                    self.gates.setdefault(name, threading.Event()),
                    self.done.setdefault(name, threading.Event()))

    def commit(self, **kw: Any) -> None:  # type: ignore[override]
        edges = kw.get("put_edges") or ()
        started, gate, done = self.events(edges[0]["description"] if edges else "nodes")
        started.set()
        assert gate.wait(30), "the test never opened the gate"
        super().commit(**kw)
        done.set()


def test_commits_of_other_relationships_are_written_side_by_side() -> None:
    # a commit waits for the queued commits of nodes (its endpoints) and of its own
    # relationships; commits of other relationships are written beside it, in order
    # where they touch the same relationship
    real = _Gated()
    real.open()
    mirror = MirroredStore(real)
    mirror.open()
    nodes = [node_to_record(Enterprise(uid=f"ent:{c}", name=f"企业{c}")) for c in "abcd"]

    def edge(source: str, target: str, description: str) -> Record:
        return edge_to_record(Relationship(type="COOPERATES_WITH", source=source,
                                           target=target, description=description))

    mirror.commit(put_nodes=nodes)
    mirror.commit(put_edges=[edge("ent:a", "ent:b", "first")])
    mirror.commit(put_edges=[edge("ent:c", "ent:d", "other")])
    mirror.commit(put_edges=[edge("ent:a", "ent:b", "again")])  # the first one's uid
    started = {n: real.events(n)[0] for n in ("nodes", "first", "other", "again")}
    assert started["nodes"].wait(10)
    assert not started["first"].wait(0.3)  # its endpoints are not written yet
    real.gates["nodes"].set()
    assert started["first"].wait(10) and started["other"].wait(10)  # side by side
    real.events("other")[1].set()
    assert real.events("other")[2].wait(10)
    assert not started["again"].wait(0.3)  # the same relationship: after the first
    real.events("first")[1].set()
    assert started["again"].wait(10)
    real.events("again")[1].set()
    mirror.flush()
    written = {r["uid"]: r["description"] for b in real.scan_edges() for r in b}
    assert sorted(written.values()) == ["again", "other"]  # the later write won
    mirror.close()


def test_fuzzy_candidates_are_found_among_many_names() -> None:
    store = EmbeddedStore(None)
    store.open()
    words = "安康泰和瑞丰华鼎盛源恒信达通宏远博新兴隆昌盛嘉禾润德"
    names: list[str] = []
    n = len(words)
    for i in range(6000):
        a, b, c = words[i % n], words[(i // n) % n], words[(i // (n * n)) % n]
        names.append(f"泰安{a}{b}{c}机械有限公司")
    names = list(dict.fromkeys(names))
    store.upsert_nodes(nodes=[{"label": "Enterprise", "uid": f"ent:n{i}", "name": n}
                              for i, n in enumerate(names)]
                       + [{"label": "Enterprise", "uid": "ent:target",
                           "name": "泰安鼎晟生物医药科技有限公司"}])
    res = Resolver(store).resolve("泰安鼎晟生物医药技术有限公司", label="Enterprise")
    assert res.status in ("matched", "ambiguous")
    assert "ent:target" in ([res.uid] if res.matched else [c.uid for c in res.candidates])


def test_a_served_app_warms_each_new_version_in_the_background(store: GraphStore) -> None:
    import threading

    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    app = create_app(Settings(INNOGRAPH_AUTH=False, INNOGRAPH_ROLE="analyst"), store=store,
                     warm=True)
    with TestClient(app) as c:
        for t in threading.enumerate():
            if t.name.startswith("innograph-warm-"):
                t.join(timeout=120)
        comp = app.state.graphs.computed(store)
        assert "recommend" in comp.extras  # built before any request asked for it
        store.upsert_nodes(nodes=[{**NODES[0], "name": "智慧康养产业"}])
        assert c.get("/recommendations/ent:need").status_code == 200
        for t in threading.enumerate():
            if t.name.startswith("innograph-warm-"):
                t.join(timeout=120)
        newer = app.state.graphs.computed(store)
        assert newer.version > comp.version and "recommend" in newer.extras


def _wait_built(cache: ComputedCache) -> Computed:
    pending = cache._current
    assert pending is not None
    assert pending.built.wait(60), "the background build did not end"
    return pending


def test_while_a_new_version_is_built_requests_are_answered_from_the_previous_one(
        store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    gate = threading.Event()
    held: set[int] = set()  # the versions whose build waits for the gate
    real_warm = Computed.warm

    def slow_warm(self: Computed) -> None:
        if self.version in held:
            assert gate.wait(60)
        real_warm(self)

    monkeypatch.setattr(Computed, "warm", slow_warm)
    cache = ComputedCache(warm=True, fresh_wait=0.5)
    first = cache.get(store)
    assert _wait_built(cache) is first and cache.get(store) is first
    held.add(store.version() + 1)
    store.upsert_nodes(nodes=[{**NODES[0], "name": "智慧康养产业"}])
    assert cache.get(store) is first  # the new results are not built: the previous serve
    assert cache._current is not None and cache._current.waited.is_set()
    assert cache.get(store) is first  # and later requests do not wait again
    assert "智慧康养产业" not in {d.get("name") for _, d in cache.get(store).graph.nodes(data=True)}
    gate.set()
    newer = _wait_built(cache)
    got = cache.get(store)
    assert got is newer and got.version == store.version() > first.version
    assert "智慧康养产业" in {d.get("name") for _, d in got.graph.nodes(data=True)}

    # a request that may wait long enough gets the new version as soon as it is built
    gate.clear()
    held.clear()
    patient = ComputedCache(warm=True, fresh_wait=60)
    base = patient.get(store)
    assert base.built.wait(60)
    held.add(store.version() + 1)
    store.upsert_nodes(nodes=[{**NODES[0], "name": "智慧康养"}])
    threading.Timer(0.2, gate.set).start()
    assert patient.get(store).version == store.version()


def test_a_failed_background_build_leaves_requests_to_the_current_version(
        store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    cache = ComputedCache(warm=True, fresh_wait=0.05)
    _wait_built(cache) if cache.get(store) else None
    real_warm = Computed.warm

    def broken(self: Computed) -> None:
        raise RuntimeError("out of memory, say")

    monkeypatch.setattr(Computed, "warm", broken)
    store.upsert_nodes(nodes=[{**NODES[0], "name": "智慧康养产业"}])
    cache.get(store)
    failed = _wait_built(cache)
    monkeypatch.setattr(Computed, "warm", real_warm)
    # no results of the old version are served for ever: the current one, built on demand
    got = cache.get(store)
    assert got is failed and got.version == store.version()
    assert "智慧康养产业" in {d.get("name") for _, d in got.graph.nodes(data=True)}
