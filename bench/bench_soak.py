"""Soak on loopback: 50 authenticated clients mixing reads and matchmaking while an
ingest runs into the store being served.

What it does, in one run:

1. ``innograph generate`` two registry folders, A and B (different seeds);
2. reference: a fresh home ingests A then B with no load; its node and relationship
   counts are what the loaded run must end with;
3. soak: a second home ingests A, gets an analyst user (``api.auth.UserStore``), and
   ``innograph serve`` (authentication on) serves it; ``wrk`` then sends 50 concurrent
   clients' requests for ``--seconds``, every one with the user's key: 80 % GETs drawn
   from search, node, neighbours, paths and recommendations, 20 % ``POST /match``.
   While the load runs, ``innograph ingest B`` writes into the same home; the server
   picks the new version up by itself;
4. it reports requests, requests/s, latency percentiles, non-2xx answers and socket
   errors, the server's RSS every second (first, middle, last, peak), the ingest's time,
   and whether the counts equal the reference (no row lost or duplicated).

The section between the ``bench_soak`` markers of BENCHMARKS.md is rewritten.

Run::

    .venv/bin/python bench/bench_soak.py [--actors 5000] [--seconds 60] [--clients 50]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    child_env,
    generate_dataset,
    innograph_exe,
    machine,
    machine_line,
    run_measured,
    vm_status,
    write_section,
)
from bench.scale_api import WRK_REPORT, serve  # noqa: E402

START, END = "<!-- bench_soak:start -->", "<!-- bench_soak:end -->"

WRK_LUA = """-- soak: authenticated, 80 % GET from a list, 20 % POST /match (bench/bench_soak.py)
local paths, bodies = {}, {}
local threads = 0
local all = {}
local codes = {"200", "401", "403", "404", "422", "500", "503"}
counts = {}

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
  table.insert(all, thread)
end

function response(status, headers, body)
  local key = "n" .. tostring(status)
  counts[key] = (counts[key] or 0) + 1
end

function init(args)
  for line in io.lines(args[1]) do if #line > 0 then paths[#paths + 1] = line end end
  for line in io.lines(args[2]) do if #line > 0 then bodies[#bodies + 1] = line end end
  math.randomseed(tonumber(args[3]) + 7919 * (id or 0))
  auth = "Bearer " .. args[4]
  wrk.headers["Authorization"] = auth
end

