"""Every Cypher statement of innograph, built here and nowhere else.

Values always travel as ``$parameters``. Labels and relationship types are
spliced into the text only after the ontology confirmed them; numbers spliced
into quantifiers are checked integers.
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.store import PARTNER_TIES
from schemas.ontology import LABELS, check_label, check_rel_type
from schemas.relationships import PROJECT_PARTICIPATION, REL_TYPES

BASE = "Node"
"""Every ontology node also carries this label; uid is unique across it."""
MERGE_LABEL = "_Merge"
META_LABEL = "_Meta"
"""One node holds the store version, bumped inside every write transaction."""
FULLTEXT_INDEX = "node_fulltext"
MATCH_TERMS_INDEX = "match_terms"
"""Full-text index (whitespace analyzer) over each candidate's match terms, written back
by ``innograph analyse`` as ``analysis_match_terms``: matchmaking's candidate retrieval."""


RANK_NAME_INDEX = "node_rank_name"
"""Created with the ranking properties: a database without it gets them written onto
every node when innograph first opens it (Neo4jStore.open)."""


def _label(label: str) -> str:
    return f"`{check_label(label)}`"


def _rtype(rel_type: str) -> str:
    return f"`{check_rel_type(rel_type)}`"


def _int(value: int, lo: int, hi: int) -> int:
    if not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"expected an integer in {lo}..{hi}, got {value!r}")
    return value


def schema_statements() -> list[str]:
    """Constraints and indexes generated from the ontology."""
    stmts = [
        f"CREATE CONSTRAINT node_uid IF NOT EXISTS FOR (n:{BASE}) REQUIRE n.uid IS UNIQUE",
        f"CREATE CONSTRAINT merge_id IF NOT EXISTS FOR (m:{MERGE_LABEL}) "
        "REQUIRE m.merge_id IS UNIQUE",
        f"CREATE INDEX node_name_norm IF NOT EXISTS FOR (n:{BASE}) ON (n.name_norm)",
        f"CREATE INDEX node_label IF NOT EXISTS FOR (n:{BASE}) ON (n.label)",
        f"CREATE TEXT INDEX node_search_text IF NOT EXISTS FOR (n:{BASE}) ON (n.search_text)",
        # the search ranking's ordered walks (graph.store.rank_properties)
        f"CREATE INDEX {RANK_NAME_INDEX} IF NOT EXISTS FOR (n:{BASE}) ON (n.rank_name)",
        f"CREATE INDEX node_rank_first IF NOT EXISTS FOR (n:{BASE}) ON (n.rank_first)",
        f"CREATE TEXT INDEX node_rank_keys IF NOT EXISTS FOR (n:{BASE}) ON (n.rank_keys)",
        # search reads the text index (SEARCH_RANKED); the CJK full-text index it once
        # used only cost every write an analyzer pass: dropped where it exists
        f"DROP INDEX {FULLTEXT_INDEX} IF EXISTS",
        f"CREATE FULLTEXT INDEX {MATCH_TERMS_INDEX} IF NOT EXISTS FOR (n:{BASE}) "
        "ON EACH [n.analysis_match_terms] OPTIONS {indexConfig: "
        "{`fulltext.analyzer`: 'whitespace', `fulltext.eventually_consistent`: false}}",
    ]
    stmts.append(f"CREATE CONSTRAINT meta_key IF NOT EXISTS FOR (m:{META_LABEL}) "
                 "REQUIRE m.key IS UNIQUE")
    for label in LABELS:
        stmts.append(f"CREATE INDEX {label.lower()}_name IF NOT EXISTS FOR (n:{_label(label)}) "
                     "ON (n.name)")
    for rel_type in REL_TYPES:
        # Relationships are read back by uid when a batch is diffed: without an index per
        # type that is a scan of every relationship, so each batch costs more than the
        # last. A uniqueness constraint rather than a plain index: MERGE then seeks the
        # uid (a plain index let the planner cache a scan of the whole index), and two
        # writers can never create one relationship twice.
        stmts.append(f"DROP INDEX rel_{rel_type.lower()}_uid IF EXISTS")
        stmts.append(f"CREATE CONSTRAINT rel_{rel_type.lower()}_uid_unique IF NOT EXISTS "
                     f"FOR ()-[r:{_rtype(rel_type)}]-() REQUIRE r.uid IS UNIQUE")
    return stmts


