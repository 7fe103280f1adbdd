"""Pictures of the graph: pyvis pages that work offline, data for the explorer, exports.

``views`` decides what a picture holds, ``layout`` where the nodes go,
``render`` turns a view into vis-network data or a self-contained page,
``export`` into GraphML, GEXF and table rows. ``pyvis`` is imported here and
nowhere else in the code base.
"""

from graph.viz.export import edge_rows, graph_bytes, node_rows, write_graph
from graph.viz.layout import LAYOUTS, LayoutCache, fast_layout
from graph.viz.render import (
    HARD_CAP_NODES,
    PHYSICS_MAX_NODES,
    notebook_frame,
    render_html,
    vis_payload,
    write_html,
)
from graph.viz.views import (
    View,
    aggregate,
    community_view,
    ego_view,
    gap_view,
    graph_view,
    path_view,
    recommend_view,
    subgraph_view,
)

__all__ = [
    "HARD_CAP_NODES", "LAYOUTS", "PHYSICS_MAX_NODES", "LayoutCache", "View", "aggregate",
    "community_view", "edge_rows", "ego_view", "fast_layout", "gap_view", "graph_bytes",
    "graph_view", "node_rows", "notebook_frame", "path_view", "recommend_view", "render_html",
    "subgraph_view", "vis_payload", "write_graph", "write_html",
]
