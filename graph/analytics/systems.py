"""The seed's systems as tables: platforms by the plan's fifteen kinds, enterprises by
tier, and the community's interest alliances, each set against the plan's targets.

Like the gap tables they read the projected graph (:mod:`graph.analytics.computed`)
and return plain rows with English keys; ``*_COLUMNS`` give the Chinese headers and
:data:`NOTES` the definitions of the counts.
"""

from __future__ import annotations

import weakref
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx

from schemas.ontology import LABEL_NAMES
from schemas.vocabularies import (
    ALLIANCE_TYPE,
    ENTERPRISE_TIERS,
    PLAN_PLATFORM_KINDS,
    enterprise_tier,
    plan_kind,
)

if TYPE_CHECKING:
    from graph.analytics.targets import TargetRules

PLATFORM_COLUMNS: dict[str, str] = {
    "kind": "类别代码", "kind_name": "平台类别", "count": "平台数", "recent": "最近一年批准数",
    "examples": "示例", "targets": "相关规划目标",
}
TIER_COLUMNS: dict[str, str] = {
    "tier": "梯次", "count": "企业数(按最高梯次)", "tagged": "带此标签的企业数",
    "certified": "当年认定数", "year": "年度", "targets": "相关规划目标",
}
ALLIANCE_COLUMNS: dict[str, str] = {
    "community": "共同体", "alliance": "联盟", "alliance_uid": "联盟标识", "members": "成员数",
    "by_kind": "成员构成", "examples": "示例成员",
}
NOTES: dict[str, dict[str, str]] = {
    "platforms": {
        "kind_name": "工作要点三.7列出的15类创新平台,按平台类型与级别归类;不属于这15类的平台"
                     "按类型与级别列在其后(JSON/CSV 中的类别代码为 other)",
        "count": "图谱中该类平台的数量",
        "recent": "批准年度为图谱中最近一年(规划目标的年度)的平台数",
        "targets": "指标文字提到该类平台类型的规划目标,及其目标值、实际数与状态"
                   "(口径见“规划目标完成情况”表)",
    },
    "tiers": {
        "count": "以此为最高梯次的企业数:创新50强 > 高新技术企业 > 科技型中小企业,"
                 "一家企业只计入一个梯次",
        "tagged": "企业标签含此梯次的企业数(一家企业可有多个标签)",
        "certified": "带此标签且认定年度为该年的企业数;名单没有认定年度时为空",
        "targets": "指标文字提到该梯次的规划目标,及其目标值、实际数与状态",
    },
    "alliances": {
        "members": "加入该联盟(MEMBER_OF 联盟)的主体数",
        "by_kind": "成员按主体类型计数",
    },
}


def _targets_about(target_rows: Sequence[Mapping[str, Any]], words: Sequence[str]) -> str:
    """Plan targets whose metric names one of ``words``, told in one line each."""
    out = []
    for r in target_rows:
        metric = str(r.get("metric") or "")
        if any(w in metric for w in words):
            actual = "无法统计" if r.get("actual") is None else f"实际{r['actual']}"
            out.append(f"{metric}(目标{r.get('value')}{r.get('unit') or ''},{actual},"
                       f"{r.get('status')})")
    return ";".join(dict.fromkeys(out))


def _year_of(value: Any) -> int | None:
    try:
        return int(str(value)[:4])
    except (TypeError, ValueError):
        return None


def _plan_year(g: nx.MultiDiGraph) -> int | None:
    years = [y for _, d in g.nodes(data=True) if d.get("label") == "Target"
             if (y := _year_of(d.get("year"))) is not None]
    return max(years) if years else None


_TARGETS: weakref.WeakKeyDictionary[nx.MultiDiGraph, list[dict[str, Any]]] = (
    weakref.WeakKeyDictionary())


