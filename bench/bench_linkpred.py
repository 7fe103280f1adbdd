"""Benchmark: ``innograph eval linkpred`` on generated participation tables.

For each size, generates the registries with ``innograph generate`` (fixed seed),
runs the link-prediction protocol (train <= 2018, test 2019–2020) and records, in
the same run, innograph's recommender against the classic scores (common
neighbours, Adamic-Adar, resource allocation), with the wall time. Writes its
section of BENCHMARKS.md.

Run::

    .venv/bin/python bench/bench_linkpred.py [--actors 3000 20000] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import tempfile
import time
from datetime import date
from pathlib import Path

from api.cli_linkpred import read_participations
from graph.analytics.linkpred import run_eval
from ingest.generate.core import GenerateConfig, generate

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- bench_linkpred:start -->", "<!-- bench_linkpred:end -->"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def run(actors: int) -> list[str]:
    """Rows of the result table for one generated data set."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), GenerateConfig(actors=actors, seed=11, messy=False))
        rows = read_participations(Path(tmp) / "项目参与.csv")
        started = time.perf_counter()
        result = run_eval(rows, train_until=2018, test_until=2020)
        elapsed = time.perf_counter() - started
    out = []
    for method, m in result.metrics.items():
        out.append(f"| {actors:,} actors, {len(rows):,} rows | {method} | {m.hits10:.4f} | "
                   f"{m.hits50:.4f} | {m.mrr:.4f} | {m.precision10:.4f} | {m.sources:,} | "
                   f"{elapsed:.1f} |")
    return out


def main() -> None:
    """Run the sizes and write the BENCHMARKS.md section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actors", type=int, nargs="+", default=[3000, 20000])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    table = ["| data set | method | Hits@10 | Hits@50 | MRR | P@10 | sources | seconds |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for n in args.actors:
        table += run(n)
    section = "\n".join([
        START, "## Link prediction (`bench/bench_linkpred.py`)", "",
        f"{date.today().isoformat()}, {os.cpu_count()} CPUs ({_cpu()}), Python "
        f"{platform.python_version()}. Generated data (`innograph generate --seed 11 --clean`), "
        "train <= 2018, test 2019–2020; every method ranks every training actor not "
        "already linked to the source, in the same run. Seconds: the whole protocol "
        "(graph, training the recommender on the 2017 split, ranking all sources).", "",
        *table, END])
    print(section)
    if args.no_write:
        return
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), section, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
