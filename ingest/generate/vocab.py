"""The generator's word lists, loaded once from ``ingest/generate/data``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ingest.resolve._data import read_rows

DATA_DIR = Path(__file__).resolve().parent / "data"


def _load(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def _unique(seq: list[str]) -> list[str]:
    """Drop repeated entries, keeping the first: the lists are easier to edit with repeats."""
    return list(dict.fromkeys(seq))


def _weighted(pairs: list[list[Any]]) -> tuple[list[str], np.ndarray]:
    names = [str(p[0]) for p in pairs]
    w = np.array([float(p[1]) for p in pairs])
    return names, w / w.sum()


@dataclass(frozen=True)
class Field:
    """One field of the hierarchy.

    Attributes:
        name: The field's Chinese name.
        parent: The parent's name, "" for a root.
        keywords: Technology keywords (needs, research directions).
        industry_words: 行业词 used in enterprise names (leaves only).
        products: Product nouns for need and project texts (leaves only).
        weight: Relative share of actors (leaves only).
    """

    name: str
    parent: str
    keywords: tuple[str, ...]
    industry_words: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    weight: float = 0.0


@dataclass(frozen=True)
class University:
    """A row of the MoE list."""

    code: str
    name: str
    department: str
    province: str
    city: str
    level: str


@dataclass(frozen=True)
class Vocab:
    """Every list the generator draws from. Field index i is ``fields[i]``: roots come first."""

    fields: tuple[Field, ...]
    n_roots: int
    surnames: list[str]
    surname_p: np.ndarray
    given_chars: list[str]
    trade_chars: list[str]
    places: list[str]
    place_p: np.ndarray
    place_region: list[str]
    regions: list[str]
    region_codes: list[str]
    region_p: np.ndarray
    suffixes: list[str]
    suffix_p: np.ndarray
    titles: dict[str, tuple[list[str], np.ndarray]]
    talent_programs: tuple[list[str], np.ndarray]
    team_programs: tuple[list[str], np.ndarray]
    team_suffixes: tuple[list[str], np.ndarray]
    hospital_words: tuple[list[str], np.ndarray]
    institute_words: tuple[list[str], np.ndarray]
    email_domains: list[str]
    templates: dict[str, Any]
    real: dict[str, Any]
    universities: tuple[University, ...]

    @property
    def leaves(self) -> range:
        """Indexes of the leaf fields."""
        return range(self.n_roots, len(self.fields))

    def field_index(self, name: str) -> int:
        """Index of a field by name."""
        for i, f in enumerate(self.fields):
            if f.name == name:
                return i
        raise KeyError(name)

    def root_of(self, index: int) -> int:
        """Index of the root above a field (a root is its own root)."""
        f = self.fields[index]
        return index if not f.parent else self.field_index(f.parent)


@lru_cache(maxsize=1)
def load_vocab() -> Vocab:
    """Load and check the data files (cached: they never change while running)."""
    fdoc = _load("fields.json")
    roots = [Field(r["name"], "", tuple(r["keywords"])) for r in fdoc["roots"]]
    leaves = [Field(x["name"], x["parent"], tuple(x["keywords"]), tuple(x["industry_words"]),
                    tuple(x["products"]), float(x["weight"])) for x in fdoc["leaves"]]
    words = {w for leaf in leaves for w in leaf.industry_words}
    clash = sorted(w for w in words if w + "科技" in words)
    if clash:
        # "光电" + 科技有限公司 and "光电科技" + 有限公司 would spell one name for two firms
        raise ValueError(f"industry words {clash} clash with their 科技 forms")
    root_names = {r.name for r in roots}
    for leaf in leaves:
        if leaf.parent not in root_names:
            raise ValueError(f"field {leaf.name}: unknown parent {leaf.parent}")
    names = _load("names.json")
    surnames, surname_p = _weighted(names["surnames"])
    places = names["places"]
    pw = np.array([float(p["weight"]) for p in places])
    regions = names["regions"]
    rw = np.array([float(r["weight"]) for r in regions])
    suffixes, suffix_p = _weighted(names["enterprise_suffixes"])
    # the resolver ships the MoE list; one copy serves both
    unis = tuple(University(r["code"], r["name"], r["department"], r["province"], r["city"],
                            r["level"])
                 for r in read_rows(None, "universities_moe_2025.csv",
                                    ("code", "name", "department", "province", "city", "level")))
    return Vocab(
        fields=tuple(roots + leaves), n_roots=len(roots),
        surnames=surnames, surname_p=surname_p,
        given_chars=_unique(names["given_chars"]),
        trade_chars=_unique(names["trade_chars"]),
        places=[p["name"] for p in places], place_p=pw / pw.sum(),
        place_region=[p.get("region", "") for p in places],
        regions=[r["name"] for r in regions], region_codes=[r["code"] for r in regions],
        region_p=rw / rw.sum(),
        suffixes=suffixes, suffix_p=suffix_p,
        titles={k: _weighted(v) for k, v in names["titles_by_kind"].items()},
        talent_programs=_weighted(names["talent_programs"]),
        team_programs=_weighted(names["team_programs"]),
        team_suffixes=_weighted(names["team_suffixes"]),
        hospital_words=_weighted(names["hospital_words"]),
        institute_words=_weighted(names["institute_words"]),
        email_domains=list(names["email_domains"]),
        templates=_load("templates.json"),
        real=_load("taian_real.json"),
        universities=unis,
    )


def real_entity_names() -> frozenset[str]:
    """Names (and aliases) of the real public entities the sample and the generator use.

    Every other actor in the generated registries is synthetic, except the
    universities (all from the MoE list). The generator writes 公开 in the
    数据性质 column of these entities' rows and 合成 in the others', so that ingest
    flags each row where one file mixes both (机构名录.csv holds real universities
    next to synthetic institutes and hospitals; the platform sheet holds the
    plan's four real platforms next to synthetic ones).
    """
    real = load_vocab().real
    names: set[str] = set()
    for group in ("universities", "organisations", "platforms"):
        for item in real[group]:
            names.add(item["name"])
            names.update(item.get("aliases", []))
    return frozenset(names)
