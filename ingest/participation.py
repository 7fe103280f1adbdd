"""Project participation tables -> Project nodes, PARTICIPATES_IN and COOPERATES_WITH.

The common export of project databases has one row per (project, actor):
``project_id, actor_id, actor_type, year[, field]``. From it come:

* ``PARTICIPATES_IN`` actor -> project, ``year`` = the earliest year of the pair;
* ``IN_FIELD`` project -> field for every field named for the project;
* ``COOPERATES_WITH`` between every two participants of a project with 2–50
  distinct participants (larger consortia say little about who works with
  whom): ``weight`` = number of shared projects, ``first_year``/``last_year``
  = the earliest/latest year of those projects, a project's year being the
  earliest year among its rows.

The aggregation is plain dictionaries and runs over 150,000 rows in about a
second; writing goes in large batches inside ``store.bulk()`` (one save of the
embedded store at the end of the table).

COOPERATES_WITH weights are computed from the table being ingested: two
participation tables sharing pairs of actors overwrite each other's weights
(ingest one combined table instead).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import combinations, islice
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ingest.errors import IngestError
from ingest.mapping.converters import to_year
from ingest.mapping.rows import NameIndex, review_item
from ingest.mapping.spec import TableMapping
from ingest.pipeline import join_sources
from ingest.sources.base import Row, Table
from schemas.errors import validation_reason
from schemas.ingest_report import FileReport, ReviewItem
from schemas.nodes import ACTORS, NODE_MODELS, Node
from schemas.ontology import label_name
from schemas.provenance import Provenance
from schemas.relationships import Relationship

if TYPE_CHECKING:
    from ingest.pipeline import IngestRun

UID_LIKE = re.compile(r"^[a-z]{2,5}:\S+$")
"""An actor_id shaped like a uid of this graph (``ent:…``, ``uni:…``) is an id, not a name."""
_CREDIT = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
EDGE_BATCH = 5_000


class _Rejects(Exception):
    """Why every row naming an actor, project or field is rejected."""

    def __init__(self, reason: str, column: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.column = column


def _cell(row: Row, column: str | None) -> str:
    if not column:
        return ""
    value = row.values.get(column, "")
    return "；".join(value) if isinstance(value, list) else value.strip()


def ingest_participation(run: IngestRun, table: Table, mapping: TableMapping,
                         frep: FileReport) -> None:
    """Ingest one participation table (see the module docstring).

    Rows are rejected (into the report) for an empty project or actor id, a bad
    year, an unknown actor that may not be created or whose actor_type is not
    mapped, or a field that may not be created.

    Raises:
        IngestError: the store refused a batch.
    """
    spec = mapping.participation
    field_col = spec.field if spec.field and spec.field in table.columns else None
    types = {k.lower(): v for k, v in spec.actor_types.items()}
    run.progress.start(f"{table.name}: rows", len(table.rows))

    # 1. parse every row
    parsed: list[tuple[Row, str, str, str, int | None, str]] = []
    for i, row in enumerate(table.rows):
        if i % 5000 == 4999:
            run.progress.advance(5000)
        if row.defect:
            run.reject(frep, row, row.defect)
            continue
        project, actor = _cell(row, spec.project), _cell(row, spec.actor)
        if not project:
            run.reject(frep, row, "项目编号为空", spec.project)
            continue
        if not actor:
            run.reject(frep, row, "参与主体为空", spec.actor)
            continue
        try:
            year = to_year(row.values.get(spec.year, ""))
        except ValueError as exc:
            run.reject(frep, row, str(exc), spec.year)
            continue
        parsed.append((row, project, actor, _cell(row, spec.actor_type).lower(), year,
                       _cell(row, field_col)))
    run.progress.advance(len(table.rows) % 5000)

    prov = Provenance(source=table.path.name, method=mapping.method,
                      confidence=mapping.confidence, synthetic=mapping.synthetic)
    local = NameIndex()
    new_nodes: dict[str, Node] = {}
    reviews: list[ReviewItem] = []

    # 2. actors, 3. projects, 4. fields: one decision per distinct id
    first_row: dict[str, tuple[Row, str]] = {}
    for row, _, actor, atype, _, _ in parsed:
        first_row.setdefault(actor, (row, atype))
    run.identity.prefetch(first_row)
    actors: dict[str, tuple[str, str] | _Rejects] = {}
    for actor, (row, atype) in first_row.items():
        try:
            actors[actor] = _actor(run, spec_types=types, actor=actor, atype=atype, row=row,
                                   mapping=mapping, local=local, new_nodes=new_nodes,
                                   reviews=reviews, prov=prov)
        except _Rejects as why:
            actors[actor] = why

    project_ids = list(dict.fromkeys(p for _, p, *_ in parsed))
    project_uid = {p: p if p.startswith("prj:") and _checked_uid(p)
                   else run.identity.mint("Project", p) for p in project_ids}
    present = run.identity.prefetch(project_uid.values())
    projects: dict[str, str | _Rejects] = {}
    missing_projects: dict[str, str] = {}
    for p in project_ids:
        uid = project_uid[p]
        label = present.get(uid)
        if label is not None and label != "Project":
            projects[p] = _Rejects(f"'{uid}' 是{label_name(label)},不是项目", spec.project)
        elif label is None and not spec.create_missing_projects:
            projects[p] = _Rejects(f"项目 '{p}' 不在图谱中(映射文件不新建项目)",
                                   spec.project)
        else:
            projects[p] = uid
            if label is None:
                missing_projects[uid] = p

    fields: dict[str, str | _Rejects] = {}
    for _, _, _, _, _, fname in parsed:
        if fname and fname not in fields:
            fields[fname] = _field(run, fname, spec.create_missing_fields, field_col or "",
                                   local, new_nodes, prov)

    # 5. aggregate the rows that survive
    participates: dict[tuple[str, str], list[Any]] = {}
    members: dict[str, dict[str, None]] = {}
    in_field: dict[tuple[str, str], str] = {}
    year_of: dict[str, int | None] = {}
    for row, p, actor, _, year, fname in parsed:
        a, pr = actors[actor], projects[p]
        f = fields.get(fname) if fname else None
        bad = next((x for x in (a, pr, f) if isinstance(x, _Rejects)), None)
        if bad is not None:
            run.reject(frep, row, bad.reason, bad.column)
            continue
        assert isinstance(a, tuple) and isinstance(pr, str)
        actor_uid = a[0]
        key = (actor_uid, pr)
        entry = participates.get(key)
        if entry is None:
            participates[key] = [year, [row.locator]]
        else:
            if year is not None and (entry[0] is None or year < entry[0]):
                entry[0] = year
            entry[1].append(row.locator)
        members.setdefault(pr, {})[actor_uid] = None
        if year is not None:
            y0 = year_of.get(pr)
            year_of[pr] = year if y0 is None else min(y0, year)
        if isinstance(f, str):
            in_field.setdefault((pr, f), row.locator)

    pairs: dict[tuple[str, str], list[Any]] = {}
    for pr, who in members.items():
        if not spec.min_participants <= len(who) <= spec.max_participants:
            continue
        y = year_of.get(pr)
        for one, two in combinations(sorted(who), 2):
            agg = pairs.get((one, two))
            if agg is None:
                pairs[(one, two)] = [1, y, y]
            else:
                agg[0] += 1
                if y is not None:
                    agg[1] = y if agg[1] is None else min(agg[1], y)
                    agg[2] = y if agg[2] is None else max(agg[2], y)

    for uid, p in missing_projects.items():
        if uid in members:
            new_nodes[uid] = _node("Project", uid, p, prov, project_code=p,
                                   year=year_of.get(uid))

    # 6. write: review questions first, then nodes, then relationships
    used = {u for key in participates for u in key} | {f for _, f in in_field}
    run.file_reviews([r for r in reviews if r.uid in used])
    nodes = [n for uid, n in new_nodes.items() if uid in used]
    run.progress.start(f"{table.name}: writing",
                       len(nodes) + len(participates) + len(in_field) + len(pairs))
    with run.store.bulk():
        run.write_nodes(nodes, describe=str(table.path))
        # the relationships are made one batch at a time, as they are written: every value
        # in them was checked above (uids resolved or minted, years read), and held all at
        # once their models took more memory than the rest of the table's plan
        for batch in _edges(participates, in_field, pairs, prov, table.path.name):
            run.write_edges(run.keep_other_sources(batch, table), describe=str(table.path),
                            batch_size=EDGE_BATCH)


def _node(label: str, uid: str, name: str, prov: Provenance, **fields: Any) -> Node:
    data = {k: v for k, v in fields.items() if v is not None}
    return NODE_MODELS[label].model_validate({"uid": uid, "name": name, "provenance": prov,
                                              **data})


def _actor(run: IngestRun, *, spec_types: dict[str, str], actor: str, atype: str, row: Row,
           mapping: TableMapping, local: NameIndex, new_nodes: dict[str, Node],
           reviews: list[ReviewItem], prov: Provenance) -> tuple[str, str]:
    """Decide the uid and label of one actor id (raises _Rejects)."""
    spec = mapping.participation
    existing = run.identity.existing(actor)
    if existing is not None:
        if existing not in ACTORS:
            raise _Rejects(f"'{actor}' 是{label_name(existing)},不能参与项目", spec.actor)
        return actor, existing
    label = spec_types.get(atype)
    if UID_LIKE.match(actor):
        # the id says what it is (team:…, ins:…) even when actor_type says "other"
        from ingest.resolve import split_uid

        label = split_uid(actor)[0] or label
    if label is not None and label not in ACTORS:
        raise _Rejects(f"主体类型 '{atype}' 对应{label_name(label)},不是创新主体",
                       spec.actor_type)
    node_prov = prov.model_copy(update={"source": row.locator})
    if UID_LIKE.match(actor):
        if not _checked_uid(actor):
            raise _Rejects(f"参与主体 '{actor[:60]}…' 超过标识的最大长度", spec.actor)
        if not spec.create_missing_actors:
            raise _Rejects(f"参与主体 '{actor}' 不在图谱中(映射文件不新建主体)", spec.actor)
        if label is None:
            raise _Rejects(f"参与主体 '{actor}' 未知,其主体类型 '{atype}' 不在"
                           f"{'、'.join(spec_types)}之中", spec.actor_type)
        rest = actor.split(":", 1)[1]
        extra: dict[str, Any] = {}
        if label == "Enterprise" and _CREDIT.match(rest):
            extra["credit_code"] = rest
        if label == "University" and re.fullmatch(r"\d{10}", rest):
            extra["moe_code"] = rest
        try:
            new_nodes[actor] = _node(label, actor, rest, node_prov, **extra)
        except ValidationError as exc:
            raise _Rejects(f"无法新建参与主体 '{actor}':{validation_reason(exc.errors()[0])}",
                           spec.actor) from exc
        local.add(rest, actor, label)
        return actor, label
    labels = frozenset({label}) if label else ACTORS
    found = run.identity.lookup(actor, labels, local)
    if found.status == "matched" and found.uid and found.label:
        if not found.in_graph and found.uid not in new_nodes:
            # it holds only the gazetteer's facts (official name): real, whatever the table
            new_nodes[found.uid] = _node(found.label, found.uid, found.name or actor,
                                         node_prov.model_copy(update={"method": "gazetteer",
                                                                      "synthetic": False}))
        return found.uid, found.label
    if not spec.create_missing_actors or label is None:
        why = ("映射文件不新建主体" if label is not None else
               f"其主体类型 '{atype}' 不在{'、'.join(spec_types)}之中")
        raise _Rejects(f"参与主体 '{actor}' 在图谱和名录词典中都没有匹配,且{why}",
                       spec.actor)
    uid = run.identity.mint(label, actor)
    if uid not in new_nodes:
        new_nodes[uid] = _node(label, uid, actor, node_prov)
    local.add(actor, uid, label)
    if found.status == "ambiguous":
        reviews.append(review_item(uid, label, actor, row.locator, found.candidates))
    return uid, label


def _field(run: IngestRun, name: str, create: bool, column: str, local: NameIndex,
           new_nodes: dict[str, Node], prov: Provenance) -> str | _Rejects:
    found = run.identity.lookup(name, frozenset({"Field"}), local)
    if found.status == "matched" and found.uid:
        return found.uid
    if not create:
        return _Rejects(f"领域 '{name}' 不在图谱中(映射文件不新建领域)", column)
    uid = run.identity.mint("Field", name)
    new_nodes.setdefault(uid, _node("Field", uid, name, prov))
    local.add(name, uid, "Field")
    return uid


def _edges(participates: dict[tuple[str, str], list[Any]], in_field: dict[tuple[str, str], str],
           pairs: dict[tuple[str, str], list[Any]], prov: Provenance,
           file: str) -> Iterator[list[Relationship]]:
    """The table's relationships in batches of :data:`EDGE_BATCH`, each of one type."""

    def participations() -> Iterator[Relationship]:
        for (actor, project), (year, locators) in participates.items():
            yield Relationship(
                type="PARTICIPATES_IN", source=actor, target=project, year=year,
                provenance=prov.model_copy(update={
                    "source": locators[0] if len(locators) == 1 else join_sources(locators)}))

    def fields() -> Iterator[Relationship]:
        for (project, fld), locator in in_field.items():
            yield Relationship(type="IN_FIELD", source=project, target=fld,
                               provenance=prov.model_copy(update={"source": locator}))

    def cooperations() -> Iterator[Relationship]:
        derived = prov.model_copy(update={"method": "derived:co-participation",
                                          "source": file})
        for (a, b), (weight, first, last) in pairs.items():
            yield Relationship(type="COOPERATES_WITH", source=a, target=b,
                               weight=float(weight), first_year=first, last_year=last,
                               provenance=derived)

    try:
        for made in (participations(), fields(), cooperations()):
            while batch := list(islice(made, EDGE_BATCH)):
                yield batch
    except ValidationError as exc:
        raise IngestError(f"关系无效:{validation_reason(exc.errors()[0])}", file=file) from exc


def _checked_uid(uid: str) -> bool:
    """Whether ``uid`` fits the schema's uid rule (no white space, at most 200 characters)."""
    return 0 < len(uid) <= 200 and not any(ch.isspace() for ch in uid)