AWAIT_INDEXES = "CALL db.awaitIndexes(300)"
SHOW_INDEXES = "SHOW INDEXES YIELD name"
SHOW_CONSTRAINTS = "SHOW CONSTRAINTS YIELD name"


def schema_plan() -> list[tuple[str, bool, str]]:
    """(name, is a drop, statement) of every schema statement: a create runs when its
    name does not exist yet, a drop when it does."""
    out = []
    for stmt in schema_statements():
        words = stmt.split()
        drop = words[0] == "DROP"
        name = words[words.index("IF") - 1]
        out.append((name, drop, stmt))
    return out


# writes ---------------------------------------------------------------------
def put_nodes(label: str) -> str:
    """Replace-or-create nodes of one label from ``$rows`` (full records with their
    ranking properties, graph.store.rank_properties)."""
    return (f"UNWIND $rows AS row MERGE (n:{BASE} {{uid: row.uid}}) "
            f"SET n = row, n:{_label(label)}")


def create_nodes(label: str) -> str:
    """Create nodes of one label from ``$rows`` (as :func:`put_nodes`) that the writer has
    just read as absent: no look-up of a stored node first. Should one exist after all,
    the uid constraint refuses the transaction (then written again with put_nodes)."""
    return f"UNWIND $rows AS row CREATE (n:{BASE}:{_label(label)}) SET n = row"


RANK_BACKFILL = (f"UNWIND $rows AS row MATCH (n:{BASE} {{uid: row.uid}}) "
                 "SET n.rank_name = row.rank_name, n.rank_first = row.rank_first, "
                 "n.rank_keys = row.rank_keys")
RANK_SOURCE = f"MATCH (n:{BASE}) RETURN n {{.uid, .name, .name_norm, .name_keys}} AS p"


def put_edges(rel_type: str) -> str:
    """Replace-or-create relationships of one type from ``$rows`` (``s``, ``t``: the
    endpoints' uids; ``p``: the properties, uid included); returns how many were written.

    The record's type and endpoints are the relationship's own type and nodes: they are
    not written as properties too, and reads give them back (:func:`rel_record`)."""
    return (f"UNWIND $rows AS row MATCH (a:{BASE} {{uid: row.s}}) "
            f"MATCH (b:{BASE} {{uid: row.t}}) "
            f"MERGE (a)-[r:{_rtype(rel_type)} {{uid: row.p.uid}}]->(b) SET r = row.p "
            "RETURN count(r) AS written")


def create_edges(rel_type: str) -> str:
    """Create relationships of one type from ``$rows`` (as :func:`put_edges`) that the
    writer has just read as absent: no look-up of a stored one first. Should one exist
    after all, the type's uid constraint refuses the transaction (then written again with
    put_edges)."""
    return (f"UNWIND $rows AS row MATCH (a:{BASE} {{uid: row.s}}) "
            f"MATCH (b:{BASE} {{uid: row.t}}) "
            f"CREATE (a)-[r:{_rtype(rel_type)}]->(b) SET r = row.p "
            "RETURN count(r) AS written")


def rel_record(r: str = "r", source: str | None = None, target: str | None = None) -> str:
    """The record of relationship ``r`` in a read: its properties with its type and the
    uids of its endpoints; ``source``/``target``: expressions of those uids where the
    query has them at hand (else read from the relationship's start and end nodes)."""
    return (f"{r} {{.*, type: type({r}), source: {source or f'startNode({r}).uid'}, "
            f"target: {target or f'endNode({r}).uid'}}}")


def _rel_from(direction: str) -> str:
    """rel_record of ``r`` between ``a`` and ``b`` matched in ``direction``."""
    if direction == "out":
        return rel_record("r", "a.uid", "b.uid")
    if direction == "in":
        return rel_record("r", "b.uid", "a.uid")
    return rel_record("r")


def delete_edges(rel_type: str) -> str:
    """Delete relationships of one type given as records in ``$rows``."""
    return (f"UNWIND $rows AS row MATCH (:{BASE} {{uid: row.source}})"
            f"-[r:{_rtype(rel_type)} {{uid: row.uid}}]->(:{BASE} {{uid: row.target}}) DELETE r")


