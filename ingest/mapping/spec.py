"""The mapping file format: how a table's columns become nodes and relationships.

A mapping is YAML validated by the pydantic models below; ``docs/mapping.md``
documents it with an example. Everything a mapping names (labels, fields,
relationship types, endpoint combinations) is checked against the ontology when
the mapping is loaded, so a typo fails before any row is read.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ingest.errors import MappingError
from ingest.mapping.converters import CONVERTERS, LIST_SEPARATORS
from ingest.sources.base import CellValue
from schemas.errors import validation_reason
from schemas.nodes import NODE_MODELS
from schemas.relationships import REL_TYPES, Relationship

MAPPING_SUFFIXES = (".mapping.yaml", ".mapping.yml")
Converter = Literal["str", "int", "float", "year", "list", "bool"]

DEFAULT_ORDER: dict[str, int] = {
    "Region": 10, "Government": 10, "University": 10, "Institute": 10, "Hospital": 10,
    "Field": 20, "Enterprise": 30, "Platform": 40, "Team": 40, "Talent": 50,
    "_edges": 60, "Project": 70, "Program": 70, "_participation": 80, "Target": 90,
    "Document": 90,
}
"""Ingest order when a mapping declares none: organisations, fields, enterprises,
platforms and teams, talents, memberships (edge-only tables), projects,
participations, targets. Names must exist before rows that refer to them."""

_REL_PROPS = frozenset(Relationship.model_fields) - {"type", "source", "target", "provenance",
                                                     "key"}
_RESERVED_FIELDS = frozenset({"uid", "name", "provenance", "label"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ColumnSpec(_Strict):
    """Where a value comes from: a column with a converter, or a constant.

    Written as a bare column name, or as ``{column, type, map, sep, value}``.
    ``map`` translates cell values before conversion (per element for lists);
    a value mapped to null is dropped.
    """

    column: str | None = None
    type: Converter = "str"
    value: Any = None
    map: dict[str, Any] = Field(default_factory=dict)
    sep: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"column": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _one_source(self) -> ColumnSpec:
        if (self.column is None) == (self.value is None):
            raise ValueError("请给出 'column'(列)或常量 'value'(值),二者取一")
        return self

    def read(self, values: dict[str, CellValue]) -> Any:
        """The converted value of this spec in a row (None when empty).

        Raises:
            ValueError: the cell cannot be converted (the message says why).
        """
        if self.column is None:
            return self.value
        raw = values.get(self.column, "")
        if self.type == "list":
            from ingest.mapping.converters import to_list

            items = to_list(raw, self.sep or LIST_SEPARATORS)
            if self.map:
                items = [str(self.map.get(i, i)) for i in items if self.map.get(i, i) is not None]
            return items
        if self.map and isinstance(raw, str) and raw.strip() in self.map:
            mapped = self.map[raw.strip()]
            if mapped is None:
                return None
            raw = str(mapped)
        return CONVERTERS[self.type](raw)


class EndpointSpec(_Strict):
    """One end of a relationship: the row's own node (no column) or a named entity.

    Attributes:
        column: The column naming the entity; absent for the row's node.
        label: The label (or labels) the entity must have.
        label_column: A column whose value chooses the label through ``labels``.
        labels: Cell value -> label, for ``label_column``.
        create_missing: Create the entity when the name resolves to nothing
            (otherwise the row is rejected).
        create_label: Label of a created entity (default: ``label`` when single);
            ``auto`` guesses it from the name's ending (大学 -> University, 有限公司
            -> Enterprise, 局 -> Government…) among the allowed labels.
        create_fallback: With ``auto``: the label when the ending says nothing
            (else such a row is rejected).
        create_fields: Constant fields of a created entity.
        qualifier: A column that tells namesakes apart (a leader's employer): the
            entity is identified by make_uid(label, name, qualifier=…) instead of
            by name lookup, and created under that uid when missing.
        split: The cell holds several names (split like a list).
        sep: Separators for ``split`` (default ；;、).
        uid_column: The cell may hold a uid of this graph: use it when it exists.
    """

    column: str | None = None
    label: str | list[str] | None = None
    label_column: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    create_missing: bool = False
    create_label: str | None = None
    create_fallback: str | None = None
    create_fields: dict[str, Any] = Field(default_factory=dict)
    qualifier: str | None = None
    split: bool = False
    sep: str | None = None
    uid_column: bool = False

    def allowed_labels(self) -> frozenset[str]:
        """Labels this endpoint may resolve to (every label when unconstrained)."""
        if self.labels:
            return frozenset(self.labels.values())
        if isinstance(self.label, str):
            return frozenset({self.label})
        if isinstance(self.label, list):
            return frozenset(self.label)
        return frozenset(NODE_MODELS)


_TO_KEYS = ("column", "label", "label_column", "labels", "create_missing", "create_label",
            "create_fallback", "create_fields", "qualifier", "split", "sep", "uid_column")


class RelationshipSpec(_Strict):
    """A relationship each row makes.

    ``from`` defaults to the row's node; the shorthand keys (``column``,
    ``label``, ``create_missing``…) describe ``to``. ``when`` lists columns that
    must be non-empty for the relationship to be made (it is skipped, not
    rejected, otherwise); an empty endpoint column also skips it.
    ``only_labels`` restricts it to rows whose node has one of these labels.
    ``type_by_label`` chooses another type by the label of the entity the column
    names (上级单位: BRANCH_OF to an organisation, LOCATED_IN to a zone).
    """

    type: str
    type_by_label: dict[str, str] = Field(default_factory=dict)
    from_: EndpointSpec = Field(default_factory=EndpointSpec, alias="from")
    to: EndpointSpec
    properties: dict[str, ColumnSpec] = Field(default_factory=dict)
    when: list[str] = Field(default_factory=list)
    only_labels: list[str] = Field(default_factory=list)
    key: str = ""

    def type_for(self, source_label: str, target_label: str) -> str:
        """The relationship type for these endpoint labels (``type_by_label``)."""
        named = target_label if self.to.column is not None else source_label
        return self.type_by_label.get(named, self.type)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "to" not in data:
            data = dict(data)
            data["to"] = {k: data.pop(k) for k in _TO_KEYS if k in data}
        return data


def _fold(value: str) -> str:
    """A provenance value as compared: width-folded, trimmed, case-insensitive."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


