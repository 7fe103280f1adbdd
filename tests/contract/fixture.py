"""A small hand-made graph of the 泰安 community used by the contract suite.

Layout (undirected view, relationship type in brackets):

    uni_sdau --[COOPERATES_WITH]-- ent_a --[COOPERATES_WITH]-- team_r
    uni_sdau --[HOSTED_BY<-]-- lab --[HOSTED_BY<-]... (lab hosted by uni_sdau)
    lab --[MEMBER_OF]--> community <--[MEMBER_OF]-- ent_a
    team_r --[HOSTED_BY]--> ent_b ; ent_b --[COOPERATES_WITH]-- uni_tsu
    ent_a --[IN_FIELD]--> rehab ; team_r --[OFFERS]--> rehab ; ent_b --[NEEDS]--> rehab
"""

from __future__ import annotations

from typing import Any

NODES: list[dict[str, Any]] = [
    {"label": "University", "uid": "uni:4137010434", "name": "山东农业大学", "aliases": ["山农大"],
     "moe_code": "4137010434", "keywords": ["农业", "生物技术"]},
    {"label": "University", "uid": "uni:4137010436", "name": "泰山学院"},
    {"label": "University", "uid": "uni:4137013994", "name": "泰山科技学院"},
    {"label": "Institute", "uid": "ins:泰安市产业技术创新研究院",
     "name": "泰安市产业技术创新研究院(山东产业技术研究院泰安分院)",
     "aliases": ["山东产业技术研究院泰安分院"]},
    {"label": "Platform", "uid": "plt:community", "name": "山东省智慧康养创新创业共同体",
     "platform_type": "创新创业共同体", "level": "省"},
    {"label": "Platform", "uid": "plt:lab", "name": "山东省作物生物学重点实验室",
     "platform_type": "重点实验室", "level": "省"},
    {"label": "Enterprise", "uid": "ent:a", "name": "泰安康养医疗器械有限公司",
     "keywords": ["康复机器人", "外骨骼"], "tags": ["高新技术企业"]},
    {"label": "Enterprise", "uid": "ent:b", "name": "泰安智慧养老科技有限公司",
     "keywords": ["养老"]},
    {"label": "Team", "uid": "team:r", "name": "康复机器人创新团队", "size": 12},
    {"label": "Field", "uid": "fld:rehab", "name": "康复医疗装备"},
    {"label": "Talent", "uid": "tal:张三@泰山学院", "name": "张三", "title": "教授",
     "phone": "13800000000", "email": "zhangsan@example.com"},
]

EDGES: list[dict[str, Any]] = [
    {"type": "COOPERATES_WITH", "source": "uni:4137010434", "target": "ent:a", "weight": 3,
     "first_year": 2017, "last_year": 2020},
    {"type": "COOPERATES_WITH", "source": "ent:a", "target": "team:r", "weight": 1},
    {"type": "HOSTED_BY", "source": "plt:lab", "target": "uni:4137010434"},
    {"type": "MEMBER_OF", "source": "plt:lab", "target": "plt:community"},
    {"type": "MEMBER_OF", "source": "ent:a", "target": "plt:community", "year": 2020},
    {"type": "MEMBER_OF", "source": "ins:泰安市产业技术创新研究院", "target": "plt:community"},
    {"type": "HOSTED_BY", "source": "team:r", "target": "ent:b"},
    {"type": "COOPERATES_WITH", "source": "ent:b", "target": "uni:4137010436", "weight": 1},
    {"type": "IN_FIELD", "source": "ent:a", "target": "fld:rehab"},
    {"type": "OFFERS", "source": "team:r", "target": "fld:rehab", "keywords": ["外骨骼"]},
    {"type": "NEEDS", "source": "ent:b", "target": "fld:rehab", "description": "护理机器人"},
    {"type": "WORKS_AT", "source": "tal:张三@泰山学院", "target": "uni:4137010436"},
    {"type": "MEMBER_OF", "source": "tal:张三@泰山学院", "target": "team:r"},
]
