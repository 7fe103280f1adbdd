"""Turning one registry row into node and relationship parts, following its mapping.

Two passes per table, so that a row may refer to an entity described by a later
row of the same table: :func:`plan_node` fixes every row's identity and fields,
then :func:`plan_edges` resolves the relationship columns. Nothing is written
here; a row either yields its parts or raises :class:`RowRejected` naming the
column and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import ValidationError

from ingest.errors import RowRejected
from ingest.mapping.converters import LIST_SEPARATORS, to_list
from ingest.mapping.spec import ColumnSpec, EndpointSpec, TableMapping, create_label_of
from ingest.sources.base import Row
from schemas.errors import validation_reason
from schemas.ingest_report import ReviewCandidate, ReviewItem
from schemas.names import normalize_name
from schemas.nodes import NODE_MODELS, ORGANISATIONS, Node
from schemas.ontology import label_name
from schemas.provenance import Provenance
from schemas.relationships import Relationship, endpoint_problem

Status = Literal["matched", "ambiguous", "none"]
PLANNED = Provenance(method="planned")
"""The provenance a row's models are validated with: the write gives each one its own
(source, method, time), so one shared placeholder stands in meanwhile instead of a
provenance made and dropped for each of a province's million models."""


@dataclass(slots=True)
class Found:
    """What identity lookup says about a name.

    Attributes:
        status: matched, ambiguous (fuzzy candidates only) or none.
        uid, label, name: The entity matched (its stored or gazetteer name).
        rule: How it matched (run, exact, alias, gazetteer, fuzzy…).
        in_graph: Whether the uid exists in the store or was written in this run;
            a gazetteer match may name an entity the graph does not hold yet.
        candidates: For ambiguous results.
    """

    status: Status
    uid: str | None = None
    label: str | None = None
    name: str | None = None
    rule: str = ""
    in_graph: bool = False
    candidates: list[ReviewCandidate] = field(default_factory=list)
    supersedes: list[str] = field(default_factory=list)
    """Stored nodes keyed by name that an official code shows to be this entity."""


class Identity(Protocol):
    """Identity services the row planner needs (implemented by the pipeline)."""

    def lookup(self, name: str, labels: frozenset[str], local: NameIndex) -> Found:
        """Resolve a name among ``labels``: this table, this run, the graph, gazetteers."""
        ...

    def mint(self, label: str, name: str, *, credit_code: str | None = None,
             moe_code: str | None = None, qualifier: str | None = None) -> str:
        """A new uid by the identity rules (make_uid)."""
        ...

    def by_code(self, label: str, name: str, *, credit_code: str | None,
                moe_code: str | None) -> Found:
        """The entity an official code identifies (raises ValueError for a bad code)."""
        ...

    def note(self, uid: str, label: str, name: str, aliases: list[str]) -> None:
        """Make a node planned in this run known to later fuzzy and variant lookups."""
        ...

    def existing(self, uid: str) -> str | None:
        """The label of ``uid`` if the graph (or this run) holds it."""
        ...


class NameIndex:
    """Normalised name or alias -> {uid: (label, name)}, in the order names were added."""

    def __init__(self) -> None:
        self._by_name: dict[str, dict[str, tuple[str, str]]] = {}

    def add(self, spelling: str, uid: str, label: str, name: str | None = None) -> None:
        """Register a spelling (name or alias) of ``uid``, whose display name is ``name``."""
        key = normalize_name(spelling)
        if key:
            self._by_name.setdefault(key, {}).setdefault(uid, (label, name or spelling))

    def get(self, spelling: str, labels: frozenset[str]) -> tuple[str, str, str] | None:
        """(uid, label, name) of the first entity registered under this spelling with one
        of ``labels``."""
        for uid, (label, name) in self._by_name.get(normalize_name(spelling), {}).items():
            if label in labels:
                return uid, label, name
        return None


@dataclass(slots=True)
class NodePart:
    """A node as one row describes it (merged with others and the stored node later).

    ``minimal`` marks a node created only because a relationship named it; it
    never overwrites a stored node.
    """

    uid: str
    label: str
    data: dict[str, Any]
    source: str
    minimal: bool = False
    method: str | None = None
    model: Node | None = None
    """The row's node as validated (without provenance) while ``data`` is what was
    validated; None once anything changed it."""


