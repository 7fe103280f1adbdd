"""The extractor's data files, read once and compiled into regular expressions.

Everything the rules know about Chinese organisation names (suffixes, place names,
level and generic words, boundary words, programme and person cues, relation and
target patterns) lives in YAML/CSV files under ``ingest/extract/data``; this module
only reads and compiles them. The MoE university list and the curated aliases are the
resolver's shipped copies under ``ingest/resolve/data``: the extractor reads the same
files instead of keeping its own, so both agree on names.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ingest.extract.errors import ExtractError
from ingest.extract.trie import compile_trie, trie_pattern

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
RESOLVE_DATA_DIR = Path(__file__).resolve().parent.parent / "resolve" / "data"
"""The resolver's shipped data (MoE list, aliases, regions)."""

LABELS: tuple[str, ...] = ("ENTERPRISE", "UNIVERSITY", "INSTITUTE", "PLATFORM", "HOSPITAL",
                           "GOVERNMENT", "ORG", "PERSON", "PROGRAM", "ZONE", "LOCATION")
"""Entity labels the extractor produces."""

ORG_LABELS: frozenset[str] = frozenset({"ENTERPRISE", "UNIVERSITY", "INSTITUTE", "PLATFORM",
                                        "HOSPITAL", "GOVERNMENT", "ORG"})
"""Labels of organisations; ``--collapse-org`` in the evaluation folds them into ORG."""

ONTOLOGY_TO_LABEL: dict[str, str] = {
    "Enterprise": "ENTERPRISE", "University": "UNIVERSITY", "Institute": "INSTITUTE",
    "Platform": "PLATFORM", "Hospital": "HOSPITAL", "Government": "GOVERNMENT",
    "Talent": "PERSON", "Program": "PROGRAM", "Region": "LOCATION",
}
"""Graph node labels that can be matched in text, and the entity label they give."""

# CJK unified ideographs (with extension A) and Latin letters of both widths: the
# characters a name is written with. Digits are left out on purpose: in running text a
# digit before a name is nearly always a count (建设4家企业联合创新中心).
NAME_CHARS = "\u3400-\u4dbf\u4e00-\u9fffA-Za-z\uff21-\uff3a\uff41-\uff5a·"
DIGITS = "0-9\uff10-\uff19"
MEASURE_WORDS = "个家所位名项批条支座类种只件处年月日号"

PRIORITY = {"gazetteer": 40, "alias": 38, "program": 30, "government": 25, "org": 20,
            "person": 15, "propagated": 12, "place": 10, "model": 5}
"""How much a candidate's source is trusted when candidates cross each other."""


@dataclass(frozen=True, slots=True)
class Suffix:
    """An organisation-name ending and what a name ending with it needs."""

    text: str
    label: str
    core: str  # place | proper | located | prefix | place_only | ministry
    not_before: str = ""


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """One name the gazetteer matches: its label and the canonical name it stands for."""

    name: str
    label: str
    canonical: str = ""
    source: str = "gazetteer"


