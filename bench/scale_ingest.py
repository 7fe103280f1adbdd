"""Ingest at scale: ``innograph ingest`` twice per data set and backend, beside a bare floor.

Each run is a child process with a fresh ``INNOGRAPH_HOME``; its wall time and
peak RSS come from :func:`bench.harness.run_measured`, its counts from the report
JSON it saves under ``INNOGRAPH_HOME/reports/``. The second run reads the same
folder again and must write nothing.

The baselines write the records of the same data set (read back from the
embedded store the first run filled) with nothing of innograph around them:

* **Neo4j**: the official driver, one ``UNWIND $rows … MERGE`` per label and per
  relationship type in batches of 5,000, into the same server, emptied with
  ``Neo4jStore.clear()`` (so innograph's constraints and indexes are there);
* **embedded**: a dict insert of every record and one pickle save (fsync'd),
  the floor of what a store held in memory and saved once can do.

This module is also the baseline child: ``python bench/scale_ingest.py baseline
--backend neo4j|embedded --home HOME`` loads the records, then times only the
writes and prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    Deadline,
    Measured,
    Neo4jConn,
    OutOfTime,
    child_env,
    clear_neo4j,
    innograph_exe,
    run_measured,
)

BATCH = 5000
NODE_CYPHER = "UNWIND $rows AS row MERGE (n:Node {{uid: row.uid}}) SET n = row, n:`{label}`"
EDGE_CYPHER = ("UNWIND $rows AS row MATCH (a:Node {{uid: row.source}}) "
               "MATCH (b:Node {{uid: row.target}}) "
               "MERGE (a)-[r:`{rel_type}` {{uid: row.uid}}]->(b) SET r = row")


@dataclass
class IngestRun:
    """One ``innograph ingest DIR --quiet --no-analyse`` child, and for a first run the
    ``innograph analyse`` child after it.

    The writes are measured apart from the analysis: the baseline they are compared
    with writes the same records and computes nothing. ``innograph ingest`` without the
    flag runs both in one process (the analysis overlapping the last writes), so its
    wall time is at most the sum.

    Attributes:
        backend: ``embedded`` or ``neo4j``.
        actors: Size of the data set.
        run: 1 (empty store), 2 (the same folder again) or 3 (again with ``--force``).
        wall_s: Wall time of the ingest process (start-up and any work after the last
            batch included, the analysis not).
        max_rss_mb: Peak RSS of the ingest process.
        rows: Rows read.
        rejected: Rows rejected.
        created: Nodes and relationships created.
        updated: Nodes and relationships updated.
        unchanged: Nodes and relationships written with identical content.
        queued: Fuzzy matches queued for review.
        report_s: The run's own ``elapsed_seconds``.
        error: Why there are no counts (a time-out, an exit status, no report).
        analyse_s: Wall time of the ``innograph analyse`` child after a first run.
        analyse_rss_mb: Its peak RSS from ``wait4``: the larger of its own and its
            children's (the recommender's fit runs in one).
        analyse_error: Why the analysis has no figures (not asked for at this size, no
            time left, a limit, an exit status).
        up_to_date: The command read nothing: the inputs and the store were as the run
            before left them (``ingest.uptodate``).
    """

    backend: str
    actors: int
    run: int
    wall_s: float
    max_rss_mb: float
    rows: int = 0
    rejected: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    queued: int = 0
    report_s: float | None = None
    error: str | None = None
    analyse_s: float | None = None
    analyse_rss_mb: float | None = None
    analyse_error: str | None = None
    up_to_date: bool = False

    @property
    def written(self) -> int:
        """Objects written: nodes and relationships created or updated."""
        return self.created + self.updated

    @property
    def per_second(self) -> float | None:
        """Objects written per second of wall time."""
        return self.written / self.wall_s if self.wall_s and not self.error else None

    def as_dict(self) -> dict[str, Any]:
        """The run with its derived figures, for the raw JSON."""
        return {**asdict(self), "written": self.written, "per_second": self.per_second}


def _failure(m: Measured, timeout: float, rss_limit_mb: float | None) -> str:
    """Why a child gave no figures: a limit (said plainly) or its exit and last lines."""
    if m.stopped == "time":
        return f"stopped after {timeout:.0f} s"
    if m.stopped == "memory":
        return f"stopped above {rss_limit_mb or 0:,.0f} MB RSS (memory guard)"
    return m.describe()


def _summed(counts: dict[str, dict[str, int]], key: str) -> int:
    return sum(int(c.get(key, 0)) for c in counts.values())


def ingest_once(data: Path, home: Path, *, backend: str, actors: int, run: int,
                conn: Neo4jConn | None = None, timeout: float = 1800.0,
                rss_limit_mb: float | None = None, force: bool = False) -> IngestRun:
    """Run ``innograph ingest DATA --quiet --no-analyse`` once in a child and read its
    report.

    Args:
        data: The registry folder.
        home: The run's ``INNOGRAPH_HOME`` (fresh for a first run).
        backend: ``embedded`` or ``neo4j``.
        actors: Size of the data set (for the row).
        run: 1, 2 or 3.
        conn: The Neo4j server (for ``neo4j``).
        timeout: Seconds before the child is killed.
        rss_limit_mb: Resident memory above which the child is killed.
        force: Add ``--force`` (read everything even when nothing changed).
    """
    home.mkdir(parents=True, exist_ok=True)
    reports = home / "reports"
    before = set(reports.glob("*.json")) if reports.exists() else set()
    m = run_measured([innograph_exe(), "ingest", str(data), "--quiet", "--no-analyse",
                      *(["--force"] if force else [])],
                     env=child_env(home, backend, conn), cwd=home, timeout=timeout,
                     rss_limit_mb=rss_limit_mb)
    result = IngestRun(backend=backend, actors=actors, run=run, wall_s=m.wall_s,
                       max_rss_mb=m.max_rss_mb)
    new = sorted(set(reports.glob("*.json")) - before) if reports.exists() else []
    if not m.ok or not new:
        result.error = _failure(m, timeout, rss_limit_mb) if not m.ok else "no report written"
        return result
    rep = json.loads(new[-1].read_text(encoding="utf-8"))
    for key in ("created", "updated", "unchanged"):
        setattr(result, key, _summed(rep["nodes"], key) + _summed(rep["relationships"], key))
    result.rows = int(rep["rows_read"])
    result.rejected = len(rep["rejected"])
    result.queued = len(rep["queued_for_review"])
    result.report_s = float(rep["elapsed_seconds"])
    result.up_to_date = bool(rep.get("up_to_date"))
    return result


def analyse_once(home: Path, run: IngestRun, *, conn: Neo4jConn | None = None,
                 timeout: float = 1800.0, rss_limit_mb: float | None = None) -> None:
    """Run ``innograph analyse`` in a child on the store ``run`` filled; its wall time and
    peak RSS (or why there are none) go into ``run``."""
    m = run_measured([innograph_exe(), "analyse"], env=child_env(home, run.backend, conn),
                     cwd=home, timeout=timeout, rss_limit_mb=rss_limit_mb)
    run.analyse_s, run.analyse_rss_mb = m.wall_s, m.max_rss_mb
    if not m.ok:
        run.analyse_error = _failure(m, timeout, rss_limit_mb)


def ingest_twice(data: Path, home: Path, *, backend: str, actors: int,
                 conn: Neo4jConn | None = None, timeout: float = 1800.0,
                 deadline: Deadline | None = None,
                 rss_limit_mb: float | None = None, runs: int = 2,
                 analyse: bool = True) -> list[IngestRun]:
    """The first ingest into an empty store, its analysis (``analyse``), then the
    unchanged re-run as a user runs it (``runs`` 2 or 3: it reads nothing when the inputs
    and the store are unchanged) and the re-run with ``--force`` (``runs`` 3: every row
    read and compared again), if the first ended.

    For Neo4j the database is emptied with ``Neo4jStore.clear()`` first. A run or an
    analysis that the deadline leaves no time for is returned as skipped (``error`` or
    ``analyse_error`` says so).
    """
    deadline = deadline or Deadline()
    done: list[IngestRun] = []
    for run in range(1, runs + 1):
        try:
            limit = deadline.timeout(timeout)
        except OutOfTime as exc:
            done.append(IngestRun(backend=backend, actors=actors, run=run, wall_s=0.0,
                                  max_rss_mb=0.0, error=f"skipped: {exc}"))
            break
        if run == 1 and backend == "neo4j":
            assert conn is not None
            try:
                clear_neo4j(conn)
            except Exception as exc:  # GraphError, StoreUnavailable: no run on stale data
                done.append(IngestRun(backend=backend, actors=actors, run=run, wall_s=0.0,
                                      max_rss_mb=0.0, error=f"could not empty Neo4j: {exc}"))
                break
        result = ingest_once(data, home, backend=backend, actors=actors, run=run, conn=conn,
                             timeout=limit, rss_limit_mb=rss_limit_mb, force=run == 3)
        done.append(result)
        print(f"  ingest {backend} {actors:,}{['', ' again', ' again, forced'][run - 1]}: "
              f"{_line(result)}", flush=True)
        if result.error:
            break
        if run == 1 and not analyse:
            result.analyse_error = "not run at this size"
        elif run == 1:
            try:
                limit = deadline.timeout(timeout)
            except OutOfTime as exc:
                result.analyse_error = f"skipped: {exc}"
            else:
                analyse_once(home, result, conn=conn, timeout=limit, rss_limit_mb=rss_limit_mb)
            print(f"  analyse {backend} {actors:,}: " + (
                result.analyse_error or f"{result.analyse_s:.1f} s, "
                                        f"{result.analyse_rss_mb:,.0f} MB"), flush=True)
    return done


def _line(r: IngestRun) -> str:
    if r.error:
        return f"{r.wall_s:.1f} s, {r.error}"
    return (f"{r.wall_s:.1f} s, {r.created:,} created, {r.updated:,} updated, "
            f"{r.unchanged:,} unchanged, {r.max_rss_mb:,.0f} MB")


# ---------------------------------------------------------------------------- baselines
@dataclass
class Baseline:
    """A bare write of the same records.

    Attributes:
        backend: ``embedded`` or ``neo4j``.
        actors: Size of the data set.
        nodes: Node records written.
        relationships: Relationship records written.
        seconds: Time of the writes alone (loading the records is not counted).
        stored: For Neo4j, nodes + relationships counted in the database after.
        error: Why there is no figure.
    """

    backend: str
    actors: int
    nodes: int = 0
    relationships: int = 0
    seconds: float | None = None
    stored: int | None = None
    error: str | None = None

    @property
    def objects(self) -> int:
        """Nodes and relationships written."""
        return self.nodes + self.relationships

    @property
    def per_second(self) -> float | None:
        """Objects per second."""
        return self.objects / self.seconds if self.seconds else None

    def as_dict(self) -> dict[str, Any]:
        """The baseline with its derived figures, for the raw JSON."""
        return {**asdict(self), "objects": self.objects, "per_second": self.per_second}


def run_baseline(backend: str, store_home: Path, *, actors: int, conn: Neo4jConn | None = None,
                 timeout: float = 1800.0, deadline: Deadline | None = None,
                 rss_limit_mb: float | None = None) -> Baseline:
    """Run the baseline child for ``backend`` on the records of ``store_home``.

    Args:
        backend: ``embedded`` or ``neo4j``.
        store_home: The INNOGRAPH_HOME whose embedded store holds the data set.
        actors: Size of the data set (for the row).
        conn: The Neo4j server; emptied (``Neo4jStore.clear()``) before the child.
        timeout: Seconds before the child is killed.
        deadline: The run's deadline (a baseline it leaves no time for is skipped).
        rss_limit_mb: Resident memory above which the child is killed.
    """
    result = Baseline(backend=backend, actors=actors)
    if not (store_home / "store").exists():
        result.error = "no embedded store of this data set (its ingest did not finish)"
        return result
    try:
        timeout = (deadline or Deadline()).timeout(timeout)
    except OutOfTime as exc:
        result.error = f"skipped: {exc}"
        return result
    if backend == "neo4j":
        assert conn is not None
        try:
            clear_neo4j(conn)
        except Exception as exc:  # GraphError, StoreUnavailable: no baseline on stale data
            result.error = f"could not empty Neo4j: {exc}"
            return result
    m = run_measured([sys.executable, str(Path(__file__).resolve()), "baseline",
                      "--backend", backend, "--home", str(store_home)],
                     env=child_env(store_home, backend, conn), cwd=store_home, timeout=timeout,
                     rss_limit_mb=rss_limit_mb)
    lines = [ln for ln in m.stdout.splitlines() if ln.startswith("{")]
    if not m.ok or not lines:
        result.error = _failure(m, timeout, rss_limit_mb) if not m.ok else "no figures printed"
    else:
        out = json.loads(lines[-1])
        result.nodes, result.relationships = out["nodes"], out["relationships"]
        result.seconds, result.stored = out["seconds"], out.get("stored")
    print(f"  baseline {backend} {actors:,}: "
          + (result.error or f"{result.objects:,} objects in {result.seconds:.1f} s"),
          flush=True)
    return result


def _load_records(home: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every record the first run saved, read from its snapshot without building the
    store's indexes (minutes at 1,000,000 actors that the run's budget needs)."""
    from graph.backends.embedded import snapshot_records

    return snapshot_records(home / "store")


