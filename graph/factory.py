"""The one place that chooses a backend. Called by entry points only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graph.errors import StoreUnavailable

if TYPE_CHECKING:
    from graph.settings import Settings
    from graph.store import GraphStore


def open_store(settings: Settings, *, read_only: bool = False) -> GraphStore:
    """Build and open the store the settings ask for.

    Raises:
        StoreUnavailable: Neo4j chosen but not configured or not reachable, or the
            embedded store locked by another writer.
    """
    # Each backend (and with it networkx or the neo4j driver) is imported only when
    # chosen, so that importing this module costs nothing at start-up.
    if settings.store == "neo4j":
        from graph.backends.neo4j.store import Neo4jStore, make_async_driver, make_driver

        settings = settings.with_local_neo4j()
        if not settings.neo4j_uri:
            raise StoreUnavailable("INNOGRAPH_STORE=neo4j,但未设置 NEO4J_URI,本机也没有运行中的 "
                                   "Neo4j(可用 innograph neo4j start 启动)")
        store: GraphStore = Neo4jStore(make_driver(settings), database=settings.neo4j_database,
                                       async_driver=lambda: make_async_driver(settings))
    else:
        from graph.backends.embedded import EmbeddedStore

        store = EmbeddedStore(settings.home / "store", read_only=read_only)
    try:
        store.open()
    except Exception:
        store.close()  # release the driver or lock of a store that did not open
        raise
    return store
