"""An in-memory mirror of a remote store's nodes for the length of one ingest run.

Name resolution asks "which node is called this?" tens of thousands of times per
run: exact names, aliases, substrings of names. Against Neo4j each question is a
network round trip; against the embedded store it is a dictionary look-up. The
mirror loads every node record once (one streamed read), answers every node
question from the embedded store's own indexes, and forwards every write to the
real store before applying it to itself, so the two never disagree for longer
than one commit. Relationships are not mirrored: they are read from the real
store by uid or endpoint, which its indexes answer directly; a run that began on a
store without relationships (a first load) does not ask for the ones it did not write.

Because resolution then runs on the same in-memory indexes whatever the
backend, an ingest resolves names identically on the embedded store and on Neo4j.

Writes are pipelined: a commit of new nodes and relationships goes to one writer
thread, so the database writes earlier batches while the run plans the next ones (two
cores: one for Neo4j, one for Python). The queue is deep, bounded by the records in it
rather than by commits: some tables keep the database busy (tens of thousands of
relationships, few names to resolve), others the run (names to resolve, few writes),
and a deep queue lets the run go on planning through the first kind while the
database catches up during the second. Each commit is one transaction. Two writer
threads send them: a commit waits for the queued commits that write nodes (its
relationships' endpoints) and those writing one of its own relationships, and is
otherwise written beside the one before it, so that the relationships of a table
(hundreds of thousands of them at the end of a province's load, few names to resolve)
keep both the database's cores busy while the run has nothing left to plan. A read that
could see a pending write (a relationship uid still in flight, anything that deletes or
merges) waits for the writers first; the first failed commit is raised by the next call
and at the end of the run, and a commit that waited for it is not sent.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from graph.backends.embedded import EmbeddedStore
from graph.errors import GraphError
from graph.store import HUB_DEGREE, Direction, GraphStore
from schemas.records import Record
from schemas.relationships import Relationship
from schemas.results import MergeRecord, PartnerNeighbourhood, Path, SearchHit, Stats

if TYPE_CHECKING:
    import networkx as nx


class MirroredStore(GraphStore):
    """A GraphStore that reads nodes from an in-memory copy and writes through.

    Args:
        store: The real, open store (every write goes to it first).
    """

    IN_FLIGHT = 250_000
    """Records (nodes and relationships) queued for the writer before the run waits
    for the oldest commits; a quarter of a million records is a few hundred MB."""
    WRITERS = 2
    """Writer threads (which commit waits for which: the module's docstring)."""
    EDGE_CACHE = 500_000
    """Relationship records (or their absence) remembered from reads and writes: a
    batch is read twice (to merge provenance, then to diff), the database once."""

    def __init__(self, store: GraphStore) -> None:
        self.real = store
        self.backend = store.backend
        self._nodes = EmbeddedStore(None)
        self._writer: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[Future[None], frozenset[str], int, bool]] = deque()
        """Queued commits: the writer's future, the relationship uids, the records, and
        whether it writes nodes."""
        self._failed = False
        self._edges: dict[str, Record | None] = {}
        self._replica: dict[str, tuple[int, Record]] | None = None
        """When the run began on a store without relationships (None otherwise): every
        relationship it wrote since, by uid, with the number of the commit that wrote
        it. With the mirrored nodes that is the whole store (:meth:`records`); and a
        uid not here names no stored relationship, so it is not asked for (a first load
        of a province asks for hundreds of thousands of new uids: about a fifth of its
        pipeline's time)."""
        self._gone: dict[str, int] = {}
        """Deleted node uids and the number of the commit that deleted them (a
        relationship written before it went with the node)."""
        self._commits = 0
        self._depth = 0

    def open(self) -> None:
        """Load every node record of the real store into the mirror."""
        self._nodes.open()
        for batch in self.real.scan_nodes(batch_size=20_000):
            self._nodes.commit(put_nodes=batch)
        # the run is the only writer the mirror follows: from an empty start, the
        # relationships stored are the ones it writes
        self._replica = {} if not any(self.real.stats().relationships.values()) else None

    def _wrote(self, edges: Sequence[Record], del_nodes: Sequence[str] = (),
               del_edges: Sequence[Record] = ()) -> None:
        """Note a commit's relationship changes (in the order the store applies them:
        deletions, then writes)."""
        if self._replica is not None:
            self._commits += 1
            n, replica = self._commits, self._replica
            for e in del_edges:
                replica.pop(e["uid"], None)
            for uid in del_nodes:
                self._gone[uid] = n
            for e in edges:
                replica[e["uid"]] = (n, e)

    def records(self) -> tuple[list[Record], list[Record]] | None:
        """The node and relationship records of the store as it will be once the queued
        commits are written, each in uid order, without waiting for them and without
        reading the store: known only when the run began on a store without
        relationships (a first load; else None). An ingest computes its analysis on them
        while the database writes its last batches."""
        if self._replica is None:
            return None
        gone = self._gone
        edges = sorted((rec for n, rec in self._replica.values()
                        if gone.get(rec["source"], 0) <= n and gone.get(rec["target"], 0) <= n),
                       key=lambda r: r["uid"])
        nodes = sorted((r for batch in self._nodes.scan_nodes(batch_size=50_000)
                        for r in batch), key=lambda r: r["uid"])
        return nodes, edges

    def refresh(self) -> None:
        """Nothing: the run is the only writer the mirror follows."""

    def close(self) -> None:
        """Wait for the writer, drop the copy; the real store stays open (its owner
        closes it)."""
        try:
            self.stop_writer()
        finally:
            self._nodes = EmbeddedStore(None)

    def stop_writer(self) -> None:
        """Wait for the queued commits and end the writer thread (a later commit starts
        a new one)."""
        try:
            self.flush()
        finally:
            if self._writer is not None:
                self._writer.shutdown(wait=True)
                self._writer = None

    def flush(self) -> None:
        """Wait until every queued commit is in the real store; raise the first failure
        (later commits of a failed run are still awaited, never left running)."""
        error: BaseException | None = None
        while self._pending:
            future = self._pending.popleft()[0]
            exc = future.exception()
            if exc is not None and error is None:
                error = exc
        if error is not None:
            raise error

    def _wait_for(self, edge_uids: Sequence[str]) -> None:
        """Flush if a queued commit writes one of ``edge_uids``."""
        if self._pending and any(not in_flight.isdisjoint(edge_uids)
                                 for _, in_flight, *_ in self._pending):
            self.flush()

    # nodes from the mirror -------------------------------------------------------
    def read_nodes(self, *, uids: Sequence[str]) -> dict[str, Record]:
        """Stored node records among ``uids`` (from the mirror)."""
        return self._nodes.read_nodes(uids=uids)

    def find_records(self, *, uids: Sequence[str] | None = None, name: str | None = None,
                     label: str | None = None, where: Mapping[str, Any] | None = None,
                     limit: int = 100) -> list[Record]:
        """As :meth:`GraphStore.find_records`, from the mirror."""
        return self._nodes.find_records(uids=uids, name=name, label=label, where=where,
                                        limit=limit)

    def search(self, *, text: str, labels: Sequence[str] | None = None,
               limit: int = 20) -> list[SearchHit]:
        """Substring search over the mirror (the embedded store's bigram index)."""
        return self._nodes.search(text=text, labels=labels, limit=limit)

    def scan_nodes(self, *, labels: Sequence[str] | None = None,
                   batch_size: int = 10_000) -> Iterator[list[Record]]:
        """Every node record, from the mirror."""
        return self._nodes.scan_nodes(labels=labels, batch_size=batch_size)

    # writes: the real store first, then the mirror --------------------------------
    def commit(self, *, put_nodes: Sequence[Record] = (), put_edges: Sequence[Record] = (),
               del_nodes: Sequence[str] = (), del_edges: Sequence[Record] = (),
               merge: MergeRecord | None = None,
               absent: Collection[str] = frozenset()) -> None:
        """Queue a commit of new content for the writer (nodes visible here at once); a
        commit that deletes or merges waits for the queue and runs at once. ``absent``
        goes with the records to the real store (see :meth:`GraphStore.commit`)."""
        if del_nodes or del_edges or merge is not None:
            self.flush()
            self._edges.clear()  # deleted nodes take relationships the cache cannot name
            self._wrote(put_edges, del_nodes, del_edges)
            self.real.commit(put_nodes=put_nodes, put_edges=put_edges, del_nodes=del_nodes,
                             del_edges=del_edges, merge=merge, absent=absent)
            if put_nodes or del_nodes:
                self._nodes.commit(put_nodes=put_nodes, del_nodes=del_nodes)
            return
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=self.WRITERS,
                                              thread_name_prefix="innograph-writer")
        nodes, edges = list(put_nodes), list(put_edges)
        size = len(nodes) + len(edges)
        while self._pending and size + sum(p[2] for p in self._pending) > self.IN_FLIGHT:
            future = self._pending[0][0]
            if future.exception() is not None:
                self.flush()  # raises the failure
            self._pending.popleft()
        self._wrote(edges)
        uids = frozenset(e["uid"] for e in edges)
        # what this commit must wait for: every queued commit that writes nodes (they may
        # be this one's endpoints, or the same nodes), and those writing one of its
        # relationships; a commit of other relationships is written beside it
        after = [future for future, in_flight, _, has_nodes in self._pending
                 if has_nodes or not in_flight.isdisjoint(uids)]
        # made here, while the writers wait for the database: they only send it
        work = self.real.prepare_commit(put_nodes=nodes, put_edges=edges, absent=absent)
        future = self._writer.submit(self._write, work, after)
        if len(self._edges) + len(edges) > self.EDGE_CACHE:
            self._edges.clear()
        for e in edges:
            self._edges[e["uid"]] = e
        self._pending.append((future, uids, size, bool(nodes)))
        if nodes:
            self._nodes.commit(put_nodes=nodes)

    def _write(self, work: Callable[[], None], after: Sequence[Future[None]]) -> None:
        """A writer thread's task: one prepared commit, once the commits ``after`` are
        written; not sent when a commit of the run failed before it started (the store
        never holds relationships whose endpoints' commit failed, nor a write that one
        queued before it would have overwritten)."""
        for earlier in after:
            earlier.exception()  # waits for it
        if self._failed:
            raise GraphError("未写入:本次运行中较早的一批写入失败")
        try:
            work()
        except BaseException:
            self._failed = True
            raise

    def clear(self) -> None:
        """Clear the real store and the mirror."""
        self.flush()
        self.real.clear()
        self._nodes.clear()
        self._edges.clear()
        self._replica, self._gone = {}, {}

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """The real store's bulk context; every queued commit is done when the outermost
        one ends (a table's own bulk context inside a run's does not wait for the
        writer: the run goes on with its next table, or its analysis, meanwhile)."""
        with self.real.bulk():
            self._depth += 1
            try:
                yield
            except BaseException:
                if self._depth == 1:
                    with contextlib.suppress(Exception):
                        self.flush()  # the first error is the one to report
                raise
            finally:
                self._depth -= 1
            if self._depth == 0:
                self.flush()

    # everything else from the real store --------------------------------------------
    def version(self) -> int:
        """The real store's version."""
        self.flush()
        return self.real.version()

    def save_derived(self, *, name: str, version: int, data: bytes) -> None:
        """To the real store."""
        self.flush()
        self.real.save_derived(name=name, version=version, data=data)

    def load_derived(self, *, name: str) -> tuple[int, bytes] | None:
        """From the real store."""
        return self.real.load_derived(name=name)

    def read_edges(self, *, uids: Sequence[str] = (),
                   node_uids: Sequence[str] = ()) -> dict[str, Record]:
        """Relationship records, from the real store (after the queued commits that
        could change them); none asked for that the run knows are not there."""
        if node_uids:
            self.flush()
            return self.real.read_edges(uids=uids, node_uids=node_uids)
        out: dict[str, Record] = {}
        todo: list[str] = []
        written = self._replica
        for u in uids:
            if u in self._edges:
                rec = self._edges[u]
                if rec is not None:
                    out[u] = rec
            elif written is None or u in written:
                todo.append(u)
        if todo:
            self._wait_for(todo)
            got = self.real.read_edges(uids=todo)
            if len(self._edges) + len(todo) > self.EDGE_CACHE:
                self._edges.clear()
            for u in todo:
                self._edges[u] = got.get(u)
            out.update(got)
        return out

    def scan_edges(self, *, rel_types: Sequence[str] | None = None,
                   batch_size: int = 10_000) -> Iterator[list[Record]]:
        """Every relationship record, from the real store."""
        self.flush()
        return self.real.scan_edges(rel_types=rel_types, batch_size=batch_size)

    def get_edges(self, *, source: str | None = None, target: str | None = None,
                  rel_types: Sequence[str] | None = None,
                  limit: int = 10_000) -> list[Relationship]:
        """Relationships by endpoint and type, from the real store."""
        self.flush()
        return self.real.get_edges(source=source, target=target, rel_types=rel_types,
                                   limit=limit)

    def count_neighbors(self, *, uid: str, rel_types: Sequence[str] | None = None,
                        labels: Sequence[str] | None = None,
                        direction: Direction = "both") -> dict[str, int]:
        """From the real store."""
        self.flush()
        return self.real.count_neighbors(uid=uid, rel_types=rel_types, labels=labels,
                                         direction=direction)

    def expand(self, *, uids: Sequence[str], rel_types: Sequence[str] | None,
               labels: Sequence[str] | None,
               direction: Direction) -> list[tuple[str, Record, Record]]:
        """From the real store."""
        self.flush()
        return self.real.expand(uids=uids, rel_types=rel_types, labels=labels,
                                direction=direction)

    def k_paths(self, *, source: str, target: str, k: int, max_hops: int,
                rel_types: Sequence[str] | None,
                years: tuple[int, int] | None) -> list[Path]:
        """From the real store."""
        self.flush()
        return self.real.k_paths(source=source, target=target, k=k, max_hops=max_hops,
                                 rel_types=rel_types, years=years)

    def partner_neighbourhood(self, *, uid: str, labels: Sequence[str] | None = None,
                              max_degree: int = HUB_DEGREE,
                              limit: int = 2_000) -> PartnerNeighbourhood:
        """From the real store."""
        self.flush()
        return self.real.partner_neighbourhood(uid=uid, labels=labels, max_degree=max_degree,
                                               limit=limit)

    def subgraph(self, *, uids: Sequence[str] | None = None, labels: Sequence[str] | None = None,
                 rel_types: Sequence[str] | None = None) -> nx.MultiDiGraph:
        """From the real store."""
        self.flush()
        return self.real.subgraph(uids=uids, labels=labels, rel_types=rel_types)

    def count_nodes(self, label: str) -> int:
        """From the mirror (every write of the run is applied to it when queued)."""
        return self._nodes.count_nodes(label)

    def stats(self) -> Stats:
        """From the real store."""
        self.flush()
        return self.real.stats()

    def merge_history(self) -> list[MergeRecord]:
        """From the real store."""
        self.flush()
        return self.real.merge_history()


def mirrored(store: GraphStore) -> GraphStore:
    """The store an ingest run should use: itself when its nodes are already in
    memory (the embedded store), else an opened :class:`MirroredStore` over it."""
    if isinstance(store, EmbeddedStore | MirroredStore):
        return store
    mirror = MirroredStore(store)
    mirror.open()
    return mirror