def _targets(g: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """The plan-target rows of ``g``, counted once per graph object for the targets,
    platform and tier tables."""
    from graph.analytics.targets import plan_targets

    rows = _TARGETS.get(g)
    if rows is None:
        rows = _TARGETS[g] = plan_targets(g)
    return rows


def target_rows(g: nx.MultiDiGraph, *, rules: TargetRules | None = None,
                ) -> list[dict[str, Any]]:
    """:func:`graph.analytics.targets.plan_targets`, counted once per graph object with
    the bundled rules (the targets table and the platform and tier tables share it)."""
    if rules is None:
        return _targets(g)
    from graph.analytics.targets import plan_targets

    return plan_targets(g, rules=rules)


def platform_kinds(g: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """Platforms by the plan's fifteen kinds (in the plan's order), then the other
    (type, level) pairs by count, each with the plan targets that name its type.

    >>> g = nx.MultiDiGraph()
    >>> g.add_node("p1", label="Platform", name="甲重点实验室", platform_type="重点实验室",
    ...            level="省", approved_year=2020)
    >>> g.add_node("p2", label="Platform", name="乙中心", platform_type="企业技术中心", level="市")
    >>> rows = platform_kinds(g)
    >>> [(r["kind_name"], r["count"]) for r in rows if r["count"]]
    [('省重点实验室', 1), ('企业技术中心(市级)', 1)]
    >>> len([r for r in rows if r["kind"] != "other"])
    15
    """
    year = _plan_year(g)
    platforms = sorted((n, d) for n, d in g.nodes(data=True) if d.get("label") == "Platform"
                       and d.get("platform_type") != ALLIANCE_TYPE)
    recent_year = year or max((y for _, d in platforms
                               if (y := _year_of(d.get("approved_year"))) is not None),
                              default=None)
    by_kind: dict[str, list[tuple[str, Mapping[str, Any]]]] = defaultdict(list)
    other: dict[tuple[str, str], list[tuple[str, Mapping[str, Any]]]] = defaultdict(list)
    for n, d in platforms:
        kind = plan_kind(d.get("platform_type"), d.get("level"))
        if kind is not None:
            by_kind[kind.code].append((n, d))
        else:
            other[str(d.get("platform_type") or "未注明类型"),
                  str(d.get("level") or "")].append((n, d))
    targets = _targets(g)

    def row(code: str, name: str, found: list[tuple[str, Mapping[str, Any]]],
            words: Sequence[str]) -> dict[str, Any]:
        names = sorted(str(d.get("name")) for _, d in found)
        return {"kind": code, "kind_name": name, "count": len(found),
                "recent": sum(1 for _, d in found
                              if recent_year and _year_of(d.get("approved_year")) == recent_year),
                "examples": names[:3], "targets": _targets_about(targets, words)}

    rows = [row(k.code, k.name, by_kind.get(k.code, []), k.types) for k in PLAN_PLATFORM_KINDS]
    for (ptype, level), found in sorted(other.items(), key=lambda t: (-len(t[1]), t[0])):
        label = f"{ptype}({level}级)" if level else ptype
        rows.append(row("other", label, found, [ptype]))
    return rows


def tier_table(g: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """Enterprises by tier (科技型中小企业 → 高新技术企业 → 创新50强), with the plan's
    targets for them.

    >>> g = nx.MultiDiGraph()
    >>> g.add_node("a", label="Enterprise", name="a", tags=["科技型中小企业", "高新技术企业"])
    >>> g.add_node("b", label="Enterprise", name="b", tags=["科技型中小企业"])
    >>> [(r["tier"], r["count"], r["tagged"]) for r in tier_table(g)]
    [('科技型中小企业', 1, 2), ('高新技术企业', 1, 1), ('创新50强', 0, 0)]
    """
    year = _plan_year(g)
    highest: Counter[str] = Counter()
    tagged: Counter[str] = Counter()
    certified: Counter[str] = Counter()
    for _, d in g.nodes(data=True):
        if d.get("label") != "Enterprise":
            continue
        tags = list(d.get("tags") or [])
        tier = enterprise_tier(tags)
        if tier:
            highest[tier] += 1
        cert = _year_of(_attr(d, "认定年度") or _attr(d, "认定年份"))
        for t in tags:
            if t in ENTERPRISE_TIERS:
                tagged[t] += 1
                if year is not None and cert == year:
                    certified[t] += 1
    targets = _targets(g)
    return [{"tier": t, "count": highest[t], "tagged": tagged[t],
             "certified": certified[t] if year is not None else None, "year": year,
             "targets": _targets_about(targets, [t])} for t in ENTERPRISE_TIERS]


def _attr(d: Mapping[str, Any], key: str) -> Any:
    import json

    raw = d.get("attrs_json")
    attrs = json.loads(raw) if isinstance(raw, str) and raw else d.get("attrs") or {}
    return attrs.get(key) if isinstance(attrs, dict) else None


def alliance_table(g: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """The interest alliances of each community: platforms of type 共同体联盟 that are
    MEMBER_OF a community, with their members by kind."""
    rows = []
    for n, d in sorted(g.nodes(data=True), key=lambda t: (str(t[1].get("name")), t[0])):
        if d.get("label") != "Platform" or d.get("platform_type") != ALLIANCE_TYPE:
            continue
        parents = sorted(str(g.nodes[v].get("name")) for _, v, e in g.out_edges(n, data=True)
                         if e.get("type") == "MEMBER_OF")
        members = sorted({u for u, _, e in g.in_edges(n, data=True)
                          if e.get("type") == "MEMBER_OF"},
                         key=lambda u: (str(g.nodes[u].get("name")), u))
        kinds = Counter(LABEL_NAMES.get(str(g.nodes[u].get("label")), "") for u in members)
        rows.append({"community": "、".join(parents), "alliance": d.get("name"),
                     "alliance_uid": n, "members": len(members),
                     "by_kind": [f"{k}{c}" for k, c in sorted(kinds.items())],
                     "examples": [str(g.nodes[u].get("name")) for u in members[:3]]})
    return rows
