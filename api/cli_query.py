"""Query commands: search, node, neighbors, path, recommend.

Actors are given by uid or by name/alias (ambiguous names list the candidates
and exit 2); ``--format json`` prints a list of objects, each with its ``uid``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli import (
    FormatOpt,
    WideOpt,
    YearOpt,
    app,
    fail,
    resolve_actor,
    store_at,
    store_quick,
    terms,
)
from api.output import Format, busy, emit

Kinds = Annotated[list[str] | None, typer.Option(
    "--kind", "-k", help="推荐的主体类别,代码或中文名(可重复),如 高校、Team")]
TopOpt = Annotated[int, typer.Option("--top", "-n", "--k", min=1, max=500,
                                     help="最多列出多少个")]


@app.command()
def search(text: str, label: Annotated[list[str] | None, typer.Option(
               "--label", "--kind", "-k", help="只查这些类别(代码或中文名,可重复)")] = None,
           limit: Annotated[int, typer.Option("--top", "-n", "--limit", min=1, max=500,
                                              help="最多列出多少个")] = 20,
           year: YearOpt = None, fmt: FormatOpt = Format.table, wide: WideOpt = False) -> None:
    """检索:按名称、别名或关键词的片段查找主体。"""
    label = terms("label", label, "--kind")
    with store_quick(year) as store:
        hits = store.search(text=text, labels=label, limit=limit)
    emit([{"uid": h.node.uid, "label": h.node.label, "name": h.node.name, "score": h.score,
           "matched": h.matched, "matched_text": h.matched_text} for h in hits], fmt,
         columns=["uid", "label", "name", "score", "matched", "matched_text"],
         narrow=["uid", "label", "name", "matched"], wide=wide)
    if fmt is Format.table and not hits:
        typer.echo(f"没有找到与“{text}”相关的主体", err=True)


@app.command()
def node(actor: str, fmt: FormatOpt = Format.table) -> None:
    """查看一个主体的全部属性与来源(人才的联系方式仅对有权限的角色显示)。"""
    from graph.settings import Settings
    from schemas.privacy import redact

    settings = Settings()
    with store_quick() as store:
        uid = resolve_actor(store, actor)
        n = store.get_node(uid=uid)
    data: dict[str, Any] = redact(
        n.label, {"uid": n.uid, "label": n.label, **n.model_dump(mode="json")}, settings.cli_role)
    if fmt is Format.table:
        from api.output import label_name
        from schemas.vocabularies import COLUMN_NAMES, VALUE_NAMES

        def readable(v: Any) -> Any:
            if isinstance(v, dict):  # provenance, extra columns: 键:值 pairs
                return ";".join(f"{COLUMN_NAMES.get(k, k)}:{readable(x)}" for k, x in v.items())
            if isinstance(v, bool):
                return "是" if v else "否"
            return VALUE_NAMES.get(v, v) if isinstance(v, str) else v

        shown = {**data, "label": label_name(n.label)}
        emit([{"property": COLUMN_NAMES.get(k, k), "value": readable(v)}
              for k, v in shown.items() if v not in (None, "", [], {})], fmt,
             title=f"{label_name(n.label)} {n.name}")
    else:
        emit([data], fmt)


@app.command()
def neighbors(actor: str, depth: Annotated[int, typer.Option(min=1, max=6)] = 1,
              rel_type: Annotated[list[str] | None, typer.Option(
                  "--type", "-t", help="只看这些关系类型(代码或中文,可重复)")] = None,
              label: Annotated[list[str] | None, typer.Option(
                  "--label", "--kind", "-k", help="只看这些类别(代码或中文名,可重复)")] = None,
              per_type: Annotated[int, typer.Option(min=1, max=1000,
                                                    help="每种关系最多展开多少个")] = 20,
              year: YearOpt = None, fmt: FormatOpt = Format.table) -> None:
    """邻居:一个主体各类关系的数量,以及按关系展开的邻居(每类有上限)。"""
    rel_type = terms("rel_type", rel_type, "--type")
    label = terms("label", label, "--kind")
    with store_at(year) as store:
        uid = resolve_actor(store, actor)
        hood = store.neighbors(uid=uid, depth=depth, rel_types=rel_type, labels=label,
                               per_type_limit=per_type)
    if fmt is Format.table:
        from api.output import rel_name

        typer.echo("关系数量:" + "、".join(f"{rel_name(k)} {v}" for k, v in hood.counts.items()))
    emit([n.model_dump() for n in hood.nodes], fmt, columns=["uid", "label", "name"],
         title=f"{hood.center.name}的邻居"
         + ("(每类关系只展开前若干个,可用 --per-type 放宽)" if hood.truncated else ""))


@app.command()
def path(source: str, target: str,
         k: Annotated[int, typer.Option("--top", "-n", "--k", min=1, max=20,
                                        help="最多给出几条路径")] = 3,
         max_hops: Annotated[int, typer.Option(min=1, max=6, help="最多经过几跳")] = 4,
         rel_type: Annotated[list[str] | None, typer.Option(
             "--type", "-t", help="只走这些关系类型(代码或中文,可重复)")] = None,
         year_from: Annotated[int | None, typer.Option(help="只看此年及以后的合作")] = None,
         year_to: Annotated[int | None, typer.Option(help="只看此年及以前的合作")] = None,
         via_hubs: Annotated[bool, typer.Option(
             "--via-hubs", help="也经过地区、领域、文件、计划")] = False,
         year: YearOpt = None, fmt: FormatOpt = Format.table) -> None:
    """查关系:两个主体之间最短的合作路径,以中文句子讲述。"""
    from graph.analytics.paths import (
        path_facts,
        path_sentence,
        path_story,
        path_types,
        shared_partners,
    )

    rel_type = terms("rel_type", rel_type, "--type")
    years = None
    if year_from is not None or year_to is not None:
        years = (year_from or 1900, year_to or 2100)
    types = path_types(rel_type, via_hubs=via_hubs)
    with store_at(year) as store:
        a, b = resolve_actor(store, source), resolve_actor(store, target)
        paths = store.shortest_paths(source=a, target=b, k=k, max_hops=max_hops,
                                     rel_types=types, years=years)
        edges, projects = path_facts(store, paths)
        shared = shared_partners(store, a, b, rel_types=rel_type, via_hubs=via_hubs)
    if not paths:
        typer.echo(f"{max_hops} 跳以内没有找到路径"
                   + ("" if via_hubs or rel_type else "(只经主体之间的关联;加 --via-hubs "
                      "可经地区、领域、文件等)"), err=True)
    emit([{"uid": f"{a}->{b}#{i + 1}", "hops": p.hops, "story": path_story(p, edges, projects),
           "sentence": path_sentence(p), "nodes": [n.uid for n in p.nodes]}
          for i, p in enumerate(paths)], fmt,
         columns=["hops", "story"] if fmt is Format.table else None)
    if fmt is Format.table and shared:
        names = "、".join(str(r["name"]) for r in shared[:10])
        typer.echo(f"共同伙伴 {len(shared)} 个:{names}" + ("等" if len(shared) > 10 else ""))


@app.command()
def recommend(actors: Annotated[list[str], typer.Argument(help="主体的标识或名称(可多个)")],
              kind: Kinds = None, k: TopOpt = 20,
              out: Annotated[Path | None, typer.Option(
                  "--out", "-o", help="另存为 .csv 或 .xlsx")] = None,
              year: YearOpt = None, fmt: FormatOpt = Format.table,
              wide: WideOpt = False) -> None:
    """合作伙伴推荐:附推荐理由;给多个主体即生成一份批量推荐清单。"""
    from api.tables import write_table
    from graph.analytics.recommend import recommend_many

    kind = terms("label", kind, "--kind")
    with store_at(year) as store:
        uids = [resolve_actor(store, a) for a in actors]
        names = {u: store.get_node(uid=u).name for u in uids}
        try:
            with busy(f"正在为 {len(uids)} 个主体计算推荐(首次需建立全图模型)…"):
                lists = recommend_many(store, uids, kinds=kind, k=k)
        except KeyError as exc:
            raise fail(f"图中没有主体 {exc}") from exc
    rows = [{"source": names[u], "source_uid": u, "rank": i + 1, **rec}
            for u in uids for i, rec in enumerate(lists[u])]
    for u in uids:
        if len(lists[u]) < k:
            from graph.analytics.recommend import NO_MORE

            typer.echo(f"{names[u]}: 推荐 {len(lists[u])} 个;{NO_MORE}", err=True)
    cols = ["source", "rank", "uid", "label", "name", "score", "reason"]
    if out is not None:
        write_table(rows, out, columns=["source_uid", "source", "rank", "uid", "label", "name",
                                        "score", "structure", "content", "shared_partners",
                                        "shared_fields", "reason"])
        typer.echo(f"已写入 {len(rows)} 行:{out}", err=True)
    emit(rows, fmt, columns=cols if fmt is Format.table else None,
         narrow=(["source"] if len(uids) > 1 else []) + ["rank", "name", "score", "reason"],
         wide=wide)
