"""Reading documents for extraction: a JSONL file, ``.txt`` files or a directory.

Every JSONL line yields exactly one item, in order, also when it is empty or broken
(the item then carries an error and, when it can be recovered, the id): the CLI's
output has one line per input line. Only an input that cannot be opened at all raises.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.extract.errors import ExtractError

_ID_IN_BROKEN_JSON = re.compile(r'"id"\s*:\s*"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class InputItem:
    """One document to extract from, or the reason there is none.

    Attributes:
        id: The document id (``id`` of the JSON line, or the file name); None when a
            broken line has no recoverable id.
        text: The text ("" when ``error`` is set).
        error: Why the line could not be used, or "".
    """

    id: str | None
    text: str
    error: str = ""


def _recover_id(raw: str) -> str | None:
    m = _ID_IN_BROKEN_JSON.search(raw)
    if not m:
        return None
    try:
        value = json.loads(f'"{m.group(1)}"')
    except json.JSONDecodeError:
        return m.group(1)
    return value if isinstance(value, str) else None


def parse_line(raw: bytes, number: int) -> InputItem:
    """Turn one JSONL line into an :class:`InputItem` (never raises)."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return InputItem(None, "", f"line {number}: not UTF-8 ({exc.reason})")
    line = line.lstrip("\ufeff").strip()
    if not line:
        return InputItem(None, "", f"line {number}: empty line")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return InputItem(_recover_id(line), "", f"line {number}: invalid JSON: {exc.msg}")
    if not isinstance(obj, dict):
        return InputItem(None, "", f"line {number}: expected a JSON object")
    doc_id = obj.get("id")
    if isinstance(doc_id, int | float) and not isinstance(doc_id, bool):
        doc_id = str(doc_id)
    if not isinstance(doc_id, str):
        return InputItem(None, "", f"line {number}: 'id' must be a string")
    text = obj.get("text")
    if not isinstance(text, str):
        return InputItem(doc_id, "", f"line {number}: 'text' must be a string")
    return InputItem(doc_id, text)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ExtractError(f"无法读取输入:{exc.strerror or exc}", file=str(path)) from exc


def _text_item(path: Path) -> InputItem:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return InputItem(path.name, "", f"cannot read: {exc.strerror or exc}")
    try:
        return InputItem(path.name, data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return InputItem(path.name, "", f"not UTF-8 ({exc.reason})")


def iter_inputs(source: str | Path) -> Iterator[InputItem]:
    """The documents of ``source``.

    Args:
        source: ``-`` (JSONL on standard input), a ``.txt`` file (one document, id = file
            name), a directory (its ``*.txt`` files in name order) or a JSONL file of
            ``{"id": str, "text": str}`` objects.

    Raises:
        ExtractError: If the input cannot be read at all (missing, unreadable, a
            directory without ``.txt`` files).
    """
    if str(source) == "-":
        data = sys.stdin.buffer.read()
    else:
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix == ".txt" and p.is_file())
            if not files:
                raise ExtractError("目录中没有 .txt 文件", file=str(path))
            for f in files:
                yield _text_item(f)
            return
        if not path.exists():
            raise ExtractError("找不到输入", file=str(path))
        if path.suffix == ".txt":
            _read_bytes(path)  # unreadable: fail as a whole, like any other input
            yield _text_item(path)
            return
        data = _read_bytes(path)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last line does not open another one
    for number, raw in enumerate(lines, start=1):
        yield parse_line(raw.rstrip(b"\r"), number)
