"""Projects year by year: who leads, who joins, with memory of past cooperation.

Each year's projects are drawn in one vectorised batch from the cooperation
history of the earlier years:

* a lead is drawn with probability proportional to fitness + past degree
  (preferential attachment, hence heavy-tailed participation counts);
* each further participant is, by a coin with :data:`MODES` probabilities, a past
  partner of the lead (drawn by co-participation count, so pairs repeat), a
  partner of such a partner (triadic closure), an actor of the lead's field or
  of the field's root, an actor of the lead's district, or anyone.

Only earlier years feed the partner modes, so a model trained on years up to t
sees the signal that shapes year t+1 — what link prediction over time needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ingest.generate.sampling import GroupSampler
from ingest.generate.world import ENT, HOS, INS, PLT, TEAM, UNI, World

MODES = {"partner": 0.38, "partner_of_partner": 0.14, "field": 0.22, "root_field": 0.07,
         "region": 0.09, "any": 0.10}
"""How a participant other than the lead is chosen."""

SIZE_EXPONENT = 2.9
MAX_SIZE = 50
PA_WEIGHT = 2.0
"""Weight of one past participation next to an actor's fitness (mean ≈ 2)."""

_LEAD_KIND = {UNI: 1.5, INS: 1.5, HOS: 1.0, ENT: 1.0, TEAM: 0.7, PLT: 0.3}


@dataclass
class YearBatch:
    """The projects of one year.

    Attributes:
        year: The year.
        first: Global number of the year's first project.
        lead: Lead actor per project.
        ptr: Offsets of each project's participants in ``members`` (length P+1).
        members: Participant actor indexes, the lead first in each project.
    """

    year: int
    first: int
    lead: np.ndarray
    ptr: np.ndarray
    members: np.ndarray


