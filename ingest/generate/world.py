"""The synthetic actors: who exists, in which field and district, how active, and their names.

Actors that can take part in projects live in one index space, in blocks by kind
(universities, institutes, hospitals, government, enterprises, platforms, teams:
the order in which they are made, since platforms and teams need hosts); their
attributes are numpy arrays and their names one list.
Talents are kept apart because projects do not list persons.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import numpy as np

from ingest.generate import credit
from ingest.generate.sampling import GroupSampler
from ingest.generate.vocab import Vocab
from schemas.names import normalize_name

UNI, INS, HOS, GOV, PLT, TEAM, ENT = range(7)
KINDS = ("university", "institute", "hospital", "government", "platform", "team", "enterprise")
ACTOR_TYPE = ("university", "institute", "hospital", "government", "platform", "other",
              "enterprise")
"""``actor_type`` of 项目参与.csv per kind (a team is ``other``)."""
MEMBER_TYPE = ("高校", "科研院所", "医院", "政府部门", "平台", "团队", "企业")
"""``成员类型`` of 共同体成员.csv per kind."""
UID_PREFIX = ("uni:", "ins:", "hos:", "gov:", "plt:", "team:", "ent:")

# kind shares of the synthetic actors (the rest after real entities and universities)
_SHARES = {ENT: 0.60, TEAM: 0.11, PLT: 0.06, INS: 0.04, HOS: 0.03}
_TALENT_SHARE = 0.16
_MINIMUM = {ENT: 20, TEAM: 3, PLT: 3, INS: 4, HOS: 2}
# relative activity of a kind in projects, on top of each actor's own fitness
_KIND_FITNESS = {UNI: 6.0, INS: 2.0, HOS: 1.5, PLT: 1.2, TEAM: 1.0, ENT: 1.0, GOV: 0.0}
_BRANCHES = (("生物技术研究所", "生物医药"), ("康复医疗装备研究所", "康复医疗装备"),
             ("新材料研究所", "复合材料"))
"""专业研究所 of the industry research institute, in the plan's three directions."""


@dataclass
class Enterprises:
    """Per-enterprise attributes, aligned with the enterprise block of :class:`World`."""

    core: list[str]          # place + 字号, used to name the platforms they host
    credit_code: list[str]
    founded: np.ndarray
    capital: np.ndarray
    high_tech: np.ndarray    # bool
    small_tech: np.ndarray   # bool
    top50: np.ndarray        # bool
    cert_year: np.ndarray    # 0 = not certified


@dataclass
class Talents:
    """Synthetic persons."""

    name: list[str]
    unit: np.ndarray         # actor index of the work unit
    team: np.ndarray         # team actor index, -1 = none
    field: np.ndarray        # field index
    title: list[str]
    program: list[str]
    program_year: np.ndarray  # 0 = none
    phone: list[str]
    email: list[str]


@dataclass
class World:
    """Every actor of one generated city."""

    vocab: Vocab
    first_year: int
    last_year: int
    kind: np.ndarray
    field: np.ndarray
    region: np.ndarray
    fitness: np.ndarray
    active_from: np.ndarray
    name: list[str]
    uid: list[str] = dc_field(default_factory=list)
    aliases: dict[int, list[str]] = dc_field(default_factory=dict)
    former: dict[int, tuple[str, int]] = dc_field(default_factory=dict)
    real: set[int] = dc_field(default_factory=set)
    block: dict[int, tuple[int, int]] = dc_field(default_factory=dict)
    code: dict[int, str] = dc_field(default_factory=dict)
    parent: dict[int, str] = dc_field(default_factory=dict)
    org_type: dict[int, str] = dc_field(default_factory=dict)
    ent: Enterprises | None = None
    talents: Talents | None = None
    platform_info: list[dict[str, Any]] = dc_field(default_factory=list)
    team_info: list[dict[str, Any]] = dc_field(default_factory=list)
    community: int = -1
    members: list[tuple[int, int]] = dc_field(default_factory=list)
    zones: list[dict[str, Any]] = dc_field(default_factory=list)

    @property
    def n(self) -> int:
        """Number of actors in the index space (talents excluded)."""
        return len(self.name)

    @property
    def outside_region(self) -> int:
        """Region value of actors outside the city (universities elsewhere)."""
        return len(self.vocab.regions) + 1

    def indexes(self, kind: int) -> range:
        """The index range of a kind's block."""
        a, b = self.block[kind]
        return range(a, b)

    def is_public(self, i: int) -> bool:
        """Whether actor ``i`` is a real public entity: one of ``real`` (the hand-written
        ones) or a university, since every university comes from the MoE list with its
        official name and 学校标识码."""
        return i in self.real or int(self.kind[i]) == UNI

    def region_name(self, i: int) -> str:
        """District of an actor, "" when unknown or outside the city."""
        r = int(self.region[i])
        return self.vocab.regions[r] if 0 <= r < len(self.vocab.regions) else ""

    def field_name(self, i: int) -> str:
        """Field of an actor, "" when it has none."""
        f = int(self.field[i])
        return self.vocab.fields[f].name if f >= 0 else ""

    def display_name(self, i: int, year: int | None = None) -> str:
        """The name an actor went by in ``year`` (a former name before a merger)."""
        if year is not None and i in self.former:
            old, until = self.former[i]
            if year <= until:
                return old
        return self.name[i]


