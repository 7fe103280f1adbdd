"""Where a node or relationship came from."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

_clock: tuple[int, datetime] = (0, datetime.fromtimestamp(0, UTC))


def _now() -> datetime:
    """The current UTC time to the second. An ingest stamps every node and relationship
    (a million at province scale): the datetime of the current second is made once and
    shared (datetimes are immutable)."""
    global _clock
    second = int(time.time())
    if second != _clock[0]:
        _clock = (second, datetime.fromtimestamp(second, UTC))
    return _clock[1]


class Provenance(BaseModel):
    """The answer to "why does the graph say this?".

    Attributes:
        source: File and row (``registry.csv:12``), document and offsets
            (``doc:plan2020#120-131``) or another locator.
        method: How it was obtained: ``registry``, ``synthetic``, a rule name, a
            model name and version, ``manual``.
        confidence: 0..1; registry facts are 1.0, extracted ones lower.
        ingested_at: When the content was last written (UTC). It is not part of
            the content: re-ingesting identical data leaves it unchanged.
        synthetic: True for generated sample data, which must never be mistaken
            for facts about real entities.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    source: str = ""
    method: str = "manual"
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    ingested_at: datetime = Field(default_factory=_now)
    synthetic: bool = False
