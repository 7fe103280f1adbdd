"""Cell converters named in mapping files: str, int, float, year, list, bool.

Each takes a cell (text, or a list from JSON) and returns the value or raises
ValueError with a reason a person can act on; the pipeline adds the file, the
line and the column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from ingest.sources.base import CellValue

LIST_SEPARATORS = "；;、\n"
"""Default list separators: the full-width and ASCII semicolons and the 顿号."""

YEAR_MIN, YEAR_MAX = 1900, 2100

_CN_DIGITS = {"〇": "0", "零": "0", "○": "0", "Ｏ": "0", "一": "1", "二": "2", "三": "3",
              "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*([\u4e00-\u9fff%]*)$")
_YEAR = re.compile(r"^(\d{4})(?:\s*年.*|[-/.]\d{1,2}(?:[-/.]\d{1,2})?|\.0+)?$")


def _text(value: CellValue) -> str:
    if isinstance(value, list):
        raise ValueError(f"应为单个值,实际是列表 {value!r}")
    return unicodedata.normalize("NFKC", value).strip()


def to_str(value: CellValue) -> str | None:
    """Text as is (stripped); lists are joined with '；'. Empty -> None."""
    if isinstance(value, list):
        text = "；".join(v.strip() for v in value if v.strip())
    else:
        text = value.strip()
    return text or None


def to_float(value: CellValue) -> float | None:
    """A number, allowing thousands separators and a trailing unit (``1,200.5万元``)."""
    text = _text(value).replace(",", "")
    if not text:
        return None
    m = _NUMBER.match(text)
    if not m:
        raise ValueError(f"不是数字:{value!r}")
    return float(m.group(1))


def to_int(value: CellValue) -> int | None:
    """A whole number (``12``, ``12.0``, ``12人``)."""
    number = to_float(value)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError(f"不是整数:{value!r}")
    return int(number)


def to_year(value: CellValue) -> int | None:
    """A year between 1900 and 2100.

    Accepts ``2018``, ``2018年``, ``2018年5月``, ``2018-05-01``, ``2018.0`` (a
    spreadsheet's float), full-width digits and Chinese numerals (``二〇一八``).

    >>> to_year("二〇一八"), to_year("2018年"), to_year("２０１８")
    (2018, 2018, 2018)
    """
    text = _text(value)
    if not text:
        return None
    text = "".join(_CN_DIGITS.get(ch, ch) for ch in text)
    m = _YEAR.match(text)
    if not m:
        raise ValueError(f"不是年份:{value!r}")
    year = int(m.group(1))
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValueError(f"年份 {year} 不在 {YEAR_MIN}–{YEAR_MAX} 之间")
    return year


def to_list(value: CellValue, separators: str = LIST_SEPARATORS) -> list[str]:
    """Split on the separators; strip, drop empties and repeats (order kept)."""
    parts = value if isinstance(value, list) else re.split(
        "[" + re.escape(separators) + "]", value)
    out: dict[str, None] = {}
    for p in parts:
        p = p.strip()
        if p:
            out[p] = None
    return list(out)


_TRUE = {"1", "true", "yes", "y", "是", "有", "√", "✓"}
_FALSE = {"0", "false", "no", "n", "否", "无", "×"}


def to_bool(value: CellValue) -> bool | None:
    """是/否, true/false, yes/no, 1/0."""
    text = _text(value).lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"不是“是/否”:{value!r}")


CONVERTERS: dict[str, Callable[[CellValue], Any]] = {
    "str": to_str, "int": to_int, "float": to_float, "year": to_year, "list": to_list,
    "bool": to_bool,
}
"""Converter names a mapping may use as ``type:``."""
