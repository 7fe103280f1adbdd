"""Views to vis-network data and to self-contained pyvis pages that work with no network.

Speed comes from doing the work on the server and letting the browser only
draw: positions come from :mod:`graph.viz.layout` (cached), physics is off
above :data:`PHYSICS_MAX_NODES` nodes so nothing is simulated before the first
frame, edges are straight above that size, and a view over
:data:`HARD_CAP_NODES` nodes is aggregated (:func:`graph.viz.views.aggregate`)
rather than sent to freeze the page.

Offline: pyvis's own template links bootstrap from a CDN even with
``cdn_resources="in_line"``. Pages here use the template in ``templates/`` and
inline vis-network's JavaScript and CSS from the copy shipped inside the pyvis
package (vis-network 9.1.2, dual Apache-2.0/MIT, its licence header kept). A
Content-Security-Policy in the page forbids any request at all, so a mistake
shows up as a console error, not as traffic.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyvis
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from pyvis.network import Network

from graph.viz.layout import LAYOUTS, LayoutCache
from graph.viz.style import (
    FONT_FACE,
    GROUP,
    ROLE_ZH,
    edge_tooltip,
    kind_style,
    legend,
    node_tooltip,
    rel_color,
    rel_zh,
)
from graph.viz.views import View, aggregate

PHYSICS_MAX_NODES = 300
GROUP_FONT = 24
"""Label size (px at zoom 1) of a group in an aggregated view."""
MEMBER_FONT = 20
"""Label size of a member shown in an opened group of an overview."""
"""Above this many nodes the page shows the server layout as is (no simulation)."""
SMOOTH_MAX_EDGES = 600
"""Curved edges cost a support point each; above this many edges they are straight."""
HARD_CAP_NODES = 6000
"""Above this many nodes a view is aggregated by kind (or community)."""
HARD_CAP_EDGES = 30000
"""Above this many relationships too."""
SCALE = 110.0
"""Pixels per unit of layout length (the ideal edge length) in large views."""
SMALL_SCALE = 170.0
"""The same in views with physics: few nodes, room for their long Chinese names."""

ROLE_BORDERS: dict[str, tuple[str, int]] = {
    "center": ("#111111", 4),
    "source": ("#111111", 4),
    "target": ("#111111", 4),
    "community": ("#111111", 4),
    "recommended": ("#0a84ff", 3),
    "demand": ("#e67e22", 3),
    "supply": ("#27ae60", 3),
    "field": ("#9b59b6", 3),
}
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39")
"""Community colours (a categorical palette; the 15th community reuses the first)."""

VIS_DIR = Path(pyvis.__file__).resolve().parent / "templates" / "lib" / "vis-9.1.2"
"""vis-network as shipped inside pyvis: the page inlines it, the explorer serves it."""
TEMPLATES = Path(__file__).resolve().parent / "templates"


def vis_network_js() -> Path:
    """Path of vis-network's minified JavaScript (licence header included)."""
    return VIS_DIR / "vis-network.min.js"


def vis_network_css() -> Path:
    """Path of vis-network's stylesheet."""
    return VIS_DIR / "vis-network.css"


@lru_cache(maxsize=1)
def _env() -> Environment:
    # One environment for the process: Jinja compiles the page template, with
    # 700 kB of inlined vis-network, once instead of on every render.
    env = Environment(loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES)),
                                           FileSystemLoader(str(VIS_DIR.parent.parent))]),
                      autoescape=True)
    env.filters["fromjson"] = json.loads
    # Chinese as UTF-8 rather than \\uXXXX escapes (half the bytes), and no key sorting:
    # both matter on a 5,000-node page. HTML-significant characters stay escaped.
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
    return env


def _short(name: str, limit: int = 14) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def prepare(view: View, *, max_nodes: int = HARD_CAP_NODES,
            max_edges: int = HARD_CAP_EDGES, aggregate_by: str = "label") -> View:
    """The view itself, or its aggregate when it is over a hard cap."""
    n, m = view.size
    if n > max_nodes or m > max_edges:
        return aggregate(view, by=aggregate_by)
    return view