def _chunks(rows: Sequence[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield list(rows[i:i + size])


def _grouped(rows: Sequence[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for rec in rows:
        out.setdefault(rec[key], []).append(rec)
    return out


def neo4j_floor(nodes: Sequence[dict[str, Any]], edges: Sequence[dict[str, Any]],
                conn: Neo4jConn) -> tuple[float, int]:
    """Write the records with the bare driver; seconds of the writes and objects stored after.

    Labels and types are checked against the ontology before they go into the text.
    """
    from neo4j import GraphDatabase

    from schemas.ontology import check_label, check_rel_type

    driver = GraphDatabase.driver(conn.uri, auth=(conn.user, conn.password))
    try:
        driver.verify_connectivity()
        started = time.perf_counter()
        for label, rows in _grouped(nodes, "label").items():
            stmt = NODE_CYPHER.format(label=check_label(label))
            for chunk in _chunks(rows):
                driver.execute_query(stmt, rows=chunk, database_=conn.database)
        for rel_type, rows in _grouped(edges, "type").items():
            stmt = EDGE_CYPHER.format(rel_type=check_rel_type(rel_type))
            for chunk in _chunks(rows):
                driver.execute_query(stmt, rows=chunk, database_=conn.database)
        seconds = time.perf_counter() - started
        n = driver.execute_query("MATCH (n:Node) RETURN count(n) AS c",
                                 database_=conn.database).records[0]["c"]
        r = driver.execute_query("MATCH (:Node)-[r]->(:Node) RETURN count(r) AS c",
                                 database_=conn.database).records[0]["c"]
    finally:
        driver.close()
    return seconds, int(n) + int(r)


def embedded_floor(nodes: Sequence[dict[str, Any]], edges: Sequence[dict[str, Any]],
                   out: Path) -> float:
    """Insert every record into dicts and save them once as a pickle (fsync'd); seconds."""
    started = time.perf_counter()
    node_map = {rec["uid"]: dict(rec) for rec in nodes}
    edge_map = {rec["uid"]: dict(rec) for rec in edges}
    with out.open("wb") as fh:
        pickle.dump({"nodes": list(node_map.values()), "edges": list(edge_map.values())}, fh,
                    protocol=pickle.HIGHEST_PROTOCOL)
        fh.flush()
        os.fsync(fh.fileno())
    seconds = time.perf_counter() - started
    out.unlink()
    return seconds


def _child(argv: Sequence[str]) -> int:
    ap = argparse.ArgumentParser(description="baseline child: time a bare write of a store's "
                                             "records")
    ap.add_argument("mode", choices=["baseline"])
    ap.add_argument("--backend", choices=["embedded", "neo4j"], required=True)
    ap.add_argument("--home", type=Path, required=True, help="INNOGRAPH_HOME of the data set")
    args = ap.parse_args(argv)
    nodes, edges = _load_records(args.home)
    stored: int | None = None
    if args.backend == "neo4j":
        from graph.settings import Settings

        conn = Neo4jConn.from_settings(Settings())  # NEO4J_* from the parent, never .neo4j/
        seconds, stored = neo4j_floor(nodes, edges, conn)
    else:
        seconds = embedded_floor(nodes, edges, args.home / "floor.pickle")
    print(json.dumps({"nodes": len(nodes), "relationships": len(edges), "seconds": seconds,
                      "stored": stored}))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
