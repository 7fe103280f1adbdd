"""A participation table of a chosen size, for the link-prediction benchmark.

``innograph generate`` draws few participants per project (sizes ∝ k^-2.9), so at
the row and actor counts of a real province network (≈ 91k rows, 27k actors) its
cooperation graph has about half the edges of the real one (≈ 222k against 469k).
This helper writes ``project_id,actor_id,actor_type,year,field`` rows whose project
sizes have a heavier tail, so that all three counts can be matched; the defaults
give 91.0k rows, 27.2k distinct actors and 465k edges (projects of 2–50 members).

The model, year by year (projects grow 8 % a year; actors enter over time):

* project sizes: ``P(k) ∝ k^-size_exponent`` for 1 ≤ k ≤ ``max_size`` (single-actor
  projects exist, as in the registries; projects above 50 are not cooperation);
* the lead is drawn ∝ fitness + past participations / 2 (Pareto fitness and
  preferential attachment, so participation counts are heavy-tailed);
* every other member is, by a coin, a past co-participant of the lead (by shared
  projects, so pairs repeat), a co-participant of such a partner (triadic closure),
  an actor of the lead's field, or anyone (∝ the same weights).

Only earlier years feed the partner draws, so a model trained up to year t sees the
signal that shapes year t+1. Equal arguments give identical rows.

Run::

    .venv/bin/python bench/synth_participations.py OUT.csv [--rows 91000] [--seed 1]
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TYPES = ("enterprise", "university", "institute", "hospital", "platform", "other")
TYPE_SHARE = (0.62, 0.05, 0.14, 0.05, 0.04, 0.10)
MODES = (0.40, 0.15, 0.30, 0.15)
"""Probabilities of: past partner, partner of a partner, same field, anyone."""
ATTACH = 0.5
"""Weight of one past participation next to an actor's fitness (mean ≈ 1.9)."""


@dataclass(frozen=True)
class SynthConfig:
    """Sizes and shape of the table.

    Attributes:
        rows: Participation rows to write (approximately: repeats in a project drop).
        pool: Actors that may take part (about 40 % of them do at the defaults).
        seed: Seed of every draw.
        first_year: First project year.
        last_year: Last project year.
        size_exponent: Exponent of the project-size law.
        max_size: Largest project.
        fields: Number of fields.
    """

    rows: int = 91_000
    pool: int = 70_000
    seed: int = 1
    first_year: int = 2010
    last_year: int = 2020
    size_exponent: float = 1.9
    max_size: int = 60
    fields: int = 24