@dataclass(slots=True)
class EdgePart:
    """A relationship one row makes (already validated)."""

    uid: str
    data: dict[str, Any]
    source: str
    model: Relationship | None = None
    """The validated relationship of ``data``, written as it is when no other row or
    stored relationship is merged into it."""


@dataclass(slots=True)
class RowPlan:
    """Everything one row contributes, kept apart until the row is known to survive.

    ``synthetic`` is the row's provenance flag (its ``synthetic_column`` value, else
    the table's ``synthetic``); the row's node, the nodes it creates and its
    relationships carry it.
    """

    row: Row
    synthetic: bool = False
    node: NodePart | None = None
    rule: str = "new"
    supersedes: list[str] = field(default_factory=list)
    edges: list[EdgePart] = field(default_factory=list)
    created: list[NodePart] = field(default_factory=list)
    reviews: list[ReviewItem] = field(default_factory=list)


def _cell_text(row: Row, column: str | None) -> str:
    if column is None:
        return ""
    value = row.values.get(column, "")
    return "；".join(value) if isinstance(value, list) else value.strip()


def _zh_any(labels: Iterable[str]) -> str:
    return "或".join(label_name(lb) for lb in sorted(labels))


def _reject(row: Row, reason: str, column: str = "") -> RowRejected:
    return RowRejected(reason, file=row.file, line=row.line if row.line is not None
                       else row.row, column=column)


def _read(spec: ColumnSpec, row: Row) -> Any:
    try:
        return spec.read(row.values)
    except ValueError as exc:
        raise _reject(row, str(exc), spec.column or "") from exc


def review_item(uid: str, label: str, name: str, source: str,
                candidates: list[ReviewCandidate]) -> ReviewItem:
    """A review question for a new node that only resembles ``candidates``."""
    from ingest.review import review_id

    return ReviewItem(id=review_id(uid, candidates), label=label, uid=uid, name=name,
                      source=source, candidates=candidates,
                      created_at=datetime.now(UTC).replace(microsecond=0))


def check_required(mapping: TableMapping, row: Row) -> None:
    """Reject a defective row or one with an empty required cell."""
    if row.defect:
        raise _reject(row, row.defect)
    for col in mapping.required:
        if not _cell_text(row, col):
            raise _reject(row, "必填项为空", col)


def row_label(mapping: TableMapping, row: Row) -> str:
    """The label of the row's node (fixed, or chosen by the label column)."""
    if mapping.label:
        return mapping.label
    assert mapping.label_column is not None
    value = _cell_text(row, mapping.label_column)
    if value not in mapping.labels:
        raise _reject(row, f"不认识的取值 '{value}'(应为:"
                           f"{'、'.join(mapping.labels)})", mapping.label_column)
    return mapping.labels[value]


def row_synthetic(mapping: TableMapping, row: Row) -> bool:
    """Whether the row is synthetic: its ``synthetic_column`` value, or the table's
    ``synthetic`` when the mapping has no such column or the cell is blank.

    Raises:
        RowRejected: the cell holds a value the mapping lists neither as synthetic
            nor as real (naming the column).
    """
    spec = mapping.synthetic_column
    if spec is None:
        return mapping.synthetic
    try:
        flag = spec.flag(_cell_text(row, spec.column))
    except ValueError as exc:
        raise _reject(row, str(exc), spec.column) from exc
    return mapping.synthetic if flag is None else flag


