"""Vocabularies declared once: the actor kinds and their research side, the kinds of
candidate matchmaking proposes, the community platform type, and the seed's systems
(the plan's fifteen kinds of innovation platform, work plan 三.7; the enterprise tiers,
三.8–9; the community's interest alliances, 二.5). Codes are for machines; the Chinese
names are for people."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from schemas.nodes import ACTORS, PlatformType

ACTOR_LABELS: frozenset[str] = ACTORS
"""The actors of the innovation system: organisations, talents and teams."""

RESEARCH_SIDE: tuple[str, ...] = ("University", "Institute", "Team", "Talent", "Hospital",
                                  "Platform")
"""Research actors: the supply side of gap queries and an enterprise's default partners."""

CANDIDATE_KINDS: Mapping[str, str] = {
    "team": "Team", "talent": "Talent", "university": "University", "institute": "Institute",
    "platform": "Platform", "hospital": "Hospital"}
"""What matchmaking proposes: candidate kind code → node label."""

COMMUNITY_TYPE: str = PlatformType.COMMUNITY.value
"""The platform type of an innovation community (共同体): its members are a circle."""


@dataclass(frozen=True)
class PlatformKind:
    """One of the plan's kinds of platform: a platform type at a level (any level when
    ``levels`` is empty)."""

    code: str
    name: str
    types: tuple[str, ...]
    levels: tuple[str, ...]

    def covers(self, platform_type: str | None, level: str | None) -> bool:
        """Whether a platform of this type and level is of this kind."""
        return (platform_type or "") in self.types and (not self.levels
                                                          or (level or "") in self.levels)


PLAN_PLATFORM_KINDS: tuple[PlatformKind, ...] = (
    PlatformKind("national_incubator", "国家科技企业孵化器", ("科技企业孵化器",), ("国家",)),
    PlatformKind("national_makerspace", "国家众创空间", ("众创空间",), ("国家",)),
    PlatformKind("national_talent_base", "国家引才引智示范基地", ("引才引智示范基地", "引智基地"),
                 ("国家",)),
    PlatformKind("national_intl_base", "国家国际科技合作基地", ("国际科技合作基地",), ("国家",)),
    PlatformKind("national_innovation_centre", "国家技术创新中心", ("技术创新中心",), ("国家",)),
    PlatformKind("national_key_lab", "国家重点实验室", ("重点实验室",), ("国家",)),
    PlatformKind("provincial_innovation_centre", "省技术创新中心", ("技术创新中心",), ("省",)),
    PlatformKind("provincial_engineering_centre", "省工程技术研究中心", ("工程技术研究中心",),
                 ("省",)),
    PlatformKind("provincial_key_lab", "省重点实验室", ("重点实验室",), ("省",)),
    PlatformKind("provincial_incubator", "省科技企业孵化器", ("科技企业孵化器",), ("省",)),
    PlatformKind("provincial_makerspace", "省众创空间", ("众创空间",), ("省",)),
    PlatformKind("provincial_offshore_base", "省离岸创新创业基地", ("离岸创新创业基地",), ("省",)),
    PlatformKind("provincial_intl_base", "省国际科技合作基地", ("国际科技合作基地",), ("省",)),
    PlatformKind("expert_station", "“千人计划”专家工作站", ("千人计划专家工作站",), ()),
    PlatformKind("academician_station", "院士工作站", ("院士工作站",), ()),
)
"""The fifteen kinds of platform the plan aims to build (三.7), in its order."""


def plan_kind(platform_type: str | None, level: str | None) -> PlatformKind | None:
    """The plan kind of a platform, or None when it is of none of them."""
    return next((k for k in PLAN_PLATFORM_KINDS if k.covers(platform_type, level)), None)


ENTERPRISE_TIERS: tuple[str, ...] = ("科技型中小企业", "高新技术企业", "创新50强")
"""The ladder of technology enterprises (三.8–9), lowest first; each is an enterprise tag."""


def enterprise_tier(tags: Iterable[str]) -> str | None:
    """The highest tier among an enterprise's tags, or None."""
    have = set(tags)
    return next((t for t in reversed(ENTERPRISE_TIERS) if t in have), None)


ALLIANCE_TYPE = "共同体联盟"
"""The platform_type of an interest alliance of a community (a Platform MEMBER_OF the
community; its members are MEMBER_OF it)."""
ALLIANCES: tuple[str, ...] = ("孵化企业", "研发团队", "骨干企业", "产业化基地入驻企业")
"""The four interest alliances of the smart health-care community (work plan 二.5)."""


