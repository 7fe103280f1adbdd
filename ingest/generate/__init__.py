"""Synthetic registries of a city's innovation actors: ``innograph generate``.

:func:`generate` writes every file of docs/registries.md for any number of
actors, reproducibly from a seed; :mod:`ingest.generate.sample` builds the demo
community in ``data/sample`` with it.
"""

from ingest.generate.core import FILES, GenerateConfig, GenerateSummary, generate
from ingest.generate.vocab import real_entity_names

__all__ = ["FILES", "GenerateConfig", "GenerateSummary", "generate", "real_entity_names"]