DELETE_NODES = f"UNWIND $uids AS u MATCH (n:{BASE} {{uid: u}}) DETACH DELETE n"
BUMP_VERSION = (f"MERGE (m:{META_LABEL} {{key: 'version'}}) "
                "SET m.value = coalesce(m.value, 0) + 1")
VERSION = f"MATCH (m:{META_LABEL} {{key: 'version'}}) RETURN m.value AS v"
SAVE_DERIVED = (f"MERGE (m:{META_LABEL} {{key: 'derived:' + $name}}) "
                "SET m.version = $version, m.data = $data")
LOAD_DERIVED = (f"MATCH (m:{META_LABEL} {{key: 'derived:' + $name}}) "
                "RETURN m.version AS v, m.data AS data")
PUT_MERGE = (f"MERGE (m:{MERGE_LABEL} {{merge_id: $merge_id}}) "
             "SET m.at = $at, m.json = $json")
CLEAR = (
    # relationships first, in bounded transactions: DETACH DELETE of a hub (a region
    # with 100k members) would hold every one of its relationships in one transaction
    f"MATCH (:{BASE})-[r]->() CALL (r) {{ DELETE r }} IN TRANSACTIONS OF 20000 ROWS",
    f"MATCH (n) WHERE n:{BASE} OR n:{MERGE_LABEL} "
    "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS",
)


# reads ----------------------------------------------------------------------
def collected(query: str) -> str:
    """``query`` answered in one row: the ``p`` of its rows collected into ``ps``. The
    Python driver spends about 14 µs on every row it receives and about 1 µs on a map
    inside a list: for reads of thousands of rows (a chunk of relationship uids, one
    node's relationships, a broad candidate pool) that is most of their time. For reads
    bounded by a chunk or by one node only: the list is built in the database's
    transaction memory (reads from many nodes are grouped per node instead, as
    EDGES_TOUCHING)."""
    return f"CALL () {{ {query} }} RETURN collect(p) AS ps"


NODES_BY_UID = f"UNWIND $uids AS u MATCH (n:{BASE} {{uid: u}}) RETURN properties(n) AS p"
NODES_BY_NAME_KEY = (f"MATCH (n:{BASE}) WHERE n.search_text CONTAINS $key "
                     "AND $key IN n.name_keys RETURN properties(n) AS p")
NODES_ALL = f"MATCH (n:{BASE}) WHERE $label IS NULL OR n.label = $label RETURN properties(n) AS p"


def edges_by_uid(rel_type: str) -> str:
    """Relationships of one type by uid (``$uids``), through the type's uid index."""
    return (f"UNWIND $uids AS u MATCH (a)-[r:{_rtype(rel_type)} {{uid: u}}]->(b) "
            f"RETURN {rel_record('r', 'a.uid', 'b.uid')} AS p")


EDGES_BY_UID = (f"UNWIND $uids AS u MATCH (a:{BASE})-[r {{uid: u}}]->(b:{BASE}) "
                f"RETURN {rel_record('r', 'a.uid', 'b.uid')} AS p")
"""Fallback for uids whose type cannot be read from the uid (a scan: avoid)."""
SCAN_NODES = (f"MATCH (n:{BASE}) WHERE $labels IS NULL OR n.label IN $labels "
              "RETURN properties(n) AS p")
# one row per source node, its relationships in a list: the Python driver spends about
# 14 µs on every row it receives whatever the row holds, and a map inside a list costs
# it about 1 µs; one row per relationship made the stream of 690,000 relationships
# 12 s, where the database's own walk takes 1.5 s (4.5 s this way)
SCAN_EDGES = (f"MATCH (a:{BASE}) WITH a, a.uid AS s CALL (a, s) {{ MATCH (a)-[r]->(b:{BASE}) "
              "WHERE $types IS NULL OR type(r) IN $types "
              f"RETURN collect({rel_record('r', 's', 'b.uid')}) AS rs }} "
              "WITH rs WHERE size(rs) > 0 RETURN rs AS p")
