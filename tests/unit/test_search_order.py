"""Search answers a page from ordered name indexes (the embedded store's in memory,
Neo4j's range and text indexes): the same page, hit for hit, as ranking every record that
holds the query (graph.store.rank_hits)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from graph.backends import embedded
from graph.backends.embedded import EmbeddedStore
from graph.store import GraphStore, rank_hits
from schemas.names import normalize_name
from schemas.records import Record

LABELS = ["Enterprise", "University", "Institute", "Team", "Platform"]
PIECES = ["泰安", "泰山", "科技", "有限", "公司", "医疗", "康养", "智能", "山东", "研究",
          "安泰", "技术", "器械", "养老", "中心"]


def _nodes(n: int, seed: int) -> list[dict[str, Any]]:
    """Names from a few shared pieces, so that prefixes, bigrams and lengths collide;
    some queries held by aliases, tags and keywords only."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        name = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 5)))
        node: dict[str, Any] = {"label": rng.choice(LABELS), "uid": f"x:{i:05d}",
                                "name": name + ("" if rng.random() < 0.7 else str(i % 7))}
        if rng.random() < 0.3:
            node["aliases"] = ["".join(rng.choice(PIECES) for _ in range(2))]
        if rng.random() < 0.3:
            node["keywords"] = [rng.choice(["人工智能", "康复机器人", "技术转移"])]
        if node["label"] == "Enterprise" and rng.random() < 0.3:
            node["tags"] = ["高新技术企业"]
        out.append(node)
    return out


def _records(store: GraphStore) -> list[Record]:
    return [r for batch in store.scan_nodes() for r in batch]


def _reference(store: GraphStore, text: str, labels: list[str] | None,
               limit: int, records: list[Record] | None = None) -> list[Any]:
    q = normalize_name(text)
    recs = [r for r in records or _records(store) if q in r["search_text"]
            and (not labels or r["label"] in labels)]
    return rank_hits(recs, text, limit)


def _queries(store: GraphStore, n: int = 150) -> list[str]:
    names = sorted({r["name_norm"] for r in _records(store)})
    rng = random.Random(3)
    qs = {"人工智能", "高新技术企业", "康复", "技术转移", "不存在的", "泰", "安泰山"}
    for name in rng.sample(names, n):
        for k in (2, 3, 4):
            i = rng.randint(0, max(0, len(name) - k))
            qs.add(name[i:i + k])
    return sorted(qs)


