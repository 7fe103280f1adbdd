"""Run the analysts' notebooks from top to bottom on the sample and save them with their
outputs (tables, views, charts), so that a reader sees the results without running
anything. ``make notebooks-save``; the notebooks' test checks that outputs are committed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    os.environ.pop("INNOGRAPH_HOME", None)  # the sample, never someone's store
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        book = nbformat.read(path, as_version=4)
        nbclient.NotebookClient(book, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}}).execute()
        for cell in book.cells:  # stable files: no run-specific metadata
            cell.get("metadata", {}).pop("execution", None)
        nbformat.write(book, path)
        print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