def _node_size(view: View, uid: str, degree: int) -> float:
    d = view.graph.nodes[uid]
    if d.get("label") == "Group":
        return min(12 + 2.5 * math.sqrt(float(d.get("count", 1))), 45)
    base = min(10 + 2 * math.log2(1 + degree), 24)
    return 28.0 if d.get("role") in ("center", "source", "target", "community") else base


def _node_color(background: str, border: str) -> dict[str, Any]:
    return {"background": background, "border": border,
            "highlight": {"background": background, "border": "#000000"},
            "hover": {"background": background, "border": "#000000"}}


def _vis_node(view: View, uid: str, pos: tuple[float, float], degree: int,
              color_by_community: bool, scale: float) -> dict[str, Any]:
    d = view.graph.nodes[uid]
    label = str(d.get("label") or "")
    role = str(d.get("role") or "")
    extra = list(d.get("view_facts") or [])
    if role in ROLE_ZH:
        extra.insert(0, f"角色:{ROLE_ZH[role]}")
    if "hop" in d and d["hop"] > 0:
        extra.append(f"距中心:{d['hop']} 度")
    if "community" in d:
        extra.append(f"社区:{d['community']}")
    title = (f"{d.get('name')}\n" + "\n".join(extra) if label == "Group"
             else node_tooltip(d, extra=extra))
    # Shape and colours come from the kind's group in the options: per-node
    # styles only where a node differs, which keeps a 5,000-node page small.
    node: dict[str, Any] = {
        "id": uid, "label": _short(str(d.get("name", uid))), "title": title,
        "group": label, "size": round(_node_size(view, uid, degree), 1),
        "x": round(pos[0] * scale, 1), "y": round(pos[1] * scale, 1),
    }
    background = kind_style(label).color
    if label == "Group":
        main = kind_style(str(d.get("main_label")))
        background = main.color
        node["shape"] = main.shape
    if color_by_community and "community" in d:
        background = community_colour(int(d["community"]))
    if role in ROLE_BORDERS or label == "Group" or color_by_community:
        border, width = ROLE_BORDERS.get(role, ("#ffffff", 1))
        node["color"] = _node_color(background, border)
        node["borderWidth"] = width
    if d.get("group_of"):
        node["group_of"] = str(d["group_of"])
    if label == "Group" or d.get("group_of"):
        # an overview is fitted whole into the page: its labels are drawn larger so that
        # they stay legible at the zoom that fits
        node["font"] = {"size": GROUP_FONT if label == "Group" else MEMBER_FONT}
    if role:
        node["role"] = role
    return node


KIND_ON_COMMUNITY = "#7a8593"
"""The colour of the kinds' legend symbols when colour stands for the community."""
COMMUNITY_LEGEND_MAX = 12
"""Communities listed by name in a legend; the smaller ones are summed up."""


def community_colour(community: int) -> str:
    """The fill of a node of ``community`` in a view coloured by community."""
    return PALETTE[community % len(PALETTE)]


def community_legend(communities: Any) -> list[dict[str, str]]:
    """Legend entries of the communities present (largest first), with their colours."""
    from collections import Counter

    counts = Counter(communities)
    ranked = sorted(counts.items(), key=lambda t: (-t[1], t[0]))
    out = [{"id": str(c), "zh": f"社区 {c}({n} 个)", "color": community_colour(c)}
           for c, n in ranked[:COMMUNITY_LEGEND_MAX]]
    rest = ranked[COMMUNITY_LEGEND_MAX:]
    if rest:
        out.append({"id": "", "zh": f"其余 {len(rest)} 个社区(共 {sum(n for _, n in rest)} 个)",
                    "color": "#dddddd"})
    return out


def _groups(labels: set[str]) -> dict[str, Any]:
    """vis-network groups: one per kind present, holding its shape and colours."""
    groups: dict[str, Any] = {}
    for label in sorted(labels):
        style = GROUP if label == "Group" else kind_style(label)
        groups[label] = {"shape": style.shape, "borderWidth": 1,
                         "color": _node_color(style.color, "#ffffff")}
    return groups


