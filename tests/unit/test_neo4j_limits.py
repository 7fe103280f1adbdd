"""Which time limit each Neo4j read runs under: a request's reads the short one, the reads
of uids a write batch makes first the write's own (an ingest once failed whole on a slow
read of 5,000 relationships), and a timeout names the limit that ended it."""

from __future__ import annotations

from typing import Any

import pytest

from graph.store import GraphStore


@pytest.mark.neo4j
def test_a_write_batch_reads_under_the_write_limit(
        monkeypatch: pytest.MonkeyPatch, _neo4j_session: GraphStore) -> None:
    from graph.backends.neo4j import store as neo4j_store

    store = _neo4j_session
    store.clear()
    store.upsert_nodes(nodes=[{"uid": "ent:a", "label": "Enterprise", "name": "甲公司"},
                              {"uid": "ent:b", "label": "Enterprise", "name": "乙公司"}])
    limits: list[float] = []
    real = store._read_within  # type: ignore[attr-defined]

    def spy(timeout: float, text: str, params: dict[str, Any]) -> Any:
        limits.append(timeout)
        return real(timeout, text, params)

    monkeypatch.setattr(store, "_read_within", spy)
    store.upsert_edges(edges=[{"type": "COOPERATES_WITH", "source": "ent:a",
                               "target": "ent:b"}])
    assert limits and set(limits) == {neo4j_store.WRITE_TIMEOUT}
    limits.clear()
    assert store.search(text="甲公司", limit=5)
    assert limits and set(limits) == {neo4j_store.READ_TIMEOUT}


def test_a_timeout_names_the_limit_that_ended_it() -> None:
    from neo4j import exceptions

    from graph.backends.neo4j.store import _translated
    from graph.errors import QueryLimitError

    err = exceptions.ClientError._hydrate_neo4j(  # type: ignore[attr-defined]
        code="Neo.ClientError.Transaction.TransactionTimedOut", message="timed out")
    with pytest.raises(QueryLimitError, match="超过 600 秒"), _translated(600.0):
        raise err
    with pytest.raises(QueryLimitError, match="超过 30 秒"), _translated():
        raise err
