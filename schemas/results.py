"""Result payloads returned by the stores and the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from schemas.nodes import Node, NodeRef
from schemas.relationships import Relationship


class WriteSummary(BaseModel):
    """What a batch write did."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: WriteSummary) -> WriteSummary:
        return WriteSummary(created=self.created + other.created,
                            updated=self.updated + other.updated,
                            unchanged=self.unchanged + other.unchanged)


class Stats(BaseModel):
    """Counts of nodes per label and relationships per type (zero counts omitted)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    nodes: dict[str, int] = Field(default_factory=dict)
    relationships: dict[str, int] = Field(default_factory=dict)

    @property
    def node_total(self) -> int:
        """All nodes."""
        return sum(self.nodes.values())

    @property
    def relationship_total(self) -> int:
        """All relationships."""
        return sum(self.relationships.values())


class SearchHit(BaseModel):
    """One search result: the node and why it matched."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    node: NodeRef
    score: float
    matched: str = Field(description="name, alias, tag or keyword")
    matched_text: str


class PartnerCandidate(BaseModel):
    """A partner of a partner of a source actor: a candidate new partner and the
    shared partners that join the two (each with its partner degree)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    uid: str
    via: list[tuple[int, str]] = Field(
        description="(degree, uid) of each shared partner, fewest ties first")

    @property
    def resource_allocation(self) -> float:
        """Sum over the shared partners of 1/degree."""
        return round(sum(1.0 / d for d, _ in self.via if d), 9)


class PartnerNeighbourhood(BaseModel):
    """Who an actor works with today and who its partners work with."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    partners: list[str] = Field(description="current partners, by uid")
    candidates: list[PartnerCandidate] = Field(
        description="partners of partners, most shared weight first (resource allocation), "
                    "then uid")


class Neighborhood(BaseModel):
    """An actor's neighbourhood: counts per type first, then the capped expansion."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    center: NodeRef
    counts: dict[str, int] = Field(description="relationships of the centre by type, "
                                               "before any cap")
    nodes: list[NodeRef]
    relationships: list[Relationship]
    truncated: bool = False


class PathStep(BaseModel):
    """One hop of a path: the relationship and whether it was walked forwards."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    type: str
    forward: bool
    relationship_uid: str


class Path(BaseModel):
    """A path between two nodes."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    nodes: list[NodeRef]
    steps: list[PathStep]

    @property
    def hops(self) -> int:
        """Number of relationships on the path."""
        return len(self.steps)


class MergeRecord(BaseModel):
    """What a merge did, enough to undo it."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    merge_id: str
    kept: str
    merged: list[str]
    reason: str
    rule: str
    at: datetime
    undone: bool = False
    snapshot: dict[str, Any] = Field(
        default_factory=dict,
        description="the merged nodes' records, their relationships and the kept node's "
                    "record before the merge")


__all__ = ["MergeRecord", "Neighborhood", "Node", "NodeRef", "Path", "PathStep", "SearchHit",
           "Stats", "WriteSummary"]