class _History:
    """Participations of the years done so far, indexed both ways."""

    def __init__(self, n_actors: int) -> None:
        self.n = n_actors
        self.proj: list[np.ndarray] = []
        self.actor: list[np.ndarray] = []
        self.p_start = np.zeros(0, dtype=np.int64)
        self.p_size = np.zeros(0, dtype=np.int64)
        self.deg = np.zeros(n_actors, dtype=np.int64)
        self.rows_actor = np.zeros(0, dtype=np.int64)
        self.rows_proj = np.zeros(0, dtype=np.int64)
        self.a_order = np.zeros(0, dtype=np.int64)
        self.a_start = np.zeros(n_actors, dtype=np.int64)

    def add(self, first: int, ptr: np.ndarray, members: np.ndarray) -> None:
        sizes = np.diff(ptr)
        proj = np.repeat(np.arange(first, first + len(sizes)), sizes)
        self.proj.append(proj)
        self.actor.append(members)
        offset = len(self.rows_actor)
        self.p_start = np.concatenate([self.p_start, offset + ptr[:-1]])
        self.p_size = np.concatenate([self.p_size, sizes])
        self.rows_actor = np.concatenate(self.actor)
        self.rows_proj = np.concatenate(self.proj)
        self.actor = [self.rows_actor]
        self.proj = [self.rows_proj]
        self.deg = np.bincount(self.rows_actor, minlength=self.n)
        self.a_order = np.argsort(self.rows_actor, kind="stable")
        self.a_start = np.concatenate([[0], np.cumsum(self.deg)[:-1]])

    def partners(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A past co-participant of each actor, by co-participation count; -1 if none."""
        out = np.full(x.shape, -1, dtype=np.int64)
        if not len(self.rows_actor) or not x.size:
            return out
        ok = x >= 0
        xs = np.maximum(x, 0)
        d = self.deg[xs]
        ok &= d > 0
        r = self.a_start[xs] + (rng.random(x.size) * np.maximum(d, 1)).astype(np.int64)
        row = self.a_order[np.minimum(r, len(self.a_order) - 1)]
        p = self.rows_proj[row]
        start, size = self.p_start[p], self.p_size[p]
        for _ in range(3):  # a draw may hit the actor itself; retry a few times
            need = ok & (out < 0)
            if not need.any():
                break
            m = self.rows_actor[start + (rng.random(x.size) * size).astype(np.int64)]
            good = need & (m != x)
            out[good] = m[good]
        return out


def project_counts(world: World, years: range, per_actor: float) -> np.ndarray:
    """Projects per year: ``per_actor`` × project-capable actors, growing 8% a year."""
    capable = int((world.fitness > 0).sum())
    growth = 1.08 ** np.arange(len(years))
    total = per_actor * capable
    counts: np.ndarray = np.maximum(1, np.round(total * growth / growth.sum())).astype(np.int64)
    return counts


def simulate(world: World, rng: np.random.Generator, *, per_actor: float = 0.35
             ) -> Iterator[YearBatch]:
    """Yield the projects of each year from ``world.first_year`` to ``world.last_year``.

    Args:
        world: The actors.
        rng: The random generator of this stage.
        per_actor: Projects per project-capable actor over the whole span.
    """
    w = world
    years = range(w.first_year, w.last_year + 1)
    counts = project_counts(w, years, per_actor)
    roots = np.array([w.vocab.root_of(f) for f in range(len(w.vocab.fields))])
    root = np.where(w.field >= 0, roots[np.maximum(w.field, 0)], -1)
    samplers = {"any": GroupSampler(np.zeros(w.n, dtype=np.int64)),
                "field": GroupSampler(w.field), "root_field": GroupSampler(root),
                "region": GroupSampler(w.region)}
    lead_sampler = GroupSampler(np.zeros(w.n, dtype=np.int64))
    lead_mult = np.array([_LEAD_KIND.get(int(k), 0.0) for k in range(7)])[w.kind]
    # the registries are the city's: outside universities join projects but do not lead them
    lead_mult[w.region == w.outside_region] = 0.0
    sizes_all = np.arange(2, MAX_SIZE + 1)
    p_size = sizes_all ** -SIZE_EXPONENT
    p_size /= p_size.sum()
    mode_names = list(MODES)
    mode_p = np.array([MODES[m] for m in mode_names])
    hist = _History(w.n)
    first = 0

    def draw_any(m: int) -> np.ndarray:
        out = samplers["any"].sample_all(rng.random(m))
        while (bad := out < 0).any():  # rounding misses are rare; redraw them
            out[bad] = samplers["any"].sample_all(rng.random(int(bad.sum())))
        return out

    for y, n_proj in zip(years, counts.tolist(), strict=True):
        active = (w.active_from <= y) & (w.fitness > 0)
        weight = np.where(active, w.fitness + PA_WEIGHT * hist.deg, 0.0)
        for s in samplers.values():
            s.reweight(weight)
        lead_sampler.reweight(weight * lead_mult)
        if lead_sampler.cum.size == 0 or lead_sampler.cum[-1] <= 0:
            continue

        lead = lead_sampler.sample_all(rng.random(n_proj))
        while (bad := lead < 0).any():
            lead[bad] = lead_sampler.sample_all(rng.random(int(bad.sum())))
        size = rng.choice(sizes_all, size=n_proj, p=p_size)
        slots = size - 1
        owner = np.repeat(np.arange(n_proj), slots)
        anchor = lead[owner]
        mode = rng.choice(len(mode_names), size=owner.size, p=mode_p)
        pick = np.full(owner.size, -1, dtype=np.int64)
        for k, name in enumerate(mode_names):
            m = mode == k
            if not m.any():
                continue
            a = anchor[m]
            if name == "partner":
                got = hist.partners(a, rng)
            elif name == "partner_of_partner":
                got = hist.partners(hist.partners(a, rng), rng)
                got[got == a] = -1
            elif name == "any":
                got = draw_any(int(m.sum()))
            else:
                key = {"field": w.field, "root_field": root, "region": w.region}[name][a]
                got = samplers[name].sample(key, rng.random(a.size))
            pick[m] = got
        # a mode with nothing to offer (no history yet, an empty field) falls back to the
        # lead's field, then to anyone
        miss = pick < 0
        if miss.any():
            pick[miss] = samplers["field"].sample(w.field[anchor[miss]],
                                                  rng.random(int(miss.sum())))
        miss = pick < 0
        if miss.any():
            pick[miss] = draw_any(int(miss.sum()))
        proj = np.concatenate([np.arange(n_proj), owner])
        actor = np.concatenate([lead, pick])
        pos = np.concatenate([np.zeros(n_proj, dtype=np.int64), 1 + np.arange(owner.size)])
        # an actor appears once per project: redraw repeats, drop what still repeats
        for attempt in range(4):
            key = proj * w.n + actor
            order = np.lexsort((pos, key))
            dup_sorted = np.zeros(len(key), dtype=bool)
            dup_sorted[1:] = key[order][1:] == key[order][:-1]
            dup = np.zeros(len(key), dtype=bool)
            dup[order] = dup_sorted
            if not dup.any():
                break
            if attempt < 3:
                actor[dup] = draw_any(int(dup.sum()))
            else:
                proj, actor, pos = proj[~dup], actor[~dup], pos[~dup]
        order = np.lexsort((pos, proj))
        proj, actor = proj[order], actor[order]
        per = np.bincount(proj, minlength=n_proj)
        if (per < 2).any():
            # a two-actor project whose partner collided with the lead four times: give it
            # a partner from the lead's field or anyone else
            lonely = np.flatnonzero(per < 2)
            extra = draw_any(lonely.size)
            extra = np.where(extra == lead[lonely], -1, extra)
            keep = extra >= 0
            proj = np.concatenate([proj, lonely[keep]])
            actor = np.concatenate([actor, extra[keep]])
            order = np.argsort(proj, kind="stable")
            proj, actor = proj[order], actor[order]
            per = np.bincount(proj, minlength=n_proj)
        ok_proj = per >= 2
        if not ok_proj.all():
            keep_rows = ok_proj[proj]
            remap = np.cumsum(ok_proj) - 1
            proj, actor = remap[proj[keep_rows]], actor[keep_rows]
            lead = lead[ok_proj]
            per = per[ok_proj]
        ptr = np.concatenate([[0], np.cumsum(per)])
        batch = YearBatch(y, first, lead, ptr, actor)
        hist.add(first, ptr, actor)
        first += len(lead)
        yield batch

