"""Opinion groups by replaying a conversation's votes through Pol.is's stateful updates.

:func:`.groups.find_groups` clusters the final vote matrix once.  Pol.is does not: its math
worker updates the conversation each time new votes arrive, and several of its results depend
on that history (people once placed stay placed; PCA and both k-means stages start from the
previous update's answer; the number of groups changes only after it has been the best for
several updates).  :func:`replay_groups` replays a timestamped vote log in time order through
successive updates and carries that state from one update to the next.  Every rule below
names its source in compdemocracy/polis ``math/src/polismath`` (read at commit 08e03eb,
2024-10-23); nothing of that code is copied.

Update schedule
    Pol.is's poller asks the database every second for votes created since the last one it
    saw (``components/config.clj``, ``:poller :votes :polling-interval`` 1000 ms;
    ``poller.clj``) and runs one ``conversation/conv-update`` on each conversation with new
    votes, with every vote queued meanwhile (``conv_man.clj``, ``go-act!`` and
    ``take-all!``).  The replay cuts the log into windows of ``interval_ms`` (default one
    second, as the poller) counted from the first vote, and runs one update per window that
    has votes; ``n_updates`` instead cuts it into that many batches of equal vote counts.
    Within a batch votes are taken in the order of Pol.is's poll query, by comment, then
    participant, then time (``components/postgres.clj``, ``conv-poll``: ``order-by [:zid
    :tid :pid :created]``), which decides the order in which new participants and comments
    join the matrix (``named_matrix.clj``, ``update-nmat`` appends them).
Rating matrix (conversation.clj, ``:raw-rating-mat``, ``:rating-mat``; named_matrix.clj,
``zero-out-columns``)
    The latest vote wins.  Moderated-out and meta comments (the ``excluded`` statements)
    stay in the matrix with *every* cell set to 0 (for people who never saw them too), so
    they count as a pass for everyone in the projection below.  Departure: Pol.is applies
    moderation when it happens; the export records only the final state, which the replay
    applies from the start.
In-conversation set (conversation.clj, ``:in-conv`` and ``:user-vote-counts``)
    A participant joins once their number of votes in the raw matrix (moderated-out comments
    included) is at least ``min(7, number of comments in the matrix)``, and never leaves.
    While fewer than 15 are in, the most active others join until there are 15.  Departure:
    ties in vote count are broken by order of arrival (Pol.is takes them in hash-map order).
PCA (conversation.clj, ``:mat``, ``:pca``; pca.clj, ``wrapped-pca``, ``powerit-pca``,
``power-iteration``, ``xtxr``, ``factor-matrix``)
    Missing cells take the comment's mean vote; the matrix of every participant is centred
    on those means; two components are found by power iteration (at most 100 iterations),
    the second on the matrix with the first factored out.  Departure: Pol.is stops early
    only when the eigenvalue estimate repeats exactly; the replay stops when it changes by
    less than 1e-10 of itself.  Each update starts from the previous update's components,
    with 1 for comments new since then; the first update starts from uniform random vectors
    drawn with ``seed`` (Pol.is uses an unseeded ``rand``: the one random step).  A matrix
    of one row or one column is handled as ``wrapped-pca`` does.  Departure: past 10,000
    participants Pol.is switches to mini-batch PCA on random samples
    (``large-conv-update``); the replay keeps full power iteration.
Projection (pca.clj, ``sparsity-aware-project-ptpt``)
    Each participant is projected on their own votes (moderated-out comments count as 0
    votes, see above), scaled by ``sqrt(comments / votes)``.
k-means (clusters.clj, ``kmeans``, ``clean-start-clusters``, ``init-clusters``,
``cluster-step``, ``same-clustering?``, ``most-distal``, ``uniqify-clusters``)
    Without previous clusters, the first k distinct points (in matrix order) are the centres.
    With them, each previous cluster is re-centred on its previous members' new positions
    (clusters whose members are gone are dropped; clusters with identical centres merge),
    then, while there are fewer clusters than ``min(k, distinct points)``, the point farthest
    from every centre becomes a new cluster.  Then Lloyd steps (nearest centre, empty
    clusters dropped, weighted means) until the sorted centres move less than 0.01 or the
    iterations run out.  Departure: a point equidistant from two centres goes to the first
    (past 50,000 point-centre pairs the nearest centre comes from a k-d tree, whose choice
    between exact ties is fixed but not the first); Pol.is takes them in hash-map order.
Base clusters (conversation.clj, ``:base-clusters``)
    k-means with k = 100 and at most 100 iterations over the in-conversation participants'
    projections, warm-started from the previous base clusters.
Groups (conversation.clj, ``:group-clusterings``, ``max-k-fn``,
``:group-clusterings-silhouettes``; clusters.clj, ``silhouette``)
    For each k from 2 to ``min(5, 2 + base clusters // 12)``, k-means of the base-cluster
    centres weighted by their sizes, warm-started from the previous update's clustering with
    the same k.  Pol.is passes ``:cluster-iters``, which ``kmeans`` does not read, so these
    run its default of at most 20 iterations; the replay does the same.  Each clustering is
    scored by the mean silhouette of the base clusters (unweighted; a base cluster alone in
    its group scores 0).
Choice of k (conversation.clj, ``:group-k-smoother``, ``:group-k-buffer`` 4)
    The k with the best silhouette (the largest k among ties) becomes the groups' k only
    after it has been the best in 4 consecutive updates; until then the previous k stays
    (the first update takes its best k at once).

Beyond the data: the exported ``group-id`` is Pol.is's state when the export was made, and
that state may itself come from a restart (``conv_man.clj``, ``load-or-init``, which reloads
the last clusters but not the clusterings for every k nor the k smoother) or from a
recompute of all votes in one update (``darwin/export.clj``, ``get-export-data-at-time``).
The replay cannot know when either happened; ``docs/adr/0010-polis-replay.md`` records how
close it comes.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from whatworks_analytics.deliberation.groups import (
    GroupResult,
    PCAResult,
    _canonical_labels,
    _groups_from_rows,
)
from whatworks_analytics.deliberation.matrix import (
    DeliberationInputError,
    VoteMatrix,
    build_matrix,
)
from whatworks_analytics.deliberation.polis_io import PolisExport

__all__ = [
    "BASE_ITERS",
    "BASE_K",
    "DEFAULT_INTERVAL_MS",
    "GROUP_ITERS",
    "GROUP_K_BUFFER",
    "MAX_K",
    "PCA_ITERS",
    "STATE_FORMAT",
    "ReplayState",
    "replay_groups",
    "update_batches",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_INTERVAL_MS = 1_000
PCA_ITERS = 100
BASE_K = 100
BASE_ITERS = 100
GROUP_ITERS = 20
MAX_K = 5
GROUP_K_BUFFER = 4
MIN_VOTES = 7
GREEDY_N = 15
_SAME_THRESHOLD = 0.01
_DENSE_CELLS = 2_000_000
_EIG_TOLERANCE = 1e-10
_NONE = 2  # no vote in the int8 latest-vote matrix
_DENSE_DISTANCES = 50_000


def update_batches(
    timestamp: npt.ArrayLike,
    *,
    interval_ms: int | None = DEFAULT_INTERVAL_MS,
    n_updates: int | None = None,
) -> IntArray:
    """Batch number of each vote (0, 1, ... in time order): by ``interval_ms`` windows from
    the first vote, or, with ``n_updates``, into that many batches of equal vote counts."""
    ts = np.asarray(timestamp, dtype=np.int64)
    if ts.size == 0:
        return np.zeros(0, dtype=np.int64)
    if n_updates is not None:
        if n_updates < 1:
            raise ValueError("n_updates must be at least 1")
        order = np.argsort(ts, kind="stable")
        rank = np.empty(ts.size, dtype=np.int64)
        rank[order] = np.arange(ts.size)
        batch = rank * n_updates // ts.size
        # votes with the same timestamp belong to the same poll, hence the same batch
        first_of_time = np.minimum.reduceat(batch[order], _runs(ts[order]))
        batch[order] = np.repeat(first_of_time, np.diff(np.append(_runs(ts[order]), ts.size)))
    else:
        if interval_ms is None or interval_ms < 1:
            raise ValueError("interval_ms must be at least 1")
        batch = (ts - ts.min()) // interval_ms
    _, dense = np.unique(batch, return_inverse=True)
    return dense.reshape(-1).astype(np.int64)


def _runs(sorted_values: IntArray) -> IntArray:
    starts = np.flatnonzero(np.diff(sorted_values)) + 1
    return np.concatenate([[0], starts]).astype(np.int64)


@dataclass
class _Clusters:
    """A clustering: cluster ``ids``, their ``centres`` (k x 2) and, for each clustered key
    (a participant row, or a base-cluster id), the position of its cluster in ``ids``."""

    ids: IntArray
    centres: FloatArray
    keys: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    label: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def sizes(self) -> IntArray:
        """Number of keys in each cluster."""
        return np.bincount(self.label, minlength=len(self.ids)).astype(np.int64)


def _means(
    points: FloatArray, label: IntArray, n_clusters: int, weights: FloatArray | None
) -> tuple[FloatArray, FloatArray]:
    """(Weighted) mean of the points of each cluster (label -1: no cluster), and the totals."""
    inside = label >= 0
    w = np.ones(len(points)) if weights is None else weights
    totals = np.bincount(label[inside], weights=w[inside], minlength=n_clusters)
    sums = np.stack(
        [
            np.bincount(label[inside], weights=w[inside] * points[inside, j], minlength=n_clusters)
            for j in range(points.shape[1])
        ],
        axis=1,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.asarray(sums / totals[:, None], dtype=np.float64)
    return means, np.asarray(totals, dtype=np.float64)


def _distinct_rows(points: FloatArray) -> IntArray:
    """Index of the first occurrence of each distinct row, in data order."""
    _, first = np.unique(points, axis=0, return_index=True)
    return np.sort(first).astype(np.int64)


def _sq_dist(points: FloatArray, centres: FloatArray) -> FloatArray:
    out = np.zeros((len(points), len(centres)))
    for j in range(points.shape[1]):
        diff = np.subtract.outer(points[:, j], centres[:, j])
        out += diff * diff
    return out


def _nearest(points: FloatArray, centres: FloatArray) -> tuple[IntArray, FloatArray]:
    """Each point's nearest centre and the squared distance to it (a k-d tree for many)."""
    if len(points) * len(centres) <= _DENSE_DISTANCES:
        d = _sq_dist(points, centres)
        nearest = np.argmin(d, axis=1).astype(np.int64)
        return nearest, d[np.arange(len(points)), nearest]
    from scipy.spatial import cKDTree

    dist, nearest = cKDTree(centres).query(points, k=1)
    return np.asarray(nearest, dtype=np.int64), np.asarray(dist, dtype=np.float64) ** 2


