"""Write every registry file of docs/registries.md for one synthetic city."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.generate.mappings import write_mappings
from ingest.generate.messy import Speller, pick_rows, variants
from ingest.generate.projects import simulate
from ingest.generate.vocab import Vocab, load_vocab
from ingest.generate.world import (
    ACTOR_TYPE,
    ENT,
    GOV,
    HOS,
    INS,
    MEMBER_TYPE,
    PLT,
    TEAM,
    UNI,
    World,
    build_world,
)
from ingest.generate.writers import TableWriter, write_json_list, write_xlsx

SEP = "；"
"""List separator inside a cell, as the registries write it."""

PROVENANCE = "数据性质"
"""Column saying whether a row is a public fact or generated (docs/registries.md)."""
PUBLIC, SYNTHETIC = "公开", "合成"
"""Its values: the real entities of taian_real.json, the MoE universities and the plan's
targets are 公开; everything the generator makes up is 合成."""

FILES = ("领域.csv", "机构名录.csv", "高新技术企业名单.csv", "创新平台名录.xlsx", "人才名单.json",
         "共同体成员.csv", "项目名录.csv", "项目参与.csv", "规划目标.csv")
"""The data files one run writes (docs/registries.md); each gets its mapping file beside it."""


@dataclass(frozen=True)
class GenerateConfig:
    """What to generate.

    Attributes:
        actors: Total actors, talents included (at least ~100).
        seed: Seed of every random draw: equal configs give byte-identical files.
        messy: Add the imperfections of real registries (repeated rows, other
            spellings, trailing spaces, empty lines). The file formats and
            encodings are those of docs/registries.md either way.
        first_year: First project year.
        last_year: Last project year; the registries describe the city in that year.
        extra_universities: Universities beyond the real Tai'an ones (None: 3 per
            1,000 actors, from Shandong first).
        shandong_only: Draw the extra universities from Shandong only.
        projects_per_actor: Projects per project-capable actor over the span.
    """

    actors: int = 1000
    seed: int = 0
    messy: bool = True
    first_year: int = 2010
    last_year: int = 2020
    extra_universities: int | None = None
    shandong_only: bool = False
    projects_per_actor: float = 0.35


@dataclass
class GenerateSummary:
    """What a run wrote.

    Attributes:
        out: The output folder.
        rows: Data rows per file (per sheet for the workbook), repeats included.
        actors: Actors per kind.
        seconds: Wall time.
        messy_mentions: Names written as a variant spelling.
        mappings: The mapping files written beside the data files, by name.
    """

    out: Path
    rows: dict[str, int] = field(default_factory=dict)
    actors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    messy_mentions: int = 0
    mappings: list[str] = field(default_factory=list)


def _num(x: float) -> str:
    """Format a number as a registry does: no trailing ".0"."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _distinct(n: int, u: np.ndarray) -> list[int]:
    """Turn uniform numbers into distinct indexes below ``n`` (len(u) <= n)."""
    out: list[int] = []
    for x in u.tolist():
        free = [k for k in range(n) if k not in out]
        out.append(free[int(x * len(free))])
    return out


