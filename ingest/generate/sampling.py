"""Vectorised weighted sampling within groups (a field, a region, a kind)."""

from __future__ import annotations

import numpy as np


class GroupSampler:
    """Draw items with probability proportional to a weight, within the group of a key.

    The items are sorted once by key; every reweighting only recomputes one
    cumulative sum, and a draw is a binary search inside the key's segment, so a
    whole batch of draws is a handful of numpy calls.

    Args:
        keys: The group key of each item (e.g. its field index); -1 is a valid key.
    """

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = np.asarray(keys, dtype=np.int64)
        self.order = np.argsort(self.keys, kind="stable")
        sorted_keys = self.keys[self.order]
        self.groups, self.start = np.unique(sorted_keys, return_index=True)
        self.end = np.append(self.start[1:], len(sorted_keys))
        self.weights = np.zeros(len(self.keys))
        self.cum = np.zeros(len(self.keys))

    def reweight(self, weights: np.ndarray) -> None:
        """Set the item weights (0 = never drawn)."""
        self.weights = np.asarray(weights, dtype=np.float64)
        self.cum = np.cumsum(self.weights[self.order])

    def sample(self, keys: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Draw one item per requested key.

        Args:
            keys: The group to draw from, one per draw.
            u: Uniform numbers in [0, 1), one per draw (the caller owns the randomness).

        Returns:
            Item indexes; -1 where the group is unknown or has no weight.
        """
        keys = np.asarray(keys, dtype=np.int64)
        if keys.size == 0 or self.cum.size == 0:
            return np.full(keys.shape, -1, dtype=np.int64)
        g = np.clip(np.searchsorted(self.groups, keys), 0, len(self.groups) - 1)
        found = self.groups[g] == keys
        s, e = self.start[g], self.end[g]
        lo = np.where(s > 0, self.cum[np.maximum(s - 1, 0)], 0.0)
        hi = self.cum[e - 1]
        ok = found & (hi > lo)
        j = np.searchsorted(self.cum, lo + u * (hi - lo), side="right")
        j = np.clip(j, s, e - 1)
        item = self.order[j]
        # rounding at a segment's end can land on a zero-weight item: treat as a miss
        ok &= self.weights[item] > 0
        return np.where(ok, item, -1)

    def sample_all(self, u: np.ndarray) -> np.ndarray:
        """Draw from all items regardless of group (-1 if every weight is 0)."""
        if self.cum.size == 0 or self.cum[-1] <= 0:
            return np.full(u.shape, -1, dtype=np.int64)
        j = np.clip(np.searchsorted(self.cum, u * self.cum[-1], side="right"), 0,
                    len(self.cum) - 1)
        item = self.order[j]
        return np.where(self.weights[item] > 0, item, -1)
