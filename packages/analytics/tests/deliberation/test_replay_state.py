"""The replay stepped a few votes at a time (``ReplayState``, as the platform runs it) gives
what the replay of the whole log gives, through storage between steps."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest

from whatworks_analytics.deliberation import build_matrix
from whatworks_analytics.deliberation.replay import STATE_FORMAT, ReplayState, replay_groups

from .test_replay import VoteLog, concatenate, take, two_camps

WINDOW = 30_000


def _messy_log() -> VoteLog:
    """Two camps, then some changed votes, a second wave of participants and a statement
    nobody voted on until late; votes not in time order within the log."""
    log = two_camps(n=60, m=14, seed=3)
    end = int(log["timestamp"].max())
    rng = np.random.default_rng(9)
    extra = 200
    more: VoteLog = {
        "participant": rng.integers(0, 80, extra),
        "statement": rng.integers(0, 16, extra),
        "vote": rng.integers(-1, 2, extra),
        "timestamp": end + np.sort(rng.integers(1, 400_000, extra)),
    }
    joined = concatenate(log, more)
    return take(joined, rng.permutation(len(joined["timestamp"])))


def _steps(log: VoteLog, cuts_ms: list[int]) -> list[npt.NDArray[np.intp]]:
    """Indices of the log's votes for each step: by time, cut at these offsets from the
    first vote (window boundaries when multiples of WINDOW)."""
    offset = log["timestamp"] - log["timestamp"].min()
    bounds = [-1, *cuts_ms, int(offset.max()) + 1]
    return [np.flatnonzero((offset >= lo) & (offset < hi)) for lo, hi in itertools.pairwise(bounds)]


def _step_all(log: VoteLog, cuts_ms: list[int], excluded: list[int], *, store: bool) -> ReplayState:
    state = ReplayState(seed=4, interval_ms=WINDOW)
    for chunk in _steps(log, cuts_ms):
        if store:
            state = ReplayState.from_bytes(state.to_bytes())
        state.step(**take(log, chunk), excluded=excluded)
    return state


@pytest.mark.parametrize("store", [False, True])
def test_steps_cut_at_window_boundaries_equal_the_replay_of_the_whole_log(store: bool) -> None:
    log = _messy_log()
    excluded = [3, 15]
    matrix = build_matrix(**log, rejected=excluded)
    offline = replay_groups(
        participant=log["participant"],
        statement=log["statement"],
        vote=log["vote"],
        timestamp=log["timestamp"],
        matrix=matrix,
        excluded=excluded,
        interval_ms=WINDOW,
        seed=4,
    )
    stepped = _step_all(log, [WINDOW * 5, WINDOW * 17, WINDOW * 40], excluded, store=store)
    online = stepped.groups(matrix)
    assert len(offline.groups) >= 2
    assert np.array_equal(online.labels, offline.labels)
    assert online.silhouettes == offline.silhouettes
    assert online.projection is not None and offline.projection is not None
    assert np.array_equal(online.projection, offline.projection, equal_nan=True)
    assert online.pca is not None and offline.pca is not None
    assert np.array_equal(online.pca.components, offline.pca.components)
    windows = len(np.unique((log["timestamp"] - log["timestamp"].min()) // WINDOW))
    assert stepped.n_updates == windows
    assert stepped.n_votes == len(log["timestamp"])


def test_votes_in_a_window_already_updated_join_the_next_update() -> None:
    log = _messy_log()
    whole = _step_all(log, [], [], store=False)
    split = _step_all(log, [WINDOW * 5 + WINDOW // 2], [], store=False)
    # the rest of window 5 joins window 6's update: as many updates, other batches
    assert split.n_updates == whole.n_updates
    matrix = build_matrix(**log)
    assert split.groups(matrix).silhouettes != whole.groups(matrix).silhouettes
    # a vote stamped in a window already updated is taken by the next update
    late = ReplayState(interval_ms=WINDOW)
    late.step(participant=[1, 2], statement=[1, 1], vote=[1, -1], timestamp=[0, WINDOW * 3])
    assert late.step(participant=[3], statement=[1], vote=[1], timestamp=[10]) == 1
    assert late.last_window == 4


def test_moderation_between_steps_recounts_the_excluded_statements() -> None:
    log = two_camps(n=30, m=10, seed=2)
    half = len(log["timestamp"]) // 2
    first = take(log, slice(None, half))
    second = take(log, slice(half, None))
    state = ReplayState(interval_ms=WINDOW)
    state.step(**first)
    state.step(**second, excluded=[0, 1])
    fresh = ReplayState.from_bytes(state.to_bytes())
    # the sums after the change are those of a matrix that excluded them from the start
    inner = fresh._state
    kept = (inner.latest != 2) & ~inner.is_excluded[None, :]
    assert np.array_equal(inner.col_count, kept.sum(axis=0))
    assert np.array_equal(inner.kept_counts, kept.sum(axis=1))
    assert inner.is_excluded[[int(np.flatnonzero(inner.col_tid == t)[0]) for t in (0, 1)]].all()


def test_no_votes_no_groups_and_a_stored_state_of_another_format_is_refused() -> None:
    state = ReplayState()
    assert state.step(participant=[], statement=[], vote=[], timestamp=[]) == 0
    matrix = build_matrix(participant=[1, 2], statement=[1, 1], vote=[1, 1])
    assert state.groups(matrix).labels.tolist() == [-1, -1]
    with pytest.raises(ValueError, match="interval_ms"):
        ReplayState(interval_ms=0)
    data = bytearray(state.to_bytes())
    assert ReplayState.from_bytes(bytes(data)).n_updates == 0
    assert STATE_FORMAT == 1
