"""Opinion groups: PCA to two dimensions, then k-means with k chosen by silhouette.

Published steps followed (compdemocracy/polis, ``math/src/polismath/math``; Small et al.,
"Polis: Scaling deliberation by mapping high dimensional opinion spaces", 2021):

* **Who is placed** (conversation.clj, ``:in-conv``): a participant is clustered once they
  have voted on at least ``min(7, number of statements)`` statements; if that leaves fewer
  than 15 participants, the most active remaining voters are added until there are 15.
  :func:`placed_mask` does this, breaking ties in vote count by participant id.
* **PCA** (pca.clj, conversation.clj ``:mat``/``:pca``): missing votes are replaced by the
  statement's mean vote, the matrix is centred on those means and the first two principal
  components are kept.  Departure: Pol.is finds them by power iteration from a random (or
  the previous) start vector; :func:`fit_pca` uses an exact SVD (numpy for small matrices,
  ARPACK ``svds`` with a fixed start vector for large sparse ones), so the result is
  deterministic, and fixes each component's sign so that its largest-magnitude loading is
  positive.  Because imputing the mean and then centring puts exact zeros in the missing
  cells, the centred matrix keeps the vote log's sparsity.
* **Projection** (pca.clj ``sparsity-aware-project-ptpt``): each participant is projected
  using only the statements they voted on, and the projection is scaled by
  ``sqrt(n_statements / n_votes)`` so that people who voted on few statements are not all
  pulled to the centre.  Followed exactly in :func:`project_participants`.
* **Statement extremity** (conversation.clj ``with-proj-and-extremtiy``): each statement is
  projected as if one participant had agreed with it alone; the length of that projection is
  used by comment routing.  :func:`statement_extremity` (sign flipped to the export's
  agree = +1 convention).
* **Clustering** (clusters.clj, conversation.clj ``:base-clusters``, ``:group-clusterings``
  and their silhouettes): placed participants are first grouped into up to 100 "base
  clusters" by k-means on their projections; the base-cluster centres, weighted by their
  member counts, are then clustered by k-means for k from 2 to ``min(5, 2 + number of base
  clusters / 12)``; the k whose clustering has the highest silhouette (computed on the
  base-cluster centres, unweighted, as Pol.is does) wins, and every participant joins their
  base cluster's group.  :func:`base_clusters` and :func:`find_groups`.  Departures: Pol.is
  initialises k-means from the previous update's clusters (or the first k distinct points)
  and iterates a fixed number of times; here scikit-learn's k-means++ is seeded with
  ``seed`` (base clusters: one initialisation; groups: ``n_init=10``), and with at most 100
  distinct positions each distinct position is a base cluster directly.  Pol.is also smooths
  k over successive updates (``group-k-buffer``); this analysis is stateless and does not.
  Groups are numbered by size, largest first (ties by their first member), so the same
  ``(votes, moderation, seed)`` always gives the same groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from whatworks_analytics.deliberation.matrix import DeliberationInputError, VoteMatrix

__all__ = [
    "DEFAULT_BASE_K",
    "DEFAULT_MIN_PARTICIPANTS",
    "DEFAULT_MIN_VOTES",
    "Group",
    "GroupResult",
    "PCAResult",
    "base_clusters",
    "find_groups",
    "fit_pca",
    "groups_from_labels",
    "placed_mask",
    "project_participants",
    "statement_extremity",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_MIN_VOTES = 7
DEFAULT_MIN_PARTICIPANTS = 15
DEFAULT_MAX_K = 5
DEFAULT_BASE_K = 100
_DENSE_SVD_CELLS = 4_000_000


@dataclass(frozen=True, eq=False)
class PCAResult:
    """Statement means (``center``), ``components`` (n_components x statements) and the
    variance each component explains (``explained_variance``, per participant)."""

    center: FloatArray
    components: FloatArray
    explained_variance: FloatArray

    def to_dict(self) -> dict[str, Any]:
        """Plain lists (JSON)."""
        return {
            "center": self.center.tolist(),
            "components": self.components.tolist(),
            "explained_variance": self.explained_variance.tolist(),
        }


@dataclass(frozen=True)
class Group:
    """An opinion group: its ``id`` and its members' participant ids (ascending)."""

    id: int
    members: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"id", "members"}``."""
        return {"id": self.id, "members": list(self.members)}


@dataclass(frozen=True, eq=False)
class GroupResult:
    """Groups found (or given), with ``labels`` per matrix row (-1 = not placed).

    ``silhouettes`` maps each k tried to its silhouette (empty when the groups were given);
    ``pca`` and ``projection`` (rows x 2, NaN for participants without votes) are ``None``
    when the groups were given.
    """

    groups: tuple[Group, ...]
    labels: IntArray
    silhouettes: Mapping[int, float]
    pca: PCAResult | None = None
    projection: FloatArray | None = None

    @property
    def k(self) -> int:
        """Number of groups."""
        return len(self.groups)

    def to_dict(self) -> dict[str, Any]:
        """Groups, k and the silhouettes (JSON)."""
        return {
            "groups": [group.to_dict() for group in self.groups],
            "k": self.k,
            "silhouettes": {str(k): value for k, value in self.silhouettes.items()},
            "n_placed": int((self.labels >= 0).sum()),
        }


def placed_mask(
    matrix: VoteMatrix,
    *,
    min_votes: int = DEFAULT_MIN_VOTES,
    min_participants: int = DEFAULT_MIN_PARTICIPANTS,
) -> npt.NDArray[np.bool_]:
    """Which participants are placed in the opinion map (Pol.is ``:in-conv``).

    Placed: at least ``min(min_votes, number of statements)`` votes on analysed statements.
    If fewer than ``min_participants`` qualify, the most active remaining participants with at
    least one vote are added (ties by participant id) until ``min_participants`` are placed.
    """
    if min_votes < 0 or min_participants < 0:
        raise ValueError("min_votes and min_participants must not be negative")
    counts = matrix.votes_per_participant()
    threshold = max(min(min_votes, matrix.shape[1]), 1)
    placed = counts >= threshold
    shortfall = min_participants - int(placed.sum())
    if shortfall > 0:
        candidates = np.flatnonzero(~placed & (counts > 0))
        # stable sort on descending count keeps ascending participant id among ties
        ranked = candidates[np.argsort(-counts[candidates], kind="stable")]
        placed[ranked[:shortfall]] = True
    return placed


def _centred(matrix: VoteMatrix) -> tuple[sp.csr_matrix, FloatArray]:
    m = matrix.shape[1]
    seen = np.bincount(matrix.col, minlength=m)
    total = np.bincount(matrix.col, weights=matrix.value.astype(np.float64), minlength=m)
    center = np.divide(total, seen, out=np.zeros(m), where=seen > 0)
    return _centred_with(matrix, center)


def fit_pca(matrix: VoteMatrix, *, n_components: int = 2) -> PCAResult:
    """Principal components of the mean-imputed, centred vote matrix (all participants)."""
    n, m = matrix.shape
    centred, center = _centred(matrix)
    k = min(n_components, n, m)
    if k == 0:
        return PCAResult(center, np.zeros((0, m)), np.zeros(0))
    if n * m <= _DENSE_SVD_CELLS or k >= min(n, m):
        _, singular, vt = np.linalg.svd(centred.toarray(), full_matrices=False)
        singular, vt = singular[:k], vt[:k]
    else:
        v0 = np.ones(min(n, m)) / np.sqrt(min(n, m))
        _, singular, vt = svds(centred, k=k, v0=v0, solver="arpack", random_state=0)
        order = np.argsort(-singular, kind="stable")
        singular, vt = singular[order], vt[order]
    biggest = np.argmax(np.abs(vt), axis=1)
    signs = np.sign(vt[np.arange(k), biggest])
    signs[signs == 0] = 1.0
    components = vt * signs[:, None]
    return PCAResult(center, components, singular**2 / max(n, 1))


def project_participants(matrix: VoteMatrix, pca: PCAResult) -> FloatArray:
    """Sparsity-aware projection: own votes only, scaled by sqrt(statements / votes).

    Participants without any vote are at NaN.
    """
    centred, _ = _centred_with(matrix, pca.center)
    raw = np.asarray(centred @ pca.components.T)
    votes = matrix.votes_per_participant()
    scale = np.sqrt(matrix.shape[1] / np.maximum(votes, 1))
    projection = raw * scale[:, None]
    projection[votes == 0] = np.nan
    return projection


def _centred_with(matrix: VoteMatrix, center: FloatArray) -> tuple[sp.csr_matrix, FloatArray]:
    data = matrix.value.astype(np.float64) - center[matrix.col]
    centred = sp.csr_matrix((data, (matrix.row, matrix.col)), shape=matrix.shape)
    return centred, center


def statement_extremity(pca: PCAResult) -> FloatArray:
    """Length of each statement's projection as a lone agree vote (Pol.is comment extremity)."""
    m = pca.components.shape[1]
    lone = (1.0 - pca.center) * np.sqrt(m)
    return np.asarray(np.sqrt(((pca.components * lone[None, :]) ** 2).sum(axis=0)))


