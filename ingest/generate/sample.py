"""Build the demo community of ``data/sample``.

Usage::

    .venv/bin/python -m ingest.generate.sample data/sample

The real entities of the 2020 Tai'an work plan and Tai'an's universities come
from the hand-written ``ingest/generate/data/taian_real.json``; the generator
adds synthetic enterprises, teams, talents, platforms, institutes, hospitals
and five years of projects around them. The settings below are fixed, so the
files are the same on every machine and every run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ingest.generate.core import GenerateConfig, GenerateSummary, generate

SAMPLE = GenerateConfig(
    actors=800,
    seed=2020,
    messy=True,
    first_year=2016,
    last_year=2020,
    # six Shandong universities as outside partners of the Tai'an ones
    extra_universities=6,
    shandong_only=True,
)
"""The demo's settings: change them only together with data/sample/README.md."""


def build_sample(out: Path) -> GenerateSummary:
    """Write the sample registries into ``out``."""
    return generate(out, SAMPLE)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: one argument, the output folder."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ingest.generate.sample OUT_DIR", file=sys.stderr)
        return 2
    summary = build_sample(Path(args[0]))
    for name, rows in summary.rows.items():
        print(f"{name}\t{rows}")
    print("actors\t" + ", ".join(f"{k} {v}" for k, v in summary.actors.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
