"""Build gold_policy.jsonl from the hand annotation and check every offset.

Usage (from the repository root, with ../shared beside it):

    .venv/bin/python tests/data/extract/make_gold.py [SHARED_DIR]

The texts are read from the shared folder (the seed plan and the policy excerpts);
the resulting JSONL carries the texts itself, so tests and ``innograph eval ner`` need
nothing else. The script fails on a surface that is not found in its line, on
overlapping mentions and on any span whose slice differs from its surface.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


def occurrences(text: str, surface: str) -> list[int]:
    """Start offsets of every (non-overlapping) occurrence of ``surface``."""
    out, pos = [], text.find(surface)
    while pos >= 0:
        out.append(pos)
        pos = text.find(surface, pos + len(surface))
    return out


def annotate(text: str, items: list[str]) -> list[dict[str, object]]:
    """Spans for one line: longest surfaces first, nested occurrences skipped."""
    pairs = [tuple(item.rsplit("|", 1)) for item in items]
    spans: list[dict[str, object]] = []
    for surface, label in sorted(pairs, key=lambda p: -len(p[0])):
        found = occurrences(text, surface)
        if not found:
            raise SystemExit(f"not found: {surface!r} in {text[:40]!r}")
        for start in found:
            end = start + len(surface)
            if any(s["start"] < end and start < s["end"] for s in spans):  # type: ignore[operator]
                continue
            spans.append({"start": start, "end": end, "label": label, "text": surface})
    spans.sort(key=lambda s: s["start"])  # type: ignore[arg-type, return-value]
    return spans


def main() -> None:
    """Write gold_policy.jsonl and print what it holds."""
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[3] / "shared"
    spec = yaml.safe_load((HERE / "gold_policy.annotations.yaml").read_text(encoding="utf-8"))
    rows = []
    for name, doc in spec["documents"].items():
        lines = (shared / doc["file"]).read_text(encoding="utf-8").splitlines()
        wanted = doc.get("lines") or {}
        for number, line in enumerate(lines, start=1):
            if not line.strip() or number in doc.get("exclude", []):
                continue
            spans = annotate(line, wanted.get(number, []))
            for s in spans:
                assert line[s["start"]:s["end"]] == s["text"], s  # type: ignore[misc]
            rows.append({"id": f"{name}:{number}", "text": line, "spans": spans})
        unknown = set(wanted) - {n for n, ln in enumerate(lines, 1) if ln.strip()}
        if unknown:
            raise SystemExit(f"{name}: annotated lines {sorted(unknown)} are empty or missing")
    out = HERE / "gold_policy.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for row in rows:
        for s in row["spans"]:
            counts[s["label"]] = counts.get(s["label"], 0) + 1
    print(f"{out.name}: {len(rows)} lines, {sum(counts.values())} mentions", counts)


if __name__ == "__main__":
    main()