@pytest.mark.parametrize("sort_max", [0, 3, 2_000])
def test_search_pages_equal_ranking_every_holder(sort_max: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """sort_max 0 walks every prefix group in order; 2,000 sorts every prefix range."""
    monkeypatch.setattr(embedded, "PREFIX_SORT_MAX", sort_max)
    store = EmbeddedStore(None)
    store.open()
    store.upsert_nodes(nodes=_nodes(3000, seed=sort_max))
    store.prepare_search()
    checked = 0
    for q in _queries(store):
        for labels in (None, ["Team"], ["Enterprise", "University"]):
            for limit in (1, 7, 20, 60):
                got = store.search(text=q, labels=labels, limit=limit)
                assert got == _reference(store, q, labels, limit), (q, labels, limit)
                checked += bool(got)
    assert checked > 1000  # most queries find something


def test_an_unprepared_store_ranks_the_holders_and_builds_no_order() -> None:
    """An ingest's name probes between its batches: the same pages, and no sort of every
    name after each batch (the order waits for a server's prepare_search)."""
    store = EmbeddedStore(None)
    store.open()
    nodes = _nodes(1200, seed=2)
    for start in range(0, len(nodes), 300):
        store.upsert_nodes(nodes=nodes[start:start + 300])
        for q in ("泰安", "科技有限", "康养"):
            assert store.search(text=q, limit=7) == _reference(store, q, None, 7)
    assert store._by_name is None  # type: ignore[attr-defined]
    store.prepare_search()
    assert store._by_name is not None  # type: ignore[attr-defined]


def test_the_name_order_follows_renames_and_deletions() -> None:
    store = EmbeddedStore(None)
    store.open()
    nodes = _nodes(500, seed=1)
    store.upsert_nodes(nodes=nodes)
    store.prepare_search()
    before = store.search(text="泰安", limit=5)
    assert len(before) == 5
    top = before[0].node.uid
    # the best hit renamed away from the query, a newcomer shorter than every hit
    store.upsert_nodes(nodes=[{**next(n for n in nodes if n["uid"] == top),
                               "name": "完全不同的名字"},
                              {"label": "Team", "uid": "x:new", "name": "泰安所"}])
    after = store.search(text="泰安", limit=5)
    assert top not in [h.node.uid for h in after]
    assert after[0].node.uid == "x:new" or after[0].score == 1.0
    assert after == _reference(store, "泰安", None, 5)
    store.delete(uids=["x:new"])
    assert "x:new" not in [h.node.uid for h in store.search(text="泰安", limit=5)]
    assert store.search(text="泰安", limit=5) == _reference(store, "泰安", None, 5)


@pytest.mark.neo4j
def test_neo4j_search_pages_equal_ranking_every_holder(
        monkeypatch: pytest.MonkeyPatch, _neo4j_session: GraphStore) -> None:
    """Neo4j's tiers: a low probe sends common queries down the ordered walks, a short
    scan makes some walks give up (every holder is ranked then); a database filled
    before the ranking properties existed gets them written when innograph opens it."""
    from graph.backends.neo4j import store as neo4j_store
    from graph.backends.neo4j.cypher import RANK_NAME_INDEX

    store = _neo4j_session
    store.clear()
    store.upsert_nodes(nodes=_nodes(2500, seed=5))
    records = _records(store)
    queries = _queries(store, n=60)

    def check(where: str) -> int:
        walked = 0
        for q in queries:
            for labels in (None, ["Enterprise", "University"]):
                for limit in (1, 20):
                    got = store.search(text=q, labels=labels, limit=limit)
                    assert got == _reference(store, q, labels, limit, records), \
                        (where, q, labels, limit)
                    walked += bool(got)
        return walked

    for probe, scan in ((1, 40_000), (1, 30), (500, 40_000)):
        monkeypatch.setattr(neo4j_store, "SEARCH_PROBE", probe)
        monkeypatch.setattr(neo4j_store, "SEARCH_SCAN", scan)
        store._searches.clear()  # type: ignore[attr-defined]
        assert check(f"probe {probe}, scan {scan}") > 100
    # as if filled by hand: the index and the properties gone, then opened again
    driver = store._driver  # type: ignore[attr-defined]
    driver.execute_query(f"DROP INDEX {RANK_NAME_INDEX}")
    driver.execute_query("MATCH (n:Node) REMOVE n.rank_name, n.rank_first, n.rank_keys")
    store.open()
    left = driver.execute_query("MATCH (n:Node) WHERE n.rank_name IS NULL "
                                "RETURN count(n) AS c").records[0]["c"]
    assert left == 0
    monkeypatch.setattr(neo4j_store, "SEARCH_PROBE", 1)
    store._searches.clear()  # type: ignore[attr-defined]
    check("after the properties were written back")


@pytest.mark.neo4j
@pytest.mark.parametrize("kept", [3, 512])
def test_neo4j_search_from_common_bigram_heads_equals_ranking_every_holder(
        monkeypatch: pytest.MonkeyPatch, _neo4j_session: GraphStore, kept: int) -> None:
    """Common bigrams' heads (computed once per version by prepare_search) answer the
    contains tier: the pages are those of ranking every holder, whether a head fills the
    page (512 kept) or runs out and the walks in the database take over (3 kept); a head
    of another version is never used, and a write is seen by the next search."""
    from graph.backends.neo4j import store as neo4j_store
    from graph.backends.neo4j.store import Neo4jStore

    monkeypatch.setattr(neo4j_store, "HEAD_HOLDERS", 20)
    monkeypatch.setattr(neo4j_store, "HEAD_KEPT", kept)
    used: list[str] = []
    versions: set[int] = set()  # of the heads read
    real = Neo4jStore._from_heads

    def counted(self: Neo4jStore, heads: Any, key: str, *args: Any) -> Any:
        versions.add(heads.version)
        got = real(self, heads, key, *args)
        if got is not None:
            used.append(key)
        return got

    monkeypatch.setattr(Neo4jStore, "_from_heads", counted)
    store = _neo4j_session
    store.clear()
    store.upsert_nodes(nodes=_nodes(2500, seed=7))
    store.prepare_search()
    records = _records(store)
    queries = _queries(store, n=60)

    def check() -> None:
        for q in queries:
            for labels in (None, ["Enterprise", "University"]):
                for limit in (1, 20):
                    got = store.search(text=q, labels=labels, limit=limit)
                    assert got == _reference(store, q, labels, limit, records), (q, labels, limit)

    check()
    if kept == 512:
        assert len(used) > 20
    store._searches.clear()  # type: ignore[attr-defined]
    # a newcomer shorter than any name holding a query: the heads (of the last
    # version) must not hide it
    def ahead(key: str) -> int:  # names of the exact and prefix tiers
        return sum(r["name_norm"].startswith(key) or key in r["name_keys"] for r in records)

    q = min((k for k in set(used) | {"有限"} if len(k) == 2), key=ahead)
    assert ahead(q) < 19
    store.upsert_nodes(nodes=[{"label": "Team", "uid": "x:new", "name": f"甲{q}"}])
    used.clear()
    versions.clear()
    records = _records(store)
    old_heads = store._heads  # type: ignore[attr-defined]
    job_before = store._heads_job  # type: ignore[attr-defined]
    got = store.search(text=q, limit=20)
    assert got == _reference(store, q, None, 20, records)
    assert "x:new" in [h.node.uid for h in got]
    # the heads of the version before the write are never read (those of the new one
    # may be, if their computation below was quicker than this search)
    assert versions <= {store.version()}
    # that search saw a newer version than the heads': it started their recomputation
    job = store._heads_job  # type: ignore[attr-defined]
    assert job is not None and job is not job_before
    job.join(timeout=60)
    heads = store._heads  # type: ignore[attr-defined]
    assert heads is not old_heads and heads.version == store.version()
    assert "x:new" in heads.uids or kept == 3
    store._searches.clear()  # type: ignore[attr-defined]  (remembered pages of this version)
    check()
    assert len(used) > 20 or kept == 3


def test_bigram_heads_keep_the_first_names_in_ranking_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The heads hold, for each bigram enough names hold, the first of them by (length,
    name, uid), the search ranking's order within a name tier; a record without a
    name is left out."""
    from graph.backends.neo4j import store as neo4j_store

    monkeypatch.setattr(neo4j_store, "HEAD_HOLDERS", 3)
    monkeypatch.setattr(neo4j_store, "HEAD_KEPT", 2)
    names = [("e5", "山东股份有限公司"), ("e1", "甲股份"), ("e4", "乙股份公司"),
             ("e3", "丙股份"), ("e2", "股份"), ("e6", "有限公司")]
    recs: list[dict[str, Any]] = [{"uid": u, "name": n, "name_norm": normalize_name(n),
                                   "label": "Enterprise"} for u, n in names]
    recs.append({"uid": "doc:1", "name": None, "name_norm": None, "label": "Document"})
    heads = neo4j_store._compute_heads(7, recs)
    assert heads.version == 7
    assert heads.holders["股份"] == 5 and heads.holders["公司"] == 3
    assert heads.holders["有限"] == 2 and "有限" not in heads.heads  # too few holders
    # 股份 first (shortest), then 丙股份 before 甲股份 (same length: by name)
    assert [heads.uids[p] for p in heads.heads["股份"]] == ["e2", "e3"]
    assert [heads.uids[p] for p in heads.heads["公司"]] == ["e6", "e4"]
    assert set(heads.uids) == {"e2", "e3", "e6", "e4"}
    assert [heads.norms[p] for p in heads.heads["公司"]] == ["有限公司", "乙股份公司"]
