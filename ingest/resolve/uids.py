"""Stable uids that do not depend on the order of ingestion.

* Enterprise: ``ent:`` + 统一社会信用代码 when known (checked against GB 32100-2015).
* University: ``uni:`` + MoE 学校标识码, given or found in the MoE list by the
  university's official name.
* Everything else (and the cases above without a code): kind prefix + normalised name;
  a person adds the normalised employer (``tal:张三@山东农业大学``) because
  homonyms are common.

A uid is made from what a record *says*; mapping another spelling (山农大,
泰山医学院) to an existing entity is the :class:`~ingest.resolve.Resolver`'s job, so
resolve first and pass the canonical name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from ingest.resolve.codes import validate_credit_code, validate_moe_code
from ingest.resolve.errors import UidError
from ingest.resolve.gazetteer import Gazetteer, default_gazetteer
from schemas.names import normalize_name
from schemas.ontology import label_name

UID_PREFIXES: dict[str, str] = {
    "Enterprise": "ent", "University": "uni", "Institute": "ins", "Hospital": "hos",
    "Government": "gov", "Platform": "plt", "Talent": "tal", "Team": "team", "Project": "prj",
    "Program": "prog", "Field": "fld", "Region": "reg", "Document": "doc", "Target": "tgt",
}
"""The uid prefix of every node label."""

LABEL_OF_PREFIX: dict[str, str] = {v: k for k, v in UID_PREFIXES.items()}

QUALIFIER_SEPARATOR = "@"
MAX_UID_LENGTH = 200
"""The schema's limit on uid length."""

_CODE_UID = {"Enterprise": re.compile(r"^ent:[0-9A-Z]{18}$"),
             "University": re.compile(r"^uni:\d{10}$")}


def uid_key(text: str) -> str:
    """The normalised form of a name as it appears in a uid (no white space, simplified).

    >>> uid_key(" 泰安市產業技術創新研究院 ")
    '泰安市产业技术创新研究院'
    """
    # Invisible format characters (zero-width space, BOM) survive normalisation and
    # would give one name two uids.
    cleaned = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))
    return normalize_name(cleaned)


def make_uid(label: str, name: str, *, credit_code: str | None = None,
             moe_code: str | None = None, qualifier: str | None = None,
             gazetteer: Gazetteer | None = None) -> str:
    """Make the stable uid of a node.

    Args:
        label: The node label (``Enterprise``, ``University`` … ``Field``, ``Target``).
        name: The name as the record gives it (canonical name after resolution).
        credit_code: 统一社会信用代码. Keys an Enterprise; for other labels it is still
            validated (so a bad code is reported) but the uid stays name-based, as the
            identity rules say.
        moe_code: 学校标识码; University only.
        qualifier: Disambiguates homonyms: for a Talent the employer's name (resolve it
            first so 山农大 and 山东农业大学 give one uid); for other labels any
            distinguishing context (a Team's unit). Normalised like the name.
        gazetteer: Where a University without a code is looked up by official name (the
            shipped MoE list by default).

    Returns:
        ``prefix:key`` or ``prefix:key@qualifier``, without white space, at most 200
        characters (longer keys are cut and completed with a hash).

    Raises:
        UidError: Unknown label, empty name, moe_code on a non-University.
        InvalidCreditCode: A credit code that breaks GB 32100-2015.
        InvalidMoeCode: A 学校标识码 that is not ten digits.

    >>> make_uid("Institute", "泰安市产业技术创新研究院")
    'ins:泰安市产业技术创新研究院'
    >>> make_uid("University", "山东农业大学")
    'uni:4137010434'
    >>> make_uid("Talent", "张 三", qualifier="山东农业大学")
    'tal:张三@山东农业大学'
    """
    prefix = UID_PREFIXES.get(label)
    if prefix is None:
        raise UidError(f"不认识的类别 {label!r};可用:{'、'.join(UID_PREFIXES)}")
    code = validate_credit_code(credit_code) if credit_code else None
    if moe_code and label != "University":
        raise UidError(f"学校标识码只能标识高校,不能标识{label_name(label)}")
    if label == "Enterprise" and code:
        return f"{prefix}:{code}"
    if label == "University":
        if moe_code:
            return f"{prefix}:{validate_moe_code(moe_code)}"
        found = (gazetteer or default_gazetteer()).university_by_name(name)
        if found is not None:
            return found.uid
    key = uid_key(name)
    if not key:
        raise UidError(f"名称为空({name!r}),无法生成{label}的标识")
    if qualifier and uid_key(qualifier):
        key = f"{key}{QUALIFIER_SEPARATOR}{uid_key(qualifier)}"
    uid = f"{prefix}:{key}"
    if len(uid) > MAX_UID_LENGTH:
        # Still deterministic: the cut key plus a digest of the whole key.
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
        uid = f"{uid[: MAX_UID_LENGTH - 13]}~{digest}"
    return uid


def split_uid(uid: str) -> tuple[str | None, str, str | None]:
    """Split a uid into (label, key, qualifier); label None if the prefix is unknown.

    >>> split_uid("tal:张三@山东农业大学")
    ('Talent', '张三', '山东农业大学')
    """
    prefix, _, rest = uid.partition(":")
    label = LABEL_OF_PREFIX.get(prefix)
    key, sep, qualifier = rest.partition(QUALIFIER_SEPARATOR)
    return label, key, (qualifier if sep else None)


def is_code_uid(uid: str, label: str) -> bool:
    """True if ``uid`` is keyed by an official code (``ent:<credit code>``, ``uni:<code>``)."""
    pattern = _CODE_UID.get(label)
    return bool(pattern and pattern.match(uid))
