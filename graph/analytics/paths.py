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

from collections.abc import Sequence
from typing import Any

import networkx as nx

from schemas.relationships import REL_TYPES
from schemas.results import Path


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


def shared_partners(g: nx.MultiDiGraph, a: str, b: str, *,
                    rel_types: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Nodes joined to both ``a`` and ``b`` (either direction), with the types that join them.

    Ordered by the number of relationships to the two, then name, then uid.

    >>> g = nx.MultiDiGraph()
    >>> for u, n in [("a", "甲"), ("b", "乙"), ("z", "丙")]:
    ...     g.add_node(u, uid=u, label="Enterprise", name=n)
    >>> g.add_edge("a", "z", type="COOPERATES_WITH"); g.add_edge("z", "b", type="COOPERATES_WITH")
    0
    0
    >>> [p["uid"] for p in shared_partners(g, "a", "b")]
    ['z']
    """
    types = set(rel_types or ())

    def links(x: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for _, other, data in g.out_edges(x, data=True):
            if not types or data.get("type") in types:
                out.setdefault(other, []).append(str(data.get("type")))
        for other, _, data in g.in_edges(x, data=True):
            if not types or data.get("type") in types:
                out.setdefault(other, []).append(str(data.get("type")))
        return out

    la, lb = links(a), links(b)
    rows = []
    for uid in set(la) & set(lb) - {a, b}:
        node = g.nodes[uid]
        rows.append({"uid": uid, "label": node.get("label"), "name": node.get("name"),
                     "types_a": sorted(set(la[uid])), "types_b": sorted(set(lb[uid])),
                     "links": len(la[uid]) + len(lb[uid])})
    rows.sort(key=lambda r: (-r["links"], str(r["name"]), r["uid"]))
    return rows
