"""Node models: the actors of the innovation system and what surrounds them.

Every node has a stable ``uid`` (see the identity rules in the README), a
display ``name``, ``aliases`` (former names, abbreviations, other spellings),
``keywords`` and provenance. Kind-specific fields are flat scalars or lists of
strings so that every backend stores them natively.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from schemas.provenance import Provenance

Uid = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200,
                                       pattern=r"^\S+$")]
Year = Annotated[int, Field(ge=1900, le=2100)]
Scalar = str | int | float | bool


class Level(StrEnum):
    """Administrative level of a platform, programme or target."""

    NATIONAL = "国家"
    PROVINCIAL = "省"
    MUNICIPAL = "市"
    COUNTY = "县"
    OTHER = "其他"


class PlatformType(StrEnum):
    """Kinds of innovation platform named in Chinese science and technology policy."""

    KEY_LAB = "重点实验室"
    ENGINEERING_CENTER = "工程技术研究中心"
    TECH_INNOVATION_CENTER = "技术创新中心"
    ENTERPRISE_TECH_CENTER = "企业技术中心"
    JOINT_INNOVATION_CENTER = "企业联合创新中心"
    INCUBATOR = "科技企业孵化器"
    MAKERSPACE = "众创空间"
    ACADEMICIAN_WORKSTATION = "院士工作站"
    EXPERT_WORKSTATION = "专家工作站"
    THOUSAND_TALENTS_WORKSTATION = "千人计划专家工作站"
    TALENT_BASE = "引智基地"
    TALENT_DEMO_BASE = "引才引智示范基地"
    INTL_COOPERATION_BASE = "国际科技合作基地"
    OFFSHORE_BASE = "离岸创新创业基地"
    PILOT_BASE = "中试基地"
    NEW_RD_INSTITUTION = "新型研发机构"
    COMMUNITY = "创新创业共同体"
    ALLIANCE = "共同体联盟"  # an interest alliance inside a community (work plan 二.5)
    TECH_TRANSFER = "技术转移机构"
    PUBLIC_SERVICE = "公共服务平台"
    AGRI_STATION = "农业科技园区"
    OTHER = "其他"


class Node(BaseModel):
    """Fields every node has. Not instantiated itself: use a kind below."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)
    label: ClassVar[str] = "Node"

    uid: Uid
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    aliases: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    description: str = ""
    attrs: dict[str, Scalar] = Field(
        default_factory=dict,
        description="Extra source columns a mapping chose to keep, by column name.")
    provenance: Provenance = Field(default_factory=Provenance)


class Enterprise(Node):
    """A company (企业)."""

    label: ClassVar[str] = "Enterprise"
    credit_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}"
                                                  r"[0-9A-HJ-NPQRTUWXY]{10}$")] | None = Field(
        default=None, description="统一社会信用代码 (18 characters)")
    founded_year: Year | None = None
    registered_capital: float | None = Field(default=None, ge=0, description="注册资本, 万元")
    employees: int | None = Field(default=None, ge=0)
    tags: list[str] = Field(default_factory=list,
                            description="e.g. 高新技术企业, 科技型中小企业, 创新50强")
    region: str = ""


class University(Node):
    """A higher-education institution (高校)."""

    label: ClassVar[str] = "University"
    moe_code: Annotated[str, StringConstraints(pattern=r"^\d{10}$")] | None = Field(
        default=None, description="教育部学校标识码")
    level: str = Field(default="", description="本科 or 专科")
    department: str = Field(default="", description="主管部门")
    province: str = ""
    city: str = ""


class Institute(Node):
    """A research institute: 科研院所, 产业技术研究院 and its 专业研究所."""

    label: ClassVar[str] = "Institute"
    institute_type: str = ""
    founded_year: Year | None = None
    region: str = ""


class Hospital(Node):
    """A hospital or medical centre."""

    label: ClassVar[str] = "Hospital"
    grade: str = Field(default="", description="e.g. 三级甲等")
    region: str = ""


