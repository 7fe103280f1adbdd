"""``innograph eval linkpred``: the link-prediction evaluation (a stable contract)."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli import eval_app, fail
from api.output import Format, busy, emit

if TYPE_CHECKING:
    from graph.analytics.linkpred import Participation


def read_participations(path: Path) -> list[Participation]:
    """Read ``project_id,actor_id,actor_type,year[,field]`` (UTF-8, BOM tolerated)."""
    from graph.analytics.linkpred import Participation

    rows: list[Participation] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"project_id", "actor_id", "actor_type", "year"} - set(reader.fieldnames or [])
        if missing:
            raise fail(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            try:
                year = int(str(row["year"]).strip())
            except ValueError as exc:
                raise fail(f"{path}:{line}: column 'year': not a year: {row['year']!r}") from exc
            rows.append(Participation(row["project_id"].strip(), row["actor_id"].strip(),
                                      (row["actor_type"] or "other").strip(), year,
                                      (row.get("field") or "").strip()))
    return rows


def _read_sources(path: Path) -> list[str]:
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8-sig").splitlines()]
    lines = [ln.split(",")[0] for ln in lines if ln]
    return lines[1:] if lines and lines[0] == "actor_id" else lines


@eval_app.command("linkpred")
def linkpred(
    participations: Annotated[Path, typer.Option("--participations", exists=True,
                                                 dir_okay=False)],
    train_until: Annotated[int, typer.Option("--train-until")],
    test_until: Annotated[int | None, typer.Option("--test-until")] = None,
    sources: Annotated[Path | None, typer.Option("--sources", exists=True,
                                                 dir_okay=False)] = None,
    source_type: Annotated[str | None, typer.Option("--source-type")] = None,
    candidate_types: Annotated[str | None, typer.Option("--candidate-types")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=1000)] = 50,
    out: Annotated[Path | None, typer.Option("--out")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """按时间切分,比较本系统的推荐与共同邻居、Adamic-Adar、资源分配指标。"""
    from graph.analytics.linkpred import run_eval

    started = time.perf_counter()
    rows = read_participations(participations)
    with busy(f"正在评测链接预测({len(rows)} 条参与记录)…"):
        result = run_eval(rows, train_until=train_until, test_until=test_until,
                          sources=_read_sources(sources) if sources else None,
                          source_type=source_type,
                          candidate_types=candidate_types.split(",") if candidate_types
                          else None, k=k)
    if out is not None:
        with out.open("w", encoding="utf-8") as fh:
            for actor, recs in result.recommendations.items():
                fh.write(json.dumps({"actor_id": actor, "recommendations": [
                    {"actor_id": a, "score": round(s, 6)} for a, s in recs]},
                    ensure_ascii=False) + "\n")
    table = [{"method": m, "hits@10": round(x.hits10, 4), "hits@50": round(x.hits50, 4),
              "mrr": round(x.mrr, 4), "precision@10": round(x.precision10, 4),
              "sources": x.sources, "positives": x.positives}
             for m, x in result.metrics.items()]
    chosen = ", ".join(f"{m} {v:.4f}" for m, v in result.validation.items())
    typer.echo(f"innograph 采用的排序:{result.mode}"
               + (f"(最近一次较早切分上的验证 MRR:{chosen})" if chosen else ""),
               err=True)
    if not any(x.positives for x in result.metrics.values()):
        typer.echo("无可评分:给定的来源在测试期没有正例"
                   f"(已排序 {len(result.recommendations)} 个)", err=True)
    emit(table, fmt, title=f"链接预测:训练截至 {train_until} 年,"
         f"{result.train_actors} 个主体、{result.train_edges} 条边,"
         f"测试对 {result.test_positives} 个,用时 {time.perf_counter() - started:.1f} 秒")


@eval_app.command("match")
def match_eval(
    data: Annotated[Path | None, typer.Option(
        "--data", exists=True, file_okay=False,
        help="生成数据的目录(innograph generate);默认现在生成一份")] = None,
    actors: Annotated[int, typer.Option("--actors", min=300, max=200_000)] = 3000,
    seed: Annotated[int, typer.Option("--seed", help="生成城市的随机种子")] = 11,
    needs: Annotated[int, typer.Option("--needs", min=1, max=10_000)] = 300,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """在生成的需求上比较匹配与单纯 BM25(分级相关性,nDCG@10、P@5)。"""
    import tempfile

    from graph.analytics.computed import project
    from graph.analytics.match_eval import evaluate, labelled_needs
    from graph.backends.embedded import EmbeddedStore
    from ingest.generate.core import GenerateConfig, generate
    from ingest.pipeline import run_ingest

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="innograph-eval-") as tmp:
        folder = data
        if folder is None:
            folder = Path(tmp) / "data"
            generate(folder, GenerateConfig(actors=actors, seed=seed))
        store = EmbeddedStore(None)
        store.open()
        run_ingest(store, [folder], report_dir=Path(tmp) / "reports")
        g = project(store)
    import json as _json

    from graph.analytics.match_eval import product_needs
    from ingest.generate.vocab import DATA_DIR

    leaves = _json.loads((DATA_DIR / "fields.json").read_text(encoding="utf-8"))["leaves"]
    sets = {"需求原文": labelled_needs(g, limit=needs, seed=seed),
            "产品短需求": product_needs(g, {x["name"]: x["products"] for x in leaves},
                                   limit=needs, seed=seed)}
    if not sets["需求原文"]:
        raise fail("数据中没有带描述且有相关团队的需求")
    table = []
    for name, labelled in sets.items():
        with busy("正在评测匹配…"):
            result = evaluate(g, labelled)
        table += [{"needs": name, "method": m, "n": result.needs, **vals}
                  for m, vals in result.metrics.items()]
        typer.echo(f"{name}: {result.needs} needs, {result.candidates} candidate teams; the "
                   f"need's own field inferred for {result.inferred:.0%}", err=True)
    typer.echo(f"{time.perf_counter() - started:.1f} s", err=True)
    emit(table, fmt, title="matchmaking: nDCG@10 and precision@5 (own field)")
