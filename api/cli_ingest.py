"""CLI commands of the ingest feature: ingest, review, unmerge, resolve."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli import FormatOpt, WideOpt, app, eval_app, fail, store_from_env
from api.output import Format, busy, emit
from graph.errors import GraphError
from ingest.errors import IngestError

if TYPE_CHECKING:
    from rich.progress import Progress

    from graph.settings import Settings
    from graph.store import GraphStore
    from ingest.review import ReviewQueue
    from schemas.ingest_report import IngestReport

review_app = typer.Typer(help="审核装载时排队的疑似重名。",
                         no_args_is_help=True)
app.add_typer(review_app, name="review")

REVIEW_FILE = "review.json"
REPORTS_DIR = "reports"


def review_queue(settings: Settings) -> ReviewQueue:
    """The review queue of the store home (``<home>/review.json``)."""
    from ingest.review import ReviewQueue

    try:
        return ReviewQueue(settings.home / REVIEW_FILE)
    except IngestError as exc:
        raise fail(str(exc)) from exc


class _Bar:
    """Adapts the pipeline's progress protocol to one reused rich progress task."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("ingest", total=None)

    def start(self, description: str, total: int | None) -> None:
        self.progress.reset(self.task, total=total, description=description)

    def advance(self, steps: int = 1) -> None:
        self.progress.advance(self.task, steps)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="数据文件或目录")],
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", "-m", help="数据旁没有映射文件时使用的映射文件")] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", help="报告 JSON 的保存位置(默认 <home>/reports/)")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1,
                                            help="每批写入的节点或关系数")] = 5000,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="不显示进度条和表格,只输出一行")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出报告")] = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="有任何一行被拒绝时以退出码 2 结束")] = False,
    analyse: Annotated[bool, typer.Option(
        "--analyse/--no-analyse",
        help="图谱有变化时,装载后计算并保存缺口表和推荐模型"
             "(即 innograph analyse)")] = True,
    force: Annotated[bool, typer.Option(
        "--force", help="即使输入文件、映射和图谱自上次装载以来都未变,也重新处理全部输入")]
        = False,
) -> None:
    """装载名录文件(CSV、XLSX、JSON、JSONL),按数据旁的映射文件解读。

    给出文件夹时,装载其中旁边有 <文件>.mapping.yaml 的每个数据文件,
    按映射文件声明的顺序(见 docs/mapping.md)。被拒绝的行写入报告,
    模糊匹配进入待审核队列(innograph review list)。
    文件夹中没有可装载的文件(没有数据文件,或都没有映射文件)时报错
    (退出码 1),在写入任何内容之前检查。

    输入文件、映射文件和图谱自上次装载以来都没有变化时,不再重新读取,
    也不写入,报告沿用上次的读取与拒绝结果;加 --force 则重新处理。
    """
    from datetime import UTC, datetime

    from graph.settings import Settings
    from ingest import uptodate

    _check_folders(paths)
    settings = Settings()
    queue = review_queue(settings)
    started = datetime.now(UTC)
    try:
        inputs = uptodate.inputs_digest(paths, mapping)
    except IngestError as exc:
        raise fail(str(exc)) from exc
    where = _store_where(settings)
    # the embedded store's snapshot is saved once, while the analysis waits for the
    # recommender's fit (store.checkpoint below), or at the end of this bulk context
    with store_from_env() as store, store.bulk():
        previous = None if force else uptodate.check(
            settings.home, inputs=inputs, state=uptodate.store_state(store, where),
            review=settings.home / REVIEW_FILE)
        if previous is not None:
            rep = _repeated(previous, started, report, settings.home / REPORTS_DIR)
            if analyse and _analysis_stale(store):
                _analyse(store)
            _say(rep, quiet=quiet, as_json=as_json)
            if strict and rep.rejected:
                raise typer.Exit(2)
            return
        early = _EarlyAnalysis(store) if analyse else None
        try:
            if quiet or as_json:
                rep = _run(store, paths, mapping, queue, batch_size, None, report,
                           settings.home / REPORTS_DIR, early)
            else:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                )

                columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TimeElapsedColumn())
                with Progress(*columns, transient=True) as progress:
                    bar = _Bar(progress)
                    if early is not None:
                        early.bar = bar
                    rep = _run(store, paths, mapping, queue, batch_size, bar, report,
                               settings.home / REPORTS_DIR, early)
        except BaseException as exc:
            if early is not None:
                early.cancel()  # a fit started while the writes failed
            if isinstance(exc, IngestError | GraphError):
                raise fail(str(exc)) from exc
            raise
        if early is not None and early.job is not None:
            try:
                early.save()
            except GraphError as exc:
                raise fail(f"导入已完成，但分析结果未能保存：{exc}") from exc
        elif analyse and _analysis_stale(store):
            _analyse(store)
        try:
            store.checkpoint()  # the record below describes the saved store
            uptodate.record(settings.home, inputs=inputs,
                            state=uptodate.store_state(store, where),
                            review=settings.home / REVIEW_FILE, report=rep)
        except GraphError as exc:
            raise fail(str(exc)) from exc
    _say(rep, quiet=quiet, as_json=as_json)
    if strict and rep.rejected:
        raise typer.Exit(2)


