"""CSV files for ``neo4j-admin database import full``: the bulk path for first loads.

Loading millions of rows through Bolt (``UNWIND … MERGE``) is bounded by
transactions; Neo4j's offline importer writes the store files directly and is
one to two orders of magnitude faster, but only into a new, empty database.
:func:`export_admin_import` writes what it needs from any :class:`GraphStore`:

* ``nodes_<Label>.csv`` per ontology label: ``uid:ID``, ``:LABEL`` (``Node``
  and the label, as the Neo4j backend labels every node), then every record
  property with its type (``aliases:string[]``, ``founded_year:long``,
  ``registered_capital:double``, ``prov_synthetic:boolean``…);
* ``rels_<TYPE>.csv`` per relationship type: ``:START_ID``, ``:END_ID``,
  ``:TYPE`` and the relationship record but its type and endpoints, which the
  relationship itself holds (``uid``, ``role``, ``keywords``…);
* ``merges.csv``: the merge history as the backend keeps it (``_Merge`` nodes);
* ``import.sh`` with the exact ``neo4j-admin`` command line, ``manifest.json``
  (files, rows, counts per label and type), and ``after-import.cypher`` when
  needed (see below).

Properties are the flat records of :mod:`schemas.records`, typed as the Neo4j
driver would store them (``int`` → long, ``float`` → double), so the imported
database holds what the Neo4j backend would have written: as the backend, the
export leaves out a record's empty fields (``schemas.records.EMPTY_NODE_FIELDS``,
``EMPTY_EDGE_FIELDS``), which the backend's reads put back. Two differences of
the importer are bridged:

* A present empty string and a missing value differ: strings are always quoted
  (``""`` is an empty string) and missing values are empty and unquoted.
  Python 3.11's ``csv`` module cannot write both in one row (``QUOTE_NOTNULL``
  arrived in 3.12), so rows are formatted here (RFC 4180 quoting).
* The importer never writes an empty array. An empty list of a field whose
  default it is is left out anyway (above); any other list property that was
  empty somewhere gets a statement in ``after-import.cypher`` that sets the
  missing ones to ``[]`` (no field of today's models needs it, so no such file
  is written).

Array elements (and the two labels) are separated by U+001F, a control
character no record holds; a value that does contain it stops the export.
"""

from __future__ import annotations

import json
import math
import time
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import IO, Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from graph.errors import GraphError
from graph.store import GraphStore
from schemas.nodes import NODE_MODELS
from schemas.privacy import personal_fields
from schemas.provenance import Provenance
from schemas.records import EDGE_HELD_KEYS, EMPTY_EDGE_FIELDS, EMPTY_NODE_FIELDS, Record
from schemas.relationships import REL_TYPES, Relationship

BASE_LABEL = "Node"
"""The label every node carries beside its own (see graph/backends/neo4j/cypher.py)."""
MERGE_LABEL = "_Merge"
ARRAY_DELIMITER = "\x1f"
ARRAY_DELIMITER_ARG = "U+001F"
DEFAULT_READ_BUFFER = 4 * 1024 * 1024
"""neo4j-admin's default --read-buffer-size; it must hold the largest single value."""
FIXUP_BATCH = 10_000

MANIFEST = "manifest.json"
SCRIPT = "import.sh"
FIXUP = "after-import.cypher"
MERGES_FILE = "merges.csv"
_OWN_FILES = ("nodes_*.csv", "rels_*.csv", MERGES_FILE, SCRIPT, MANIFEST, FIXUP)

# record keys the flattening in schemas/records.py adds beside the model's fields
_NODE_EXTRA = {"attrs_json": "string", "label": "string", "name_norm": "string",
               "search_text": "string", "name_keys": "string[]"}
_EDGE_EXTRA = {"attrs_json": "string", "uid": "string"}
_SKIP_FIELDS = frozenset({"provenance", "attrs"})


class ExportError(GraphError):
    """A record that the admin-import CSV cannot carry exactly."""


