"""Plan targets against what the graph can count.

Each ``Target`` node (metric, value, unit, year, comparator, scope) is matched
to a counting rule of a data file (``data/target_rules.yaml``, documented in
the file itself): the first rule whose pattern occurs in the metric text. The
rule says which nodes count (labels, property conditions, a required
relationship), how the target's scope restricts them and which year property
the target's year filters on. A metric that no rule can count (money, ratios,
statistics the graph does not hold) is reported as 无法统计 with the reason,
never as a count of zero.

With ``actual`` the count and ``v`` the target value:

* ``>=`` (以上) and ``=`` (a plain number in a plan): met when ``actual ≥ v``;
* ``~`` (左右): met when ``actual ≥ 0.8 · v`` (within 20% below, or above);
* ``<=`` (以内): met when ``actual ≤ v``;
* ``shortfall = max(v − actual, 0)`` (for ``<=``: the excess ``max(actual − v, 0)``);
* ``percent = 100 · actual / v`` (None when ``v = 0``).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from graph.analytics.computed import typed_edges
from graph.errors import GraphError
from schemas.errors import validation_reason
from schemas.names import normalize_name
from schemas.nodes import NODE_MODELS
from schemas.ontology import label_name
from schemas.relationships import REL_TYPES


def reading(rel_type: str) -> str:
    """The Chinese reading of a relationship type."""
    spec = REL_TYPES.get(rel_type)
    return spec[2] if spec else rel_type

RULES_PATH = Path(__file__).resolve().parent / "data" / "target_rules.yaml"
MET, UNMET, UNCOUNTABLE = "达成", "未达成", "无法统计"
APPROX = 0.2
"""左右: a count within this share below the value meets the target."""

TARGET_COLUMNS: dict[str, str] = {
    "metric": "指标", "value": "目标值", "unit": "单位", "year": "年度", "comparator": "比较",
    "scope": "范围", "source": "来源", "actual": "实际数", "shortfall": "差额",
    "percent": "完成率(%)", "status": "状态", "rule": "规则", "basis": "统计口径",
    "note": "说明", "query": "统计式(代码)", "target_uid": "目标标识",
}
TARGET_NOTES: dict[str, str] = {
    "comparator": ">= 以上;= 计划中的数值,按“不少于”判断;~ 左右,达到目标值的80%即达成;<= 以内",
    "actual": "按统计口径在图谱中数到的数量",
    "shortfall": "目标值 − 实际数(不低于0);“以内”类目标为超出目标值的部分",
    "percent": "实际数 ÷ 目标值 × 100",
    "status": "达成、未达成,或无法统计:图谱没有所需数据时不按0计,说明中给出所需数据",
    "basis": "统计了哪些主体、按什么条件和年份;规则见 graph/analytics/data/target_rules.yaml",
}
"""Definitions of the target table's columns, in Chinese (its footnotes)."""
PROP_NAMES: dict[str, str] = {
    "tags": "标签", "platform_type": "平台类型", "level": "级别", "year": "年份",
    "founded_year": "成立年份", "approved_year": "批准年份", "name": "名称",
}
"""Chinese names of the properties the counting rules read (``attrs.X`` reads as X)."""


def _prop_zh(prop: str) -> str:
    return prop[6:] if prop.startswith("attrs.") else PROP_NAMES.get(prop, prop)


def _labels_zh(labels: Iterable[str]) -> str:
    return "、".join(label_name(label) for label in labels)


class TargetRulesError(GraphError):
    """The counting-rule file cannot be read or does not follow its format."""


# ---- the rule file -------------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_types(types: Sequence[str]) -> None:
    for t in types:
        if t.lstrip("~") not in REL_TYPES:
            raise ValueError(f"不认识的关系类型 '{t}'")


def _check_where(where: Mapping[str, Any]) -> None:
    forms = {"all", "in", "named_in_metric", "level_in_metric"}
    for prop, cond in where.items():
        if isinstance(cond, dict) and (len(cond) != 1 or not set(cond) <= forms):
            raise ValueError(f"'{prop}' 的条件应是一个值,或 "
                             f"{{{'、'.join(sorted(forms))}: …}} 之一,收到 {cond!r}")


class EdgeRule(_Strict):
    """An outgoing relationship the counted node must have."""

    type: str
    to_labels: list[str] = Field(default_factory=list)
    where: dict[str, Any] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _known_type(cls, v: str) -> str:
        _check_types([v])
        return v

    @field_validator("where")
    @classmethod
    def _where_forms(cls, v: dict[str, Any]) -> dict[str, Any]:
        _check_where(v)
        return v


