"""Fixtures of the browser suite: a demo store, the API on a loopback port, a headless browser.

Everything here is marked ``browser``. Without Chromium the suite skips, unless
INNOGRAPH_REQUIRE_BROWSER=1 (``make test``), which turns a missing browser
into a failure rather than a quiet skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.backends.embedded import EmbeddedStore
from tests.browser import chrome as chrome_mod
from tests.browser.graphs import explorer_app, load_demo


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``browser``."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_ready() -> None:
    """Skip (or fail, when required) if headless Chromium cannot run here."""
    why = chrome_mod.available()
    if why:
        if os.environ.get("INNOGRAPH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the browser is required but {why}")
        pytest.skip(why)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedStore, str]]:
    """An embedded store holding the demo graph, and which graph it is."""
    store = EmbeddedStore(tmp_path_factory.mktemp("demo") / "store")
    store.open()
    kind = load_demo(store)
    yield store, kind
    store.close()


@pytest.fixture(scope="session")
def server(browser_ready: None, demo_store: tuple[EmbeddedStore, str]
           ) -> Iterator[chrome_mod.Server]:
    """The API with the explorer, served by uvicorn on a free loopback port."""
    with chrome_mod.Server(explorer_app(demo_store[0])) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser(browser_ready: None) -> Iterator[Any]:
    """A fresh headless Chromium for each test module."""
    with chrome_mod.chrome() as driver:
        yield driver
