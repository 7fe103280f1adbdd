"""The analysts' notebooks run from top to bottom against the sample graph (``make notebooks``).

Each is executed with nbclient in a fresh kernel of this interpreter; a cell
that raises fails the test. The pyvis views they show must not reference
anything outside the machine either.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graph.settings import REPO_ROOT
from graph.viz.offline import external_references

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # the notebooks build their own sample store unless INNOGRAPH_HOME names one
    monkeypatch.delenv("INNOGRAPH_HOME", raising=False)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    book = nbformat.read(path, as_version=4)
    committed = [out for cell in book.cells if cell.cell_type == "code"
                 for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]
    assert committed, "the notebook is committed without its outputs (make notebooks-save)"
    # run from a copy outside the repository: the installed package is all it may use
    outside = tmp_path / "copy"
    outside.mkdir()
    (outside / path.name).write_bytes(path.read_bytes())
    monkeypatch.delenv("PYTHONPATH", raising=False)
    client = nbclient.NotebookClient(book, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(outside)}})
    client.execute()
    html = [out["data"]["text/html"] for cell in book.cells if cell.cell_type == "code"
            for out in cell.get("outputs", []) if "text/html" in out.get("data", {})]
    images = [out for cell in book.cells if cell.cell_type == "code"
              for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]
    assert html, "no view or table was shown"
    assert images, "no plot was drawn"
    for block in html:
        text = "".join(block) if isinstance(block, list) else block
        assert external_references(text) == []
    assert not os.environ.get("INNOGRAPH_HOME")


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 3