"""Every relationship, grouped by its source node (``p``: a list of records)."""
EDGES_TOUCHING = (f"UNWIND $uids AS u MATCH (a:{BASE} {{uid: u}}) "
                  f"CALL (a) {{ MATCH (a)-[r]-(:{BASE}) RETURN collect({rel_record()}) AS rs }} "
                  "RETURN rs AS p")
"""Relationships touching ``$uids``, one row per node (``p``: its relationships; one
between two of the nodes comes twice). Rows per node rather than per relationship, as
in SCAN_EDGES; the database holds one node's relationships at a time."""
EDGES_FROM = (f"MATCH (:{BASE} {{uid: $uid}})-[r]->(b:{BASE}) "
              "WHERE $types IS NULL OR type(r) IN $types "
              f"RETURN {rel_record('r', '$uid', 'b.uid')} AS p")
EDGES_TO = (f"MATCH (a:{BASE})-[r]->(:{BASE} {{uid: $uid}}) "
            "WHERE $types IS NULL OR type(r) IN $types "
            f"RETURN {rel_record('r', 'a.uid', '$uid')} AS p")
EDGES_ALL = (f"MATCH (a:{BASE})-[r]->(b:{BASE}) WHERE $types IS NULL OR type(r) IN $types "
             f"RETURN {rel_record('r', 'a.uid', 'b.uid')} AS p")
_RANKED = "{.uid, .label, .name, .name_norm, .name_keys, .aliases, .keywords, .tags}"
"""What search ranking reads of a node (graph.store.search_rank): not the whole record."""
SEARCH_RANKED = (
    f"MATCH (n:{BASE}) WHERE n.search_text CONTAINS $key "
    "AND ($labels IS NULL OR n.label IN $labels) "
    "WITH n, CASE WHEN n.name_norm = $key OR $key IN n.name_keys THEN 0 "
    "WHEN n.name_norm STARTS WITH $key THEN 1 WHEN n.name_norm CONTAINS $key THEN 2 "
    "WHEN any(k IN n.name_keys WHERE k CONTAINS $key) THEN 3 "
    "WHEN $key IN coalesce(n.tags, []) THEN 4 ELSE 5 END AS tier "
    "ORDER BY tier, CASE WHEN tier IN [1, 2] THEN size(n.name_norm) ELSE 0 END, n.name, n.uid "
    f"LIMIT $cap RETURN n {_RANKED} AS p")
"""Search candidates in the order of graph.store.search_rank's tiers (exact name or alias;
name starts with; name contains, shorter first; alias contains; tag; keyword), so that the
best ``$cap`` are the first rows and Python ranks only those: nothing but the page is sent."""
SEARCH_PROBE = (f"MATCH (n:{BASE}) WHERE n.search_text CONTAINS $key "
                "WITH n LIMIT $probe RETURN count(n) AS c")
"""How many records hold the query, counted up to ``$probe``: below it the query is
rare and SEARCH_RANKED ranks every holder; above it the name tiers are walked."""
_RANK_LABELS = "($labels IS NULL OR n.label IN $labels)"
_EXACT = (f"MATCH (n:{BASE}) WHERE n.rank_keys CONTAINS $keyed AND {_RANK_LABELS} "
          "RETURN n, 0 AS tier")
_PREFIX = ("WHERE n.rank_first STARTS WITH $first "
           "AND n.name_norm STARTS WITH $key AND NOT n.rank_keys CONTAINS $keyed "
           f"AND {_RANK_LABELS} RETURN n, 1 AS tier ORDER BY n.rank_first LIMIT $need")
SEARCH_HEAD = (f"CALL () {{ {_EXACT} UNION ALL MATCH (n:{BASE}) "
               f"USING INDEX n:{BASE}(rank_first) {_PREFIX} }} RETURN n {_RANKED} AS p, tier")