def plan_node(mapping: TableMapping, row: Row, identity: Identity, local: NameIndex) -> RowPlan:
    """First pass: the row's node (identity, fields, kept columns), validated.

    Registers the node's name and aliases in ``local`` so later rows and the
    second pass find it.

    Raises:
        RowRejected: naming the column and the reason.
    """
    check_required(mapping, row)
    plan = RowPlan(row=row, synthetic=row_synthetic(mapping, row))
    if not mapping.makes_nodes:
        return plan
    label = row_label(mapping, row)
    model = NODE_MODELS[label]
    name = _cell_text(row, mapping.name)
    if not name:
        raise _reject(row, "名称为空", mapping.name or "")
    data: dict[str, Any] = {"name": name}
    columns: dict[str, str] = {"name": mapping.name or ""}
    for fname, spec in {**mapping.fields, **mapping.fields_by_label.get(label, {})}.items():
        if fname not in model.model_fields:
            continue  # a field of another label this table can make
        value = _read(spec, row)
        if value is None or value == []:
            continue
        data[fname] = value
        columns[fname] = spec.column or ""
    attrs = {}
    for col in mapping.keep_extra_columns:
        text = _cell_text(row, col)
        if text:
            attrs[col] = text
    if attrs:
        data["attrs"] = attrs
    uid, rule, candidates, canonical, supersedes = _identify(mapping, row, identity, local,
                                                             label, name)
    if label == "Enterprise" and uid.startswith("ent:") and "credit_code" in data:
        data["credit_code"] = uid[4:]  # the cleaned code (full-width, spaces, case folded)
    if label == "University" and re.fullmatch(r"uni:\d{10}", uid):
        data["moe_code"] = uid[4:]
    try:
        validated: Node | None = model.model_validate({"provenance": PLANNED, **data,
                                                       "uid": uid})
    except ValidationError as exc:
        err = exc.errors()[0]
        fname = str(err["loc"][0]) if err["loc"] else ""
        raise _reject(row, f"{fname}:{validation_reason(err)}(收到 {err.get('input')!r})",
                      columns.get(fname, fname)) from exc
    if canonical and normalize_name(canonical) != normalize_name(name):
        # a gazetteer entity not yet in the graph: its official name leads
        data["aliases"] = [name, *data.get("aliases", [])]
        data["name"] = canonical
        validated = None
    plan.node = NodePart(uid=uid, label=label, data=data, source=row.locator, model=validated)
    plan.rule = rule
    plan.supersedes = supersedes
    if candidates:
        plan.reviews.append(review_item(uid, label, name, row.locator, candidates))
    for n in [data["name"], *data.get("aliases", [])]:
        local.add(n, uid, label, data["name"])
    identity.note(uid, label, data["name"], list(data.get("aliases", [])))
    return plan


def _identify(mapping: TableMapping, row: Row, identity: Identity, local: NameIndex,
              label: str, name: str
              ) -> tuple[str, str, list[ReviewCandidate], str | None, list[str]]:
    """(uid, rule, review candidates, canonical name of a gazetteer entity not yet in the
    graph, stored nodes the row's official code supersedes)."""
    spec = mapping.uid
    model_fields = NODE_MODELS[label].model_fields
    credit = _cell_text(row, spec.credit_code) if "credit_code" in model_fields else ""
    moe = _cell_text(row, spec.moe_code) if "moe_code" in model_fields else ""
    key = _cell_text(row, spec.key) if spec.key else name
    if spec.key and not key:
        raise _reject(row, "标识值为空", spec.key)
    code_column = (spec.credit_code if credit else spec.moe_code) or ""
    if credit or moe:
        try:
            found = identity.by_code(label, name, credit_code=credit or None,
                                     moe_code=moe or None)
        except ValueError as exc:
            raise _reject(row, str(exc), code_column) from exc
        assert found.uid is not None
        canonical = found.name if not found.in_graph else None
        return (found.uid, "code" if found.in_graph else "new", [], canonical,
                [u for u in found.supersedes if u != found.uid])
    qualifier = qualifier_name(identity, _cell_text(row, spec.qualifier), local) \
        if spec.qualifier else None

    def mint() -> str:
        try:
            return identity.mint(label, key, qualifier=qualifier)
        except ValueError as exc:
            raise _reject(row, f"无法生成标识:{exc}", spec.key or mapping.name or "") \
                from exc

    if not spec.resolves:
        uid = mint()
        return uid, "uid" if identity.existing(uid) else "new", [], None, []
    found = identity.lookup(name, frozenset({label}), local)
    if found.status == "matched" and found.uid:
        canonical = found.name if not found.in_graph else None
        return found.uid, found.rule, [], canonical, []
    uid = mint()
    return uid, "new", found.candidates if found.status == "ambiguous" else [], None, []


