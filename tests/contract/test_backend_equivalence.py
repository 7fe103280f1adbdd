"""The same data gives the same answers on the embedded store and on Neo4j."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.backends.embedded import EmbeddedStore
from graph.store import GraphStore
from tests.conftest import open_neo4j
from tests.contract.fixture import EDGES, NODES

pytestmark = pytest.mark.neo4j


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[GraphStore, GraphStore]]:
    emb = EmbeddedStore(tmp_path / "e")
    emb.open()
    neo = open_neo4j()
    neo.clear()
    for s in (emb, neo):
        s.upsert_nodes(nodes=NODES)
        s.upsert_edges(edges=EDGES)
    yield emb, neo
    neo.close()
    emb.close()


@pytest.mark.parametrize("query", ["泰山", "泰安", "院", "康养", "山农大", "(山东", "外骨骼"])
def test_search_is_identical(pair: tuple[GraphStore, GraphStore], query: str) -> None:
    emb, neo = pair
    assert emb.search(text=query, limit=50) == neo.search(text=query, limit=50)


@pytest.mark.parametrize("source, target", [("uni:4137010434", "team:r"),
                                            ("uni:4137010434", "uni:4137010436"),
                                            ("plt:lab", "tal:张三@泰山学院")])
def test_paths_are_identical(pair: tuple[GraphStore, GraphStore], source: str,
                             target: str) -> None:
    emb, neo = pair
    for k in (1, 3, 10):
        assert (emb.shortest_paths(source=source, target=target, k=k, max_hops=5)
                == neo.shortest_paths(source=source, target=target, k=k, max_hops=5))


@pytest.mark.parametrize("uid", ["ent:a", "plt:community", "fld:rehab"])
def test_neighborhoods_are_identical(pair: tuple[GraphStore, GraphStore], uid: str) -> None:
    emb, neo = pair
    for depth, cap in ((1, None), (2, 1), (3, 2)):
        a = emb.neighbors(uid=uid, depth=depth, per_type_limit=cap)
        b = neo.neighbors(uid=uid, depth=depth, per_type_limit=cap)
        assert a.model_dump(exclude={"relationships"}) == b.model_dump(exclude={"relationships"})
        assert [r.uid for r in a.relationships] == [r.uid for r in b.relationships]


def test_stats_and_subgraph_are_identical(pair: tuple[GraphStore, GraphStore]) -> None:
    emb, neo = pair
    assert emb.stats() == neo.stats()
    ge, gn = emb.subgraph(), neo.subgraph()
    assert sorted(ge.nodes) == sorted(gn.nodes)
    assert sorted(k for *_, k in ge.edges(keys=True)) == sorted(k for *_, k in gn.edges(keys=True))


def _operators(plan: dict) -> set[str]:
    """Every operator of a profiled plan, without the ``@database`` suffix."""
    found = {plan["operatorType"].split("@")[0]}
    for child in plan.get("children", []):
        found |= _operators(child)
    return found


def test_stats_reads_neo4j_count_store_not_the_graph(pair: tuple[GraphStore, GraphStore]
                                                     ) -> None:
    # the counts of `innograph stats` and /stats must not scan every node or relationship
    # of a label or type (at a million relationships that is a second per call)
    from graph.backends.neo4j import cypher
    from graph.backends.neo4j.store import make_driver
    from tests.conftest import neo4j_settings

    with make_driver(neo4j_settings()) as driver:
        nodes = driver.execute_query("PROFILE " + cypher.COUNT_NODES).summary.profile
        edges = driver.execute_query("PROFILE " + cypher.COUNT_EDGES).summary.profile
    assert "NodeCountFromCountStore" in _operators(nodes)
    assert "RelationshipCountFromCountStore" in _operators(edges)
    scans = {"NodeByLabelScan", "AllNodesScan", "DirectedRelationshipTypeScan",
             "UndirectedRelationshipTypeScan", "EagerAggregation"}
    assert not (_operators(nodes) | _operators(edges)) & scans


@pytest.mark.parametrize("dense", [1, 5, 10_000])
def test_search_of_long_query_same_page_whichever_plan_the_count_chooses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dense: int) -> None:
    # a query of three or more characters finds the names starting with it either by
    # sorting its own range or by walking its first two characters' range, as the count
    # of names starting with it decides: the page must not depend on which
    from graph.backends.neo4j import store as neo4j_store

    monkeypatch.setattr(neo4j_store, "SEARCH_DENSE_PREFIX", dense)
    nodes = [{"uid": f"ent:k{i:02d}", "label": "Enterprise",
              "name": f"泰安开{'发区' * (i % 3)}{i:02d}号医疗器械有限公司"} for i in range(12)]
    nodes += [{"uid": f"ent:o{i:02d}", "label": "Enterprise", "name": f"泰安{i:02d}商贸有限公司"}
              for i in range(40)]
    nodes += [{"uid": "ent:exact", "label": "Enterprise", "name": "泰安开发区"},
              {"uid": "tal:x", "label": "Talent", "name": "泰安开", "aliases": ["泰安开发"]}]
    emb = EmbeddedStore(tmp_path / "e")
    emb.open()
    neo = open_neo4j()
    neo.clear()
    try:
        for s in (emb, neo):
            s.upsert_nodes(nodes=nodes)
        for query in ("泰安开", "泰安开发", "泰安开发区", "安开发", "泰安开发区区"):
            for limit in (3, 8, 50):
                for labels in (None, ["Enterprise"]):
                    want = emb.search(text=query, labels=labels, limit=limit)
                    assert neo.search(text=query, labels=labels, limit=limit) == want, (
                        query, limit, labels)
    finally:
        neo.close()
        emb.close()


def test_neo4j_read_the_driver_would_retry_runs_again_as_a_managed_transaction(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # reads go first as auto-commit queries (one round trip); an error the driver calls
    # retryable hands the query to execute_query, whose managed transaction retries it;
    # any other error is final and the query is not sent again
    from neo4j.exceptions import SessionExpired

    from graph.errors import GraphError

    neo = open_neo4j()
    neo.clear()
    neo.upsert_nodes(nodes=NODES)
    driver = neo._driver  # type: ignore[attr-defined]
    real_session, real_execute = driver.session, driver.execute_query
    attempts: list[str] = []

    class ExpiringSession:
        def __init__(self, inner: object) -> None:
            self.inner = inner

        def __enter__(self) -> ExpiringSession:
            return self

        def __exit__(self, *exc: object) -> None:
            self.inner.close()  # type: ignore[attr-defined]

        def run(self, *args: object, **kwargs: object) -> None:
            attempts.append("auto-commit")
            raise SessionExpired("the routing table changed")

    def managed(*args: object, **kwargs: object) -> object:
        attempts.append("managed")
        return real_execute(*args, **kwargs)

    try:
        monkeypatch.setattr(driver, "session", lambda **kw: ExpiringSession(real_session(**kw)))
        monkeypatch.setattr(driver, "execute_query", managed)
        want = next(n for n in NODES if n["uid"] == "ent:a")["name"]
        assert neo.get_node(uid="ent:a").name == want
        assert attempts == ["auto-commit", "managed"]
        monkeypatch.setattr(driver, "session", real_session)
        attempts.clear()
        with pytest.raises(GraphError):
            neo._read("RETURN nothing_such(")  # type: ignore[attr-defined]
        assert attempts == []  # a syntax error is not retried
        assert neo.get_node(uid="ent:a").name == want and attempts == []
    finally:
        monkeypatch.undo()
        neo.close()
