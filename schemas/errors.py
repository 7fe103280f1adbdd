"""The root error of the schemas package."""

from __future__ import annotations


class SchemaError(ValueError):
    """A record does not fit the ontology.

    Attributes:
        record: Where the record came from (an index in a batch, a uid, a file and line).
        field: The offending field, when one can be named.
    """

    def __init__(self, message: str, *, record: str = "", field: str = "") -> None:
        self.record = record
        self.field = field
        where = ", ".join(p for p in (f"record {record}" if record else "",
                                       f"field '{field}'" if field else "") if p)
        super().__init__(f"{where}: {message}" if where else message)
