"""Errors of the resolve package, rooted in :class:`ingest.errors.IngestError`."""

from __future__ import annotations

from ingest.errors import IngestError


class ResolveError(IngestError):
    """Root of every error raised while resolving identities."""


class UidError(ResolveError, ValueError):
    """A uid cannot be made: unknown label, empty name, identifier given for the wrong kind."""


class InvalidIdentifier(ResolveError, ValueError):
    """An official identifier is malformed; the caller reports it (e.g. as a rejected row).

    Attributes:
        code: The identifier as given.
        problem: What is wrong with it, in words a data steward can act on.
    """

    kind = "标识"

    def __init__(self, code: str, problem: str, *, file: str = "",
                 line: int | str | None = None, column: str = "") -> None:
        self.code = code
        self.problem = problem
        super().__init__(f"{self.kind} {code!r} 无效:{problem}", file=file, line=line,
                         column=column)


class InvalidCreditCode(InvalidIdentifier):
    """A 统一社会信用代码 that breaks GB 32100-2015 (length, characters, check character)."""

    kind = "统一社会信用代码"


class InvalidMoeCode(InvalidIdentifier):
    """A 学校标识码 that is not ten digits."""

    kind = "学校标识码"


class GazetteerError(ResolveError):
    """A shipped or supplied data file (gazetteer, alias table, rules) is malformed."""
