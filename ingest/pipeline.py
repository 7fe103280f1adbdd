"""The ingest pipeline: data files + mappings -> resolved nodes and relationships -> store.

One run reads every table in ingest order (``order:`` in the mappings), and for
each table:

1. checks the header (a missing required column fails fast, naming it);
2. plans every row (identity, fields, relationships) without writing; a bad
   row becomes a reject-report entry and the run goes on;
3. merges the surviving rows with each other and with what the graph holds
   (names kept, other spellings added as aliases, lists unioned);
4. writes nodes, then relationships, in all-or-nothing store batches.

Re-running the same files changes nothing: uids are deterministic, writes are
idempotent upserts, and merging with the stored node gives the stored node
back. A run killed half-way and run again ends in the same graph as one clean
run, because every batch it wrote is what the re-run would write.

Test hook: when ``INNOGRAPH_TEST_DIE_AFTER_BATCHES=N`` is set, the process
exits abruptly (``os._exit``) right after its N-th store batch is in the store
(a mirrored store's queued commits written first), to let tests kill a run at a
deterministic point. Never set it outside tests.
"""

from __future__ import annotations

import gc
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from graph.collector import full_collections_paused
from graph.errors import BatchRejected, GraphError
from graph.store import GraphStore
from ingest.errors import IngestError, MappingError, MissingColumnError, RowRejected, SourceError
from ingest.mapping.rows import (
    Found,
    NameIndex,
    NodePart,
    RowPlan,
    plan_edges,
    plan_node,
)
from ingest.mapping.spec import TableMapping, load_mapping, mapping_path_for
from ingest.mirror import MirroredStore, mirrored
from ingest.review import ReviewQueue
from ingest.sources import DATA_SUFFIXES, Row, Table, read_tables
from schemas.errors import validation_reason
from schemas.ingest_report import (
    FileReport,
    IngestReport,
    MergedName,
    RejectedRow,
    ReviewCandidate,
    ReviewItem,
)
from schemas.names import normalize_name
from schemas.nodes import NODE_MODELS, Node
from schemas.ontology import label_name
from schemas.provenance import Provenance
from schemas.records import Record, node_from_record
from schemas.relationships import Relationship
from schemas.results import WriteSummary

DIE_ENV = "INNOGRAPH_TEST_DIE_AFTER_BATCHES"
FREEZE_ROWS = 5000
"""Rows planned between two ``gc.freeze`` calls (see _collector_spares_the_written)."""
SOURCE_SEP = "; "
UNINDEXED = frozenset({"Project", "Target", "Document"})
"""Labels not announced to the resolver's fuzzy index: nobody looks them up by a
misspelt name, and a participation table creates tens of thousands of projects."""
"""Separator of row locators in a node's ``provenance.source``."""


@contextmanager
def _collector_spares_the_written() -> Iterator[None]:
    """Keep Python's cyclic collector off what is stored, for the length of a run.

    A run builds millions of long-lived records (the store's, the resolver's indexes).
    Each full collection walks all of them, and their number sets off one every time
    it grows by a quarter: 40 % of an ingest's time at 10,000 actors went there. The
    loaded store and every written batch are frozen (``gc.freeze``: still freed by
    reference counting, only skipped by the cycle search), so young collections walk
    the batch in progress only; and no full collection runs (graph.collector): with
    the freezing alone, a 100,000-actor run on Neo4j still made two dozen, 17 s in all.
    Everything is handed back to the collector at the end.
    """
    gc.freeze()
    try:
        with full_collections_paused():
            yield
    finally:
        gc.unfreeze()


Landing = Callable[[IngestReport, tuple[list[Record], list[Record]]], None]
"""What a run calls while its last writes are sent: the report so far and the node and
relationship records the store will hold, each in uid order (see :meth:`IngestRun.run`)."""


class Progress(Protocol):
    """Where the pipeline reports progress (a rich progress bar in the CLI)."""

    def start(self, description: str, total: int | None) -> None:
        """A new phase begins: ``total`` steps, or unknown."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more steps are done."""


class _Silent:
    def start(self, description: str, total: int | None) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass


@dataclass(slots=True)
class Job:
    """One table to ingest: a file (or one sheet of it) and its mapping."""

    path: Path
    mapping: TableMapping
    index: int = 0

    @property
    def sort_key(self) -> tuple[int, str, int]:
        """Ingest order: the mapping's order, then the file name, then the table."""
        return self.mapping.effective_order(), self.path.name, self.index


