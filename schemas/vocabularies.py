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
