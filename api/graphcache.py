"""The computed results of the store's current version, shared by the analytics routes.

A thin holder of :class:`graph.analytics.computed.ComputedCache`: keyed on the store
version (a counter every commit increases), so that any change, a property-only
update included, is seen by the next request, and nothing is recomputed while
the store does not change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graph.analytics.computed import Computed, ComputedCache

if TYPE_CHECKING:
    import networkx as nx

    from graph.store import GraphStore


class GraphCache:
    """Whole-graph results per store version (see :mod:`graph.analytics.computed`)."""

    def __init__(self, *, warm: bool = False, fresh_wait: float = 1.0) -> None:
        self._cache = ComputedCache(warm=warm, fresh_wait=fresh_wait)

    def computed(self, store: GraphStore) -> Computed:
        """The results of the store's current version."""
        return self._cache.get(store)

    def graph(self, store: GraphStore) -> nx.MultiDiGraph:
        """The current graph of ``store`` (a streamed projection, one per version)."""
        return self.computed(store).graph