class Government(Node):
    """An administrative body: 科技局, 高新区管委会, a ministry."""

    label: ClassVar[str] = "Government"
    level: Level | None = None


class Platform(Node):
    """An innovation platform: labs, engineering centres, incubators, 院士工作站…"""

    label: ClassVar[str] = "Platform"
    platform_type: PlatformType = PlatformType.OTHER
    level: Level | None = None
    approved_year: Year | None = None


class Talent(Node):
    """A person. Contact and identity fields are sensitive and hidden by default."""

    label: ClassVar[str] = "Talent"
    title: str = Field(default="", description="职称, e.g. 教授, 研究员")
    position: str = ""
    degree: str = ""
    tags: list[str] = Field(default_factory=list, description="e.g. 科技特派员, 泰山学者")
    phone: str | None = Field(default=None, repr=False, json_schema_extra={"sensitive": True})
    email: str | None = Field(default=None, repr=False, json_schema_extra={"sensitive": True})
    id_number: str | None = Field(default=None, repr=False,
                                  json_schema_extra={"sensitive": True})


class Team(Node):
    """A research or innovation team; the talent office matches teams."""

    label: ClassVar[str] = "Team"
    size: int | None = Field(default=None, ge=1)
    founded_year: Year | None = None


class Project(Node):
    """A funded or cooperative project (项目)."""

    label: ClassVar[str] = "Project"
    project_code: str = ""
    year: Year | None = Field(default=None, description="立项年度")
    budget: float | None = Field(default=None, ge=0, description="万元")
    status: str = ""


class Program(Node):
    """A plan, funding programme or talent scheme (规划, 计划, 人才工程)."""

    label: ClassVar[str] = "Program"
    program_type: str = ""
    level: Level | None = None
    issuer: str = ""


class Field_(Node):
    """An industry or technology field; hierarchical through SUBFIELD_OF."""

    label: ClassVar[str] = "Field"
    code: str = ""


class Region(Node):
    """A place: province, city, county, or a zone such as a high-tech zone or 创新谷."""

    label: ClassVar[str] = "Region"
    region_type: str = Field(default="", description="省, 市, 区县, 园区")
    admin_code: str = ""


class Document(Node):
    """A source text: a plan, policy or news item."""

    label: ClassVar[str] = "Document"
    title: str = ""
    url: str = ""
    published: str = Field(default="", description="ISO date, as precise as known")
    doc_type: str = ""
    sha256: str = ""
    length: int | None = Field(default=None, ge=0)


class Target(Node):
    """A plan's quantified goal, e.g. 引进3个高水平研发团队."""

    label: ClassVar[str] = "Target"
    metric: str
    value: float
    unit: str = ""
    year: Year | None = None
    comparator: str = Field(default=">=", pattern=r"^(>=|<=|=|~)$",
                            description=">= for 以上, ~ for 左右, = otherwise")
    scope: str = ""


NODE_MODELS: dict[str, type[Node]] = {
    m.label: m
    for m in (Enterprise, University, Institute, Hospital, Government, Platform, Talent, Team,
              Project, Program, Field_, Region, Document, Target)
}
"""Every node label and its model."""

ORGANISATIONS = frozenset({"Enterprise", "University", "Institute", "Hospital", "Government",
                           "Platform"})
ACTORS = ORGANISATIONS | {"Talent", "Team"}


def sensitive_fields(label: str) -> frozenset[str]:
    """Fields of a label that hold personal data (hidden unless a role may see them)."""
    model = NODE_MODELS[label]
    return frozenset(
        name for name, f in model.model_fields.items()
        if isinstance(f.json_schema_extra, dict) and f.json_schema_extra.get("sensitive"))


class NodeRef(BaseModel):
    """A node as other results mention it: uid, label, name."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    uid: str
    label: str
    name: str
