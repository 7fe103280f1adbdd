"""Relationship model and the table of relationship types with their endpoints."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from schemas.nodes import ACTORS, NODE_MODELS, ORGANISATIONS, Scalar, Uid, Year
from schemas.provenance import Provenance

_ALL = frozenset(NODE_MODELS)
_NOT_DOC = _ALL - {"Document"}
_RESEARCH = frozenset({"University", "Institute", "Hospital", "Platform", "Team", "Talent",
                       "Enterprise"})

# type -> (allowed source labels, allowed target labels, Chinese reading, undirected)
REL_TYPES: dict[str, tuple[frozenset[str], frozenset[str], str, bool]] = {
    "WORKS_AT": (frozenset({"Talent"}), ORGANISATIONS, "任职于", False),
    "MEMBER_OF": (ACTORS, frozenset({"Team", "Platform"}), "成员", False),
    "LEADS": (frozenset({"Talent"}),
              frozenset({"Team", "Project", "Platform", "Institute"}), "负责", False),
    "HOSTED_BY": (frozenset({"Platform", "Team", "Institute"}), ORGANISATIONS, "依托", False),
    "UNDERTAKES": (ORGANISATIONS | {"Team"}, frozenset({"Project"}), "承担", False),
    "PARTICIPATES_IN": (ACTORS, frozenset({"Project"}), "参与", False),
    "COOPERATES_WITH": (ACTORS, ACTORS, "合作", True),
    "IN_FIELD": (_ALL - {"Field", "Document", "Region"}, frozenset({"Field"}), "属于领域", False),
    "SUBFIELD_OF": (frozenset({"Field"}), frozenset({"Field"}), "细分自", False),
    "LOCATED_IN": (ORGANISATIONS | {"Region"}, frozenset({"Region"}), "位于", False),
    "BRANCH_OF": (ORGANISATIONS, ORGANISATIONS, "分支机构", False),
    "SELECTED_FOR": (ACTORS, frozenset({"Program"}), "入选", False),
    "FUNDED_BY": (frozenset({"Project", "Platform", "Team", "Talent"}), frozenset({"Program"}),
                  "资助", False),
    "NEEDS": (frozenset({"Enterprise"}), frozenset({"Field"}), "需求", False),
    "OFFERS": (_RESEARCH, frozenset({"Field"}), "能力", False),
    "MENTIONED_IN": (_NOT_DOC, frozenset({"Document"}), "提及于", False),
    "SET_BY": (frozenset({"Target"}), frozenset({"Document", "Program"}), "提出于", False),
    "CONCERNS": (frozenset({"Target"}), _NOT_DOC - {"Target"}, "针对", False),
}
"""The ontology's relationship types. COOPERATES_WITH is symmetric: stores keep
one edge per pair, from the smaller uid to the larger."""

PROJECT_PARTICIPATION: tuple[str, ...] = ("PARTICIPATES_IN", "UNDERTAKES")
"""Ways of taking part in a project (the lead undertakes, the others participate)."""
ACTOR_TIES: tuple[str, ...] = ("COOPERATES_WITH", "MEMBER_OF", "WORKS_AT", "LEADS", "HOSTED_BY",
                               "UNDERTAKES", "PARTICIPATES_IN", "BRANCH_OF")
"""Relationships that are ties between actors (a project joins those who take part in
it): what 查关系 walks by default."""
HUB_TYPES: tuple[str, ...] = tuple(t for t in REL_TYPES if t not in ACTOR_TIES)
"""Relationships to shared context (region, field, document, programme, target): two
actors in one district or named in one document are not tied by it."""

RelType = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z_]*$")]


class Relationship(BaseModel):
    """A typed, directed relationship between two nodes given by uid.

    ``key`` tells apart several relationships of one type between the same pair
    (two mentions of an actor in one document); leave it empty otherwise.
    Optional properties are shared by all types; each type uses the ones it needs.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    type: RelType
    source: Uid
    target: Uid
    key: str = ""
    weight: float | None = Field(default=None, ge=0)
    year: Year | None = None
    first_year: Year | None = None
    last_year: Year | None = None
    role: str = ""
    description: str = ""
    keywords: list[str] = Field(default_factory=list)
    start: int | None = Field(default=None, ge=0, description="character offset, inclusive")
    end: int | None = Field(default=None, ge=0, description="character offset, exclusive")
    evidence: str = Field(default="", description="the sentence a text relation came from")
    attrs: dict[str, Scalar] = Field(default_factory=dict)
    provenance: Provenance = Field(default_factory=Provenance)

    @model_validator(mode="after")
    def _check(self) -> Relationship:
        if self.type not in REL_TYPES:
            raise ValueError(f"不认识的关系类型 '{self.type}';"
                             f"可用:{'、'.join(sorted(REL_TYPES))}")
        if self.source == self.target:
            raise ValueError("关系不能把一个节点连到它自己")
        if (self.first_year and self.last_year and self.first_year > self.last_year):
            raise ValueError("起始年份(first_year)晚于最近年份(last_year)")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError("开始(start)应早于结束(end)")
        if REL_TYPES[self.type][3] and self.source > self.target:
            # symmetric: one canonical direction so that (a,b) and (b,a) are one edge
            self.source, self.target = self.target, self.source
        return self

    @property
    def uid(self) -> str:
        """The relationship's identity: type, endpoints and key."""
        return f"{self.source}|{self.type}|{self.key}|{self.target}"


def endpoint_problem(rel_type: str, source: str, source_label: str, target: str,
                     target_label: str) -> str | None:
    """Why a relationship of ``rel_type`` cannot join ``source`` (of ``source_label``) to
    ``target`` (of ``target_label``), or None if it can."""
    sources, targets, _, _ = REL_TYPES[rel_type]
    if source_label in sources and target_label in targets:
        return None
    from schemas.ontology import label_name  # ontology imports this module

    def names(labels: frozenset[str]) -> str:
        return "、".join(label_name(lb) for lb in sorted(labels))

    return (f"{rel_type} 关系不能从{label_name(source_label)} '{source}' 连到"
            f"{label_name(target_label)} '{target}'(允许:{names(sources)} → "
            f"{names(targets)})")


def check_endpoints(rel: Relationship, source_label: str, target_label: str) -> str | None:
    """Return why the labels cannot be joined by ``rel.type``, or None if they can."""
    return endpoint_problem(rel.type, rel.source, source_label, rel.target, target_label)
