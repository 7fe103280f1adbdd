"""What an ingest run did: the report every run returns and saves, and review items.

The report is the answer to "what happened to my file?": counts written per
label and relationship type, every rejected row with its locator and reason,
names folded into existing entities, fuzzy matches queued for a person to
decide. The invariant ``accepted + len(rejected) == rows_read`` always holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.results import WriteSummary


class RejectedRow(BaseModel):
    """A row that was not ingested, with enough to find and fix it.

    Attributes:
        file: The data file.
        locator: ``file:line`` (CSV, JSONL), ``file[sheet]:row`` (XLSX) or
            ``file#item`` (JSON list).
        line: Physical line of a CSV/JSONL row (the header is line 1).
        sheet: XLSX sheet name.
        row: XLSX row number or JSON item number (1-based).
        column: The offending column, or "" when the row as a whole is wrong.
        reason: Why the row was rejected.
        raw: The row as read, column -> value.
    """

    model_config = ConfigDict(extra="forbid")
    file: str
    locator: str
    line: int | None = None
    sheet: str | None = None
    row: int | None = None
    column: str = ""
    reason: str
    raw: dict[str, Any] = Field(default_factory=dict)


class MergedName(BaseModel):
    """A row whose entity already existed (in the graph or earlier in the run)."""

    model_config = ConfigDict(extra="forbid")
    uid: str
    name: str = Field(description="the stored name, which is kept")
    alias: str = Field(description="the row's spelling, added to the aliases when different")
    source: str = Field(description="locator of the row")
    rule: str = Field(description="how the identity was found: duplicate row, alias (an "
                                  "earlier row of this table), a resolver rule (exact, "
                                  "store_alias, alias_table, suffix_variant…), or "
                                  "official_code (a stored node merged into the node an "
                                  "official code identifies)")
    merge_id: str | None = Field(default=None, description="the store merge, when one was made")


class ReviewCandidate(BaseModel):
    """An existing entity a new one may be the same as."""

    model_config = ConfigDict(extra="forbid")
    uid: str
    name: str
    label: str
    score: float
    rule: str = ""


class ReviewItem(BaseModel):
    """A fuzzy identity question for a person: is the new node one of the candidates?

    ``accept`` merges the new node into a candidate (the store records the merge,
    which ``unmerge`` undoes); ``reject`` keeps them apart for good.
    """

    model_config = ConfigDict(extra="forbid")
    id: str
    status: Literal["pending", "accepted", "rejected"] = "pending"
    label: str
    uid: str = Field(description="the node created for the unmatched name")
    name: str
    source: str = Field(description="locator of the row that raised the question")
    candidates: list[ReviewCandidate]
    created_at: datetime
    decided_at: datetime | None = None
    merge_id: str | None = None
    kept: str | None = Field(default=None, description="the candidate merged into")
    note: str = ""


class FileReport(BaseModel):
    """One table read: a CSV/JSON file or one XLSX sheet."""

    model_config = ConfigDict(extra="forbid")
    file: str
    sheet: str | None = None
    mapping: str
    kind: str
    encoding: str | None = None
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    skipped_blank_lines: int = 0
    warnings: list[str] = Field(default_factory=list)


class IngestReport(BaseModel):
    """The report of one ``innograph ingest`` run."""

    model_config = ConfigDict(extra="forbid")
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    elapsed_seconds: float = 0.0
    store: str = ""
    paths: list[str] = Field(default_factory=list)
    files: list[FileReport] = Field(default_factory=list)
    nodes: dict[str, WriteSummary] = Field(default_factory=dict,
                                           description="per label")
    relationships: dict[str, WriteSummary] = Field(default_factory=dict,
                                                   description="per relationship type")
    rows_read: int = 0
    accepted: int = 0
    rejected: list[RejectedRow] = Field(default_factory=list)
    merged: list[MergedName] = Field(default_factory=list)
    queued_for_review: list[ReviewItem] = Field(default_factory=list)
    batches: int = Field(default=0, description="store batches written")
    warnings: list[str] = Field(default_factory=list,
                                description="files skipped and other run-level notes")
    up_to_date: bool = Field(default=False,
                             description="nothing read: the same inputs as the last run "
                                         "into the store it left unchanged (ingest.uptodate)")
    report_path: str | None = None

    @model_validator(mode="after")
    def _balanced(self) -> IngestReport:
        if self.accepted + len(self.rejected) != self.rows_read:
            raise ValueError(f"accepted ({self.accepted}) + rejected ({len(self.rejected)}) "
                             f"!= rows read ({self.rows_read})")
        return self

    @property
    def created(self) -> int:
        """Nodes and relationships created."""
        return sum(s.created for s in (*self.nodes.values(), *self.relationships.values()))

    @property
    def updated(self) -> int:
        """Nodes and relationships updated."""
        return sum(s.updated for s in (*self.nodes.values(), *self.relationships.values()))

    @property
    def unchanged(self) -> int:
        """Nodes and relationships written with identical content."""
        return sum(s.unchanged for s in (*self.nodes.values(), *self.relationships.values()))


__all__ = ["FileReport", "IngestReport", "MergedName", "RejectedRow", "ReviewCandidate",
           "ReviewItem"]
