"""The API under load: latency per query kind, throughput with wrk, memory, CLI start.

``innograph serve`` runs as a child on a free loopback port against a store that
an ingest filled. Request inputs are drawn up front from that store with a
seeded RNG (:func:`sample_plan`): actor uids of the right kinds, name substrings,
connected and random pairs, match needs built from the store's field names and
keywords. Every route is looked up in the server's ``/openapi.json`` first; a
route that is not there is reported, not guessed.

Latency (:func:`measure_latency`): one cold request per kind (the first of its
kind in the server's life), two warm-up requests, then up to N requests per
kind, bounded in time. Percentiles are over 2xx answers only; other statuses
and transport errors are counted apart.

Throughput (:func:`run_wrk`): Debian's ``wrk`` with a Lua script that draws a
random path per request and reports p50/p95/p99 from wrk's own histogram.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from bench.harness import (
    Deadline,
    OutOfTime,
    free_port,
    innograph_exe,
    quantile,
    run_measured,
    vm_status,
)

if TYPE_CHECKING:
    import httpx

    from graph.store import GraphStore

ACTOR_LABELS = ("Enterprise", "University", "Institute", "Hospital", "Platform", "Team",
                "Talent")
Request = tuple[str, str, dict[str, Any] | None]
"""(method, path with query, JSON body or None)."""


@dataclass(frozen=True)
class Kind:
    """A query kind of the latency table.

    Attributes:
        name: Key of the kind in a plan.
        shown: How the row names it.
        route: The path as the OpenAPI document spells it.
        method: ``get`` or ``post``.
        budget_ms: The issue's p95 budget, if it sets one.
    """

    name: str
    shown: str
    route: str
    method: str = "get"
    budget_ms: float | None = None


KINDS = (
    Kind("search", "`/search?q=`", "/search", budget_ms=20),
    Kind("node", "`/nodes/{uid}`", "/nodes/{uid}"),
    Kind("neighbors", "`/nodes/{uid}/neighbors`", "/nodes/{uid}/neighbors"),
    Kind("paths", "`/paths?k=3`", "/paths", budget_ms=30),
    Kind("paths_explained", "`/paths/explained?k=3`", "/paths/explained"),
    Kind("paths_shared", "`/paths/shared`", "/paths/shared"),
    Kind("match", "`POST /match`", "/match", method="post", budget_ms=50),
    Kind("match_enterprise", "`/match/enterprise/{uid}`", "/match/enterprise/{uid}"),
    Kind("recommendations", "`/recommendations/{uid}`", "/recommendations/{uid}",
         budget_ms=100),
    Kind("gaps_fields", "`/gaps/fields`", "/gaps/fields", budget_ms=1000),
    Kind("gaps_isolated", "`/gaps/isolated`", "/gaps/isolated"),
    Kind("gaps_holes", "`/gaps/holes`", "/gaps/holes", budget_ms=1000),
    Kind("gaps_communities", "`/gaps/communities`", "/gaps/communities"),
    Kind("gaps_targets", "`/gaps/targets`", "/gaps/targets"),
)


# ---------------------------------------------------------------------------- inputs
@dataclass
class Plan:
    """Requests per kind, drawn from one store.

    Attributes:
        requests: Kind name -> requests, in the order they are sent.
        search_terms: The ``q`` values (also used by wrk and the CLI).
        actor_uids: The actor uids drawn (also used by wrk and the CLI).
        counts: How many candidates each draw had (actors, fields, keywords,
            enterprises with needs).
    """

    requests: dict[str, list[Request]]
    search_terms: list[str]
    actor_uids: list[str]
    counts: dict[str, int] = field(default_factory=dict)


def _seg(uid: str) -> str:
    return quote(uid, safe="")


def _get(path: str, **params: Any) -> Request:
    return ("get", f"{path}?{urlencode(params)}" if params else path, None)


def _substring(rng: random.Random, name: str) -> str:
    size = min(len(name), rng.randint(2, 4))
    start = rng.randint(0, len(name) - size)
    return name[start:start + size]


NEAR_TYPES = ("PARTICIPATES_IN", "UNDERTAKES", "COOPERATES_WITH", "LEADS", "MEMBER_OF",
              "WORKS_AT", "HOSTED_BY")
"""Relationships through which a near path's target is found: joint projects,
cooperation, employers and hosts (the 2-hop neighbourhood over every type reaches fields
and regions of 60,000 relationships each at 100,000 actors: 150 ms a draw, a minute of
the run's budget per served store)."""


NEAR_TRIES = 8
"""Sources drawn for a near pair until one has an actor within two hops that way."""


def _near(store: GraphStore, rng: random.Random, uid: str, actors: set[str]) -> str | None:
    """An actor in ``uid``'s 2-hop neighbourhood over :data:`NEAR_TYPES` (so a path
    exists), if there is one."""
    hood = store.neighbors(uid=uid, depth=2, rel_types=list(NEAR_TYPES), per_type_limit=10,
                           limit=200)
    near = [n.uid for n in hood.nodes if n.uid != uid and n.uid in actors]
    return rng.choice(near) if near else None


def sample_plan(store: GraphStore, n: int, *, seed: int = 7) -> Plan:
    """Draw ``n`` requests per kind from the store (seeded, so reruns send the same).

    Every kind gets draws of its own. Paths: half the pairs have the target in the
    source's 2-hop neighbourhood over :data:`NEAR_TYPES` (sources are drawn until one
    has such a neighbour), half are two random actors. Match needs name a
    random field and one of the store's keywords. ``/match/enterprise`` uses
    enterprises that have NEEDS relationships.

    Raises:
        ValueError: the store holds no actors.
    """
    rng = random.Random(seed)
    actors: list[tuple[str, str, str]] = []
    fields: list[str] = []
    keywords: set[str] = set()
    for batch in store.scan_nodes(labels=[*ACTOR_LABELS, "Field"]):
        for rec in batch:
            if rec["label"] == "Field":
                fields.append(rec["name"])
            else:
                actors.append((rec["uid"], rec["name"], rec["label"]))
            keywords.update(k for k in rec.get("keywords") or () if 2 <= len(k) <= 20)
    if not actors:
        raise ValueError("the store holds no actors to ask about")
    actors.sort()
    fields.sort()
    needy = sorted({rec["source"] for batch in store.scan_edges(rel_types=["NEEDS"])
                    for rec in batch})
    enterprises = needy or [u for u, _, label in actors if label == "Enterprise"]
    kw = sorted(keywords) or fields or ["康养"]
    actor_set = {u for u, _, _ in actors}

    def uids() -> list[str]:
        return [rng.choice(actors)[0] for _ in range(n)]

    def pairs() -> list[tuple[str, str]]:
        out = []
        for i in range(n):
            src, dst = rng.choice(actors)[0], None
            for _ in range(NEAR_TRIES if i % 2 == 0 else 0):
                dst = _near(store, rng, src, actor_set)
                if dst:
                    break
                src = rng.choice(actors)[0]
            out.append((src, dst or rng.choice(actors)[0]))
        return out

    def need() -> Request:
        f, k = (rng.choice(fields) if fields else ""), rng.choice(kw)
        body: dict[str, Any] = {"text": f"需要{k}方面的技术与合作伙伴" + (f",用于{f}" if f else ""),
                                "keywords": [k], "top": 10}
        if f:
            body["fields"] = [f]
        return ("post", "/match", body)

    terms = [_substring(rng, rng.choice(actors)[1]) for _ in range(n)]
    requests: dict[str, list[Request]] = {
        "search": [_get("/search", q=t) for t in terms],
        "node": [_get(f"/nodes/{_seg(u)}") for u in uids()],
        "neighbors": [_get(f"/nodes/{_seg(u)}/neighbors") for u in uids()],
        "paths": [_get("/paths", source=a, target=b, k=3) for a, b in pairs()],
        "paths_explained": [_get("/paths/explained", source=a, target=b, k=3)
                            for a, b in pairs()],
        "paths_shared": [_get("/paths/shared", a=a, b=b) for a, b in pairs()],
        "match": [need() for _ in range(n)],
        "match_enterprise": [_get(f"/match/enterprise/{_seg(rng.choice(enterprises))}")
                             for _ in range(n)] if enterprises else [],
        "recommendations": [_get(f"/recommendations/{_seg(u)}") for u in uids()],
    }
    for kind in KINDS:
        requests.setdefault(kind.name, [_get(kind.route)] * n)
    return Plan(requests=requests, search_terms=terms, actor_uids=uids(),
                counts={"actors": len(actors), "fields": len(fields), "keywords": len(kw),
                        "enterprises_with_needs": len(needy)})


# ---------------------------------------------------------------------------- the server
@dataclass
class Server:
    """A running ``innograph serve`` child.

    Attributes:
        url: Base URL on the loopback interface.
        pid: The server process.
        start_s: Seconds from the launch to the first ``/health`` answer.
        log: Its console output.
    """

    url: str
    pid: int
    start_s: float
    log: Path


@contextmanager
def serve(env: dict[str, str], work: Path, *, start_timeout: float = 600.0) -> Iterator[Server]:
    """Run ``innograph serve --port P`` (a free loopback port) until the context ends.

    Raises:
        RuntimeError: the server exited or did not answer ``/health`` in time.
    """
    import httpx

    port = free_port()
    log = work / f"serve-{port}.log"
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen([innograph_exe(), "serve", "--host", "127.0.0.1", "--port",
                                 str(port)], env={"INNOGRAPH_AUTH": "off", **env}, cwd=work,
                                stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"innograph serve exited {proc.returncode}: "
                                   f"{log.read_text(errors='replace')[-500:]}")
            if time.perf_counter() - started > start_timeout:
                raise RuntimeError(f"innograph serve did not answer in {start_timeout:.0f} s")
            try:
                if httpx.get(url + "/health", timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield Server(url=url, pid=proc.pid, start_s=time.perf_counter() - started, log=log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def routes(url: str) -> set[tuple[str, str]]:
    """(method, path) of every route in the server's OpenAPI document."""
    import httpx

    doc = httpx.get(url + "/openapi.json", timeout=30.0).json()
    return {(method.lower(), path) for path, ops in doc.get("paths", {}).items()
            for method in ops}


# ---------------------------------------------------------------------------- latency
@dataclass
class KindResult:
    """Latency of one query kind on one backend.

    Attributes:
        kind: The kind's name (see :data:`KINDS`).
        shown: The row's label.
        budget_ms: The issue's p95 budget, if any.
        missing: The route is not in the server's OpenAPI document.
        first_ms: The first (cold) request of the kind, whatever its status.
        first_status: Its HTTP status (None: a transport error or time-out).
        ok_ms: Latencies of the measured 2xx answers.
        statuses: Count of the measured non-2xx answers per status.
        errors: Measured requests that got no answer (time-out, connection).
        sample_error: The first non-2xx answer or error, shortened.
        skipped: Why the kind was not (fully) measured, if it was not.
    """

    kind: str
    shown: str
    budget_ms: float | None
    missing: bool = False
    first_ms: float | None = None
    first_status: int | None = None
    ok_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    sample_error: str = ""
    skipped: str = ""

    @property
    def sent(self) -> int:
        """Measured requests sent."""
        return len(self.ok_ms) + sum(self.statuses.values()) + self.errors

    def stats(self) -> dict[str, float] | None:
        """p50, p95 and max of the 2xx answers in ms (None: there were none)."""
        if not self.ok_ms:
            return None
        return {"p50": quantile(self.ok_ms, 0.5), "p95": quantile(self.ok_ms, 0.95),
                "max": max(self.ok_ms)}

    def as_dict(self) -> dict[str, Any]:
        """Figures for the raw JSON (latencies summarised)."""
        return {"kind": self.kind, "route": self.shown, "budget_ms": self.budget_ms,
                "missing": self.missing, "first_ms": self.first_ms,
                "first_status": self.first_status, "ok": len(self.ok_ms),
                "non_2xx": {str(k): v for k, v in sorted(self.statuses.items())},
                "errors": self.errors, "sample_error": self.sample_error,
                "skipped": self.skipped, **(self.stats() or {})}


def _send(client: httpx.Client, req: Request, timeout: float) -> tuple[int | None, float, str]:
    import httpx

    method, path, body = req
    started = time.perf_counter()
    try:
        resp = client.request(method.upper(), path, json=body, timeout=timeout)
        resp.read()
    except httpx.HTTPError as exc:
        return None, (time.perf_counter() - started) * 1000, f"{type(exc).__name__}: {exc}"
    ms = (time.perf_counter() - started) * 1000
    detail = "" if resp.is_success else f"{resp.status_code} {path[:80]}: {resp.text[:160]}"
    return resp.status_code, ms, detail


def measure_latency(url: str, plan: Plan, *, requests: int, kind_seconds: float = 15.0,
                    timeout: float = 60.0, cold_timeout: float = 300.0, warmup: int = 2,
                    deadline: Deadline | None = None) -> list[KindResult]:
    """Latency per query kind: a cold pass over every kind, then the measured requests.

    Args:
        url: The server.
        plan: The requests to send.
        requests: Measured requests per kind (at most).
        kind_seconds: A kind stops early after this many seconds of measuring.
        timeout: Seconds a measured request may take (then it counts as an error).
        cold_timeout: Seconds the first request of a kind may take.
        warmup: Unmeasured requests per kind after the cold one.
        deadline: The run's deadline: kinds it leaves no time for are skipped.
    """
    import httpx

    deadline = deadline or Deadline()
    present = routes(url)
    results = [KindResult(kind=k.name, shown=k.shown, budget_ms=k.budget_ms,
                          missing=(k.method, k.route) not in present) for k in KINDS]
    with httpx.Client(base_url=url) as client:
        for kind, res in zip(KINDS, results, strict=True):
            if res.missing:
                continue
            reqs = plan.requests[kind.name]
            if not reqs:
                res.skipped = "the store holds nothing to ask this about"
                continue
            try:
                limit = deadline.timeout(cold_timeout)
            except OutOfTime as exc:
                res.skipped = str(exc)
                continue
            res.first_status, res.first_ms, detail = _send(client, reqs[0], limit)
            res.sample_error = detail
            if res.first_status is None:
                res.skipped = f"the cold request got no answer in {limit:.0f} s ({detail})"
                continue
            for req in reqs[1:1 + warmup]:
                _send(client, req, timeout)
        for kind, res in zip(KINDS, results, strict=True):
            if res.missing or res.skipped:
                continue
            if deadline.expired:
                res.skipped = "the run's time budget was used up"
                continue
            started = time.perf_counter()
            for req in plan.requests[kind.name][:requests]:
                status, ms, detail = _send(client, req, timeout)
                if status is not None and 200 <= status < 300:
                    res.ok_ms.append(ms)
                else:
                    if status is None:
                        res.errors += 1
                    else:
                        res.statuses[status] += 1
                    res.sample_error = res.sample_error or detail
                if time.perf_counter() - started > kind_seconds or deadline.expired:
                    break
    return results


# ---------------------------------------------------------------------------- wrk
WRK_REPORT = """  local e = summary.errors
  io.write(string.format('BENCH {"requests": %.0f, "duration_us": %.0f, "p50_us": %.1f, '
    .. '"p95_us": %.1f, "p99_us": %.1f, "max_us": %.1f, "status_errors": %.0f, '
    .. '"socket_errors": %.0f}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
"""
"""The end of a wrk script's ``done()``: one ``BENCH {json}`` line (see :func:`run_wrk`)."""

WRK_LUA = """-- randomised paths for wrk, written by bench/scale_api.py
local paths = {}
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  math.randomseed(tonumber(args[2]) + 7919 * (id or 0))
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
""" + WRK_REPORT + """end
"""


def wrk_available() -> bool:
    """Whether Debian's ``wrk`` is on the PATH."""
    return shutil.which("wrk") is not None


def run_wrk(url: str, paths: Sequence[str], *, clients: int, seconds: int, work: Path,
            seed: int = 7) -> dict[str, Any]:
    """Load ``url`` with ``clients`` connections for ``seconds``, a random path per request.

    Returns:
        requests, req_s, p50_ms, p95_ms, p99_ms, max_ms, http_errors (status >= 400),
        socket_errors; or ``error`` when wrk failed.
    """
    import json

    path_file = work / f"wrk-paths-{clients}.txt"
    path_file.write_text("\n".join(paths) + "\n", encoding="ascii")
    script = work / "wrk-random.lua"
    script.write_text(WRK_LUA, encoding="ascii")
    threads = max(1, min(clients, os.cpu_count() or 1))
    cmd = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout",
           "10s", "-s", str(script), url, "--", str(path_file), str(seed)]
    m = run_measured(cmd, cwd=work, timeout=seconds + 60)
    line = next((ln for ln in m.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if not m.ok or line is None:
        return {"clients": clients, "threads": threads, "error": m.describe()}
    raw = json.loads(line[len("BENCH "):])
    duration = raw["duration_us"] / 1e6
    return {"clients": clients, "threads": threads, "seconds": seconds,
            "requests": int(raw["requests"]),
            "req_s": raw["requests"] / duration if duration else 0.0,
            "p50_ms": raw["p50_us"] / 1000, "p95_ms": raw["p95_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000, "max_ms": raw["max_us"] / 1000,
            "http_errors": int(raw["status_errors"]), "socket_errors": int(raw["socket_errors"])}


def wrk_paths(plan: Plan) -> dict[str, list[str]]:
    """The randomised GET paths wrk sends, per route of the throughput table."""
    return {"neighbors": [path for _, path, _ in plan.requests["neighbors"]],
            "search": [path for _, path, _ in plan.requests["search"]]}


# ---------------------------------------------------------------------------- CLI start
def cli_start(env: dict[str, str], work: Path, *, uid: str, term: str,
              repeats: int = 5) -> list[dict[str, Any]]:
    """Wall time of light commands, each a fresh process: the median of ``repeats`` runs.

    Args:
        env: The environment naming the store (INNOGRAPH_HOME, INNOGRAPH_STORE, NEO4J_*).
        work: Working directory.
        uid: The actor for ``innograph node``.
        term: The text for ``innograph search``.
        repeats: Runs per command.
    """
    exe = innograph_exe()
    commands = (("innograph --help", ["--help"]), ("innograph stats", ["stats"]),
                ("innograph search X", ["search", term]), ("innograph node X", ["node", uid]))
    rows = []
    for shown, args in commands:
        runs = [run_measured([exe, *args], env=env, cwd=work, timeout=300) for _ in range(repeats)]
        failed = [r for r in runs if not r.ok]
        rows.append({"command": shown, "args": args,
                     "median_s": statistics.median(r.wall_s for r in runs),
                     "min_s": min(r.wall_s for r in runs), "runs": len(runs),
                     "failed": len(failed), "error": failed[0].describe() if failed else None})
    return rows


# ---------------------------------------------------------------------------- together
def bench_api(store: GraphStore, env: dict[str, str], work: Path, *, backend: str,
              requests: int, kind_seconds: float, wrk_seconds: int, cli_repeats: int,
              seed: int = 7, jvm_pid: int | None = None,
              deadline: Deadline | None = None) -> dict[str, Any]:
    """Everything measured against one served store.

    Args:
        store: The same store, opened read-only in this process, to draw inputs from
            (closed by the caller).
        env: The environment of the server and CLI children.
        work: Folder for logs and wrk's files.
        backend: ``embedded`` or ``neo4j`` (for the rows).
        requests: Measured requests per kind.
        kind_seconds: Time bound per kind.
        wrk_seconds: Duration of each wrk run (0: no wrk).
        cli_repeats: Runs per CLI command (0: no CLI timing).
        seed: RNG seed of the inputs.
        jvm_pid: The Neo4j server's JVM, whose peak memory is reported too.
        deadline: The run's deadline: parts it leaves no time for are skipped.
    """
    deadline = deadline or Deadline()
    plan = sample_plan(store, max(requests, 3) + 3, seed=seed)
    out: dict[str, Any] = {"backend": backend, "plan": plan.counts}
    print(f"  api {backend}: inputs drawn ({plan.counts})", flush=True)
    with serve(env, work, start_timeout=deadline.timeout(600.0)) as srv:
        out["server_start_s"] = srv.start_s
        out["rss_after_start_mb"] = vm_status(srv.pid).get("VmRSS")
        latency = measure_latency(srv.url, plan, requests=requests, kind_seconds=kind_seconds,
                                  deadline=deadline)
        out["latency"] = [r.as_dict() for r in latency]
        print(f"  api {backend}: latency of {len(latency)} kinds measured", flush=True)
        out["wrk"] = []
        if wrk_seconds and wrk_available():
            for route, paths in wrk_paths(plan).items():
                for clients in (1, 50):
                    if deadline.expired:
                        out["wrk_skipped"] = "the run's time budget was used up"
                        break
                    row = run_wrk(srv.url, paths, clients=clients, seconds=wrk_seconds,
                                  work=work, seed=seed)
                    out["wrk"].append({"route": route, **row})
            print(f"  api {backend}: wrk done", flush=True)
        elif wrk_seconds:
            out["wrk_missing"] = True
        out["server_memory_mb"] = vm_status(srv.pid)
    if jvm_pid:
        out["neo4j_memory_mb"] = vm_status(jvm_pid)
    if cli_repeats and not deadline.expired:
        out["cli"] = cli_start(env, work, uid=plan.actor_uids[0], term=plan.search_terms[0],
                               repeats=cli_repeats)
    return out
