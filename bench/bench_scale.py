"""Benchmark: innograph at province scale, on the embedded store and on Neo4j.

One run measures, on data from ``innograph generate DIR --actors N --seed 7``:

1. **Ingest** at each size on the embedded store and on Neo4j: wall time, objects
   written, objects/s and peak RSS of ``innograph ingest DIR --quiet`` (a child with
   a fresh INNOGRAPH_HOME), the unchanged second run, and beside each the bare
   baseline of the same records (``bench/scale_ingest.py``).
2. **API latency** at the API size on both backends: p50/p95/max per query kind
   over randomised requests, non-2xx answers apart (``bench/scale_api.py``).
3. **Throughput** with wrk (1 and 50 clients) on ``/nodes/{uid}/neighbors`` and
   ``/search``, and the start time of light CLI commands.
4. **Peak memory** of the server process (VmHWM) and of the Neo4j JVM.

Neo4j is a private server for the run (``tools/neo4j/neo4j_local.py --run-dir``
in the work folder), never the shared one of the test suite. The section of
BENCHMARKS.md between ``<!-- bench_scale:start -->`` and ``<!-- bench_scale:end -->``
is rewritten from this run; raw numbers go to ``artifacts/bench_scale.json``.

Run::

    .venv/bin/python bench/bench_scale.py                  # the full run (make bench)
    .venv/bin/python bench/bench_scale.py --actors 2000 --no-write   # a quick look
    .venv/bin/python bench/bench_scale.py --smoke          # tiny sizes, nothing written
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    Deadline,
    Neo4jConn,
    OutOfTime,
    child_env,
    fmt_ms,
    fmt_s,
    generate_dataset,
    machine,
    machine_line,
    memory_guard_mb,
    neo4j_server,
    write_section,
)
from bench.scale_api import bench_api  # noqa: E402
from bench.scale_ingest import ingest_twice, run_baseline  # noqa: E402

START, END = "<!-- bench_scale:start -->", "<!-- bench_scale:end -->"
ARTIFACT = ROOT / "artifacts" / "bench_scale.json"
EMBEDDED_BUDGET = 50_000
NEO4J_RATIO_BUDGET = 0.9
CLI_BUDGET_S = 0.5
API_DEFAULT = 100_000
"""The size of the API measurements and the largest Neo4j ingest unless told otherwise."""
PAIRS_MAX = 10_000
"""Largest size measured in several pairs (one pair at 100,000 actors takes minutes)."""
WRK_BUDGETS = {("neighbors", 50): (1000, 100.0), ("search", 50): (1000, 100.0),
               ("search", 1): (200, None)}
"""(route, clients) -> (minimum req/s, maximum p95 ms) from the issue."""


@dataclass
class Config:
    """What one run measures.

    Attributes:
        actors: Sizes ingested into the embedded store.
        neo4j_actors: Sizes ingested into Neo4j (each also into the embedded store,
            whose records the baselines write).
        api_actors: The size whose served stores are measured (0: none).
        requests: Measured requests per query kind.
        kind_seconds: Time bound of one kind's measured requests.
        wrk_seconds: Duration of each wrk run (0: no wrk).
        cli_repeats: Runs per CLI command (0: no CLI timing).
        rerun_max: Largest size whose unchanged re-run is measured.
        neo4j_pairs: Measured (ingest, baseline) pairs on Neo4j at sizes up to
            :data:`PAIRS_MAX`, alternating which goes first; the ratio is of the medians.
        analyse_max: Largest size whose analysis after the ingest is measured (the API
            measures need it: at least ``api_actors``).
        timeout: Seconds an ingest or baseline child may take.
        seed: Generator seed (and the seed of the request inputs).
        heap: JVM heap of the private Neo4j.
        pagecache: Page cache of the private Neo4j.
        keep: Keep data sets and stores in the work folder.
        minutes: Time budget of the whole run; steps it leaves no time for are
            skipped and reported so (None: no limit).
        rss_limit_gb: Ingest and baseline children above this resident memory are
            stopped (None: three quarters of the machine's RAM).
    """

    actors: list[int] = field(default_factory=lambda: [10_000, 100_000, 1_000_000])
    neo4j_actors: list[int] = field(default_factory=lambda: [10_000, 100_000])
    api_actors: int = 100_000
    requests: int = 200
    kind_seconds: float = 6.0
    wrk_seconds: int = 6
    cli_repeats: int = 3
    rerun_max: int = 10_000
    """Largest size whose unchanged re-run is measured (each costs minutes at 100k)."""
    neo4j_pairs: int = 3
    """A JVM goes on compiling for several runs: one 10,000-actor pair measured after one
    warm-up ingest and bare write gave ratios from 0.74× to 0.88× in three runs of
    2026-12-07, and six pairs in a row on one server 0.56×, 0.75×, 0.82×, 0.84×, 0.92×,
    0.89×, each member of a pair on a server warmer than the one before it."""
    analyse_max: int = 100_000
    """Largest size whose ``innograph analyse`` after the ingest is measured (at
    1,000,000 actors it takes more than the run's budget leaves: measured by hand)."""
    timeout: float = 1800.0
    seed: int = 7
    heap: str = "2g"
    pagecache: str = "2g"
    """Holds the store at 100,000 actors (1.3 GB on disk), as Neo4j's sizing advice asks of
    a page cache: with 1g the first walk of a region of the graph read pages back from the
    files (paths p95 43 ms cold, 18 ms warm in the run of 2026-12-03 13:22 UTC). The run of
    14:12 UTC with 2g lost its Neo4j ingest to a read over a request's time limit; reads
    by uid have run under the write's limit since."""
    keep: bool = False
    minutes: float | None = None
    rss_limit_gb: float | None = None


SMOKE = Config(actors=[300], neo4j_actors=[300], api_actors=300, requests=20, kind_seconds=10,
               wrk_seconds=2, cli_repeats=1, timeout=600, neo4j_pairs=2)


class _Neo4j:
    """The Neo4j of the run: given, or a private server started on first use."""

    def __init__(self, stack: ExitStack, work: Path, config: Config,
                 given: Neo4jConn | None) -> None:
        self._stack, self._work, self._config, self.conn = stack, work, config, given
        self._own: ExitStack | None = None

    def get(self) -> Neo4jConn:
        """The server, starting the private one if needed."""
        if self.conn is None:
            self._own = self._stack.enter_context(ExitStack())
            print("starting a private Neo4j", flush=True)
            self.conn = self._own.enter_context(neo4j_server(
                self._work / "neo4j", heap=self._config.heap, pagecache=self._config.pagecache))
        return self.conn

    def release(self) -> None:
        """Stop the private server (a given one is left running)."""
        if self._own is not None:
            self._own.close()
            self._own, self.conn = None, None


@contextmanager
def _work_dir(work: Path | None, keep: bool) -> Iterator[Path]:
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
        yield work
        return
    path = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


def _api(backend: str, home: Path, config: Config, work: Path, conn: Neo4jConn | None,
         deadline: Deadline, inputs_from: Path | None = None) -> dict[str, Any]:
    """The API measures of one served store. ``inputs_from``: the INNOGRAPH_HOME of an
    embedded store of the same data set to draw the requests from (drawing path pairs
    asks for 2-hop neighbourhoods, which on Neo4j ship every relationship of the hubs
    reached: minutes of the run's budget spent on something not measured)."""
    from graph.factory import open_store
    from graph.settings import Settings

    settings = Settings(INNOGRAPH_STORE="embedded", INNOGRAPH_HOME=inputs_from or home) \
        if inputs_from or not conn else conn.settings()
    api_work = work / f"api-{backend}"
    api_work.mkdir(exist_ok=True)
    try:
        deadline.timeout(60.0)  # not worth starting with less than the floor left
        with open_store(settings, read_only=True) as store:
            return bench_api(store, child_env(home, backend, conn), api_work, backend=backend,
                             requests=config.requests, kind_seconds=config.kind_seconds,
                             wrk_seconds=config.wrk_seconds, cli_repeats=config.cli_repeats,
                             seed=config.seed, jvm_pid=conn.pid if conn else None,
                             deadline=deadline)
    except OutOfTime as exc:
        return {"backend": backend, "error": f"skipped: {exc}"}
    except Exception as exc:  # one failing part must not lose the rest of a long run
        return {"backend": backend, "error": f"failed: {type(exc).__name__}: {exc}"}


def _projected_rss_mb(runs: list[dict[str, Any]], actors: int) -> float | None:
    """Peak RSS an embedded ingest of ``actors`` would reach, from the smaller sizes
    measured in this run: along the line through the two largest (what the process takes
    whatever the size, plus what each actor adds), or in proportion to the one size
    measured; never less than the largest measured (None: nothing to scale from)."""
    done = sorted((r["actors"], r["max_rss_mb"]) for r in runs
                  if r["backend"] == "embedded" and r["run"] == 1 and r.get("max_rss_mb")
                  and not r.get("error") and r["actors"] < actors)
    if not done:
        return None
    size, rss = done[-1]
    if len(done) == 1 or done[-2][0] == size:
        return float(rss) * actors / size
    small, small_rss = done[-2]
    per_actor = max((rss - small_rss) / (size - small), 0.0)
    return float(max(rss + per_actor * (actors - size), rss))


def _no_api(backend: str) -> dict[str, Any]:
    return {"backend": backend, "error": "skipped: the ingest of this size did not finish"}


def run(config: Config, *, work: Path | None = None, neo4j: Neo4jConn | None = None,
        use_neo4j: bool = True) -> dict[str, Any]:
    """Measure everything the config asks for; nothing is written outside ``work``.

    Args:
        config: Sizes and bounds.
        work: Folder for data sets, stores and logs (default: a temporary one,
            removed after unless ``config.keep``).
        neo4j: A server to use instead of a private one. Its database is emptied
            before every ingest and baseline.
        use_neo4j: False leaves the Neo4j parts out.

    Returns:
        The report: machine, config, data sets, ingest runs, baselines, API results.
    """
    started = time.perf_counter()
    deadline = Deadline(config.minutes * 60 if config.minutes else None)
    guard = config.rss_limit_gb * 1024 if config.rss_limit_gb else memory_guard_mb()
    limits: dict[str, Any] = {"timeout": config.timeout, "deadline": deadline,
                              "rss_limit_mb": guard}
    report: dict[str, Any] = {"machine": machine(), "config": asdict(config), "datasets": [],
                              "ingest": [], "baselines": [], "neo4j_pairs": [], "api": [],
                              "skipped": []}
    neo_sizes = sorted(set(config.neo4j_actors)) if use_neo4j else []
    api_size = config.api_actors
    sizes = sorted(set(config.actors) | set(neo_sizes) | ({api_size} if api_size else set()))
    with ExitStack() as stack:
        root = stack.enter_context(_work_dir(work, config.keep))
        server = _Neo4j(stack, root, config, neo4j)
        for n in sizes:
            print(f"{n:,} actors ({time.perf_counter() - started:.0f} s into the run)",
                  flush=True)
            projected = _projected_rss_mb(report["ingest"], n)
            if projected is not None and projected > guard:
                report["skipped"].append(
                    f"{n:,} actors: not run, the ingest's peak RSS grows with the data and "
                    f"projects to {projected / 1024:,.2f} GB from the sizes measured, "
                    f"above the limit of {guard / 1024:,.2f} GB (3/4 of the RAM)")
                print(f"  skipped: {report['skipped'][-1]}", flush=True)
                continue
            try:
                data = generate_dataset(root / f"data-{n}", n, seed=config.seed,
                                        timeout=deadline.timeout(config.timeout))
            except (OutOfTime, RuntimeError) as exc:
                report["skipped"].append(f"{n:,} actors: {exc}")
                continue
            report["datasets"].append({"actors": n, "generate_s": data.seconds,
                                       "copied_mappings": data.copied_mappings})
            emb_home = root / f"embedded-{n}"
            runs = ingest_twice(data.path, emb_home, backend="embedded", actors=n,
                                runs=3 if n <= config.rerun_max else 1,
                                analyse=n <= max(config.analyse_max, api_size), **limits)
            report["ingest"] += [r.as_dict() for r in runs]
            report["baselines"].append(
                run_baseline("embedded", emb_home, actors=n, **limits).as_dict())
            if n == api_size:  # before Neo4j's longer runs, so a short budget still gets it
                report["api"].append(_api("embedded", emb_home, config, root, None, deadline)
                                     if not runs[0].error else _no_api("embedded"))
            if n in neo_sizes:
                try:
                    conn = server.get()
                except (OSError, subprocess.CalledProcessError) as exc:
                    report["skipped"].append(f"Neo4j at {', '.join(f'{m:,}' for m in neo_sizes)} "
                                             f"actors: the private server did not start ({exc})")
                    neo_sizes = []
                    conn = None
            if n in neo_sizes and conn is not None:
                if "neo4j_warm_up" not in report:
                    # a new JVM compiles its hot paths in its first minutes (one 10,000-actor
                    # ingest: 14.4 s on a server just started, 8.4 s on its third run): one
                    # unmeasured ingest and one unmeasured bare write first, so that neither
                    # the measured ingest nor its baseline, run after them, pays for
                    # compiling its own statements (the ingest creates what it knows to be
                    # absent, the baseline merges: the two compile different plans)
                    print("  warming the server (an ingest and a bare write, not measured):",
                          flush=True)
                    warm_ingest = ingest_twice(data.path, root / "neo4j-warm-up",
                                               backend="neo4j", actors=n, conn=conn, runs=1,
                                               analyse=False, **limits)[0]
                    shutil.rmtree(root / "neo4j-warm-up", ignore_errors=True)
                    warm = run_baseline("neo4j", emb_home, actors=n, conn=conn, **limits)
                    report["neo4j_warm_up"] = {"actors": n, "seconds": warm.seconds,
                                               "ingest_seconds": warm_ingest.wall_s,
                                               "error": warm.error or warm_ingest.error}
                neo_home = root / f"neo4j-{n}"
                neo_runs = ingest_twice(data.path, neo_home, backend="neo4j", actors=n,
                                        conn=conn, runs=3 if n <= config.rerun_max else 1,
                                        analyse=n <= max(config.analyse_max, api_size),
                                        **limits)
                report["ingest"] += [r.as_dict() for r in neo_runs]
                if n == api_size:
                    report["api"].append(_api("neo4j", neo_home, config, root, conn, deadline,
                                              inputs_from=emb_home if not runs[0].error
                                              else None)
                                         if not neo_runs[0].error else _no_api("neo4j"))
                report["baselines"].append(
                    run_baseline("neo4j", emb_home, actors=n, conn=conn, **limits).as_dict())
                report["neo4j_pairs"].append(_pair(n, 0, "ingest first", neo_runs[0].as_dict(),
                                                   report["baselines"][-1]))
                for i in range(1, config.neo4j_pairs if n <= PAIRS_MAX else 1):
                    # alternately: neither member always runs on the warmer server
                    base_first = i % 2 == 1
                    if base_first:
                        b = run_baseline("neo4j", emb_home, actors=n, conn=conn, **limits)
                    more = ingest_twice(data.path, root / f"neo4j-{n}-pair", backend="neo4j",
                                        actors=n, conn=conn, runs=1, analyse=False,
                                        **limits)[0]
                    shutil.rmtree(root / f"neo4j-{n}-pair", ignore_errors=True)
                    if not base_first:
                        b = run_baseline("neo4j", emb_home, actors=n, conn=conn, **limits)
                    report["neo4j_pairs"].append(_pair(
                        n, i, "baseline first" if base_first else "ingest first",
                        more.as_dict(), b.as_dict()))
                if n == neo_sizes[-1]:
                    server.release()
            if not config.keep:
                for path in (data.path, emb_home, root / f"neo4j-{n}"):
                    shutil.rmtree(path, ignore_errors=True)
    report["seconds"] = time.perf_counter() - started
    return report


# ---------------------------------------------------------------------------- the section
def _n(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _txt(text: str, size: int = 80) -> str:
    """Free text (an error) for a table cell: one line, shortened, pipes escaped."""
    return " ".join(str(text).split())[:size].replace("|", "\\|")


def _budget_ms(ms: float) -> str:
    return f"{ms / 1000:g} s" if ms >= 1000 else f"{ms:g} ms"


def _verdict(met: bool | None) -> str:
    return "–" if met is None else ("met" if met else "**missed**")


def _baseline_cell(b: dict[str, Any] | None) -> str:
    if b is None:
        return "–"
    if b["error"] or not b["per_second"]:
        return f"– ({_txt(b['error'] or 'no time measured', 60)})"
    stored = b.get("stored")
    extra = f"; {stored:,} stored after" if stored not in (None, b["objects"]) else ""
    return f"{_n(b['per_second'])} ({b['objects']:,} in {fmt_s(b['seconds'])}{extra})"


def _second_cell(first: dict[str, Any], second: dict[str, Any] | None,
                 forced: dict[str, Any] | None = None) -> str:
    """Created / updated and wall time of the re-run (and of the forced one), each
    flagged when it wrote anything or took longer than the first run (the issue wants
    0 / 0 and no slower)."""
    if second is None:
        return "–"

    def one(run: dict[str, Any]) -> str:
        if run["error"]:
            return f"failed: {_txt(run['error'], 60)}"
        cell = f"{run['created']:,} / {run['updated']:,}, {fmt_s(run['wall_s'])}"
        flags = (["nothing read"] if run.get("up_to_date") else []) + (
            ["**wrote objects**"] if run["written"] else []) + (
            ["**slower than the first**"] if run["wall_s"] > first["wall_s"] else [])
        return cell + (f" ({', '.join(flags)})" if flags else "")

    return one(second) + (f"; forced: {one(forced)}" if forced is not None else "")


def _analysis_cell(first: dict[str, Any]) -> str:
    """Wall time and peak RSS of the analysis after a first run, or why there are none."""
    error = first.get("analyse_error")
    if first.get("analyse_s") is None or (error and error.startswith(("skipped", "not run"))):
        return f"– ({_txt(error, 60)})" if error else "–"
    cell = f"{fmt_s(first['analyse_s'])}, {first['analyse_rss_mb']:,.0f} MB"
    return f"{cell} (**failed**: {_txt(error, 60)})" if error else cell


def _pair(actors: int, pair: int, order: str, ingest: dict[str, Any],
          baseline: dict[str, Any]) -> dict[str, Any]:
    """One measured (ingest, baseline) pair on Neo4j."""
    return {"actors": actors, "pair": pair, "order": order,
            "ingest_wall_s": ingest["wall_s"], "ingest_per_second": ingest["per_second"],
            "ingest_error": ingest["error"], "baseline_s": baseline["seconds"],
            "baseline_per_second": baseline["per_second"], "baseline_error": baseline["error"]}


def _medians(report: dict[str, Any], actors: int) -> dict[str, Any] | None:
    """The medians of the complete Neo4j pairs of ``actors`` when there are several."""
    pairs = [p for p in report.get("neo4j_pairs", []) if p["actors"] == actors
             and not p["ingest_error"] and not p["baseline_error"]
             and p["ingest_per_second"] and p["baseline_per_second"]]
    if len(pairs) < 2:
        return None
    return {"n": len(pairs), "wall_s": statistics.median(p["ingest_wall_s"] for p in pairs),
            "rate": statistics.median(p["ingest_per_second"] for p in pairs),
            "b_rate": statistics.median(p["baseline_per_second"] for p in pairs),
            "b_s": statistics.median(p["baseline_s"] for p in pairs),
            "each": [p["ingest_per_second"] / p["baseline_per_second"] for p in pairs]}


def _ingest_rows(report: dict[str, Any]) -> list[str]:
    runs = {(r["backend"], r["actors"], r["run"]): r for r in report["ingest"]}
    base = {(b["backend"], b["actors"]): b for b in report["baselines"]}
    rows = []
    for (backend, actors, run), first in runs.items():
        if run != 1:
            continue
        b = base.get((backend, actors))
        b_rate = b["per_second"] if b and not b["error"] else None
        rate = first["per_second"]
        wall = first["wall_s"]
        med = _medians(report, actors) if backend == "neo4j" else None
        if med is not None:  # the medians of the pairs, each pair's ratio beside them
            rate, b_rate, wall = med["rate"], med["b_rate"], med["wall_s"]
            b = {**(b or {}), "per_second": b_rate, "seconds": med["b_s"], "error": None}
        ratio = rate / b_rate if rate and b_rate else None
        if backend == "neo4j":
            budget = f"≥ {NEO4J_RATIO_BUDGET}× baseline: " + _verdict(
                None if ratio is None else ratio >= NEO4J_RATIO_BUDGET)
        else:
            budget = f"≥ {EMBEDDED_BUDGET:,}/s: " + _verdict(
                None if rate is None else rate >= EMBEDDED_BUDGET)
        head = f"| {backend} | {actors:,} |"
        if first["error"]:
            error = first["error"]
            wall = (f"> {first['wall_s']:.0f} s" if error.startswith("stopped after")
                    else "–" if error.startswith("skipped") else fmt_s(first["wall_s"]))
            rss = f"{first['max_rss_mb']:,.0f} MB" if first["max_rss_mb"] else "–"
            rows.append(f"{head} – | – | {wall} | – | {rss} | – | not run | "
                        f"{_baseline_cell(b)} | – | {budget} ({_txt(error)}) |")
            continue
        second = _second_cell(first, runs.get((backend, actors, 2)),
                              runs.get((backend, actors, 3)))
        ratio_cell = "–" if ratio is None else f"{ratio:.2f}×"
        if med is not None and ratio is not None:
            ratio_cell += (f" (medians of {med['n']} pairs; each: "
                           f"{', '.join(f'{r:.2f}×' for r in med['each'])})")
        rows.append(f"{head} {first['rows']:,} | {first['written']:,} | "
                    f"{fmt_s(wall)}{' (median)' if med else ''} | {_n(rate)} | "
                    f"{first['max_rss_mb']:,.0f} MB | "
                    f"{_analysis_cell(first)} | {second} | {_baseline_cell(b)} | "
                    f"{ratio_cell} | {budget} |")
    return rows


def _latency_rows(report: dict[str, Any]) -> list[str]:
    rows = []
    for api in report["api"]:
        if api.get("error"):
            rows.append(f"| all | {api['backend']} | {_txt(api['error'], 120)} "
                        "| | | | | | |")
            continue
        for k in api["latency"]:
            budget = f"≤ {_budget_ms(k['budget_ms'])}" if k["budget_ms"] else "–"
            if k["missing"]:
                rows.append(f"| {k['route']} | {api['backend']} | route missing | | | | | | "
                            f"{budget} |")
                continue
            if k["skipped"] and not k["ok"]:
                rows.append(f"| {k['route']} | {api['backend']} | skipped: {_txt(k['skipped'])} "
                            f"| | | | | | {budget} |")
                continue
            bad = [f"{v}× {s}" for s, v in k["non_2xx"].items()]
            if k["errors"]:
                bad.append(f"{k['errors']}× no answer")
            first = fmt_ms(k["first_ms"])
            if k["first_status"] is None or not 200 <= k["first_status"] < 300:
                first += f" ({k['first_status'] or 'no answer'})"
            if k["budget_ms"]:
                budget += (": " + _verdict(k["p95"] <= k["budget_ms"])
                           if k.get("p95") is not None else ": – (no 2xx answer)")
            rows.append(f"| {k['route']} | {api['backend']} | {k['ok']} | "
                        f"{', '.join(bad) or '0'} | {first} | {fmt_ms(k.get('p50'))} | "
                        f"{fmt_ms(k.get('p95'))} | {fmt_ms(k.get('max'))} | {budget} |")
    return rows


def _wrk_rows(report: dict[str, Any]) -> list[str]:
    rows = []
    for api in report["api"]:
        if api.get("wrk_missing"):
            rows.append(f"| – | {api['backend']} | – | wrk not installed (make bench-deps) "
                        "| | | | | |")
        if api.get("wrk_skipped"):
            rows.append(f"| – | {api['backend']} | – | skipped: {_txt(api['wrk_skipped'])} "
                        "| | | | | |")
        for w in api.get("wrk", []):
            route = {"neighbors": "`/nodes/{uid}/neighbors`", "search": "`/search?q=`"}[
                w["route"]]
            floor, p95_cap = WRK_BUDGETS.get((w["route"], w["clients"]), (None, None))
            if w.get("error"):
                rows.append(f"| {route} | {api['backend']} | {w['clients']} | failed: "
                            f"{_txt(w['error'], 100)} | | | | | |")
                continue
            budget = "–"
            if floor:
                met = w["req_s"] >= floor and (p95_cap is None or w["p95_ms"] <= p95_cap)
                budget = (f"≥ {floor:,} req/s" + (f", p95 ≤ {p95_cap:.0f} ms" if p95_cap else "")
                          + ": " + _verdict(met))
            rows.append(f"| {route} | {api['backend']} | {w['clients']} | {w['req_s']:,.0f} | "
                        f"{fmt_ms(w['p50_ms'])} | {fmt_ms(w['p95_ms'])} | "
                        f"{fmt_ms(w['p99_ms'])} | {w['http_errors']} / {w['socket_errors']} | "
                        f"{budget} |")
    return rows


def _memory_rows(report: dict[str, Any]) -> list[str]:
    rows = []
    for api in report["api"]:
        if api.get("error"):
            continue
        mem, jvm = api.get("server_memory_mb", {}), api.get("neo4j_memory_mb", {})
        rows.append(f"| {api['backend']} | {fmt_s(api['server_start_s'])} | "
                    f"{_n(api.get('rss_after_start_mb'))} MB | {_n(mem.get('VmHWM'))} MB | "
                    + (f"{_n(jvm.get('VmHWM'))} MB |" if jvm else "– |"))
    return rows


def _cli_rows(report: dict[str, Any]) -> list[str]:
    by_backend = {a["backend"]: {c["command"]: c for c in a.get("cli", [])}
                  for a in report["api"] if not a.get("error")}
    commands = next((list(c) for c in by_backend.values() if c), [])
    rows = []
    for command in commands:
        cells, met = [], True
        for backend in ("embedded", "neo4j"):
            c = by_backend.get(backend, {}).get(command)
            if c is None:
                cells.append("–")
                continue
            cells.append(fmt_s(c["median_s"]) + (f" ({c['failed']} failed)" if c["failed"]
                                                  else ""))
            met = met and c["median_s"] <= CLI_BUDGET_S and not c["failed"]
        args = by_backend.get("embedded", by_backend.get("neo4j", {}))[command]["args"]
        shown = command.replace("X", " ".join(f"`{a}`" for a in args[1:])) if len(args) > 1 \
            else command
        rows.append(f"| {shown} | {' | '.join(cells)} | ≤ {CLI_BUDGET_S} s: {_verdict(met)} |")
    return rows


def markdown(report: dict[str, Any]) -> str:
    """The BENCHMARKS.md section of one run, markers included."""
    cfg = report["config"]
    data = report["datasets"]
    copied = sorted({m for d in data for m in d["copied_mappings"]})
    api_n = cfg["api_actors"]
    lines = [
        START, "## Province scale: ingest, API latency, throughput, memory "
               "(`bench/bench_scale.py`)", "",
        machine_line(report["machine"]) + f" The whole run took {report['seconds'] / 60:.1f} "
        "min; every figure below comes from it. The machine was shared, so absolute times move "
        "between runs; compare the figures of one run.", "",
        f"Data: `innograph generate DIR --actors N --seed {cfg['seed']}` ("
        + ", ".join(f"{d['actors']:,} actors in {fmt_s(d['generate_s'])}" for d in data) + "); "
        + (f"mapping files copied from `data/sample` ({', '.join(copied)})" if copied
           else "the generator wrote the mapping files")
        + ". Neo4j: Community 5.26, a private server for the run (`tools/neo4j/neo4j_local.py "
        f"--run-dir`, heap {cfg['heap']}, page cache {cfg['pagecache']}), emptied with "
        "`Neo4jStore.clear()` before every ingest and baseline.", "",
        "### Ingest", "",
        "`innograph ingest DIR --quiet --no-analyse` as a child process with a fresh "
        "`INNOGRAPH_HOME` (wall time includes start-up and any work after the last batch). "
        "Objects written: nodes + relationships created or updated, from the run's report; "
        "peak RSS of the process from `wait4`. Analysis: `innograph analyse` as the next "
        "child (gap tables, communities, structural holes, the recommender's model), wall "
        "time and peak RSS (the larger of its own and its child's, the recommender's fit), "
        "at sizes up "
        f"to {report['config'].get('analyse_max', 0):,} actors; `innograph ingest` without "
        "the flag runs both in one process, the analysis beside the last writes, in at most "
        "the sum of the two. The writes alone are what the baseline does, so the ratio and "
        "the budgets are of them. Second run: the same folder again as a user runs it (the "
        "command reads nothing when the inputs, innograph's code and the store are as the "
        "first run left them: `ingest.uptodate`), then again with `--force` (every row read, "
        "resolved and compared: the pipeline's own re-run); created / updated, wall; flagged "
        "if it wrote anything or took longer than the first; at sizes up to "
        f"{report['config'].get('rerun_max', 0):,} actors (a re-run at 100,000 costs minutes "
        "of the run's budget; `--rerun-max` to change). "
        "Baseline, in the same run: the same records (read back from the embedded store "
        "the first run filled), written bare: on Neo4j with the official driver, "
        "`UNWIND $rows AS row MERGE (n:Node {uid: row.uid}) SET n = row, n:Label` per label "
        "and `UNWIND $rows AS row MATCH (a:Node {uid: row.source}) MATCH (b:Node "
        "{uid: row.target}) MERGE (a)-[r:TYPE {uid: row.uid}]->(b) SET r = row` per type, "
        "batches of 5,000, into the emptied database with innograph's constraints and "
        "indexes, after innograph's own runs (on a server that has written: an ingest and "
        "the same bare write of the smallest size, both unmeasured, before the first "
        "measured ingest on Neo4j, since a new JVM compiles the hot paths of each kind of "
        "write in its first minutes); on the embedded store a dict insert of every "
        "record and one pickle save. Ratio: ingest objects/s ÷ baseline objects/s; on Neo4j "
        f"at sizes up to {PAIRS_MAX:,} actors, of the medians of "
        f"{report['config'].get('neo4j_pairs', 1)} pairs (an ingest and a baseline, "
        "alternately first: the server goes on compiling for several runs, so each run "
        "meets a server warmer than the one before it), the wall, objects/s and baseline "
        "cells being those medians. "
        f"Limits per child: {cfg['timeout']:.0f} s and "
        + (f"{cfg['rss_limit_gb']:g} GB" if cfg.get("rss_limit_gb") else "3/4 of the RAM")
        + " resident memory.", "",
        "| store | actors | rows | objects written | wall | objects/s | peak RSS | "
        "analysis after it | second run | baseline objects/s | ratio | budget |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|",
        *_ingest_rows(report), "",
        f"### API latency at {api_n:,} actors", "",
        "`innograph serve` on a free loopback port against the store just ingested. Inputs "
        f"drawn up front from that data set's embedded store (the same records; seed "
        f"{cfg['seed']}): actor uids of the route's kind, "
        "2–4 character substrings of actor names, path pairs half within two hops (through "
        "joint projects, cooperation, employers or hosts; sources without such a "
        "neighbour are drawn again) and half random, match needs from the store's field "
        "names and keywords, enterprises with "
        "NEEDS. Per kind: one cold request (the first of its kind, in the order of the "
        f"table), two warm-up requests, then up to {cfg['requests']} requests or "
        f"{cfg['kind_seconds']:.0f} s, one client (httpx). Percentiles over 2xx answers only; "
        "other statuses and requests without an answer are counted apart.", "",
        "| route | store | 2xx | non-2xx | first (cold) | p50 | p95 | max | budget (p95) |",
        "|---|---|---:|---|---:|---:|---:|---:|---|",
        *_latency_rows(report), "",
        "### Throughput (wrk)", "",
        f"Debian's `wrk`, loopback, {cfg['wrk_seconds']} s per run, threads = min(clients, "
        "cores), a random path per request (Lua script, the same uids and search terms as "
        "above); percentiles from wrk's latency histogram. wrk shares the CPUs with the "
        "server.", "",
        "| route | store | clients | req/s | p50 | p95 | p99 | HTTP ≥ 400 / socket errors "
        "| budget |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
        *_wrk_rows(report), "",
        f"### Memory at {api_n:,} actors", "",
        "Server process from `/proc/PID/status` (VmRSS after start, VmHWM after every "
        "request above); the Neo4j JVM's VmHWM at the same moment (its peak since it "
        "started, the ingests of this run included).", "",
        "| store | server start (to `/health`) | server RSS after start | server peak "
        "| Neo4j JVM peak |",
        "|---|---:|---:|---:|---:|",
        *_memory_rows(report), "",
        f"### CLI start at {api_n:,} actors (median of {cfg['cli_repeats']})", "",
        "| command | embedded | neo4j | budget |",
        "|---|---:|---:|---|",
        *_cli_rows(report), "",
        *([f"Not measured: {'; '.join(report['skipped'])}.", ""] if report.get("skipped")
          else []),
        "Reproduce: `make bench` (this section and the link-prediction one), or "
        "`.venv/bin/python bench/bench_scale.py` for this section alone (raw numbers in "
        "`artifacts/bench_scale.json`).", END]
    return "\n".join(lines) + "\n"


def _args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    d = Config()
    ap.add_argument("--actors", type=int, nargs="+", default=d.actors,
                    help="sizes for the embedded store")
    ap.add_argument("--neo4j-actors", type=int, nargs="*",
                    help="sizes for Neo4j (default: those of --actors up to "
                         f"{API_DEFAULT:,}; none: leave Neo4j out)")
    ap.add_argument("--api-actors", type=int,
                    help=f"size whose API is measured (default: {API_DEFAULT:,} if it is "
                         "among --actors, else the largest below; 0: none)")
    ap.add_argument("--requests", type=int, default=d.requests, help="per query kind")
    ap.add_argument("--kind-seconds", type=float, default=d.kind_seconds,
                    help="time bound of one query kind's measured requests")
    ap.add_argument("--wrk-seconds", type=int, default=d.wrk_seconds, help="0: no wrk")
    ap.add_argument("--cli-repeats", type=int, default=d.cli_repeats, help="0: no CLI timing")
    ap.add_argument("--rerun-max", type=int, default=d.rerun_max,
                    help="largest size whose unchanged re-run is measured")
    ap.add_argument("--neo4j-pairs", type=int, default=d.neo4j_pairs,
                    help=f"measured (ingest, baseline) pairs on Neo4j at sizes up to "
                         f"{PAIRS_MAX:,} (alternating which goes first)")
    ap.add_argument("--analyse-max", type=int, default=d.analyse_max,
                    help="largest size whose analysis after the ingest is measured")
    ap.add_argument("--timeout", type=float, default=d.timeout,
                    help="seconds an ingest or baseline child may take")
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--heap", default=d.heap, help="JVM heap of the private Neo4j")
    ap.add_argument("--pagecache", default=d.pagecache, help="page cache of the private Neo4j")
    ap.add_argument("--no-neo4j", action="store_true", help="leave the Neo4j parts out")
    ap.add_argument("--work", type=Path, help="folder for data and stores (default: temporary)")
    ap.add_argument("--keep", action="store_true", help="keep data sets and stores")
    ap.add_argument("--minutes", type=float,
                    help="time budget of the whole run: steps left without time are skipped")
    ap.add_argument("--rss-limit-gb", type=float,
                    help="stop an ingest or baseline child above this resident memory "
                         "(default: 3/4 of the RAM)")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny sizes (300 actors, 20 requests, wrk 2 s); implies --no-write")
    ap.add_argument("--no-write", action="store_true",
                    help="print the section; write neither BENCHMARKS.md nor (without "
                         "--json) the raw numbers")
    ap.add_argument("--json", type=Path,
                    help=f"save the raw numbers here (default when writing: {ARTIFACT})")
    ap.add_argument("--from-json", type=Path, help="rewrite the section from a saved run")
    args = ap.parse_args(argv)
    small = [n for n in args.actors if n <= API_DEFAULT]
    if args.neo4j_actors is None:
        args.neo4j_actors = small
    if args.api_actors is None:
        args.api_actors = max(small, default=0)
    return args


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the section, and (unless told not to) write it.

    SIGTERM and SIGINT unwind the run (even when started in the background with
    SIGINT ignored), so the private Neo4j and the API server it started are stopped.
    """
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args = _args(argv)
    if args.from_json:
        report = json.loads(args.from_json.read_text(encoding="utf-8"))
    else:
        config = replace(SMOKE, minutes=args.minutes) if args.smoke else Config(
            actors=args.actors, neo4j_actors=args.neo4j_actors, api_actors=args.api_actors,
            requests=args.requests, kind_seconds=args.kind_seconds, rerun_max=args.rerun_max,
            neo4j_pairs=args.neo4j_pairs, analyse_max=args.analyse_max,
            wrk_seconds=args.wrk_seconds, cli_repeats=args.cli_repeats, timeout=args.timeout,
            seed=args.seed, heap=args.heap, pagecache=args.pagecache, keep=args.keep,
            minutes=args.minutes, rss_limit_gb=args.rss_limit_gb)
        report = run(config, work=args.work, use_neo4j=not args.no_neo4j)
    section = markdown(report)
    print(section)
    write = not (args.smoke or args.no_write)
    raw = args.json or (ARTIFACT if write and not args.from_json else None)
    if raw is not None:
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if write:
        write_section(START, END, section)
    return 0


__all__ = ["END", "SMOKE", "START", "Config", "main", "markdown", "run"]

if __name__ == "__main__":
    sys.exit(main())