def qualifier_name(identity: Identity, text: str, local: NameIndex) -> str | None:
    """The qualifier of a uid: the canonical name of the entity ``text`` names, so that
    spellings of one employer give one talent; the text itself when it names nothing."""
    if not text:
        return None
    found = identity.lookup(text, ORGANISATIONS, local)
    return found.name if found.status == "matched" and found.name else text


def plan_edges(mapping: TableMapping, plan: RowPlan, identity: Identity,
               local: NameIndex, created: dict[str, NodePart]) -> None:
    """Second pass: resolve the row's relationship columns into validated edges.

    ``created`` holds the nodes this table creates for unknown names (shared by
    rows so that one unknown name makes one node).

    Raises:
        RowRejected: an endpoint resolves to nothing (and may not be created), is
            ambiguous, or the relationship does not fit the ontology.
    """
    row = plan.row
    for rel in mapping.relationships:
        if rel.only_labels and (plan.node is None or plan.node.label not in rel.only_labels):
            continue
        if any(not _cell_text(row, c) for c in rel.when):
            continue
        sources = _endpoint(rel.from_, plan, identity, local, created)
        targets = _endpoint(rel.to, plan, identity, local, created)
        if not sources or not targets:
            continue
        props: dict[str, Any] = {}
        prop_cols: dict[str, str] = {}
        for pname, spec in rel.properties.items():
            value = _read(spec, row)
            if value is not None and value != []:
                props[pname] = value
                prop_cols[pname] = spec.column or ""
        column = rel.to.column or rel.from_.column or ""
        for s_uid, s_label in sources:
            for t_uid, t_label in targets:
                rtype = rel.type_for(s_label, t_label)
                why = endpoint_problem(rtype, s_uid, s_label, t_uid, t_label)
                if why:
                    raise _reject(row, why, column)
                if s_uid == t_uid:
                    raise _reject(row, f"{rtype} 关系会把 '{s_uid}' 连到它自己", column)
                data = {"type": rtype, "source": s_uid, "target": t_uid, "key": rel.key,
                        **props}
                try:
                    model = Relationship.model_validate({"provenance": PLANNED, **data})
                except ValidationError as exc:
                    err = exc.errors()[0]
                    pname = str(err["loc"][0]) if err["loc"] else ""
                    raise _reject(row, validation_reason(err),
                                  prop_cols.get(pname, column)) from exc
                plan.edges.append(EdgePart(uid=model.uid, data=data, source=row.locator,
                                           model=model))


def _endpoint(ep: EndpointSpec, plan: RowPlan, identity: Identity, local: NameIndex,
              created: dict[str, NodePart]) -> list[tuple[str, str]]:
    row = plan.row
    if ep.column is None:
        if plan.node is None:
            raise _reject(row, "这张表不生成节点")
        return [(plan.node.uid, plan.node.label)]
    text = _cell_text(row, ep.column)
    if not text:
        return []
    names = to_list(row.values.get(ep.column, ""), ep.sep or LIST_SEPARATORS) if ep.split \
        else [text]
    labels = ep.allowed_labels()
    create_label = create_label_of(ep)
    if ep.label_column:
        value = _cell_text(row, ep.label_column)
        if value not in ep.labels:
            raise _reject(row, f"不认识的取值 '{value}'(应为:"
                               f"{'、'.join(ep.labels)})", ep.label_column)
        labels = frozenset({ep.labels[value]})
        create_label = ep.labels[value]
    out = []
    for name in names:
        if ep.qualifier and create_label:
            out.append(_qualified_end(ep, name, create_label, plan, identity, local, created))
        else:
            out.append(_resolve_end(ep, name, labels, create_label, plan, identity, local,
                                    created))
    return out


def _guess(ep: EndpointSpec, name: str, labels: frozenset[str], row: Row) -> str | None:
    """The label ``create_label: auto`` gives a new entity (None: reject if needed)."""
    from ingest.resolve import guess_label

    guessed = guess_label(name)
    if guessed in labels:
        return guessed
    return ep.create_fallback