def discover(paths: Sequence[Path], *, mapping: Path | None = None) -> tuple[list[Job],
                                                                              list[str]]:
    """The tables to ingest under ``paths``, in ingest order, and what was skipped.

    A directory contributes every data file that has a mapping beside it; a
    file given explicitly must have one (or ``mapping`` must be given).

    Raises:
        SourceError: a path does not exist.
        MappingError: a file given explicitly has no mapping, or a mapping is invalid.
    """
    jobs: list[Job] = []
    skipped: list[str] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.iterdir()):
                if not f.is_file() or f.suffix.lower() not in DATA_SUFFIXES:
                    continue
                mp = mapping_path_for(f)
                if mp is None:
                    skipped.append(f"{f}:旁边没有映射文件({f.name}.mapping.yaml)")
                    continue
                jobs += [Job(f, t, i) for i, t in enumerate(load_mapping(mp))]
        elif p.is_file():
            mp = mapping or mapping_path_for(p)
            if mp is None:
                raise MappingError(f"没有映射文件:应在旁边放 {p.name}.mapping.yaml"
                                   "(或用 --mapping 指定)", file=str(p))
            jobs += [Job(p, t, i) for i, t in enumerate(load_mapping(mp))]
        else:
            raise SourceError("文件或目录不存在", file=str(p))
    return sorted(jobs, key=lambda j: j.sort_key), skipped


# ---------------------------------------------------------------------------- identity
class RunIdentity:
    """Identity lookups for one run: this table, this run, the graph, the gazetteers.

    Names written earlier in the run are looked up here first, so that the
    resolver's view of the store (and any cache it keeps) does not matter for
    entities of this run.
    """

    def __init__(self, store: GraphStore, resolver: Any) -> None:
        self.store = store
        self.resolver = resolver
        self.written = NameIndex()
        self._labels: dict[str, str | None] = {}
        self._resolved: dict[tuple[str, frozenset[str]], Found] = {}
        self._noted: set[tuple[str, str, int]] = set()

    def existing(self, uid: str) -> str | None:
        """The label of ``uid`` in the graph (or written in this run), else None."""
        if uid not in self._labels:
            rec = self.store.read_nodes(uids=[uid]).get(uid)
            self._labels[uid] = rec["label"] if rec else None
        return self._labels[uid]

    def prefetch(self, uids: Iterable[str]) -> dict[str, str]:
        """Look many uids up at once; returns those that exist with their labels."""
        uids = list(uids)
        todo = [u for u in dict.fromkeys(uids) if u not in self._labels]
        for chunk in _chunks(todo, 5000):
            found = self.store.read_nodes(uids=chunk)
            for u in chunk:
                self._labels[u] = found[u]["label"] if u in found else None
        return {u: lb for u in uids if (lb := self._labels.get(u))}

    def wrote(self, node: Node) -> None:
        """Remember a node written in this run (uid, label, name, aliases)."""
        self._labels[node.uid] = node.label
        for n in [node.name, *node.aliases]:
            self.written.add(n, node.uid, node.label, node.name)
        self.note(node.uid, node.label, node.name, list(node.aliases))

    def forget(self, uid: str) -> None:
        """A node was merged away: it no longer exists (nor do cached matches to it)."""
        self._labels[uid] = None
        self._resolved = {k: f for k, f in self._resolved.items() if f.uid != uid}

    def note(self, uid: str, label: str, name: str, aliases: list[str]) -> None:
        """Announce a node to the resolver's fuzzy and variant index (it asks the store
        for exact names itself, but indexes the store's names only once)."""
        if label in UNINDEXED:
            return
        if self.resolver and (uid, name, len(aliases)) not in self._noted:
            self._noted.add((uid, name, len(aliases)))
            self.resolver.register(uid=uid, name=name, label=label, aliases=aliases)

    def mint(self, label: str, name: str, *, credit_code: str | None = None,
             moe_code: str | None = None, qualifier: str | None = None) -> str:
        """A uid by the identity rules (make_uid)."""
        from ingest.resolve import make_uid

        return make_uid(label, name, credit_code=credit_code, moe_code=moe_code,
                        qualifier=qualifier)

    def by_code(self, label: str, name: str, *, credit_code: str | None,
                moe_code: str | None) -> Found:
        """The entity an official code identifies, and stored name-keyed nodes it
        supersedes (raises ValueError, e.g. InvalidCreditCode, for a bad code)."""
        if not self.resolver:
            uid = self.mint(label, name, credit_code=credit_code, moe_code=moe_code)
            return Found("matched", uid=uid, label=label, name=name, rule="code",
                         in_graph=self.existing(uid) is not None)
        res = self.resolver.resolve(name, label=label, credit_code=credit_code,
                                    moe_code=moe_code)
        if res.status != "matched" or not res.uid:
            uid = self.mint(label, name, credit_code=credit_code, moe_code=moe_code)
            return Found("matched", uid=uid, label=label, name=name, rule="code",
                         in_graph=self.existing(uid) is not None)
        return Found("matched", uid=res.uid, label=label, name=res.name or name,
                     rule=res.rule, in_graph=self.existing(res.uid) is not None,
                     supersedes=list(res.supersedes))

    def lookup(self, name: str, labels: frozenset[str], local: NameIndex) -> Found:
        """Resolve ``name`` to an entity with one of ``labels``.

        Exact names and aliases of this table and this run win; then the resolver
        (graph, alias table, MoE list, name variants). Fuzzy resolver answers come
        back ambiguous with the candidates that exist in the graph (a merge needs
        two nodes).
        """
        for index in (local, self.written):
            hit = index.get(name, labels)
            if hit:
                return Found("matched", uid=hit[0], label=hit[1], name=hit[2], rule="run",
                             in_graph=True)
        key = (normalize_name(name), labels)
        found = self._resolved.get(key)
        if found is None or found.status != "matched":
            # only matches are cached: what is unknown now may be written later in the run
            found = self._resolved[key] = self._resolve(name, labels)
        if found.status == "matched" and found.uid and not found.in_graph:
            found.in_graph = self.existing(found.uid) is not None
        return found

    def _resolve(self, name: str, labels: frozenset[str]) -> Found:
        if not self.resolver:
            return Found("none")  # no resolver: only this run's names are known
        label = next(iter(labels)) if len(labels) == 1 else None
        # a review question needs a stored candidate (see below): the resolver may leave
        # unstored ones uncompared when it reads the store this run reads
        res = self.resolver.resolve(name, label=label,
                                    stored_only=getattr(self.resolver, "store", None)
                                    is self.store)
        if res.status == "matched" and res.uid and res.label in labels:
            return Found("matched", uid=res.uid, label=res.label, name=res.name or name,
                         rule=res.rule or "resolver",
                         in_graph=self.existing(res.uid) is not None)
        if res.status == "ambiguous":
            cands = [c for c in res.candidates if c.label in labels]
            present = self.prefetch(c.uid for c in cands)
            review = [ReviewCandidate(uid=c.uid, name=c.name, label=c.label,
                                      score=round(float(c.score), 4), rule=c.rule or "fuzzy")
                      for c in cands if c.uid in present]
            if review:
                return Found("ambiguous", candidates=review)
        return Found("none")