"""The first two name tiers of a two-character query in one round trip: exact name or alias
(tier 0; ``$keyed``: the query between KEYS_SEP), then the names starting with it,
shortest first (tier 1): its range of the rank_first index walked in the index's order
until ``$need`` are found. The hint is needed: left to itself the planner seeks the
name_norm index and sorts every name of the range (30,000 names start with 泰安 at
100,000 actors: 90 ms instead of 5)."""
SEARCH_HEAD_LONG = (
    f"CALL () {{ MATCH (m:{BASE}) WHERE m.name_norm STARTS WITH $key WITH m LIMIT $dense "
    "RETURN count(m) AS c } "
    f"CALL (c) {{ {_EXACT} "
    f"UNION ALL WITH c WHERE c < $dense CALL () {{ MATCH (n:{BASE}) "
    f"USING INDEX n:{BASE}(name_norm) {_PREFIX} }} RETURN n, tier "
    f"UNION ALL WITH c WHERE c >= $dense CALL () {{ MATCH (n:{BASE}) "
    f"USING INDEX n:{BASE}(rank_first) {_PREFIX} }} RETURN n, tier }} "
    f"RETURN n {_RANKED} AS p, tier")
"""As SEARCH_HEAD for a longer query. Tier 1 takes one of two plans, chosen by how many
names start with the query (counted on the name_norm index up to ``$dense``): fewer, and
the query's own range of the name_norm index is read and sorted; as many or more, and the
range of its first two characters is walked in the rank_first index's order until
``$need`` are found. Left to itself the planner walked the two-character range for every
query (the 30,000 names starting with 泰安 read to find the one starting with 泰安开汶:
60-80 ms instead of 2). Each plan sits in its own subquery behind the test of the count,
so that the test is made before the index is read."""
SEARCH_CONTAINS = (f"MATCH (n:{BASE}) WHERE n.rank_name >= $shortest "
                   "WITH n ORDER BY n.rank_name LIMIT $scan "
                   "WITH n, split(n.rank_name, $sep)[2] AS norm "
                   "WHERE norm CONTAINS $key AND NOT norm STARTS WITH $key "
                   f"AND NOT n.rank_keys CONTAINS $keyed AND {_RANK_LABELS} "
                   f"RETURN n {_RANKED} AS p LIMIT $need")
"""Names holding the query elsewhere, shortest first: every name in index order from the
query's length, tested on the index's own value, at most ``$scan`` of them."""
SEARCH_NAMES = f"MATCH (n:{BASE}) RETURN n {{.uid, .name, .name_norm, .label}} AS p"
"""Every name, for the heads of the common bigrams (Neo4jStore.prepare_search)."""
SEARCH_BY_UIDS = f"UNWIND $uids AS u MATCH (n:{BASE} {{uid: u}}) RETURN n {_RANKED} AS p"
"""What search ranking reads of the records chosen from a bigram's head."""
MERGES = f"MATCH (m:{MERGE_LABEL}) RETURN m.json AS json ORDER BY m.at, m.merge_id"
# one count per label and per relationship type: each is read from Neo4j's count store,
# where grouping every node by its label property scanned the whole graph (1 s at 100,000
# actors, on every `innograph stats`). The count comes first and the key after it: with
# the key beside count() the key is a grouping key, and the planner scans the label or
# type instead of reading the count store. Labels and types with no count are left out after
COUNT_NODES = " UNION ALL ".join(
    f"MATCH (n:{_label(label)}) WITH count(n) AS c RETURN '{label}' AS k, c" for label in LABELS)
COUNT_LABEL = {label: f"MATCH (n:{_label(label)}) RETURN count(n) AS c" for label in LABELS}
"""One label's node count (from the database's count store)."""
COUNT_EDGES = " UNION ALL ".join(
    f"MATCH ()-[r:{_rtype(t)}]->() WITH count(r) AS c RETURN '{t}' AS k, c" for t in REL_TYPES)

_ARROWS = {"out": ("-", "->"), "in": ("<-", "-"), "both": ("-", "-")}


def _neighbour_match(anchor: str, direction: str) -> str:
    """MATCH of the relationships of ``a`` (anchored by ``anchor``) passing the filters."""
    left, right = _ARROWS[direction]
    return (f"MATCH (a:{BASE} {{uid: {anchor}}}){left}[r]{right}(b:{BASE}) "
            "WHERE ($types IS NULL OR type(r) IN $types) "
            "AND ($labels IS NULL OR b.label IN $labels) ")


