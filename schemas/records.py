"""Flat property records: how nodes and relationships are stored by every backend.

A record holds only strings, numbers, booleans and lists of strings (what a
Neo4j property can hold). Nested parts are flattened: provenance fields get a
``prov_`` prefix and ``attrs`` is kept as a JSON string. Two derived fields,
``name_norm``/``name_keys`` (normalised name and aliases) and ``search_text``,
serve exact-name lookup and substring search.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from schemas.names import normalize_name, search_key
from schemas.nodes import NODE_MODELS, Node
from schemas.provenance import Provenance
from schemas.relationships import Relationship

Record = dict[str, Any]
VOLATILE = frozenset({"prov_ingested_at"})
"""Record keys that are not content: a write that changes only these is 'unchanged'."""

_EDGE_ENDPOINT_KEYS = ("type", "source", "target", "key")


def _fields(model: Node | Relationship) -> Record:
    """The model's fields that hold a value but provenance and attrs, as ``model_dump``
    gives them for these flat models (strings, numbers, lists of strings: lists copied),
    enums by value, read from the instance in one pass without the serializer: a
    province's ingest flattens a million of them."""
    out: Record = {}
    for k, v in model.__dict__.items():
        if v is None:
            continue
        t = type(v)
        if t is str or t is int or t is float or t is bool:  # most values: taken as they are
            out[k] = v
        elif t is list:
            out[k] = list(v)
        elif k == "provenance" or k == "attrs":  # a model and a dict, never the above
            continue
        else:
            out[k] = v.value if isinstance(v, Enum) else v
    return out


def _flatten(rec: Record, prov: Provenance, attrs: Mapping[str, Any]) -> Record:
    """Add the flattened provenance and attrs to ``rec`` (from :func:`_fields`)."""
    if attrs:
        rec["attrs_json"] = json.dumps(dict(attrs), ensure_ascii=False, sort_keys=True)
    rec.update(prov_source=prov.source, prov_method=prov.method,
               prov_confidence=prov.confidence, prov_ingested_at=_iso(prov.ingested_at),
               prov_synthetic=prov.synthetic)
    return rec


_last_iso: tuple[datetime | None, str] = (None, "")


def _iso(when: datetime) -> str:
    """``when.isoformat()``, remembered for the last datetime seen: the provenance clock
    hands every record stamped in one second the same object."""
    global _last_iso
    if _last_iso[0] is not when:
        _last_iso = (when, when.isoformat())
    return _last_iso[1]


def _unflatten(rec: Mapping[str, Any], skip: frozenset[str]) -> dict[str, Any]:
    data = {k: v for k, v in rec.items()
            if not k.startswith("prov_") and k not in skip and k != "attrs_json"}
    data["provenance"] = {k[5:]: v for k, v in rec.items() if k.startswith("prov_")}
    if rec.get("attrs_json"):
        data["attrs"] = json.loads(rec["attrs_json"])
    return data


def node_to_record(node: Node) -> Record:
    """Flatten a node into a record (with ``label``, ``name_norm``, ``search_text``)."""
    rec = _flatten(_fields(node), node.provenance, node.attrs)
    rec["label"] = node.label
    rec["name_norm"] = normalize_name(node.name)
    rec["search_text"] = search_key([node.name, *node.aliases, *node.keywords,
                                     *getattr(node, "tags", ())])
    rec["name_keys"] = sorted({normalize_name(n) for n in [node.name, *node.aliases]})
    return rec


_NODE_DERIVED = frozenset({"label", "name_norm", "search_text", "name_keys"})


def node_from_record(rec: Mapping[str, Any]) -> Node:
    """Rebuild the node model from a stored record."""
    model = NODE_MODELS[rec["label"]]
    return model.model_validate(_unflatten(rec, _NODE_DERIVED))


def edge_to_record(rel: Relationship) -> Record:
    """Flatten a relationship into a record (with its ``uid``)."""
    rec = _flatten(_fields(rel), rel.provenance, rel.attrs)
    rec["uid"] = rel.uid
    return rec


def edge_from_record(rec: Mapping[str, Any]) -> Relationship:
    """Rebuild a relationship from a stored record."""
    return Relationship.model_validate(_unflatten(rec, frozenset({"uid"})))


def content(rec: Mapping[str, Any]) -> Record:
    """The part of a record that counts as content when deciding 'updated'."""
    return {k: v for k, v in rec.items() if k not in VOLATILE}


def edge_props(rec: Mapping[str, Any]) -> Record:
    """A relationship record without its endpoint and identity keys."""
    return {k: v for k, v in rec.items() if k not in _EDGE_ENDPOINT_KEYS}


def empty_fields(model: type[Node] | type[Relationship]) -> dict[str, str | list[str]]:
    """The fields of ``model`` whose default is empty (``""`` or ``[]``) and that can
    hold nothing else than a string or a list of strings: a record always carries them,
    so a store may leave an empty one out and put it back when it reads the record
    (:data:`EMPTY_NODE_FIELDS`, :data:`EMPTY_EDGE_FIELDS`)."""
    out: dict[str, str | list[str]] = {}
    for name, field in model.model_fields.items():
        if field.annotation is str and field.default == "":
            out[name] = ""
        elif field.annotation == list[str] and field.default_factory is list:
            out[name] = []
    return out


def without_empty(rec: Mapping[str, Any], empties: Mapping[str, str | list[str]],
                  drop: frozenset[str] = frozenset()) -> Record:
    """``rec`` without the fields of ``empties`` that hold their empty default (and
    without the keys ``drop``): what a store that leaves them out writes."""
    out = dict(rec)  # a copy, then a few deletions: half the time of a filtered rebuild
    for key in drop:
        out.pop(key, None)
    for key, empty in empties.items():
        if key in out and out[key] == empty:
            del out[key]
    return out


def with_empty(rec: Record, empties: Mapping[str, str | list[str]]) -> Record:
    """Put back into ``rec`` (in place, and return it) every field of ``empties`` it
    lacks, with its empty default (a new list each): the inverse of :func:`without_empty`."""
    for key, empty in empties.items():
        if key not in rec:
            rec[key] = [] if isinstance(empty, list) else empty
    return rec


EMPTY_NODE_FIELDS: dict[str, dict[str, str | list[str]]] = {
    label: empty_fields(model) for label, model in NODE_MODELS.items()}
"""Per label: the record keys that hold an empty default, and that default."""
EMPTY_EDGE_FIELDS: dict[str, str | list[str]] = empty_fields(Relationship)
"""The relationship record keys that hold an empty default, and that default."""
EDGE_HELD_KEYS = frozenset({"type", "source", "target"})
"""Relationship record keys that a stored relationship's own type and endpoints hold: a
store (or an admin-import file) need not keep them as properties."""