# ---------------------------------------------------------------------------- merging
@dataclass(slots=True)
class _NodeAcc:
    label: str
    data: dict[str, Any]
    sources: list[str]
    minimal: bool
    method: str | None
    synthetic: bool
    """True only while every row that wrote the node is synthetic (a real fact wins)."""
    rows: list[Row] = field(default_factory=list)
    spellings: list[tuple[str, str, str]] = field(default_factory=list)  # name, source, rule
    model: Node | None = None
    """The one row's validated node while nothing was merged into ``data``."""


@dataclass(slots=True)
class _EdgeAcc:
    data: dict[str, Any]
    sources: list[str]
    synthetic: bool
    model: Relationship | None = None
    """The row's validated relationship while nothing was merged into ``data``."""


def _union(a: Sequence[Any], b: Sequence[Any]) -> list[Any]:
    return list(dict.fromkeys([*a, *b]))


def merge_data(base: dict[str, Any], incoming: dict[str, Any], *,
               keep_name: bool = True) -> dict[str, Any]:
    """Fold a node description into another.

    The name of ``base`` is kept (``keep_name``) and a differently spelled
    incoming name becomes an alias; lists (aliases, keywords, tags) are unioned in
    order; ``attrs`` are merged; other incoming values replace base values.
    """
    out = dict(base)
    first, second = (base, incoming) if keep_name else (incoming, base)
    name = first.get("name") or second.get("name")
    aliases = [*first.get("aliases", []), second.get("name", ""), *second.get("aliases", [])]
    for k, v in incoming.items():
        if k in ("name", "aliases"):
            continue
        if isinstance(v, list):
            out[k] = _union(out.get(k) or [], v)
        elif isinstance(v, dict):
            out[k] = {**(out.get(k) or {}), **v}
        elif v is not None:
            out[k] = v
    out["name"] = name
    seen = {normalize_name(name)}
    kept = []
    for a in aliases:
        key = normalize_name(a) if a else ""
        if key and key not in seen:
            seen.add(key)
            kept.append(a)
    out["aliases"] = kept
    return out


def _table_key(table: Table) -> str:
    return f"{table.path.name}[{table.sheet}]" if table.sheet else table.path.name


def _other_sources(stored: str, table_key: str) -> list[str]:
    """Stored row locators that belong to other tables (this table's are replaced)."""
    out = []
    for s in stored.split(SOURCE_SEP) if stored else []:
        ours = s.startswith(table_key) and s[len(table_key):][:1] in (":", "#", "")
        if not ours:
            out.append(s)
    return out


def _locator_key(locator: str) -> tuple[str, int, str]:
    head, _, tail = locator.rpartition(":") if ":" in locator else locator.rpartition("#")
    return (head, int(tail), "") if tail.isdigit() else (locator, 0, "")