@dataclass
class Lexicon:
    """All compiled data the rule matchers use. Build it with :func:`load_lexicon`."""

    suffixes: dict[str, Suffix]
    suffix_rx: re.Pattern[str]
    places: frozenset[str]
    location_places: frozenset[str]
    place_rx: re.Pattern[str]
    location_rx: re.Pattern[str]
    level_rx: re.Pattern[str]
    levels: frozenset[str]
    generic: frozenset[str]
    generic_max: int
    boundary_rx: re.Pattern[str]
    protected_rx: re.Pattern[str]
    not_name_start: tuple[str, ...]
    gazetteer: list[GazetteerEntry]
    programs: dict[str, Any]
    persons: dict[str, Any]
    relations: list[dict[str, Any]]
    targets: dict[str, Any]
    zone_suffixes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        self._suffix_max = max((len(k) for k in self.suffixes), default=0)

    def ending_suffix(self, text: str, start: int, end: int) -> Suffix | None:
        """The longest organisation-name suffix ending at ``end`` and starting no
        earlier than ``start`` (so 重点实验室 rather than 实验室), or None."""
        for k in range(min(end - start, self._suffix_max), 0, -1):
            suffix = self.suffixes.get(text[end - k:end])
            if suffix is not None:
                return suffix
        return None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExtractError(f"无法读取数据文件:{exc}", file=str(path)) from exc


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from a data file.

    Raises:
        ExtractError: If the file is missing, unreadable or not a mapping.
    """
    try:
        data = yaml.safe_load(_read_text(path))
    except yaml.YAMLError as exc:
        raise ExtractError(f"YAML 格式错误:{exc}", file=str(path)) from exc
    if not isinstance(data, dict):
        raise ExtractError("顶层应为键值映射", file=str(path))
    return data


def read_csv(path: Path, required: Iterable[str]) -> list[dict[str, str]]:
    """Rows of a CSV data file; ``#`` lines are comments.

    Raises:
        ExtractError: If the file cannot be read or lacks a required column.
    """
    lines = [ln for ln in _read_text(path).splitlines() if not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise ExtractError(f"缺少列:{'、'.join(missing)}", file=str(path))
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def read_lines(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a text data file."""
    return [ln.strip() for ln in _read_text(path).splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def _words(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value or [] if str(v)]


def university_entries(path: Path | None = None) -> list[GazetteerEntry]:
    """The MoE list of higher-education institutions as gazetteer entries.

    Args:
        path: The CSV (columns ``name``, ``city``…); the resolver's shipped copy by
            default. A missing default is logged and gives no entries, so the rules
            still run in a checkout without the resolver's data.
    """
    path = path or RESOLVE_DATA_DIR / "universities_moe_2025.csv"
    if not path.exists():
        log.warning("在 %s 找不到教育部高校名单:高校只靠规则识别",
                    path)
        return []
    return [GazetteerEntry(r["name"], "UNIVERSITY", "", "moe")
            for r in read_csv(path, ["name"]) if r["name"]]


def moe_cities(path: Path | None = None) -> list[str]:
    """Cities of the MoE list (nearly every prefecture-level city has a college)."""
    path = path or RESOLVE_DATA_DIR / "universities_moe_2025.csv"
    if not path.exists():
        return []
    return sorted({r["city"] for r in read_csv(path, ["city"]) if r.get("city")})


def alias_entries(path: Path | None = None) -> list[GazetteerEntry]:
    """The resolver's curated aliases (山农大 → 山东农业大学) as gazetteer entries.

    ``branch_of`` rows name a campus, which is an entity of its own: its name is
    matched but not mapped to the parent.
    """
    path = path or RESOLVE_DATA_DIR / "aliases.csv"
    if not path.exists():
        return []
    out = []
    for r in read_csv(path, ["alias", "canonical", "label"]):
        label = ONTOLOGY_TO_LABEL.get(r["label"])
        if not label or not r["alias"]:
            continue
        canonical = "" if r.get("rule") == "branch_of" else r["canonical"]
        out.append(GazetteerEntry(r["alias"], label, canonical, "resolver_alias"))
        out.append(GazetteerEntry(r["canonical"], label, "", "resolver_alias"))
    return out


def _region_names(path: Path | None = None) -> list[tuple[str, bool]]:
    """(name, may stand alone as a LOCATION) for regions, own extras and MoE cities."""
    names: list[tuple[str, bool]] = []
    regions = path or RESOLVE_DATA_DIR / "regions.csv"
    if regions.exists():
        for r in read_csv(regions, ["name"]):
            names.append((r["name"], True))
            if r.get("short"):
                names.append((r["short"], True))
    for r in read_csv(DATA_DIR / "places_extra.csv", ["name", "location"]):
        names.append((r["name"], r["location"].lower() == "yes"))
    for city in moe_cities():
        names.append((city, True))
        for ending in ("市", "地区", "盟"):
            if city.endswith(ending) and len(city) - len(ending) >= 2:
                names.append((city[: -len(ending)], True))
    return names


def _suffixes(data: Mapping[str, Any]) -> dict[str, Suffix]:
    out: dict[str, Suffix] = {}
    for item in data.get("suffixes", []):
        if item["label"] not in LABELS or item["core"] not in ("place", "proper", "located"):
            raise ExtractError(f"后缀条目无效(label 或 core 不认识):{item}", file="suffixes.yaml")
        out[item["text"]] = Suffix(item["text"], item["label"], item["core"],
                                   str(item.get("not_before", "")))
    gov = data.get("government", {})
    not_before = str(gov.get("not_before", ""))
    party = set(_words(gov.get("party_cores")))
    for core in _words(gov.get("cores")):
        for ending in _words(gov.get("endings")):
            mode = "ministry" if ending == "部" and core not in party else "prefix"
            out[core + ending] = Suffix(core + ending, "GOVERNMENT", mode, not_before)
    for ending in _words(gov.get("place_only")):
        out[ending] = Suffix(ending, "GOVERNMENT", "place_only", not_before)
    return out


@lru_cache(maxsize=4)
def load_lexicon(data_dir: str = "", *, universities: bool = True,
                 resolver_aliases: bool = True) -> Lexicon:
    """Read and compile every data file (cached: one copy per process and option set).

    Args:
        data_dir: Directory with the extractor's data files; the shipped one by default.
        universities: Add the MoE university list to the gazetteer.
        resolver_aliases: Add the resolver's curated aliases to the gazetteer.

    Raises:
        ExtractError: If a data file is missing or malformed.
    """
    base = Path(data_dir) if data_dir else DATA_DIR
    suffix_data = read_yaml(base / "suffixes.yaml")
    lex = read_yaml(base / "lexicon.yaml")
    suffixes = _suffixes(suffix_data)

    stop = set(read_lines(base / "place_stoplist.txt"))
    region_names = [(n, loc) for n, loc in _region_names() if n and len(n) >= 2]
    places = frozenset(n for n, _ in region_names)
    location_places = frozenset(n for n, loc in region_names if loc and n not in stop)

    levels = frozenset(_words(lex.get("levels")))
    generic = frozenset(_words(lex.get("generic"))) | levels
    gaz = [GazetteerEntry(r["name"], r["label"], r.get("canonical", ""), "gazetteer")
           for r in read_csv(base / "gazetteer.csv", ["name", "label"])]
    bad = [g.name for g in gaz if g.label not in LABELS]
    if bad:
        raise ExtractError(f"这些条目的类别不认识:{'、'.join(bad)}", file="gazetteer.csv")
    if universities:
        gaz += university_entries()
    if resolver_aliases:
        gaz += alias_entries()
    relations = read_yaml(base / "relations.yaml").get("rules", [])
    persons = read_yaml(base / "persons.yaml")
    zone_suffixes = tuple(s.text for s in suffixes.values() if s.label == "ZONE")
    return Lexicon(
        suffixes=suffixes,
        suffix_rx=compile_trie(suffixes),
        places=places,
        location_places=location_places,
        place_rx=compile_trie(places),
        location_rx=compile_trie(location_places),
        level_rx=compile_trie(levels),
        levels=levels,
        generic=generic,
        generic_max=max((len(w) for w in generic), default=1),
        # a person's title ends an organisation name on its left: 北京博爱医院院长吴弦光
        boundary_rx=re.compile(trie_pattern(
            _words(lex.get("boundaries")) + _words(persons.get("titles")))),
        protected_rx=compile_trie(_words(lex.get("protected"))),
        not_name_start=tuple(_words(lex.get("not_name_start"))),
        gazetteer=gaz,
        programs=read_yaml(base / "programs.yaml"),
        persons=persons,
        relations=list(relations),
        targets=read_yaml(base / "targets.yaml"),
        zone_suffixes=zone_suffixes,
    )
