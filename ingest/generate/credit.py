"""统一社会信用代码 (unified social credit code, GB 32100-2015): check characters and synthesis.

A code has 18 characters:

* 1: registration authority (9 = market regulation, 1 = 机构编制, 5 = 民政 …);
* 2: organisation category under that authority (91 = enterprise, 12 = public
  institution, 52 = private non-enterprise unit …);
* 3-8: administrative division code of the registering authority;
* 9-17: the organisation code, itself ending with a GB 11714 check character;
* 18: the GB 32100 check character over the first 17.

The alphabet is the digits and the capitals without I, O, Z, S and V, which are
too easily misread; a character's value is its index in that alphabet.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of GB 32100, in value order."""

_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
"""Weight of position i is 3**i mod 31 (1, 3, 9, 27, 19, 26, …)."""

# GB 11714 (organisation code) weights for the 8 body characters; its check is
# computed over values where letters count A=10 … Z=35, i.e. the full Latin range.
_OC_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ALPHABET_ARR = np.array(list(ALPHABET))
_OC_VALUE = np.array([int(c, 36) for c in ALPHABET], dtype=np.int64)


def check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters.

    Args:
        first17: 17 characters of the code's alphabet.

    Returns:
        The 18th character.

    Raises:
        ValueError: when the input has the wrong length or a character outside the alphabet.
    """
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    try:
        total = sum(_VALUE[c] * int(w) for c, w in zip(first17, _WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not allowed in a credit code") from exc
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """Tell whether ``code`` is 18 characters of the alphabet with a correct check character."""
    if len(code) != 18 or any(c not in _VALUE for c in code):
        return False
    return check_char(code[:17]) == code[17]


def org_code_check(body8: str) -> str:
    """Return the GB 11714 check character of an 8-character organisation-code body.

    The check is ``11 - (Σ value·weight mod 11)``, written 'X' for 10 and '0' for 11.
    """
    total = sum(int(c, 36) * int(w) for c, w in zip(body8, _OC_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def synthesize(rng: np.random.Generator, prefixes: list[str], *,
               new_style: np.ndarray | None = None) -> list[str]:
    """Draw distinct, valid credit codes, one per prefix.

    Args:
        rng: The random generator (the only source of randomness).
        prefixes: For each code, its first 8 characters (authority, category and
            the 6-digit division code), e.g. ``"91370902"``.
        new_style: Optional boolean mask: where True the organisation-code body
            starts with "MA" followed by 6 alphabet characters, as codes issued
            since the 2015 reform do; elsewhere the body is 8 digits.

    Returns:
        The codes, in the order of ``prefixes``; the 9-character organisation
        codes are pairwise distinct, so the codes are too.
    """
    n = len(prefixes)
    if n == 0:
        return []
    mask = np.zeros(n, dtype=bool) if new_style is None else np.asarray(new_style, dtype=bool)
    body = np.empty((n, 8), dtype=np.int64)  # values in ALPHABET
    todo = np.arange(n)
    while todo.size:
        digits = rng.integers(0, 10, size=(todo.size, 8))
        letters = rng.integers(0, 31, size=(todo.size, 6))
        is_new = mask[todo]
        body[todo] = digits
        # "MA" is A=10, M=21 in the alphabet; the rest draws from all 31 characters
        body[todo[is_new], 0] = _VALUE["M"]
        body[todo[is_new], 1] = _VALUE["A"]
        body[todo[is_new], 2:] = letters[is_new]
        # a body is an 8-digit base-31 number: equal keys are equal bodies
        keys = (body * (31 ** np.arange(7, -1, -1, dtype=np.int64))).sum(axis=1)
        _, first = np.unique(keys, return_index=True)
        keep = np.zeros(n, dtype=bool)
        keep[first] = True
        todo = np.flatnonzero(~keep)
    oc_sum = (_OC_VALUE[body] * _OC_WEIGHTS).sum(axis=1)
    c9 = 11 - oc_sum % 11
    body_chars = _ALPHABET_ARR[body]
    c9_chars = np.where(c9 == 10, "X", np.where(c9 == 11, "0", c9.astype(str)))
    prefix_arr = np.array([[_VALUE[c] for c in p] for p in prefixes], dtype=np.int64)
    if prefix_arr.shape != (n, 8):
        raise ValueError("every prefix must have 8 characters")
    c9_vals = np.array([_VALUE[c] for c in c9_chars], dtype=np.int64)
    first17 = np.concatenate([prefix_arr, body, c9_vals[:, None]], axis=1)
    check = (31 - (first17 * _WEIGHTS).sum(axis=1) % 31) % 31
    bodies = ["".join(row) for row in body_chars]
    return [f"{p}{b}{c}{ALPHABET[k]}"
            for p, b, c, k in zip(prefixes, bodies, c9_chars, check, strict=True)]