def _vis_edge(view: View, u: str, v: str, key: Hashable, d: Mapping[str, Any],
              with_label: bool) -> dict[str, Any]:
    rel_type = str(d.get("type", ""))
    g = view.graph
    virtual = bool(d.get("virtual"))
    if virtual and rel_type == "AGGREGATE":
        title = f"{g.nodes[u].get('name')} — {g.nodes[v].get('name')}\n关系 {d.get('weight')} 条:" \
                f"{d.get('description', '')}"
    else:
        title = edge_tooltip(d, source_name=str(g.nodes[u].get("name", u)),
                             target_name=str(g.nodes[v].get("name", v)))
    edge: dict[str, Any] = {"id": str(key), "from": u, "to": v, "title": title,
                            "type": rel_type, "color": {"color": rel_color(rel_type)}}
    if rel_type not in ("COOPERATES_WITH", "AGGREGATE", "MISSING"):
        edge["arrows"] = "to"
    if with_label:
        edge["label"] = str(d.get("label_text") or rel_zh(rel_type))
    if virtual and rel_type != "AGGREGATE":
        edge["dashes"] = True
        edge["width"] = 2
    if rel_type == "AGGREGATE":
        edge["width"] = round(min(1 + math.log2(1 + float(d.get("weight") or 1)), 12), 1)
    return edge


def vis_options(*, physics: bool, smooth: bool, large: bool) -> dict[str, Any]:
    """vis-network options for a view of the given size class."""
    return {
        "autoResize": True,
        "nodes": {"font": {"face": FONT_FACE, "size": 14, "color": "#1d2733",
                           "strokeWidth": 3, "strokeColor": "#ffffff"},
                  "scaling": {"label": {"drawThreshold": 5}}},
        "edges": {"font": {"face": FONT_FACE, "size": 11, "color": "#4a5560",
                           "strokeWidth": 3, "strokeColor": "#ffffff", "align": "middle"},
                  "smooth": {"enabled": True, "type": "continuous", "roundness": 0.3}
                  if smooth else {"enabled": False},
                  "arrows": {"to": {"enabled": False, "scaleFactor": 0.5}}, "width": 1,
                  "selectionWidth": 2,
                  "color": {"highlight": "#000000", "hover": "#000000", "opacity": 0.85}},
        # Pure repulsion within a node distance plus springs: it only tidies the
        # server layout. barnesHut's central gravity squeezed dense views (a
        # field's 80 actors and 300 links) into one overlapping lump.
        "physics": {"enabled": physics, "solver": "repulsion",
                    "repulsion": {"nodeDistance": 170, "centralGravity": 0.01,
                                  "springLength": 170, "springConstant": 0.02,
                                  "damping": 0.35},
                    "stabilization": {"enabled": True, "iterations": 120, "fit": True}},
        "layout": {"improvedLayout": False},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": large,
                        "hideEdgesOnZoom": large, "navigationButtons": False,
                        "keyboard": False},
    }


