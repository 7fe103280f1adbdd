"""``innograph gaps …``: cooperation-gap tables (fields, isolated actors, holes, plan targets).

Every command reads the table of the store's current version that ``innograph
analyse`` (run after every ingest) saved, or computes it from a streamed
projection of the store with one pure function of :mod:`graph.analytics.gaps` or
:mod:`graph.analytics.targets`; it prints a table (Chinese headers), JSON
(English keys) or CSV (Chinese headers), or writes ``--out FILE.csv`` /
``FILE.xlsx`` for a spreadsheet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli import FormatOpt, WideOpt, YearOpt, app, fail, store_from_env, years_of
from api.output import Format, busy, emit

if TYPE_CHECKING:
    import networkx as nx

gaps_app = typer.Typer(help="缺口分析:合作缺口的各张表,可排序、可导出。",
                       no_args_is_help=True)
app.add_typer(gaps_app, name="gaps")



class IsolatedKind(StrEnum):
    """The kinds of ``gaps isolated --kind`` (graph.analytics.gaps.IsolatedKind).

    Mirrored because option types are needed when the command is registered, and
    importing the gap analytics (networkx) would slow every command's start;
    ``tests/unit/test_cli_startup.py`` checks that the two agree.
    """

    enterprise_no_partner = "enterprise_no_partner"
    platform_no_enterprise = "platform_no_enterprise"
    team_no_enterprise = "team_no_enterprise"
    high_tech_no_university = "high_tech_no_university"


OutOpt = Annotated[Path | None, typer.Option(
    "--out", "-o", dir_okay=False, help="改为写入 文件.csv 或 文件.xlsx")]


def localise(rows: Sequence[Mapping[str, Any]],
             columns: Mapping[str, str]) -> list[dict[str, Any]]:
    """Rows keyed by the Chinese column names, in the order of ``columns``."""
    return [{zh: row.get(key) for key, zh in columns.items()} for row in rows]


CompareOpt = Annotated[str | None, typer.Option(
    "--compare", help="与另一年份对比(如 2018):数值列按两个年份并排,并给出变化")]

COMPARE_KEYS: dict[str, str] = {"fields": "field_uid", "isolated": "uid", "targets": "target_uid",
                                "platforms": "kind", "tiers": "tier", "alliances": "alliance_uid"}
"""The column that identifies a row across years, per table (community numbers are not
stable between years: those tables are compared by their summaries only)."""


def _table(name: str, *, year: str | None = None, **params: Any) -> list[dict[str, Any]]:
    """Gap table ``name`` of the store's current version (saved, or computed now), or of
    the graph as it stood in ``year``."""
    return _tables(name, [year], **params)[0]


def _tables(name: str, years: Sequence[str | None], **params: Any) -> list[list[dict[str, Any]]]:
    """Gap table ``name`` as of each of ``years`` (None: now), the store opened once."""
    from graph.analytics.computed import Computed

    specs = [years_of(y) for y in years]
    with store_from_env(read_only=True) as store, busy("正在计算缺口表(已保存的直接读取)…"):
        now = Computed(store, store.version())
        return [now.at(spec).table(name, **params) for spec in specs]


def _rows(name: str, columns: Mapping[str, str], *, year: str | None, compare: str | None,
          **params: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The rows of a gap table and their columns; with ``compare``, that year's rows
    beside them (``c@年份`` columns and their change)."""
    from graph.analytics.asof import compare_rows, short

    if compare is None:
        return _table(name, year=year, **params), dict(columns)
    key = COMPARE_KEYS.get(name)
    if key is None:
        raise fail("这张表不能按年份对比(各年的社区编号不同);可分别用 --year 查看", code=2)
    rows, before = _tables(name, [year, compare], **params)
    early, late = short(years_of(compare)), short(years_of(year))
    merged = compare_rows(before, rows, key=key, labels=(early, late))
    present = {c for r in merged for c in r}
    cols: dict[str, str] = {}
    for k, zh in columns.items():
        if f"{k}@变化" in present:
            cols.update({f"{k}@{early}": f"{zh}({early})", f"{k}@{late}": f"{zh}({late})",
                         f"{k}@变化": f"{zh}变化"})
        else:
            cols[k] = zh
    return merged, cols


