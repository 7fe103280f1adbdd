"""What the analysts' notebooks share: a graph to read, a CJK font for plots, views
and tables shown inline. Part of the installed package, so that a notebook copied out
of the repository runs with ``import api.notebook`` alone.

An analyst with a real store sets ``INNOGRAPH_HOME`` and gets it (opened read-only);
otherwise the sample community (``INNOGRAPH_SAMPLE``, or ``data/sample`` of the source
checkout the package is installed from) is ingested into a temporary directory, so
running a notebook never touches anyone's data.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.settings import REPO_ROOT

if TYPE_CHECKING:
    from graph.store import GraphStore

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "Microsoft YaHei",
             "PingFang SC", "WenQuanYi Micro Hei", "SimHei")


class NoGraph(RuntimeError):
    """Neither a store (INNOGRAPH_HOME) nor the sample could be found."""


def sample_folder() -> Path:
    """The sample registries: ``INNOGRAPH_SAMPLE``, else ``data/sample`` of the checkout."""
    given = os.environ.get("INNOGRAPH_SAMPLE")
    folder = Path(given) if given else REPO_ROOT / "data" / "sample"
    if not any(folder.glob("*.mapping.yaml")):
        raise NoGraph(f"找不到图谱:请设置 INNOGRAPH_HOME(已有图谱的目录),或 INNOGRAPH_SAMPLE"
                      f"(样例名录目录);{folder} 中没有带映射文件的名录")
    return folder


def open_graph() -> tuple[GraphStore, str]:
    """An open store and where it came from (the ``INNOGRAPH_HOME`` path, or ``sample``)."""
    from graph.backends.embedded import EmbeddedStore

    home = os.environ.get("INNOGRAPH_HOME")
    if home and (Path(home) / "store" / "graph.pickle").exists():
        store = EmbeddedStore(Path(home) / "store", read_only=True)
        store.open()
        return store, home
    sample = sample_folder()
    store = EmbeddedStore(Path(tempfile.mkdtemp(prefix="innograph-nb-")) / "store")
    store.open()
    from ingest.pipeline import run_ingest

    run_ingest(store, [sample])
    return store, "sample"


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

    return HTML(notebook_frame(render_html(view), height=height))  # type: ignore[no-untyped-call]


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
    return HTML(  # type: ignore[no-untyped-call]
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(map(str, value))
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
