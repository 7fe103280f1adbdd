"""An extraction as schema nodes and relationships, ready for ``GraphStore.upsert_*``.

:func:`document_graph` is pure: it takes the extraction of one document and a
resolver-like callable and returns what to write. It writes nothing itself, so the
``ingest-text`` command only has to call it and pass the result to the store.

What it produces:

* a ``Document`` node, uid ``doc:<first 16 hex digits of the text's sha256>``;
* a node for every entity the resolver does not know (uid by the identity rules);
  mentions joined by ``ALIAS_OF`` become aliases of one node;
* ``MENTIONED_IN`` from every entity to the Document, one per mention, keyed by its
  offsets (``start``/``end`` on the relationship);
* the extracted relations, with the sentence as ``evidence`` and the rule in the
  provenance; those whose endpoint labels the ontology forbids are reported, not written;
* a ``Target`` node per quantified target, ``SET_BY`` the Document, ``CONCERNS`` the
  entities named inside the target's phrase.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ingest.extract.core import Extraction
from ingest.extract.lexicon import ONTOLOGY_TO_LABEL
from schemas.names import normalize_name
from schemas.nodes import NODE_MODELS, Document, Node, Target
from schemas.provenance import Provenance
from schemas.relationships import Relationship, check_endpoints

if TYPE_CHECKING:
    from graph.store import GraphStore

Resolve = Callable[[str, str], str | None]
"""``resolve(name, node_label) -> uid | None``: the uid of a known entity, else None."""

Mint = Callable[[str, str], str]
"""``mint(node_label, name) -> uid``: the uid of a new entity."""

LABEL_TO_NODE: dict[str, str | None] = {
    "ENTERPRISE": "Enterprise", "UNIVERSITY": "University", "INSTITUTE": "Institute",
    "PLATFORM": "Platform", "HOSPITAL": "Hospital", "GOVERNMENT": "Government",
    # The ontology has no generic organisation. What the rules call ORG (联盟, 智库,
    # 非高校的学院, 中心) acts as an innovation platform in policy prose.
    "ORG": "Platform",
    "PERSON": "Talent", "PROGRAM": "Program", "ZONE": "Region", "LOCATION": "Region",
}
"""Default extraction label → node label; map a label to None to leave it out."""

MODEL_LINK_ONLY = frozenset({"ORG", "PERSON", "LOCATION"})
"""Labels of the statistical model's own entities that are linked to known nodes but
never create one: an unsuffixed ORG could be a company, a ministry or a team, a PERSON
found without a title need not be a talent."""

METHOD = "innograph-extract/rules"

_CONFIDENCE = (("gazetteer", 0.9), ("alias", 0.85), ("government", 0.8), ("program", 0.75),
               ("org", 0.75), ("person", 0.7), ("propagated", 0.7), ("place", 0.7))


def confidence(rule: str) -> float:
    """How much an entity found by ``rule`` is trusted (for provenance)."""
    for prefix, value in _CONFIDENCE:
        if rule.startswith(prefix):
            return value
    return 0.6


def default_mint(label: str, name: str) -> str:
    """The identity rules' uid (``ingest.resolve.uids.make_uid``), or ``prefix:name``."""
    try:
        from ingest.resolve.uids import make_uid

        return make_uid(label, name)
    except Exception:  # the resolver is optional here; fall back to kind + name
        return f"{label.lower()}:{normalize_name(name)}"


@dataclass
class DocumentGraph:
    """What one document contributes to the graph.

    Attributes:
        document_uid: The Document node's uid.
        nodes: Nodes to upsert (the Document, new entities, targets).
        relationships: Relationships to upsert.
        aliases: Names to add as aliases to nodes that already exist (uid → names).
        skipped: Why some entities or relations were left out.
    """

    document_uid: str
    nodes: list[Node] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    aliases: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def document_uid(text: str) -> tuple[str, str]:
    """(uid, full sha256 hex) of a document's text."""
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return f"doc:{sha[:16]}", sha


def _alias_roots(ex: Extraction) -> dict[int, int]:
    parent = {i: i for i in range(len(ex.entities))}

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for r in ex.relations:
        if r.type == "ALIAS_OF":
            parent[root(r.head)] = root(r.tail)
    return {i: root(i) for i in parent}