def _canonical_labels(labels: IntArray, rows: IntArray, n_rows: int) -> IntArray:
    """Relabel clusters by size (largest first), ties by first member; -1 for unplaced rows."""
    out = np.full(n_rows, -1, dtype=np.int64)
    if labels.size == 0:
        return out
    ids, first, sizes = np.unique(labels, return_index=True, return_counts=True)
    order = np.lexsort((rows[first], -sizes))
    new_id = np.empty(len(ids), dtype=np.int64)
    new_id[order] = np.arange(len(ids))
    out[rows] = new_id[np.searchsorted(ids, labels)]
    return out


def _groups_from_rows(matrix: VoteMatrix, labels: IntArray) -> tuple[Group, ...]:
    placed = np.flatnonzero(labels >= 0)
    if placed.size == 0:
        return ()
    order = placed[np.lexsort((placed, labels[placed]))]
    ids = labels[order]
    cuts = np.flatnonzero(np.diff(ids)) + 1
    groups = []
    for chunk in np.split(order, cuts):
        members = tuple(int(p) for p in matrix.participant_ids[chunk])
        groups.append(Group(id=int(labels[chunk[0]]), members=members))
    return tuple(groups)


def base_clusters(
    points: FloatArray, *, seed: int = 0, n_base: int = DEFAULT_BASE_K
) -> tuple[IntArray, FloatArray]:
    """Pol.is base clusters: each point's base cluster and the clusters' centres.

    With at most ``n_base`` distinct positions every distinct position is its own base
    cluster (what k-means with that many clusters converges to); otherwise seeded k-means
    with ``n_base`` clusters.  Base clusters are numbered by their centres' order.
    """
    from sklearn.cluster import KMeans

    if len(points) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, points.shape[1]))
    distinct, inverse = np.unique(np.round(points, 12), axis=0, return_inverse=True)
    if len(distinct) <= n_base:
        return inverse.reshape(-1).astype(np.int64), distinct
    model = KMeans(n_clusters=n_base, n_init=1, random_state=seed).fit(points)
    used, labels = np.unique(model.labels_, return_inverse=True)
    return labels.reshape(-1).astype(np.int64), model.cluster_centers_[used]


