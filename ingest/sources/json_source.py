"""JSON (a list of objects) and JSON Lines readers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ingest.errors import SourceError
from ingest.sources.base import CellValue, Row, Table, scalar_text
from ingest.sources.text import read_text


def cell(value: Any) -> CellValue:
    """A JSON value as a cell: lists stay lists of text, the rest becomes text."""
    if isinstance(value, list):
        return [str(cell(v)) for v in value if v is not None and cell(v) != ""]
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return scalar_text(value)


def _columns(objects: list[Any]) -> list[str]:
    cols: dict[str, None] = {}
    for obj in objects:
        if isinstance(obj, dict):
            cols.update((str(k).strip(), None) for k in obj)
    return list(cols)


def _row(obj: Any, columns: list[str], **where: Any) -> Row:
    if not isinstance(obj, dict):
        return Row(values={}, defect=f"应为一个对象(键值对),实际是 {type(obj).__name__}", **where)
    values = {str(k).strip(): cell(v) for k, v in obj.items()}
    return Row(values={c: values.get(c, "") for c in columns}, **where)


def read_json(path: Path, *, encoding: str | None = None) -> Table:
    """Read a JSON file holding a list of objects; item n is located as ``file#n``.

    Raises:
        SourceError: invalid JSON, or not a list.
    """
    text, used = read_text(path, encoding)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"JSON 格式错误:{exc.msg}", file=str(path), line=exc.lineno) from exc
    if not isinstance(data, list):
        raise SourceError(f"应为由对象组成的 JSON 列表,实际是 {type(data).__name__}",
                          file=str(path))
    columns = _columns(data)
    rows = [_row(obj, columns, file=path.name, row=i) for i, obj in enumerate(data, start=1)]
    return Table(path=path, columns=columns, rows=rows, encoding=used)


def read_jsonl(path: Path, *, encoding: str | None = None) -> Table:
    """Read JSON Lines: one object per line; a line that is not valid JSON becomes a
    defective row (rejected with its line number), not a failed file."""
    text, used = read_text(path, encoding)
    parsed: list[tuple[int, Any, str | None]] = []
    blank = 0
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            blank += 1
            continue
        try:
            parsed.append((n, json.loads(line), None))
        except json.JSONDecodeError as exc:
            parsed.append((n, None, f"JSON 格式错误:{exc.msg}(第 {exc.colno} 个字符)"))
    columns = _columns([obj for _, obj, _ in parsed])
    rows = []
    for n, obj, defect in parsed:
        if defect:
            rows.append(Row(values={"_raw": text.splitlines()[n - 1]}, file=path.name, line=n,
                            defect=defect))
        else:
            rows.append(_row(obj, columns, file=path.name, line=n))
    return Table(path=path, columns=columns, rows=rows, encoding=used, blank_lines=blank)