def _same(a: FloatArray, b: FloatArray) -> bool:
    # clusters.clj same-clustering?: sort the centres, zip (shorter length), all within 0.01
    sa = a[np.lexsort(a.T[::-1])]
    sb = b[np.lexsort(b.T[::-1])]
    n = min(len(sa), len(sb))
    return bool(np.all(np.linalg.norm(sa[:n] - sb[:n], axis=1) < _SAME_THRESHOLD))


def _step(
    points: FloatArray, keys: IntArray, clusters: _Clusters, weights: FloatArray | None
) -> _Clusters:
    """clusters.clj cluster-step: nearest centre, drop empty clusters, (weighted) means."""
    nearest, _ = _nearest(points, clusters.centres)
    counts = np.bincount(nearest, minlength=len(clusters.ids))
    kept = np.flatnonzero(counts > 0)
    renumber = np.full(len(clusters.ids), -1, dtype=np.int64)
    renumber[kept] = np.arange(len(kept))
    label = renumber[nearest]
    centres, _ = _means(points, label, len(kept), weights)
    return _Clusters(clusters.ids[kept], centres, keys, label)


def _compact(ids: list[int], label: IntArray) -> tuple[list[int], IntArray]:
    """Drop clusters without points and renumber the labels."""
    used = np.bincount(label[label >= 0], minlength=len(ids)) > 0
    renumber = np.full(len(ids), -1, dtype=np.int64)
    renumber[used] = np.arange(int(used.sum()))
    out = np.where(label >= 0, renumber[np.maximum(label, 0)], -1)
    return [cid for cid, u in zip(ids, used.tolist(), strict=True) if u], out


