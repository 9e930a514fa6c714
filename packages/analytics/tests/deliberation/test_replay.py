"""The replay's update rules on small hand-built vote logs (replay.py's docstring names each
rule's source in Pol.is's math code)."""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import numpy.typing as npt
import pytest

from whatworks_analytics.deliberation import analyse, build_matrix
from whatworks_analytics.deliberation.replay import replay_groups, update_batches


class VoteLog(TypedDict):
    """A vote log, as ``replay_groups``, ``ReplayState.step`` and ``build_matrix`` take it."""

    participant: npt.NDArray[np.int64]
    statement: npt.NDArray[np.int64]
    vote: npt.NDArray[np.int64]
    timestamp: npt.NDArray[np.int64]


def concatenate(*logs: VoteLog) -> VoteLog:
    """The logs one after the other."""
    return {
        "participant": np.concatenate([log["participant"] for log in logs]),
        "statement": np.concatenate([log["statement"] for log in logs]),
        "vote": np.concatenate([log["vote"] for log in logs]),
        "timestamp": np.concatenate([log["timestamp"] for log in logs]),
    }


def take(log: VoteLog, index: npt.NDArray[np.bool_] | npt.NDArray[np.intp] | slice) -> VoteLog:
    """The votes at ``index`` (a mask, positions or a slice)."""
    return {
        "participant": log["participant"][index],
        "statement": log["statement"][index],
        "vote": log["vote"][index],
        "timestamp": log["timestamp"][index],
    }


def two_camps(*, n: int = 40, m: int = 12, seed: int = 1, start: int = 0) -> VoteLog:
    """Participants 0..n/2-1 agree with even statements, the others with odd ones; one vote
    per participant per second, participants one after the other."""
    rng = np.random.default_rng(seed)
    pid, tid, vote, ts = [], [], [], []
    t = start
    for p in range(n):
        camp = 1 if p < n // 2 else -1
        for s in range(m):
            stance = camp if s % 2 == 0 else -camp
            pid.append(p)
            tid.append(s)
            vote.append(stance if rng.random() < 0.9 else 0)
            ts.append(t)
            t += 1_000
    return {
        "participant": np.array(pid),
        "statement": np.array(tid),
        "vote": np.array(vote),
        "timestamp": np.array(ts),
    }


def test_update_batches_by_window_and_by_count() -> None:
    ts = np.array([5_000, 0, 999, 1_000, 3_500, 3_500])
    # windows 0, 0, 1, 3, 3 and 5 of one second, numbered among those with votes
    assert update_batches(ts, interval_ms=1_000).tolist() == [3, 0, 0, 1, 2, 2]
    # three equal batches of two votes in time order; equal timestamps stay together
    assert update_batches(ts, n_updates=3, interval_ms=None).tolist() == [2, 0, 0, 1, 1, 1]
    assert update_batches(ts, n_updates=1, interval_ms=None).tolist() == [0] * 6
    with pytest.raises(ValueError, match="n_updates"):
        update_batches(ts, n_updates=0)
    with pytest.raises(ValueError, match="interval_ms"):
        update_batches(ts, interval_ms=0)


def test_two_camps_are_found_and_the_result_is_deterministic() -> None:
    log = two_camps()
    first = replay_groups(**log, interval_ms=60_000)
    again = replay_groups(**log, interval_ms=60_000)
    assert [g.members for g in first.groups] == [tuple(range(20)), tuple(range(20, 40))]
    assert np.array_equal(first.labels, again.labels)
    assert first.silhouettes == again.silhouettes
    assert first.pca is not None and first.projection is not None
    assert first.pca.components.shape == (2, 12)
    # the result feeds the rest of the analysis like find_groups's
    matrix = build_matrix(**log)
    analysis = analyse(matrix, grouping=replay_groups(**log, matrix=matrix, n_updates=5))
    assert set(analysis.to_dict()["representative"]) == {"0", "1"}


