"""Third-party chatter kept off stderr: jieba's dictionary-loading lines and the Neo4j
driver's connection log are for debugging, not for the people reading our output.
``innograph --verbose`` (or ``INNOGRAPH_VERBOSE=1``) lets them through."""

from __future__ import annotations

import logging
import os


class _AtLeast(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


def verbose() -> bool:
    """Whether third-party logs were asked for."""
    return os.environ.get("INNOGRAPH_VERBOSE", "").lower() in ("1", "true", "yes", "on")


def quiet_libraries() -> None:
    """Unless :func:`verbose`: jieba says only warnings, the Neo4j driver nothing below
    critical (its failures reach the user as our own messages). Safe to call twice."""
    if verbose():
        return
    jieba = logging.getLogger("jieba")  # jieba sets its own level on import: filter
    if not any(isinstance(f, _AtLeast) for f in jieba.filters):
        jieba.addFilter(_AtLeast(logging.WARNING))
    logging.getLogger("neo4j").setLevel(logging.CRITICAL)