@dataclass
class Counts:
    """How many actors of each kind one run makes."""

    universities: int
    by_kind: dict[int, int]
    talents: int


def plan_counts(vocab: Vocab, actors: int, *, extra_universities: int | None) -> Counts:
    """Split ``actors`` over the kinds.

    Args:
        vocab: The data files.
        actors: Total actors, talents included.
        extra_universities: Universities beyond the real Tai'an ones; None scales
            with ``actors`` (3 per 1,000), capped by the MoE list.

    Raises:
        ValueError: when ``actors`` is too small to hold the real entities and a few of each kind.
    """
    real = vocab.real
    n_real_uni = len(real["universities"])
    fixed = (n_real_uni + len(real["platforms"])
             + sum(1 for o in real["organisations"] if o["kind"] != "zone"))
    if extra_universities is None:
        extra_universities = max(0, round(actors * 0.003) - n_real_uni)
    extra_universities = min(extra_universities, len(vocab.universities) - n_real_uni)
    rest = actors - fixed - extra_universities
    if rest < 60:
        raise ValueError(f"--actors {actors} is too small: use at least "
                         f"{actors - rest + 60}")
    by_kind = {k: max(_MINIMUM[k], int(rest * s)) for k, s in _SHARES.items()}
    talents = max(by_kind[TEAM], int(rest * _TALENT_SHARE))
    by_kind[ENT] += rest - sum(by_kind.values()) - talents
    return Counts(n_real_uni + extra_universities, by_kind, talents)


def person_names(rng: np.random.Generator, vocab: Vocab, n: int) -> list[str]:
    """Draw ``n`` person names: a weighted surname and one or two given-name characters."""
    s = rng.choice(len(vocab.surnames), size=n, p=vocab.surname_p)
    two = rng.random(n) < 0.72
    chars = vocab.given_chars
    g1 = rng.integers(0, len(chars), size=n)
    g2 = rng.integers(0, len(chars), size=n)
    sur = vocab.surnames
    return [sur[a] + chars[b] + (chars[c] if t else "")
            for a, b, c, t in zip(s.tolist(), g1.tolist(), g2.tolist(), two.tolist(),
                                  strict=True)]


def _pareto(rng: np.random.Generator, n: int) -> np.ndarray:
    # a capped Pareto(α=2) activity: most actors are small, a few are hubs;
    # the cap keeps one lucky enterprise from swallowing a big run's projects
    return np.minimum(rng.pareto(2.0, size=n) + 1.0, 60.0)


def _leaf_draw(rng: np.random.Generator, vocab: Vocab, n: int,
               only_roots: tuple[str, ...] = ()) -> np.ndarray:
    leaves = list(vocab.leaves)
    if only_roots:
        leaves = [i for i in leaves if vocab.fields[i].parent in only_roots]
    w = np.array([vocab.fields[i].weight for i in leaves])
    return np.array(leaves, dtype=np.int64)[rng.choice(len(leaves), size=n, p=w / w.sum())]


