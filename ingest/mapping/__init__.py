"""Mapping files: how a registry's columns become schema fields and relationships."""

from ingest.mapping.converters import CONVERTERS, to_bool, to_float, to_int, to_list, to_year
from ingest.mapping.spec import (
    DEFAULT_ORDER,
    ColumnSpec,
    EndpointSpec,
    ParticipationSpec,
    RelationshipSpec,
    SyntheticColumnSpec,
    TableMapping,
    UidSpec,
    create_label_of,
    load_mapping,
    mapping_path_for,
)

__all__ = ["CONVERTERS", "DEFAULT_ORDER", "ColumnSpec", "EndpointSpec", "ParticipationSpec",
           "RelationshipSpec", "SyntheticColumnSpec", "TableMapping", "UidSpec",
           "create_label_of", "load_mapping", "mapping_path_for", "to_bool", "to_float",
           "to_int", "to_list", "to_year"]
