"""The root error of the schemas package."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SchemaError(ValueError):
    """A record does not fit the ontology.

    Attributes:
        record: Where the record came from (an index in a batch, a uid, a file and line).
        field: The offending field, when one can be named.
    """

    def __init__(self, message: str, *, record: str = "", field: str = "") -> None:
        self.record = record
        self.field = field
        where = ",".join(p for p in (f"记录 {record}" if record else "",
                                      f"字段 '{field}'" if field else "") if p)
        super().__init__(f"{where}: {message}" if where else message)


_REASONS: dict[str, str] = {
    "missing": "缺少必填项",
    "string_type": "应为文本",
    "string_too_short": "文本过短(至少 {min_length} 个字符)",
    "string_too_long": "文本过长(最多 {max_length} 个字符)",
    "string_pattern_mismatch": "格式不符",
    "int_type": "应为整数", "int_parsing": "应为整数", "int_from_float": "应为整数",
    "float_type": "应为数字", "float_parsing": "应为数字", "finite_number": "应为有限的数字",
    "bool_type": "应为“是/否”", "bool_parsing": "应为“是/否”",
    "list_type": "应为列表", "dict_type": "应为键值对",
    "too_short": "至少要有 {min_length} 项", "too_long": "最多只能有 {max_length} 项",
    "date_type": "应为日期", "date_parsing": "应为日期", "date_from_datetime_parsing": "应为日期",
    "datetime_type": "应为日期时间", "datetime_parsing": "应为日期时间",
    "greater_than": "应大于 {gt}", "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}", "less_than_equal": "应不大于 {le}",
    "literal_error": "取值应为 {expected} 之一", "enum": "取值应为 {expected} 之一",
    "extra_forbidden": "不认识的字段",
}
"""Chinese reasons for pydantic's error types, with its context's values."""


def validation_reason(err: Mapping[str, Any]) -> str:
    """One of pydantic's errors (``exc.errors()[0]``) in Chinese: its type's reason, or,
    for a validator's own ``ValueError`` (already worded in Chinese), its message."""
    template = _REASONS.get(str(err.get("type")))
    if template is None:
        return str(err.get("msg", "")).removeprefix("Value error, ")
    ctx = {k: v.replace(" or ", "、") if isinstance(v, str) else v
           for k, v in (err.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return template.split("(")[0].split(" {")[0]
