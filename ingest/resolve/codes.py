"""Official identifiers: 统一社会信用代码 (GB 32100-2015) and the MoE 学校标识码.

A credit code has 18 characters: registration authority (1), organisation category (1),
administrative division (6 digits), organisation body (9) and a check character. The
alphabet is the digits and the capitals without I, O, S, V, Z (31 symbols); character
*i* (0-based) of the first 17 carries weight 3**i mod 31, and the check character is
``(31 - sum mod 31) mod 31`` in that alphabet.

>>> credit_code_check_char("91440300708461136")
'T'
>>> is_valid_credit_code("91440300708461136T")
True
"""

from __future__ import annotations

import re
import unicodedata

from ingest.resolve.errors import InvalidCreditCode, InvalidMoeCode

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 symbols of GB 32100-2015 in value order (0-30)."""

_VALUE = {ch: i for i, ch in enumerate(CREDIT_CODE_ALPHABET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# Separators people type inside codes in spreadsheets; never part of a code.
_SEPARATORS = re.compile(r"[\s\-_.·]")
_MOE_CODE = re.compile(r"^\d{10}$")


def clean_code(code: str) -> str:
    """Fold full-width characters, drop spaces and separators, upper-case.

    >>> clean_code(" ９１３７-0900ma3c4xyh17 ")
    '91370900MA3C4XYH17'
    """
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", code)).upper()


def credit_code_check_char(first17: str) -> str:
    """The GB 32100-2015 check character of the first 17 characters of a credit code.

    Args:
        first17: 17 characters of the code's alphabet (already cleaned).

    Raises:
        InvalidCreditCode: If the length or a character is wrong.
    """
    if len(first17) != 17:
        raise InvalidCreditCode(first17, f"计算校验位需要 17 位,收到 {len(first17)} 位")
    bad = [ch for ch in first17 if ch not in _VALUE]
    if bad:
        raise InvalidCreditCode(first17, f"含不允许的字符:{''.join(bad)}")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Say what is wrong with a credit code, or None if it is valid (after cleaning)."""
    text = clean_code(code)
    if len(text) != 18:
        return f"有 {len(text)} 位,统一社会信用代码应为 18 位"
    bad = sorted({ch for ch in text if ch not in _VALUE})
    if bad:
        # I, O, S, V and Z are excluded from the alphabet because they look like 1, 0, 5,
        # U and 2: saying so helps whoever typed the code.
        return f"含统一社会信用代码不允许的字符:{''.join(bad)}"
    if not text[2:8].isdigit():
        return "第 3–8 位(行政区划码)应为数字"
    expected = credit_code_check_char(text[:17])
    if text[17] != expected:
        return f"校验位是 {text[17]!r},按 GB 32100-2015 应为 {expected!r}"
    return None


def is_valid_credit_code(code: str) -> bool:
    """True if ``code`` is a well-formed 统一社会信用代码 with a correct check character."""
    return credit_code_problem(code) is None


def validate_credit_code(code: str) -> str:
    """Return the cleaned credit code, or raise if it is not valid.

    Args:
        code: A 统一社会信用代码 as typed (full-width, lower-case and spaces are tolerated).

    Returns:
        The 18-character code in upper case.

    Raises:
        InvalidCreditCode: With the reason (length, alphabet, check character).
    """
    problem = credit_code_problem(code)
    if problem is not None:
        raise InvalidCreditCode(code, problem)
    return clean_code(code)


def validate_moe_code(code: str) -> str:
    """Return the cleaned 学校标识码 (ten digits), or raise InvalidMoeCode.

    The code has no check digit, so only its shape can be checked here; whether the
    ministry's list knows it is the gazetteer's business.
    """
    text = clean_code(code)
    if not _MOE_CODE.match(text):
        raise InvalidMoeCode(code, "学校标识码应为 10 位数字")
    return text