def find_groups(
    matrix: VoteMatrix,
    *,
    seed: int = 0,
    min_votes: int = DEFAULT_MIN_VOTES,
    min_participants: int = DEFAULT_MIN_PARTICIPANTS,
    max_k: int = DEFAULT_MAX_K,
    n_base: int = DEFAULT_BASE_K,
) -> GroupResult:
    """PCA, placement, base clusters, then weighted k-means of the base clusters for k in
    2..min(max_k, 2 + n_base_clusters/12); the best silhouette (over base-cluster centres)
    wins and each participant joins their base cluster's group.

    With fewer than three base clusters, everyone placed forms one group.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    pca = fit_pca(matrix)
    projection = project_participants(matrix, pca)
    placed = placed_mask(matrix, min_votes=min_votes, min_participants=min_participants)
    rows = np.flatnonzero(placed)
    points = projection[rows]
    if points.shape[1] < 2:
        points = np.pad(points, ((0, 0), (0, 2 - points.shape[1])))
    base, centres = base_clusters(points, seed=seed, n_base=n_base)
    weights = np.bincount(base, minlength=len(centres)).astype(np.float64)
    top_k = min(max_k, 2 + len(centres) // 12, len(centres) - 1)
    silhouettes: dict[int, float] = {}
    best_labels: IntArray | None = None
    best = -np.inf
    for k in range(2, top_k + 1):
        model = KMeans(n_clusters=k, n_init=10, random_state=seed)
        labels = model.fit_predict(centres, sample_weight=weights).astype(np.int64)
        if len(np.unique(labels)) < 2:  # pragma: no cover - k-means left a cluster empty
            continue
        score = float(silhouette_score(centres, labels))
        silhouettes[k] = score
        if score > best:
            best, best_labels = score, labels
    if best_labels is None:
        best_labels = np.zeros(len(centres), dtype=np.int64)
    labels_all = _canonical_labels(best_labels[base], rows, matrix.shape[0])
    return GroupResult(
        groups=_groups_from_rows(matrix, labels_all),
        labels=labels_all,
        silhouettes=silhouettes,
        pca=pca,
        projection=projection,
    )


def groups_from_labels(matrix: VoteMatrix, *, labels: Mapping[int, int]) -> GroupResult:
    """Use given groups (participant id -> group id, e.g. from a Pol.is export).

    Group ids are kept as given.  Participants not in ``labels`` are unplaced; a participant in
    ``labels`` who is not in the matrix raises :class:`DeliberationInputError`.
    """
    ids = np.fromiter(labels.keys(), dtype=np.int64, count=len(labels))
    groups = np.fromiter(labels.values(), dtype=np.int64, count=len(labels))
    if np.any(groups < 0):
        raise DeliberationInputError(["group ids must not be negative"])
    position = np.searchsorted(matrix.participant_ids, ids)
    position = np.minimum(position, max(len(matrix.participant_ids) - 1, 0))
    known = (
        matrix.participant_ids[position] == ids
        if len(matrix.participant_ids)
        else np.zeros(len(ids), dtype=bool)
    )
    if not np.all(known):
        missing = ", ".join(str(int(p)) for p in ids[~known][:5])
        raise DeliberationInputError([f"participants with a group but no votes: {missing}"])
    out = np.full(matrix.shape[0], -1, dtype=np.int64)
    out[position] = groups
    return GroupResult(groups=_groups_from_rows(matrix, out), labels=out, silhouettes={})
