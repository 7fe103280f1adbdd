"""Dependencies shared by every route: the store, the settings, the analysis graph."""

from __future__ import annotations

from typing import Annotated

import networkx as nx
from fastapi import Depends, Request

from api.graphcache import GraphCache
from graph.settings import Settings
from graph.store import GraphStore


def get_store(request: Request) -> GraphStore:
    """The store opened by the app's lifespan (or injected into create_app)."""
    store: GraphStore = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_graph(request: Request) -> nx.MultiDiGraph:
    """The store's whole graph for analytics, shared until the store's counts change."""
    cache: GraphCache = request.app.state.graphs
    return cache.graph(get_store(request))


StoreDep = Annotated[GraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
GraphDep = Annotated[nx.MultiDiGraph, Depends(get_graph)]