@dataclass
class ExportFile:
    """One CSV file written: what it holds and how many rows."""

    name: str
    kind: str
    """``nodes`` or ``relationships``."""
    entity: str
    """The label or relationship type (``_Merge`` for the merge history)."""
    rows: int = 0
    multiline: bool = False
    empty_lists: set[str] = field(default_factory=set)
    """List properties that held ``[]`` somewhere (restored by after-import.cypher)."""


@dataclass
class AdminExport:
    """What :func:`export_admin_import` wrote."""

    directory: Path
    files: list[ExportFile]
    nodes: dict[str, int]
    relationships: dict[str, int]
    merges: int
    include_sensitive: bool
    seconds: float
    fixup: bool
    """Whether after-import.cypher was written (it must run after the import)."""

    @property
    def objects(self) -> int:
        """Nodes plus relationships written."""
        return sum(self.nodes.values()) + sum(self.relationships.values())


def iter_records(store: GraphStore) -> Iterator[tuple[str, Record]]:
    """Every node record as ``("node", rec)``, then every relationship as ``("edge", rec)``.

    The one place the exporter reads the store: it streams through
    ``scan_nodes``/``scan_edges`` where the store has them and otherwise falls
    back to one :meth:`GraphStore.subgraph` copy.
    """
    scan_nodes = getattr(store, "scan_nodes", None)
    scan_edges = getattr(store, "scan_edges", None)
    if callable(scan_nodes) and callable(scan_edges):
        for batch in scan_nodes():
            for rec in batch:
                yield "node", rec
        for batch in scan_edges():
            for rec in batch:
                yield "edge", rec
        return
    g = store.subgraph()
    for _, rec in g.nodes(data=True):
        yield "node", rec
    for _, _, rec in g.edges(data=True):
        yield "edge", rec


