"""Collaboration paths read as Chinese sentences, and shared partners.

>>> from schemas.results import Path, PathStep
>>> from schemas.nodes import NodeRef
>>> p = Path(nodes=[NodeRef(uid="u", label="University", name="山东农业大学"),
...                 NodeRef(uid="l", label="Platform", name="某重点实验室"),
...                 NodeRef(uid="e", label="Enterprise", name="某公司")],
...          steps=[PathStep(type="HOSTED_BY", forward=False, relationship_uid="1"),
...                 PathStep(type="COOPERATES_WITH", forward=True, relationship_uid="2")])
>>> path_sentence(p)
'山东农业大学 ←依托— 某重点实验室 —合作→ 某公司'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from schemas.relationships import ACTOR_TIES, PROJECT_PARTICIPATION, REL_TYPES
from schemas.results import Path

if TYPE_CHECKING:
    from graph.store import GraphStore

Rec = Mapping[str, Any]
PARTS = PROJECT_PARTICIPATION


def reading(rel_type: str) -> str:
    """The Chinese reading of a relationship type (its name if the ontology has none)."""
    spec = REL_TYPES.get(rel_type)
    return spec[2] if spec else rel_type


def path_sentence(path: Path) -> str:
    """A path as a chain: ``A —依托→ B`` when walked along the relationship, ``←…—`` against it.

    Symmetric relationships (合作) always read forwards.
    """
    parts = [path.nodes[0].name]
    for step, node in zip(path.steps, path.nodes[1:], strict=True):
        symmetric = REL_TYPES.get(step.type, ("", "", "", False))[3]
        zh = reading(step.type)
        parts.append(f"—{zh}→" if step.forward or symmetric else f"←{zh}—")
        parts.append(node.name)
    return " ".join(parts)


def shared_partners(store: GraphStore, a: str, b: str, *,
                    rel_types: Sequence[str] | None = None,
                    via_hubs: bool = False) -> list[dict[str, Any]]:
    """Nodes tied to both ``a`` and ``b`` (either direction), with the types that tie them.

    The types are :func:`path_types` of ``rel_types``: ties between actors unless told
    otherwise, so a shared district or document is not a shared partner (a shared
    project is: both took part in it). Ordered by the number of relationships to the
    two, then name, then uid.

    Raises:
        NotFound: ``a`` or ``b`` is not stored.
    """
    for uid in (a, b):
        store.get_node(uid=uid)
    types = path_types(rel_types, via_hubs=via_hubs)
    links: dict[str, dict[str, list[str]]] = {a: {}, b: {}}
    recs: dict[str, Rec] = {}
    for origin, erec, orec in store.expand(uids=[a, b], rel_types=types, labels=None,
                                           direction="both"):
        links[origin].setdefault(str(orec["uid"]), []).append(str(erec["type"]))
        recs[str(orec["uid"])] = orec
    rows: list[dict[str, Any]] = []
    for uid in set(links[a]) & set(links[b]) - {a, b}:
        node = recs[uid]
        rows.append({"uid": uid, "label": node.get("label"), "name": node.get("name"),
                     "types_a": sorted(set(links[a][uid])),
                     "types_b": sorted(set(links[b][uid])),
                     "links": len(links[a][uid]) + len(links[b][uid])})
    rows.sort(key=lambda r: (-r["links"], str(r["name"]), r["uid"]))
    return rows


def path_types(rel_types: Sequence[str] | None, *, via_hubs: bool = False) -> list[str] | None:
    """The relationship types a 查关系 question walks: those asked for, else the ties
    between actors (:data:`~schemas.relationships.ACTOR_TIES`), else (``via_hubs``) all."""
    if rel_types:
        return list(rel_types)
    return None if via_hubs else list(ACTOR_TIES)


def path_facts(store: GraphStore, paths: Sequence[Path]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The relationship records of ``paths`` and the records of their projects (for years)."""
    edge_uids = sorted({st.relationship_uid for p in paths for st in p.steps})
    projects = sorted({n.uid for p in paths for n in p.nodes if n.label == "Project"})
    edges = store.read_edges(uids=edge_uids) if edge_uids else {}
    nodes = store.read_nodes(uids=projects) if projects else {}
    return dict(edges), dict(nodes)


def _years(rec: Rec | None) -> str:
    if not rec:
        return ""
    lo = rec.get("first_year") or rec.get("year")
    hi = rec.get("last_year") or rec.get("year")
    if lo and hi and lo != hi:
        return f"（{lo}—{hi}年）"
    return f"（{lo or hi}年）" if lo or hi else ""


