"""Neighbours under load, authentication off and on: the hot path of every request.

``innograph serve`` on an existing embedded store (``--home``), warmed up (one
recommendation and one matching, then a pause for the warm thread's collection), then
``wrk -t2 -c50 -d20s`` over 300 neighbour paths of random enterprises, once with
``INNOGRAPH_AUTH=off`` and once with an analyst's key. Prints one JSON line.

For a same-run baseline, run it again with ``PYTHONPATH`` pointing at a worktree of the
older revision: the server child then runs that revision's code (``--auth off`` where it
has no authentication)::

    .venv/bin/python bench/bench_neighbours.py --home H100K
    NEO4J_URI=... .venv/bin/python bench/bench_neighbours.py --home H --neo4j
    git worktree add /tmp/base REV
    PYTHONPATH=/tmp/base .venv/bin/python bench/bench_neighbours.py --home H100K --auth off
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import child_env  # noqa: E402
from bench.scale_api import WRK_LUA, serve  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True, help="INNOGRAPH_HOME of the store")
    ap.add_argument("--auth", choices=["off", "on", "both"], default="both")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--neo4j", action="store_true",
                    help="serve the Neo4j database named by NEO4J_URI/USER/PASSWORD/DATABASE "
                         "(--home then only holds the users and the audit log)")
    args = ap.parse_args(argv)

    import httpx

    from graph.backends.embedded import EmbeddedStore
    from graph.factory import open_store
    from graph.settings import Settings

    neo4j_env = {k: v for k, v in os.environ.items() if k.startswith("NEO4J_")}
    if args.neo4j:
        store = open_store(Settings(INNOGRAPH_STORE="neo4j"), read_only=True)
    else:
        store = EmbeddedStore(args.home / "store", read_only=True)
        store.open()
    uids = [str(r["uid"]) for r in store.find_records(label="Enterprise", limit=2000)]
    store.close()
    random.seed(7)
    paths = [f"/nodes/{urllib.parse.quote(u, safe='')}/neighbors"
             for u in random.sample(uids, min(300, len(uids)))]
    key = ""
    if args.auth != "off":
        from api.auth import UserStore

        key = UserStore(args.home).add(f"bench{int(time.time() * 1000)}", "analyst")
    work = Path(tempfile.mkdtemp(prefix="innograph-neighbours-"))
    (work / "paths.txt").write_text("\n".join(paths) + "\n", encoding="ascii")
    out: dict[str, dict[str, float]] = {}
    for auth in (("off", "on") if args.auth == "both" else (args.auth,)):
        env = {**child_env(args.home, "embedded"), "INNOGRAPH_AUTH": auth}
        if args.neo4j:
            env.update(neo4j_env, INNOGRAPH_STORE="neo4j")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        script = WRK_LUA
        if auth == "on":
            script = script.replace("function request()", 'wrk.headers["Authorization"] = '
                                    f'"Bearer {key}"\nfunction request()')
        (work / "s.lua").write_text(script, encoding="utf-8")
        with serve(env, work) as srv:
            httpx.get(f"{srv.url}/recommendations/{urllib.parse.quote(uids[0], safe='')}",
                      headers=headers, timeout=900)
            httpx.post(f"{srv.url}/match", json={"text": "康复"}, headers=headers, timeout=900)
            time.sleep(20)  # the warm thread's full collection and freeze
            run = subprocess.run(
                ["wrk", "-t2", "-c50", f"-d{args.seconds}s", "--latency", "--timeout", "10s",
                 "-s", str(work / "s.lua"), srv.url, "--", str(work / "paths.txt"), "7"],
                capture_output=True, text=True, check=False)
        line = next(ln for ln in run.stdout.splitlines() if ln.startswith("BENCH "))
        raw = json.loads(line[len("BENCH "):])
        out[auth] = {"req_s": round(raw["requests"] / (raw["duration_us"] / 1e6)),
                     "p95_ms": round(raw["p95_us"] / 1000, 1),
                     "p99_ms": round(raw["p99_us"] / 1000, 1),
                     "errors": raw["status_errors"] + raw["socket_errors"]}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