def _clean_start(
    points: FloatArray,
    keys: IntArray,
    last: _Clusters,
    k: int,
    weights: FloatArray | None,
) -> tuple[list[int], FloatArray]:
    """clusters.clj clean-start-clusters (with safe-recenter-clusters, uniqify-clusters,
    recenter-clusters and most-distal): starting ids and centres."""
    size = int(max(keys.max(initial=-1), last.keys.max(initial=-1))) + 1
    position = np.full(size, -1, dtype=np.int64)
    position[keys] = np.arange(len(keys))
    label = np.full(len(keys), -1, dtype=np.int64)
    where = position[last.keys]
    label[where[where >= 0]] = last.label[where >= 0]
    ids, label = _compact(last.ids.tolist(), label)
    if not ids:
        centre = _means(points, np.zeros(len(points), dtype=np.int64), 1, weights)[0]
        return [int(last.ids.max(initial=-1)) + 1], centre
    centres, _ = _means(points, label, len(ids), weights)
    # uniqify-clusters: a cluster whose centre equals an earlier one's merges into it, keeping
    # the id of the one with more members (the later one on a tie)
    counts = np.bincount(label[label >= 0], minlength=len(ids))
    seen: dict[tuple[float, ...], int] = {}
    target = np.arange(len(ids))
    for i in range(len(ids)):
        key = tuple(centres[i].tolist())
        if key in seen:
            j = seen[key]
            if counts[j] <= counts[i]:
                ids[j] = ids[i]
            counts[j] += counts[i]
            target[i] = j
        else:
            seen[key] = i
    label = np.where(label >= 0, target[np.maximum(label, 0)], -1)
    ids, label = _compact(ids, label)
    possible = min(k, len(_distinct_rows(points)))
    while True:
        centres, _ = _means(points, label, len(ids), weights)
        if possible <= len(ids):
            break
        dist = np.sqrt(_nearest(points, centres)[1])
        far = len(dist) - 1 - int(np.argmax(dist[::-1]))  # max-key keeps the last maximum
        if dist[far] <= 0:
            break
        ids.append(max(ids) + 1)
        label[far] = len(ids) - 1
        # a cluster whose only member left would have no centre: drop it
        ids, label = _compact(ids, label)
    return ids, centres


def _kmeans(
    points: FloatArray,
    keys: IntArray,
    k: int,
    *,
    last: _Clusters | None,
    max_iters: int,
    weights: FloatArray | None = None,
) -> _Clusters:
    """clusters.clj kmeans: warm start (or the first k distinct points), then Lloyd steps."""
    if last is not None and len(last.ids):
        ids, centres = _clean_start(points, keys, last, k, weights)
        clusters = _Clusters(np.array(ids, dtype=np.int64), centres)
    else:
        first = _distinct_rows(points)[:k]
        clusters = _Clusters(np.arange(len(first), dtype=np.int64), points[first].copy())
    iters = max_iters
    while True:
        new = _step(points, keys, clusters, weights)
        if iters == 0 or _same(clusters.centres, new.centres):
            order = np.argsort(new.ids, kind="stable")
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            return _Clusters(new.ids[order], new.centres[order], new.keys, rank[new.label])
        clusters = new
        iters -= 1


