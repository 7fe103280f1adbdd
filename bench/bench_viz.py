"""Time from request to first paint of graph views in headless Chromium, against pyvis defaults.

For graphs of 500, 2,000 and 5,000 nodes (scale-free, about two relationships
per node, records shaped like the store's) each run:

* **innograph**: ``GET /viz/community.html`` on the API (uvicorn, loopback),
  cold: the analysis-graph cache and the layout cache are emptied first, so
  the time includes reading the store, the server-side layout, the page, the
  transfer, parsing and vis-network's first drawing. Three cold runs (median)
  and one warm run (layout cached).
* **pyvis defaults**: the same graph through ``Network()`` with its default
  options (physics on, stabilisation in the browser, dynamic smooth edges),
  ``add_node``/``add_edge`` per record, served by the same server. Its page
  links bootstrap from a CDN even "in_line"; those two tags are removed so that
  only rendering is measured (they could not load here anyway). The wait is
  capped (``--cap``, 120 s) and a run that hits it is reported as "> cap".

"First paint" is when the first frame after vis-network's first draw call on
its canvas is produced: a script injected before the page (CDP
``Page.addScriptToEvaluateOnNewDocument``) wraps the canvas ``fill``/``stroke``
methods, records the first call and takes ``performance.now()`` two animation
frames later. ``performance.now()`` counts from the navigation start, so the
request and the server's work are inside the number.

Run: ``.venv/bin/python bench/bench_viz.py`` (about 5–10 minutes with the
baseline; ``--sizes 500`` for a quick look). Writes ``artifacts/bench_viz.json``
and replaces its own section of ``BENCHMARKS.md`` (other sections are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import networkx as nx  # noqa: E402
from fastapi.responses import HTMLResponse  # noqa: E402
from pyvis.network import Network  # noqa: E402

from api.app import create_app  # noqa: E402
from api.graphcache import GraphCache  # noqa: E402
from api.routes_explorer import router  # noqa: E402
from graph.backends.embedded import EmbeddedStore  # noqa: E402
from graph.settings import Settings  # noqa: E402
from graph.viz import LAYOUTS  # noqa: E402
from tests.browser.chrome import Server, chrome  # noqa: E402
from tests.browser.graphs import included  # noqa: E402

START = "<!-- bench_viz:start -->"
END = "<!-- bench_viz:end -->"
LABELS = ("Enterprise", "Enterprise", "Enterprise", "University", "Institute", "Team",
          "Talent", "Platform", "Hospital")
HOOK = """
(function () {
  var proto = CanvasRenderingContext2D.prototype;
  function mark() {
    if (window.__firstDraw !== undefined) return;
    window.__firstDraw = performance.now();
    requestAnimationFrame(function () { requestAnimationFrame(function () {
      window.__firstPaint = performance.now(); }); });
  }
  ["fill", "stroke"].forEach(function (name) {
    var orig = proto[name];
    proto[name] = function () { mark(); return orig.apply(this, arguments); };
  });
})();"""
CDN_TAGS = re.compile(r"<link[^>]+cdn\.jsdelivr[^>]*/>|<script[^>]+cdn\.jsdelivr[^>]*>\s*</script>",
                      re.DOTALL)


def synthetic_store(n: int) -> EmbeddedStore:
    """An in-memory store with ``n`` actors joined like a scale-free cooperation graph."""
    base = nx.powerlaw_cluster_graph(n, 2, 0.1, seed=n)
    store = EmbeddedStore(None)
    store.open()
    nodes = [{"label": LABELS[i % len(LABELS)], "uid": f"bench:{i}",
              "name": f"泰安测试主体{i:05d}", "keywords": ["康养", "装备"],
              "provenance": {"source": f"bench.csv:{i + 2}", "method": "synthetic",
                             "synthetic": True}} for i in base.nodes]
    edges = []
    for a, b in base.edges:
        la, lb = LABELS[a % len(LABELS)], LABELS[b % len(LABELS)]
        rel = "COOPERATES_WITH"
        if la == "Talent" and lb in ("University", "Institute", "Enterprise", "Platform",
                                      "Hospital"):
            rel = "WORKS_AT"
        edges.append({"type": rel, "source": f"bench:{a}", "target": f"bench:{b}",
                      "weight": 1 + (a + b) % 3,
                      "provenance": {"source": "bench", "method": "synthetic",
                                     "synthetic": True}})
    store.upsert_nodes(nodes=nodes)
    store.upsert_edges(edges=edges)
    return store


def pyvis_default_page(store: EmbeddedStore) -> str:
    """What a page with pyvis's defaults looks like for the whole graph."""
    g = store.subgraph()
    net = Network(cdn_resources="in_line")  # "local" would need lib/ files beside the page
    for u, d in g.nodes(data=True):
        net.add_node(u, label=d["name"], title=d["label"])
    for u, v, d in g.edges(data=True):
        net.add_edge(u, v, title=d["type"])
    return CDN_TAGS.sub("", net.generate_html())