def _analyse(store: GraphStore) -> None:
    """The analysis after the writes (the data saved while it waits for the fit)."""
    from graph.analytics.computed import analyse as run_analysis

    def save_data() -> None:
        try:
            store.checkpoint()
        except GraphError as exc:  # the data, not the analysis, is what failed
            raise fail(str(exc)) from exc

    try:
        run_analysis(store, meanwhile=save_data)
    except GraphError as exc:
        raise fail(f"导入已完成，但分析结果未能保存：{exc}") from exc


def _say(rep: IngestReport, *, quiet: bool, as_json: bool) -> None:
    if as_json:
        typer.echo(rep.model_dump_json(indent=2))
    elif quiet:
        typer.echo(_one_line(rep))
    else:
        print_summary(rep)


def _store_where(settings: Settings) -> str:
    """Which store the environment names (a record of the last run is valid for it only)."""
    if settings.store == "neo4j":
        local = settings.with_local_neo4j()
        return f"{local.neo4j_uri}/{local.neo4j_database}"
    return str((settings.home / "store").resolve())


def _repeated(previous: IngestReport, started: Any, report: Path | None,
              report_dir: Path) -> IngestReport:
    """The report of a run that repeats the recorded one, saved as a run's report is."""
    from ingest.pipeline import file_report
    from ingest.uptodate import repeated_report

    rep = repeated_report(previous, started=started)
    try:
        file_report(rep, report_path=report, report_dir=report_dir)
    except IngestError as exc:
        raise fail(str(exc)) from exc
    return rep


def folder_problem(folder: Path) -> str | None:
    """Why ``innograph ingest`` would find nothing to ingest in ``folder`` (None: it would).

    The tables are found as the pipeline finds them (:func:`ingest.pipeline.discover`);
    the reason names the data files that lack a mapping, or says there are none.

    Raises:
        IngestError: a mapping in the folder is invalid.
    """
    from ingest.mapping.spec import mapping_path_for
    from ingest.pipeline import discover
    from ingest.sources import DATA_SUFFIXES

    jobs, _ = discover([folder])
    if jobs:
        return None
    data = [f for f in sorted(folder.iterdir())
            if f.is_file() and f.suffix.lower() in DATA_SUFFIXES]
    unmapped = [f.name for f in data if mapping_path_for(f) is None]
    if not data:
        return (f"错误：目录 {folder} 中没有可导入的表：没有数据文件"
                f"（可导入的类型：{'、'.join(DATA_SUFFIXES)}）")
    if unmapped:
        shown = "、".join(unmapped[:10]) + (f" 等 {len(unmapped)} 个" if len(unmapped) > 10
                                             else "")
        return (f"错误：目录 {folder} 中没有可导入的表：数据文件都缺少映射文件：{shown}。"
                f"请在每个数据文件旁放一个 <文件名>.mapping.yaml（如 {unmapped[0]}.mapping.yaml，"
                "见 docs/mapping.md），或用 innograph ingest 文件 --mapping 映射文件 指定")
    return f"错误：目录 {folder} 中没有可导入的表：映射文件没有声明任何表"


def _check_folders(paths: Sequence[Path]) -> None:
    """Exit 1 with the reason when a folder given holds nothing to ingest."""
    for p in paths:
        if not p.is_dir():
            continue  # files are checked by the pipeline, which names a missing mapping
        try:
            problem = folder_problem(p)
        except IngestError as exc:
            raise fail(str(exc)) from exc
        if problem:
            typer.echo(problem, err=True)
            raise typer.Exit(1)