class _Sampler:
    """Draws indexes ∝ non-negative weights, within groups or over everything."""

    def __init__(self, group: np.ndarray, n_groups: int) -> None:
        self.order = np.argsort(group, kind="stable")
        self.bounds = np.searchsorted(group[self.order], np.arange(n_groups + 1))
        self.cum = np.zeros(len(group))

    def reweight(self, weight: np.ndarray) -> None:
        self.cum = np.cumsum(weight[self.order])

    def draw(self, group: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One index per entry of ``group`` (-1 where the group weighs nothing)."""
        lo, hi = self.bounds[group], self.bounds[group + 1]
        base = np.where(lo > 0, self.cum[np.maximum(lo - 1, 0)], 0.0)
        top = np.where(hi > 0, self.cum[np.maximum(hi - 1, 0)], 0.0)
        target = base + u * (top - base)
        pos = np.searchsorted(self.cum, target, side="right")
        pos = np.minimum(np.maximum(pos, lo), np.maximum(hi - 1, 0))
        out = self.order[pos]
        return np.where(top > base, out, -1)


class _Past:
    """Participations of the finished years: actor → rows, project → members."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.actor = np.zeros(0, np.int64)
        self.count = np.zeros(n, np.int64)
        self.by_actor = np.zeros(0, np.int64)
        self.actor_start = np.zeros(n, np.int64)
        self.p_start = np.zeros(0, np.int64)
        self.p_size = np.zeros(0, np.int64)
        self.proj = np.zeros(0, np.int64)

    def extend(self, proj: np.ndarray, actor: np.ndarray, n_proj: int) -> None:
        """Append one year's rows (``proj`` sorted, numbered from 0)."""
        offset, first = len(self.actor), len(self.p_size)
        sizes = np.bincount(proj, minlength=n_proj)
        starts = offset + np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self.p_start = np.concatenate([self.p_start, starts])
        self.p_size = np.concatenate([self.p_size, sizes])
        self.proj = np.concatenate([self.proj, proj + first])
        self.actor = np.concatenate([self.actor, actor])
        self.count = np.bincount(self.actor, minlength=self.n)
        self.by_actor = np.argsort(self.actor, kind="stable")
        self.actor_start = np.concatenate([[0], np.cumsum(self.count)[:-1]])

    def partner(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A past co-participant of each ``x`` (-1: none, or ``x`` < 0)."""
        out = np.full(len(x), -1, np.int64)
        ok = x >= 0
        ok[ok] = self.count[x[ok]] > 0
        if not ok.any():
            return out
        xs = x[ok]
        row = self.by_actor[self.actor_start[xs]
                            + (rng.random(len(xs)) * self.count[xs]).astype(np.int64)]
        p = self.proj[row]
        m = self.actor[self.p_start[p] + (rng.random(len(xs)) * self.p_size[p]).astype(np.int64)]
        out[ok] = np.where(m != xs, m, -1)
        return out


def synthesize(cfg: SynthConfig) -> list[tuple[str, str, str, int, str]]:
    """Rows ``(project_id, actor_id, actor_type, year, field)``, project by project."""
    rng = np.random.default_rng(cfg.seed)
    n = cfg.pool
    fitness = rng.pareto(1.6, n) + 0.2
    field_p = 1.0 / np.arange(1, cfg.fields + 1) ** 0.8
    field = rng.choice(cfg.fields, size=n, p=field_p / field_p.sum())
    kind = rng.choice(len(TYPES), size=n, p=TYPE_SHARE)
    span = cfg.last_year - cfg.first_year + 1
    # half the actors exist from the start, the others enter evenly over the span
    enters = np.where(rng.random(n) < 0.5, 0, rng.integers(0, span, n)) + cfg.first_year
    sizes_all = np.arange(1, cfg.max_size + 1)
    p_size = sizes_all ** -cfg.size_exponent
    p_size /= p_size.sum()
    growth = 1.08 ** np.arange(span)
    rows_per_year = np.round(cfg.rows * growth / growth.sum()).astype(np.int64)
    anyone = _Sampler(np.zeros(n, np.int64), 1)
    by_field = _Sampler(field, cfg.fields)
    past = _Past(n)
    out: list[tuple[str, str, str, int, str]] = []
    ids = [f"A{i:06d}" for i in range(n)]
    for y_off, want in enumerate(rows_per_year.tolist()):
        year = cfg.first_year + y_off
        weight = np.where(enters <= year, fitness + ATTACH * past.count, 0.0)
        anyone.reweight(weight)
        by_field.reweight(weight)
        size = rng.choice(sizes_all, size=max(8, want), p=p_size)
        size = size[:int(np.searchsorted(np.cumsum(size), want)) + 1]
        n_proj = len(size)
        lead = anyone.draw(np.zeros(n_proj, np.int64), rng.random(n_proj))
        owner = np.repeat(np.arange(n_proj), size - 1)
        anchor = lead[owner]
        mode = rng.choice(len(MODES), size=len(owner), p=MODES)
        pick = np.full(len(owner), -1, np.int64)
        m = mode == 0
        pick[m] = past.partner(anchor[m], rng)
        m = mode == 1
        pick[m] = past.partner(past.partner(anchor[m], rng), rng)
        m = (mode == 2) | ((mode < 2) & (pick < 0))
        pick[m] = by_field.draw(field[anchor[m]], rng.random(int(m.sum())))
        m = (mode == 3) | (pick < 0)
        pick[m] = anyone.draw(np.zeros(int(m.sum()), np.int64), rng.random(int(m.sum())))
        proj = np.concatenate([np.arange(n_proj), owner])
        actor = np.concatenate([lead, pick])
        for attempt in range(4):  # an actor joins a project once: redraw, then drop repeats
            _, first = np.unique(proj * n + actor, return_index=True)
            repeat = np.ones(len(proj), bool)
            repeat[first] = False
            if not repeat.any():
                break
            if attempt < 3:
                actor[repeat] = by_field.draw(field[lead[proj[repeat]]],
                                              rng.random(int(repeat.sum())))
                actor[repeat & (actor < 0)] = lead[proj[repeat & (actor < 0)]]
            else:
                proj, actor = proj[~repeat], actor[~repeat]
        order = np.argsort(proj, kind="stable")
        proj, actor = proj[order], actor[order]
        past.extend(proj, actor, n_proj)
        lead_field = field[lead]
        for p, a in zip(proj.tolist(), actor.tolist(), strict=True):
            out.append((f"P{year}{p:06d}", ids[a], TYPES[kind[a]], year,
                        f"F{lead_field[p]:02d}"))
    return out


def write(path: Path, cfg: SynthConfig) -> int:
    """Write the table as UTF-8 CSV; return the number of rows."""
    rows = synthesize(cfg)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["project_id", "actor_id", "actor_type", "year", "field"])
        w.writerows(rows)
    return len(rows)


def main() -> None:
    """Command line: write one table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    defaults = SynthConfig()
    parser.add_argument("--rows", type=int, default=defaults.rows)
    parser.add_argument("--pool", type=int, default=defaults.pool)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--size-exponent", type=float, default=defaults.size_exponent)
    args = parser.parse_args()
    n = write(args.out, SynthConfig(rows=args.rows, pool=args.pool, seed=args.seed,
                                    size_exponent=args.size_exponent))
    print(f"wrote {args.out}: {n:,} rows")


if __name__ == "__main__":
    main()
