"""Smoke runs of the scale benchmarks (``bench/``) on tiny sizes.

They check the harness, never the speed: every part runs on 300 actors and
produces well-formed rows with plausible numbers (counts above zero, p50 <= p95),
and BENCHMARKS.md is left as it was. The Neo4j part uses the test server (its
database is emptied before and after, as every Neo4j test does); wrk runs only
where it is installed (``make bench-deps``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench import bench_scale, run_all
from bench.harness import BENCHMARKS, Neo4jConn, clear_neo4j
from bench.scale_api import KINDS, wrk_available
from tests.conftest import neo4j_settings
from tests.unit.test_bench_report import table_shapes

pytestmark = pytest.mark.slow

ALWAYS_THERE = {"search", "node", "neighbors", "paths", "match", "recommendations",
                "gaps_fields", "gaps_holes"}


def check_ingest(report: dict[str, Any], backend: str, actors: int) -> None:
    runs = {r["run"]: r for r in report["ingest"]
            if r["backend"] == backend and r["actors"] == actors}
    assert set(runs) == {1, 2, 3}, runs
    first, second, forced = runs[1], runs[2], runs[3]
    assert first["error"] is None, first["error"]
    assert first["rows"] > 0 and first["written"] > 0
    assert first["wall_s"] > 0 and first["max_rss_mb"] > 0 and first["per_second"] > 0
    # the analysis after the writes, in a child of its own
    assert first["analyse_error"] is None, first["analyse_error"]
    assert first["analyse_s"] > 0 and first["analyse_rss_mb"] > 0
    # the user's re-run reads nothing (the inputs and the store are unchanged); the
    # forced one reads every row and writes nothing
    assert second["error"] is None, second["error"]
    assert second["up_to_date"] and second["rows"] == first["rows"] and not second["written"]
    assert forced["error"] is None, forced["error"]
    assert not forced["up_to_date"] and forced["unchanged"] > 0 and not forced["written"]
    base = next(b for b in report["baselines"]
                if b["backend"] == backend and b["actors"] == actors)
    assert base["error"] is None, base["error"]
    assert base["objects"] > 0 and base["seconds"] > 0
    if backend == "neo4j":
        assert base["stored"] == base["objects"]


def check_api(report: dict[str, Any], backend: str) -> None:
    api = next(a for a in report["api"] if a["backend"] == backend)
    assert "error" not in api, api.get("error")
    rows = {k["kind"]: k for k in api["latency"]}
    assert set(rows) == {k.name for k in KINDS}
    for name, k in rows.items():
        if k["missing"]:
            assert name not in ALWAYS_THERE, f"{name}: route missing from /openapi.json"
            continue
        assert not k["skipped"], k
        assert k["first_ms"] is not None and k["first_ms"] > 0
        sent = k["ok"] + sum(k["non_2xx"].values()) + k["errors"]
        assert sent > 0, k
        if k["ok"]:
            assert 0 < k["p50"] <= k["p95"] <= k["max"], k
        if name in ALWAYS_THERE:
            assert k["ok"] > 0, k
    if wrk_available():
        assert {(w["route"], w["clients"]) for w in api["wrk"]} == {
            ("neighbors", 1), ("neighbors", 50), ("search", 1), ("search", 50)}
        for w in api["wrk"]:
            assert "error" not in w, w
            assert w["requests"] > 0 and w["req_s"] > 0
            assert 0 < w["p50_ms"] <= w["p95_ms"] <= w["p99_ms"] <= w["max_ms"]
    else:
        assert api.get("wrk_missing")
    assert api["server_memory_mb"]["VmHWM"] > 0
    assert api["server_start_s"] > 0
    assert [c["command"] for c in api["cli"]] == [
        "innograph --help", "innograph stats", "innograph search X", "innograph node X"]
    for c in api["cli"]:
        assert c["median_s"] > 0 and c["runs"] >= 1


def run_smoke(tmp_path: Path, **kwargs: Any) -> dict[str, Any]:
    before = BENCHMARKS.read_bytes()
    report = bench_scale.run(replace(bench_scale.SMOKE, **kwargs.pop("config", {})),
                             work=tmp_path / "work", **kwargs)
    section = bench_scale.markdown(report)
    assert section.startswith(bench_scale.START) and section.rstrip().endswith(bench_scale.END)
    table_shapes(section)
    assert BENCHMARKS.read_bytes() == before, "a smoke run must not write BENCHMARKS.md"
    return report


def test_scale_smoke_embedded(tmp_path: Path) -> None:
    report = run_smoke(tmp_path, use_neo4j=False)
    assert [d["actors"] for d in report["datasets"]] == [300]
    check_ingest(report, "embedded", 300)
    check_api(report, "embedded")
    assert not report["skipped"]


@pytest.mark.neo4j
def test_scale_smoke_neo4j(tmp_path: Path) -> None:
    conn = Neo4jConn.from_settings(neo4j_settings())
    try:
        report = run_smoke(tmp_path, neo4j=conn, config={"cli_repeats": 1})
    finally:
        clear_neo4j(conn)
    check_ingest(report, "neo4j", 300)
    check_ingest(report, "embedded", 300)
    check_api(report, "neo4j")
    # the measured pairs, alternately first; the row gives their medians and each ratio
    pairs = [p for p in report["neo4j_pairs"] if p["actors"] == 300]
    assert [(p["pair"], p["order"]) for p in pairs] == [(0, "ingest first"),
                                                        (1, "baseline first")]
    for p in pairs:
        assert not p["ingest_error"] and not p["baseline_error"], p
        assert p["ingest_per_second"] > 0 and p["baseline_per_second"] > 0
    row = next(line for line in bench_scale.markdown(report).splitlines()
               if line.startswith("| neo4j | 300 |"))
    each = ", ".join(f"{p['ingest_per_second'] / p['baseline_per_second']:.2f}×" for p in pairs)
    assert f"(medians of 2 pairs; each: {each})" in row, row


def test_linkpred_smoke_writes_nothing() -> None:
    before = BENCHMARKS.read_bytes()
    args = run_all.linkpred_args(True, [])
    done = subprocess.run([sys.executable, str(run_all.BENCH / "bench_linkpred.py"), *args],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "<!-- bench_linkpred:start -->" in done.stdout
    assert BENCHMARKS.read_bytes() == before


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (make bench-deps)")
def test_soak_smoke_writes_nothing() -> None:
    """The soak harness end to end on a small graph: authenticated load, a concurrent
    ingest, every answer 2xx and the counts equal to a load-free run (its exit code)."""
    before = BENCHMARKS.read_bytes()
    done = subprocess.run([sys.executable, str(run_all.BENCH / "bench_soak.py"), "--actors",
                           "300", "--seconds", "4", "--clients", "8", "--no-write"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    assert "<!-- bench_soak" not in done.stdout and "| counts after" in done.stdout
    assert "| counts after = A then B without load | yes |" in done.stdout
    assert BENCHMARKS.read_bytes() == before


@pytest.mark.neo4j
def test_match_retrieval_smoke_writes_nothing() -> None:
    """The retrieval benchmark end to end on a small graph and its own Neo4j: the pools
    from Cypher equal the in-process ones for every need (it exits non-zero if not)."""
    before = BENCHMARKS.read_bytes()
    done = subprocess.run([sys.executable, str(run_all.BENCH / "bench_match_retrieval.py"),
                           "--actors", "300", "--needs", "5", "--no-write"],
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    assert "| pool from Neo4j" in done.stdout and "identical both ways" in done.stdout
    assert BENCHMARKS.read_bytes() == before
