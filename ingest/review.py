"""The review queue: fuzzy identity questions kept on disk until a person decides.

The resolver never merges on a fuzzy match. When a name only resembles known
entities, the pipeline creates a node for it and files a :class:`ReviewItem`
here. ``accept`` folds the new node into the chosen candidate through
``store.merge_nodes(..., rule="review")`` (undone by ``store.unmerge``);
``reject`` records that they are different entities.

The queue is one JSON file (``<home>/review.json``), rewritten atomically
(temporary file, fsync, rename) so a killed process never leaves half a file.
Item ids are derived from the new node and its candidates, so filing the same
question twice (a re-run, a run resumed after a crash) files it once.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from graph.errors import GraphError
from graph.store import GraphStore
from ingest.errors import ReviewError
from schemas.ingest_report import ReviewCandidate, ReviewItem
from schemas.results import MergeRecord

_ITEMS = TypeAdapter(list[ReviewItem])
_STATUS_ZH = {"pending": "待审核", "accepted": "已接受", "rejected": "已拒绝"}


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def review_id(uid: str, candidates: Sequence[ReviewCandidate]) -> str:
    """A stable id for the question "is ``uid`` one of ``candidates``?"."""
    key = "|".join([uid, *sorted(c.uid for c in candidates)])
    return "r-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


class ReviewQueue:
    """Review items persisted in a JSON file (or kept in memory when ``path`` is None).

    Args:
        path: The queue file; created on the first save.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._items: dict[str, ReviewItem] = {}
        if path is not None and path.exists():
            try:
                items = _ITEMS.validate_json(path.read_bytes())
            except (OSError, ValidationError) as exc:
                raise ReviewError(f"无法读取待审核队列:{exc}",
                                  file=str(path)) from exc
            self._items = {i.id: i for i in items}

    def save(self) -> None:
        """Write the queue atomically (no-op for an in-memory queue)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        data = [i.model_dump(mode="json") for i in self._items.values()]
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def add(self, items: Sequence[ReviewItem]) -> list[ReviewItem]:
        """File items not filed before (by id); return the ones that are new."""
        new = [i for i in items if i.id not in self._items]
        for item in new:
            self._items[item.id] = item
        return new

    def items(self, *, status: str | None = None) -> list[ReviewItem]:
        """Items in filing order, optionally only those with ``status``."""
        return [i for i in self._items.values() if status is None or i.status == status]

    def get(self, item_id: str) -> ReviewItem:
        """The item with this id.

        Raises:
            ReviewError: no such item.
        """
        try:
            return self._items[item_id]
        except KeyError:
            raise ReviewError(f"没有待审核项 '{item_id}'",
                              file=str(self.path or "")) from None

    def accept(self, item_id: str, *, store: GraphStore,
               candidate: str | None = None) -> MergeRecord:
        """Merge the item's new node into a candidate (the only or the best one, or
        ``candidate``) and record the merge id on the item.

        Raises:
            ReviewError: unknown id, item not pending, unknown candidate, or the
                store refused the merge (a node is gone, labels differ).
        """
        item = self._pending(item_id)
        if candidate is None:
            keep = max(item.candidates, key=lambda c: (c.score, c.uid)).uid
        elif candidate in {c.uid for c in item.candidates}:
            keep = candidate
        else:
            raise ReviewError(f"'{candidate}' 不是 {item_id} 的候选(候选:"
                              f"{'、'.join(c.uid for c in item.candidates)})")
        try:
            record = store.merge_nodes(keep=keep, merge=[item.uid], rule="review",
                                       reason=f"审核 {item_id}:'{item.name}'({item.source})"
                                              f"是同一主体")
        except GraphError as exc:
            raise ReviewError(f"无法把 {item.uid} 合并到 {keep}:{exc}") from exc
        self._items[item_id] = item.model_copy(update={
            "status": "accepted", "decided_at": _now(), "merge_id": record.merge_id,
            "kept": keep})
        self.save()
        return record

    def reject(self, item_id: str, *, note: str = "") -> ReviewItem:
        """Record that the new node is none of the candidates.

        Raises:
            ReviewError: unknown id or item not pending.
        """
        item = self._pending(item_id)
        done = item.model_copy(update={"status": "rejected", "decided_at": _now(),
                                       "note": note or "different entities"})
        self._items[item_id] = done
        self.save()
        return done

    def reopen_merge(self, merge_id: str) -> ReviewItem | None:
        """After an unmerge: put the item whose accept made ``merge_id`` back to pending."""
        for item in self._items.values():
            if item.merge_id == merge_id:
                reopened = item.model_copy(update={
                    "status": "pending", "decided_at": None, "merge_id": None, "kept": None,
                    "note": f"merge {merge_id} undone {_now().isoformat()}"})
                self._items[item.id] = reopened
                self.save()
                return reopened
        return None

    def _pending(self, item_id: str) -> ReviewItem:
        item = self.get(item_id)
        if item.status != "pending":
            status = _STATUS_ZH.get(item.status, item.status)
            raise ReviewError(f"待审核项 '{item_id}' 已经处理过({status})")
        return item
