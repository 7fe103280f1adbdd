"""Server-side graph layout that stays well under a second for a few thousand nodes.

``networkx.spring_layout`` takes about 9 s for 2,000 nodes because its
repulsion is all-pairs; ``kamada_kawai_layout`` is slower still. This module
computes positions in two vectorised steps:

1. **Initial placement.** With a centre (ego and recommendation views up to
   :data:`RING_MAX` nodes) nodes sit on rings by hop distance, each subtree of
   the breadth-first tree in its own angular sector, so the picture already
   reads "centre, first ring, second ring". Other components start evenly
   spread over a disc (seeded, so a graph always gets the same picture). A
   spectral start (eigenvectors of the normalised adjacency) was tried and
   dropped: on this graph's hubs (regions, programmes with hundreds of
   members) it pushes a few tree-like branches far out and squeezes the rest
   into a thin band. Components are packed on shelves, largest first.
2. **A short force refinement** (Fruchterman–Reingold): attraction ``d²/k``
   along edges and repulsion ``k²/d`` only between nodes closer than ``3k``,
   found with a k-d tree, like the grid variant of the original paper. Forces
   are summed with ``numpy.bincount``; 30–80 iterations with a cooling step,
   and a density floor that stands in for the original algorithm's frame.

Layouts are cached by the graph's structure (:class:`LayoutCache`), so a view
opened twice is laid out once.

>>> import networkx as nx
>>> pos = fast_layout(nx.path_graph(["a", "b", "c"]), center="a")
>>> sorted(pos), pos["a"]
(['a', 'b', 'c'], (0.0, 0.0))
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict, deque
from collections.abc import Hashable, Iterable

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

Position = tuple[float, float]
LAYOUT_VERSION = "fr-grid-2"
"""Part of every cache key: bump it when the algorithm changes."""
RING_MAX = 600
"""Above this many nodes rings by hop distance become one dense hoop: use spectral."""


def _edge_arrays(edges: Iterable[tuple[Hashable, Hashable]],
                 index: dict[Hashable, int]) -> tuple[np.ndarray, np.ndarray]:
    """Unique undirected node-index pairs without self-loops."""
    pairs = {(min(index[u], index[v]), max(index[u], index[v]))
             for u, v in edges if u != v}
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    arr = np.array(sorted(pairs), dtype=np.int64)
    return arr[:, 0], arr[:, 1]


def _components(n: int, src: np.ndarray, dst: np.ndarray) -> list[np.ndarray]:
    """Connected components as index arrays, largest first (ties by smallest index)."""
    adj = sp.coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    count, labels = sp.csgraph.connected_components(adj, directed=False)
    comps = [np.flatnonzero(labels == c) for c in range(count)]
    comps.sort(key=lambda c: (-len(c), int(c[0])))
    return comps


def _neighbours(n: int, src: np.ndarray, dst: np.ndarray) -> list[list[int]]:
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for a, b in zip(src.tolist(), dst.tolist(), strict=True):
        nbrs[a].append(b)
        nbrs[b].append(a)
    for lst in nbrs:
        lst.sort()
    return nbrs


def _radial(root: int, nbrs: list[list[int]], pos: np.ndarray) -> None:
    """Place the component of ``root`` on rings around ``root`` by hop distance.

    Each node's angular sector is proportional to the number of nodes below it
    in the breadth-first tree, so crowded branches get room. Ring ``h`` has a
    radius of at least ``h`` and enough circumference for its nodes at unit
    spacing.
    """
    depth = {root: 0}
    parent: dict[int, int] = {}
    order = [root]
    queue = deque([root])
    while queue:
        u = queue.popleft()
        for v in nbrs[u]:
            if v not in depth:
                depth[v] = depth[u] + 1
                parent[v] = u
                order.append(v)
                queue.append(v)
    weight = dict.fromkeys(order, 1)
    children: dict[int, list[int]] = {u: [] for u in order}
    for v in reversed(order[1:]):
        weight[parent[v]] += weight[v]
    for v in order[1:]:
        children[parent[v]].append(v)
    per_ring: dict[int, int] = {}
    for d in depth.values():
        per_ring[d] = per_ring.get(d, 0) + 1
    radius = {0: 0.0}
    for d in range(1, max(per_ring) + 1):
        radius[d] = max(radius[d - 1] + 1.0, per_ring.get(d, 0) / (2 * math.pi))
    sector = {root: (0.0, 2 * math.pi)}
    for u in order:
        lo, hi = sector[u]
        mid = (lo + hi) / 2
        r = radius[depth[u]]
        pos[u] = (r * math.cos(mid), r * math.sin(mid))
        total = sum(weight[c] for c in children[u]) or 1
        start = lo
        for c in children[u]:
            span = (hi - lo) * weight[c] / total
            sector[c] = (start, start + span)
            start += span


def _disc(m: int, *, seed: int) -> np.ndarray:
    """``m`` points spread evenly at random over a disc of about two units² per point.

    Seeded by the component's size, so a graph always gets the same layout.
    """
    rng = np.random.default_rng(seed)
    radius = np.sqrt(rng.random(m)) * math.sqrt(2 * m / math.pi)
    angle = rng.random(m) * 2 * math.pi
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


def _refine(pos: np.ndarray, src: np.ndarray, dst: np.ndarray, iterations: int,
            k: float = 1.0, density: float = 0.5) -> np.ndarray:
    """Fruchterman–Reingold steps on one component, with cut-off repulsion.

    Repulsion acts only between nodes closer than ``3k`` (a k-d tree finds
    them), which alone cannot hold the summed attraction of thousands of
    edges: the original algorithm has a frame for that. Here the frame is a
    density: whenever the component shrinks below about ``density`` nodes per
    unit area, it is scaled back up around its centroid.
    """
    n = len(pos)
    if n < 3 or iterations <= 0:
        return pos
    cutoff = 3.0 * k
    target_rms = math.sqrt(n / (math.pi * density)) / math.sqrt(2) * k
    t0 = max(1.0, 0.05 * math.sqrt(n)) * k
    for it in range(iterations):
        temp = t0 * (1.0 - it / iterations) + 0.05 * k
        disp = np.zeros_like(pos)
        pairs = cKDTree(pos).query_pairs(cutoff, output_type="ndarray")
        if len(pairs):
            i, j = pairs[:, 0], pairs[:, 1]
            delta = pos[i] - pos[j]
            dist2 = np.maximum((delta * delta).sum(axis=1), 1e-4)
            f = (k * k / dist2)[:, None] * delta  # k²/d along the unit vector
            for axis in (0, 1):
                disp[:, axis] += np.bincount(i, f[:, axis], minlength=n)
                disp[:, axis] -= np.bincount(j, f[:, axis], minlength=n)
        if len(src):
            delta = pos[src] - pos[dst]
            dist = np.sqrt(np.maximum((delta * delta).sum(axis=1), 1e-8))
            f = (dist / k)[:, None] * delta  # d²/k along the unit vector
            for axis in (0, 1):
                disp[:, axis] -= np.bincount(src, f[:, axis], minlength=n)
                disp[:, axis] += np.bincount(dst, f[:, axis], minlength=n)
        length = np.sqrt((disp * disp).sum(axis=1))
        scale = np.minimum(length, temp) / np.maximum(length, 1e-9)
        pos = pos + disp * scale[:, None]
        centre = pos.mean(axis=0)
        rms = math.sqrt(float(((pos - centre) ** 2).sum(axis=1).mean()))
        if 0 < rms < target_rms:
            pos = centre + (pos - centre) * (target_rms / rms)
    return pos


def _pack(boxes: list[tuple[float, float]], gap: float = 2.0) -> list[tuple[float, float]]:
    """Offsets that put boxes (width, height), largest first, on shelves of a near-square."""
    total = sum((w + gap) * (h + gap) for w, h in boxes)
    row_width = max(math.sqrt(total) * 1.2, max((w for w, _ in boxes), default=0.0))
    x = y = shelf = 0.0
    out = []
    for w, h in boxes:
        if x > 0 and x + w > row_width:
            x, y, shelf = 0.0, y + shelf + gap, 0.0
        out.append((x, y))
        x += w + gap
        shelf = max(shelf, h)
    return out


def iterations_for(n: int) -> int:
    """Refinement steps: more for small graphs (cheap), fewer for big ones (time)."""
    if n <= 300:
        return 80
    if n <= 2500:
        return 60
    return 30


def fast_layout(g: nx.Graph, *, center: Hashable | None = None,
                iterations: int | None = None, scale: float = 1.0) -> dict[Hashable, Position]:
    """Positions for every node of ``g`` (directions and parallel edges are ignored).

    Args:
        g: Any networkx graph.
        center: A node to put at the origin with the others on rings around it.
        iterations: Force refinement steps (default: :func:`iterations_for`).
        scale: Multiplies the coordinates (the ideal edge length is ``scale``).

    Returns:
        ``{node: (x, y)}``; deterministic for a given graph.
    """
    return layout_edges(list(g.nodes()), g.edges(), center=center, iterations=iterations,
                        scale=scale)


def layout_edges(nodes: Iterable[Hashable], edges: Iterable[tuple[Hashable, Hashable]], *,
                 center: Hashable | None = None, iterations: int | None = None,
                 scale: float = 1.0) -> dict[Hashable, Position]:
    """:func:`fast_layout` of nodes and (undirected) node pairs, without a networkx graph.

    Building an ``nx.Graph`` of 10,000 edges only to read it back costs more
    than the layout itself.
    """
    nodes = sorted(set(nodes), key=str)
    n = len(nodes)
    if n == 0:
        return {}
    index = {u: i for i, u in enumerate(nodes)}
    src, dst = _edge_arrays(edges, index)
    pos = np.zeros((n, 2))
    nbrs = _neighbours(n, src, dst)
    comps = _components(n, src, dst)
    root_idx = index.get(center) if center is not None else None
    steps = iterations_for(n) if iterations is None else iterations
    comp_set = [set(c.tolist()) for c in comps] if root_idx is not None else []
    for ci, comp in enumerate(comps):
        if root_idx is not None and root_idx in comp_set[ci] and len(comp) <= RING_MAX:
            _radial(root_idx, nbrs, pos)
        elif len(comp) >= 8:
            pos[comp] = _disc(len(comp), seed=len(comp))
        else:
            _radial(max(comp.tolist(), key=lambda i: (len(nbrs[i]), -i)), nbrs, pos)
        if len(comp) >= 3:
            local = np.full(n, -1, dtype=np.int64)
            local[comp] = np.arange(len(comp))
            inside = local[src] >= 0  # an edge lies inside one component or none
            pos[comp] = _refine(pos[comp], local[src[inside]], local[dst[inside]], steps)
    if len(comps) > 1:
        # pack the components side by side; the centre's component stays at the origin
        boxes: list[tuple[float, float]] = []
        for comp in comps:
            lo, hi = pos[comp].min(axis=0), pos[comp].max(axis=0)
            boxes.append((float(hi[0] - lo[0]) + 1.0, float(hi[1] - lo[1]) + 1.0))
        for comp, (ox, oy) in zip(comps, _pack(boxes), strict=True):
            pos[comp] = pos[comp] - pos[comp].min(axis=0) + np.array([ox, oy])
    if root_idx is not None:
        pos = pos - pos[root_idx]
    else:
        pos = pos - (pos.min(axis=0) + pos.max(axis=0)) / 2
    pos *= scale
    return {u: (round(float(pos[i, 0]), 3), round(float(pos[i, 1]), 3))
            for i, u in enumerate(nodes)}


def structure_key(nodes: Iterable[Hashable], edges: Iterable[tuple[Hashable, Hashable]], *,
                  center: Hashable | None = None, extra: Iterable[str] = ()) -> str:
    """A digest of what the layout depends on: nodes, undirected edges, centre, version."""
    h = hashlib.blake2b(digest_size=16)
    h.update(LAYOUT_VERSION.encode())
    h.update(repr(center).encode())
    for part in extra:
        h.update(part.encode())
    h.update("\x00".join(sorted(map(str, nodes))).encode())
    h.update(b"\x01")
    pairs = {(a, b) if a <= b else (b, a) for a, b in ((str(u), str(v)) for u, v in edges)}
    h.update("\x00".join(f"{a}\x02{b}" for a, b in sorted(pairs)).encode())
    return h.hexdigest()


class LayoutCache:
    """Least-recently-used layouts by :func:`structure_key`; safe across threads.

    Args:
        size: How many layouts to keep.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[str, dict[Hashable, Position]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def layout(self, g: nx.Graph, *, center: Hashable | None = None,
               scale: float = 1.0) -> dict[Hashable, Position]:
        """The cached layout of ``g`` (see :func:`fast_layout`), computed on a miss."""
        return self.layout_edges(list(g.nodes()), list(g.edges()), center=center, scale=scale)

    def layout_edges(self, nodes: list[Hashable], edges: list[tuple[Hashable, Hashable]], *,
                     center: Hashable | None = None,
                     scale: float = 1.0) -> dict[Hashable, Position]:
        """The cached :func:`layout_edges`, computed on a miss."""
        key = structure_key(nodes, edges, center=center, extra=(f"scale={scale}",))
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found
        pos = layout_edges(nodes, edges, center=center, scale=scale)
        with self._lock:
            self.misses += 1
            self._items[key] = pos
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return pos

    def clear(self) -> None:
        """Forget every layout (benchmarks measure cold requests)."""
        with self._lock:
            self._items.clear()


LAYOUTS = LayoutCache()
"""The process-wide cache used by the views unless one is passed."""
