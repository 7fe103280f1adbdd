"""Resolution quality on pairs of name variants: precision, and recall by kind of variant.

A pairs file is a CSV with the columns ``variant``, ``canonical`` and ``kind``:

* a positive pair (any kind but ``negative``): ``variant`` names the same body as
  ``canonical`` (浙江财经学院 → 浙江财经大学, kind ``former_name``). It is found when
  the resolver matches ``variant`` to an entity named ``canonical``; a campus or branch
  whose parent is ``canonical`` (status ``branch_of``) counts too, because it names
  where the campus belongs. A match to another entity is a false merge; candidates
  and no answer are misses (a candidate list is a question for a reviewer, not a merge);
* a negative pair (kind ``negative``): ``variant`` and ``canonical`` are different
  bodies (山东大学 / 山东师范大学). Matching ``variant`` to ``canonical`` is a false
  merge.

Precision is found / (found + false merges) over every pair; recall is found /
positives, per kind and overall.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.resolve._data import read_rows
from ingest.resolve.resolver import Resolver
from schemas.names import normalize_name

NEGATIVE = "negative"


@dataclass(frozen=True)
class Pair:
    """One line of a pairs file."""

    variant: str
    canonical: str
    kind: str
    line: int = 0


@dataclass(frozen=True)
class Outcome:
    """What the resolver made of one pair."""

    pair: Pair
    verdict: str  # found | false_merge | missed | kept_apart
    answer: str  # the matched name, or the status when nothing was matched


@dataclass(frozen=True)
class KindScore:
    """Counts of one kind of variant (or ``ALL``)."""

    kind: str
    pairs: int
    found: int
    false_merges: int

    @property
    def recall(self) -> float | None:
        """found / pairs; None for negatives (nothing to find)."""
        if self.kind == NEGATIVE or not self.pairs:
            return None
        return self.found / self.pairs

    def row(self) -> dict[str, object]:
        """The table row (Chinese headers; kinds stay codes)."""
        rec = self.recall
        return {"类型": self.kind, "对数": self.pairs, "正确合并": self.found,
                "错误合并": self.false_merges,
                "召回率": "" if rec is None else round(rec, 3)}


def read_pairs(path: str | Path) -> list[Pair]:
    """The pairs of a CSV file (``#`` lines are comments).

    Raises:
        GazetteerError: If the file cannot be read or lacks a column.
        ValueError: For a row with an empty field (its line number is named).
    """
    rows = read_rows(path, "", ("variant", "canonical", "kind"))
    out = []
    for n, r in enumerate(rows, 2):
        if not (r["variant"] and r["canonical"] and r["kind"]):
            raise ValueError(f"{path}: row {n}: variant, canonical and kind must not be empty")
        out.append(Pair(r["variant"], r["canonical"], r["kind"], n))
    return out


def judge(resolver: Resolver, pairs: Iterable[Pair]) -> list[Outcome]:
    """Resolve each pair's variant (no label given) and judge the answer."""
    out = []
    for p in pairs:
        res = resolver.resolve(p.variant)
        target = normalize_name(p.canonical)
        if res.status == "matched" and res.name:
            same = normalize_name(res.name) == target
            answer = res.name
        elif res.parent is not None and res.status == "none":
            same = normalize_name(res.parent.name) == target
            answer = f"branch_of {res.parent.name}"
        else:
            out.append(Outcome(p, "kept_apart" if p.kind == NEGATIVE else "missed",
                               res.status))
            continue
        if p.kind == NEGATIVE:
            verdict = "false_merge" if same else "kept_apart"
        else:
            verdict = "found" if same else "false_merge"
        out.append(Outcome(p, verdict, answer))
    return out


def summarise(outcomes: Iterable[Outcome]) -> tuple[list[KindScore], float]:
    """Per-kind counts (then ``ALL`` over the positive kinds) and the precision."""
    pairs: Counter[str] = Counter()
    found: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    for o in outcomes:
        pairs[o.pair.kind] += 1
        found[o.pair.kind] += o.verdict == "found"
        wrong[o.pair.kind] += o.verdict == "false_merge"
    rows = [KindScore(k, pairs[k], found[k], wrong[k]) for k in sorted(pairs)]
    positive = [r for r in rows if r.kind != NEGATIVE]
    rows.append(KindScore("ALL", sum(r.pairs for r in positive),
                          sum(r.found for r in positive), sum(r.false_merges for r in rows)))
    tp = sum(found.values())
    fp = sum(wrong.values())
    return rows, (tp / (tp + fp) if tp + fp else 1.0)