class _Run:
    def __init__(self, cfg: GenerateConfig, out: Path, vocab: Vocab) -> None:
        self.cfg = cfg
        self.out = out
        self.v = vocab
        seq = np.random.SeedSequence([cfg.seed, 0x5EED])
        self.rng = [np.random.default_rng(s) for s in seq.spawn(10)]
        self.w: World = build_world(vocab, actors=cfg.actors, seed=cfg.seed,
                                    first_year=cfg.first_year, last_year=cfg.last_year,
                                    extra_universities=cfg.extra_universities,
                                    shandong_only=cfg.shandong_only)
        self.speller = Speller(self.rng[0], cfg.messy)
        self.summary = GenerateSummary(out)

    # ---- helpers ---------------------------------------------------------------------
    def _ref(self, i: int, year: int | None = None) -> str:
        """How another registry mentions actor ``i`` (maybe misspelt in messy mode)."""
        return self.speller.one(self.w.display_name(i, year)) if i >= 0 else ""

    def _mess(self, n_rows: int, share: float, minimum: int, k: int) -> set[int]:
        return pick_rows(self.rng[k], n_rows, share, minimum) if self.cfg.messy else set()

    def _nature(self, i: int) -> str:
        """The 数据性质 of actor ``i``'s own row."""
        return PUBLIC if self.w.is_public(i) else SYNTHETIC

    # ---- files -----------------------------------------------------------------------
    def fields(self) -> None:
        # the field list is our own taxonomy, not an official classification: 合成
        with TableWriter(self.out / "领域.csv", ["领域", "上级领域", "关键词", PROVENANCE]) as t:
            for f in self.v.fields:
                t.row([f.name, f.parent, SEP.join(f.keywords), SYNTHETIC])
        self.summary.rows["领域.csv"] = t.rows

    def organisations(self) -> None:
        w = self.w
        rows: list[list[str]] = []
        for k, default_type in ((UNI, "高校"), (INS, "科研院所"), (HOS, "医院"),
                                (GOV, "政府部门")):
            for i in w.indexes(k):
                rows.append([w.name[i], w.org_type.get(i, default_type), w.code.get(i, ""),
                             w.region_name(i) if i not in w.real else "",
                             w.parent.get(i, ""), SEP.join(w.aliases.get(i, [])),
                             self._nature(i)])
        for z in w.zones:  # the zones of taian_real.json
            rows.append([z["name"], z["type"], "", "", z["parent"], SEP.join(z["aliases"]),
                         PUBLIC])
        dup = self._mess(len(rows), 0.002, 1, 1)
        spaced = self._mess(len(rows), 0.003, 2, 2)
        with TableWriter(self.out / "机构名录.csv",
                         ["机构名称", "机构类型", "标识码", "所在区县", "上级单位", "别名",
                          PROVENANCE],
                         bom=True, crlf=True) as t:
            for j, r in enumerate(rows):
                if j in spaced and r[0] not in {z["name"] for z in w.zones}:
                    r = [r[0] + " ", *r[1:]]
                t.row(r, twice=j in dup)
        self.summary.rows["机构名录.csv"] = t.rows

    def enterprises(self) -> None:
        w, v = self.w, self.v
        e = w.ent
        assert e is not None
        rng = self.rng[3]
        idx = list(w.indexes(ENT))
        n = len(idx)
        tpl = v.templates["needs"]
        goals = v.templates["goals"]
        has_need = rng.random(n) < 0.65
        u = rng.random((n, 7))
        dup = self._mess(n, 0.002, 2, 4)
        spaced = self._mess(n, 0.002, 2, 5)
        relisted = sorted(self._mess(n, 0.001, 1, 6))
        blanks = self._mess(n, 0.0, 2, 7)
        header = ["序号", "企业名称", "统一社会信用代码", "所属领域", "所在区县", "成立年份",
                  "注册资本(万元)", "认定年度", "企业标签", "技术需求", "需求关键词", PROVENANCE]
        siblings = {f: [x for x in v.leaves if v.fields[x].parent == v.fields[f].parent
                        and x != f] for f in v.leaves}
        kept: dict[int, list[Any]] = {}
        with TableWriter(self.out / "高新技术企业名单.csv", header, encoding="gbk",
                         crlf=True) as t:
            for j, i in enumerate(idx):
                f = int(w.field[i])
                fd = v.fields[f]
                need, kws = "", ""
                if has_need[j]:
                    kw = fd.keywords
                    picks = [kw[k] for k in _distinct(len(kw), u[j, :3])]
                    if u[j, 3] < 0.2 and siblings[f]:
                        # needs cross sub-fields: a rehab firm may want sensing know-how
                        sib = v.fields[siblings[f][int(u[j, 4] * len(siblings[f]))]]
                        picks[2] = sib.keywords[int(u[j, 5] * len(sib.keywords))]
                    product = fd.products[int(u[j, 6] * len(fd.products))]
                    text = tpl[int(u[j, 4] * len(tpl))]
                    need = text.format(product=product, kw1=picks[0], kw2=picks[1],
                                       kw3=picks[2], goal=goals[int(u[j, 5] * len(goals))])
                    # the listed keywords are those the text uses, two or three of them
                    used = picks if "{kw3}" in text else picks[:2]
                    kws = SEP.join(dict.fromkeys(used))
                tags = [tag for tag, on in (("高新技术企业", e.high_tech[j]),
                                            ("科技型中小企业", e.small_tech[j]),
                                            ("创新50强", e.top50[j])) if on]
                name = w.name[i] + (" " if j in spaced else "")
                row = [j + 1, name, e.credit_code[j], fd.name, w.region_name(i),
                       int(e.founded[j]), _num(float(e.capital[j])),
                       int(e.cert_year[j]) or "", SEP.join(tags), need, kws, self._nature(i)]
                t.row(row, twice=j in dup)
                if j in blanks:
                    t.blank()
                if relisted and j in relisted:
                    kept[j] = row
            # a firm listed again under another spelling (same credit code), by a second
            # department merging its list into this one
            for k, j in enumerate(relisted):
                row = list(kept[j])
                opts = [x for x in variants(w.name[idx[j]]) if x.strip() != w.name[idx[j]]]
                row[0] = n + k + 1
                row[1] = opts[k % len(opts)] if opts else row[1]
                t.row(row)
        self.summary.rows["高新技术企业名单.csv"] = t.rows

    def workbook(self) -> None:
        w = self.w
        plt_rows: list[list[Any]] = []
        for k, i in enumerate(w.indexes(PLT)):
            p = w.platform_info[k]
            host = p["host"]
            host_name = self._ref(host) if isinstance(host, int) else host
            plt_rows.append([w.name[i], p["type"], p["level"], host_name, p["year"],
                             w.field_name(i), SEP.join(p["directions"]), self._nature(i)])
        team_rows: list[list[Any]] = []
        for k, i in enumerate(w.indexes(TEAM)):
            t = w.team_info[k]
            team_rows.append([w.name[i], t["leader"], self._ref(t["host"]), w.field_name(i),
                              SEP.join(t["directions"]), t["size"], t["program"],
                              self._nature(i)])
        for rows in (plt_rows, team_rows):
            if not self.cfg.messy:
                continue
            dup = pick_rows(self.rng[8], len(rows), 0.002, 1)
            spaced = pick_rows(self.rng[8], len(rows), 0.002, 1)
            blank_at = int(self.rng[8].integers(1, max(2, len(rows))))
            out: list[list[Any]] = []
            for j, r in enumerate(rows):
                if j in spaced:
                    r = [r[0] + " ", *r[1:]]
                out.append(r)
                if j in dup:
                    out.append(list(r))
                if j == blank_at:
                    out.append([None] * len(r))  # an empty spreadsheet row
            rows[:] = out
        plt_header = ["平台名称", "平台类型", "级别", "依托单位", "批准年度", "所属领域",
                      "研究方向", PROVENANCE]
        counts = write_xlsx(self.out / "创新平台名录.xlsx", [
            ("平台", plt_header, plt_rows),
            ("研究团队", ["团队名称", "带头人", "依托单位", "所属领域", "研究方向", "团队人数",
                      "入选计划", PROVENANCE], team_rows)])
        self.summary.rows["创新平台名录.xlsx#平台"] = counts["平台"]
        self.summary.rows["创新平台名录.xlsx#研究团队"] = counts["研究团队"]

    def talents(self) -> None:
        w, v = self.w, self.v
        t = w.talents
        assert t is not None
        n = len(t.name)
        units = self.speller.many([w.name[int(u)] for u in t.unit])
        teams = self.speller.many([w.name[int(x)] if x >= 0 else "" for x in t.team])
        dup = self._mess(n, 0.001, 1, 9)

        def items() -> Any:
            for i in range(n):
                item = {"姓名": t.name[i], "职称": t.title[i], "工作单位": units[i],
                        "所属团队": teams[i], "研究领域": v.fields[int(t.field[i])].name,
                        "入选人才工程": t.program[i],
                        "入选年度": int(t.program_year[i]) or None,
                        "联系电话": t.phone[i], "电子邮箱": t.email[i],
                        PROVENANCE: SYNTHETIC}  # every person is invented
                yield item
                if i in dup:
                    yield dict(item)

        self.summary.rows["人才名单.json"] = write_json_list(self.out / "人才名单.json", items())

    def _alliance(self, i: int) -> str:
        """The interest alliance (利益共同体联盟, work plan 二.5) a member belongs to: teams
        to the R&D teams', high-tech and 创新50强 firms to the backbone firms', firms of the
        last three years to the incubated firms', other firms to the industrial base's."""
        w, k = self.w, int(self.w.kind[i])
        if k == TEAM:
            return "研发团队"
        if k != ENT or w.ent is None:
            return ""
        j = i - w.block[ENT][0]
        if w.ent.high_tech[j] or w.ent.top50[j]:
            return "骨干企业"
        if int(w.ent.founded[j]) >= self.cfg.last_year - 3:
            return "孵化企业"
        return "产业化基地入驻企业"

    def members(self) -> None:
        w = self.w
        community = w.name[w.community]
        dup = self._mess(len(w.members), 0.01, 1, 1)
        # the plan lists no members: every membership is made up, real members included
        with TableWriter(self.out / "共同体成员.csv",
                         ["共同体", "成员单位", "成员类型", "所属联盟", "加入年份",
                          PROVENANCE]) as t:
            for j, (i, year) in enumerate(w.members):
                alliance = self._alliance(i)
                t.row([community, self._ref(i), MEMBER_TYPE[int(w.kind[i])],
                       f"{community}{alliance}联盟" if alliance else "", year, SYNTHETIC],
                      twice=j in dup)
        self.summary.rows["共同体成员.csv"] = t.rows

    def projects(self) -> None:
        w, v = self.w, self.v
        rng = self.rng[4]
        sim_rng = self.rng[5]
        progs = v.templates["programs"]
        titles = v.templates["projects"]
        roots = np.array([v.root_of(f) for f in range(len(v.fields))])
        vocab_of: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        for f_i, fd in enumerate(v.fields):
            if fd.parent:
                vocab_of.append((fd.keywords, fd.products))
            else:
                kids = [v.fields[x] for x in v.leaves if v.fields[x].parent == fd.name]
                vocab_of.append((tuple(k for c in kids for k in c.keywords),
                                 tuple(p for c in kids for p in c.products)))
            assert len(vocab_of) == f_i + 1
        seq: dict[tuple[str, int], int] = {}
        pt = TableWriter(self.out / "项目名录.csv",
                         ["项目编号", "项目名称", "承担单位", "立项年度", "所属领域", "计划类别",
                          "经费(万元)", PROVENANCE])
        at = TableWriter(self.out / "项目参与.csv",
                         ["project_id", "actor_id", "actor_type", "year", "field"])
        atype = [ACTOR_TYPE[k] for k in range(7)]
        uid, kind = w.uid, w.kind
        try:
            for batch in simulate(w, sim_rng, per_actor=self.cfg.projects_per_actor):
                y = batch.year
                ok = [p for p in progs if p["from"] <= y <= p["to"]]
                pw = np.array([p["weight"] for p in ok], dtype=float)
                n_p = len(batch.lead)
                choice = rng.choice(len(ok), size=n_p, p=pw / pw.sum())
                u = rng.random((n_p, 5))
                blank_at = (int(rng.integers(0, n_p)) if self.cfg.messy and y == w.last_year
                            else -1)
                part_rows: list[tuple[str, str, str, int, str]] = []
                dup_rows = (pick_rows(rng, int(batch.ptr[-1]), 0.001, 1) if self.cfg.messy
                            else set())
                for j in range(n_p):
                    lead = int(batch.lead[j])
                    f = int(w.field[lead])
                    prog = ok[int(choice[j])]
                    allowed = prog.get("roots")
                    if allowed and v.fields[int(roots[f])].name not in allowed:
                        prog = ok[0]  # the municipal programme takes everything else
                    key = (prog["prefix"], y)
                    seq[key] = seq.get(key, 0) + 1
                    pid = f"{prog['prefix']}{y}{seq[key]:05d}"
                    kws, prods = vocab_of[f]
                    k1, k2 = _distinct(len(kws), u[j, 1:3])
                    title = titles[int(u[j, 0] * len(titles))].format(
                        kw1=kws[k1], kw2=kws[k2], product=prods[int(u[j, 3] * len(prods))])
                    lo, hi = prog["budget"]
                    budget = float(np.exp(np.log(lo) + u[j, 4] * (np.log(hi) - np.log(lo))))
                    fname = v.fields[f].name
                    pt.row([pid, title, self._ref(lead, y), y, fname, prog["name"],
                            _num(round(budget, 1)), SYNTHETIC])
                    if j == blank_at:
                        pt.blank()
                    for r in range(int(batch.ptr[j]), int(batch.ptr[j + 1])):
                        a = int(batch.members[r])
                        row = (pid, uid[a], atype[int(kind[a])], y, fname)
                        part_rows.append(row)
                        if r in dup_rows:
                            part_rows.append(row)
                at.many(part_rows)
        finally:
            pt.close()
            at.close()
        self.summary.rows["项目名录.csv"] = pt.rows
        self.summary.rows["项目参与.csv"] = at.rows

    def targets(self) -> None:
        real = self.v.real
        # transcribed from the plan: public facts
        with TableWriter(self.out / "规划目标.csv",
                         ["指标", "目标值", "单位", "比较", "年度", "范围", "来源", PROVENANCE]
                         ) as t:
            for x in real["targets"]:
                t.row([x["指标"], _num(float(x["目标值"])), x["单位"], x["比较"], 2020,
                       x["范围"], real["source"], PUBLIC])
        self.summary.rows["规划目标.csv"] = t.rows


