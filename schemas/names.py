"""Name normalisation shared by the stores and the resolver.

Two spellings of one name compare equal after :func:`normalize_name`: full-width
forms become half-width, Chinese brackets become ASCII ones, white space goes,
traditional characters become simplified and Latin letters lower-case.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_SPACES = re.compile(r"\s+")
_BRACKETS = str.maketrans({"【": "[", "】": "]", "〔": "(", "〕": ")", "《": "<", "》": ">",
                           "“": '"', "”": '"', "‘": "'", "’": "'", "·": "", "•": ""})


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


MAX_SIMPLIFY_STEPS = 4
"""Rounds of traditional-to-simplified conversion at most (OpenCC's chains are short)."""


@lru_cache(maxsize=65536)
def normalize_name(name: str) -> str:
    """Return the comparison key of a name.

    NFKC folds full-width ASCII (（）, ＡＢＣ, １２３) to half-width; the rest of the
    punctuation is mapped explicitly; OpenCC converts traditional to simplified.

    >>> normalize_name("泰安市產業技術創新研究院（山東產業技術研究院泰安分院）")
    '泰安市产业技术创新研究院(山东产业技术研究院泰安分院)'
    >>> normalize_name(" 山东 农业大学 ")
    '山东农业大学'
    >>> normalize_name("ＡＢＣ科技有限公司")
    'abc科技有限公司'
    """
    text = unicodedata.normalize("NFKC", name).translate(_BRACKETS)
    text = _SPACES.sub("", text)
    convert = _t2s().convert
    simplified: str = convert(text)
    # a few characters simplify in steps (薴 -> 苧 -> 苎): convert until nothing changes,
    # so that a normalised name normalises to itself
    for _ in range(MAX_SIMPLIFY_STEPS):
        if simplified == text:
            break
        text, simplified = simplified, convert(simplified)
    return simplified.lower()


def search_key(parts: list[str]) -> str:
    """Join normalised names, aliases and keywords into one searchable string.

    The separator is a character that never survives normalisation, so a
    substring query cannot match across two parts.
    """
    return "\u241f".join(normalize_name(p) for p in parts if p)