def _graph(year: str | None = None) -> nx.MultiDiGraph:
    from graph.analytics.computed import Computed

    years = years_of(year)
    with store_from_env(read_only=True) as store, busy("正在读取全图…"):
        return Computed(store, store.version()).at(years).graph


def _when(year: str | None, compare: str | None) -> str:
    """"(截至2019年)", "(2018年 对比 当前)" or ""."""
    from graph.analytics.asof import describe

    now = describe(years_of(year))
    if compare:
        return f"({describe(years_of(compare))} 对比 {now or '当前'})"
    return f"({now})" if now else ""


@app.command("analyse")
def analyse_cmd() -> None:
    """计算并保存缺口分析结果(领域缺口、孤立主体、合作社区、结构洞、规划目标)和伙伴推荐模型。

    每次改变了图谱的装载之后自动运行;其他写入(合并、审核决定)之后
    请手动运行,使请求读取当前版本已算好的结果表,而不必现算。
    """
    import time

    from graph.analytics.computed import analyse, summary

    started = time.perf_counter()
    with store_from_env() as store, busy("正在计算并保存缺口分析结果和推荐模型…"):
        counts = analyse(store)
    typer.echo(f"已保存分析结果：{summary(counts)}；用时 {time.perf_counter() - started:.1f} 秒")


NARROW: dict[str, list[str]] = {
    "fields": ["field", "demand", "supply", "linked_demand", "gap_score"],
    "isolated": ["kind_name", "name", "uid", "reason"],
    "holes": ["demand_label", "supply_label", "bridges", "hole_score", "brokers"],
    "communities": ["community", "label", "size", "demand", "supply", "balance"],
    "targets": ["metric", "value", "unit", "actual", "percent", "status"],
    "platforms": ["kind_name", "count", "recent", "targets"],
    "tiers": ["tier", "count", "certified", "targets"],
    "alliances": ["community", "alliance", "members", "by_kind"],
}
"""The columns of each gap table that a narrow terminal shows (the rest: --wide)."""

COMPARE_NARROW: dict[str, list[str]] = {
    "fields": ["field", "demand", "supply", "gap_score"],
    "isolated": ["kind_name", "name", "partners"],
    "targets": ["metric", "actual", "percent"],
    "platforms": ["kind_name", "count"],
    "tiers": ["tier", "count", "tagged"],
    "alliances": ["alliance", "members"],
}
"""The columns a comparison of two years shows in a table (the rest: --wide)."""



def _show(rows: list[dict[str, Any]], columns: Mapping[str, str], fmt: Format,
          out: Path | None, title: str, *, notes: Mapping[str, str] | None = None,
          summary: tuple[list[dict[str, Any]], Mapping[str, str]] | None = None,
          table: str = "", wide: bool = False) -> None:
    """A gap table: to a file (XLSX with its summary and 说明 sheets), as JSON or CSV for
    machines, or as a table for people with the summary before and the column
    definitions (``notes``, by key) after it."""
    zh_notes = {columns[k]: v for k, v in (notes or {}).items() if k in columns}
    if out is not None:
        from api.tables import notes_rows, write_table

        if out.suffix.lower() not in (".csv", ".xlsx"):
            raise fail(f"--out 须以 .csv 或 .xlsx 结尾,收到的是 '{out.name}'")
        extra = []
        if summary is not None:
            extra.append(("汇总", localise(summary[0], summary[1]), list(summary[1].values())))
        if zh_notes:
            extra.append(("说明", notes_rows(zh_notes), ["列", "定义"]))
        write_table(localise(rows, columns), out, columns=list(columns.values()), extra=extra)
        typer.echo(f"已写入 {len(rows)} 行:{out}", err=True)
        return
    if fmt is Format.json:
        emit(rows, fmt)
        return
    if fmt is Format.csv:  # for programs: the machine keys, as JSON has them
        emit(rows, fmt, columns=list(columns))
        return
    if fmt is Format.table and summary is not None:
        emit(localise(summary[0], summary[1]), fmt, title=f"{title}:汇总",
             columns=list(summary[1].values()))
    if fmt is Format.table and not wide and any("@" in k for k in columns):
        # two years side by side triple the numbers: a table shows the chosen ones
        keep = COMPARE_NARROW.get(table, [])
        columns = {k: zh for k, zh in columns.items() if k.split("@")[0] in keep} or columns
        typer.echo("对比表只显示主要列;--wide 或 --format csv 查看全部", err=True)
    emit(localise(rows, columns), fmt, title=title, columns=list(columns.values()),
         narrow=[zh for k, zh in columns.items() if k.split("@")[0] in NARROW.get(table, [])]
         or None, wide=wide)
    if fmt is Format.table and zh_notes:
        from api.output import readable

        typer.echo("注:")
        for col, text in zh_notes.items():
            typer.echo(f"  {col}:{readable(text)}")