def generate(out: Path, config: GenerateConfig | None = None) -> GenerateSummary:
    """Write all registry files of one synthetic city into ``out``.

    Args:
        out: Output folder (created if missing; existing files are overwritten).
        config: What to generate (defaults: 1,000 actors, seed 0, messy).

    Returns:
        Rows per file, actors per kind, the mapping files and the wall time. Every
        data file has its mapping file beside it (:mod:`ingest.generate.mappings`),
        so ``innograph ingest out`` loads the folder as it is.
    """
    cfg = config or GenerateConfig()
    if cfg.first_year > cfg.last_year:
        raise ValueError("first_year is after last_year")
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    run = _Run(cfg, out, load_vocab())
    run.fields()
    run.organisations()
    run.enterprises()
    run.workbook()
    run.talents()
    run.members()
    run.projects()
    run.targets()
    run.summary.mappings = [p.name for p in write_mappings(out, FILES)]
    w = run.w
    s = run.summary
    for k, label in ((UNI, "university"), (INS, "institute"), (HOS, "hospital"),
                     (GOV, "government"), (PLT, "platform"), (TEAM, "team"),
                     (ENT, "enterprise")):
        s.actors[label] = len(w.indexes(k))
    s.actors["talent"] = len(w.talents.name) if w.talents else 0
    s.messy_mentions = run.speller.count
    s.seconds = time.perf_counter() - t0
    return s
