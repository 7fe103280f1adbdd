"""Roles and the one redaction of personal data.

Personal fields are tagged in the node schemas (``json_schema_extra={"sensitive":
True}``: a talent's phone, e-mail and ID number); :func:`redact` removes them from a
record for every role that may not see them. Every boundary that hands records out
(HTTP responses, exports, views, the CLI) calls it, or passes
:func:`may_see_personal` to a writer that does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from schemas.nodes import NODE_MODELS, sensitive_fields

Role = Literal["analyst", "talent_office", "admin"]

ROLES: tuple[Role, ...] = ("analyst", "talent_office", "admin")
"""Every role, least rights first."""

ROLE_NAMES: dict[str, str] = {"analyst": "分析员", "talent_office": "人才办", "admin": "管理员"}
"""Chinese names of the roles (accepted as input too)."""

PERSONAL_DATA_ROLES: frozenset[str] = frozenset({"talent_office", "admin"})
"""Roles that see talents' contact data and ID numbers."""


def role_code(value: str) -> Role:
    """The role code of ``value`` (a code or its Chinese name).

    Raises:
        ValueError: With the allowed values in Chinese, for anything else.
    """
    v = value.strip()
    for code in ROLES:
        if v == code or v == ROLE_NAMES[code]:
            return code
    allowed = "、".join(f"{c}({ROLE_NAMES[c]})" for c in ROLES)
    raise ValueError(f"未知角色 {value!r},可选:{allowed}")


def may_see_personal(role: str) -> bool:
    """Whether ``role`` may see talents' personal data."""
    return role in PERSONAL_DATA_ROLES


def redact(label: str | None, record: Mapping[str, Any], role: str) -> dict[str, Any]:
    """``record`` (a node's fields) without the personal fields ``role`` may not see.

    Unknown labels lose every field that is personal in any node kind, so a record whose
    label is missing is never passed through unredacted.
    """
    out = dict(record)
    if may_see_personal(role):
        return out
    for name in personal_fields(label):
        out.pop(name, None)
    return out


def personal_fields(label: str | None) -> frozenset[str]:
    """The personal fields of a label (of every label when it is not known)."""
    if label in NODE_MODELS:
        return sensitive_fields(label)
    return frozenset().union(*(sensitive_fields(lab) for lab in NODE_MODELS))
