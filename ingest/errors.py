"""Errors of the ingest package; IngestError is the root.

Library errors met while reading (``UnicodeDecodeError``, openpyxl's, YAML's,
the store's ``BatchRejected``) are re-raised as one of these, naming the file
and, when it can, the line and the column.
"""

from __future__ import annotations


class IngestError(Exception):
    """Root of every error raised by the ingest package.

    Attributes:
        file: The file concerned, when there is one.
        line: Line (CSV/JSONL), row (XLSX) or item (JSON) number, when known.
        column: The column or mapping key concerned, when known.
    """

    def __init__(self, message: str, *, file: str = "", line: int | str | None = None,
                 column: str = "") -> None:
        self.file = file
        self.line = line
        self.column = column
        self.reason = message
        where = file
        if file and line is not None:
            where = f"{file}:{line}"
        if column:
            where = f"{where},列 '{column}'" if where else f"列 '{column}'"
        super().__init__(f"{where}: {message}" if where else message)


class SourceError(IngestError):
    """A data file cannot be read: missing, undecodable, not the expected shape."""


class MappingError(IngestError):
    """A mapping file is missing, unreadable or does not describe a valid mapping."""


class MissingColumnError(MappingError):
    """A column the mapping requires is not in the file's header."""


class RowRejected(IngestError):
    """One row cannot be ingested; the pipeline turns it into a reject-report entry.

    It never escapes the pipeline: the row is recorded with its locator, the
    column and the reason, and the run goes on.
    """


class ReviewError(IngestError):
    """The review queue cannot do what was asked (unknown id, item already decided)."""