def bench_app(store: EmbeddedStore) -> Any:
    """The API with the explorer's routes, plus the pyvis-defaults page at /baseline.html."""
    app = create_app(Settings(INNOGRAPH_AUTH=False, INNOGRAPH_ROLE="analyst"), store=store)
    if not included(app, router):
        app.include_router(router)
    timings: dict[str, float] = {}

    @app.get("/baseline.html")
    def baseline() -> HTMLResponse:
        t0 = time.perf_counter()
        html = pyvis_default_page(store)
        timings["baseline_server_s"] = time.perf_counter() - t0
        return HTMLResponse(html)

    app.state.bench_timings = timings
    return app


def first_paint(driver: Any, url: str, cap: float) -> dict[str, float | None]:
    """Open ``url`` and wait for the first painted frame; times in ms from navigation start.

    ``first_paint_ms`` is None when nothing was painted within ``cap`` seconds of
    the navigation (a busy page also blocks our polling script: that counts too).
    """
    from selenium.common.exceptions import TimeoutException

    driver.set_page_load_timeout(cap)
    driver.set_script_timeout(5)
    start = time.monotonic()
    try:
        driver.get(url)
    except TimeoutException:
        return {"first_paint_ms": None, "response_end_ms": None, "dom_ready_ms": None}
    paint = None
    while time.monotonic() - start < cap:
        try:
            paint = driver.execute_script("return window.__firstPaint || null;")
        except TimeoutException:
            paint = None  # the page's main thread is busy (stabilising)
        if paint is not None:
            break
        time.sleep(0.05)
    if paint is not None and paint > cap * 1000:
        paint = None
    try:
        nav = driver.execute_script(
            "var e = performance.getEntriesByType('navigation')[0];"
            "return e ? {responseEnd: e.responseEnd, domContentLoaded: "
            "e.domContentLoadedEventEnd} : {};")
    except TimeoutException:
        nav = {}
    return {"first_paint_ms": paint, "response_end_ms": nav.get("responseEnd"),
            "dom_ready_ms": nav.get("domContentLoaded")}


def baseline_paint(url: str, cap: float) -> dict[str, float | None]:
    """The pyvis-defaults page in a browser of its own: a page still stabilising
    after the cap would otherwise hold up the next measurement. A browser that
    stops answering (its page busy past the driver's own 120 s) counts as capped."""
    try:
        with chrome() as driver:
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})
            return first_paint(driver, url, cap)
    except Exception as exc:  # urllib3 read time-outs, a lost session: still "> cap"
        print(f"baseline at {url}: {type(exc).__name__}; counted as > cap", flush=True)
        return {"first_paint_ms": None, "response_end_ms": None, "dom_ready_ms": None}


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True,
                              text=True, check=False).stdout.strip()
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(),
            "chromium": chromium, "platform": platform.platform()}


def run(sizes: list[int], cap: float, repeats: int, baseline: bool) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    with chrome() as driver:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})
        for n in sizes:
            store = synthetic_store(n)
            app = bench_app(store)
            row: dict[str, Any] = {"nodes": n, "relationships": store.stats().relationship_total}
            with Server(app) as srv:
                cold = []
                for _ in range(repeats):
                    app.state.graphs = GraphCache()
                    LAYOUTS.clear()
                    cold.append(first_paint(driver, srv.url + "/viz/community.html", cap))
                warm = first_paint(driver, srv.url + "/viz/community.html", cap)
                size = len(driver.page_source.encode())
                paints = [c["first_paint_ms"] for c in cold if c["first_paint_ms"] is not None]
                row["innograph"] = {
                    "cold_first_paint_ms": statistics.median(paints) if paints else None,
                    "cold_runs_ms": [c["first_paint_ms"] for c in cold],
                    "cold_response_end_ms": statistics.median(
                        [float(c["response_end_ms"] or 0) for c in cold]),
                    "warm_first_paint_ms": warm["first_paint_ms"],
                    "page_bytes": size,
                }
                if baseline:
                    base = baseline_paint(srv.url + "/baseline.html", cap)
                    row["pyvis_default"] = {
                        "first_paint_ms": base["first_paint_ms"],
                        "response_end_ms": base["response_end_ms"],
                        "server_s": app.state.bench_timings.get("baseline_server_s"),
                        "capped": base["first_paint_ms"] is None, "cap_s": cap}
            store.close()
            print(json.dumps(row, ensure_ascii=False), flush=True)
            results.append(row)
    return {"machine": machine(), "results": results}