def expand(direction: str) -> str:
    """One breadth-first step from ``$uids`` with type and label filters: one row per
    origin, its relationships and the nodes at their other ends in ``rows``."""
    return ("UNWIND $uids AS u CALL (u) { " + _neighbour_match("u", direction)
            + f"RETURN collect([{_rel_from(direction)}, properties(b)]) AS rows }} "
            "RETURN u AS origin, rows")


def first_hop(direction: str) -> str:
    """A node (``$uid``) and its relationships passing the filters, in one query: each
    relationship's properties and type, the node at its other end as a reference (uid,
    label, name), and whether the relationship leaves the node (its endpoints' uids
    follow from the two without reading them: the neighbours request is the hot one)."""
    left, right = _ARROWS[direction]
    return (f"MATCH (a:{BASE} {{uid: $uid}}) "
            f"OPTIONAL MATCH (a){left}[r]{right}(b:{BASE}) "
            "WHERE ($types IS NULL OR type(r) IN $types) "
            "AND ($labels IS NULL OR b.label IN $labels) "
            "RETURN a {.uid, .label, .name} AS a, "
            "collect(CASE WHEN r IS NULL THEN NULL ELSE [r {.*, type: type(r)}, "
            "b {.uid, .label, .name}, startNode(r) = a] END) AS rows")


def count_neighbors(direction: str) -> str:
    """Relationships of ``$uid`` by type after filters."""
    return _neighbour_match("$uid", direction) + "RETURN type(r) AS k, count(*) AS c"


def shortest_groups(groups: int, max_hops: int, rel_types: Sequence[str] | None) -> str:
    """All paths of the ``groups`` shortest lengths up to ``max_hops``, either direction.

    Neo4j's SHORTEST k GROUPS (GQL) keeps every path of each of the k shortest
    lengths, so ties are complete and the caller can order them deterministically.
    """
    types = "|".join(_rtype(t) for t in rel_types) if rel_types else ""
    # the year window ($lo, $hi; null for none) mirrors graph.store.edge_in_years
    rel = (f"[r{':' + types if types else ''} WHERE $lo IS NULL OR ("
           "(r.year IS NULL OR (r.year >= $lo AND r.year <= $hi)) "
           "AND (r.first_year IS NULL OR r.first_year <= $hi) "
           "AND (r.last_year IS NULL OR r.last_year >= $lo))]")
    return (f"MATCH p = SHORTEST {_int(groups, 1, 50)} GROUPS "
            f"(a:{BASE} {{uid: $source}})-{rel}-{{1,{_int(max_hops, 1, 6)}}}"
            f"(b:{BASE} {{uid: $target}}) "
            "RETURN [n IN nodes(p) | n {.uid, .label, .name}] AS nodes, "
            "[x IN relationships(p) | [type(x), x.uid, startNode(x).uid]] AS rels LIMIT $cap")


def subgraph_nodes(by_uid: bool) -> str:
    """Nodes of a subgraph: given uids, or by label list (None: all)."""
    if by_uid:
        return NODES_BY_UID
    return (f"MATCH (n:{BASE}) WHERE $labels IS NULL OR n.label IN $labels "
            "RETURN properties(n) AS p")


SUBGRAPH_EDGES = (f"UNWIND $uids AS u MATCH (a:{BASE} {{uid: u}}) "
                  f"CALL (a, u) {{ MATCH (a)-[r]->(b:{BASE}) "
                  "WHERE $types IS NULL OR type(r) IN $types "
                  f"RETURN collect({rel_record('r', 'u', 'b.uid')}) AS rs }} RETURN rs AS p")
"""Relationships leaving ``$uids``, one row per node (``p``: a list, as EDGES_TOUCHING);
the caller keeps those whose target is in the set."""


def fill_empty_lists(*, nodes: bool, names: Sequence[str], prop: str, batch: int) -> str:
    """Set ``prop`` to ``[]`` where it is missing on nodes of the labels (or
    relationships of the types) ``names``: ``neo4j-admin database import`` writes no
    empty arrays, the backend stores them as ``[]``. Auto-commit, in batches."""
    if not prop.isidentifier():
        raise ValueError(f"not a property name: {prop!r}")
    alts = "|".join(_label(n) if nodes else _rtype(n) for n in names)
    var = "n" if nodes else "r"
    pattern = f"(n:{alts})" if nodes else f"()-[r:{alts}]->()"
    return (f"MATCH {pattern} WHERE {var}.`{prop}` IS NULL "
            f"CALL ({var}) {{ SET {var}.`{prop}` = [] }} "
            f"IN TRANSACTIONS OF {_int(batch, 1, 1_000_000)} ROWS")


