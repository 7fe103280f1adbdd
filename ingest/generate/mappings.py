"""The mapping files of the generated registries, shipped with the package.

Each file :func:`~ingest.generate.core.generate` writes has one mapping
(``<file>.mapping.yaml``, docs/mapping.md) in ``ingest/generate/data/mappings/``.
That folder is the only copy of their text: :func:`write_mappings` puts them
beside the generated data, so ``innograph ingest OUT`` loads it as it is, and
the mapping files in ``data/sample`` are links to them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

MAPPINGS_DIR = Path(__file__).resolve().parent / "data" / "mappings"
"""Where the mapping templates live (package data)."""

MAPPING_SUFFIX = ".mapping.yaml"
"""What the ingest pipeline looks for beside a data file."""


def mapping_name(data_file: str) -> str:
    """The name of a data file's mapping file: ``领域.csv`` -> ``领域.csv.mapping.yaml``."""
    return data_file + MAPPING_SUFFIX


def mapping_template(data_file: str) -> Path:
    """The shipped mapping of one generated data file.

    Args:
        data_file: A file name of :data:`~ingest.generate.core.FILES`.

    Raises:
        FileNotFoundError: the package has no mapping for that file.
    """
    path = MAPPINGS_DIR / mapping_name(data_file)
    if not path.is_file():
        raise FileNotFoundError(f"no mapping template for {data_file} in {MAPPINGS_DIR}")
    return path


def write_mappings(out: Path, data_files: Iterable[str]) -> list[Path]:
    """Write the mapping file of each data file into ``out``, beside the data.

    An existing mapping file is overwritten, as the data files are. A mapping
    file that already is (a link to) the template, as in ``data/sample``, is
    left alone.

    Args:
        out: The folder the data files were written to.
        data_files: Names of the data files, e.g. :data:`~ingest.generate.core.FILES`.

    Returns:
        The mapping files, in the order of ``data_files``.

    Raises:
        FileNotFoundError: a data file has no mapping template.
    """
    written: list[Path] = []
    for name in data_files:
        src = mapping_template(name)
        dst = out / mapping_name(name)
        if dst.exists() and dst.samefile(src):
            written.append(dst)
            continue
        if dst.is_symlink():  # never write through a link into some other file
            dst.unlink()
        shutil.copyfile(src, dst)
        written.append(dst)
    return written


__all__ = ["MAPPINGS_DIR", "MAPPING_SUFFIX", "mapping_name", "mapping_template",
           "write_mappings"]
