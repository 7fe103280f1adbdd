"""``innograph viz``: views as offline HTML pages, GraphML/GEXF for Gephi, CSV/XLSX tables.

The file name decides the format: ``--out view.html`` (default), ``.json``
(vis-network data), ``.graphml``, ``.gexf``, ``.csv`` or ``.xlsx`` (one table:
``--table nodes``, ``edges`` or a table the view was built from). Actors and
fields are given by uid, name or alias.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli import YearOpt, app, fail, resolve_actor, store_at, terms, years_of

if TYPE_CHECKING:
    from graph.viz.views import View

viz_app = typer.Typer(help="视图:离线 HTML 页面,并可导出为 GraphML、GEXF、CSV、XLSX。",
                      no_args_is_help=True)
app.add_typer(viz_app, name="viz")

Out = Annotated[Path, typer.Option(
    "--out", "-o", help="输出文件:.html、.json、.graphml、.gexf、.csv 或 .xlsx")]
Table = Annotated[str | None, typer.Option(
    "--table", help="csv:nodes(默认)、edges 或视图自带的表;xlsx 默认为整本工作簿(节点、关系、"
                    "视图的表与说明),给出表名则只导出该表")]
SUFFIXES = (".html", ".json", ".graphml", ".gexf", ".csv", ".xlsx")


def save_view(view: View, out: Path, *, table: str | None = None,
              group_by: str = "label", year: str | None = None) -> None:
    """Write a view to ``out`` in the format its suffix names, and say what was written.

    ``group_by`` (``label`` or ``community``) groups a page over the hard cap.
    """
    years = years_of(year)
    if years is not None:
        import dataclasses

        from graph.analytics.asof import describe

        view = dataclasses.replace(view, title=f"{view.title}({describe(years)})")
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise fail(f"不支持的输出格式“{suffix}”,可选:{'、'.join(SUFFIXES)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".html":
        from graph.viz import render
        from graph.viz.offline import external_references

        html = render.render_html(view, aggregate_by=group_by)
        leaks = external_references(html)
        if leaks:  # the template guarantees none; a leak here is a bug, not a warning
            raise fail(f"页面会从外部加载 {leaks[0]},未写出")
        out.write_text(html, encoding="utf-8")
    elif suffix == ".json":
        from graph.viz import render

        payload = render.vis_payload(view, aggregate_by=group_by)
        out.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    elif suffix in (".graphml", ".gexf"):
        from graph.settings import Settings
        from graph.viz.export import write_graph
        from schemas.privacy import may_see_personal

        write_graph(view, out, include_sensitive=may_see_personal(Settings().cli_role))
    elif suffix == ".xlsx" and table in (None, "all"):
        from api.tables import view_xlsx_bytes

        out.write_bytes(view_xlsx_bytes(view))
    else:
        from api.tables import write_table
        from graph.viz.export import EDGE_COLUMNS, NODE_COLUMNS, edge_rows, node_rows

        table = table or "nodes"
        if table == "nodes":
            rows, columns = node_rows(view), NODE_COLUMNS
        elif table == "edges":
            rows, columns = edge_rows(view), EDGE_COLUMNS
        elif table in view.tables:
            rows, columns = view.tables[table], None
        else:
            raise fail(f"视图中没有表“{table}”,可选:nodes、edges"
                       + "".join(f"、{t}" for t in view.tables))
        write_table(rows, out, columns=columns)
    n, m = view.size
    typer.echo(f"已写入 {out}({view.title}:{n} 个节点,{m} 条关系)", err=True)


@viz_app.command("ego")
def viz_ego(actor: str, out: Out = Path("ego.html"),
            depth: Annotated[int, typer.Option(min=1, max=6)] = 1,
            per_type: Annotated[int, typer.Option(min=1, max=1000,
                                                  help="每类关系新增的邻居数上限")] = 20,
            limit: Annotated[int, typer.Option(min=1, max=10_000)] = 300,
            rel_type: Annotated[list[str] | None, typer.Option("--type")] = None,
            label: Annotated[list[str] | None, typer.Option("--label")] = None,
            table: Table = None, year: YearOpt = None) -> None:
    """一个主体的关系网络(若干度,每类关系有上限)。"""
    from graph.viz.views import ego_view

    with store_at(year) as store:
        uid = resolve_actor(store, actor)
        view = ego_view(store, uid, depth=depth, per_type_limit=per_type, limit=limit,
                        rel_types=rel_type, labels=label)
    save_view(view, out, table=table, year=year)


@viz_app.command("path")
def viz_path(source: str, target: str, out: Out = Path("path.html"),
             k: Annotated[int, typer.Option(min=1, max=20)] = 3,
             max_hops: Annotated[int, typer.Option(min=1, max=6)] = 4,
             rel_type: Annotated[list[str] | None, typer.Option("--type")] = None,
             via_hubs: Annotated[bool, typer.Option(
                 "--via-hubs", help="也经过地区、领域、文件")] = False,
             table: Table = None, year: YearOpt = None) -> None:
    """两个主体之间的最短路径,附中文叙述。"""
    from graph.viz.views import path_view

    with store_at(year) as store:
        a, b = resolve_actor(store, source), resolve_actor(store, target)
        view = path_view(store, a, b, k=k, max_hops=max_hops, rel_types=rel_type,
                         via_hubs=via_hubs)
    save_view(view, out, table=table, year=year)


@viz_app.command("gap")
def viz_gap(field: str, out: Out = Path("gap.html"),
            per_demand: Annotated[int, typer.Option(min=1, max=20)] = 3,
            table: Table = None, year: YearOpt = None) -> None:
    """一个领域的需求方、供给方及其间缺少的合作。"""
    from graph.viz.views import gap_view

    with store_at(year) as store:
        uid = resolve_actor(store, field)
        g = store.subgraph()
    save_view(gap_view(g, uid, per_demand=per_demand), out, table=table, year=year)


@viz_app.command("recommend")
def viz_recommend(actor: str, out: Out = Path("recommend.html"),
                  k: Annotated[int, typer.Option(min=1, max=100)] = 10,
                  kind: Annotated[list[str] | None, typer.Option("--kind")] = None,
                  table: Table = None, year: YearOpt = None) -> None:
    """一个主体的推荐伙伴及其共同伙伴。"""
    from graph.analytics.computed import Computed
    from graph.analytics.recommend import recommend_partners
    from graph.viz.views import recommend_view

    with store_at(year) as store:
        uid = resolve_actor(store, actor)
        comp = Computed(store, store.version())
        g = comp.graph
        try:
            recs = recommend_partners(store, uid, kinds=kind, k=k, computed=comp)
        except KeyError as exc:
            raise fail(f"图中没有主体 {exc}") from exc
    save_view(recommend_view(g, uid, recs), out, table=table, year=year)


@viz_app.command("community")
def viz_community(platform: Annotated[str | None, typer.Argument(
                      help="共同体平台;不填为全图概览")] = None,
                  out: Out = Path("community.html"),
                  detect: Annotated[bool, typer.Option(help="按社区着色(Leiden)")] = False,
                  label: Annotated[list[str] | None, typer.Option(
                      "--label", "--kind", "-k", help="只看这些类别")] = None,
                  group_by: Annotated[str, typer.Option(
                      help="全图概览按 label(类型)、field(领域)或 community(社区)聚合")] = "label",
                  expand: Annotated[list[str] | None, typer.Option(
                      help="展开为成员的组,如 kind:Enterprise(可重复)")] = None,
                  table: Table = None, year: YearOpt = None) -> None:
    """共同体视图:成员与关系;不填平台时为全图概览(按类型、领域或社区聚合,可逐组展开)。"""
    from graph.viz.views import GROUP_BY, OVERVIEW_MAX_NODES, aggregate, community_view

    if group_by not in GROUP_BY:
        raise fail(f"--group-by 可选:{'、'.join(GROUP_BY)}", code=2)
    with store_at(year) as store:
        uid = resolve_actor(store, platform) if platform else None
        g = store.subgraph()
    view = community_view(g, platform=uid, labels=terms("label", label, "--kind"),
                          detect=detect)
    if uid is None and (expand or view.size[0] > OVERVIEW_MAX_NODES):
        view = aggregate(view, by=group_by, expand=expand or ())
    save_view(view, out, table=table, group_by=group_by, year=year)


@viz_app.command("subgraph")
def viz_subgraph(actors: Annotated[list[str], typer.Argument(help="标识或名称")],
                 out: Out = Path("subgraph.graphml"),
                 depth: Annotated[int, typer.Option(min=1, max=6)] = 1,
                 limit: Annotated[int, typer.Option(min=1, max=10_000)] = 2000,
                 table: Table = None, year: YearOpt = None) -> None:
    """几个主体及其关系网络:导出到 Gephi 的单位。"""
    from graph.viz.views import subgraph_view

    with store_at(year) as store:
        uids = [resolve_actor(store, a) for a in actors]
        view = subgraph_view(store, uids, depth=depth, limit=limit)
    save_view(view, out, table=table, year=year)
