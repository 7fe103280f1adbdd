"""What the Neo4j backend keeps of a record: no empty fields, no relationship type or
endpoints as properties (the graph holds them), and every read gives the record back
whole, also from a database written with them (an older backend, a bulk import)."""

from __future__ import annotations

from typing import Any

import pytest

from graph.store import GraphStore
from schemas.records import content

NODES: list[dict[str, Any]] = [
    {"uid": "tal:空字段@甲公司", "label": "Talent", "name": "空字段", "title": "",
     "keywords": [], "aliases": ["空字段甲"], "position": "总工程师"},
    {"uid": "ent:甲公司", "label": "Enterprise", "name": "甲公司", "keywords": ["芯片"],
     "description": "", "tags": []},
]
EDGE: dict[str, Any] = {"type": "WORKS_AT", "source": "tal:空字段@甲公司", "target": "ent:甲公司",
        "role": "", "keywords": [], "description": "负责研发"}


def _content(recs: Any) -> Any:
    """Records without their write time (the two stores write in different seconds)."""
    if isinstance(recs, dict):
        return {k: content(v) for k, v in recs.items()}
    return [content(r) for r in recs]


def _raw(store: GraphStore, query: str, **params: Any) -> list[dict[str, Any]]:
    driver = store._driver  # type: ignore[attr-defined]
    records = driver.execute_query(query, params, database_=store._db).records  # type: ignore[attr-defined]
    return [dict(r["p"]) for r in records]


@pytest.mark.neo4j
def test_neo4j_keeps_no_empty_field_and_no_endpoint_property_and_reads_records_whole(
        _neo4j_session: GraphStore, tmp_path: Any) -> None:
    from graph.backends.embedded import EmbeddedStore

    store = _neo4j_session
    store.clear()
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=[EDGE])
    emb = EmbeddedStore(tmp_path / "emb")
    emb.open()
    emb.upsert_nodes(nodes=NODES)
    emb.upsert_edges(edges=[EDGE])

    talent = _raw(store, "MATCH (n:Node {uid: $u}) RETURN properties(n) AS p",
                  u="tal:空字段@甲公司")[0]
    assert {"title", "keywords", "description", "degree", "tags"}.isdisjoint(talent)
    assert talent["position"] == "总工程师" and talent["aliases"] == ["空字段甲"]
    rel = _raw(store, "MATCH ()-[r:WORKS_AT]->() RETURN properties(r) AS p")[0]
    assert {"type", "source", "target", "role", "keywords", "key", "evidence"}.isdisjoint(rel)
    assert rel["description"] == "负责研发"

    # every read gives the records the embedded store gives
    uids = [n["uid"] for n in NODES]
    euid = next(iter(emb.read_edges(node_uids=uids)))
    want_nodes, want_edges = emb.read_nodes(uids=uids), emb.read_edges(uids=[euid])
    assert _content(store.read_nodes(uids=uids)) == _content(want_nodes)
    assert want_nodes["tal:空字段@甲公司"]["title"] == "" and \
        want_nodes["tal:空字段@甲公司"]["keywords"] == []
    assert _content(store.read_edges(uids=[euid])) == _content(want_edges)
    assert _content(store.read_edges(node_uids=uids)) == _content(emb.read_edges(node_uids=uids))
    assert _content([r for b in store.scan_edges() for r in b]) == \
        _content([r for b in emb.scan_edges() for r in b])
    for got_e, want_e in ((store.get_edges(source="tal:空字段@甲公司"),
                       emb.get_edges(source="tal:空字段@甲公司")),
                      (store.get_edges(target="ent:甲公司"), emb.get_edges(target="ent:甲公司"))):
        assert [r.model_dump(exclude={"provenance"}) for r in got_e] == \
            [r.model_dump(exclude={"provenance"}) for r in want_e] != []
    for direction in ("out", "in", "both"):
        got_x = store.expand(uids=uids, rel_types=None, labels=None, direction=direction)
        want_x = emb.expand(uids=uids, rel_types=None, labels=None, direction=direction)
        assert [(o, content(r), content(b)) for o, r, b in got_x] == \
            [(o, content(r), content(b)) for o, r, b in want_x] != []
        for uid in uids:  # the node itself is a reference on Neo4j: its relationships
            got = store.first_hop(uid=uid, rel_types=None, labels=None, direction=direction)
            want = emb.first_hop(uid=uid, rel_types=None, labels=None, direction=direction)
            assert got is not None and want is not None
            assert [(o, content(r)) for o, r, _ in got[1]] == \
                [(o, content(r)) for o, r, _ in want[1]]

    # a database that holds them (written before, or by neo4j-admin import) reads the same
    store._write(lambda tx: tx.run(  # type: ignore[attr-defined]
        "MATCH (n:Node {uid: $u}) SET n.title = '', n.keywords = [] "
        "WITH n MATCH (n)-[r]->(b) SET r.type = type(r), r.source = n.uid, "
        "r.target = b.uid, r.role = ''", u="tal:空字段@甲公司").consume())
    assert _content(store.read_nodes(uids=uids)) == _content(want_nodes)
    assert _content(store.read_edges(uids=[euid])) == _content(want_edges)
    # and rewriting the unchanged records changes nothing
    again = store.upsert_nodes(nodes=NODES)
    assert (again.created, again.updated) == (0, 0)
    emb.close()


@pytest.mark.neo4j
def test_the_drivers_debug_log_gets_no_row_of_a_write_or_read(
        _neo4j_session: GraphStore, caplog: pytest.LogCaptureFixture) -> None:
    """The driver formats every statement's parameters for its debug log; the backend's
    parameter lists print as their length, so a talent's phone and e-mail never reach a
    log (and the formatting costs nothing), while the data are written and read whole."""
    import logging

    store = _neo4j_session
    store.clear()
    talent = {**NODES[0], "phone": "13812345678", "email": "zhang@example.cn"}
    with caplog.at_level(logging.DEBUG, logger="neo4j"):
        store.upsert_nodes(nodes=[talent, NODES[1]])
        store.upsert_edges(edges=[EDGE])
        stored = store.read_nodes(uids=[talent["uid"]])[talent["uid"]]
    assert stored["phone"] == "13812345678" and stored["email"] == "zhang@example.cn"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "C: RUN" in logged  # the driver did log its statements
    assert "13812345678" not in logged and "zhang@example.cn" not in logged
    assert "负责研发" not in logged  # nor a relationship's properties
    assert "<2 rows>" in logged  # the two nodes' rows, as their number
