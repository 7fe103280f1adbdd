"""Errors of the graph package; GraphError is the root."""

from __future__ import annotations

from typing import ClassVar


class GraphError(Exception):
    """Root of every error raised by a store."""


class NotFound(GraphError, LookupError):
    """A node, relationship or merge that was asked for by id does not exist."""

    WHAT: ClassVar[dict[str, str]] = {"node": "主体或节点", "enterprise": "企业",
                                      "merge": "合并记录", "relationship": "关系"}

    def __init__(self, what: str, ident: str) -> None:
        self.what = what
        self.ident = ident
        super().__init__(f"找不到{self.WHAT.get(what, what)}“{ident[:200]}”")


class BatchRejected(GraphError, ValueError):
    """A batch failed validation; nothing of it was written.

    Attributes:
        index: Position of the offending item in the batch.
        record: The offending item's uid or description.
        field: The offending field, when known.
    """

    def __init__(self, message: str, *, index: int, record: str, field: str = "") -> None:
        self.index = index
        self.record = record
        self.field = field
        super().__init__(f"batch item {index} ({record}): {message}; nothing of this batch "
                         "was written")


class Ambiguous(GraphError, LookupError):
    """A name given for one actor names several; ``candidates`` are (uid, label, name)."""

    def __init__(self, text: str, candidates: list[tuple[str, str, str]]) -> None:
        self.text = text
        self.candidates = candidates
        names = "、".join(f"{n}({u})" for u, _, n in candidates[:8])
        super().__init__(f"“{text}”对应多个主体:{names};请用标识或全称")


class QueryLimitError(GraphError, ValueError):
    """A query asked for more than the hard limits allow (hops, result sizes)."""


class StoreUnavailable(GraphError):
    """The backend cannot be reached (Neo4j down, data file locked)."""