_SAY: dict[str, str] = {
    "MEMBER_OF": "{s}是{o}的成员", "WORKS_AT": "{s}任职于{o}", "LEADS": "{s}领衔{o}",
    "HOSTED_BY": "{s}依托{o}建设", "BRANCH_OF": "{s}是{o}的分支机构",
    "UNDERTAKES": "{s}承担项目《{o}》{y}", "PARTICIPATES_IN": "{s}参与项目《{o}》{y}",
    "COOPERATES_WITH": "{s}与{o}有合作{y}", "LOCATED_IN": "{s}位于{o}",
    "IN_FIELD": "{s}属于{o}领域", "OFFERS": "{s}具备{o}方面的能力",
    "NEEDS": "{s}有{o}方面的需求", "MENTIONED_IN": "{s}见于《{o}》",
    "SELECTED_FOR": "{s}入选{o}", "FUNDED_BY": "{s}获{o}支持",
    "SUBFIELD_OF": "{s}是{o}的细分领域", "SET_BY": "{s}由{o}提出", "CONCERNS": "{s}针对{o}",
}


_BOTH: dict[str, str] = {
    "MEMBER_OF": "{a}与{c}同为{b}的成员", "WORKS_AT": "{a}与{c}同在{b}任职",
    "HOSTED_BY": "{a}与{c}同依托{b}建设", "BRANCH_OF": "{a}与{c}同为{b}的分支机构",
    "LOCATED_IN": "{a}与{c}同位于{b}", "IN_FIELD": "{a}与{c}同属{b}领域",
    "MENTIONED_IN": "{a}与{c}同见于《{b}》", "SELECTED_FOR": "{a}与{c}同入选{b}",
    "OFFERS": "{a}与{c}都具备{b}方面的能力", "NEEDS": "{a}与{c}都有{b}方面的需求",
}
"""Two steps into one node by one type, told as one clause."""


def path_story(path: Path, edges: Mapping[str, Rec] | None = None,
               projects: Mapping[str, Rec] | None = None) -> str:
    """A path told in Chinese sentences, one clause per tie, a project joining two actors
    told as one clause with its year.

    Args:
        path: The path.
        edges: Relationship records by uid (years of cooperations); see :func:`path_facts`.
        projects: Project records by uid (their years).

    >>> from schemas.nodes import NodeRef
    >>> from schemas.results import PathStep
    >>> ref = lambda u, lab, n: NodeRef(uid=u, label=lab, name=n)
    >>> p = Path(nodes=[ref("u", "University", "山东农业大学"), ref("p", "Project", "康复机器人"),
    ...                 ref("a", "Enterprise", "A公司"), ref("c", "Platform", "泰山创新谷"),
    ...                 ref("b", "Institute", "B研究院"), ref("d", "Enterprise", "D公司")],
    ...          steps=[PathStep(type="UNDERTAKES", forward=True, relationship_uid="1"),
    ...                 PathStep(type="PARTICIPATES_IN", forward=False, relationship_uid="2"),
    ...                 PathStep(type="MEMBER_OF", forward=True, relationship_uid="3"),
    ...                 PathStep(type="MEMBER_OF", forward=False, relationship_uid="4"),
    ...                 PathStep(type="COOPERATES_WITH", forward=False, relationship_uid="5")])
    >>> story = path_story(p, {"5": {"first_year": 2018, "last_year": 2020}},
    ...                    {"p": {"year": 2019}})
    >>> print(story.replace("；", "；\\n"))
    山东农业大学牵头、A公司参与，2019年共同承担项目《康复机器人》；
    A公司与B研究院同为泰山创新谷的成员；
    B研究院与D公司有合作（2018—2020年）。
    """
    edges = edges or {}
    projects = projects or {}
    nodes, steps = path.nodes, path.steps
    clauses: list[str] = []
    i = 0
    while i < len(steps):
        a, b = nodes[i], nodes[i + 1]
        st = steps[i]
        if (b.label == "Project" and i + 1 < len(steps) and st.type in PARTS
                and steps[i + 1].type in PARTS):
            c = nodes[i + 2]
            year = (projects.get(b.uid) or {}).get("year") or (edges.get(st.relationship_uid)
                                                                or {}).get("year")
            when = f"{year}年" if year else ""
            kinds = (st.type, steps[i + 1].type)
            if kinds == ("UNDERTAKES", "PARTICIPATES_IN"):
                who = f"{a.name}牵头、{c.name}参与，"
            elif kinds == ("PARTICIPATES_IN", "UNDERTAKES"):
                who = f"{c.name}牵头、{a.name}参与，"
            else:
                who = f"{a.name}与{c.name}"
            clauses.append(f"{who}{when}共同承担项目《{b.name}》")
            i += 2
            continue
        if (i + 1 < len(steps) and st.type in _BOTH and steps[i + 1].type == st.type
                and st.forward and not steps[i + 1].forward):
            clauses.append(_BOTH[st.type].format(a=a.name, b=b.name, c=nodes[i + 2].name))
            i += 2
            continue
        s, o = (a, b) if st.forward or REL_TYPES.get(st.type, ("", "", "", False))[3] else (b, a)
        rec = edges.get(st.relationship_uid)
        if st.type in PARTS and not _years(rec):
            rec = projects.get(o.uid)
        template = _SAY.get(st.type, "{s}" + reading(st.type) + "{o}")
        clauses.append(template.format(s=s.name, o=o.name, y=_years(rec)))
        i += 1
    return "；".join(clauses) + "。"