@gaps_app.command("fields")
def fields_cmd(
    rollup: Annotated[bool, typer.Option(
        "--rollup", help="只列一级领域,细分领域计入上级")] = False,
    projects: Annotated[bool, typer.Option(
        "--projects/--no-projects", help="把该领域的共同项目计为对接")] = True,
    min_demand: Annotated[int, typer.Option("--min-demand", min=0,
                                            help="需求少于此数的领域不列出")] = 0,
    year: YearOpt = None, compare: CompareOpt = None,
    fmt: FormatOpt = Format.table, out: OutOpt = None, wide: WideOpt = False,
) -> None:
    """领域供需缺口:各领域的需求主体、供给主体与对接链接,缺口大者在前。"""
    from graph.analytics.gaps import FIELD_GAP_COLUMNS, NOTES

    rows, cols = _rows("fields", FIELD_GAP_COLUMNS, year=year, compare=compare, rollup=rollup,
                       via_projects=projects, min_demand=min_demand)
    _show(rows, cols, fmt, out,
          f"领域供需缺口{_when(year, compare)}(缺口分 = 未对接需求主体数 × 需求占比)",
          notes=NOTES["fields"], table="fields", wide=wide)


@gaps_app.command("isolated")
def isolated_cmd(
    kind: Annotated[list[IsolatedKind] | None, typer.Option(
        "--kind", "-k", help="只列这些类别(可重复)")] = None,
    year: YearOpt = None, compare: CompareOpt = None,
    fmt: FormatOpt = Format.table, out: OutOpt = None, wide: WideOpt = False,
) -> None:
    """孤立主体:缺少应有合作伙伴的企业、平台与团队。"""
    from graph.analytics.gaps import (
        ISOLATED_COLUMNS,
        ISOLATED_SUMMARY_COLUMNS,
        NOTES,
        isolated_summary,
    )

    kinds = [k.value for k in kind] if kind else None
    rows, cols = _rows("isolated", ISOLATED_COLUMNS, year=year, compare=compare, kinds=kinds)
    summary = None if compare else (isolated_summary(rows), ISOLATED_SUMMARY_COLUMNS)
    _show(rows, cols, fmt, out, f"孤立主体 {len(rows)} 个{_when(year, compare)}",
          notes=NOTES["isolated"], summary=summary, table="isolated", wide=wide)


@gaps_app.command("holes")
def holes_cmd(
    seed: Annotated[int, typer.Option(help="社区发现(Leiden)的随机种子")] = 42,
    resolution: Annotated[float, typer.Option(min=0.01, max=100.0,
                                              help="社区发现(Leiden)的分辨率")] = 1.0,
    threshold: Annotated[float, typer.Option(
        min=0.0, max=0.99, help="供需倾向超过此值的社区才算需求型或供给型")
    ] = 0.0,
    max_bridges: Annotated[int | None, typer.Option(
        "--max-bridges", min=0, help="只列桥接边不超过此数的社区对")] = None,
    communities: Annotated[bool, typer.Option(
        "--communities", help="改为列出社区本身")] = False,
    year: YearOpt = None, compare: CompareOpt = None,
    fmt: FormatOpt = Format.table, out: OutOpt = None, wide: WideOpt = False,
) -> None:
    """结构洞:桥接很少的需求型与供给型合作社区对(结构洞分最高的前 10000 对),及中介主体。"""
    from graph.analytics.gaps import COMMUNITY_COLUMNS, HOLE_COLUMNS, NOTES

    if communities:
        rows, cols = _rows("communities", COMMUNITY_COLUMNS, year=year, compare=compare,
                           seed=seed, resolution=resolution, threshold=threshold)
        _show(rows, cols, fmt, out, f"合作社区{_when(year, compare)}(社区发现,随机种子 {seed})",
              notes=NOTES["communities"], table="communities", wide=wide)
        return
    rows, cols = _rows("holes", HOLE_COLUMNS, year=year, compare=compare, seed=seed,
                       resolution=resolution, threshold=threshold,
                  max_bridges=max_bridges)
    _show(rows, cols, fmt, out, f"结构洞{_when(year, compare)}(社区发现,随机种子 {seed})",
          notes=NOTES["holes"],
          table="holes", wide=wide)