def document_graph(ex: Extraction, *, resolve: Resolve, mint: Mint | None = None,
                   title: str = "", url: str = "", published: str = "", doc_type: str = "",
                   label_map: Mapping[str, str | None] | None = None,
                   method: str = METHOD) -> DocumentGraph:
    """Turn one document's extraction into nodes and relationships.

    Args:
        ex: The extraction (entities, relations, targets) of one document.
        resolve: Finds the uid of a known entity by (name, node label); the canonical
            name is asked for when the mention is a known short form.
        mint: Makes the uid of a new entity; the identity rules by default.
        title, url, published, doc_type: Document metadata.
        label_map: Extraction label → node label (see :data:`LABEL_TO_NODE`).
        method: Provenance method prefix; the rule name is appended.

    Returns:
        A :class:`DocumentGraph`; nothing is written.
    """
    mint = mint or default_mint
    labels = dict(LABEL_TO_NODE if label_map is None else label_map)
    doc_uid, sha = document_uid(ex.text)
    out = DocumentGraph(doc_uid)
    out.nodes.append(Document(
        uid=doc_uid, name=title or ex.id or doc_uid, title=title, url=url, published=published,
        doc_type=doc_type, sha256=sha, length=len(ex.text),
        provenance=Provenance(source=ex.id or doc_uid, method=method, confidence=1.0)))

    roots = _alias_roots(ex)
    uid_of: dict[int, str] = {}
    label_of: dict[int, str] = {}
    new_nodes: dict[str, Node] = {}
    resolved: dict[tuple[str, str], str] = {}
    for i, e in enumerate(ex.entities):
        primary = ex.entities[roots[i]]
        node_label = labels.get(primary.label)
        if node_label is None:
            out.skipped.append(f"entity {e.text!r} ({e.label}): no node label")
            continue
        name = primary.canonical or primary.text
        key = (name, node_label)
        if key not in resolved:
            uid = resolve(name, node_label)
            if uid is None and primary.canonical:
                uid = resolve(primary.text, node_label)
            if uid is None and primary.rule.startswith("model:") \
                    and primary.label in MODEL_LINK_ONLY:
                # the statistical model saw a name but not what it is: linked to a
                # known node, never a new node whose kind would be a guess
                out.skipped.append(f"entity {e.text!r} ({e.label}, {primary.rule}): "
                                   "unknown and of no known kind, not created")
                continue
            resolved[key] = uid or mint(node_label, name)
            if uid is None and resolved[key] not in new_nodes:
                extra: dict[str, object] = {}
                if node_label == "Region" and primary.label == "ZONE":
                    extra["region_type"] = "园区"
                new_nodes[resolved[key]] = NODE_MODELS[node_label].model_validate({
                    "uid": resolved[key], "name": name, **extra,
                    "provenance": Provenance(
                        source=f"{doc_uid}#{primary.start}-{primary.end}",
                        method=f"{method}:{primary.rule}", confidence=confidence(primary.rule))})
        uid = resolved[key]
        uid_of[i], label_of[i] = uid, node_label
        if e.text != name:
            node = new_nodes.get(uid)
            target = node.aliases if node is not None else out.aliases.setdefault(uid, [])
            if e.text not in target:
                target.append(e.text)
        out.relationships.append(Relationship(
            type="MENTIONED_IN", source=uid, target=doc_uid, key=f"{e.start}-{e.end}",
            start=e.start, end=e.end,
            provenance=Provenance(source=f"{doc_uid}#{e.start}-{e.end}",
                                  method=f"{method}:{e.rule}", confidence=confidence(e.rule))))
    out.nodes.extend(new_nodes.values())
    out.aliases = {k: v for k, v in out.aliases.items() if v}

    for r in ex.relations:
        if r.type == "ALIAS_OF":
            continue
        if r.head not in uid_of or r.tail not in uid_of:
            out.skipped.append(f"{r.type} ({r.rule}): an endpoint has no node")
            continue
        src, dst = uid_of[r.head], uid_of[r.tail]
        if src == dst:
            continue
        rel = Relationship(type=r.type, source=src, target=dst, evidence=r.evidence,
                           provenance=Provenance(source=f"{doc_uid}#{r.start}-{r.end}",
                                                 method=f"{method}:{r.rule}", confidence=0.6))
        reason = check_endpoints(rel, label_of[r.head], label_of[r.tail])
        if reason:
            out.skipped.append(f"{r.rule}: {reason}")
            continue
        out.relationships.append(rel)

    for t in ex.targets:
        uid = f"tgt:{sha[:16]}:{t.start}-{t.end}"
        out.nodes.append(Target(
            uid=uid, name=t.text, metric=t.metric, value=t.value, unit=t.unit, year=t.year,
            comparator=t.comparator, scope=t.scope,
            provenance=Provenance(source=f"{doc_uid}#{t.start}-{t.end}",
                                  method=f"{method}:target_{t.rule}", confidence=0.7)))
        out.relationships.append(Relationship(
            type="SET_BY", source=uid, target=doc_uid, start=t.start, end=t.end,
            evidence=t.text, provenance=Provenance(source=f"{doc_uid}#{t.start}-{t.end}",
                                                   method=f"{method}:target_{t.rule}")))
        for i, e in enumerate(ex.entities):
            if t.start <= e.start and e.end <= t.end and i in uid_of:
                out.relationships.append(Relationship(
                    type="CONCERNS", source=uid, target=uid_of[i], evidence=t.text,
                    provenance=Provenance(source=f"{doc_uid}#{t.start}-{t.end}",
                                          method=f"{method}:target_{t.rule}", confidence=0.6)))
    return out


def graph_names(store: GraphStore, *, limit: int = 10_000) -> Iterator[tuple[str, str]]:
    """``(name, node label)`` of the graph's matchable nodes, aliases included.

    Feed it to the gazetteer (``build_pipeline(graph_entities=graph_names(store))``) so
    that entities already known are found by name.
    """
    for label in ONTOLOGY_TO_LABEL:
        for node in store.find_nodes(label=label, limit=limit):
            yield node.name, label
            for alias in node.aliases:
                yield alias, label
