"""``make bench``: the scale benchmarks in one run, each rewriting its BENCHMARKS.md section.

Steps, each a process of its own (so memory and crashes stay apart):

1. ``bench/bench_scale.py``: ingest at 10k/100k/1M actors (embedded) and 10k/100k
   (Neo4j) beside bare baselines, API latency, wrk throughput, memory and CLI start
   at 100k, with the run's time budget less a reserve for step 2;
2. ``bench/bench_linkpred.py``: ``eval linkpred`` on generated data, with the time
   left (its own options are passed through ``--linkpred-args``; with ``--smoke`` it
   gets ``--smoke`` if it has that flag, else a 300-actor run that writes nothing).

Each script replaces only the text between its own markers; the other sections of
BENCHMARKS.md stay as they are. A step that fails or runs out of time leaves its
section unchanged, is named at the end, and makes the exit status 1.

Run::

    .venv/bin/python bench/run_all.py [--minutes 30] [--no-write] [--linkpred-args="..."]
    .venv/bin/python bench/run_all.py --smoke      # tiny sizes, nothing written
"""

from __future__ import annotations

import argparse
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent
LINKPRED_RESERVE_MIN = 1.5
"""Minutes kept for the link-prediction step out of the run's budget."""
GRACE_S = 120.0
"""Seconds a step gets, after its time is up, to stop its servers on SIGTERM."""


def linkpred_args(smoke: bool, extra: Sequence[str]) -> list[str]:
    """Arguments for bench_linkpred.py, adapted to the options it has today."""
    if not smoke:
        return list(extra)
    help_text = subprocess.run([sys.executable, str(BENCH / "bench_linkpred.py"), "--help"],
                               capture_output=True, text=True, check=False).stdout
    if "--smoke" in help_text:
        return ["--smoke", *extra]
    return ["--actors", "300", "--no-write", *extra]


def run_step(name: str, cmd: Sequence[str], timeout: float) -> tuple[int, float]:
    """Run one step with its output on the console; (exit status, seconds).

    At the time limit the step gets SIGTERM (bench_scale unwinds and stops the
    servers it started), then SIGKILL after a grace period.
    """
    print(f"== {name}: {' '.join(cmd)} (at most {timeout / 60:.1f} min)", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(list(cmd))
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"== {name}: out of time, stopping it", flush=True)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        code = 124
    except BaseException:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=GRACE_S)
        raise
    seconds = time.monotonic() - started
    print(f"== {name}: exit {code} after {seconds / 60:.1f} min", flush=True)
    return code, seconds


def main(argv: Sequence[str] | None = None) -> int:
    """Run every step within the budget; exit 1 if any failed."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="budget of the whole run")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes; nothing is written")
    ap.add_argument("--no-write", action="store_true", help="print the sections only")
    ap.add_argument("--scale-args", default="",
                    help='more options for bench_scale.py (--scale-args="--actors 2000")')
    ap.add_argument("--linkpred-args", default="",
                    help='options for bench_linkpred.py (--linkpred-args="--actors 3000")')
    args = ap.parse_args(argv)
    started = time.monotonic()
    budget = args.minutes * 60
    scale_minutes = max(args.minutes - LINKPRED_RESERVE_MIN, 1.0)
    scale = [sys.executable, str(BENCH / "bench_scale.py"), "--minutes", f"{scale_minutes:g}",
             *(["--smoke"] if args.smoke else []), *(["--no-write"] if args.no_write else []),
             *shlex.split(args.scale_args)]
    results = {"bench_scale": run_step("bench_scale", scale, scale_minutes * 60 + GRACE_S)}
    linkpred = [sys.executable, str(BENCH / "bench_linkpred.py"),
                *linkpred_args(args.smoke, shlex.split(args.linkpred_args))]
    if args.no_write and not args.smoke and "--no-write" not in linkpred:
        linkpred.append("--no-write")
    left = max(budget - (time.monotonic() - started), LINKPRED_RESERVE_MIN * 60)
    results["bench_linkpred"] = run_step("bench_linkpred", linkpred, left)
    total = (time.monotonic() - started) / 60
    failed = [name for name, (code, _) in results.items() if code != 0]
    print(f"== all steps: {total:.1f} min" + (f"; failed: {', '.join(failed)}" if failed
                                                 else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
