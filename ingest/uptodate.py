"""Whether an ingest would change nothing: the same inputs into the same, unchanged store.

Running unchanged files again changes nothing (uids are deterministic, writes are
upserts, a stored node merged with itself is itself), but the run still reads, resolves
and compares every row: at 100,000 actors longer than the first load, whose new names
need no comparison with stored ones. ``innograph ingest`` therefore records, after a run
that ended, what it read and the state it left the store in (:func:`record`); a later run
of the same inputs, with the same innograph code, into the same store still in that
state, is answered from that record without reading a row (:func:`check`, then
:func:`repeated_report`). What counts as the same:

- the inputs: every data file and mapping file the run would read (found as the pipeline
  finds them), by content, and the paths as given;
- the code: the content of innograph's ``ingest``, ``schemas`` and ``graph`` packages
  (resolution rules, word lists and gazetteers included);
- the store: the backend and where it is, its version (every commit bumps it: another
  ingest, a review decision, a text load) and its counts;
- the review queue: its file, unchanged since.

Anything else differing, or no record, and the run is made in full (as it always is
with ``--force``).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from schemas.ingest_report import IngestReport

STATE_FILE = "ingest-state.json"
"""Where the record of the last run is kept, in the store's home."""
_CODE_SUFFIXES = frozenset({".py", ".csv", ".tsv", ".txt", ".yaml", ".yml", ".json"})


def _file_digest(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of the code and data an ingest runs on (the ``ingest``, ``schemas`` and
    ``graph`` packages as installed)."""
    import graph
    import ingest
    import schemas

    h = hashlib.sha256()
    for package in (ingest, schemas, graph):
        root = Path(str(package.__file__)).parent
        for path in sorted(root.rglob("*")):
            if path.suffix in _CODE_SUFFIXES and path.is_file() \
                    and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root.parent)).encode())
                h.update(_file_digest(path).encode())
    return h.hexdigest()


def inputs_digest(paths: Sequence[Path], mapping: Path | None = None) -> str:
    """A digest of what a run of ``paths`` would read, and of the code that reads it.

    Raises:
        IngestError: as :func:`ingest.pipeline.discover` (a missing file, a bad mapping).
    """
    from ingest.pipeline import discover

    jobs, skipped = discover(paths, mapping=mapping)
    h = hashlib.sha256(code_digest().encode())
    h.update(json.dumps([str(p) for p in paths], ensure_ascii=False).encode())
    h.update(json.dumps(skipped, ensure_ascii=False).encode())
    files = {job.path.resolve() for job in jobs}
    files |= {Path(job.mapping.mapping_path).resolve() for job in jobs
              if job.mapping.mapping_path}
    for path in sorted(files):
        h.update(str(path).encode())
        h.update(_file_digest(path).encode())
    return h.hexdigest()


def store_state(store: Any, where: str) -> dict[str, Any]:
    """The state of ``store`` that a record is valid for (``where``: which store it is)."""
    return {"backend": store.backend, "where": where, "version": store.version(),
            "stats": store.stats().model_dump(mode="json")}


def _file_stamp(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return [st.st_size, st.st_mtime_ns]


def record(home: Path, *, inputs: str, state: dict[str, Any], review: Path,
           report: IngestReport) -> None:
    """Remember a run that ended: its inputs, the store's state after it, its report."""
    if not report.report_path:
        return
    body = {"inputs": inputs, "store": state, "review": _file_stamp(review),
            "report": str(report.report_path)}
    path = home / STATE_FILE
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    try:
        home.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # no record: the next run is made in full


def check(home: Path, *, inputs: str, state: dict[str, Any],
          review: Path) -> IngestReport | None:
    """The report of the recorded run when this one would repeat it exactly, else None."""
    try:
        body = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
        if (body.get("inputs") != inputs or body.get("store") != state
                or body.get("review") != _file_stamp(review)):
            return None
        return IngestReport.model_validate_json(
            Path(body["report"]).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def repeated_report(previous: IngestReport, *, started: datetime) -> IngestReport:
    """The report of a run that repeats ``previous`` without reading a row: its tables,
    rows, rejected rows and merged names are those of ``previous`` (the same inputs
    against the same graph); nothing was written and nothing is queued again. The write
    counts stay empty: the last run's counted every write, and an object written twice
    in it counted twice."""
    return previous.model_copy(update={
        "run_id": uuid.uuid4().hex[:12], "started_at": started.replace(microsecond=0),
        "finished_at": datetime.now(UTC).replace(microsecond=0),
        "elapsed_seconds": round((datetime.now(UTC) - started).total_seconds(), 3),
        "nodes": {}, "relationships": {}, "queued_for_review": [], "batches": 0,
        "report_path": None, "up_to_date": True,
        "warnings": [*previous.warnings,
                     f"输入文件、映射文件和图谱自上次装载(报告 {previous.report_path})以来"
                     "都没有变化,本次未重新读取,图谱未写入。要重新处理请加 --force"]})
