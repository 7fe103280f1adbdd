"""The imperfections of real registries: other spellings, repeated rows, stray blanks."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import opencc


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


_PLACES = ("泰安市", "山东省", "泰安", "山东", "泰山", "新泰", "肥城", "宁阳", "东平", "岱岳")
"""Place names after which a clerk may type a space ("泰安 华康…")."""


def _gbk_ok(text: str) -> bool:
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def variants(name: str) -> list[str]:
    """Other spellings a clerk might type for ``name``, all decodable as GBK.

    Bracket width, traditional characters, 有限责任公司 for 有限公司, a space after
    the place name and a trailing space. The first three survive
    ``normalize_name`` differently: width and script fold away, the company form
    does not (the resolver has to match it on other grounds, e.g. the credit code).
    """
    out: list[str] = []
    if "（" in name:
        out.append(name.replace("（", "(").replace("）", ")"))
    elif "(" in name:
        out.append(name.replace("(", "（").replace(")", "）"))
    if name.endswith("有限公司") and not name.endswith("股份有限公司"):
        out.append(name[: -len("有限公司")] + "有限责任公司")
    trad = _s2t().convert(name)
    if trad != name and _gbk_ok(trad):
        out.append(trad)
    place = next((p for p in _PLACES if name.startswith(p) and len(name) > len(p) + 2), "")
    if place:
        out.append(place + " " + name[len(place):])
    out.append(name + " ")
    return out


class Speller:
    """Decides, per mention, whether a name is written canonically or as a variant.

    Args:
        rng: The generator of this stage.
        messy: False writes every name canonically.
        rate: Share of mentions written as a variant in messy mode.
    """

    def __init__(self, rng: np.random.Generator, messy: bool, rate: float = 0.02) -> None:
        self.rng = rng
        self.messy = messy
        self.rate = rate
        self.count = 0

    def many(self, names: list[str]) -> list[str]:
        """Spell a batch of mentions (one random draw per mention, in order)."""
        if not self.messy or not names:
            return list(names)
        u = self.rng.random(len(names))
        pick = self.rng.random(len(names))
        out = list(names)
        for i in np.flatnonzero(u < self.rate).tolist():
            if not names[i]:
                continue
            opts = variants(names[i])
            out[i] = opts[int(pick[i] * len(opts))]
            self.count += 1
        return out

    def one(self, name: str) -> str:
        """Spell one mention."""
        return self.many([name])[0]


def pick_rows(rng: np.random.Generator, n_rows: int, share: float, minimum: int) -> set[int]:
    """Choose which rows get an imperfection: ``share`` of them, at least ``minimum``."""
    if n_rows <= 0:
        return set()
    k = min(n_rows, max(minimum, round(n_rows * share)))
    return set(rng.choice(n_rows, size=k, replace=False).tolist())