_TIES = "|".join(PARTNER_TIES)
_PARTS = "|".join(PROJECT_PARTICIPATION)


def _partners_of(var: str, out: str, optional: str = "") -> str:
    """A subquery naming in ``out`` each partner of ``var``: a cooperation or a shared project."""
    return (f"{optional}CALL ({var}) {{ "
            f"MATCH ({var})-[:COOPERATES_WITH]-({out}:{BASE}) RETURN {out} "
            f"UNION MATCH ({var})-[:{_PARTS}]->(:`Project`)<-[:{_PARTS}]-({out}:{BASE}) "
            f"RETURN {out} }} ")


PARTNER_NEIGHBOURHOOD = (
    f"MATCH (s:{BASE} {{uid: $uid}}) " + _partners_of("s", "p", "OPTIONAL ")
    + "WITH s, collect(DISTINCT p) AS ps "
    "WITH s, [x IN ps WHERE x <> s] AS ps "
    "CALL (s, ps) { UNWIND ps AS p "
    f"WITH p, COUNT {{ (p)-[:{_TIES}]-() }} AS deg WHERE deg <= $max_degree "
    + _partners_of("p", "c")
    + "WITH p, deg, c WHERE c <> s AND ($labels IS NULL OR c.label IN $labels) "
    "WITH c.uid AS cand, collect([deg, p.uid]) AS via "
    "RETURN collect([cand, via]) AS candidates } "
    "RETURN [x IN ps | x.uid] AS partners, candidates"
)
"""Partners of ``$uid`` and the partners of those (not hubs above ``$max_degree``). The
candidates still hold the partners themselves (the caller drops them): testing each row
against the partner list, and grouping the rows by that list, cost more than the walk
at a hub."""


def _analysis_key(key: str) -> str:
    if not key.startswith("analysis_") or not key.replace("_", "").isalnum() or not key.isascii():
        raise ValueError(f"not an analysis property: {key!r}")
    return f"`{key}`"


def clear_analysis(key: str) -> str:
    """Remove an analysis property from every node, in batches (an auto-commit query)."""
    k = _analysis_key(key)
    return (f"MATCH (n:{BASE}) WHERE n.{k} IS NOT NULL "
            f"CALL (n) {{ REMOVE n.{k} }} IN TRANSACTIONS OF 10000 ROWS")


def write_analysis(key: str) -> str:
    """Set an analysis property on the nodes of ``$rows`` ({u: uid, v: value})."""
    return (f"UNWIND $rows AS r MATCH (n:{BASE} {{uid: r.u}}) SET n.{_analysis_key(key)} = r.v "
            "RETURN count(n) AS n")


MATCH_CANDIDATES = (
    # matchmaking's pool: the candidates whose terms hold a word of the need (the
    # full-text index of the written-back terms), and the actors in the need's fields
    # and the fields related to them (IN_FIELD / OFFERS; projects are not candidates)
    # (one row holding every uid: the driver's cost is per row, and a broad need's pool
    # holds thousands)
    "CALL () { "
    f"CALL db.index.fulltext.queryNodes('{MATCH_TERMS_INDEX}', $q, {{limit: $limit}}) "
    "YIELD node RETURN node.uid AS u "
    "UNION "
    f"MATCH (a:{BASE})-[r:IN_FIELD|OFFERS]->(f:{BASE}) "
    "WHERE f.uid IN $fields AND a.label <> 'Project' RETURN a.uid AS u } "
    "RETURN collect(u) AS us"
)
MATCH_FIELD_CANDIDATES = (
    f"MATCH (a:{BASE})-[r:IN_FIELD|OFFERS]->(f:{BASE}) "
    "WHERE f.uid IN $fields AND a.label <> 'Project' RETURN collect(DISTINCT a.uid) AS us"
)
