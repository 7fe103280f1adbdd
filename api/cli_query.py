"""Query commands: search, node, neighbors, path, recommend.

Actors are given by uid or by name/alias (ambiguous names list the candidates
and exit 2); ``--format json`` prints a list of objects, each with its ``uid``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli import FormatOpt, app, fail, resolve_actor, store_from_env, terms
from api.output import Format, emit
from schemas.ontology import label_codes, rel_type_codes

Kinds = Annotated[list[str] | None, typer.Option("--kind", help="label to propose, repeatable")]


@app.command()
def search(text: str, label: Annotated[list[str] | None, typer.Option("--label")] = None,
           limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
           fmt: FormatOpt = Format.table) -> None:
    """Find actors by a Chinese name, alias or keyword substring."""
    with store_from_env(read_only=True) as store:
        hits = store.search(text=text, labels=label, limit=limit)
    emit([{"uid": h.node.uid, "label": h.node.label, "name": h.node.name, "score": h.score,
           "matched": h.matched, "matched_text": h.matched_text} for h in hits], fmt,
         columns=["uid", "label", "name", "score", "matched", "matched_text"])


@app.command()
def node(actor: str, fmt: FormatOpt = Format.table) -> None:
    """Show one node with its provenance (personal data only for privileged roles)."""
    from graph.settings import Settings
    from schemas.privacy import redact

    settings = Settings()
    with store_from_env(read_only=True) as store:
        uid = resolve_actor(store, actor)
        n = store.get_node(uid=uid)
    data: dict[str, Any] = redact(
        n.label, {"uid": n.uid, "label": n.label, **n.model_dump(mode="json")}, settings.cli_role)
    if fmt is Format.table:
        emit([{"field": k, "value": v} for k, v in data.items() if v not in (None, "", [], {})],
             fmt, title=f"{n.label} {n.name}")
    else:
        emit([data], fmt)


@app.command()
def neighbors(actor: str, depth: Annotated[int, typer.Option(min=1, max=6)] = 1,
              rel_type: Annotated[list[str] | None, typer.Option("--type")] = None,
              label: Annotated[list[str] | None, typer.Option("--label")] = None,
              per_type: Annotated[int, typer.Option(min=1, max=1000)] = 20,
              fmt: FormatOpt = Format.table) -> None:
    """An actor's neighbourhood: counts per relationship type, then the capped expansion."""
    rel_type = terms(rel_type_codes, rel_type, "--type")
    label = terms(label_codes, label, "--label")
    with store_from_env(read_only=True) as store:
        uid = resolve_actor(store, actor)
        hood = store.neighbors(uid=uid, depth=depth, rel_types=rel_type, labels=label,
                               per_type_limit=per_type)
    if fmt is Format.table:
        typer.echo("counts: " + ", ".join(f"{k} {v}" for k, v in hood.counts.items()))
    emit([n.model_dump() for n in hood.nodes], fmt, columns=["uid", "label", "name"],
         title=f"{hood.center.name}" + (" (truncated)" if hood.truncated else ""))


@app.command()
def path(source: str, target: str, k: Annotated[int, typer.Option(min=1, max=20)] = 3,
         max_hops: Annotated[int, typer.Option(min=1, max=6)] = 4,
         rel_type: Annotated[list[str] | None, typer.Option("--type")] = None,
         year_from: Annotated[int | None, typer.Option()] = None,
         year_to: Annotated[int | None, typer.Option()] = None,
         via_hubs: Annotated[bool, typer.Option(
             "--via-hubs", help="also through regions, fields, documents, programmes")] = False,
         fmt: FormatOpt = Format.table) -> None:
    """查关系: shortest collaboration paths between two actors, as Chinese sentences."""
    from graph.analytics.paths import (
        path_facts,
        path_sentence,
        path_story,
        path_types,
        shared_partners,
    )

    rel_type = terms(rel_type_codes, rel_type, "--type")
    years = None
    if year_from is not None or year_to is not None:
        years = (year_from or 1900, year_to or 2100)
    types = path_types(rel_type, via_hubs=via_hubs)
    with store_from_env(read_only=True) as store:
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
def recommend(actors: Annotated[list[str], typer.Argument(help="uids or names")],
              kind: Kinds = None, k: Annotated[int, typer.Option(min=1, max=500)] = 20,
              out: Annotated[Path | None, typer.Option(help="write .csv or .xlsx")] = None,
              fmt: FormatOpt = Format.table) -> None:
    """Partner recommendations with reasons; several actors make a batch list."""
    from api.tables import write_table
    from graph.analytics.recommend import recommend_many

    kind = terms(label_codes, kind, "--kind")
    with store_from_env(read_only=True) as store:
        uids = [resolve_actor(store, a) for a in actors]
        names = {u: store.get_node(uid=u).name for u in uids}
        try:
            lists = recommend_many(store, uids, kinds=kind, k=k)
        except KeyError as exc:
            raise fail(f"unknown actor {exc}") from exc
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
        typer.echo(f"wrote {len(rows)} rows to {out}", err=True)
    emit(rows, fmt, columns=cols if fmt is Format.table else None)