def _silhouette(centres: FloatArray, clustering: _Clusters) -> float:
    """clusters.clj silhouette over base clusters (``centres`` in the order of the
    clustering's keys): mean over the clustered points; a singleton scores 0."""
    dist = np.sqrt(_sq_dist(centres, centres))
    label = clustering.label
    n_groups = len(clustering.ids)
    counts = np.bincount(label, minlength=n_groups).astype(np.float64)
    if n_groups < 2:  # pragma: no cover - one group only; Pol.is's update fails here
        return 0.0
    onehot = np.zeros((len(label), n_groups))
    onehot[np.arange(len(label)), label] = 1.0
    sums = dist @ onehot
    own_n = counts[label] - 1
    a = np.divide(
        sums[np.arange(len(label)), label], own_n, out=np.zeros(len(label)), where=own_n > 0
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        other = sums / counts[None, :]
    other[np.arange(len(label)), label] = np.inf
    b = other.min(axis=1)
    top = np.maximum(a, b)
    score = np.divide(b - a, top, out=np.zeros(len(label)), where=top > 0)
    score[own_n == 0] = 0.0
    return float(score.mean()) if len(score) else 0.0


class _Operator:
    """The centred, mean-imputed matrix C without forming it densely: missing cells of C are
    0, so ``C = R - V diag(center)`` with R the votes (0 where none) and V the 0/1 voted
    mask, or, for large matrices, C as a sparse matrix of the voted cells."""

    def __init__(self, latest: npt.NDArray[np.int8], kept: BoolArray, center: FloatArray) -> None:
        n, m = latest.shape
        self.sparse: sp.csr_matrix | None = None
        self.votes = self.voted = np.zeros((0, 0))
        if n * m > _DENSE_CELLS:
            r, c = np.nonzero((latest != _NONE) & kept[None, :])
            data = latest[r, c].astype(np.float64) - center[c]
            self.sparse = sp.csr_matrix((data, (r, c)), shape=(n, m))
            self.sparse_t = self.sparse.T.tocsr()
        else:
            mask = (latest != _NONE) & kept[None, :]
            self.voted = mask.astype(np.float64)
            self.votes = np.where(mask, latest, 0).astype(np.float64)
        self.center = center

    def mul(self, v: FloatArray) -> FloatArray:
        """C @ v (v: m, or m x j)."""
        if self.sparse is not None:
            return np.asarray(self.sparse @ v)
        shift = self.center * v if v.ndim == 1 else self.center[:, None] * v
        return np.asarray(self.votes @ v - self.voted @ shift)

    def xtx(self, v: FloatArray) -> FloatArray:
        u = self.mul(v)
        if self.sparse is not None:
            return np.asarray(self.sparse_t @ u).reshape(-1)
        return np.asarray(self.votes.T @ u - self.center * (self.voted.T @ u))


def _power_iteration(
    op: _Operator, start: FloatArray, iters: int, deflate: FloatArray | None
) -> tuple[FloatArray, float]:
    """pca.clj power-iteration on C (or on C with ``deflate`` factored out)."""
    vector = start
    last = 0.0
    eig = 0.0
    for remaining in range(iters, -1, -1):
        if deflate is None:
            product = op.xtx(vector)
        else:
            projected = vector - deflate * (deflate @ vector)
            product = op.xtx(projected)
            product = product - deflate * (deflate @ product)
        eig = float(np.linalg.norm(product))
        vector = product / eig if eig > 0 else product
        if remaining == 0 or abs(eig - last) <= _EIG_TOLERANCE * eig:
            break
        last = eig
    return vector, eig


class _Replay:
    """The state carried between updates (a Pol.is conversation map, reduced)."""

    def __init__(self, n_rows: int, n_cols: int, excluded: IntArray, seed: int) -> None:
        self.latest = np.full((n_rows, n_cols), _NONE, dtype=np.int8)  # latest vote
        self.row_pid = np.zeros(0, dtype=np.int64)  # participant id of each row, by arrival
        self.col_tid = np.zeros(0, dtype=np.int64)  # statement id of each column, by arrival
        self.n = 0
        self.m = 0
        self.is_excluded = np.zeros(n_cols, dtype=bool)
        self.is_excluded[excluded] = True
        self.col_sum = np.zeros(n_cols)
        self.col_count = np.zeros(n_cols)
        self.raw_counts = np.zeros(n_rows, dtype=np.int64)  # votes, excluded comments too
        self.kept_counts = np.zeros(n_rows, dtype=np.int64)
        self.in_conv = np.zeros(n_rows, dtype=bool)
        self.comps: FloatArray | None = None
        self.center = np.zeros(0)
        self.eigenvalues = np.zeros(0)
        self.projection = np.zeros((0, 2))
        self.base: _Clusters | None = None
        self.clusterings: dict[int, _Clusters] = {}
        self.silhouettes: dict[int, float] = {}
        self.last_k: int | None = None
        self.last_k_count = 0
        self.smoothed_k: int | None = None
        self.rng = np.random.default_rng(seed)

    def grow(self, n_rows: int, n_cols: int) -> None:
        """Room for ``n_rows`` participants and ``n_cols`` comments (new ones: no votes)."""
        old_rows, old_cols = self.latest.shape
        if n_rows <= old_rows and n_cols <= old_cols:
            return
        n_rows, n_cols = max(n_rows, old_rows), max(n_cols, old_cols)
        latest = np.full((n_rows, n_cols), _NONE, dtype=np.int8)
        latest[:old_rows, :old_cols] = self.latest
        self.latest = latest
        pad_cols, pad_rows = (0, n_cols - old_cols), (0, n_rows - old_rows)
        self.is_excluded = np.pad(self.is_excluded, pad_cols)
        self.col_sum = np.pad(self.col_sum, pad_cols)
        self.col_count = np.pad(self.col_count, pad_cols)
        self.raw_counts = np.pad(self.raw_counts, pad_rows)
        self.kept_counts = np.pad(self.kept_counts, pad_rows)
        self.in_conv = np.pad(self.in_conv, pad_rows)

    def exclude(self, excluded: BoolArray) -> None:
        """Set the excluded comments (by column) and recount the sums they change, as
        Pol.is zeroes out the moderated-out comments on each update."""
        changed = excluded != self.is_excluded
        if not changed.any():
            return
        self.is_excluded = excluded.copy()
        if not (self.latest[:, changed] != _NONE).any():
            return  # only comments nobody has voted on yet: no sum changes
        voted = self.latest != _NONE
        kept = voted & ~excluded[None, :]
        self.col_sum = np.where(kept, self.latest, 0).sum(axis=0).astype(np.float64)
        self.col_count = kept.sum(axis=0).astype(np.float64)
        self.kept_counts = kept.sum(axis=1).astype(np.int64)

    def add_votes(self, rows: IntArray, cols: IntArray, values: IntArray) -> None:
        """Latest vote wins (``values`` in time order within each cell)."""
        self.n = max(self.n, int(rows.max()) + 1)
        self.m = max(self.m, int(cols.max()) + 1)
        n_rows, n_cols = self.latest.shape
        cell = rows * n_cols + cols
        _, last_from_end = np.unique(cell[::-1], return_index=True)
        keep = len(cell) - 1 - last_from_end
        rows, cols, values = rows[keep], cols[keep], values[keep].astype(np.int8)
        before = self.latest[rows, cols]
        fresh = before == _NONE
        self.latest[rows, cols] = values
        self.raw_counts += np.bincount(rows[fresh], minlength=n_rows)
        kept = ~self.is_excluded[cols]
        rows, cols, fresh = rows[kept], cols[kept], fresh[kept]
        change = values[kept].astype(np.float64) - np.where(fresh, 0, before[kept])
        self.col_sum += np.bincount(cols, weights=change, minlength=n_cols)
        self.col_count += np.bincount(cols[fresh], minlength=n_cols)
        self.kept_counts += np.bincount(rows[fresh], minlength=n_rows)

    def update(self) -> None:
        n, m = self.n, self.m
        threshold = min(MIN_VOTES, m)
        self.in_conv[:n] |= self.raw_counts[:n] >= threshold
        short = GREEDY_N - int(self.in_conv[:n].sum())
        if short > 0:
            others = np.flatnonzero(~self.in_conv[:n])
            ranked = others[np.argsort(-self.raw_counts[others], kind="stable")]
            self.in_conv[ranked[:short]] = True
        self._pca()
        rows = np.flatnonzero(self.in_conv[:n])
        points = self.projection[rows]
        self.base = _kmeans(points, rows, BASE_K, last=self.base, max_iters=BASE_ITERS)
        base_ids, base_centres = self.base.ids, self.base.centres
        weights = self.base.sizes().astype(np.float64)
        top = min(MAX_K, 2 + len(base_ids) // 12)
        clusterings: dict[int, _Clusters] = {}
        silhouettes: dict[int, float] = {}
        for k in range(2, top + 1):
            clusterings[k] = _kmeans(
                base_centres,
                base_ids,
                k,
                last=self.clusterings.get(k),
                max_iters=GROUP_ITERS,
                weights=weights,
            )
            silhouettes[k] = _silhouette(base_centres, clusterings[k])
        best = max(silhouettes.values())
        this_k = max(k for k, value in silhouettes.items() if value == best)
        same = self.last_k is not None and this_k == self.last_k
        self.last_k_count = self.last_k_count + 1 if same else 1
        self.last_k = this_k
        if self.last_k_count >= GROUP_K_BUFFER or self.smoothed_k is None:
            self.smoothed_k = this_k
        if self.smoothed_k not in clusterings:  # pragma: no cover - fewer base clusters now
            self.smoothed_k = this_k
        self.clusterings, self.silhouettes = clusterings, silhouettes

    def _pca(self) -> None:
        n, m = self.n, self.m
        latest = self.latest[:n, :m]
        count = self.col_count[:m]
        center = np.divide(self.col_sum[:m], count, out=np.zeros(m), where=count > 0)
        comps = np.zeros((2, m))
        eigenvalues = np.zeros(2)
        kept = ~self.is_excluded[:m]
        if n == 1 or m == 1:  # pca.clj wrapped-pca
            if n == 1:
                row = np.where((latest[0] != _NONE) & kept, latest[0], 0).astype(np.float64)
                norm = np.linalg.norm(row)
                comps[0] = row / norm if norm > 0 else row
            else:
                comps[0] = 1.0
            center = np.zeros(m)
        op = _Operator(latest, kept, center)
        if n > 1 and m > 1:
            previous = self.comps
            for i in range(2):
                start = None
                if previous is not None and i < len(previous) and np.any(previous[i] != 0):
                    start = np.concatenate([previous[i], np.ones(m - previous.shape[1])])
                if start is None:
                    start = self.rng.random(m)
                deflate = comps[0] if i == 1 else None
                comps[i], eigenvalues[i] = _power_iteration(op, start, PCA_ITERS, deflate)
        self.comps, self.center, self.eigenvalues = comps, center, eigenvalues
        # sparsity-aware projection: own votes only; excluded comments count as 0 votes
        n_excluded = int(self.is_excluded[:m].sum())
        n_votes = self.kept_counts[:n] + n_excluded
        scale = np.sqrt(m / np.maximum(n_votes, 1))
        self.projection = op.mul(comps.T) * scale[:, None]


def replay_groups(
    *,
    participant: npt.ArrayLike,
    statement: npt.ArrayLike,
    vote: npt.ArrayLike,
    timestamp: npt.ArrayLike,
    excluded: Iterable[int] = (),
    matrix: VoteMatrix | None = None,
    interval_ms: int | None = DEFAULT_INTERVAL_MS,
    n_updates: int | None = None,
    seed: int = 0,
) -> GroupResult:
    """Replay the vote log through Pol.is's successive updates and return the last groups.

    ``participant``, ``statement``, ``vote`` and ``timestamp`` (milliseconds) are the vote
    log; ``excluded`` the moderated-out and meta statements.  ``matrix`` (default: built
    from the log without the excluded statements) decides the rows of the result's
    ``labels`` and ``projection`` and the columns of its ``pca``.  Updates run per
    ``interval_ms`` window, or as ``n_updates`` equal batches (see the module docstring);
    ``seed`` draws the first PCA start vectors.  Groups are numbered by size, largest first,
    and ``silhouettes`` are the last update's.
    """
    excluded_ids = np.unique(np.fromiter(excluded, dtype=np.int64))
    if matrix is None:
        matrix = build_matrix(
            participant=participant,
            statement=statement,
            vote=vote,
            timestamp=timestamp,
            rejected=excluded_ids.tolist(),
        )
    pid = np.asarray(participant, dtype=np.int64)
    tid = np.asarray(statement, dtype=np.int64)
    val = np.asarray(vote, dtype=np.int64)
    ts = np.asarray(timestamp, dtype=np.int64)
    if not (len(pid) == len(tid) == len(val) == len(ts)):
        raise DeliberationInputError(["participant, statement, vote and timestamp must align"])
    n_rows = matrix.shape[0]
    if len(pid) == 0:
        empty = np.full(n_rows, -1, dtype=np.int64)
        return GroupResult(groups=(), labels=empty, silhouettes={})
    batch = update_batches(ts, interval_ms=interval_ms, n_updates=n_updates)
    state = _Replay(0, 0, np.zeros(0, dtype=np.int64), seed)
    _advance(state, pid, tid, val, ts, batch, excluded_ids)
    return _result(matrix, state)


def _arrival_codes(known: IntArray, values: IntArray) -> tuple[IntArray, IntArray]:
    """Each value's position among ``known`` ids (by arrival), unseen ids appended in order
    of first appearance in ``values``: (codes, the ids by arrival afterwards)."""
    uniq, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    sorter = np.argsort(known, kind="stable")
    where = np.searchsorted(known, uniq, sorter=sorter)
    where = np.minimum(where, max(len(known) - 1, 0))
    found = known[sorter[where]] == uniq if len(known) else np.zeros(len(uniq), dtype=bool)
    code = np.empty(len(uniq), dtype=np.int64)
    code[found] = sorter[where[found]]
    fresh = np.flatnonzero(~found)
    fresh = fresh[np.argsort(first[fresh], kind="stable")]
    code[fresh] = len(known) + np.arange(len(fresh))
    ids = np.concatenate([known, uniq[fresh]]).astype(np.int64)
    return code[inverse.reshape(-1)], ids


def _advance(
    state: _Replay,
    pid: IntArray,
    tid: IntArray,
    val: IntArray,
    ts: IntArray,
    batch: IntArray,
    excluded_ids: IntArray,
) -> int:
    """Run one update per batch (batch numbers ascending in time) on these votes; return
    the number of updates."""
    # Pol.is's poll order within a batch: comment, participant, time (then log position);
    # one stable sort by time, then one by (batch, comment, participant)
    _, pid_code = np.unique(pid, return_inverse=True)
    col_ids, tid_code = np.unique(tid, return_inverse=True)
    by_time = np.argsort(ts, kind="stable")
    n_pid = int(pid_code.max()) + 1
    key = (batch * len(col_ids) + tid_code.reshape(-1)) * n_pid + pid_code.reshape(-1)
    order = by_time[np.argsort(key[by_time], kind="stable")]
    pid, tid, val, batch = pid[order], tid[order], val[order], batch[order]
    rows, state.row_pid = _arrival_codes(state.row_pid, pid)
    cols, state.col_tid = _arrival_codes(state.col_tid, tid)
    state.grow(len(state.row_pid), len(state.col_tid))
    state.exclude(np.isin(state.col_tid, excluded_ids))
    cuts = np.flatnonzero(np.diff(batch)) + 1
    chunks = np.split(np.arange(len(batch)), cuts)
    for chunk in chunks:
        state.add_votes(rows[chunk], cols[chunk], val[chunk])
        state.update()
    return len(chunks)


#: Version of :meth:`ReplayState.to_bytes`'s layout; a stored state of another version is
#: not read (rebuild it by replaying the whole log).
STATE_FORMAT = 1

_STATE_ARRAYS = (
    "latest", "row_pid", "col_tid", "is_excluded", "col_sum", "col_count", "raw_counts",
    "kept_counts", "in_conv", "center", "eigenvalues", "projection",
)  # fmt: skip


class ReplayState:
    """Pol.is's conversation state between updates, for a platform that receives the votes
    a few at a time: :meth:`step` runs the updates for the votes that arrived since the last
    step, :meth:`groups` gives the groups as :func:`replay_groups` would, and
    :meth:`to_bytes` / :meth:`from_bytes` store the state between steps.

    Steps run one update per ``interval_ms`` window counted from the first vote, as
    :func:`replay_groups` does; a vote whose window has already been updated (it arrived
    after that update) goes into the step's first update, as Pol.is's poller takes every
    vote created since its last poll.  So votes stepped in time order, cut at window
    boundaries, give exactly the result of :func:`replay_groups` over the whole log.
    """

    def __init__(self, *, seed: int = 0, interval_ms: int = DEFAULT_INTERVAL_MS) -> None:
        if interval_ms < 1:
            raise ValueError("interval_ms must be at least 1")
        self.seed = seed
        self.interval_ms = interval_ms
        self.origin_ms: int | None = None
        self.last_window = -1
        self.n_updates = 0
        self.n_votes = 0
        self._state = _Replay(0, 0, np.zeros(0, dtype=np.int64), seed)

    def step(
        self,
        *,
        participant: npt.ArrayLike,
        statement: npt.ArrayLike,
        vote: npt.ArrayLike,
        timestamp: npt.ArrayLike,
        excluded: Iterable[int] = (),
    ) -> int:
        """Take the votes that arrived since the last step (``timestamp`` in milliseconds)
        with the current ``excluded`` statements; return the number of updates run."""
        pid = np.asarray(participant, dtype=np.int64).reshape(-1)
        tid = np.asarray(statement, dtype=np.int64).reshape(-1)
        val = np.asarray(vote, dtype=np.int64).reshape(-1)
        ts = np.asarray(timestamp, dtype=np.int64).reshape(-1)
        if not (len(pid) == len(tid) == len(val) == len(ts)):
            raise DeliberationInputError(["participant, statement, vote and timestamp must align"])
        if len(pid) == 0:
            return 0
        if self.origin_ms is None:
            self.origin_ms = int(ts.min())
        window = np.maximum((ts - self.origin_ms) // self.interval_ms, self.last_window + 1)
        _, batch = np.unique(window, return_inverse=True)
        excluded_ids = np.unique(np.fromiter(excluded, dtype=np.int64))
        updates = _advance(
            self._state, pid, tid, val, ts, batch.reshape(-1).astype(np.int64), excluded_ids
        )
        self.last_window = int(window.max())
        self.n_updates += updates
        self.n_votes += len(pid)
        return updates

    def groups(self, matrix: VoteMatrix) -> GroupResult:
        """The groups of the last update for ``matrix``'s participants and statements (every
        participant of ``matrix`` must have been stepped); none before the first step."""
        if self.n_updates == 0:
            empty = np.full(matrix.shape[0], -1, dtype=np.int64)
            return GroupResult(groups=(), labels=empty, silhouettes={})
        return _result(matrix, self._state)

    def to_bytes(self) -> bytes:
        """The state as bytes (a zlib-compressed ``.npz``), for :meth:`from_bytes`."""
        state = self._state
        arrays: dict[str, Any] = {name: getattr(state, name) for name in _STATE_ARRAYS}
        if state.comps is not None:
            arrays["comps"] = state.comps
        clusterings = {"base": state.base} if state.base is not None else {}
        clusterings.update({str(k): c for k, c in state.clusterings.items()})
        for name, clusters in clusterings.items():
            for part in ("ids", "centres", "keys", "label"):
                arrays[f"clusters_{name}_{part}"] = getattr(clusters, part)
        meta = {
            "format": STATE_FORMAT,
            "seed": self.seed,
            "interval_ms": self.interval_ms,
            "origin_ms": self.origin_ms,
            "last_window": self.last_window,
            "n_updates": self.n_updates,
            "n_votes": self.n_votes,
            "n": state.n,
            "m": state.m,
            "clusterings": sorted(clusterings),
            "silhouettes": {str(k): v for k, v in state.silhouettes.items()},
            "last_k": state.last_k,
            "last_k_count": state.last_k_count,
            "smoothed_k": state.smoothed_k,
            "rng": state.rng.bit_generator.state,
        }
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        # zlib's fastest level: the latest-vote matrix is mostly "no vote" and shrinks as
        # much as at the default level, several times faster
        return zlib.compress(buffer.getvalue(), 1)

    @classmethod
    def from_bytes(cls, data: bytes) -> ReplayState:
        """The state :meth:`to_bytes` wrote (``ValueError`` for another format)."""
        with np.load(io.BytesIO(zlib.decompress(data)), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode())
        if meta.get("format") != STATE_FORMAT:
            raise ValueError(f"replay state format {meta.get('format')}, not {STATE_FORMAT}")
        out = cls(seed=meta["seed"], interval_ms=meta["interval_ms"])
        out.origin_ms, out.last_window = meta["origin_ms"], meta["last_window"]
        out.n_updates, out.n_votes = meta["n_updates"], meta["n_votes"]
        state = out._state
        for name in _STATE_ARRAYS:
            setattr(state, name, arrays[name])
        state.comps = arrays.get("comps")
        state.n, state.m = meta["n"], meta["m"]
        clusterings = {
            name: _Clusters(*(arrays[f"clusters_{name}_{part}"] for part in ("ids", "centres")),
                            *(arrays[f"clusters_{name}_{part}"] for part in ("keys", "label")))
            for name in meta["clusterings"]
        }  # fmt: skip
        state.base = clusterings.pop("base", None)
        state.clusterings = {int(k): c for k, c in clusterings.items()}
        state.silhouettes = {int(k): float(v) for k, v in meta["silhouettes"].items()}
        state.last_k, state.last_k_count = meta["last_k"], meta["last_k_count"]
        state.smoothed_k = meta["smoothed_k"]
        state.rng.bit_generator.state = meta["rng"]
        return out


def replay_export(
    export: PolisExport,
    *,
    matrix: VoteMatrix | None = None,
    interval_ms: int | None = DEFAULT_INTERVAL_MS,
    n_updates: int | None = None,
    seed: int = 0,
) -> GroupResult:
    """:func:`replay_groups` on a Pol.is export's vote log, its rejected and meta comments
    excluded; ``matrix`` defaults to ``export.matrix()``."""
    votes = export.votes
    return replay_groups(
        participant=votes["pid"].to_numpy(),
        statement=votes["tid"].to_numpy(),
        vote=votes["vote"].to_numpy(),
        timestamp=votes["timestamp"].to_numpy(),
        excluded=[*export.rejected, *export.meta],
        matrix=export.matrix() if matrix is None else matrix,
        interval_ms=interval_ms,
        n_updates=n_updates,
        seed=seed,
    )


def _result(matrix: VoteMatrix, state: _Replay) -> GroupResult:
    assert state.base is not None and state.smoothed_k is not None
    # replay row of each matrix participant (every matrix participant is in the log)
    row_sorter = np.argsort(state.row_pid, kind="stable")
    found = np.searchsorted(state.row_pid, matrix.participant_ids, sorter=row_sorter)
    replay_row = row_sorter[found]
    base, groups = state.base, state.clusterings[state.smoothed_k]
    group_of_base = np.full(int(base.ids.max(initial=-1)) + 1, -1, dtype=np.int64)
    group_of_base[groups.keys] = groups.label
    labels_by_replay_row = np.full(state.n, -1, dtype=np.int64)
    labels_by_replay_row[base.keys] = group_of_base[base.ids[base.label]]
    raw_labels = labels_by_replay_row[replay_row]
    placed = np.flatnonzero(raw_labels >= 0)
    labels = _canonical_labels(raw_labels[placed], placed, matrix.shape[0])
    projection = state.projection[replay_row]
    projection[matrix.votes_per_participant() == 0] = np.nan
    col_tid = state.col_tid[: state.m]
    col_sorter = np.argsort(col_tid, kind="stable")
    where = np.searchsorted(col_tid, matrix.statement_ids, sorter=col_sorter)
    where = np.minimum(where, max(len(col_tid) - 1, 0))
    if len(col_tid):
        replay_col = col_sorter[where]
        known = col_tid[replay_col] == matrix.statement_ids
    else:
        replay_col = np.zeros(len(matrix.statement_ids), dtype=np.int64)
        known = np.zeros(len(matrix.statement_ids), dtype=bool)
    components = np.where(known[None, :], state.comps[:, replay_col], 0.0)  # type: ignore[index]
    center = np.where(known, state.center[replay_col], 0.0)
    pca = PCAResult(center, components, state.eigenvalues / max(state.n, 1))
    return GroupResult(
        groups=_groups_from_rows(matrix, labels),
        labels=labels,
        silhouettes=dict(state.silhouettes),
        pca=pca,
        projection=projection,
    )