def neo4j_type(annotation: Any) -> str:
    """The neo4j-admin header type of a model field's annotation.

    >>> neo4j_type(list[str]), neo4j_type(int | None), neo4j_type(float), neo4j_type(bool)
    ('string[]', 'long', 'double', 'boolean')
    """
    origin = get_origin(annotation)
    if origin is Annotated:
        return neo4j_type(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        kinds = {neo4j_type(a) for a in get_args(annotation) if a is not type(None)}
        if len(kinds) != 1:
            raise ExportError(f"类型为 {annotation} 的字段没有单一的 Neo4j 类型")
        return kinds.pop()
    if origin is list:
        return neo4j_type(get_args(annotation)[0]) + "[]"
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "long"
    if annotation is float:
        return "double"
    if isinstance(annotation, type) and issubclass(annotation, (str, Enum, datetime, date)):
        return "string"  # enums are stored by value, datetimes as ISO text
    raise ExportError(f"类型为 {annotation} 的字段没有对应的 Neo4j 类型")


def _model_columns(model: type[BaseModel]) -> dict[str, str]:
    cols = {name: neo4j_type(f.annotation) for name, f in model.model_fields.items()
            if name not in _SKIP_FIELDS}
    cols.update({f"prov_{name}": neo4j_type(f.annotation)
                 for name, f in Provenance.model_fields.items()})
    return cols


def node_columns(label: str, *, include_sensitive: bool = True) -> dict[str, str]:
    """Property columns of a label's node file (``uid`` excluded: it is the ID), by type."""
    cols = {**_model_columns(NODE_MODELS[label]), **_NODE_EXTRA}
    cols.pop("uid")
    if not include_sensitive:
        for name in personal_fields(label):
            cols.pop(name, None)
    return cols


def edge_columns() -> dict[str, str]:
    """Property columns of every relationship file, by type."""
    cols = {**_model_columns(Relationship), **_EDGE_EXTRA}
    return {k: v for k, v in cols.items() if k not in EDGE_HELD_KEYS}


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _double(value: float) -> str:
    if math.isfinite(value):
        return repr(value)
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


class _Writer:
    """One CSV file: a fixed header, then rows as records arrive."""

    def __init__(self, path: Path, info: ExportFile, id_columns: Sequence[str],
                 columns: Mapping[str, str],
                 empties: Mapping[str, str | list[str]] | None = None) -> None:
        self.info = info
        self.empties = dict(empties or {})
        """Fields left out when they hold their empty default (as the backend does)."""
        self.columns = list(columns.items())
        self.known = frozenset(columns)
        self.largest = 0
        self._fh: IO[str] = path.open("w", encoding="utf-8", newline="")
        header = [*id_columns, *(f"{name}:{kind}" for name, kind in self.columns)]
        self._fh.write(",".join(header) + "\n")

    def write(self, ident: Sequence[str], rec: Mapping[str, Any], where: str) -> None:
        cells = [_quote(v) for v in ident]
        for name, kind in self.columns:
            cells.append(self._cell(rec.get(name), name, kind, where))
        self._fh.write(",".join(cells) + "\n")
        self.info.rows += 1

    def _cell(self, value: Any, name: str, kind: str, where: str) -> str:
        if value is None:
            return ""
        if name in self.empties and value == self.empties[name]:
            return ""
        if kind == "string" and isinstance(value, str):
            text = value
        elif kind == "string[]" and isinstance(value, list):
            if not value:
                self.info.empty_lists.add(name)
                return ""
            for item in value:
                if not isinstance(item, str) or not item or ARRAY_DELIMITER in item:
                    raise ExportError(f"{where}：列表属性 {name} 含有 {item!r}，"
                                      "neo4j-admin import 无法原样导入")
            text = ARRAY_DELIMITER.join(value)
        elif kind == "long" and type(value) is int:
            return str(value)
        elif kind == "double" and type(value) is float:
            return _double(value)
        elif kind == "boolean" and type(value) is bool:
            return "true" if value else "false"
        else:
            raise ExportError(f"{where}：属性 {name} 的值 {value!r}（{type(value).__name__}）"
                              f"与列类型 {kind} 不符")
        if "\n" in text or "\r" in text:
            self.info.multiline = True
        self.largest = max(self.largest, len(text) * 4)  # UTF-8: at most 4 bytes a character
        return _quote(text)

    def close(self) -> None:
        self._fh.close()


def _prepare(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} 不是目录")
    out.mkdir(parents=True, exist_ok=True)
    entries = list(out.iterdir())
    if not entries:
        return
    if not overwrite:
        raise ExportError(f"目录 {out} 不是空的；换一个目录，或加 --overwrite 覆盖上次导出的文件")
    own = {p for pattern in _OWN_FILES for p in out.glob(pattern)}
    others = [p.name for p in entries if p not in own]
    if others:
        raise ExportError(f"目录 {out} 里有不是导出写的文件（{', '.join(sorted(others)[:5])}），"
                          "不覆盖")
    for p in own:
        p.unlink()


def export_admin_import(store: GraphStore, out: Path, *, include_sensitive: bool = True,
                        overwrite: bool = False) -> AdminExport:
    """Write every node, relationship and merge of ``store`` as neo4j-admin import CSVs.

    Args:
        store: An open store; read through :func:`iter_records` (streamed where the
            store can), written row by row.
        out: The output folder: created, or empty, or (with ``overwrite``) holding
            only the files of an earlier export, which are replaced.
        include_sensitive: Keep talents' phone, e-mail and ID numbers
            (:func:`schemas.privacy.personal_fields`); False leaves them out.
        overwrite: Replace an earlier export in ``out``.

    Returns:
        The files written with their row counts; ``import.sh`` holds the command.

    Raises:
        ExportError: ``out`` is not usable, or a record holds a value the CSV cannot
            carry exactly (an unknown property, a type that does not fit its column).
    """
    t0 = time.monotonic()
    _prepare(out, overwrite)
    writers: dict[tuple[str, str], _Writer] = {}
    rel_cols = edge_columns()
    try:
        for kind, rec in iter_records(store):
            if kind == "node":
                _write_node(out, writers, rec, include_sensitive)
            else:
                _write_edge(out, writers, rec, rel_cols)
        merges = store.merge_history()
        if merges:
            info = ExportFile(MERGES_FILE, "nodes", MERGE_LABEL)
            w = writers[("merge", MERGE_LABEL)] = _Writer(
                out / MERGES_FILE, info, [":LABEL"],
                {"merge_id": "string", "at": "string", "json": "string"})
            for m in merges:
                w.write([MERGE_LABEL], {"merge_id": m.merge_id, "at": m.at.isoformat(),
                                        "json": m.model_dump_json()}, f"合并记录 {m.merge_id}")
    finally:
        for w in writers.values():
            w.close()
    ordered = sorted(writers.values(), key=lambda w: (w.info.kind, w.info.name))
    files = [w.info for w in ordered]
    largest = max((w.largest for w in ordered), default=0)
    fixup = _write_fixup(out, files)
    _write_script(out, files, largest, fixup)
    nodes = {f.entity: f.rows for f in files if f.kind == "nodes" and f.entity != MERGE_LABEL}
    rels = {f.entity: f.rows for f in files if f.kind == "relationships"}
    result = AdminExport(directory=out, files=files, nodes=dict(sorted(nodes.items())),
                         relationships=dict(sorted(rels.items())), merges=len(merges),
                         include_sensitive=include_sensitive,
                         seconds=time.monotonic() - t0, fixup=fixup)
    _write_manifest(out, result)
    return result


def _write_node(out: Path, writers: dict[tuple[str, str], _Writer], rec: Record,
                include_sensitive: bool) -> None:
    label = rec.get("label")
    if label not in NODE_MODELS:
        raise ExportError(f"节点 {rec.get('uid')!r} 的标签 {label!r} 不在本体中")
    w = writers.get(("node", label))
    if w is None:
        name = f"nodes_{label}.csv"
        w = writers[("node", label)] = _Writer(
            out / name, ExportFile(name, "nodes", label), ["uid:ID", ":LABEL"],
            node_columns(label, include_sensitive=include_sensitive),
            EMPTY_NODE_FIELDS[label])
    where = f"节点 {rec['uid']!r}"
    extra = rec.keys() - w.known - {"uid"}
    if not include_sensitive:
        extra -= personal_fields(label)
    if extra:
        raise ExportError(f"{where}：属性 {sorted(extra)} 不在 {label} 的模式中")
    w.write([rec["uid"], f"{BASE_LABEL}{ARRAY_DELIMITER}{label}"], rec, where)


def _write_edge(out: Path, writers: dict[tuple[str, str], _Writer], rec: Record,
                columns: Mapping[str, str]) -> None:
    rel_type = rec.get("type")
    if rel_type not in REL_TYPES:
        raise ExportError(f"关系 {rec.get('uid')!r} 的类型 {rel_type!r} 不在本体中")
    w = writers.get(("edge", rel_type))
    if w is None:
        name = f"rels_{rel_type}.csv"
        w = writers[("edge", rel_type)] = _Writer(
            out / name, ExportFile(name, "relationships", rel_type),
            [":START_ID", ":END_ID", ":TYPE"], columns, EMPTY_EDGE_FIELDS)
    where = f"关系 {rec['uid']!r}"
    extra = rec.keys() - w.known - EDGE_HELD_KEYS
    if extra:
        raise ExportError(f"{where}：属性 {sorted(extra)} 不在关系的模式中")
    w.write([rec["source"], rec["target"], rel_type], rec, where)


def fixup_statements(files: Sequence[ExportFile]) -> list[str]:
    """Cypher that gives back ``[]`` to the list properties the importer left out.

    One statement per list property, over the labels (or types) where it was
    empty somewhere. Labels, types and property names come from the ontology and
    the models, never from data; each statement commits in batches (auto-commit,
    as cypher-shell runs them).
    """
    wanted: dict[tuple[str, str], list[str]] = {}
    for f in files:
        for prop in f.empty_lists:
            wanted.setdefault((f.kind, prop), []).append(f.entity)
    from graph.backends.neo4j.cypher import fill_empty_lists

    return [fill_empty_lists(nodes=kind == "nodes", names=sorted(entities), prop=prop,
                             batch=FIXUP_BATCH)
            for (kind, prop), entities in sorted(wanted.items())]


def _write_fixup(out: Path, files: Sequence[ExportFile]) -> bool:
    stmts = fixup_statements(files)
    if not stmts:
        return False
    head = ("// innograph export --admin-import: 导入并启动数据库之后运行一次。\n"
            "// neo4j-admin import 不写空数组，而 innograph 的 Neo4j 后端把空列表存为 []；\n"
            "// 这些语句把缺少的列表属性补为 []（记录里列表属性总是存在，所以补回是精确的）。\n"
            "// 例：cypher-shell -u neo4j -p 密码 -d neo4j -f after-import.cypher\n")
    (out / FIXUP).write_text(head + "".join(s + ";\n" for s in stmts), encoding="utf-8")
    return True


def import_options(files: Sequence[ExportFile], largest: int) -> list[str]:
    """The neo4j-admin options (database name not included) for the files written."""
    opts = [f"--array-delimiter={ARRAY_DELIMITER_ARG}", "--id-type=string",
            "--bad-tolerance=0"]
    if any(f.multiline for f in files):
        opts.append("--multiline-fields=true")
    if largest * 2 > DEFAULT_READ_BUFFER:
        opts.append(f"--read-buffer-size={max(largest * 2, DEFAULT_READ_BUFFER)}")
    opts += [f"--nodes={f.name}" for f in files if f.kind == "nodes"]
    opts += [f"--relationships={f.name}" for f in files if f.kind == "relationships"]
    return opts


def _write_script(out: Path, files: Sequence[ExportFile], largest: int, fixup: bool) -> None:
    after = (f"#   2. 启动 Neo4j，运行 {FIXUP}（补回空列表属性），例如\n"
             f"#        cypher-shell -u neo4j -p 密码 -d neo4j -f {FIXUP}\n" if fixup
             else "#   2. 启动 Neo4j（本次导出没有需要补回的空列表，无需 after-import.cypher）\n")
    lines = [
        "#!/bin/sh",
        "# innograph export --admin-import 生成：把本目录的 CSV 一次导入一个新的 Neo4j 5 数据库。",
        "#",
        "# 用法：sh import.sh [neo4j-admin 的其他选项，例如 --overwrite-destination=true]",
        "#   1. 停止 Neo4j（或确认目标数据库不存在/为空），运行本脚本。",
        after.rstrip("\n"),
        "#   3. 以 INNOGRAPH_STORE=neo4j 使用：innograph 打开数据库时建立约束和索引。",
        "#",
        "# NEO4J_ADMIN：neo4j-admin 命令（默认 neo4j-admin，即 Neo4j 的 bin/neo4j-admin）；",
        "#   无 Neo4j 安装时可用本仓库的工具：",
        '#   NEO4J_ADMIN="python3 tools/neo4j/neo4j_local.py admin --home 目录" sh import.sh',
        "# NEO4J_DATABASE：目标数据库名（默认 neo4j）。",
        "set -eu",
        'cd "$(dirname "$0")"',
        "exec ${NEO4J_ADMIN:-neo4j-admin} database import full \\",
        *(f"  {opt} \\" for opt in import_options(files, largest)),
        '  "$@" "${NEO4J_DATABASE:-neo4j}"',
    ]
    path = out / SCRIPT
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o755)


def _write_manifest(out: Path, result: AdminExport) -> None:
    doc = {
        "format": "neo4j-admin database import full (Neo4j 5)",
        "array_delimiter": ARRAY_DELIMITER_ARG,
        "include_sensitive": result.include_sensitive,
        "after_import": FIXUP if result.fixup else None,
        "files": [{"file": f.name, "kind": f.kind, "entity": f.entity, "rows": f.rows,
                   "multiline": f.multiline, "empty_lists": sorted(f.empty_lists)}
                  for f in result.files],
        "nodes": result.nodes,
        "relationships": result.relationships,
        "merges": result.merges,
    }
    (out / MANIFEST).write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n",
                                encoding="utf-8")
