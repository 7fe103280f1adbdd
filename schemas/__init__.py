"""Pure data: the ontology of innograph and the payloads that cross package borders."""

from schemas.errors import SchemaError
from schemas.names import normalize_name
from schemas.nodes import (
    ACTORS,
    NODE_MODELS,
    ORGANISATIONS,
    Document,
    Enterprise,
    Field_,
    Government,
    Hospital,
    Institute,
    Level,
    Node,
    NodeRef,
    Platform,
    PlatformType,
    Program,
    Project,
    Region,
    Talent,
    Target,
    Team,
    University,
)
from schemas.ontology import LABELS, REL_TYPE_NAMES, json_schema, parse_node, parse_relationship
from schemas.provenance import Provenance
from schemas.relationships import REL_TYPES, Relationship

__all__ = [
    "ACTORS", "LABELS", "NODE_MODELS", "ORGANISATIONS", "REL_TYPES", "REL_TYPE_NAMES",
    "Document", "Enterprise", "Field_", "Government", "Hospital", "Institute", "Level", "Node",
    "NodeRef", "Platform", "PlatformType", "Program", "Project", "Provenance", "Region",
    "Relationship", "SchemaError", "Talent", "Target", "Team", "University", "json_schema",
    "normalize_name", "parse_node", "parse_relationship",
]