class YearRule(_Strict):
    """Where a counted node's year is read from."""

    node: list[str] = Field(default_factory=list)
    edge: str | None = None
    on_missing: Literal["uncountable", "ignore"] = "uncountable"

    @model_validator(mode="after")
    def _some_source(self) -> YearRule:
        if not self.node and not self.edge:
            raise ValueError("year 需要 'node' 属性或 'edge' 关系类型")
        if self.edge:
            _check_types([self.edge])
        return self


class CountRule(_Strict):
    """One counting rule (see the comments at the top of the rule file)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    match: list[str] = Field(min_length=1)
    exclude: list[str] = Field(default_factory=list)
    description: str = ""
    countable: bool = True
    reason: str = ""
    data: str = ""
    empty: Literal["zero", "uncountable"] = "zero"
    labels: list[str] = Field(default_factory=list)
    where: dict[str, Any] = Field(default_factory=dict)
    has_edge: EdgeRule | None = None
    scope: Literal["optional", "required"] = "optional"
    scope_via: list[str] | None = None
    scope_hops: int = Field(default=1, ge=1, le=4)
    year: YearRule | None = None

    @field_validator("where")
    @classmethod
    def _where_forms(cls, v: dict[str, Any]) -> dict[str, Any]:
        _check_where(v)
        return v

    @model_validator(mode="after")
    def _consistent(self) -> CountRule:
        for pattern in (*self.match, *self.exclude):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"匹配式 {pattern!r} 有误:{exc}") from exc
        if self.countable and not self.labels:
            raise ValueError("可计数的规则需要 'labels'")
        if not self.countable and not self.reason:
            raise ValueError("不可计数的规则需要 'reason'(原因)")
        for label in (*self.labels, *(self.has_edge.to_labels if self.has_edge else ())):
            if label not in NODE_MODELS:
                raise ValueError(f"不认识的主体类别 '{label}'")
        _check_types(self.scope_via or ())
        return self

    def matches(self, metric: str) -> bool:
        """Whether this rule applies to a metric text."""
        return (any(re.search(p, metric) for p in self.match)
                and not any(re.search(p, metric) for p in self.exclude))


class LevelWords(_Strict):
    """Wording in a metric (省级, 国家级…) and the platform/programme levels it admits."""

    pattern: str
    levels: list[str]


class NameHint(_Strict):
    """A property value to assume for a node that lacks it, when its name matches."""

    pattern: str
    value: str


class TargetRules(_Strict):
    """The whole rule file."""

    version: int = 1
    citywide: list[str] = Field(default_factory=list)
    scope_via: list[str] = Field(default_factory=list)
    field_scope_via: list[str] = Field(default_factory=lambda: ["IN_FIELD", "SUBFIELD_OF"])
    levels: list[LevelWords] = Field(default_factory=list)
    by_name: dict[str, list[NameHint]] = Field(default_factory=dict)
    rules: list[CountRule]

    @model_validator(mode="after")
    def _unique(self) -> TargetRules:
        ids = [r.id for r in self.rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"规则编号重复:{'、'.join(dup)}")
        _check_types([*self.scope_via, *self.field_scope_via])
        for pattern in [lw.pattern for lw in self.levels] + [
                h.pattern for hints in self.by_name.values() for h in hints]:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"匹配式 {pattern!r} 有误:{exc}") from exc
        return self

    def value_of(self, rec: Mapping[str, Any], prop: str) -> Any:
        """A record's property, else the value ``by_name`` assumes from its name."""
        value = _prop(rec, prop)
        if _is_set(value) or prop not in self.by_name:
            return value
        name = str(rec.get("name") or "")
        return next((h.value for h in self.by_name[prop] if re.search(h.pattern, name)), None)

    def rule_for(self, metric: str) -> CountRule | None:
        """The first rule that applies to ``metric``, or None."""
        return next((r for r in self.rules if r.matches(metric)), None)

    def levels_in(self, metric: str) -> list[str] | None:
        """Levels the metric's wording admits (None: it names no level)."""
        for lw in self.levels:
            if re.search(lw.pattern, metric):
                return lw.levels
        return None


