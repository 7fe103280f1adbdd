"""Views and subgraphs for other tools: GraphML and GEXF (Gephi), and flat rows for tables.

networkx's writers take scalar attributes only, one type per attribute name;
store records hold lists (aliases, keywords) and the same property can be an
int on one node and a float on another. :func:`export_graph` makes a copy that
the writers accept and that Gephi shows well:

* each node's ``label`` is its name (what Gephi draws), its ontology label is
  ``kind`` and ``kind_zh``; each relationship has ``rel_type`` (GEXF keeps
  ``type`` for directed/undirected), ``type_zh`` and a ``label`` with the
  Chinese reading, and ``virtual`` for the view's own edges;
* lists become strings joined with "、", None values are dropped;
* an attribute with mixed number types becomes float, with any other mix str;
* derived search fields go, and personal data (phone, e-mail, ID numbers)
  goes unless the caller may see it.

Rows for CSV/XLSX come from :func:`node_rows` and :func:`edge_rows`; the API
layer writes them (``api/tables.py``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from graph.viz.style import kind_zh, rel_zh
from graph.viz.views import View
from schemas.nodes import NODE_MODELS
from schemas.privacy import personal_fields

DERIVED = frozenset({"name_norm", "search_text", "name_keys"})
GRAPH_FORMATS = ("graphml", "gexf")
RENAMED = {"start": "char_start", "end": "char_end", "key": "rel_key", "type": "rel_type"}
"""Relationship fields GEXF reserves, renamed on the way out: ``start``/``end`` are time
spells, ``key`` the edge key, ``type`` directed/undirected/mutual (Gephi rejects others)."""
ENDPOINTS = frozenset({"uid", "source", "target"})
NODE_COLUMNS = ["uid", "kind", "kind_zh", "name", "role", "aliases", "keywords",
                "prov_source", "prov_method", "prov_confidence"]
EDGE_COLUMNS = ["source", "source_name", "type", "type_zh", "target", "target_name", "virtual",
                "year", "first_year", "last_year", "weight", "prov_source", "prov_method",
                "prov_confidence"]


def _scalar(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def _unify(items: Sequence[dict[str, Any]]) -> None:
    """Give every attribute one type across items (bool, int, float or str)."""
    kinds: dict[str, set[type]] = {}
    for data in items:
        for k, v in data.items():
            kinds.setdefault(k, set()).add(type(v))
    for k, types in kinds.items():
        if len(types) <= 1:
            continue
        if types <= {int, float}:
            cast: type = float
        else:
            cast = str
        for data in items:
            if k in data:
                data[k] = cast(data[k])


def _graph_of(view: View | nx.MultiDiGraph) -> nx.MultiDiGraph:
    return view.graph if isinstance(view, View) else view


def export_graph(view: View | nx.MultiDiGraph, *,
                 include_sensitive: bool = False) -> nx.MultiDiGraph:
    """A copy of the view's graph with scalar, single-typed attributes (see the module doc)."""
    g = _graph_of(view)
    out = nx.MultiDiGraph()
    if isinstance(view, View):
        out.graph.update(title=view.title, view=view.kind)
    node_data: list[dict[str, Any]] = []
    for u, d in g.nodes(data=True):
        kind = str(d.get("label") or "")
        hidden = set(DERIVED)
        if not include_sensitive and kind in NODE_MODELS:
            hidden |= personal_fields(kind)
        data = {k: _scalar(v) for k, v in d.items() if k not in hidden and v is not None}
        data.update(uid=str(d.get("uid", u)), kind=kind, kind_zh=kind_zh(kind),
                    label=str(d.get("name", u)))
        node_data.append(data)
    _unify(node_data)
    for u, data in zip(g.nodes, node_data, strict=True):
        out.add_node(str(u), **data)
    edge_data: list[dict[str, Any]] = []
    keys = []
    for u, v, key, d in g.edges(keys=True, data=True):
        data = {RENAMED.get(k, k): _scalar(val) for k, val in d.items()
                if val is not None and k not in ENDPOINTS}
        rel_type = str(d.get("type", ""))
        data.update(rel_type=rel_type, type_zh=rel_zh(rel_type), label=rel_zh(rel_type),
                    virtual=bool(d.get("virtual", False)))
        edge_data.append(data)
        keys.append((str(u), str(v), str(key)))
    _unify(edge_data)
    for (u, v, key), data in zip(keys, edge_data, strict=True):
        out.add_edge(u, v, key=key, **data)
    return out


def graphml_bytes(view: View | nx.MultiDiGraph, *, include_sensitive: bool = False) -> bytes:
    """GraphML of the view (UTF-8)."""
    buf = io.BytesIO()
    nx.write_graphml(export_graph(view, include_sensitive=include_sensitive), buf,
                     encoding="utf-8")
    return buf.getvalue()


def gexf_bytes(view: View | nx.MultiDiGraph, *, include_sensitive: bool = False) -> bytes:
    """GEXF 1.2 of the view (UTF-8), as Gephi opens it."""
    buf = io.BytesIO()
    nx.write_gexf(export_graph(view, include_sensitive=include_sensitive), buf,
                  encoding="utf-8")
    return buf.getvalue()


def graph_bytes(view: View | nx.MultiDiGraph, fmt: str, *,
                include_sensitive: bool = False) -> bytes:
    """GraphML or GEXF by name.

    Raises:
        ValueError: another format.
    """
    if fmt == "graphml":
        return graphml_bytes(view, include_sensitive=include_sensitive)
    if fmt == "gexf":
        return gexf_bytes(view, include_sensitive=include_sensitive)
    raise ValueError(f"不认识的图格式 '{fmt}';可用:{'、'.join(GRAPH_FORMATS)}")


def write_graph(view: View | nx.MultiDiGraph, path: Path, *,
                include_sensitive: bool = False) -> Path:
    """Write GraphML (``.graphml``) or GEXF (``.gexf``) by the file's suffix."""
    path.write_bytes(graph_bytes(view, path.suffix.lower().lstrip("."),
                                 include_sensitive=include_sensitive))
    return path


def node_rows(view: View | nx.MultiDiGraph) -> list[dict[str, Any]]:
    """One row per node: uid, kind, name, role, aliases, keywords, provenance."""
    g = _graph_of(view)
    rows = []
    for u, d in g.nodes(data=True):
        kind = str(d.get("label") or "")
        rows.append({"uid": d.get("uid", u), "kind": kind, "kind_zh": kind_zh(kind),
                     "name": d.get("name", u), "role": d.get("role", ""),
                     "aliases": d.get("aliases") or [], "keywords": d.get("keywords") or [],
                     "prov_source": d.get("prov_source", ""),
                     "prov_method": d.get("prov_method", ""),
                     "prov_confidence": d.get("prov_confidence")})
    return rows


def edge_rows(view: View | nx.MultiDiGraph) -> list[dict[str, Any]]:
    """One row per relationship, view-only ones (``virtual``) included."""
    g = _graph_of(view)
    rows = []
    for u, v, d in g.edges(data=True):
        rel_type = str(d.get("type", ""))
        rows.append({"source": u, "source_name": g.nodes[u].get("name", u), "type": rel_type,
                     "type_zh": rel_zh(rel_type), "target": v,
                     "target_name": g.nodes[v].get("name", v),
                     "virtual": bool(d.get("virtual", False)), "year": d.get("year"),
                     "first_year": d.get("first_year"), "last_year": d.get("last_year"),
                     "weight": d.get("weight"), "prov_source": d.get("prov_source", ""),
                     "prov_method": d.get("prov_method", ""),
                     "prov_confidence": d.get("prov_confidence")})
    return rows