def join_sources(sources: Iterable[str]) -> str:
    """One provenance source from row locators: unique and in file-then-line order, so
    that the order in which tables wrote a node does not change its content."""
    unique = {s for s in sources if s}
    if len(unique) <= 1:
        return next(iter(unique), "")
    return SOURCE_SEP.join(sorted(unique, key=_locator_key))


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# ---------------------------------------------------------------------------- the run
class IngestRun:
    """One ingest run over a store; :meth:`run` returns the report.

    Args:
        store: An open GraphStore.
        resolver: The entity resolver (``ingest.resolve.Resolver``); built on the
            store when None.
        review: The review queue (in memory when None).
        batch_size: Nodes or relationships per store batch.
        progress: Progress sink (silent when None).
    """

    def __init__(self, store: GraphStore, *, resolver: Any = None,
                 review: ReviewQueue | None = None, batch_size: int = 5000,
                 progress: Progress | None = None) -> None:
        store = mirrored(store)  # node look-ups in memory, whatever the backend
        if resolver is None:
            from ingest.resolve import Resolver

            resolver = Resolver(store=store)
        self.store = store
        self.identity = RunIdentity(store, resolver)
        self.review = review or ReviewQueue(None)
        self.batch_size = batch_size
        self.progress: Progress = progress or _Silent()
        die = os.environ.get(DIE_ENV, "").strip()
        self._die_after = int(die) if die.isdigit() else None
        self.report = IngestReport(run_id=uuid.uuid4().hex[:12],
                                   started_at=datetime.now(UTC).replace(microsecond=0),
                                   store=store.backend)

    # public ---------------------------------------------------------------
    def run(self, paths: Sequence[Path], *, mapping: Path | None = None,
            landing: Landing | None = None) -> IngestReport:
        """Ingest every table under ``paths`` (see :func:`discover`).

        ``landing``, when the store's writes are sent by a writer thread (a
        :class:`MirroredStore`) and the run began on a store without relationships, is
        called once every table is planned, while the last batches are still being
        written, with the report so far and the records of the graph the store will hold
        (an ingest computes its analysis meanwhile); the run ends when the writes are in.

        Raises:
            IngestError: a file or mapping cannot be used (missing required
                column, unreadable file, invalid mapping); rows that are merely bad
                are rejected into the report instead.
        """
        t0 = time.perf_counter()
        self.report.paths = [str(p) for p in paths]
        jobs, skipped = discover(paths, mapping=mapping)
        self.report.warnings.extend(skipped)
        # one save of the embedded store per run: a killed run leaves the snapshot of
        # before it, a failed or interrupted one saves its completed batches
        try:
            with self.store.bulk(), _collector_spares_the_written():
                for job in jobs:
                    m = job.mapping
                    for table in read_tables(job.path, sheet=m.sheet, encoding=m.encoding,
                                             delimiter=m.delimiter):
                        self.ingest_table(table, m)
                if landing is not None and isinstance(self.store, MirroredStore):
                    records = self.store.records()
                    if records is not None:
                        landing(self.report, records)
        finally:
            if isinstance(self.store, MirroredStore):
                self.store.stop_writer()
        self.report.finished_at = datetime.now(UTC).replace(microsecond=0)
        self.report.elapsed_seconds = round(time.perf_counter() - t0, 3)
        self.report.accepted = sum(f.accepted for f in self.report.files)
        self.report.rows_read = sum(f.rows_read for f in self.report.files)
        return IngestReport.model_validate(self.report.model_dump())

    def ingest_table(self, table: Table, mapping: TableMapping) -> FileReport:
        """Ingest one table with its mapping; returns (and records) its file report."""
        frep = FileReport(file=str(table.path), sheet=table.sheet,
                          mapping=str(mapping.mapping_path or ""), kind=mapping.kind,
                          encoding=table.encoding, rows_read=len(table.rows),
                          skipped_blank_lines=table.blank_lines, warnings=list(table.warnings))
        self.report.files.append(frep)
        self.check_columns(table, mapping, frep)
        first_reject = len(self.report.rejected)
        if mapping.kind == "participation":
            from ingest.participation import ingest_participation

            ingest_participation(self, table, mapping, frep)
        else:
            self._registry(table, mapping, frep)
        frep.accepted = frep.rows_read - frep.rejected
        # rows are rejected in several passes; report them in file order
        self.report.rejected[first_reject:] = sorted(
            self.report.rejected[first_reject:], key=lambda r: (r.line or 0, r.row or 0))
        return frep

    def keep_other_sources(self, rels: Sequence[Relationship],
                           table: Table) -> list[Relationship]:
        """Relationships as they will be stored: provenance sources of other tables that
        also state them are kept, and keywords unioned, so that two tables stating one
        relationship do not overwrite each other back and forth on every run."""
        key = _table_key(table)
        stored = self._read_edges([r.uid for r in rels])
        out = []
        for rel in rels:
            old = stored.get(rel.uid)
            if old is not None:
                others = _other_sources(old.get("prov_source", ""), key)
                if others:
                    sources = [*others, *rel.provenance.source.split(SOURCE_SEP)]
                    prov = rel.provenance.model_copy(update={
                        "source": join_sources(sources),
                        "synthetic": bool(old.get("prov_synthetic"))
                        and rel.provenance.synthetic})
                    rel = rel.model_copy(update={
                        "provenance": prov,
                        "keywords": _union(old.get("keywords") or [], rel.keywords)})
            out.append(rel)
        return out

    def check_columns(self, table: Table, mapping: TableMapping, frep: FileReport) -> None:
        """Fail fast on a missing required or provenance column; warn about unmapped ones.

        Raises:
            MissingColumnError: naming the column and the file.
        """
        required = list(mapping.required)
        if mapping.kind == "participation":
            p = mapping.participation
            required += [p.project, p.actor, p.actor_type, p.year]
        elif mapping.name:
            required.append(mapping.name)
        where = str(table.path) + (f" [工作表 {table.sheet}]" if table.sheet else "")
        for col in dict.fromkeys(required):
            if col not in table.columns:
                raise MissingColumnError(
                    f"缺少必需的列 '{col}'(表头中有:{'、'.join(table.columns)})",
                    file=where, column=col)
        prov = mapping.synthetic_column
        if prov is not None and prov.column not in table.columns:
            # read as blank it would quietly give every row the file-level flag, the very
            # mix-up of real and synthetic rows the column exists to prevent
            raise MissingColumnError(
                f"缺少来源标记列 '{prov.column}'(synthetic_column)(表头中有:"
                f"{'、'.join(table.columns)})", file=where, column=prov.column)
        referenced = mapping.referenced_columns()
        absent = [c for c in referenced if c not in table.columns]
        if absent:
            frep.warnings.append(f"映射文件提到但表中没有的列(按空值读取):"
                                 f"{'、'.join(absent)}")
        known = {*referenced, *mapping.keep_extra_columns, *mapping.ignore_columns, "_raw"}
        extra = [c for c in table.columns if c not in known]
        if extra:
            frep.warnings.append(f"映射文件未提到的列,未保留:{'、'.join(extra)}"
                                 "(要保留请列在 keep_extra_columns 下)")

    def reject(self, frep: FileReport, row: Row, reason: str, column: str = "") -> None:
        """Record a rejected row in the report."""
        frep.rejected += 1
        self.report.rejected.append(RejectedRow(
            file=frep.file, locator=row.locator, line=row.line, sheet=row.sheet, row=row.row,
            column=column, reason=reason, raw=dict(row.values)))

    def file_reviews(self, items: Sequence[ReviewItem]) -> None:
        """File review items before the nodes they concern are written, so a run killed
        in between still leaves the question on file."""
        if not items:
            return
        unique = list({i.id: i for i in items}.values())
        new = self.review.add(unique)
        self.review.save()
        self.report.queued_for_review.extend(new)

    def write_nodes(self, nodes: Sequence[Node], describe: str = "nodes") -> None:
        """Upsert nodes in batches of one label each; count per label."""
        by_label: dict[str, list[Node]] = {}
        for n in nodes:
            by_label.setdefault(n.label, []).append(n)
        for label, group in by_label.items():
            for chunk in _chunks(group, self.batch_size):
                try:
                    summary = self.store.upsert_nodes(nodes=chunk)
                except (BatchRejected, GraphError) as exc:
                    raise IngestError(f"图谱拒绝了一批{label}节点(该批未写入,重新运行即可补齐):"
                                      f"{exc}", file=describe) from exc
                self._count(self.report.nodes, label, summary)
                for n in chunk:
                    self.identity.wrote(n)
                self._batch_done(len(chunk))

    def write_edges(self, edges: Sequence[Relationship], describe: str = "relationships",
                    batch_size: int | None = None) -> None:
        """Upsert relationships in batches of one type each; count per type."""
        by_type: dict[str, list[Relationship]] = {}
        for e in edges:
            by_type.setdefault(e.type, []).append(e)
        for rtype, group in by_type.items():
            for chunk in _chunks(group, batch_size or self.batch_size):
                try:
                    summary = self.store.upsert_edges(edges=chunk)
                except (BatchRejected, GraphError) as exc:
                    raise IngestError(f"图谱拒绝了一批{rtype}关系(该批未写入,重新运行即可补齐):"
                                      f"{exc}", file=describe) from exc
                self._count(self.report.relationships, rtype, summary)
                self._batch_done(len(chunk))

    # registry tables --------------------------------------------------------
    def _registry(self, table: Table, mapping: TableMapping, frep: FileReport) -> None:
        local = NameIndex()
        created: dict[str, NodePart] = {}
        plans: list[RowPlan] = []
        self.progress.start(f"{table.name}: rows", len(table.rows) * 2)
        gc.freeze()  # the table just read (see _collector_spares_the_written)
        for i, row in enumerate(table.rows):
            try:
                plans.append(plan_node(mapping, row, self.identity, local))
            except RowRejected as exc:
                self.reject(frep, row, exc.reason, exc.column)
            self.progress.advance()
            if i % FREEZE_ROWS == FREEZE_ROWS - 1:
                gc.freeze()  # the plans so far: they live until the table is written
        surviving = []
        for plan in plans:
            try:
                plan_edges(mapping, plan, self.identity, local, created)
                surviving.append(plan)
            except RowRejected as exc:
                self.reject(frep, plan.row, exc.reason, exc.column)
            self.progress.advance()
        surviving = self._settle(surviving, frep)
        self.file_reviews([r for p in surviving for r in p.reviews])
        nodes, edges = self._merge(surviving, table)
        supersedes: dict[str, dict[str, str]] = {}
        for p in surviving:
            if p.node is not None:
                for other in p.supersedes:
                    supersedes.setdefault(p.node.uid, {}).setdefault(other, p.row.locator)
        # the merged nodes and relationships are all the write needs: the row plans go
        # before it, so that each planned model can go as soon as its copy is made
        plans.clear()
        surviving.clear()
        self._write_registry(nodes, edges, table, mapping, supersedes)

    def _settle(self, plans: list[RowPlan], frep: FileReport) -> list[RowPlan]:
        """Reject rows whose relationships need a node no surviving row provides, or whose
        node's uid belongs to a node of another label, until nothing changes."""
        uids = {u for p in plans for u in _plan_uids(p)}
        self.identity.prefetch(uids)
        while True:
            provided: dict[str, str] = {}
            for p in plans:
                for part in [*p.created, *([p.node] if p.node else [])]:
                    provided.setdefault(part.uid, part.label)
            keep, dropped = [], False
            for p in plans:
                why = None
                for part in [*p.created, *([p.node] if p.node else [])]:
                    stored = self.identity.existing(part.uid)
                    if stored is not None and stored != part.label:
                        why = (f"标识 '{part.uid}' 已属于一个{label_name(stored)},"
                               f"不是{label_name(part.label)}")
                for e in p.edges:
                    for end in (e.data["source"], e.data["target"]):
                        if end not in provided and self.identity.existing(end) is None:
                            why = (f"引用了 '{end}',但没有被接受的行提供它"
                                   "(它自己的那一行被拒绝了)")
                if why:
                    self.reject(frep, p.row, why)
                    dropped = True
                else:
                    keep.append(p)
            plans = keep
            if not dropped:
                return plans

    def _merge(self, plans: list[RowPlan], table: Table) -> tuple[dict[str, _NodeAcc],
                                                                   dict[str, _EdgeAcc]]:
        nodes: dict[str, _NodeAcc] = {}
        edges: dict[str, _EdgeAcc] = {}
        for p in plans:
            for part in p.created:
                # a node known from a gazetteer holds only its facts (official name, code),
                # whoever named it; other created nodes are as real as the rows naming them
                flag = p.synthetic and part.method != "gazetteer"
                acc = nodes.get(part.uid)
                if acc is None:
                    nodes[part.uid] = _NodeAcc(part.label, dict(part.data), [part.source],
                                               True, part.method, flag)
                elif acc.minimal:
                    acc.synthetic = acc.synthetic and flag
            if p.node is not None:
                part = p.node
                acc = nodes.get(part.uid)
                if acc is None or acc.minimal:
                    data = part.data if acc is None else merge_data(acc.data, part.data,
                                                                    keep_name=False)
                    flag = p.synthetic if acc is None else acc.synthetic and p.synthetic
                    nodes[part.uid] = acc = _NodeAcc(part.label, data, [], False, part.method,
                                                     flag)
                    acc.model = part.model if data is part.data else None
                else:
                    acc.model = None
                    acc.synthetic = acc.synthetic and p.synthetic
                    same = normalize_name(acc.data["name"]) == normalize_name(part.data["name"])
                    self.report.merged.append(MergedName(
                        uid=part.uid, name=acc.data["name"], alias=part.data["name"],
                        source=part.source, rule="duplicate row" if same else "alias"))
                    acc.data = merge_data(acc.data, part.data)
                acc.sources.append(part.source)
                acc.rows.append(p.row)
                acc.spellings.append((part.data["name"], part.source, p.rule))
            for e in p.edges:
                eacc = edges.get(e.uid)
                if eacc is None:
                    edges[e.uid] = _EdgeAcc(dict(e.data), [e.source], p.synthetic, e.model)
                else:
                    eacc.model = None
                    eacc.data = _merge_edge(eacc.data, e.data)
                    eacc.sources.append(e.source)
                    eacc.synthetic = eacc.synthetic and p.synthetic
        return nodes, edges

    def _write_registry(self, nodes: dict[str, _NodeAcc], edges: dict[str, _EdgeAcc],
                        table: Table, mapping: TableMapping,
                        supersedes: dict[str, dict[str, str]]) -> None:
        key = _table_key(table)
        stored = self._read_nodes(list(nodes))
        final: list[Node] = []
        # each accumulator is let go once its node is made (the nodes and the edges are
        # the caller's to give up: a table's plan, held beside its copies until the end of
        # the write, was a province-sized ingest's peak of memory)
        for uid in list(nodes):
            acc = nodes.pop(uid)
            old = stored.get(uid)
            if acc.minimal and old is not None:
                continue  # only named by a relationship: never rewrite a stored node
            data, sources, synthetic = acc.data, acc.sources, acc.synthetic
            if old is not None:
                base = node_from_record(old).model_dump(exclude={"provenance", "uid"})
                data = merge_data(base, acc.data)
                sources = _other_sources(old.get("prov_source", ""), key) + acc.sources
                # a real fact wins: once any row (of any run) said real, the node stays real
                synthetic = bool(old.get("prov_synthetic")) and acc.synthetic
                # later spellings were reported when folded into the first (in _merge)
                for spelling, src, rule in acc.spellings[:1]:
                    if normalize_name(spelling) != normalize_name(data["name"]) and \
                            rule not in ("new", "run"):
                        self.report.merged.append(MergedName(
                            uid=uid, name=data["name"], alias=spelling, source=src, rule=rule))
            prov = Provenance(source=join_sources(sources),
                              method=acc.method or mapping.method,
                              confidence=mapping.confidence, synthetic=synthetic)
            if old is None and acc.model is not None:  # validated when planned
                # the row's own model, which nothing else holds: given its provenance in
                # place (a copy per node was 2 % of a province's ingest)
                acc.model.provenance = prov
                final.append(acc.model)
                continue
            try:
                final.append(NODE_MODELS[acc.label].model_validate(
                    {**data, "uid": uid, "provenance": prov}))
            except ValidationError as exc:
                raise IngestError(f"把 {'、'.join(r.locator for r in acc.rows)} 这几行合并为 "
                                  f"{uid} 得到的节点无效:{validation_reason(exc.errors()[0])}",
                                  file=str(table.path)) from exc
        del stored
        self.progress.start(f"{table.name}: writing", len(final) + len(edges))
        self.write_nodes(final, describe=str(table.path))
        final.clear()
        remap = self._supersede(supersedes)
        if remap:
            edges = _remap_edges(edges, remap)
        stored_edges = self._read_edges(list(edges))
        rels: list[Relationship] = []
        for euid in list(edges):
            eacc = edges.pop(euid)
            data, sources, synthetic = eacc.data, eacc.sources, eacc.synthetic
            old = stored_edges.get(euid)
            if old is not None:
                data = {**data, "keywords": _union(old.get("keywords") or [],
                                                   data.get("keywords") or [])}
                sources = _other_sources(old.get("prov_source", ""), key) + sources
                synthetic = bool(old.get("prov_synthetic")) and eacc.synthetic
            prov = Provenance(source=join_sources(sources),
                              method=mapping.method, confidence=mapping.confidence,
                              synthetic=synthetic)
            if old is None and eacc.model is not None:  # validated when planned
                eacc.model.provenance = prov  # the row's own model, as for nodes above
                rels.append(eacc.model)
            else:
                rels.append(Relationship.model_validate({**data, "provenance": prov}))
        del stored_edges
        self.write_edges(rels, describe=str(table.path))

    def _supersede(self, supersedes: dict[str, dict[str, str]]) -> dict[str, str]:
        """Merge stored name-keyed nodes into the node an official code identifies (the
        resolver's ``supersedes``); returns old uid -> kept uid."""
        remap: dict[str, str] = {}
        for keep, others in supersedes.items():
            present = self._read_nodes([keep, *others])
            if keep not in present:
                continue
            olds = [o for o in others if o in present and o != keep
                    and present[o]["label"] == present[keep]["label"]]
            if not olds:
                continue
            locators = "; ".join(others[o] for o in olds)
            try:
                record = self.store.merge_nodes(
                    keep=keep, merge=olds, rule="official_code",
                    reason=f"{locators}:官方代码(信用代码或学校标识码)指向 {keep}")
            except GraphError as exc:
                raise IngestError(f"无法把 {'、'.join(olds)} 合并到 {keep}:{exc}",
                                  file=locators) from exc
            self._batch_done(len(olds))
            for o in olds:
                remap[o] = keep
                self.identity.forget(o)
                self.report.merged.append(MergedName(
                    uid=keep, name=present[keep]["name"], alias=present[o]["name"],
                    source=others[o], rule="official_code", merge_id=record.merge_id))
        return remap

    # helpers ----------------------------------------------------------------
    def _read_nodes(self, uids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(uids, 5000):
            out.update(self.store.read_nodes(uids=chunk))
        return out

    def _read_edges(self, uids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(uids, 5000):
            out.update(self.store.read_edges(uids=chunk))
        return out

    @staticmethod
    def _count(counts: dict[str, WriteSummary], key: str, summary: WriteSummary) -> None:
        counts[key] = counts.get(key, WriteSummary()) + summary

    def _batch_done(self, size: int) -> None:
        self.report.batches += 1
        gc.freeze()  # see _collector_spares_the_written
        self.progress.advance(size)
        if self._die_after is not None and self.report.batches >= self._die_after:
            if isinstance(self.store, MirroredStore):
                # the N-th batch is in the database, whatever the writer's queue holds
                self.store.flush()
            os._exit(75)  # test hook: die abruptly, as a killed process would


def _plan_uids(plan: RowPlan) -> set[str]:
    out = {p.uid for p in plan.created}
    if plan.node:
        out.add(plan.node.uid)
    for e in plan.edges:
        out.update((e.data["source"], e.data["target"]))
    return out


def _remap_edges(edges: dict[str, _EdgeAcc], remap: dict[str, str]) -> dict[str, _EdgeAcc]:
    """Point relationships at the nodes merged ones were folded into."""
    out: dict[str, _EdgeAcc] = {}
    for eacc in edges.values():
        data = dict(eacc.data)
        data["source"] = remap.get(data["source"], data["source"])
        data["target"] = remap.get(data["target"], data["target"])
        if data["source"] == data["target"]:
            continue
        euid = Relationship.model_validate(data).uid
        if euid in out:
            out[euid].data = _merge_edge(out[euid].data, data)
            out[euid].sources.extend(eacc.sources)
            out[euid].synthetic = out[euid].synthetic and eacc.synthetic
        else:
            out[euid] = _EdgeAcc(data, list(eacc.sources), eacc.synthetic)
    return out


def _merge_edge(base: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in incoming.items():
        if isinstance(v, list):
            out[k] = _union(out.get(k) or [], v)
        elif v not in (None, ""):
            out[k] = v
    return out


def save_report(report: IngestReport, path: Path) -> Path:
    """Write a report as JSON (creating the directory); returns the path."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    except OSError as exc:
        raise IngestError(f"无法写出报告:{exc.strerror or exc}",
                          file=str(path)) from exc
    return path


def run_ingest(store: GraphStore, paths: Sequence[Path], *, mapping: Path | None = None,
               resolver: Any = None, review: ReviewQueue | None = None,
               batch_size: int = 5000, progress: Progress | None = None,
               report_path: Path | None = None, report_dir: Path | None = None,
               landing: Landing | None = None) -> IngestReport:
    """Ingest files or directories into ``store`` and save the report.

    Args:
        store: An open, writable GraphStore.
        paths: Data files and/or directories (every data file with a mapping).
        mapping: A mapping file for a single data file without one beside it.
        resolver: Entity resolver; ``Resolver(store=store)`` when None.
        review: Review queue for fuzzy matches (in memory when None).
        batch_size: Items per store batch.
        progress: Progress sink.
        report_path: Where to save the report JSON; else ``report_dir`` /
            ``ingest-<time>-<run id>.json`` when ``report_dir`` is given.
        landing: Called while the last writes are sent (see :meth:`IngestRun.run`).

    Returns:
        The report (with ``report_path`` set when it was saved).

    Raises:
        IngestError: unusable file or mapping (rows that are merely bad are
            rejected into the report instead).

    Example:
        >>> from graph.backends.embedded import EmbeddedStore
        >>> store = EmbeddedStore(None); store.open()
        >>> run_ingest(store, [], resolver=False).rows_read
        0
    """
    ingest_run = IngestRun(store, resolver=resolver, review=review, batch_size=batch_size,
                           progress=progress)
    report = ingest_run.run(list(paths), mapping=mapping, landing=landing)
    file_report(report, report_path=report_path, report_dir=report_dir)
    return report


def file_report(report: IngestReport, *, report_path: Path | None = None,
                report_dir: Path | None = None) -> None:
    """Save ``report`` to ``report_path``, else as ``report_dir`` /
    ``ingest-<time>-<run id>.json`` (neither: not saved), and set its ``report_path``.

    Raises:
        IngestError: the report cannot be written.
    """
    target = report_path
    if target is None and report_dir is not None:
        stamp = report.started_at.strftime("%Y%m%dT%H%M%SZ")
        target = report_dir / f"ingest-{stamp}-{report.run_id}.json"
    if target is not None:
        report.report_path = str(target)
        save_report(report, target)
