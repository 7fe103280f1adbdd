"""One analysis graph per store state, shared by the analytics routes and commands.

Building ``store.subgraph()`` and the models on top of it is the expensive part
of a query; the cache keeps the last graph until the store's counts change.
"""

from __future__ import annotations

import threading
from typing import Any

import networkx as nx

from graph.store import GraphStore


class GraphCache:
    """The store's whole graph, rebuilt when ``stats()`` differs from the cached one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Any = None
        self._graph: nx.MultiDiGraph | None = None
        self.extras: dict[str, Any] = {}
        """Derived objects (indexes, models) valid for the current graph."""

    def graph(self, store: GraphStore) -> nx.MultiDiGraph:
        """The current graph of ``store``."""
        key = (id(store), store.stats().model_dump_json())
        with self._lock:
            if self._graph is None or key != self._key:
                self._graph = store.subgraph()
                self._key = key
                self.extras = {}
            return self._graph
