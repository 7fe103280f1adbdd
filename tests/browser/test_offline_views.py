"""Every kind of generated page works with the network off.

The pages are written by the ``innograph viz`` commands (and one aggregated
view by the library), then each is (1) parsed: no ``src``/``href``/CSS
``url()`` leaves the machine; and (2) opened from disk in headless Chromium
with the network emulated offline: vis-network must draw on its canvas, the
console must stay clean and nothing but the file itself may be requested.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api import cli_viz  # noqa: F401  (registers the viz commands)
from api.cli import app
from graph.backends.embedded import EmbeddedStore
from graph.viz import community_view, render_html
from graph.viz.offline import external_references
from tests.browser.chrome import chrome, console_errors, requested_urls, wait_for
from tests.browser.graphs import VALLEY, screenshot_dir

COMMANDS: dict[str, list[str]] = {
    "ego": ["ego", VALLEY, "--depth", "2"],
    "path": ["path", "山东农业大学", VALLEY],
    "gap": ["gap", "康复医疗装备"],
    "recommend": ["recommend", "山东农业大学"],
    "community": ["community", "山东省智慧康养创新创业共同体"],
    "overview": ["community", "--detect"],
}

# counts pixels that differ from the page background, sampled on a grid
PAINTED = """
var canvas = document.querySelector('#mynetwork canvas');
if (!canvas) return -1;
var ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height, n = 0;
var data = ctx.getImageData(0, 0, w, h).data;
for (var y = 0; y < h; y += 4) for (var x = 0; x < w; x += 4) {
  var i = (y * w + x) * 4;
  if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) n++;
}
return n;"""


@pytest.fixture(scope="module")
def pages(browser_ready: None, demo_store: tuple[EmbeddedStore, str],
          tmp_path_factory: pytest.TempPathFactory,
          monkeypatch_module: pytest.MonkeyPatch) -> dict[str, Path]:
    """Each view written as an HTML page by the CLI, plus an aggregated overview."""
    store, _ = demo_store
    assert store.home is not None
    monkeypatch_module.setenv("INNOGRAPH_HOME", str(store.home.parent))
    monkeypatch_module.setenv("INNOGRAPH_STORE", "embedded")
    out = tmp_path_factory.mktemp("pages")
    paths: dict[str, Path] = {}
    for name, args in COMMANDS.items():
        path = out / f"{name}.html"
        result = CliRunner().invoke(app, ["viz", *args, "--out", str(path)])
        assert result.exit_code == 0, result.output
        paths[name] = path
    # over the hard cap a view becomes groups: force it with a low cap
    aggregated = render_html(community_view(store.subgraph()), max_nodes=10)
    paths["aggregate"] = out / "aggregate.html"
    paths["aggregate"].write_text(aggregated, encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    """A monkeypatch that lasts for the module."""
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def offline_browser(browser_ready: None) -> Iterator[Any]:
    """Chromium with the network emulated offline."""
    with chrome(offline=True) as driver:
        yield driver


@pytest.mark.parametrize("name", [*COMMANDS, "aggregate"])
def test_page_has_no_outside_reference(pages: dict[str, Path], name: str) -> None:
    html = pages[name].read_text(encoding="utf-8")
    assert external_references(html) == []
    assert "cdn." not in html.lower().split("<script>")[0]  # nothing before the inline code
    assert "Content-Security-Policy" in html and "vis-network" in html


@pytest.mark.parametrize("name", [*COMMANDS, "aggregate"])
def test_page_draws_offline(pages: dict[str, Path], offline_browser: Any, name: str) -> None:
    driver = offline_browser
    requested_urls(driver)  # forget earlier pages' requests
    console_errors(driver)
    driver.get(pages[name].as_uri())
    wait_for(driver, "document.body.getAttribute('data-drawn') === '1'", timeout=60)
    wait_for(driver, "typeof vis !== 'undefined' && window.network !== undefined")
    painted = wait_for(driver, f"(function () {{ {PAINTED} }})() > 50", timeout=20)
    assert painted
    driver.save_screenshot(str(screenshot_dir() / f"view-{name}.png"))
    assert console_errors(driver) == []
    urls = requested_urls(driver)
    assert urls and all(u.startswith(("file://", "data:")) for u in urls), urls
    if name == "aggregate":
        assert "聚合" in driver.find_element("css selector", "#head").text