COLUMN_NAMES: Mapping[str, str] = {
    # identity and kind
    "uid": "标识", "id": "编号", "label": "类别", "kind": "类别", "name": "名称",
    "aliases": "别名", "keywords": "关键词", "tags": "标签", "description": "简介",
    "status": "状态", "source": "来源", "source_uid": "来源标识", "provenance": "出处",
    "attrs": "其他字段", "field": "领域", "property": "属性", "value": "值",
    "method": "方式", "confidence": "置信度", "ingested_at": "入库时间", "synthetic": "合成数据",
    # organisations and places
    "credit_code": "统一社会信用代码", "moe_code": "学校标识码", "admin_code": "行政区划代码",
    "region": "所在区县", "city": "所在城市", "province": "所在省份", "region_type": "地区类型",
    "founded_year": "成立年份", "registered_capital": "注册资本(万元)", "employees": "职工人数",
    "scope": "经营范围", "level": "级别", "grade": "等级", "department": "主管部门",
    "institute_type": "院所类型", "platform_type": "平台类型", "approved_year": "认定年份",
    "size": "人数", "unit": "单位",
    # talents (personal data: only roles that may see it get these)
    "title": "职称", "position": "职务", "degree": "学位", "phone": "电话", "email": "电子邮箱",
    "id_number": "身份证号",
    # projects, programmes, documents, targets
    "year": "年度", "budget": "经费(万元)", "project_code": "项目编号", "program_type": "计划类别",
    "doc_type": "文件类型", "issuer": "发文单位", "published": "发布日期", "url": "网址",
    "sha256": "内容摘要", "length": "长度", "metric": "指标", "comparator": "比较",
    "code": "代码",
    # answers
    "score": "得分", "rank": "名次", "matched": "命中", "matched_text": "命中内容",
    "hops": "跳数", "story": "关系路径", "sentence": "关系描述", "nodes": "途经",
    "reason": "推荐理由", "structure": "结构得分", "content": "内容得分",
    "shared_partners": "共同伙伴", "shared_fields": "相同领域", "matched_keywords": "匹配关键词",
    "path": "关系路径", "text": "文本相关", "proximity": "关系远近", "track_record": "项目经历",
    "capacity": "承接能力", "candidates": "候选", "merge_id": "合并编号", "query": "查询",
    "rule": "规则", "type": "关系类型", "rel_type": "关系类型", "via": "经由",
    "count": "数量", "depth": "层级", "from": "起点类别", "to": "终点类别",
    "reading": "中文读法",
}
"""Column and property names for people (table headers, workbook headers, a node's
properties); the codes stay the keys of JSON and CSV output."""

ID_COLUMNS: frozenset[str] = frozenset({"uid", "id", "source_uid", "merge_id"})
"""Columns a user copies into the next command: never cut in a table."""

VALUE_NAMES: Mapping[str, str] = {
    "matched": "已匹配", "ambiguous": "有歧义", "new": "新建", "unmatched": "未找到",
    "unknown": "未找到", "pending": "待审核", "accepted": "已接受", "rejected": "已拒绝",
    "merged": "已合并", "name": "名称", "alias": "别名", "keyword": "关键词",
    "node": "节点", "relationship": "关系", "candidate": "候选", "branch_of": "所属单位",
    "none": "未找到", "registry": "名录登记", "text": "文本抽取", "manual": "人工录入"}
"""Status, hit and kind codes as a table shows them (review queue, resolution, search
hits, counts)."""

RULE_NAMES: Mapping[str, str] = {
    "exact": "全称一致", "normalised": "规范化名称一致", "store_alias": "图谱中的别名",
    "alias_table": "别名表", "former_name": "曾用名", "gazetteer_moe": "教育部学校名录",
    "fuzzy": "近似名称", "abbreviation": "简称", "abbreviation_best": "简称(最可能)",
    "credit_code": "统一社会信用代码", "credit_code_conflict": "信用代码冲突",
    "moe_code": "学校标识码", "name_and_qualifier": "名称与限定词", "homonym": "同名不同主体",
    "branch_of": "分支机构所属", "empty": "空名称", "same": "同一主体"}
"""How a name was resolved (the resolver's rule codes), for people."""
