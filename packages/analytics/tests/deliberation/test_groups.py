"""Placement (minimum votes), PCA and projection, k-means with silhouette selection."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from whatworks_analytics.deliberation import (
    DeliberationInputError,
    base_clusters,
    build_matrix,
    find_groups,
    fit_pca,
    groups_from_labels,
    placed_mask,
    project_participants,
    statement_extremity,
)
from whatworks_analytics.deliberation import groups as groups_module


def latent_votes(
    *, n: int, m: int, seed: int, coverage: float = 0.6, sizes: tuple[float, ...] = (0.5, 0.3, 0.2)
) -> tuple[npt.NDArray[np.int64], dict[str, npt.NDArray[np.int64]]]:
    """Three latent groups, each agreeing with its own statements, random coverage."""
    rng = np.random.default_rng(seed)
    latent = rng.choice(len(sizes), size=n, p=sizes)
    stance = rng.choice([-1, 1], size=(len(sizes), m))
    pid, tid = np.nonzero(rng.random((n, m)) < coverage)
    vote = np.where(rng.random(pid.size) < 0.9, stance[latent[pid], tid], -stance[latent[pid], tid])
    vote[rng.random(pid.size) < 0.1] = 0
    return latent, {"participant": pid, "statement": tid, "vote": vote}


def test_minimum_votes_is_seven_or_all_statements() -> None:
    # 10 statements: participant p votes on the first p statements (p = 1..10)
    pid = np.concatenate([np.full(p, p) for p in range(1, 11)])
    tid = np.concatenate([np.arange(p) for p in range(1, 11)])
    matrix = build_matrix(participant=pid, statement=tid, vote=np.ones_like(pid))
    placed = placed_mask(matrix, min_participants=0)
    assert matrix.participant_ids[placed].tolist() == [7, 8, 9, 10]
    # only 4 statements: all four are needed
    few = build_matrix(
        participant=pid[tid < 4], statement=tid[tid < 4], vote=np.ones(int((tid < 4).sum()))
    )
    placed_few = placed_mask(few, min_participants=0)
    assert few.participant_ids[placed_few].tolist() == [4, 5, 6, 7, 8, 9, 10]
    assert placed_mask(matrix, min_votes=3, min_participants=0).sum() == 8


def test_rejected_statements_do_not_count_towards_placement() -> None:
    pid = np.repeat([1, 2], 8)
    tid = np.tile(np.arange(8), 2)
    matrix = build_matrix(participant=pid, statement=tid, vote=np.ones(16), rejected=[0, 1])
    # 6 analysed statements remain, so 6 votes are enough and both are placed
    assert placed_mask(matrix, min_participants=0).tolist() == [True, True]
    pid3 = np.concatenate([pid, np.full(7, 3)])
    tid3 = np.concatenate([tid, np.arange(7)])
    matrix3 = build_matrix(
        participant=pid3, statement=tid3, vote=np.ones(23), statements=np.arange(20), rejected=[0]
    )
    # participant 3 voted on 7 statements but one is rejected: 6 < 7
    assert placed_mask(matrix3, min_participants=0).tolist() == [True, True, False]


def test_greedy_fill_up_to_fifteen_most_active() -> None:
    # 20 participants with 1..20 votes on 30 statements; 14 have >= 7 votes
    counts = np.arange(1, 21)
    pid = np.repeat(np.arange(20), counts)
    tid = np.concatenate([np.arange(c) for c in counts])
    matrix = build_matrix(participant=pid, statement=tid, vote=np.ones(pid.size))
    strict = placed_mask(matrix, min_participants=0)
    assert strict.sum() == 14
    filled = placed_mask(matrix)  # Pol.is default: at least 15 if possible
    assert filled.sum() == 15
    assert filled[5] and not filled[4]  # the one with 6 votes is added
    with pytest.raises(ValueError, match="negative"):
        placed_mask(matrix, min_votes=-1)


def test_pca_matches_the_mean_imputed_covariance() -> None:
    _, log = latent_votes(n=60, m=8, seed=1)
    matrix = build_matrix(**log)
    pca = fit_pca(matrix)
    dense = matrix.dense()
    means = np.nanmean(dense, axis=0)
    imputed = np.where(np.isnan(dense), means, dense)
    assert np.allclose(pca.center, means)
    centred = imputed - imputed.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred)
    for i in range(2):
        expected = vectors[:, -1 - i]
        assert abs(float(expected @ pca.components[i])) == pytest.approx(1.0, abs=1e-9)
        assert pca.explained_variance[i] == pytest.approx(values[-1 - i] / 60)
        assert pca.components[i][np.argmax(np.abs(pca.components[i]))] > 0


def test_sparse_svd_path_matches_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    _, log = latent_votes(n=200, m=30, seed=2)
    matrix = build_matrix(**log)
    dense = fit_pca(matrix)
    monkeypatch.setattr(groups_module, "_DENSE_SVD_CELLS", 0)
    sparse = fit_pca(matrix)
    assert np.allclose(dense.components, sparse.components, atol=1e-8)
    assert np.allclose(dense.explained_variance, sparse.explained_variance)


def test_projection_uses_own_votes_scaled_by_coverage() -> None:
    _, log = latent_votes(n=30, m=6, seed=3, coverage=0.5)
    matrix = build_matrix(**log)
    pca = fit_pca(matrix)
    projection = project_participants(matrix, pca)
    dense = matrix.dense()
    for i in range(matrix.shape[0]):
        voted = ~np.isnan(dense[i])
        if not voted.any():
            assert np.isnan(projection[i]).all()
            continue
        raw = (dense[i, voted] - pca.center[voted]) @ pca.components[:, voted].T
        expected = raw * np.sqrt(6 / voted.sum())
        assert np.allclose(projection[i], expected)


def test_statement_extremity_is_a_lone_agree_projection() -> None:
    _, log = latent_votes(n=30, m=5, seed=4)
    matrix = build_matrix(**log)
    pca = fit_pca(matrix)
    extremity = statement_extremity(pca)
    j = 2
    lone = (1 - pca.center[j]) * pca.components[:, j] * np.sqrt(5)
    assert extremity[j] == pytest.approx(float(np.hypot(*lone)))


def test_three_latent_groups_are_recovered() -> None:
    latent, log = latent_votes(n=300, m=40, seed=5)
    matrix = build_matrix(**log)
    result = find_groups(matrix, seed=0)
    assert result.k == 3
    assert set(result.silhouettes) == {2, 3, 4, 5}
    assert max(result.silhouettes, key=lambda k: result.silhouettes[k]) == 3
    sizes = [len(g.members) for g in result.groups]
    assert sizes == sorted(sizes, reverse=True)
    # each found group is (almost) one latent group
    found = result.labels[np.searchsorted(matrix.participant_ids, np.arange(300))]
    for gid in range(3):
        members = latent[found == gid]
        assert np.bincount(members).max() / members.size > 0.95


def test_same_seed_same_groups_and_canonical_ids() -> None:
    _, log = latent_votes(n=200, m=25, seed=6)
    first = find_groups(build_matrix(**log), seed=11)
    second = find_groups(build_matrix(**log), seed=11)
    assert first.groups == second.groups
    assert np.array_equal(first.labels, second.labels)
    assert first.silhouettes == second.silhouettes
    assert [g.id for g in first.groups] == list(range(first.k))


def test_k_is_limited_by_the_number_of_base_clusters() -> None:
    _, log = latent_votes(n=20, m=10, seed=7, coverage=1.0)
    matrix = build_matrix(**log)
    points = project_participants(matrix, fit_pca(matrix))
    _, centres = base_clusters(points, seed=0)
    # each distinct position (some participants voted identically) is its own base cluster
    assert len(centres) == len(np.unique(np.round(points, 12), axis=0)) == 16
    result = find_groups(matrix, seed=0)
    assert set(result.silhouettes) == {2, 3}  # 2 + 16 // 12 = 3


def test_base_clusters() -> None:
    rng = np.random.default_rng(9)
    few = np.repeat(rng.normal(size=(30, 2)), 3, axis=0)
    labels, centres = base_clusters(few, seed=0)
    assert len(centres) == 30
    assert np.allclose(centres[labels], few)
    many = rng.normal(size=(500, 2))
    labels, centres = base_clusters(many, seed=0)
    assert len(centres) == 100
    assert labels.min() == 0 and labels.max() == 99
    again, _ = base_clusters(many, seed=0)
    assert np.array_equal(labels, again)
    # each point is nearest to its own base centre (k-means has converged)
    distances = np.linalg.norm(many[:, None, :] - centres[None, :, :], axis=2)
    assert np.mean(np.argmin(distances, axis=1) == labels) > 0.99
    empty_labels, empty_centres = base_clusters(np.zeros((0, 2)))
    assert empty_labels.size == 0
    assert empty_centres.shape == (0, 2)


def test_unplaced_participants_get_no_group() -> None:
    _, log = latent_votes(n=60, m=20, seed=8, coverage=0.9)
    pid = np.concatenate([log["participant"], [1000, 1000]])
    tid = np.concatenate([log["statement"], [0, 1]])
    vote = np.concatenate([log["vote"], [1, 1]])
    matrix = build_matrix(participant=pid, statement=tid, vote=vote)
    result = find_groups(matrix, seed=0)
    assert result.labels[-1] == -1
    assert all(1000 not in g.members for g in result.groups)
    assert result.to_dict()["n_placed"] == 60


def test_degenerate_conversations() -> None:
    # everyone voted the same way: a single position, one group
    same = build_matrix(
        participant=np.repeat(np.arange(10), 3), statement=np.tile([0, 1, 2], 10), vote=[1] * 30
    )
    result = find_groups(same, seed=0)
    assert result.k == 1
    assert result.groups[0].members == tuple(range(10))
    assert result.silhouettes == {}
    empty = find_groups(build_matrix(participant=[], statement=[], vote=[]), seed=0)
    assert empty.k == 0


def test_groups_from_labels_keep_given_ids() -> None:
    matrix = build_matrix(participant=[1, 2, 3], statement=[5, 5, 5], vote=[1, -1, 0])
    result = groups_from_labels(matrix, labels={3: 7, 1: 2})
    assert [(g.id, g.members) for g in result.groups] == [(2, (1,)), (7, (3,))]
    assert result.labels.tolist() == [2, -1, 7]
    with pytest.raises(DeliberationInputError, match="no votes: 9"):
        groups_from_labels(matrix, labels={9: 0})
    with pytest.raises(DeliberationInputError, match="negative"):
        groups_from_labels(matrix, labels={1: -1})
