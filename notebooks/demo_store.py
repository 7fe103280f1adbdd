"""What the notebooks share: the sample graph in a temporary home, a CJK font for plots.

An analyst with a real store sets INNOGRAPH_HOME and gets it (opened read-only);
otherwise the bundled sample (``data/sample``) is ingested into a temporary
directory, so running a notebook never touches anyone's data.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # the notebooks run with notebooks/ as working directory
    sys.path.insert(0, str(REPO))

from graph.backends.embedded import EmbeddedStore  # noqa: E402
from graph.store import GraphStore  # noqa: E402

SAMPLE = REPO / "data" / "sample"
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "Microsoft YaHei",
             "PingFang SC", "WenQuanYi Micro Hei", "SimHei")


def open_graph() -> tuple[GraphStore, str]:
    """An open store and where it came from (``INNOGRAPH_HOME``, ``sample`` or ``fixture``)."""
    home = os.environ.get("INNOGRAPH_HOME")
    if home and (Path(home) / "store" / "graph.pickle").exists():
        store = EmbeddedStore(Path(home) / "store", read_only=True)
        store.open()
        return store, home
    store = EmbeddedStore(Path(tempfile.mkdtemp(prefix="innograph-nb-")) / "store")
    store.open()
    if any(SAMPLE.glob("*.mapping.yaml")):
        from ingest.pipeline import run_ingest

        run_ingest(store, [SAMPLE])
        return store, "sample"
    # before the sample's mappings existed: the contract suite's small graph
    from tests.browser.graphs import load_demo

    return store, load_demo(store)


def use_cjk_font() -> str | None:
    """Make matplotlib draw Chinese with an installed CJK font; its name, or None."""
    import matplotlib
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            matplotlib.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
            matplotlib.rcParams["axes.unicode_minus"] = False
            return name
    return None


def show_view(view: Any, height: int = 560) -> Any:
    """A view as an inline, offline pyvis page in the notebook."""
    from IPython.display import HTML

    from graph.viz import notebook_frame, render_html

    return HTML(notebook_frame(render_html(view), height=height))


def table(rows: list[dict[str, Any]], columns: list[str], limit: int = 15) -> Any:
    """Rows as an HTML table (no pandas needed), without the personal fields the role of
    the notebook (``INNOGRAPH_ROLE``) may not see."""
    import html

    from IPython.display import HTML

    from graph.settings import Settings
    from schemas.privacy import redact

    role = Settings().demo_role
    rows = [redact(r.get("label") if isinstance(r.get("label"), str) else None, r, role)
            for r in rows]

    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(
        f"<td>{html.escape(_text(r.get(c)))}</td>" for c in columns) + "</tr>"
        for r in rows[:limit])
    return HTML(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(map(str, value))
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
