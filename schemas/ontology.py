"""The ontology in one place: labels, relationship types, parsing and the JSON Schema.

Everything that needs to know which labels and types exist (Neo4j constraints,
validation, the CLI's ``schema`` command) asks this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from schemas.errors import SchemaError, validation_reason
from schemas.nodes import NODE_MODELS, Node
from schemas.relationships import REL_TYPES, Relationship

LABELS: tuple[str, ...] = tuple(NODE_MODELS)
REL_TYPE_NAMES: tuple[str, ...] = tuple(REL_TYPES)
LABEL_NAMES: dict[str, str] = {
    "Enterprise": "企业", "University": "高校", "Institute": "科研院所", "Hospital": "医院",
    "Government": "政府部门", "Platform": "创新平台", "Talent": "人才", "Team": "团队",
    "Project": "项目", "Program": "计划", "Field": "领域", "Region": "区域", "Document": "文件",
    "Target": "规划目标",
}
"""The Chinese name of each label, for people (codes stay in JSON and CSV)."""


def label_name(code: str) -> str:
    """The Chinese name of a label code (the code if unknown)."""
    return LABEL_NAMES.get(code, code)


def check_label(label: str) -> str:
    """Return ``label`` if the ontology has it, else raise SchemaError."""
    if label not in NODE_MODELS:
        raise SchemaError(f"不认识的主体类别 '{label}';可用:{'、'.join(LABELS)}",
                          field="label")
    return label


def check_rel_type(rel_type: str) -> str:
    """Return ``rel_type`` if the ontology has it, else raise SchemaError."""
    if rel_type not in REL_TYPES:
        raise SchemaError(f"不认识的关系类型 '{rel_type}';可用:"
                          f"{'、'.join(REL_TYPE_NAMES)}", field="type")
    return rel_type


class UnknownTerm(SchemaError):
    """A filter names a kind or relationship type the ontology does not have (the message
    is Chinese and lists what is allowed; ``field`` is the parameter)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        ValueError.__init__(self, message)
        self.record = ""
        self.field = field


def label_code(value: str, *, param: str = "label") -> str:
    """The label code of ``value``: a code (``Enterprise``, any case) or its Chinese name
    (企业).

    Raises:
        UnknownTerm: For anything else, naming ``param`` and the allowed values.
    """
    v = value.strip()
    for code, zh in LABEL_NAMES.items():
        if v.lower() == code.lower() or v == zh:
            return code
    allowed = "、".join(f"{zh}({code})" for code, zh in LABEL_NAMES.items())
    raise UnknownTerm(f"参数 {param} 的取值 {value[:40]!r} 不是已知的主体类型,可选:{allowed}",
                      field=param)


def rel_type_code(value: str, *, param: str = "rel_type") -> str:
    """The relationship type code of ``value``: a code (``COOPERATES_WITH``, any case) or
    its Chinese reading (合作).

    Raises:
        UnknownTerm: For anything else, naming ``param`` and the allowed values.
    """
    v = value.strip()
    for code, (_, _, zh, _) in REL_TYPES.items():
        if v.upper() == code or v == zh:
            return code
    allowed = "、".join(f"{zh}({code})" for code, (_, _, zh, _) in REL_TYPES.items())
    raise UnknownTerm(f"参数 {param} 的取值 {value[:40]!r} 不是已知的关系类型,可选:{allowed}",
                      field=param)


def label_codes(values: Sequence[str] | None, *, param: str = "label") -> list[str] | None:
    """:func:`label_code` of each value (None stays None)."""
    return None if values is None else [label_code(v, param=param) for v in values]


def rel_type_codes(values: Sequence[str] | None, *,
                   param: str = "rel_type") -> list[str] | None:
    """:func:`rel_type_code` of each value (None stays None)."""
    return None if values is None else [rel_type_code(v, param=param) for v in values]


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    reason = validation_reason(err)
    return loc, f"{reason}(收到 {err['input']!r})" if "input" in err else reason


def parse_node(data: Node | Mapping[str, Any], *, record: str = "") -> Node:
    """Validate one node given as a model or as a mapping with a ``label`` key.

    Raises:
        SchemaError: naming the record (``record`` or the uid) and the field.
    """
    if isinstance(data, Node):
        if type(data) is Node:
            raise SchemaError("未指明类别的节点:请用具体类别,如 Enterprise",
                              record=record or data.uid)
        return data
    payload = dict(data)
    label = payload.pop("label", None)
    rec = record or str(payload.get("uid") or "?")
    if not isinstance(label, str):
        raise SchemaError("缺少 'label'(主体类别)", record=rec, field="label")
    if label not in NODE_MODELS:
        raise SchemaError(f"不认识的主体类别 '{label}';可用:{'、'.join(LABELS)}",
                          record=rec, field="label")
    try:
        return NODE_MODELS[label].model_validate(payload)
    except ValidationError as exc:
        loc, msg = _first_error(exc)
        raise SchemaError(msg, record=rec, field=loc) from exc


def parse_relationship(data: Relationship | Mapping[str, Any], *,
                       record: str = "") -> Relationship:
    """Validate one relationship given as a model or a mapping.

    Raises:
        SchemaError: naming the record and the field.
    """
    if isinstance(data, Relationship):
        return data
    rec = record or f"{data.get('source', '?')}-{data.get('type', '?')}->{data.get('target', '?')}"
    try:
        return Relationship.model_validate(dict(data))
    except ValidationError as exc:
        loc, msg = _first_error(exc)
        raise SchemaError(msg, record=rec, field=loc or "type") from exc


def json_schema() -> dict[str, Any]:
    """A JSON Schema document describing every label and relationship type.

    Data suppliers validate their files against it; ``innograph schema --json``
    prints it.
    """
    defs: dict[str, Any] = {}
    node_refs = []
    for label, model in NODE_MODELS.items():
        schema = TypeAdapter(model).json_schema(ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        schema["properties"] = {"label": {"const": label}, **schema["properties"]}
        schema.setdefault("required", []).insert(0, "label")
        schema["title"] = label
        defs[label] = schema
        node_refs.append({"$ref": f"#/$defs/{label}"})
    rel_schema = TypeAdapter(Relationship).json_schema(ref_template="#/$defs/{model}")
    defs.update(rel_schema.pop("$defs", {}))
    rel_schema["properties"]["type"] = {"enum": list(REL_TYPE_NAMES)}
    defs["Relationship"] = rel_schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "innograph data",
        "type": "object",
        "properties": {
            "nodes": {"type": "array", "items": {"oneOf": node_refs}},
            "relationships": {"type": "array", "items": {"$ref": "#/$defs/Relationship"}},
        },
        "$defs": defs,
        "x-relationship-types": {
            name: {"from": sorted(src), "to": sorted(dst), "zh": zh, "symmetric": sym}
            for name, (src, dst, zh, sym) in REL_TYPES.items()
        },
    }
