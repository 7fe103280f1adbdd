"""How kinds and relationship types look: colours, shapes, Chinese names, tooltips.

One table for every view (pyvis pages, the explorer's JSON, the legend), so a
企业 is the same blue dot everywhere. Shapes are ones vis-network draws with
the label below the symbol (dot, diamond, square, triangle, star, hexagon…):
shapes with the label inside (box, ellipse) are measured per node and get slow
past a few thousand nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graph.analytics.paths import reading
from schemas.ontology import LABEL_NAMES
from schemas.privacy import personal_fields


@dataclass(frozen=True)
class KindStyle:
    """The look of one node label."""

    zh: str
    color: str
    shape: str
    symbol: str


KINDS: dict[str, KindStyle] = {
    "Enterprise": KindStyle(LABEL_NAMES["Enterprise"], "#2b7bd6", "dot", "●"),
    "University": KindStyle(LABEL_NAMES["University"], "#d64541", "diamond", "◆"),
    "Institute": KindStyle(LABEL_NAMES["Institute"], "#8e44ad", "triangle", "▲"),
    "Hospital": KindStyle(LABEL_NAMES["Hospital"], "#16a085", "square", "■"),
    "Government": KindStyle(LABEL_NAMES["Government"], "#7f8c8d", "triangleDown", "▼"),
    "Platform": KindStyle(LABEL_NAMES["Platform"], "#e67e22", "star", "★"),
    "Talent": KindStyle(LABEL_NAMES["Talent"], "#27ae60", "dot", "●"),
    "Team": KindStyle(LABEL_NAMES["Team"], "#1abc9c", "hexagon", "⬢"),
    "Project": KindStyle(LABEL_NAMES["Project"], "#c0a000", "square", "■"),
    "Program": KindStyle(LABEL_NAMES["Program"], "#b0813a", "triangleDown", "▼"),
    "Field": KindStyle(LABEL_NAMES["Field"], "#9b59b6", "hexagon", "⬢"),
    "Region": KindStyle(LABEL_NAMES["Region"], "#34495e", "diamond", "◆"),
    "Document": KindStyle(LABEL_NAMES["Document"], "#95a5a6", "square", "■"),
    "Target": KindStyle(LABEL_NAMES["Target"], "#e84393", "star", "★"),
}
OTHER = KindStyle("其他", "#bdc3c7", "dot", "●")
GROUP = KindStyle("聚合", "#5d6d7e", "dot", "●")

REL_COLORS: dict[str, str] = {
    "COOPERATES_WITH": "#e74c3c",
    "MEMBER_OF": "#f39c12",
    "HOSTED_BY": "#8e44ad",
    "WORKS_AT": "#27ae60",
    "LEADS": "#16a085",
    "UNDERTAKES": "#c0a000",
    "PARTICIPATES_IN": "#d4ac0d",
    "IN_FIELD": "#9b59b6",
    "OFFERS": "#2ecc71",
    "NEEDS": "#e67e22",
    "LOCATED_IN": "#5d6d7e",
    "SUBFIELD_OF": "#af7ac5",
}
DEFAULT_REL_COLOR = "#a0a8b0"

VIRTUAL_EDGES: dict[str, tuple[str, str]] = {
    "MISSING": ("缺少合作", "#ff3b30"),
    "RECOMMENDED": ("推荐合作", "#0a84ff"),
    "AGGREGATE": ("关系", "#7f8c8d"),
}
"""Edges a view adds that the graph does not hold: (Chinese reading, colour)."""

ROLE_ZH: dict[str, str] = {
    "center": "中心",
    "source": "起点",
    "target": "终点",
    "demand": "需求方",
    "supply": "供给方",
    "field": "领域",
    "recommended": "推荐对象",
    "shared": "共同伙伴",
    "community": "共同体",
}

FONT_FACE = ("Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, "
             "WenQuanYi Micro Hei, sans-serif")
"""Fonts found on the analysts' machines: nothing is downloaded (no web fonts)."""

# Fields worth a line in a tooltip, per label, in this order; personal data
# (phone, e-mail, ID numbers) is never among them.
_FACTS: dict[str, tuple[tuple[str, str], ...]] = {
    "Enterprise": (("credit_code", "统一社会信用代码"), ("founded_year", "成立年份"),
                   ("registered_capital", "注册资本(万元)"), ("tags", "标签"),
                   ("region", "所在地")),
    "University": (("moe_code", "学校标识码"), ("level", "办学层次"),
                   ("department", "主管部门"), ("city", "城市")),
    "Institute": (("institute_type", "机构类型"), ("founded_year", "成立年份"),
                  ("region", "所在地")),
    "Hospital": (("grade", "等级"), ("region", "所在地")),
    "Government": (("level", "级别"),),
    "Platform": (("platform_type", "平台类型"), ("level", "级别"),
                 ("approved_year", "认定年份")),
    "Talent": (("title", "职称"), ("position", "职务"), ("degree", "学位")),
    "Team": (("size", "人数"), ("founded_year", "成立年份")),
    "Project": (("project_code", "项目编号"), ("year", "立项年度"), ("budget", "经费(万元)"),
                ("status", "状态")),
    "Program": (("program_type", "计划类型"), ("level", "级别"), ("issuer", "发布单位")),
    "Field": (("code", "代码"),),
    "Region": (("region_type", "区域类型"), ("admin_code", "行政区划代码")),
    "Document": (("title", "标题"), ("published", "发布日期"), ("doc_type", "文件类型")),
    "Target": (("metric", "指标"), ("value", "目标值"), ("unit", "单位"), ("year", "年度"),
               ("scope", "范围")),
}