function request()
  if #bodies > 0 and math.random() < 0.2 then
    -- a headers table replaces wrk.headers: the key goes in again
    return wrk.format("POST", "/match", {["Content-Type"] = "application/json",
                                         ["Authorization"] = auth},
                      bodies[math.random(#bodies)])
  end
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
  local parts = {}
  for _, code in ipairs(codes) do
    local n = 0
    for _, t in ipairs(all) do
      local c = t:get("counts")
      if c and c["n" .. code] then n = n + c["n" .. code] end
    end
    table.insert(parts, '"' .. code .. '": ' .. n)
  end
  io.write("STATUS {" .. table.concat(parts, ", ") .. "}\\n")
""" + WRK_REPORT + """end
"""


def _counts(home: Path) -> dict[str, int]:
    from graph.backends.embedded import EmbeddedStore

    store = EmbeddedStore(home / "store", read_only=True)
    store.open()
    st = store.stats()
    store.close()
    return {**{f"node {k}": v for k, v in st.nodes.items()},
            **{f"rel {k}": v for k, v in st.relationships.items()}}


def _ingest(env: dict[str, str], folder: Path, work: Path) -> tuple[float, bool, str]:
    m = run_measured([innograph_exe(), "ingest", str(folder), "--quiet"], env=env, cwd=work,
                     timeout=3600)
    return m.wall_s, m.ok, m.describe() if not m.ok else ""


def _requests(home: Path, seed: int) -> tuple[list[str], list[str]]:
    """GET paths and /match bodies drawn from the served store."""
    from graph.backends.embedded import EmbeddedStore

    rnd = random.Random(seed)
    store = EmbeddedStore(home / "store", read_only=True)
    store.open()
    actors = [r for label in ("Enterprise", "University", "Institute", "Team")
              for r in store.find_records(label=label, limit=400)]
    fields = store.find_records(label="Field", limit=200)
    store.close()
    rnd.shuffle(actors)
    q = urllib.parse.quote
    paths: list[str] = []
    for a in actors[:300]:
        uid, name = str(a["uid"]), str(a["name"])
        paths += [f"/nodes/{q(uid, safe='')}", f"/nodes/{q(uid, safe='')}/neighbors",
                  f"/search?q={q(name[:3])}"]
    for a, b in zip(actors[:60], actors[60:120], strict=False):
        paths.append(f"/paths?source={q(str(a['uid']))}&target={q(str(b['uid']))}")
    for a in actors[:40]:
        if a["label"] in ("Enterprise", "University", "Institute"):
            paths.append(f"/recommendations/{q(str(a['uid']), safe='')}?k=10")
    bodies = [json.dumps({"text": str(f["name"]), "top": 10}, ensure_ascii=False)
              for f in fields[:100]]
    return paths, bodies


def _phases(audit: str, ingest: dict[str, Any]) -> list[str]:
    """Table rows: p50 / p95 / max of the audit log's ``ms`` per kind of request, before,
    during and after the ingest of set B."""
    began, ended = ingest.get("began"), ingest.get("ended")
    if began is None or ended is None:
        return ["| (the ingest did not run) | | | |"]
    cells: dict[tuple[str, int], list[float]] = {}
    for line in audit.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if "ms" not in e:
            continue
        t = datetime.fromisoformat(e["time"])
        phase = 0 if t < began.replace(microsecond=0) else 1 if t <= ended else 2
        path = str(e.get("path", ""))
        kind = ("POST /match" if path.startswith("/match") else
                "recommendations" if path.startswith("/recommendations") else "other GETs")
        cells.setdefault((kind, phase), []).append(float(e["ms"]))

    def cell(v: list[float]) -> str:
        if not v:
            return "–"
        v = sorted(v)
        return (f"{v[len(v) // 2]:,.0f} / {v[min(len(v) - 1, int(len(v) * 0.95))]:,.0f} / "
                f"{v[-1]:,.0f} ({len(v):,})")

    return [f"| {k} | " + " | ".join(cell(cells.get((k, ph), [])) for ph in range(3)) + " |"
            for k in ("other GETs", "recommendations", "POST /match")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--actors", type=int, default=5000)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--heavy", type=int, default=0,
                    help="INNOGRAPH_HEAVY of the server (0: the server's default)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    from api.auth import UserStore

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="innograph-soak-") as tmp:
        work = Path(tmp)
        a = generate_dataset(work / "A", args.actors, seed=args.seed)
        b = generate_dataset(work / "B", args.actors, seed=args.seed + 1)

        ref_env = child_env(work / "ref", "embedded")
        for ds in (a, b):
            _, ok, err = _ingest(ref_env, ds.path, work)
            if not ok:
                raise SystemExit(f"reference ingest failed: {err}")
        reference = _counts(work / "ref")

        home = work / "soak"
        env = child_env(home, "embedded")
        _, ok, err = _ingest(env, a.path, work)
        if not ok:
            raise SystemExit(f"ingest of A failed: {err}")
        key = UserStore(home).add("soak", "analyst")
        paths, bodies = _requests(home, args.seed)
        (work / "paths.txt").write_text("\n".join(paths) + "\n", encoding="ascii")
        (work / "bodies.txt").write_text("\n".join(bodies) + "\n", encoding="utf-8")
        (work / "soak.lua").write_text(WRK_LUA, encoding="ascii")

        rss: list[tuple[float, float]] = []
        ingest_result: dict[str, Any] = {}
        server_env = {**env, "INNOGRAPH_AUTH": "on"}
        if args.heavy:
            server_env["INNOGRAPH_HEAVY"] = str(args.heavy)
        with serve(server_env, work) as server:
            done = threading.Event()
            t0 = time.perf_counter()

            def sample() -> None:
                while not done.is_set():
                    rss.append((time.perf_counter() - t0,
                                vm_status(server.pid).get("VmRSS", 0.0)))
                    done.wait(1.0)

            def ingest_b() -> None:
                time.sleep(min(5.0, args.seconds / 6))
                began = datetime.now(UTC)
                secs, ok, err = _ingest(env, b.path, work)
                ingest_result.update(seconds=secs, ok=ok, error=err, began=began,
                                     ended=datetime.now(UTC), at=time.perf_counter() - t0)

            sampler = threading.Thread(target=sample, daemon=True)
            writer = threading.Thread(target=ingest_b, daemon=True)
            sampler.start()
            writer.start()
            threads = 2
            wrk = subprocess.run(
                ["wrk", f"-t{threads}", f"-c{args.clients}", f"-d{args.seconds}s",
                 "--latency", "--timeout", "10s", "-s", str(work / "soak.lua"), server.url,
                 "--", str(work / "paths.txt"), str(work / "bodies.txt"), str(args.seed), key],
                capture_output=True, text=True, timeout=args.seconds + 120, check=False)
            writer.join(timeout=3600)
            done.set()
            sampler.join(timeout=5)
            keep = ROOT / "artifacts" / "soak-serve.log"
            keep.parent.mkdir(parents=True, exist_ok=True)
            keep.write_bytes(server.log.read_bytes())
            audit = home / "audit.log"
            audit_text = audit.read_text(encoding="utf-8") if audit.exists() else ""
            audit_lines = audit_text.count("\n")
            phases = _phases(audit_text, ingest_result)
        line = next((ln for ln in wrk.stdout.splitlines() if ln.startswith("BENCH ")), None)
        if line is None:
            raise SystemExit(f"wrk failed: {wrk.stdout[-500:]} {wrk.stderr[-500:]}")
        raw = json.loads(line[len("BENCH "):])
        status_line = next((ln for ln in wrk.stdout.splitlines()
                            if ln.startswith("STATUS ")), "STATUS {}")
        statuses = {k: v for k, v in json.loads(status_line[len("STATUS "):]).items() if v}
        loaded = _counts(home)
    dur = raw["duration_us"] / 1e6
    mem = [m for _, m in rss if m]
    mid = mem[len(mem) // 2] if mem else 0.0
    same = loaded == reference
    diff = {k: (reference.get(k), loaded.get(k)) for k in set(reference) | set(loaded)
            if reference.get(k) != loaded.get(k)}
    m = machine()
    table = "\n".join([
        "## Soak: 50 authenticated clients while an ingest runs (`bench/bench_soak.py`)",
        "",
        f"{machine_line(m)} Embedded store of "
        f"{args.actors:,} generated actors (set A); `innograph serve` with authentication "
        f"on; wrk, {args.clients} connections for {args.seconds} s, every request with an "
        "analyst's key: 80 % GET (node, neighbours, search, paths, recommendations), 20 % "
        f"`POST /match`. {ingest_result.get('at', 0):.0f} s after the load began, "
        f"`innograph ingest` of set B ({args.actors:,} more actors) wrote into the served "
        "store.",
        "",
        "| measure | result |",
        "|---|---|",
        f"| requests | {raw['requests']:,.0f} ({raw['requests'] / dur:,.0f} req/s) |",
        f"| latency p50 / p95 / p99 / max | {raw['p50_us'] / 1000:.1f} / "
        f"{raw['p95_us'] / 1000:.1f} / {raw['p99_us'] / 1000:.1f} / "
        f"{raw['max_us'] / 1000:.0f} ms |",
        f"| answers other than 2xx / socket errors | {raw['status_errors']:.0f} / "
        f"{raw['socket_errors']:.0f} (statuses: "
        f"{', '.join(f'{k}: {v:,}' for k, v in sorted(statuses.items()))}) |",
        f"| server RSS first / middle / last / peak | {mem[0] if mem else 0:,.0f} / "
        f"{mid:,.0f} / {mem[-1] if mem else 0:,.0f} / {max(mem) if mem else 0:,.0f} MB |",
        f"| ingest of set B under load | {ingest_result.get('seconds', 0):.1f} s, "
        f"{'ok' if ingest_result.get('ok') else 'FAILED ' + str(ingest_result.get('error'))} |",
        f"| counts after = A then B without load | {'yes' if same else 'NO: ' + str(diff)} |",
        f"| audit entries written | {audit_lines:,} |",
        "",
        "Server-side time per request (the audit log's `ms`: from the request reaching "
        "the server to its answer, queueing for a heavy slot included), p50 / p95 / max "
        "in ms, by phase of the run:",
        "",
        "| requests | before the ingest | during the ingest | after it |",
        "|---|---|---|---|",
        *phases,
        "",
        f"Whole run {time.perf_counter() - started:.0f} s. Reproduce: "
        f"`.venv/bin/python bench/bench_soak.py --actors {args.actors} --seconds "
        f"{args.seconds}`.",
    ])
    print(table)
    if not args.no_write:
        write_section(START, END, f"{START}\n{table}\n{END}")
    return 0 if same and ingest_result.get("ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