def test_in_conversation_set_never_shrinks() -> None:
    """conversation.clj :in-conv: while there are 3 statements, 3 votes place a participant;
    once there are 12 they would need 7, yet those placed early stay placed."""
    early: VoteLog = {
        "participant": np.repeat(np.arange(20), 3),
        "statement": np.tile(np.arange(3), 20),
        "vote": np.tile([1, -1, 1], 20) * np.repeat(np.where(np.arange(20) < 10, 1, -1), 3),
        "timestamp": np.arange(60) * 10,
    }
    late = two_camps(n=40, m=12, start=10_000_000)
    late["participant"] = late["participant"] + 100
    log = concatenate(early, late)
    replayed = replay_groups(**log, interval_ms=60_000)
    placed = {p for g in replayed.groups for p in g.members}
    assert set(range(20)) <= placed  # three votes each, placed in the first update
    once = replay_groups(**log, n_updates=1, interval_ms=None)
    placed_once = {p for g in once.groups for p in g.members}
    assert placed_once.isdisjoint(range(20))  # one update at the end: 3 < 7 votes


def test_greedy_fill_places_the_fifteen_most_active() -> None:
    """conversation.clj :in-conv: with fewer than 15 over the threshold, the most active
    others join until there are 15."""
    rng = np.random.default_rng(3)
    pid, tid, vote = [], [], []
    for p in range(20):
        for s in range(20 - p if p < 20 else 1):  # participant p votes on 20 - p statements
            pid.append(p)
            tid.append(s)
            vote.append(int(rng.choice([-1, 1])))
    log: VoteLog = {
        "participant": np.array(pid),
        "statement": np.array(tid),
        "vote": np.array(vote),
        "timestamp": np.arange(len(pid)),
    }
    # one update: 14 participants have at least 7 votes (p = 0..13); p = 14 (6 votes) joins
    result = replay_groups(**log, n_updates=1, interval_ms=None)
    placed = sorted(p for g in result.groups for p in g.members)
    assert placed == list(range(15))


def test_moderated_out_statements_count_as_passes_for_everyone() -> None:
    """named_matrix.clj zero-out-columns and pca.clj sparsity-aware-project-ptpt: an
    excluded statement counts as a vote of 0 for every participant, so participant 0, who
    voted on 6 of 12 statements, is scaled by sqrt(13 / 7) instead of sqrt(12 / 6); the
    components do not change, and the vote on it counts towards placing participant 0
    (conversation.clj :user-vote-counts counts the raw matrix): 6 votes leave them out,
    7 place them."""
    log = two_camps()
    partial = ~((log["participant"] == 0) & (log["statement"] >= 6))
    log = take(log, partial)
    extra: VoteLog = {
        "participant": np.arange(40),
        "statement": np.full(40, 99),
        "vote": np.ones(40, dtype=np.int64),
        "timestamp": np.full(40, 10_000_000),
    }
    both = concatenate(log, extra)
    kept = replay_groups(**log, n_updates=2, interval_ms=None)
    excluded = replay_groups(**both, excluded=[99], n_updates=2, interval_ms=None)
    assert sorted(g.members for g in kept.groups) == [tuple(range(1, 20)), tuple(range(20, 40))]
    assert sorted(g.members for g in excluded.groups) == [
        tuple(range(20)),
        tuple(range(20, 40)),
    ]
    assert excluded.pca is not None and excluded.pca.components.shape == (2, 12)
    assert kept.projection is not None and excluded.projection is not None
    ratio = np.linalg.norm(excluded.projection[0]) / np.linalg.norm(kept.projection[0])
    assert ratio == pytest.approx(np.sqrt(13 / 7) / np.sqrt(12 / 6), rel=1e-4)
    # everyone else voted on all 12: sqrt(12 / 12) and sqrt(13 / 13)
    assert np.linalg.norm(excluded.projection[1]) == pytest.approx(
        np.linalg.norm(kept.projection[1]), rel=1e-4
    )


def test_empty_log() -> None:
    empty = np.zeros(0, dtype=np.int64)
    matrix = build_matrix(participant=empty, statement=empty, vote=empty)
    result = replay_groups(
        participant=empty, statement=empty, vote=empty, timestamp=empty, matrix=matrix
    )
    assert result.groups == ()