def _analysis_stale(store: GraphStore) -> bool:
    """Whether the saved analysis is not of the graph as it now is: the run wrote or
    merged (every commit bumps the store version), or nothing was analysed yet. A run
    that changed nothing keeps the analysis saved for the version it left."""
    saved = store.load_derived(name="gap-tables")
    return saved is None or saved[0] != store.version()


def _wants_analysis(store: GraphStore, rep: IngestReport) -> bool:
    """An ingest analyses when it changed the graph, or when nothing was analysed yet."""
    return bool(rep.created or rep.updated or rep.merged
                or store.load_derived(name="gap-tables") is None)


class _EarlyAnalysis:
    """The analysis of a first load through a writer thread (Neo4j), computed while the
    database writes the last batches (the run's ``landing``) and saved after."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.bar: _Bar | None = None
        self.job: Any = None

    def __call__(self, rep: IngestReport, records: Any) -> None:
        import logging

        from graph import collector
        from graph.analytics.computed import Analysis

        if not _wants_analysis(self.store, rep):
            return
        if self.bar is not None:
            self.bar.start("分析:缺口表、合作社区、推荐模型", None)
        # the run's pause of full collections goes on until the results are saved: one
        # between would walk the whole projection for nothing (5 s at 100,000 actors)
        collector.hold()
        job = Analysis(self.store, records=records)
        try:
            job.compute()
        except Exception as exc:  # the data goes on; the analysis runs again after it
            collector.release()
            logging.getLogger("innograph.ingest").warning(
                "分析未能在写入的同时完成，将在写入后重新计算：%s", exc)
            return
        self.job = job

    def save(self) -> None:
        """Save the results (the writes are in)."""
        from graph import collector

        try:
            self.job.save()
        finally:
            self.job = None
            collector.release()

    def cancel(self) -> None:
        """Give the results up (the run failed)."""
        from graph import collector

        if self.job is not None:
            self.job.cancel()
            self.job = None
            collector.release()


def _run(store: GraphStore, paths: list[Path], mapping: Path | None, queue: ReviewQueue,
         batch_size: int, bar: _Bar | None, report: Path | None,
         report_dir: Path, early: _EarlyAnalysis | None = None) -> IngestReport:
    from ingest.pipeline import run_ingest

    return run_ingest(store, paths, mapping=mapping, review=queue, batch_size=batch_size,
                      progress=bar, report_path=report, report_dir=report_dir, landing=early)


def _one_line(rep: IngestReport) -> str:
    if rep.up_to_date:
        return (f"输入文件、映射文件和图谱自上次装载以来都没有变化,未重新读取({rep.rows_read} 行,"
                f"拒绝 {len(rep.rejected)},同上次);用时 {rep.elapsed_seconds:.1f} 秒;"
                f"报告 {rep.report_path}(要重新处理请加 --force)")
    return (f"读取 {rep.rows_read} 行:接受 {rep.accepted},拒绝 {len(rep.rejected)};"
            f"新建 {rep.created},更新 {rep.updated},未变 {rep.unchanged};"
            f"合并 {len(rep.merged)},待审核 {len(rep.queued_for_review)};"
            f"用时 {rep.elapsed_seconds:.1f} 秒;报告 {rep.report_path}")


def print_summary(rep: IngestReport, *, max_rejects: int = 10) -> None:
    """Print the report as rich tables: writes per label/type, files, first rejects."""
    from rich.console import Console
    from rich.table import Table

    from api.output import label_name, rel_name

    console = Console()
    writes = Table(title="写入")
    for col in ("类别", "名称", "新建", "更新", "未变"):
        writes.add_column(col, justify="right" if col in ("新建", "更新", "未变") else "left")
    for kind, counts, name_of in (("节点", rep.nodes, label_name),
                                  ("关系", rep.relationships, rel_name)):
        for name, s in sorted(counts.items()):
            writes.add_row(kind, name_of(name), str(s.created), str(s.updated),
                           str(s.unchanged))
    console.print(writes)
    files = Table(title="文件")
    for col in ("文件", "行数", "接受", "拒绝", "编码"):
        files.add_column(col, overflow="fold")
    for f in rep.files:
        name = Path(f.file).name + (f"[{f.sheet}]" if f.sheet else "")
        files.add_row(name, str(f.rows_read), str(f.accepted), str(f.rejected),
                      f.encoding or "")
    console.print(files)
    if rep.rejected:
        rej = Table(title=f"被拒绝的行(前 {min(max_rejects, len(rep.rejected))} 条,"
                          f"共 {len(rep.rejected)} 条;全部见报告)")
        for col in ("位置", "列", "原因"):
            rej.add_column(col, overflow="fold")
        for r in rep.rejected[:max_rejects]:
            rej.add_row(r.locator, r.column, r.reason)
        console.print(rej)
    for f in rep.files:
        for w in f.warnings:
            console.print(f"[yellow]注意[/yellow] {Path(f.file).name}:{w}")
    for w in rep.warnings:
        console.print(f"[yellow]注意[/yellow] {w}")
    console.print(_one_line(rep))


# ---------------------------------------------------------------------------- review
@review_app.command("list")
def review_list(
    status: Annotated[str, typer.Option(
        "--status", help="pending(待审核)、accepted、rejected 或 all")] = "pending",
    fmt: FormatOpt = Format.table, wide: WideOpt = False,
) -> None:
    """列出待审核的疑似重名:一个新主体,以及它可能就是的已有主体。"""
    from graph.settings import Settings

    if status not in ("pending", "accepted", "rejected", "all"):
        raise fail(f"--status 应为 pending、accepted、rejected 或 all,收到 '{status}'")
    queue = review_queue(Settings())
    items = queue.items(status=None if status == "all" else status)
    rows = [{"id": i.id, "status": i.status, "label": i.label, "name": i.name, "uid": i.uid,
             "source": i.source,
             "candidates": [f"{c.name} ({c.uid}, {c.score:.2f})" for c in i.candidates],
             "merge_id": i.merge_id or ""} for i in items]
    if fmt is Format.json:
        typer.echo(json.dumps([i.model_dump(mode="json") for i in items], ensure_ascii=False,
                              indent=2))
        return
    shown = {"pending": "待审核", "accepted": "已接受", "rejected": "已拒绝", "all": "全部"}
    emit(rows, fmt, title=f"待审核的疑似重名({shown[status]})",
         columns=["id", "status", "label", "name", "uid", "source", "candidates", "merge_id"],
         narrow=["id", "status", "name", "candidates"], wide=wide)
    if fmt is Format.table and rows:
        typer.echo("接受:innograph review accept 编号;拒绝:innograph review reject 编号",
                   err=True)


@review_app.command("accept")
def review_accept(
    item_id: Annotated[str, typer.Argument(help="审核项编号(见 review list)")],
    candidate: Annotated[str | None, typer.Option(
        "--candidate", help="并入的候选标识(默认得分最高者)")] = None,
) -> None:
    """接受匹配:把新节点并入候选(可用 unmerge 撤销)。"""
    from graph.settings import Settings

    queue = review_queue(Settings())
    with store_from_env() as store:
        try:
            record = queue.accept(item_id, store=store, candidate=candidate)
        except IngestError as exc:
            raise fail(str(exc)) from exc
    typer.echo(f"已把 {'、'.join(record.merged)} 合并到 {record.kept}:{record.merge_id}"
               f"(撤销:innograph unmerge {record.merge_id})")


@review_app.command("reject")
def review_reject(
    item_id: Annotated[str, typer.Argument(help="审核项编号(见 review list)")],
    note: Annotated[str, typer.Option("--note", help="不同的理由")] = "",
) -> None:
    """拒绝匹配:新节点与候选是不同的主体。"""
    from graph.settings import Settings

    queue = review_queue(Settings())
    try:
        item = queue.reject(item_id, note=note)
    except IngestError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"{item.id}: kept '{item.name}' ({item.uid}) apart from "
               f"{', '.join(c.uid for c in item.candidates)}")


@app.command()
def unmerge(merge_id: Annotated[str, typer.Argument(help="合并编号(来自 review accept)")]
            ) -> None:
    """撤销一次合并:恢复被合并的节点及其关系。"""
    from graph.settings import Settings

    settings = Settings()
    with store_from_env() as store:
        try:
            record = store.unmerge(merge_id=merge_id)
        except GraphError as exc:
            raise fail(str(exc)) from exc
    item = review_queue(settings).reopen_merge(merge_id)
    typer.echo(f"已恢复 {'、'.join(record.merged)}(原由 {merge_id} 合并到 {record.kept})"
               + (f";审核项 {item.id} 重新待审" if item else ""))


# ---------------------------------------------------------------------------- resolve
def _kind(kind: str | None) -> str | None:
    if kind is None:
        return None
    from schemas.nodes import NODE_MODELS

    by_lower = {lb.lower(): lb for lb in NODE_MODELS}
    label = by_lower.get(kind.lower())
    if label is None:
        raise fail(f"不认识的类别 '{kind}'(可用:{'、'.join(NODE_MODELS)})")
    return label


def _graph_exists(settings: Settings) -> bool:
    if settings.store != "embedded":
        return True
    from graph.backends.catalog import SNAPSHOT

    return (settings.home / "store" / SNAPSHOT).exists()


@app.command()
def resolve(
    names: Annotated[list[str], typer.Argument(help="要解析的名称")],
    kind: Annotated[str | None, typer.Option(
        "--kind", "-k", help="只在这一类别中解析(如 企业、高校)")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """名称解析:每个名称是哪个主体(标识、名称、类别、得分与规则),或列出候选
    (状态“所属单位”给出校区或分支机构所属的主体)。

    有图谱时查图谱(只读打开);随附的名录词典总会使用。
    """
    from graph.factory import open_store
    from graph.settings import Settings
    from ingest.resolve import Resolver

    label = _kind(kind)
    settings = Settings()
    store: GraphStore | None = None
    note = "仅用名录(尚无图谱)"
    if _graph_exists(settings):
        try:
            store = open_store(settings, read_only=True)
            note = "图谱与名录"
        except GraphError as exc:
            note = f"仅用名录(图谱不可用:{exc})"
    try:
        resolver = Resolver(store=store)
        rows: list[dict[str, Any]] = []
        for name in names:
            res = resolver.resolve(name, label=label)
            if res.status == "matched":
                rows.append({"query": name, "status": "matched", "uid": res.uid,
                             "name": res.name, "kind": res.label,
                             "score": round(float(res.score), 4), "rule": res.rule})
            elif res.status == "ambiguous":
                for c in res.candidates:
                    rows.append({"query": name, "status": "candidate", "uid": c.uid,
                                 "name": c.name, "kind": c.label,
                                 "score": round(float(c.score), 4), "rule": c.rule})
            elif res.parent is not None:
                # a campus or branch: not the entity itself, but where it belongs
                p = res.parent
                rows.append({"query": name, "status": "branch_of", "uid": p.uid,
                             "name": p.name, "kind": p.label,
                             "score": round(float(p.score), 4), "rule": p.rule})
            else:
                rows.append({"query": name, "status": "none", "uid": None, "name": None,
                             "kind": None, "score": None, "rule": None})
    except IngestError as exc:
        raise fail(str(exc)) from exc
    finally:
        if store is not None:
            store.close()
    emit(rows, fmt, title=f"名称解析({note})",
         columns=["query", "status", "uid", "name", "kind", "score", "rule"])


@eval_app.command("resolve")
def eval_resolve(
    pairs: Annotated[str, typer.Argument(
        metavar="PAIRS.csv", help="含 variant、canonical、kind 列的 CSV(kind 为 "
                                  "negative 表示两个不得合并的不同主体)")],
    show: Annotated[bool, typer.Option(
        "--show-errors", help="同时列出每个错误合并与漏合并")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """名称解析按变体类型的精确率与召回率(只用名录,不用图谱),在真实名称变体对上评测。"""
    from ingest.resolve import Resolver
    from ingest.resolve.errors import GazetteerError
    from ingest.resolve.evaluate import judge, read_pairs, summarise

    try:
        items = read_pairs(pairs)
    except (GazetteerError, ValueError) as exc:
        raise fail(str(exc)) from exc
    with busy(f"正在解析 {len(items)} 对名称…"):
        outcomes = judge(Resolver(), items)
    rows, precision = summarise(outcomes)
    emit([r.row() for r in rows], fmt,
         title=f"{pairs}: {len(items)} 对, 精确率 {precision:.3f}")
    if show:
        bad = [{"行": o.pair.line, "类型": o.pair.kind, "变体": o.pair.variant,
                "应为": o.pair.canonical, "结果": o.verdict, "答案": o.answer}
               for o in outcomes if o.verdict in ("false_merge", "missed")]
        emit(bad, fmt, title="错误合并与未合并")
