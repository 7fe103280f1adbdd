"""``ingest-text``: what the extractor finds in Chinese texts, written into the graph.

Each document becomes a ``Document`` node; every mention a ``MENTIONED_IN``
relationship with its character offsets; entities the graph (or a gazetteer)
already knows are linked through the resolver instead of being duplicated; new
entities are created with the extractor's lower confidence and rule as method;
relations carry their evidence sentence; quantified targets become ``Target``
nodes ``SET_BY`` the document. Everything has a stable uid, so ingesting the
same document again changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

from graph.store import GraphStore
from ingest.extract.graph import LABEL_TO_NODE, document_graph, graph_names
from ingest.extract.inputs import iter_inputs
from ingest.extract.pipeline import build_pipeline, extraction
from ingest.resolve import Resolver, make_uid
from schemas.names import normalize_name
from schemas.nodes import Node
from schemas.records import Record, node_from_record
from schemas.relationships import Relationship
from schemas.results import WriteSummary

LABEL_MAP = {**LABEL_TO_NODE, "PERSON": None}
"""Persons named in policy prose (leaders, officials) are not talents of the graph: the
talent office's registries are the source of Talent nodes."""

TARGET_METRIC_SIMILARITY = 70
"""rapidfuzz partial ratio above which an extracted target is a registry target restated."""


@dataclass
class TextReport:
    """What an ``ingest-text`` run did."""

    documents: int = 0
    failed: list[str] = field(default_factory=list)
    nodes: WriteSummary = field(default_factory=WriteSummary)
    relationships: WriteSummary = field(default_factory=WriteSummary)
    linked: int = 0
    created_entities: int = 0
    targets: int = 0
    skipped: list[str] = field(default_factory=list)
    elapsed: float = 0.0


FILLER_CHARS = frozenset("的和与及等了在")
TARGET_CHAR_CONTAINMENT = 0.85
"""Share of the shorter metric's characters (fillers aside) that must be in the longer."""


def _same_target(new: Node, old: Record) -> bool:
    """A target restated: same value and unit, similar metric wording: one metric read
    inside the other, or the same words in another order (吸引创新主体单位参与共同体建设 /
    参与共同体建设的创新主体单位: nearly every character of the shorter is in the longer)."""
    n = new.model_dump()
    if float(n["value"]) != float(old.get("value", -1)) or n["unit"] != old.get("unit"):
        return False
    a, b = normalize_name(n["metric"]), normalize_name(str(old.get("metric", "")))
    if fuzz.partial_ratio(a, b) >= TARGET_METRIC_SIMILARITY:
        return True
    short, long = sorted((set(a) - FILLER_CHARS, set(b) - FILLER_CHARS), key=len)
    return len(short) >= 6 and len(short & long) / len(short) >= TARGET_CHAR_CONTAINMENT


def _remap(rels: Sequence[Relationship], remap: dict[str, str]) -> list[Relationship]:
    out = []
    for r in rels:
        src, dst = remap.get(r.source, r.source), remap.get(r.target, r.target)
        if src != dst:
            out.append(r.model_copy(update={"source": src, "target": dst}) if
                       (src, dst) != (r.source, r.target) else r)
    return out


def ingest_texts(store: GraphStore, sources: Sequence[str | Path], *, year: int = 0,
                 title: str = "") -> TextReport:
    """Extract from every document of ``sources`` and write the result to ``store``.

    What the graph already holds is linked, not rewritten: known entities through
    the resolver, a Document of the same ``title`` (a plan a registry already
    cites), and targets that registry rows already state (same value and unit,
    similar metric, set by the same document). Relationships that exist are left
    as they are, so a second run changes nothing.

    Args:
        store: An open, writable store.
        sources: ``.txt`` files, directories of them, or JSONL files of ``{"id", "text"}``.
        year: The year quantified targets refer to (0: read it from the text).
        title: The documents' title; an existing Document of that name is reused.
    """
    started = time.perf_counter()
    report = TextReport()
    resolver = Resolver(store=store)
    nlp = build_pipeline(graph_entities=graph_names(store),
                         config={"innograph_targets": {"year": year}})

    def known(name: str, label: str) -> str | None:
        r = resolver.resolve(name, label=label)
        if r.status == "matched" and r.in_store:
            return r.uid
        # a programme cited without its level (外专双百计划 for 山东省“外专双百计划”):
        # the one stored programme that differs only by the region in front
        close = [c for c in r.candidates if c.in_store and c.rule == "region_dropped"]
        if label == "Program" and len(close) == 1:
            return close[0].uid
        return None

    def mint(label: str, name: str) -> str:
        r = resolver.resolve(name, label=label)
        if r.status == "matched" and r.uid:
            return r.uid  # e.g. a university of the MoE list not yet in the graph
        return r.proposed_uid or make_uid(label, name)

    with store.bulk():
        for source in sources:
            for item in iter_inputs(str(source)):
                if item.error:
                    report.failed.append(f"{item.id or source}: {item.error}")
                    continue
                ex = extraction(nlp(item.text), item.id)
                dg = document_graph(ex, resolve=known, mint=mint, title=title or item.id or "",
                                    label_map=LABEL_MAP)
                report.documents += 1
                report.skipped += dg.skipped
                remap: dict[str, str] = {}
                cited = store.find_records(name=title, label="Document", limit=1) if title \
                    else []
                if cited:
                    remap[dg.document_uid] = cited[0]["uid"]
                doc_uid = remap.get(dg.document_uid, dg.document_uid)
                stated = [store.read_nodes(uids=[e.source]).get(e.source) for e in
                          store.get_edges(target=doc_uid, rel_types=["SET_BY"])]
                for n in dg.nodes:
                    if n.label == "Target":
                        same = [o for o in stated if o is not None and _same_target(n, o)]
                        if same:
                            remap[n.uid] = same[0]["uid"]
                dg.nodes = [n for n in dg.nodes if n.uid not in remap]
                dg.relationships = _remap(dg.relationships, remap)
                new = {n.uid for n in dg.nodes}
                existing = store.read_nodes(uids=sorted(new))
                report.created_entities += sum(
                    1 for n in dg.nodes if n.uid not in existing and n.label not in
                    ("Document", "Target"))
                report.targets += sum(1 for n in dg.nodes if n.label == "Target")
                report.linked += len({r.source for r in dg.relationships
                                      if r.type == "MENTIONED_IN"} - new)
                nodes = list(dg.nodes)
                for uid, rec in store.read_nodes(uids=sorted(dg.aliases)).items():
                    node = node_from_record(rec)
                    extra = [a for a in dg.aliases[uid] if a not in node.aliases
                             and a != node.name]
                    if extra:
                        nodes.append(node.model_copy(update={"aliases": node.aliases + extra}))
                # a node the graph already has keeps its registry content
                nodes = [n for n in nodes if n.uid not in existing or n.label == "Document"
                         or n.uid in dg.aliases]
                report.nodes += store.upsert_nodes(nodes=nodes)
                present = store.read_edges(uids=[r.uid for r in dg.relationships])
                fresh = [r for r in dg.relationships if r.uid not in present]
                report.relationships += store.upsert_edges(edges=fresh)
                report.relationships.unchanged += len(dg.relationships) - len(fresh)
                for n in nodes:
                    resolver.register(uid=n.uid, name=n.name, label=n.label, aliases=n.aliases)
    report.elapsed = round(time.perf_counter() - started, 3)
    return report