def vis_payload(view: View, *, layouts: LayoutCache = LAYOUTS,
                max_nodes: int = HARD_CAP_NODES, max_edges: int = HARD_CAP_EDGES,
                aggregate_by: str = "label", edge_labels: int = 2000) -> dict[str, Any]:
    """Everything the page or the explorer needs to draw a view, as JSON-ready data.

    Args:
        view: The view.
        layouts: Where layouts are cached.
        max_nodes: Hard cap before aggregation.
        max_edges: Hard cap on relationships before aggregation.
        aggregate_by: ``label`` or ``community``.
        edge_labels: Above this many edges the reading is in the tooltip and
            legend only (thousands of labels are unreadable and slow to draw).

    Returns:
        ``{"kind", "title", "notes", "center", "nodes", "edges", "options",
        "legend", "stats"}``; ``stats`` says whether the view was aggregated
        and whether physics runs.
    """
    shown = prepare(view, max_nodes=max_nodes, max_edges=max_edges, aggregate_by=aggregate_by)
    g = shown.graph
    n, m = shown.size
    pairs = [(u, v) for u, v in g.edges() if u != v]
    fixed = shown.positions is not None and all(u in shown.positions for u in g.nodes)
    # a view with its own arrangement (the gap view's columns) keeps it: no physics
    physics = n <= PHYSICS_MAX_NODES and not fixed
    large = n > PHYSICS_MAX_NODES
    pos = shown.positions if fixed and shown.positions is not None else layouts.layout_edges(
        list(g.nodes), pairs, center=shown.center)
    scale = SMALL_SCALE if physics else SCALE
    community = any("community" in d for _, d in g.nodes(data=True))
    neighbours: dict[str, set[str]] = {u: set() for u in g.nodes}
    for u, v in pairs:
        neighbours[u].add(v)
        neighbours[v].add(u)
    nodes = [_vis_node(shown, u, pos[u], len(neighbours[u]), community, scale)
             for u in g.nodes]
    with_labels = m <= edge_labels
    edges = [_vis_edge(shown, u, v, k, d, with_labels)
             for u, v, k, d in g.edges(keys=True, data=True)]
    labels = {str(d.get("main_label") if d.get("label") == "Group" else d.get("label"))
              for _, d in g.nodes(data=True)}
    types = {str(d.get("type")) for _, _, d in g.edges(data=True)}
    options = vis_options(physics=physics, smooth=m <= SMOOTH_MAX_EDGES and physics,
                          large=large)
    options["groups"] = _groups({str(d.get("label") or "") for _, d in g.nodes(data=True)})
    keys = legend(labels, types)
    if community:
        # colour says the community, shape says the kind: the kinds' legend shows the
        # shapes in grey, and the communities get their own legend with their colours
        keys["kinds"] = [{**k, "color": KIND_ON_COMMUNITY} for k in keys["kinds"]]
        keys["communities"] = community_legend(
            int(d["community"]) for _, d in g.nodes(data=True) if "community" in d)
    return {
        "kind": shown.kind, "title": shown.title, "notes": shown.notes,
        "center": shown.center, "nodes": nodes, "edges": edges, "options": options,
        "legend": keys,
        "stats": {"nodes": n, "edges": m, "aggregated": shown.kind == "aggregate",
                  "source_nodes": view.size[0] if shown is not view else n,
                  "source_edges": view.size[1] if shown is not view else m,
                  "physics": physics},
    }


def render_html(view: View, *, layouts: LayoutCache = LAYOUTS, height: str = "100vh",
                **payload_options: Any) -> str:
    """A self-contained HTML page of the view (pyvis, vis-network inlined, no requests).

    Keyword arguments other than ``layouts`` and ``height`` go to :func:`vis_payload`.
    """
    data = vis_payload(view, layouts=layouts, **payload_options)
    net = Network(height=height, width="100%", directed=True, cdn_resources="in_line")
    # pyvis's add_node/add_edge check for duplicates with list scans (quadratic:
    # seconds at 5,000 nodes); the records are unique already, so fill its lists.
    net.nodes = data["nodes"]
    net.node_ids = [nd["id"] for nd in data["nodes"]]
    net.node_map = {nd["id"]: nd for nd in data["nodes"]}
    net.edges = data["edges"]
    net.options = data["options"]
    net.heading = json.dumps({k: data[k] for k in ("title", "notes", "legend", "stats", "kind")},
                             ensure_ascii=False)
    net.templateEnv = _env()
    net.path = "view.html"
    html: str = net.generate_html(name="view.html")
    return html


def write_html(view: View, path: Path, **options: Any) -> Path:
    """Write :func:`render_html` of the view to ``path`` (UTF-8)."""
    path.write_text(render_html(view, **options), encoding="utf-8")
    return path


def notebook_frame(html: str, *, height: int = 620) -> str:
    """An ``<iframe srcdoc>`` holding a page, for ``IPython.display.HTML`` in notebooks.

    The page keeps its own scripts and policy inside the frame, so several
    views in one notebook do not clash.
    """
    import html as html_lib

    return (f'<iframe srcdoc="{html_lib.escape(html, quote=True)}" '
            f'style="width:100%;height:{height}px;border:1px solid #ddd" '
            'sandbox="allow-scripts"></iframe>')