class SyntheticColumnSpec(_Strict):
    """Per-row provenance: a column whose value says whether the row is synthetic.

    Written as a bare column name (the default values apply) or as
    ``{column, synthetic_values, real_values}``. Values are compared after
    width folding, trimming and case folding, so ``Real`` and ``ｒｅａｌ`` are
    ``real``. A blank cell falls back to the table's ``synthetic``; any other
    value rejects the row.

    Attributes:
        column: The column holding the row's provenance.
        synthetic_values: Values that mark the row synthetic.
        real_values: Values that mark the row real (a public fact).
    """

    column: str = Field(min_length=1)
    synthetic_values: list[str] = Field(default_factory=lambda: ["合成", "synthetic"],
                                        min_length=1)
    real_values: list[str] = Field(default_factory=lambda: ["公开", "真实", "real"],
                                   min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"column": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _disjoint(self) -> SyntheticColumnSpec:
        for v in [*self.synthetic_values, *self.real_values]:
            if not _fold(v):
                raise ValueError("来源标记的取值不能为空(空单元格已表示按整张表的 'synthetic')")
        both = {_fold(v) for v in self.synthetic_values} & {_fold(v) for v in self.real_values}
        if both:
            raise ValueError(f"这些取值同时列为合成和真实:{'、'.join(sorted(both))}")
        return self

    def flag(self, text: str) -> bool | None:
        """Whether a cell marks its row synthetic (None for a blank cell).

        Raises:
            ValueError: the value is neither a synthetic nor a real value.
        """
        key = _fold(text)
        if not key:
            return None
        if key in {_fold(v) for v in self.synthetic_values}:
            return True
        if key in {_fold(v) for v in self.real_values}:
            return False
        raise ValueError(f"不认识的来源标记 '{text.strip()}'(合成:"
                         f"{'、'.join(self.synthetic_values)};真实:"
                         f"{'、'.join(self.real_values)})")


class UidSpec(_Strict):
    """How a row's node gets its uid (through ``make_uid``).

    Attributes:
        key: Column passed to make_uid as the name instead of the name column
            (a project number, say).
        credit_code: Column of the 统一社会信用代码 (used for enterprises).
        moe_code: Column of the 学校标识码 (used for universities).
        qualifier: Column that tells namesakes apart (a talent's employer); it is
            resolved like a relationship end, so spellings of one employer agree.
        resolve: Look the name up (this run, the graph, the gazetteers) before
            minting a uid. Default: yes, unless ``key`` or ``qualifier`` is given.
    """

    key: str | None = None
    credit_code: str | None = None
    moe_code: str | None = None
    qualifier: str | None = None
    resolve: bool | None = None

    @property
    def resolves(self) -> bool:
        """Whether names are looked up before a uid is minted."""
        if self.resolve is not None:
            return self.resolve
        return self.key is None and self.qualifier is None


class ParticipationSpec(_Strict):
    """Options of a participation table (``kind: participation``).

    Attributes:
        project, actor, actor_type, year, field: Column names.
        actor_types: actor_type value -> label of an actor created when unknown.
        create_missing_actors: Create actors that neither exist nor resolve (uid
            from the actor_id when it looks like one, else make_uid).
        create_missing_projects: Create Project nodes absent from the graph.
        create_missing_fields: Create Field nodes named in ``field``.
        min_participants, max_participants: Only projects with this many
            distinct participants produce COOPERATES_WITH edges.
    """

    project: str = "project_id"
    actor: str = "actor_id"
    actor_type: str = "actor_type"
    year: str = "year"
    field: str | None = "field"
    actor_types: dict[str, str] = Field(default_factory=lambda: {
        "enterprise": "Enterprise", "university": "University", "institute": "Institute",
        "hospital": "Hospital", "government": "Government", "platform": "Platform",
        "team": "Team", "talent": "Talent"})
    create_missing_actors: bool = True
    create_missing_projects: bool = True
    create_missing_fields: bool = True
    min_participants: int = Field(default=2, ge=2)
    max_participants: int = Field(default=50, ge=2)


class TableMapping(_Strict):
    """The mapping of one table (a file, or one sheet of a workbook)."""

    kind: Literal["registry", "participation"] = "registry"
    description: str = ""
    sheet: str | None = None
    order: int | None = None
    synthetic: bool = False
    synthetic_column: SyntheticColumnSpec | None = None
    method: str = "registry"
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    encoding: str | None = None
    delimiter: str | None = None
    required: list[str] = Field(default_factory=list)
    ignore_columns: list[str] = Field(default_factory=list)
    keep_extra_columns: list[str] = Field(default_factory=list)
    label: str | None = None
    label_column: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    name: str | None = None
    uid: UidSpec = Field(default_factory=UidSpec)
    fields: dict[str, ColumnSpec] = Field(default_factory=dict)
    fields_by_label: dict[str, dict[str, ColumnSpec]] = Field(default_factory=dict)
    relationships: list[RelationshipSpec] = Field(default_factory=list)
    participation: ParticipationSpec = Field(default_factory=ParticipationSpec)

    # filled by the loader, not by YAML
    mapping_path: Path | None = Field(default=None, exclude=True)

    @property
    def makes_nodes(self) -> bool:
        """Whether each row describes a node (else it only makes relationships)."""
        return self.kind == "registry" and bool(self.label or self.label_column)

    def row_labels(self) -> frozenset[str]:
        """Labels a row's node may have."""
        if self.label_column:
            return frozenset(self.labels.values())
        return frozenset({self.label}) if self.label else frozenset()

    def effective_order(self) -> int:
        """Declared ``order`` or the default for the table's kind and label."""
        if self.order is not None:
            return self.order
        if self.kind == "participation":
            return DEFAULT_ORDER["_participation"]
        labels = self.row_labels()
        if not labels:
            return DEFAULT_ORDER["_edges"]
        return min(DEFAULT_ORDER.get(lb, 50) for lb in labels)

    def referenced_columns(self) -> list[str]:
        """Every column the mapping reads (the header must have the required ones)."""
        cols: list[str | None] = [self.name, self.label_column, self.uid.key,
                                  self.uid.credit_code, self.uid.moe_code, self.uid.qualifier,
                                  self.synthetic_column.column if self.synthetic_column
                                  else None]
        specs = list(self.fields.values())
        for by_label in self.fields_by_label.values():
            specs += list(by_label.values())
        for rel in self.relationships:
            cols += [rel.from_.column, rel.from_.label_column, rel.from_.qualifier,
                     rel.to.column, rel.to.label_column, rel.to.qualifier, *rel.when]
            specs += list(rel.properties.values())
        cols += [s.column for s in specs]
        if self.kind == "participation":
            p = self.participation
            cols += [p.project, p.actor, p.actor_type, p.year, p.field]
        return list(dict.fromkeys(c for c in cols if c))

    def check(self) -> None:
        """Check the mapping against the ontology.

        Raises:
            MappingError: naming the mapping file and the offending key.
        """
        where = str(self.mapping_path or "mapping")

        def bad(message: str, key: str) -> MappingError:
            return MappingError(message, file=where + (f" [工作表 {self.sheet}]"
                                                       if self.sheet else ""), column=key)

        for lb in [*([self.label] if self.label else []), *self.labels.values(),
                   *self.fields_by_label]:
            if lb not in NODE_MODELS:
                raise bad(f"不认识的主体类别 '{lb}'(可用:{'、'.join(NODE_MODELS)})", "label")
        if self.kind == "participation":
            if self.synthetic_column is not None:
                # its columns are a fixed contract shared by project databases
                raise bad("项目参与表的来源标记取自文件级的 'synthetic',不能按列给出",
                          "synthetic_column")
            return
        if self.label and self.label_column:
            raise bad("'label' 与 'label_column' 只能给一个", "label")
        if self.label_column and not self.labels:
            raise bad("'label_column' 需要 'labels'(单元格取值 -> 主体类别)", "labels")
        row_labels = self.row_labels()
        if row_labels and not self.name:
            raise bad("生成节点的表需要 'name'(名称列)", "name")
        for fname in self.fields:
            self._check_field(fname, row_labels, bad)
        for lb, by_label in self.fields_by_label.items():
            for fname in by_label:
                self._check_field(fname, frozenset({lb}), bad)
        for i, rel in enumerate(self.relationships):
            self._check_rel(i, rel, row_labels, bad)

    @staticmethod
    def _check_field(fname: str, labels: frozenset[str], bad: Any) -> None:
        if fname in _RESERVED_FIELDS:
            raise bad(f"'{fname}' 由装载程序设置,不能写在 'fields' 中", f"fields.{fname}")
        if not labels or not any(fname in NODE_MODELS[lb].model_fields for lb in labels):
            raise bad(f"{'、'.join(sorted(labels))} 中没有哪个类别有字段 '{fname}'",
                      f"fields.{fname}")

    @staticmethod
    def _check_rel(i: int, rel: RelationshipSpec, row_labels: frozenset[str], bad: Any) -> None:
        key = f"relationships[{i}]"
        for rtype in [rel.type, *rel.type_by_label.values()]:
            if rtype not in REL_TYPES:
                raise bad(f"不认识的关系类型 '{rtype}'(可用:"
                          f"{'、'.join(REL_TYPES)})", f"{key}.type")
        ends = []
        for side, ep in (("from", rel.from_), ("to", rel.to)):
            if ep.column is None:
                if not row_labels:
                    raise bad("这张表不生成节点:请给这一端指定 'column'",
                              f"{key}.{side}")
                ends.append(frozenset(rel.only_labels) or row_labels)
                continue
            named = [*ep.allowed_labels(), *([ep.create_fallback] if ep.create_fallback else [])]
            if ep.create_label and ep.create_label != "auto":
                named.append(ep.create_label)
            for lb in named:
                if lb not in NODE_MODELS:
                    raise bad(f"不认识的主体类别 '{lb}'", f"{key}.{side}.label")
            if ep.create_fallback and ep.create_label != "auto":
                raise bad("create_fallback 只能与 create_label: auto 一起用",
                          f"{key}.{side}.create_fallback")
            if ep.qualifier and create_label_of(ep) in (None, "auto"):
                raise bad("带 qualifier 的一端只能有一个主体类别",
                          f"{key}.{side}.qualifier")
            if ep.create_missing and create_label_of(ep) is None and not ep.labels:
                raise bad("create_missing 需要唯一的 'label' 或 'create_label'",
                          f"{key}.{side}.create_label")
            ends.append(ep.allowed_labels())
        fits = (a in REL_TYPES[rel.type_for(a, b)][0] and b in REL_TYPES[rel.type_for(a, b)][1]
                for a in ends[0] for b in ends[1])
        if not any(fits):
            srcs, dsts, _, _ = REL_TYPES[rel.type]
            raise bad(f"{rel.type} 关系不能从 {'|'.join(sorted(ends[0]))} 连到 "
                      f"{'|'.join(sorted(ends[1]))}(允许:{'|'.join(sorted(srcs))} -> "
                      f"{'|'.join(sorted(dsts))})", f"{key}.type")
        for prop in rel.properties:
            if prop not in _REL_PROPS:
                raise bad(f"关系没有属性 '{prop}'(可用:"
                          f"{'、'.join(sorted(_REL_PROPS))})", f"{key}.properties.{prop}")


def create_label_of(ep: EndpointSpec) -> str | None:
    """The label given to an entity this endpoint creates, when fixed by the mapping."""
    if ep.create_label:
        return ep.create_label
    if isinstance(ep.label, str):
        return ep.label
    if isinstance(ep.label, list) and len(ep.label) == 1:
        return ep.label[0]
    return None


def mapping_path_for(data_file: Path) -> Path | None:
    """The mapping file beside a data file (``<name>.mapping.yaml``), if there is one."""
    for suffix in MAPPING_SUFFIXES:
        candidate = data_file.with_name(data_file.name + suffix)
        if candidate.is_file():
            return candidate
    return None


def load_mapping(path: Path) -> list[TableMapping]:
    """Load and check a mapping file: one table, or several under ``tables:``.

    Top-level keys other than ``tables`` are defaults every table inherits
    (``order``, ``synthetic``…).

    Raises:
        MappingError: unreadable YAML, unknown keys, or a mapping the ontology
            does not allow; the message names the file and the key.
    """
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise MappingError(f"无法读取:{exc.strerror or exc}", file=str(path)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise MappingError(f"YAML 格式错误:{getattr(exc, 'problem', exc)}", file=str(path),
                           line=mark.line + 1 if mark else None) from exc
    if not isinstance(doc, dict):
        raise MappingError("映射文件应是一个 YAML 映射(键: 值)", file=str(path))
    tables = doc.pop("tables", None)
    raw_tables = [doc] if tables is None else [{**doc, **t} for t in tables]
    out = []
    for i, raw in enumerate(raw_tables):
        try:
            table = TableMapping.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            prefix = f"tables[{i}]." if tables is not None else ""
            raise MappingError(validation_reason(err), file=str(path),
                               column=prefix + loc) from exc
        table.mapping_path = path
        table.check()
        out.append(table)
    return out