def load_target_rules(path: Path | None = None) -> TargetRules:
    """Read and check a counting-rule file (default: the bundled ``target_rules.yaml``).

    Raises:
        TargetRulesError: The file is missing, not YAML, or breaks the format.
    """
    if path is None:
        return _bundled_rules()
    return _read_rules(path)


@lru_cache(maxsize=1)
def _bundled_rules() -> TargetRules:
    return _read_rules(RULES_PATH)


def _read_rules(path: Path) -> TargetRules:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TargetRulesError(f"无法读取目标规则 {path}:{exc}") from exc
    try:
        return TargetRules.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise TargetRulesError(f"{path}:{loc}:{validation_reason(err)}") from exc


# ---- counting ------------------------------------------------------------------------------

def _is_set(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _prop(rec: Mapping[str, Any], prop: str) -> Any:
    """A record property; ``attrs.X`` reads a source column kept in ``attrs_json``."""
    if prop.startswith("attrs."):
        raw = rec.get("attrs_json")
        attrs = json.loads(raw) if isinstance(raw, str) and raw else rec.get("attrs") or {}
        return attrs.get(prop[6:]) if isinstance(attrs, dict) else None
    return rec.get(prop)


def _as_year(value: Any) -> int | None:
    try:
        year = int(str(value).strip()[:4])
    except ValueError:
        return None
    return year if 1900 <= year <= 2100 else None


class _Condition:
    """A ``where`` condition made concrete for one metric."""

    def __init__(self, prop: str, cond: Any, metric: str, rules: TargetRules) -> None:
        self.prop = prop
        self.rules = rules
        self.listy = False  # whether the stored property is a list (tags): shown as ∋
        self.inferred = False  # whether some node's value came from its name (by_name)
        self.mode = "eq"
        self.values: list[Any] = [cond]
        if isinstance(cond, dict):
            form, arg = next(iter(cond.items()))
            if form == "all":
                self.mode, self.values = "all", list(arg)
            elif form == "in":
                self.mode, self.values = "in", list(arg)
            elif form == "named_in_metric":
                names = arg if isinstance(arg, dict) else {a: [] for a in arg}
                named = [v for v, syn in names.items()
                         if any(w in metric for w in [v, *(syn or [])])]
                self.mode, self.values = "in", named or list(names)
            else:  # level_in_metric
                levels = rules.levels_in(metric)
                self.mode, self.values = ("in", levels) if levels else ("none", [])

    @property
    def active(self) -> bool:
        return self.mode != "none"

    def check_data(self, recs: Iterable[Mapping[str, Any]]) -> bool:
        """Whether any of ``recs`` has a value to test (and whether values are lists)."""
        found = False
        for rec in recs:
            value = self.rules.value_of(rec, self.prop)
            if _is_set(value):
                found = True
                self.listy |= isinstance(value, list)
        return found

    def note_inferred(self, recs: Iterable[Mapping[str, Any]]) -> None:
        """Remember whether any of the counted ``recs`` had its value assumed from its name."""
        self.inferred = any(not _is_set(_prop(rec, self.prop)) for rec in recs)

    def ok(self, rec: Mapping[str, Any]) -> bool:
        value = self.rules.value_of(rec, self.prop)
        have = value if isinstance(value, list) else [value]
        if self.mode == "all":
            return all(v in have for v in self.values)
        return any(v in have for v in self.values)

    def describe_zh(self) -> str:
        """The condition in Chinese (统计口径)."""
        prop = _prop_zh(self.prop)
        quoted = "、".join(f"“{v}”" for v in self.values)
        if self.mode == "all":
            text = f"{prop}同时含{quoted}"
        elif self.mode == "in" and len(self.values) > 1:
            text = f"{prop}为{'或'.join(f'“{v}”' for v in self.values)}"
        else:
            text = f"{prop}{'含' if self.listy else '为'}{quoted}"
        return text + ("(缺少时按名称判断)" if self.inferred else "")

    def describe(self) -> str:
        prop = f"{self.prop} (else by name)" if self.inferred else self.prop
        if self.mode == "all":
            return f"{prop} ∋ {', '.join(map(str, self.values))}"
        if self.mode == "in" and len(self.values) > 1:
            return f"{prop} ∈ {{{', '.join(map(str, self.values))}}}"
        return f"{prop} {'∋' if self.listy else '='} {self.values[0]}"


def _conditions(where: Mapping[str, Any], metric: str,
                rules: TargetRules) -> list[_Condition]:
    conds = [_Condition(p, c, metric, rules) for p, c in sorted(where.items())]
    return [c for c in conds if c.active]


class _Graph:
    """Lookups over the store's graph that every target reuses."""

    def __init__(self, g: nx.MultiDiGraph) -> None:
        self.g = g
        self.recs: dict[str, Mapping[str, Any]] = dict(g.nodes(data=True))
        self.by_label: dict[str, list[str]] = defaultdict(list)
        self.names: dict[str, list[str]] = defaultdict(list)
        self._out: dict[str, dict[str, list[tuple[str, Mapping[str, Any]]]]] = {}
        for n in sorted(self.recs):  # not sorted(items()): ordering pairs costs seconds
            d = self.recs[n]
            label = str(d.get("label", ""))
            self.by_label[label].append(n)
            if label in ("Target", "Document"):
                continue
            for name in [d.get("name") or n, *(d.get("aliases") or [])]:
                self.names[normalize_name(str(name))].append(n)

    def rec(self, n: str) -> Mapping[str, Any]:
        return self.recs[n]

    def name(self, n: str) -> str:
        return str(self.recs[n].get("name") or n)

    def out(self, n: str, rel_type: str) -> list[tuple[str, Mapping[str, Any]]]:
        """``n``'s relationships of ``rel_type`` (target, data), in ``out_edges`` order:
        each type's are gathered once, from the projection's type index (every target
        asks for the relationships of thousands of candidates)."""
        by_source = self._out.get(rel_type)
        if by_source is None:
            by_source = self._out[rel_type] = {}
            for u, v, d in typed_edges(self.g, rel_type):
                by_source.setdefault(u, []).append((v, d))
        return list(by_source.get(n, ()))

    def resolve(self, text: str) -> str | None:
        """A node named ``text`` (name or alias); else the shortest name containing it."""
        key = normalize_name(text)
        exact = self.names.get(key)
        if exact:
            return sorted(exact)[0]
        within = [(len(k), k, u) for k, us in self.names.items() if key in k for u in us]
        return min(within)[2] if within else None

    def reach(self, start: str, via: Sequence[str], hops: int) -> set[str]:
        """Nodes that reach ``start`` along ``via`` within ``hops`` (``~T``: against T)."""
        back = {t for t in via if not t.startswith("~")}
        fwd = {t[1:] for t in via if t.startswith("~")}
        seen, frontier = {start}, [start]
        for _ in range(hops):
            nxt = []
            for n in frontier:
                steps = [u for u, _, d in self.g.in_edges(n, data=True) if d.get("type") in back]
                steps += [v for _, v, d in self.g.out_edges(n, data=True) if d.get("type") in fwd]
                for m in steps:
                    if m not in seen:
                        seen.add(m)
                        nxt.append(m)
            frontier = nxt
        return seen - {start}


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(x, 2)


def _verdict(comparator: str, value: float, actual: int) -> tuple[bool, float, str]:
    """(met, shortfall, note) of a count against a target value."""
    if comparator == "<=":
        return actual <= value, max(actual - value, 0.0), ""
    floor = value * (1 - APPROX) if comparator == "~" else value
    met = actual >= floor
    note = ""
    if comparator == "~" and met and actual < value:
        note = "在目标值左右(不低于80%)"
    elif actual > value * (1 + APPROX) and value:
        note = "超出目标20%以上"
    return met, max(value - actual, 0.0), note


class _Count:
    """The outcome of applying one rule to one target."""

    def __init__(self, actual: int | None, query: str, note: str = "", basis: str = "") -> None:
        self.actual, self.query, self.note, self.basis = actual, query, note, basis


def _count(G: _Graph, rule: CountRule, rules: TargetRules, metric: str, year: int | None,
           scopes: list[str]) -> _Count:
    """Count the nodes ``rule`` selects for one target: labels, conditions, the required
    relationship, scope, then year; stop with a note where the graph lacks the data."""
    labels = "|".join(rule.labels)
    candidates = [n for label in rule.labels for n in G.by_label.get(label, ())]
    parts: list[str] = []
    zh: list[str] = []
    conds = _conditions(rule.where, metric, rules)
    for c in conds:
        if not c.check_data(G.rec(n) for n in candidates):
            return _Count(None, "", f"图谱中{_labels_zh(rule.labels)}没有“{_prop_zh(c.prop)}”"
                                    "数据,无法按此条件统计")
    nodes = [n for n in candidates if all(c.ok(G.rec(n)) for c in conds)]
    for c in conds:
        c.note_inferred(G.rec(n) for n in nodes)
        parts.append(c.describe())
        zh.append(c.describe_zh())

    edge_years: dict[str, set[int]] = {}
    if rule.has_edge:
        he = rule.has_edge
        econds = _conditions(he.where, metric, rules)
        ends = {v for n in candidates for v, _ in G.out(n, he.type)
                if not he.to_labels or G.rec(v).get("label") in he.to_labels}
        for c in econds:
            if not c.check_data(G.rec(v) for v in ends):
                return _Count(None, "", f"图谱中“{reading(he.type)}”关系的对象没有"
                                        f"“{_prop_zh(c.prop)}”数据,无法按此条件统计")
        kept: list[str] = []
        used: set[str] = set()
        for n in nodes:
            good = [(v, d) for v, d in G.out(n, he.type)
                    if (not he.to_labels or G.rec(v).get("label") in he.to_labels)
                    and all(c.ok(G.rec(v)) for c in econds)]
            if good:
                kept.append(n)
                used.update(v for v, _ in good)
                edge_years[n] = {y for _, d in good
                                 if (y := _as_year(d.get("year") or d.get("first_year")))}
        nodes = kept
        for c in econds:
            c.note_inferred(G.rec(v) for v in sorted(used))
        target = "|".join(he.to_labels) or "node"
        where = f" where {' and '.join(c.describe() for c in econds)}" if econds else ""
        parts.append(f"-[{he.type}]->({target}{where})")
        ewhere = f"({'、'.join(c.describe_zh() for c in econds)})" if econds else ""
        zh.append(f"有“{reading(he.type)}”关系指向{_labels_zh(he.to_labels) or '节点'}{ewhere}")

    for s in scopes:
        scope_label = G.rec(s).get("label")
        via = rules.field_scope_via if scope_label == "Field" else (
            rule.scope_via if rule.scope_via is not None else rules.scope_via)
        hops = 3 if scope_label == "Field" else rule.scope_hops
        inside = G.reach(s, via, hops)
        nodes = [n for n in nodes if n in inside]
        within = f" within {hops} hops" if hops > 1 else ""
        parts.append(f"reaches {G.name(s)} via {'|'.join(via)}{within}")
        ties = "、".join(("反向" if t.startswith("~") else "") + reading(t.lstrip("~"))
                         for t in via)
        zh.append(f"经{ties}关系{f'{hops}步以内' if hops > 1 else ''}关联到{G.name(s)}")
    note = ""
    if rule.year and year is not None:
        yr = rule.year

        def years_of(n: str) -> set[int]:
            for p in yr.node:
                y = _as_year(_prop(G.rec(n), p))
                if y is not None:
                    return {y}
            if yr.edge is None:
                return set()
            if rule.has_edge and rule.has_edge.type == yr.edge:
                return edge_years.get(n, set())
            return {y for _, d in G.out(n, yr.edge)
                    if (y := _as_year(d.get("year") or d.get("first_year")))}

        dated = {n: years_of(n) for n in nodes}
        sources = [*yr.node, *([f"{yr.edge}.year"] if yr.edge else [])]
        if nodes and not any(dated.values()):
            if yr.on_missing == "uncountable":
                return _Count(None, "", "图谱中没有年份数据("
                              f"{'、'.join(_year_source_zh(x) for x in sources)}),"
                              f"无法统计{year}年的数量")
            note = f"图谱中没有年份数据,按全部年份统计(未限定{year}年)"
        else:
            nodes = [n for n in nodes if year in dated[n]]
            parts.append(f"{' or '.join(sources)} = {year}")
            zh.append(f"{'或'.join(_year_source_zh(x) for x in sources)}为{year}年")
    query = labels + (f" where {' and '.join(parts)}" if parts else "")
    basis = (f"统计{_labels_zh(rule.labels)}" + (f"中{'，'.join(zh)}的" if zh else "")
             + f"数量(规则 {rule.id})")
    return _Count(len(nodes), f"{query} (rule {rule.id})", note, basis)


def _year_source_zh(source: str) -> str:
    if source.endswith(".year") and source[:-5] in REL_TYPES:
        return f"“{reading(source[:-5])}”关系的年份"
    return _prop_zh(source)


def plan_targets(g: nx.MultiDiGraph, *, rules: TargetRules | None = None,
                 ) -> list[dict[str, Any]]:
    """Each ``Target`` node against the count the graph supports.

    A target's scope is the node(s) it CONCERNS; without CONCERNS, its ``scope``
    text resolved by name or alias (a scope in the rules' ``citywide`` list means
    no restriction). A scope that names nothing in the graph makes the target
    uncountable rather than counted city-wide. See the module docstring for the
    comparators, shortfall and percent.

    Args:
        g: The store's graph.
        rules: Counting rules (default: the bundled ``data/target_rules.yaml``).

    Returns:
        One row per target with the keys of :data:`TARGET_COLUMNS`, unmet targets
        first, then met, then uncountable; within each by metric and uid.
        ``status`` is 达成, 未达成 or 无法统计; ``query`` describes what was
        counted and names the rule.

    >>> g = nx.MultiDiGraph()
    >>> g.add_node("t", uid="t", label="Target", name="t", metric="高新技术企业", value=3.0,
    ...            unit="家", comparator=">=", scope="")
    >>> for uid in ("e1", "e2"):
    ...     g.add_node(uid, uid=uid, label="Enterprise", name=uid, tags=["高新技术企业"])
    >>> row = plan_targets(g)[0]
    >>> row["actual"], row["shortfall"], row["percent"], row["status"]
    (2, 1, 66.7, '未达成')
    >>> row["query"]
    'Enterprise where tags ∋ 高新技术企业 (rule high_tech)'
    >>> row["basis"]
    '统计企业中标签含“高新技术企业”的数量(规则 high_tech)'
    """
    rules = rules or load_target_rules()
    G = _Graph(g)
    rows: list[dict[str, Any]] = []
    for t in G.by_label.get("Target", ()):
        rec = G.rec(t)
        metric = str(rec.get("metric") or rec.get("name") or "")
        value = float(rec.get("value") or 0.0)
        comparator = str(rec.get("comparator") or ">=")
        year = _as_year(rec.get("year")) if rec.get("year") is not None else None
        scope_text = str(rec.get("scope") or "").strip()
        sources = sorted(G.name(v) for v, _ in G.out(t, "SET_BY"))
        row: dict[str, Any] = {
            "target_uid": t, "metric": metric, "value": _num(value), "unit": rec.get("unit", ""),
            "year": year, "comparator": comparator, "scope": scope_text,
            "source": "、".join(sources), "actual": None, "shortfall": None, "percent": None,
            "status": UNCOUNTABLE, "rule": "", "basis": "", "query": "", "note": ""}
        rows.append(row)
        rule = rules.rule_for(metric)
        if rule is None:
            row["note"] = ("图谱无法统计:没有与该指标匹配的计数规则;可在计数规则文件 "
                           "target_rules.yaml 中为其增加规则")
            continue
        row["rule"] = rule.id
        if not rule.countable:
            row["note"] = f"图谱无法统计:{rule.reason}" + (f";所需数据:{rule.data}"
                                                          if rule.data else "")
            continue
        scopes = sorted(v for v, _ in G.out(t, "CONCERNS"))
        if not scopes and scope_text and scope_text not in rules.citywide:
            found = G.resolve(scope_text)
            if found is None:
                row["note"] = f"图谱中找不到范围“{scope_text}”"
                continue
            scopes = [found]
        if rule.scope == "required" and not scopes:
            row["note"] = "该规则需要范围(共同体、研究院等),目标没有给出"
            continue
        if scopes and not scope_text:
            row["scope"] = "、".join(G.name(s) for s in scopes)
        counted = _count(G, rule, rules, metric, year, scopes)
        row["query"], row["note"], row["basis"] = counted.query, counted.note, counted.basis
        if counted.actual is None or (counted.actual == 0 and rule.empty == "uncountable"):
            if counted.actual == 0:
                row["note"] = "图谱中还没有可统计的数据(按此口径为0,不作为完成数)"
            if rule.data:
                row["note"] = "; ".join(x for x in (row["note"], f"所需数据:{rule.data}") if x)
            continue
        met, shortfall, note = _verdict(comparator, value, counted.actual)
        row.update(actual=counted.actual, shortfall=_num(shortfall),
                   percent=round(100 * counted.actual / value, 1) if value else None,
                   status=MET if met else UNMET,
                   note="; ".join(x for x in (row["note"], note) if x))
    order = {UNMET: 0, MET: 1, UNCOUNTABLE: 2}
    rows.sort(key=lambda r: (order[r["status"]], r["metric"], r["target_uid"]))
    return rows