def _qualified_end(ep: EndpointSpec, name: str, label: str, plan: RowPlan, identity: Identity,
                   local: NameIndex, created: dict[str, NodePart]) -> tuple[str, str]:
    """An entity identified by name and qualifier (a person and the employer)."""
    row = plan.row
    qualifier = qualifier_name(identity, _cell_text(row, ep.qualifier), local)
    try:
        uid = identity.mint(label, name, qualifier=qualifier)
    except ValueError as exc:
        raise _reject(row, f"无法为 '{name}' 生成标识:{exc}", ep.column or "") from exc
    stored = identity.existing(uid)
    if stored is not None or uid in created:
        if uid in created:
            plan.created.append(created[uid])
        return uid, stored or label
    if not ep.create_missing:
        raise _reject(row, f"'{name}'({uid})不在图谱中(映射文件不新建它)",
                      ep.column or "")
    part = _new_node(uid, label, name, name, ep, row)
    created[uid] = part
    plan.created.append(part)
    return uid, label


def _resolve_end(ep: EndpointSpec, name: str, labels: frozenset[str], create_label: str | None,
                 plan: RowPlan, identity: Identity, local: NameIndex,
                 created: dict[str, NodePart]) -> tuple[str, str]:
    row = plan.row
    column = ep.column or ""
    if ep.uid_column:
        label = identity.existing(name)
        if label is not None:
            if label not in labels:
                raise _reject(row, f"'{name}' 是{label_name(label)},应为{_zh_any(labels)}",
                              column)
            return name, label
    found = identity.lookup(name, labels, local)
    if found.status == "matched" and found.uid and found.label:
        if found.uid in created:
            plan.created.append(created[found.uid])
        elif not found.in_graph:
            # known to a gazetteer but not yet a node: create it under its official name
            part = _new_node(found.uid, found.label, found.name or name, name, ep, row,
                             method="gazetteer")
            created[found.uid] = part
            plan.created.append(part)
        return found.uid, found.label
    if create_label == "auto":
        # the label a new entity gets, told from its name: only asked when one is made
        create_label = _guess(ep, name, labels, row)
    if not ep.create_missing or create_label is None:
        if ep.create_missing and found.status != "ambiguous":
            raise _reject(row, f"'{name}' 没有匹配到任何主体,从名称也看不出类别"
                               f"(应为{_zh_any(labels)})", column)
        if found.status == "ambiguous":
            listed = ";".join(f"{c.name}({c.uid},{c.score:.2f})" for c in found.candidates)
            raise _reject(row, f"'{name}' 有歧义:只与这些主体相似:{listed}", column)
        raise _reject(row, f"'{name}' 在本次装载、图谱和名录词典中都没有匹配的"
                           f"{_zh_any(labels)}(映射文件不新建它)", column)
    try:
        uid = identity.mint(create_label, name)
    except ValueError as exc:
        raise _reject(row, f"无法为 '{name}' 生成标识:{exc}", column) from exc
    part = created.get(uid) or _new_node(uid, create_label, name, name, ep, row)
    created[uid] = part
    plan.created.append(part)
    local.add(name, uid, create_label)
    if found.status == "ambiguous" and found.candidates:
        plan.reviews.append(review_item(uid, create_label, name, row.locator, found.candidates))
    return uid, create_label


def _new_node(uid: str, label: str, name: str, spelling: str, ep: EndpointSpec, row: Row,
              method: str | None = None) -> NodePart:
    data: dict[str, Any] = {"name": name, **ep.create_fields}
    if normalize_name(spelling) != normalize_name(name):
        data["aliases"] = [spelling]
    if label == "University" and uid.startswith("uni:") and uid[4:].isdigit():
        data.setdefault("moe_code", uid[4:])
    try:
        NODE_MODELS[label].model_validate({**data, "uid": uid})
    except ValidationError as exc:
        raise _reject(row, f"无法新建{label_name(label)} '{name}':"
                           f"{validation_reason(exc.errors()[0])}", ep.column or "") from exc
    return NodePart(uid=uid, label=label, data=data, source=row.locator, minimal=True,
                    method=method)
