"""Errors of the text extractor."""

from __future__ import annotations

from ingest.errors import IngestError


class ExtractError(IngestError):
    """The extractor cannot run: a data file is missing or malformed, a bad input."""