def kind_style(label: str | None) -> KindStyle:
    """The style of a node label (grey for labels the ontology does not know)."""
    return KINDS.get(label or "", OTHER)


def kind_zh(label: str | None) -> str:
    """The Chinese name of a node label."""
    return kind_style(label).zh


def rel_zh(rel_type: str) -> str:
    """The Chinese reading of a relationship type, virtual view edges included."""
    if rel_type in VIRTUAL_EDGES:
        return VIRTUAL_EDGES[rel_type][0]
    return reading(rel_type)


def rel_color(rel_type: str) -> str:
    """The colour of a relationship type."""
    if rel_type in VIRTUAL_EDGES:
        return VIRTUAL_EDGES[rel_type][1]
    return REL_COLORS.get(rel_type, DEFAULT_REL_COLOR)


def _text(value: Any) -> str:
    if isinstance(value, list | tuple | set):
        return "、".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _provenance_lines(rec: Mapping[str, Any]) -> list[str]:
    lines = []
    if rec.get("prov_source"):
        lines.append(f"来源:{rec['prov_source']}")
    method = rec.get("prov_method")
    conf = rec.get("prov_confidence")
    if method or conf is not None:
        conf_text = f",置信度 {float(conf):.2f}" if conf is not None else ""
        from schemas.vocabularies import VALUE_NAMES

        shown = VALUE_NAMES.get(str(method), method) if method else "未知"
        lines.append(f"方法:{shown}{conf_text}")
    if rec.get("prov_synthetic"):
        lines.append("⚠ 合成样例数据,非真实主体")
    return lines


def node_tooltip(rec: Mapping[str, Any], *, extra: list[str] | None = None) -> str:
    """Plain-text tooltip of a node: kind, name, key facts, then provenance.

    Personal data is left out whatever the record holds.
    """
    label = str(rec.get("label") or "")
    hidden = personal_fields(label if label in KINDS else None)
    lines = [f"{rec.get('name', rec.get('uid', ''))}", f"类型:{kind_zh(label)}"]
    if rec.get("aliases"):
        lines.append(f"别名:{_text(rec['aliases'])}")
    for key, zh in _FACTS.get(label, ()):
        value = rec.get(key)
        if key not in hidden and value not in (None, "", [], ()):
            lines.append(f"{zh}:{_text(value)}")
    if rec.get("keywords"):
        lines.append(f"关键词:{_text(list(rec['keywords'])[:8])}")
    lines.extend(extra or [])
    lines.append(f"标识:{rec.get('uid', '')}")
    lines.extend(_provenance_lines(rec))
    return "\n".join(lines)


def edge_tooltip(rec: Mapping[str, Any], *, source_name: str = "",
                 target_name: str = "") -> str:
    """Plain-text tooltip of a relationship: reading, years, weight, evidence, provenance."""
    rel_type = str(rec.get("type", ""))
    lines = [f"{source_name} —{rel_zh(rel_type)}→ {target_name}".strip(),
             f"关系类型:{rel_type}"]
    if rec.get("year"):
        lines.append(f"年份:{rec['year']}")
    if rec.get("first_year") or rec.get("last_year"):
        lines.append(f"起止:{rec.get('first_year') or '?'}–{rec.get('last_year') or '?'}")
    if rec.get("weight") is not None:
        lines.append(f"强度:{_text(rec['weight'])}")
    for key, zh in (("role", "角色"), ("description", "说明"), ("evidence", "依据")):
        if rec.get(key):
            lines.append(f"{zh}:{str(rec[key])[:120]}")
    if rec.get("keywords"):
        lines.append(f"关键词:{_text(rec['keywords'])}")
    lines.extend(_provenance_lines(rec))
    return "\n".join(lines)


def legend(labels: set[str], rel_types: set[str]) -> dict[str, list[dict[str, str]]]:
    """Legend entries for the kinds and relationship types present in a view."""
    kinds = [{"label": label, "zh": s.zh, "color": s.color, "symbol": s.symbol}
             for label, s in [*KINDS.items(), ("Group", GROUP)] if label in labels]
    kinds += [{"label": label, "zh": label, "color": OTHER.color, "symbol": OTHER.symbol}
              for label in sorted(labels - set(KINDS) - {"Group"})]
    order = [*REL_COLORS, *sorted(set(rel_types) - set(REL_COLORS))]
    rels = [{"type": t, "zh": rel_zh(t), "color": rel_color(t),
             "dashes": "1" if t in VIRTUAL_EDGES and t != "AGGREGATE" else ""}
            for t in order if t in rel_types]
    return {"kinds": kinds, "relationships": rels}
