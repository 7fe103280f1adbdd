"""Benchmark: ingest a 150,000-row project participation table into the embedded store.

Generates a deterministic table (``project_id,actor_id,actor_type,year,field``)
with 8,000 actors and about 30,000 projects of 1–12 participants, plus a few
consortia of 60 (above the 50-participant cooperation cap), then times
``innograph ingest`` on it twice (first run: everything created; second run:
everything unchanged). The store lives on disk, so the time includes the save.

Run::

    .venv/bin/python bench/bench_participation.py [--rows 150000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from graph.backends.embedded import EmbeddedStore
from ingest.pipeline import run_ingest

TYPES = (("ent", "enterprise"), ("uni", "university"), ("ins", "institute"),
         ("hos", "hospital"), ("plt", "platform"))
FIELDS = ("康复医疗装备", "智慧养老", "生物医药", "医疗器械", "新材料", "智能装备", "")
MAPPING = """kind: participation
synthetic: true
participation:
  create_missing_actors: true
"""


def make_table(path: Path, rows: int, *, actors: int = 8000, seed: int = 20200) -> int:
    """Write a participation table of exactly ``rows`` rows; returns the project count."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(len(TYPES), size=actors, p=[0.6, 0.1, 0.15, 0.1, 0.05])
    written = 0
    project = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["project_id", "actor_id", "actor_type", "year", "field"])
        while written < rows:
            project += 1
            size = 60 if project % 1000 == 0 else int(rng.integers(1, 13))
            size = min(size, rows - written)
            members = rng.choice(actors, size=size, replace=False)
            year = int(rng.integers(2015, 2024))
            field = FIELDS[int(rng.integers(len(FIELDS)))]
            for m in members:
                prefix, kind = TYPES[int(kinds[m])]
                out.writerow([f"P{project:06d}", f"{prefix}:actor{m:05d}", kind,
                              year + int(rng.integers(0, 2)), field])
            written += size
    return project


def main(argv: list[str] | None = None) -> int:
    """Generate the table, ingest it twice, print the timings."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=150_000)
    ap.add_argument("--keep", type=Path, help="directory to keep the table and store in")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-participation-"))
    work.mkdir(parents=True, exist_ok=True)
    table = work / "participation.csv"
    t0 = time.perf_counter()
    projects = make_table(table, args.rows)
    (work / "participation.csv.mapping.yaml").write_text(MAPPING, encoding="utf-8")
    print(f"table: {args.rows} rows, {projects} projects ({time.perf_counter() - t0:.1f}s "
          f"to generate) in {work}")
    for run in (1, 2):
        store = EmbeddedStore(work / f"store-{args.rows}")
        store.open()
        try:
            t = time.perf_counter()
            rep = run_ingest(store, [table])
            wall = time.perf_counter() - t
            rels = {k: v.created + v.updated + v.unchanged for k, v in rep.relationships.items()}
            print(f"run {run}: {wall:.1f}s wall; rows {rep.rows_read} = {rep.accepted} accepted "
                  f"+ {len(rep.rejected)} rejected; created {rep.created}, updated "
                  f"{rep.updated}, unchanged {rep.unchanged}; relationships {rels}")
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
