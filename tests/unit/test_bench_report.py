"""The scale benchmark's plumbing and its BENCHMARKS.md section, without running anything big."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from bench import bench_scale
from bench.harness import Deadline, OutOfTime, quantile, run_measured, write_section
from bench.scale_api import KINDS


def table_shapes(section: str) -> None:
    """Every row of every table has as many cells as its header."""
    width = None
    for line in section.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        cells = line.count("|") - line.count("\\|") - 1
        if width is None:
            width = cells
        assert cells == width, line


def test_quantile_interpolates() -> None:
    assert quantile([3.0], 0.95) == 3.0
    assert quantile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert quantile(list(map(float, range(101))), 0.95) == pytest.approx(95.0)
    with pytest.raises(ValueError):
        quantile([], 0.5)


def test_run_measured_reports_rss_and_stops_at_its_limits() -> None:
    ok = run_measured([sys.executable, "-c", "b = bytearray(50_000_000); print('done')"])
    assert ok.ok and ok.stdout.strip() == "done"
    assert ok.max_rss_mb >= 50
    slow = run_measured([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert slow.timed_out and not slow.ok and slow.wall_s < 10
    big = run_measured([sys.executable, "-c",
                        "import time; b = bytearray(400_000_000); b[::4096] = b'x' * "
                        "len(b[::4096]); time.sleep(30)"], rss_limit_mb=200)
    assert big.stopped == "memory" and not big.ok and big.wall_s < 20


def test_deadline() -> None:
    assert Deadline().timeout(5.0) == 5.0
    assert not Deadline().expired
    assert Deadline(100.0).timeout(5.0) == 5.0
    assert Deadline(50.0).timeout(500.0) <= 50.0
    gone = Deadline(1.0)
    assert gone.expired
    with pytest.raises(OutOfTime):
        gone.timeout(5.0)


def test_write_section_keeps_the_other_sections(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\n<!-- a:start -->\nold a\n<!-- a:end -->\n\n## other\n"
                    "kept\n", encoding="utf-8")
    write_section("<!-- b:start -->", "<!-- b:end -->", "<!-- b:start -->\nnew b\n<!-- b:end -->",
                  path)
    write_section("<!-- a:start -->", "<!-- a:end -->", "<!-- a:start -->\nnew a\n<!-- a:end -->",
                  path)
    text = path.read_text(encoding="utf-8")
    assert "old a" not in text and "new a" in text and "new b" in text
    assert "## other\nkept\n" in text
    assert text.index("new a") < text.index("## other") < text.index("new b")


def _kind(name: str, **extra: Any) -> dict[str, Any]:
    kind = next(k for k in KINDS if k.name == name)
    row = {"kind": name, "route": kind.shown, "budget_ms": kind.budget_ms, "missing": False,
           "first_ms": 12.0, "first_status": 200, "ok": 3, "non_2xx": {}, "errors": 0,
           "sample_error": "", "skipped": "", "p50": 1.0, "p95": 2.0, "max": 3.0}
    row.update(extra)
    return row


def failing_report() -> dict[str, Any]:
    """A run where every kind of failure shows up once."""
    ingest = [
        {"backend": "embedded", "actors": 10, "run": 1, "wall_s": 2.0, "max_rss_mb": 100.0,
         "rows": 40, "rejected": 0, "created": 90, "updated": 10, "unchanged": 0, "queued": 0,
         "report_s": 1.0, "error": None, "written": 100, "per_second": 50.0,
         "analyse_s": 3.5, "analyse_rss_mb": 250.0, "analyse_error": None},
        {"backend": "embedded", "actors": 10, "run": 2, "wall_s": 1.0, "max_rss_mb": 90.0,
         "rows": 40, "rejected": 0, "created": 0, "updated": 0, "unchanged": 100, "queued": 0,
         "report_s": 0.5, "error": None, "written": 0, "per_second": 0.0},
        {"backend": "neo4j", "actors": 10, "run": 1, "wall_s": 60.0, "max_rss_mb": 80.0,
         "rows": 0, "rejected": 0, "created": 0, "updated": 0, "unchanged": 0, "queued": 0,
         "report_s": None, "error": "stopped after 60 s", "written": 0, "per_second": None},
        {"backend": "neo4j", "actors": 30, "run": 1, "wall_s": 9.0, "max_rss_mb": 80.0,
         "rows": 40, "rejected": 0, "created": 100, "updated": 0, "unchanged": 0, "queued": 0,
         "report_s": 8.0, "error": None, "written": 100, "per_second": 11.1,
         "analyse_s": 4.0, "analyse_rss_mb": 120.0, "analyse_error": "exit 1: boom | bang"},
        {"backend": "embedded", "actors": 40, "run": 1, "wall_s": 9.0, "max_rss_mb": 80.0,
         "rows": 40, "rejected": 0, "created": 100, "updated": 0, "unchanged": 0, "queued": 0,
         "report_s": 8.0, "error": None, "written": 100, "per_second": 11.1,
         "analyse_s": None, "analyse_rss_mb": None, "analyse_error": "not run at this size"},
        {"backend": "embedded", "actors": 20, "run": 1, "wall_s": 0.0, "max_rss_mb": 0.0,
         "rows": 0, "rejected": 0, "created": 0, "updated": 0, "unchanged": 0, "queued": 0,
         "report_s": None, "error": "skipped: the run's budget | was used up",
         "written": 0, "per_second": None},
    ]
    baselines = [
        {"backend": "embedded", "actors": 10, "nodes": 60, "relationships": 30, "seconds": 0.1,
         "stored": None, "error": None, "objects": 90, "per_second": 900.0},
        {"backend": "neo4j", "actors": 10, "nodes": 0, "relationships": 0, "seconds": None,
         "stored": None, "error": "exit 1: boom", "objects": 0, "per_second": None},
    ]
    latency = [_kind(k.name) for k in KINDS]
    latency[1] = _kind("node", missing=True, ok=0)
    latency[2] = _kind("neighbors", ok=0, non_2xx={"404": 3}, p50=None, p95=None, max=None)
    latency[3] = _kind("paths", skipped="the run's time budget was used up", ok=0)
    latency[4] = _kind("paths_explained", first_status=None, errors=2)
    api_ok = {"backend": "embedded", "plan": {}, "server_start_s": 1.0,
              "rss_after_start_mb": 100.0, "latency": latency, "wrk_missing": True,
              "wrk": [], "server_memory_mb": {"VmHWM": 200.0, "VmRSS": 150.0},
              "cli": [{"command": "innograph --help", "args": ["--help"], "median_s": 0.3,
                       "min_s": 0.3, "runs": 1, "failed": 0, "error": None},
                      {"command": "innograph node X", "args": ["node", "ent:1"],
                       "median_s": 0.7, "min_s": 0.7, "runs": 1, "failed": 1,
                       "error": "exit 2"}]}
    api_failed = {"backend": "neo4j", "error": "failed: RuntimeError: serve exited | 1"}
    return {"machine": {"date": "2026-12-02 00:00 UTC", "cpu": "CPU", "cores": 2,
                        "ram_gb": 8.0, "python": "3.11", "os": "Linux"},
            "config": {**bench_scale.SMOKE.__dict__}, "seconds": 60.0,
            "datasets": [{"actors": 10, "generate_s": 0.5, "copied_mappings": []}],
            "ingest": ingest, "baselines": baselines, "api": [api_ok, api_failed],
            "skipped": ["20 actors: the run's budget of 1 min was used up"]}


def test_markdown_renders_failures_as_well_formed_rows() -> None:
    section = bench_scale.markdown(failing_report())
    table_shapes(section)
    assert section.startswith(bench_scale.START)
    assert section.rstrip().endswith(bench_scale.END)
    assert "> 60 s" in section and "route missing" in section
    assert "3× 404" in section and "wrk not installed" in section
    assert "skipped: the run's budget \\| was used up" in section
    assert "Not measured: 20 actors" in section
    assert "≥ 50,000/s: **missed**" in section
    # the analysis after a first run: its figures, a failure, or why it was not run
    assert "| 3.50 s, 250 MB |" in section
    assert "4.00 s, 120 MB (**failed**: exit 1: boom \\| bang)" in section
    assert "| – (not run at this size) |" in section
    assert "| innograph node `ent:1` | 0.70 s (1 failed) | – | ≤ 0.5 s: **missed** |" in section


def test_memory_projection_follows_the_line_through_the_sizes_measured() -> None:
    def run(actors: int, rss: float, **kw: Any) -> dict[str, Any]:
        return {"backend": "embedded", "run": 1, "actors": actors, "max_rss_mb": rss, **kw}

    project = bench_scale._projected_rss_mb
    assert project([], 1_000_000) is None
    # one size: in proportion to it
    assert project([run(100_000, 2_000)], 1_000_000) == 20_000
    # two sizes: the fixed part (what 0 actors would take) is not multiplied
    assert project([run(10_000, 380), run(100_000, 2_000)], 1_000_000) == 380 + 18 * 990_000 / 1000
    # the two largest count; a failed run, a rerun, another store or a larger size do not
    runs = [run(1_000, 9_000), run(10_000, 380), run(100_000, 2_000),
            run(50_000, 99_999, error="killed"), run(100_000, 500, run=2),
            {**run(30_000, 5_000), "backend": "neo4j"}, run(2_000_000, 1)]
    assert project(runs, 1_000_000) == 380 + 18 * 990_000 / 1000
    # a smaller peak at the larger size does not project below what was measured
    assert project([run(10_000, 900), run(100_000, 800)], 1_000_000) == 800