def _unique_trade_pairs(rng: np.random.Generator, n: int, n_chars: int,
                        extra: np.ndarray, n_extra: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw 字号 character pairs so that (pair, extra) is unique per row.

    ``extra`` is what else tells two names apart (the 行业词 or the hospital word);
    colliding rows are redrawn until none is left.
    """
    if n > n_chars * (n_chars - 1) * n_extra // 2:
        # past half the name space, redrawing collisions stops converging quickly
        raise ValueError(f"{n} names do not fit in {n_chars} 字号 characters; add more")
    a = np.zeros(n, dtype=np.int64)
    b = np.zeros(n, dtype=np.int64)
    todo = np.arange(n)
    while todo.size:
        a[todo] = rng.integers(0, n_chars, size=todo.size)
        # the second character differs from the first: "华华" is not a trade name
        b[todo] = (a[todo] + 1 + rng.integers(0, n_chars - 1, size=todo.size)) % n_chars
        key = (a * n_chars + b) * n_extra + extra
        _, first = np.unique(key, return_index=True)
        keep = np.zeros(n, dtype=bool)
        keep[first] = True
        todo = np.flatnonzero(~keep)
    return a, b


class _Builder:
    """Fills a :class:`World` step by step; each step draws from its own child generator."""

    def __init__(self, vocab: Vocab, counts: Counts, seed: int, first_year: int,
                 last_year: int, shandong_only: bool) -> None:
        self.v = vocab
        self.c = counts
        self.rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(12)]
        self.y0, self.y1 = first_year, last_year
        self.shandong_only = shandong_only
        self.kind: list[np.ndarray] = []
        self.field: list[np.ndarray] = []
        self.region: list[np.ndarray] = []
        self.fitness: list[np.ndarray] = []
        self.active: list[np.ndarray] = []
        self.names: list[str] = []
        self.w = World(vocab, first_year, last_year, np.zeros(0), np.zeros(0), np.zeros(0),
                       np.zeros(0), np.zeros(0), [])
        self.unknown_region = len(vocab.regions)   # in Tai'an, district not stated
        self.outside_region = self.w.outside_region

    def _add(self, kind: int, fields: np.ndarray, regions: np.ndarray, fitness: np.ndarray,
             active: np.ndarray, names: list[str]) -> int:
        start = len(self.names)
        n = len(names)
        self.kind.append(np.full(n, kind, dtype=np.int8))
        self.field.append(np.asarray(fields, dtype=np.int64))
        self.region.append(np.asarray(regions, dtype=np.int64))
        self.fitness.append(np.asarray(fitness, dtype=np.float64))
        self.active.append(np.asarray(active, dtype=np.int64))
        self.names.extend(names)
        return start

    def _block(self, kind: int, start: int) -> None:
        self.w.block[kind] = (start, len(self.names))

    def _field(self, name: str) -> int:
        return self.v.field_index(name) if name else -1

    # ---- kinds -------------------------------------------------------------------------
    def universities(self) -> None:
        rng = self.rngs[0]
        real = self.v.real["universities"]
        real_codes = {u["code"] for u in real}
        by_code = {u.code: u for u in self.v.universities}
        extra = self.c.universities - len(real)
        others = [u for u in self.v.universities if u.code not in real_codes]
        shandong = [u for u in others if u.province == "山东省"]
        rest = [u for u in others if u.province != "山东省"]
        # Shandong partners first (shuffled by the seed), then the rest of the country
        pool = ([shandong[i] for i in rng.permutation(len(shandong))]
                + ([] if self.shandong_only else [rest[i] for i in rng.permutation(len(rest))]))
        chosen = pool[:extra]
        start = len(self.names)
        names = [by_code[u["code"]].name for u in real] + [u.name for u in chosen]
        n_extra = len(chosen)
        fields = np.concatenate([[self._field(u["field"]) for u in real],
                                 _leaf_draw(rng, self.v, n_extra)]).astype(np.int64)
        fitness = np.concatenate([[float(u["weight"]) for u in real],
                                  _pareto(rng, n_extra) * _KIND_FITNESS[UNI]])
        regions = np.array([self.unknown_region] * len(real)
                           + [self.unknown_region if u.city == "泰安市" else self.outside_region
                              for u in chosen])
        self._add(UNI, fields, regions, fitness, np.zeros(len(names)), names)
        for k, u in enumerate(real):
            self.w.real.add(start + k)
            self.w.aliases[start + k] = list(u["aliases"])
            if "former" in u:
                self.w.former[start + k] = (u["former"]["name"], int(u["former"]["until"]))
        for k, code in enumerate([u["code"] for u in real] + [u.code for u in chosen]):
            self.w.code[start + k] = code
        self._block(UNI, start)

    def _trade_names(self, rng: np.random.Generator, n: int, words: list[str],
                     word_idx: np.ndarray) -> tuple[list[str], list[str]]:
        """Names "<地名><字号><word>" unique per (字号, word); returns (names, cores)."""
        v = self.v
        a, b = _unique_trade_pairs(rng, n, len(v.trade_chars), word_idx, len(words))
        place = rng.choice(len(v.places), size=n, p=v.place_p)
        tc = v.trade_chars
        cores = [v.places[p] + tc[x] + tc[y]
                 for p, x, y in zip(place.tolist(), a.tolist(), b.tolist(), strict=True)]
        return [c + words[k] for c, k in zip(cores, word_idx.tolist(), strict=True)], cores

    def _region_of_places(self, rng: np.random.Generator, cores: list[str]) -> np.ndarray:
        """District of each name: the one its place name implies, else a weighted draw."""
        v = self.v
        drawn = rng.choice(len(v.regions), size=len(cores), p=v.region_p)
        implied = {p: v.regions.index(r) for p, r in zip(v.places, v.place_region, strict=True)
                   if r}
        out = drawn.copy()
        for i, c in enumerate(cores):
            for p, r in implied.items():
                if c.startswith(p):
                    out[i] = r
                    break
        return out

    def institutes(self) -> None:
        rng = self.rngs[1]
        v = self.v
        start = len(self.names)
        real = [o for o in v.real["organisations"] if o["kind"] == "institute"]
        n_syn = self.c.by_kind[INS] - len(_BRANCHES)
        names: list[str] = [o["name"] for o in real]
        fields = [self._field(o["field"]) for o in real]
        fitness = [float(o["weight"]) for o in real]
        active = [int(o.get("active_from", 0)) for o in real]
        regions = [self.unknown_region] * len(real)
        head = real[0]["name"]
        for suffix, f in _BRANCHES:
            names.append(head + suffix)
            fields.append(self._field(f))
            fitness.append(3.0)
            active.append(max(self.y1 - 1, self.y0))
            regions.append(self.unknown_region)
        leaf = _leaf_draw(rng, v, n_syn)
        words, wp = v.institute_words
        word = rng.choice(len(words), size=n_syn, p=wp)
        # one name word per (field, institute word): "复合材料技术研究院"
        combo = [v.fields[f].name + words[k] for f, k in zip(leaf.tolist(), word.tolist(),
                                                              strict=True)]
        uniq = sorted(set(combo))
        code = np.array([uniq.index(c) for c in combo], dtype=np.int64) if n_syn else leaf
        syn, cores = self._trade_names(rng, n_syn, uniq, code)
        names += syn
        fields += leaf.tolist()
        fitness += (_pareto(rng, n_syn) * _KIND_FITNESS[INS]).tolist()
        active += rng.integers(1980, self.y1 + 1, size=n_syn).tolist()
        regions += self._region_of_places(rng, cores).tolist()
        self._add(INS, np.array(fields), np.array(regions), np.array(fitness), np.array(active),
                  names)
        for k, o in enumerate(real):
            self.w.real.add(start + k)
            self.w.aliases[start + k] = list(o["aliases"])
            self.w.org_type[start + k] = o["type"]
        for k in range(len(_BRANCHES)):
            self.w.org_type[start + len(real) + k] = "专业研究所"
            self.w.parent[start + len(real) + k] = head
        medical = v.field_index("医养健康")
        in_valley = rng.random(n_syn) < 0.3
        for k in range(n_syn):
            i = start + len(real) + len(_BRANCHES) + k
            self.w.org_type[i] = "科研院所"
            # some health-care institutes sit in the innovation valley (LOCATED_IN the zone)
            if in_valley[k] and v.root_of(int(leaf[k])) == medical:
                self.w.parent[i] = "泰山创新谷"
        syn_idx = list(range(start + len(real) + len(_BRANCHES), len(self.names)))
        self._codes(rng, syn_idx, "12")
        self._block(INS, start)

    def _codes(self, rng: np.random.Generator, idx: list[int], category: str) -> None:
        v = self.v
        prefixes = []
        for i in idx:
            r = self._region_at(i)
            prefixes.append(category + (v.region_codes[r] if 0 <= r < len(v.regions)
                                        else "370900"))
        for i, c in zip(idx, credit.synthesize(rng, prefixes), strict=True):
            self.w.code[i] = c

    def _region_at(self, i: int) -> int:
        start = 0
        for arr in self.region:
            if i < start + len(arr):
                return int(arr[i - start])
            start += len(arr)
        raise IndexError(i)

    def hospitals(self) -> None:
        rng = self.rngs[2]
        v = self.v
        n = self.c.by_kind[HOS]
        start = len(self.names)
        words, wp = v.hospital_words
        word = rng.choice(len(words), size=n, p=wp)
        names, cores = self._trade_names(rng, n, words, word)
        leaf = _leaf_draw(rng, v, n, ("医养健康",))
        self._add(HOS, leaf, self._region_of_places(rng, cores),
                  _pareto(rng, n) * _KIND_FITNESS[HOS], np.zeros(n), names)
        self._codes(rng, list(range(start, start + n)), "52")
        self._block(HOS, start)

    def government(self) -> None:
        start = len(self.names)
        gov = [o for o in self.v.real["organisations"] if o["kind"] == "government"]
        n = len(gov)
        self._add(GOV, np.full(n, -1), np.full(n, self.unknown_region), np.zeros(n),
                  np.zeros(n), [o["name"] for o in gov])
        for k, o in enumerate(gov):
            self.w.real.add(start + k)
            self.w.aliases[start + k] = list(o["aliases"])
            self.w.parent[start + k] = o["parent"]
            self.w.org_type[start + k] = o["type"]
        self.w.zones = [o for o in self.v.real["organisations"] if o["kind"] == "zone"]
        self._block(GOV, start)

    def enterprises(self) -> None:
        rng = self.rngs[3]
        v = self.v
        n = self.c.by_kind[ENT]
        start = len(self.names)
        leaf = _leaf_draw(rng, v, n)
        # 行业词 by identity: two leaves share words (医疗器械, 药业), and a name must be
        # unique by its 字号 and 行业词, whatever leaf drew it
        words: list[str] = list(dict.fromkeys(w for i in v.leaves
                                              for w in v.fields[i].industry_words))
        width = max(len(v.fields[i].industry_words) for i in v.leaves)
        table = np.zeros((len(v.fields), width), dtype=np.int64)
        count = np.ones(len(v.fields), dtype=np.int64)
        for i in v.leaves:
            ids = [words.index(x) for x in v.fields[i].industry_words]
            table[i, :len(ids)] = ids
            count[i] = len(ids)
        iw = table[leaf, (rng.random(n) * count[leaf]).astype(np.int64)]
        a, b = _unique_trade_pairs(rng, n, len(v.trade_chars), iw, len(words))
        place = rng.choice(len(v.places), size=n, p=v.place_p)
        suffix = rng.choice(len(v.suffixes), size=n, p=v.suffix_p)
        bracket = rng.random(n) < 0.05
        tc, pl, sf = v.trade_chars, v.places, v.suffixes
        names, cores = [], []
        for p, x, y, w, s, br in zip(place.tolist(), a.tolist(), b.tolist(), iw.tolist(),
                                     suffix.tolist(), bracket.tolist(), strict=True):
            word, suf = words[w], sf[s]
            if word.endswith("科技") and suf.startswith("科技"):
                suf = suf[2:]
            zh = tc[x] + tc[y]
            # some firms put the place after the trade name, in brackets: 华康（泰安）…
            names.append(f"{zh}（{pl[p]}）{word}{suf}" if br and len(pl[p]) == 2
                         else f"{pl[p]}{zh}{word}{suf}")
            cores.append(pl[p] + zh)
        regions = self._region_of_places(rng, cores)
        founded = np.clip(self.y1 - np.floor(rng.exponential(9.0, size=n)).astype(np.int64),
                          1985, self.y1)
        fitness = _pareto(rng, n) * _KIND_FITNESS[ENT]
        self._add(ENT, leaf, regions, fitness, founded + 1, names)
        prefixes = ["91" + v.region_codes[int(r)] for r in regions]
        codes = credit.synthesize(rng, prefixes, new_style=founded >= 2016)
        capital = np.round(np.exp(rng.normal(np.log(800.0), 1.1, size=n)), -1)
        capital = np.maximum(capital, 10.0)
        high_tech = rng.random(n) < 0.72
        small_tech = (rng.random(n) < 0.5) | ~high_tech
        top = np.zeros(n, dtype=bool)
        n_top = min(50, n // 8)
        top[np.argsort(-fitness, kind="stable")[:n_top]] = True
        high_tech |= top
        lo = np.maximum(founded + 1, 2008)
        cert = np.where(high_tech & (lo <= self.y1),
                        lo + (rng.random(n) * (self.y1 - lo + 1)).astype(np.int64), 0)
        high_tech &= cert > 0
        small_tech |= ~high_tech
        self.w.ent = Enterprises(cores, codes, founded, capital, high_tech, small_tech, top, cert)
        for i, c in zip(range(start, start + n), codes, strict=True):
            self.w.code[i] = c
        self._block(ENT, start)

    def finish_arrays(self) -> None:
        w = self.w
        w.kind = np.concatenate(self.kind)
        w.field = np.concatenate(self.field)
        w.region = np.concatenate(self.region)
        w.fitness = np.concatenate(self.fitness)
        w.active_from = np.concatenate(self.active)
        w.name = self.names

    def _picker(self, kinds: tuple[int, ...]) -> tuple[np.ndarray, GroupSampler]:
        w = self.w
        idx = np.flatnonzero(np.isin(w.kind, kinds))
        s = GroupSampler(w.field[idx])
        # hosts and employers are in the city: outside universities only join projects
        s.reweight(np.where(w.region[idx] == w.outside_region, 0.0,
                            np.maximum(w.fitness[idx], 0.05)))
        return idx, s

    def _pick(self, idx: np.ndarray, s: GroupSampler, fields: np.ndarray,
              u: np.ndarray, u2: np.ndarray) -> np.ndarray:
        """An actor of the picker's kinds in each field, or of any field where none."""
        got = s.sample(fields, u)
        miss = got < 0
        got[miss] = s.sample_all(u2[miss])
        return np.where(got >= 0, idx[np.maximum(got, 0)], -1)

    def platforms(self) -> None:
        """Real platforms, then synthetic ones with a host organisation and a direction."""
        rng = self.rngs[4]
        v, w = self.v, self.w
        real = v.real["platforms"]
        n_syn = self.c.by_kind[PLT]
        types = v.templates["platform_types"]
        tw = np.array([t["weight"] for t in types], dtype=float)
        t_idx = rng.choice(len(types), size=n_syn, p=tw / tw.sum())
        leaf = _leaf_draw(rng, v, n_syn)
        level = rng.choice(3, size=n_syn, p=[0.6, 0.35, 0.05])
        levels = ("市", "省", "国家")
        # the first synthetic platforms are one of each of the plan's 15 kinds (三.7), so
        # that every generated city has them; the rest follow the weights
        kinds = [types[int(i)] for i in t_idx]
        for j, pk in enumerate(v.templates.get("plan_platform_kinds", [])[:n_syn]):
            kinds[j] = pk
            level[j] = levels.index(pk["level"])
        host_choice = rng.random(n_syn)
        u = rng.random((n_syn, 4))
        kw = rng.random((n_syn, 8))
        years = np.clip(self.y1 - np.floor(rng.exponential(5.0, size=n_syn)).astype(np.int64),
                        self.y0 - 8, self.y1)
        kind_code = {"enterprise": ENT, "university": UNI, "institute": INS, "hospital": HOS}
        pickers = {k: self._picker((k,)) for k in kind_code.values()}
        hosts = np.full(n_syn, -1, dtype=np.int64)
        for k_name, k in kind_code.items():
            # the host kind is the first allowed one 60% of the time, else another allowed one
            want = np.array([
                (t["hosts"][0] if hc < 0.6 or len(t["hosts"]) == 1
                 else t["hosts"][1 + int((hc - 0.6) / 0.4 * (len(t["hosts"]) - 1))]) == k_name
                for t, hc in zip(kinds, host_choice, strict=True)],
                dtype=bool) if n_syn else np.zeros(0, dtype=bool)
            if want.any():
                idx, s = pickers[k]
                hosts[want] = self._pick(idx, s, leaf[want], u[want, 0], u[want, 1])
        taken = {normalize_name(p["name"]) for p in real}
        start = len(self.names)
        names, fields, info = [], [], []
        for p in real:
            names.append(p["name"])
            fields.append(self._field(p["field"]))
            info.append({"type": p["type"], "level": p["level"], "host": p["host"],
                         "year": p["year"], "directions": list(p["directions"])})
        prefix = ("泰安市", "山东省", "")
        for j in range(n_syn):
            t = kinds[j]["type"]
            h = int(hosts[j])
            f = int(leaf[j]) if h < 0 or rng.random() < 0.3 else int(w.field[h])
            if f < v.n_roots:
                f = int(leaf[j])
            fkw = v.fields[f].keywords
            dirs = [fkw[int(x * len(fkw))] for x in kw[j, :3]]
            dirs = list(dict.fromkeys(dirs))
            core = self._host_core(h)
            lv = int(level[j])
            cands = []
            if t == "企业技术中心" and h >= 0 and w.kind[h] == ENT:
                cands.append(w.name[h] + "技术中心")
            if prefix[lv]:
                cands += [f"{prefix[lv]}{d}{t}" for d in dirs]
            cands += [f"{core}{d}{t}" for d in dirs]
            cands.append(f"{core}{v.fields[f].name}{dirs[0]}{t}")
            name = next((c for c in cands if normalize_name(c) not in taken), "")
            if not name:
                # still taken: number it, as registries do for a second centre of one host
                k = 2
                while normalize_name(name := f"{core}{dirs[0]}{t}({k})") in taken:
                    k += 1
            taken.add(normalize_name(name))
            names.append(name)
            fields.append(f)
            info.append({"type": t, "level": levels[lv], "host": h, "year": int(years[j]),
                         "directions": dirs})
        fitness = np.concatenate([[float(p["weight"]) for p in real],
                                  _pareto(rng, n_syn) * _KIND_FITNESS[PLT]])
        active = np.concatenate([[int(p.get("active_from", 0)) for p in real], years])
        host_region = [int(w.region[int(x["host"])]) if isinstance(x["host"], int)
                       and x["host"] >= 0 else self.unknown_region for x in info]
        self._add(PLT, np.array(fields), np.array(host_region), fitness, active, names)
        for k in range(len(real)):
            w.real.add(start + k)
        w.platform_info = info
        self._block(PLT, start)
        self.finish_arrays()

    def _host_core(self, h: int) -> str:
        w = self.w
        if h < 0:
            return "泰安市"
        if w.kind[h] == ENT:
            assert w.ent is not None
            return w.ent.core[h - w.block[ENT][0]]
        return w.name[h]

    def teams(self) -> None:
        """Teams with a leader (a talent), a host organisation and research directions."""
        rng = self.rngs[5]
        v, w = self.v, self.w
        n = self.c.by_kind[TEAM]
        host_kind = rng.choice(4, size=n, p=[0.35, 0.15, 0.40, 0.10])
        leaf = _leaf_draw(rng, v, n)
        u = rng.random((n, 2))
        hosts = np.full(n, -1, dtype=np.int64)
        for code, k in enumerate((UNI, INS, ENT, HOS)):
            m = host_kind == code
            if m.any():
                idx, s = self._picker((k,))
                hosts[m] = self._pick(idx, s, leaf[m], u[m, 0], u[m, 1])
        own = rng.random(n) < 0.75
        host_field = np.where(hosts >= 0, w.field[np.maximum(hosts, 0)], -1)
        fields = np.where(own & (host_field >= v.n_roots), host_field, leaf)
        leaders = person_names(rng, v, n)
        sfx, sp = v.team_suffixes
        suffix = rng.choice(len(sfx), size=n, p=sp)
        size = np.clip(np.round(np.exp(rng.normal(np.log(8), 0.6, size=n))), 3, 60)
        progs, pp = v.team_programs
        has_prog = rng.random(n) < 0.45
        prog = rng.choice(len(progs), size=n, p=pp)
        kw = rng.random((n, 6))
        founded = rng.integers(self.y0 - 6, self.y1 + 1, size=n)
        taken: set[str] = set()
        names, info = [], []
        for j in range(n):
            f = int(fields[j])
            fkw = v.fields[f].keywords
            dirs = list(dict.fromkeys(fkw[int(x * len(fkw))] for x in kw[j, :4]))
            n_dirs = 2 + int(kw[j, 4] * 3)
            dirs = dirs[:n_dirs]
            sx = sfx[int(suffix[j])]
            # homonymous leaders are common: try each direction, then add the host
            cands = [f"{leaders[j]}{d}{sx}" for d in dirs + [d for d in fkw if d not in dirs]]
            cands.append(f"{self._host_core(int(hosts[j]))}{leaders[j]}{dirs[0]}{sx}")
            name = next((c for c in cands if c not in taken), "")
            k = 2
            while not name or name in taken:
                name = f"{leaders[j]}{dirs[0]}{sx}{k}"
                k += 1
            taken.add(name)
            names.append(name)
            info.append({"leader": leaders[j], "host": int(hosts[j]), "directions": dirs,
                         "size": int(size[j]),
                         "program": progs[int(prog[j])] if has_prog[j] else "",
                         "founded": int(founded[j])})
        start = len(self.names)
        regions = np.where(hosts >= 0, w.region[np.maximum(hosts, 0)], self.unknown_region)
        self._add(TEAM, fields, regions, _pareto(rng, n) * _KIND_FITNESS[TEAM],
                  founded, names)
        w.team_info = info
        self._block(TEAM, start)

    def assign_uids(self) -> None:
        """Give every actor the uid the graph will know it by."""
        self.finish_arrays()
        w = self.w
        uid: list[str] = []
        for i, nm in enumerate(w.name):
            k = int(w.kind[i])
            ident = w.code[i] if k in (UNI, ENT) else normalize_name(nm)
            uid.append(UID_PREFIX[k] + ident)
        w.uid = uid

    def talents(self) -> None:
        rng = self.rngs[6]
        v, w = self.v, self.w
        n = self.c.talents
        team_idx = np.array(list(w.indexes(TEAM)), dtype=np.int64)
        n_team = len(team_idx)
        names = [t["leader"] for t in w.team_info] + person_names(rng, v, n - n_team)
        team = np.full(n, -1, dtype=np.int64)
        team[:n_team] = team_idx
        rest = n - n_team
        sizes = np.array([t["size"] for t in w.team_info], dtype=float)
        in_team = rng.random(rest) < 0.55
        team[n_team:][in_team] = team_idx[rng.choice(n_team, size=int(in_team.sum()),
                                                     p=sizes / sizes.sum())]
        host = np.array([t["host"] for t in w.team_info], dtype=np.int64)
        unit = np.full(n, -1, dtype=np.int64)
        has_team = team >= 0
        unit[has_team] = host[team[has_team] - team_idx[0]]
        free = ~has_team
        idx, s = self._picker((ENT, UNI, INS, HOS))
        unit[free] = idx[np.maximum(s.sample_all(rng.random(int(free.sum()))), 0)]
        fields = np.where(has_team, w.field[np.maximum(team, 0)], w.field[unit])
        fields = np.where(fields < v.n_roots, _leaf_draw(rng, v, n), fields)
        by_kind = {UNI: "university", INS: "institute", HOS: "hospital", ENT: "enterprise"}
        tables = {k: (names_t, np.cumsum(p)) for k, (names_t, p) in v.titles.items()}
        tu = rng.random(n).tolist()
        titles = []
        for i, k in enumerate(w.kind[unit].tolist()):
            names_t, cum = tables[by_kind.get(k, "other")]
            titles.append(names_t[min(int(np.searchsorted(cum, tu[i], "right")),
                                      len(names_t) - 1)])
        progs, pp = v.talent_programs
        p_prog = np.where(np.arange(n) < n_team, 0.6, 0.18)
        has_prog = rng.random(n) < p_prog
        prog_i = rng.choice(len(progs), size=n, p=pp)
        program = [progs[k] if h else "" for k, h in zip(prog_i.tolist(), has_prog.tolist(),
                                                          strict=True)]
        year = np.where(has_prog, rng.integers(self.y0, self.y1 + 1, size=n), 0)
        numbers = rng.choice(10**8, size=n, replace=False)
        # "100" is no mobile carrier's prefix: the numbers look real but cannot ring anyone
        phone = [f"100{x:08d}" for x in numbers.tolist()]
        dom = rng.integers(0, len(v.email_domains), size=n)
        email = [f"rd{x:08d}@{v.email_domains[d]}" for x, d in zip(numbers.tolist(),
                                                                     dom.tolist(), strict=True)]
        w.talents = Talents(names, unit, team, fields, titles, program, year, phone, email)

    def community(self) -> None:
        rng = self.rngs[7]
        v, w = self.v, self.w
        name = v.real["community"]
        w.community = w.name.index(name)
        by_name = {nm: i for i, nm in enumerate(w.name)}
        join_real = max(self.y0, self.y1 - 1)
        members = [(by_name[m], join_real) for m in v.real["community_real_members"]]
        medical = v.field_index("医养健康")
        roots = np.array([v.root_of(int(f)) if f >= 0 else -1 for f in range(len(v.fields))])
        root = np.where(w.field >= 0, roots[np.maximum(w.field, 0)], -1)
        cand = np.flatnonzero((root == medical) & np.isin(w.kind, (ENT, TEAM, HOS, INS, PLT))
                              & (w.active_from <= self.y1) & (w.fitness > 0))
        cand = np.array([i for i in cand if i not in w.real], dtype=np.int64)
        n_syn = min(len(cand), max(20, min(3000, round(0.01 * len(cand)))))
        if n_syn:
            p = w.fitness[cand] / w.fitness[cand].sum()
            pick = np.sort(rng.choice(cand, size=n_syn, replace=False, p=p))
            years = np.where(rng.random(n_syn) < 0.6, self.y1 - 1, self.y1)
            members += [(int(i), int(y)) for i, y in zip(pick, years, strict=True)]
        w.members = members


def build_world(vocab: Vocab, *, actors: int, seed: int, first_year: int, last_year: int,
                extra_universities: int | None = None, shandong_only: bool = False) -> World:
    """Make every actor of a synthetic city around the real Tai'an backbone.

    Args:
        vocab: The data files.
        actors: Total actors, talents included.
        seed: Seed of every random draw.
        first_year: First project year.
        last_year: Last project year (the "current" year of the registries).
        extra_universities: Universities beyond the real ones (None: scale with size).
        shandong_only: Draw the extra universities from Shandong only.
    """
    counts = plan_counts(vocab, actors, extra_universities=extra_universities)
    b = _Builder(vocab, counts, seed, first_year, last_year, shandong_only)
    b.universities()
    b.institutes()
    b.hospitals()
    b.government()
    b.enterprises()
    b.finish_arrays()
    b.platforms()
    b.teams()
    b.assign_uids()
    b.talents()
    b.community()
    return b.w