def _fmt_ms(ms: float | None, cap: float | None = None) -> str:
    if ms is None:
        return f"> {cap:.0f} s (cap)" if cap else "–"
    return f"{ms / 1000:.2f} s"


def markdown(report: dict[str, Any]) -> str:
    """The BENCHMARKS.md section."""
    m = report["machine"]
    lines = [START, "## Graph views: request to first paint (bench/bench_viz.py)", "",
             f"Measured {m['date']} on {m['nproc']} CPU ({m['cpu']}), Python {m['python']}, "
             f"{m['chromium']}, headless, window 1400×900.", "",
             "Whole-graph view (`GET /viz/community.html`) of a synthetic scale-free graph, "
             "from navigation start (so the request, reading the store, the server-side "
             "layout, the page, the transfer, parsing and vis-network's first drawing are "
             "all inside) to the frame after vis-network's first draw call. innograph: "
             "median of cold runs (graph and layout caches emptied before each) and one warm "
             "run (layout cached). pyvis defaults: `Network()` + `add_node`/`add_edge`, physics "
             "and stabilisation in the browser, bootstrap CDN tags removed; one run, capped.",
             "",
             "| nodes | relationships | innograph cold, median (min–max) | "
             "of which until HTML received | "
             "innograph warm | page size | pyvis defaults | of which server (pyvis) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in report["results"]:
        ours = r["innograph"]
        base = r.get("pyvis_default")
        base_txt = _fmt_ms(base["first_paint_ms"], base["cap_s"]) if base else "not run"
        server = f"{base['server_s']:.2f} s" if base and base.get("server_s") else "–"
        runs = [x for x in ours["cold_runs_ms"] if x is not None]
        spread = f" ({min(runs) / 1000:.2f}–{max(runs) / 1000:.2f})" if len(runs) > 1 else ""
        lines.append(
            f"| {r['nodes']:,} | {r['relationships']:,} | "
            f"{_fmt_ms(ours['cold_first_paint_ms'])}{spread} | "
            f"{_fmt_ms(ours['cold_response_end_ms'])} | {_fmt_ms(ours['warm_first_paint_ms'])} | "
            f"{ours['page_bytes'] / 1e6:.1f} MB | {base_txt} | {server} |")
    if report.get("note"):
        lines += ["", f"Note: {report['note']}."]
    lines += ["", "Targets: ≤ 1 s for 2,000 nodes, ≤ 2 s for 5,000. Reproduce: "
              "`.venv/bin/python bench/bench_viz.py` (raw numbers in "
              "`artifacts/bench_viz.json`).", END]
    return "\n".join(lines) + "\n"


def write_section(text: str, path: Path) -> None:
    """Replace this benchmark's section of BENCHMARKS.md, or append it; keep the rest."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if START in old and END in old:
        head, rest = old.split(START, 1)
        new = head + text.rstrip("\n") + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--cap", type=float, default=120.0, help="seconds to wait for a paint")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print, do not write files")
    parser.add_argument("--from-json", type=Path, help="rewrite the section from a saved run")
    args = parser.parse_args()
    if args.from_json:
        report = json.loads(args.from_json.read_text(encoding="utf-8"))
        args.from_json = None
    else:
        report = run(args.sizes, args.cap, args.repeats, not args.no_baseline)
    text = markdown(report)
    print(text)
    if not args.no_write:
        out = ROOT / "artifacts"
        out.mkdir(exist_ok=True)
        (out / "bench_viz.json").write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                            encoding="utf-8")
        write_section(text, ROOT / "BENCHMARKS.md")


if __name__ == "__main__":
    main()
