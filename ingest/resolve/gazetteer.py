"""Gazetteers shipped as data: the MoE list of universities and the alias table.

* ``data/universities_moe_2025.csv``: the Ministry of Education list of regular
  higher-education institutions (全国普通高等学校名单, 2025-06-20), public
  government information. Its 学校标识码 is a university's identity.
* ``data/aliases.csv``: curated aliases, former names, abbreviations and
  campus/branch links (alias, canonical, label, rule, note).
* ``data/abbreviations.csv``: common short names of universities (深大, 山大), one row
  per university an abbreviation may denote, with its province and whether it is the
  default reading (abbreviation, canonical, province, primary, note).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ingest.resolve._data import DataSource, read_rows
from ingest.resolve.errors import GazetteerError
from schemas.names import normalize_name
from schemas.nodes import NODE_MODELS

ALIAS_RULES = frozenset({"alias", "former_name", "abbreviation", "branch_of"})
"""Rules an alias-table row may have; ``branch_of`` links a branch to its parent."""

_MOE_CODE = re.compile(r"^\d{10}$")


@dataclass(frozen=True)
class MoeUniversity:
    """One row of the MoE list."""

    code: str
    name: str
    department: str = ""
    province: str = ""
    city: str = ""
    level: str = ""
    remark: str = ""

    @property
    def uid(self) -> str:
        """The university's uid: ``uni:`` + 学校标识码."""
        return f"uni:{self.code}"


@dataclass(frozen=True)
class AliasEntry:
    """One row of the alias table."""

    alias: str
    canonical: str
    label: str
    rule: str
    note: str = ""


@dataclass(frozen=True)
class Abbreviation:
    """One reading of a university's short name."""

    abbreviation: str
    canonical: str
    province: str = ""
    primary: bool = False
    note: str = ""


class Gazetteer:
    """Universities by 学校标识码 and by name, and the alias table, indexed for lookup.

    Args:
        universities: Rows of the MoE list.
        aliases: Rows of the alias table.

    Raises:
        GazetteerError: On a malformed code, a duplicate code, an unknown label or rule,
            or a University alias whose canonical name is not in the MoE list.
    """

    def __init__(self, universities: Iterable[MoeUniversity],
                 aliases: Iterable[AliasEntry] = (),
                 abbreviations: Iterable[Abbreviation] = ()) -> None:
        self.universities: tuple[MoeUniversity, ...] = tuple(universities)
        self._by_code: dict[str, MoeUniversity] = {}
        self._by_name: dict[str, MoeUniversity] = {}
        for u in self.universities:
            if not _MOE_CODE.match(u.code):
                raise GazetteerError(f"学校标识码 {u.code!r} of {u.name} is not ten digits")
            if u.code in self._by_code:
                raise GazetteerError(f"学校标识码 {u.code} 出现了两次")
            self._by_code[u.code] = u
            self._by_name[normalize_name(u.name)] = u
        self.aliases: tuple[AliasEntry, ...] = tuple(aliases)
        self._aliases: dict[str, list[AliasEntry]] = {}
        for a in self.aliases:
            if a.rule not in ALIAS_RULES:
                raise GazetteerError(f"别名 {a.alias!r}:不认识的规则 {a.rule!r};可用:"
                                     f"{'、'.join(sorted(ALIAS_RULES))}")
            if a.label not in NODE_MODELS:
                raise GazetteerError(f"别名 {a.alias!r}:不认识的类别 {a.label!r}")
            if a.label == "University" and self.university_by_name(a.canonical) is None:
                raise GazetteerError(f"别名 {a.alias!r}:标准名称 {a.canonical!r} 不在"
                                     "教育部高校名单中")
            self._aliases.setdefault(normalize_name(a.alias), []).append(a)
        self.abbreviations: tuple[Abbreviation, ...] = tuple(abbreviations)
        self._abbreviations: dict[str, list[Abbreviation]] = {}
        for b in self.abbreviations:
            if self.university_by_name(b.canonical) is None:
                raise GazetteerError(f"简称 {b.abbreviation!r}:标准名称 "
                                     f"{b.canonical!r} 不在教育部高校名单中")
            self._abbreviations.setdefault(normalize_name(b.abbreviation), []).append(b)
        for readings in self._abbreviations.values():
            if sum(b.primary for b in readings) > 1:
                raise GazetteerError(f"简称 {readings[0].abbreviation!r} 有不止一个"
                                     "首选(primary)读法")

    @classmethod
    def load(cls, *, universities: DataSource = None, aliases: DataSource = None,
             abbreviations: DataSource = None) -> Gazetteer:
        """Read the gazetteer from CSV files (the shipped ones by default).

        Raises:
            GazetteerError: If a file is missing or malformed.
        """
        unis = [MoeUniversity(code=r["code"], name=r["name"], department=r.get("department", ""),
                              province=r.get("province", ""), city=r.get("city", ""),
                              level=r.get("level", ""), remark=r.get("remark", ""))
                for r in read_rows(universities, "universities_moe_2025.csv", ("name", "code"))]
        rows = read_rows(aliases, "aliases.csv", ("alias", "canonical", "label", "rule"))
        entries = [AliasEntry(r["alias"], r["canonical"], r["label"], r["rule"],
                              r.get("note", "")) for r in rows]
        abbr = [Abbreviation(r["abbreviation"], r["canonical"], r.get("province", ""),
                             r.get("primary", "") in ("1", "true", "yes"), r.get("note", ""))
                for r in read_rows(abbreviations, "abbreviations.csv",
                                   ("abbreviation", "canonical"))]
        return cls(unis, entries, abbr)

    def university_by_code(self, code: str) -> MoeUniversity | None:
        """The university with this 学校标识码, or None."""
        return self._by_code.get(code.strip())

    def university_by_name(self, name: str) -> MoeUniversity | None:
        """The university whose official name equals ``name`` after normalisation."""
        return self._by_name.get(normalize_name(name))

    def aliases_for(self, name: str, *, label: str | None = None) -> list[AliasEntry]:
        """Alias-table rows whose alias equals ``name`` after normalisation."""
        rows = self._aliases.get(normalize_name(name), [])
        return [a for a in rows if label is None or a.label == label]


    def abbreviations_for(self, name: str) -> list[Abbreviation]:
        """The readings of a university short name (empty when it is not one)."""
        return list(self._abbreviations.get(normalize_name(name), ()))


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The shipped gazetteer, loaded on first use and kept."""
    return Gazetteer.load()


@lru_cache(maxsize=1)
def moe_cities() -> tuple[tuple[str, str], ...]:
    """(province, city) pairs of the MoE list: the prefecture-level cities for region rules."""
    rows = read_rows(None, "universities_moe_2025.csv", ("province", "city"))
    return tuple(dict.fromkeys((r["province"], r["city"]) for r in rows if r["city"]))