@gaps_app.command("targets")
def targets_cmd(
    rules: Annotated[Path | None, typer.Option(
        "--rules", exists=True, dir_okay=False, help="计数规则(YAML),"
        "代替自带的 graph/analytics/data/target_rules.yaml")] = None,
    year: YearOpt = None, compare: CompareOpt = None,
    fmt: FormatOpt = Format.table, out: OutOpt = None, wide: WideOpt = False,
) -> None:
    """规划目标完成情况:每项目标与图谱中的实际数量对照,并给出所用的查询。"""
    from graph.analytics.targets import (
        TARGET_COLUMNS,
        TARGET_NOTES,
        TargetRulesError,
        load_target_rules,
        plan_targets,
    )

    try:
        loaded = load_target_rules(rules)
    except TargetRulesError as exc:
        raise fail(str(exc)) from exc
    if rules is None:
        rows, cols = _rows("targets", TARGET_COLUMNS, year=year, compare=compare)
    else:
        rows, cols = plan_targets(_graph(year), rules=loaded), dict(TARGET_COLUMNS)
    _show(rows, cols, fmt, out, f"规划目标完成情况{_when(year, compare)}", notes=TARGET_NOTES,
          table="targets", wide=wide)


@gaps_app.command("platforms")
def platforms_cmd(year: YearOpt = None, compare: CompareOpt = None,
    fmt: FormatOpt = Format.table, out: OutOpt = None, wide: WideOpt = False) -> None:
    """平台类别:按工作要点的十五类平台(三.7)与级别计数,对照目标。"""
    from graph.analytics.systems import NOTES, PLATFORM_COLUMNS

    rows, cols = _rows("platforms", PLATFORM_COLUMNS, year=year, compare=compare)
    _show(rows, cols, fmt, out, f"创新平台(按工作要点15类){_when(year, compare)}",
          notes=NOTES["platforms"], table="platforms", wide=wide)


@gaps_app.command("tiers")
def tiers_cmd(year: YearOpt = None, compare: CompareOpt = None,
    fmt: FormatOpt = Format.table, out: OutOpt = None, wide: WideOpt = False) -> None:
    """企业梯次:科技型中小企业 → 高新技术企业 → 创新50强,对照工作要点的目标。"""
    from graph.analytics.systems import NOTES, TIER_COLUMNS

    rows, cols = _rows("tiers", TIER_COLUMNS, year=year, compare=compare)
    _show(rows, cols, fmt, out, f"科技型企业梯次{_when(year, compare)}", notes=NOTES["tiers"],
          table="tiers", wide=wide)


@gaps_app.command("alliances")
def alliances_cmd(year: YearOpt = None, compare: CompareOpt = None,
    fmt: FormatOpt = Format.table, out: OutOpt = None, wide: WideOpt = False) -> None:
    """共同体联盟:各共同体的利益联盟及其成员。"""
    from graph.analytics.systems import ALLIANCE_COLUMNS, NOTES

    rows, cols = _rows("alliances", ALLIANCE_COLUMNS, year=year, compare=compare)
    _show(rows, cols, fmt, out, f"共同体利益联盟{_when(year, compare)}",
          notes=NOTES["alliances"], table="alliances", wide=wide)
