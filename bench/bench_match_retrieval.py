"""Matchmaking's candidate retrieval on Neo4j: the Cypher query over the written-back
match terms against the in-process index, on the same store in the same run.

1. a private Neo4j (``tools/neo4j``), ``innograph generate`` N actors,
   ``innograph ingest --no-analyse`` into it;
2. ``innograph analyse`` (gap tables, communities, and the match terms written onto the
   candidates), timed;
3. on one projection of the store, for needs made of field names and field keywords:
   the pool from ``Neo4jStore.match_candidates`` (one Cypher query) and from the
   in-process index, checked equal, and the whole ``match`` both ways, p50 / p95.

The section between the ``bench_match_retrieval`` markers of BENCHMARKS.md is rewritten.

Run::

    .venv/bin/python bench/bench_match_retrieval.py [--actors 20000] [--needs 100]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    child_env,
    fmt_ms,
    generate_dataset,
    innograph_exe,
    machine,
    machine_line,
    neo4j_server,
    quantile,
    run_measured,
    write_section,
)

START, END = "<!-- bench_match_retrieval:start -->", "<!-- bench_match_retrieval:end -->"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--actors", type=int, default=20_000)
    ap.add_argument("--needs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    from graph.analytics.computed import project
    from graph.analytics.match import match, prepare
    from graph.factory import open_store

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="innograph-retrieval-") as tmp:
        work = Path(tmp)
        data = generate_dataset(work / "data", args.actors, seed=args.seed)
        with neo4j_server(work / "neo4j") as conn:
            env = child_env(work / "home", "neo4j", conn)
            ingest = run_measured([innograph_exe(), "ingest", str(data.path), "--quiet",
                                   "--no-analyse"], env=env, cwd=work, timeout=3600)
            if not ingest.ok:
                raise SystemExit(ingest.describe())
            analyse = run_measured([innograph_exe(), "analyse"], env=env, cwd=work,
                                   timeout=3600)
            if not analyse.ok:
                raise SystemExit(analyse.describe())
            store = open_store(conn.settings(), read_only=True)
            try:
                g = project(store)
                facts, index = prepare(g)
                rnd = random.Random(args.seed)
                fields = [d for _, d in g.nodes(data=True) if d.get("label") == "Field"]
                texts = [str(f["name"]) for f in fields]
                texts += [str(k) for f in fields for k in (f.get("keywords") or [])]
                rnd.shuffle(texts)
                texts = texts[: args.needs]
                cypher_ms, local_ms, via_ms, plain_ms, pools = [], [], [], [], []
                for text in texts:
                    seen: dict[str, object] = {}

                    def retrieve(terms: list[str], related: list[str],
                                 seen: dict[str, object] = seen) -> set[str] | None:
                        t0 = time.perf_counter()
                        got = store.match_candidates(terms=terms, fields=related)
                        seen.update(ms=(time.perf_counter() - t0) * 1000, terms=terms,
                                    related=related, got=got)
                        return got

                    t0 = time.perf_counter()
                    via = match(g, text=text, retrieve=retrieve)
                    via_ms.append((time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    plain = match(g, text=text)
                    plain_ms.append((time.perf_counter() - t0) * 1000)
                    if via.matches != plain.matches or seen.get("got") is None:
                        raise SystemExit(f"retrieval differs or did not run for {text!r}")
                    cypher_ms.append(float(seen["ms"]))  # type: ignore[arg-type]
                    t0 = time.perf_counter()
                    terms = set(seen["terms"])  # type: ignore[call-overload]
                    pool = {index.uids[i] for i, doc in enumerate(index.doc_terms)
                            if doc & terms}
                    for fld in seen["related"]:  # type: ignore[attr-defined]
                        pool |= facts.actors_by_field.get(fld, set())
                    local_ms.append((time.perf_counter() - t0) * 1000)
                    if pool != seen["got"]:
                        raise SystemExit(f"pools differ for {text!r}")
                    pools.append(len(pool))
                nodes = g.number_of_nodes()
            finally:
                store.close()
    m = machine()

    def p(values: list[float]) -> str:
        return f"{fmt_ms(quantile(values, 0.5))} / {fmt_ms(quantile(values, 0.95))}"

    table = "\n".join([
        "## Matchmaking's candidate retrieval on Neo4j (`bench/bench_match_retrieval.py`)",
        "",
        f"{machine_line(m)} {args.actors:,} generated actors ({nodes:,} nodes) ingested "
        f"into a private Neo4j; {len(texts)} needs (field names and field keywords), "
        f"pools of {min(pools):,}–{max(pools):,} candidates (median "
        f"{int(quantile(pools, 0.5)):,}); every pool and every answer identical both ways.",
        "",
        "| measure | p50 / p95 |",
        "|---|---|",
        f"| pool from Neo4j (one Cypher query: full-text index of the match terms, field "
        f"relationships) | {p(cypher_ms)} |",
        f"| pool from the in-process index (set scan of the documents' terms) | "
        f"{p(local_ms)} |",
        f"| whole `match`, pool from Neo4j | {p(via_ms)} |",
        f"| whole `match`, pool in process | {p(plain_ms)} |",
        f"| `innograph analyse` with the terms written back (once per change) | "
        f"{analyse.wall_s:.1f} s |",
        f"| ingest (`--no-analyse`) | {ingest.wall_s:.1f} s |",
        "",
        f"Whole run {time.perf_counter() - started:.0f} s. Reproduce: "
        f"`.venv/bin/python bench/bench_match_retrieval.py --actors {args.actors} "
        f"--needs {args.needs}`.",
    ])
    print(table)
    if not args.no_write:
        write_section(START, END, f"{START}\n{table}\n{END}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
