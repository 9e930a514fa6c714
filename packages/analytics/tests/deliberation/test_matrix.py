"""The latest-vote matrix: latest vote wins, moderation, counts and validation."""

from __future__ import annotations

import random as random_module

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from whatworks_analytics.deliberation import (
    DeliberationInputError,
    VoteMatrix,
    analyse,
    build_matrix,
    event_counts,
)


def cell(matrix: VoteMatrix, participant: int, statement: int) -> int | None:
    rows = np.flatnonzero(
        (matrix.participant_ids[matrix.row] == participant)
        & (matrix.statement_ids[matrix.col] == statement)
    )
    assert rows.size <= 1
    return None if rows.size == 0 else int(matrix.value[rows[0]])


def test_latest_vote_wins_by_timestamp_not_log_order() -> None:
    matrix = build_matrix(
        participant=[1, 1, 1, 2],
        statement=[5, 5, 5, 5],
        vote=[-1, 1, 0, 1],
        timestamp=[300, 100, 200, 50],  # the first row of the log is the latest vote
    )
    assert cell(matrix, 1, 5) == -1
    assert cell(matrix, 2, 5) == 1
    assert matrix.n_votes == 2


def test_equal_timestamps_fall_back_to_log_order() -> None:
    matrix = build_matrix(participant=[1, 1], statement=[5, 5], vote=[1, -1], timestamp=[100, 100])
    assert cell(matrix, 1, 5) == -1


def test_without_timestamps_log_order_decides() -> None:
    matrix = build_matrix(participant=[1, 1, 1], statement=[5, 5, 5], vote=[1, -1, 0])
    assert cell(matrix, 1, 5) == 0
    counts = matrix.statement_counts()
    assert counts.n_pass.tolist() == [1]
    assert counts.n_seen.tolist() == [1]


def test_event_counts_keep_superseded_votes() -> None:
    events = event_counts(statement=[5, 5, 5, 6], vote=[1, 1, -1, 0])
    assert events.statement_ids.tolist() == [5, 6]
    assert events.n_agree.tolist() == [2, 0]
    assert events.n_disagree.tolist() == [1, 0]
    assert events.n_pass.tolist() == [0, 1]
    assert events.n_seen.tolist() == [3, 1]


def test_statements_without_votes_are_part_of_the_matrix() -> None:
    matrix = build_matrix(participant=[1], statement=[5], vote=[1], statements=[5, 6, 7])
    assert matrix.statement_ids.tolist() == [5, 6, 7]
    assert matrix.statement_counts().n_seen.tolist() == [1, 0, 0]


def test_rejected_and_meta_statements_leave_the_matrix() -> None:
    matrix = build_matrix(
        participant=[1, 1, 1, 2, 2],
        statement=[5, 6, 7, 5, 6],
        vote=[1, 1, -1, 0, -1],
        statements=[5, 6, 7, 8],
        rejected=[6],
        meta=[7, 99],
    )
    assert matrix.statement_ids.tolist() == [5, 8]
    assert matrix.excluded_statement_ids.tolist() == [6, 7]  # 99 is not a statement here
    assert matrix.votes_per_participant().tolist() == [1, 1]
    assert matrix.participant_ids.tolist() == [1, 2]
    assert matrix.to_dict()["excluded_statement_ids"] == [6, 7]


def test_moderation_changes_the_analysis_only_through_the_excluded_statements() -> None:
    rng = np.random.default_rng(3)
    n, m = 40, 10
    pid = np.repeat(np.arange(n), m)
    tid = np.tile(np.arange(m), n)
    side = np.where(np.arange(n) < 20, 1, -1)
    vote = np.where(rng.random(n * m) < 0.85, side[pid], -side[pid])
    vote[tid == 9] = 1  # statement 9: everybody agrees
    full = analyse(build_matrix(participant=pid, statement=tid, vote=vote), seed=1)
    consensus_tids = [item.tid for item in full.consensus.agree]
    assert 9 in consensus_tids
    moderated = analyse(
        build_matrix(participant=pid, statement=tid, vote=vote, rejected=[9], meta=[8]), seed=1
    )
    everything = moderated.to_dict()
    mentioned = {item["tid"] for item in everything["consensus"]["agree"]}
    mentioned |= {item["tid"] for item in everything["consensus"]["disagree"]}
    mentioned |= {item["tid"] for item in everything["group_informed_consensus"]}
    for items in everything["representative"].values():
        mentioned |= {item["tid"] for item in items}
    assert mentioned.isdisjoint({8, 9})
    assert len(everything["group_informed_consensus"]) == m - 2


def test_invalid_votes_are_all_reported() -> None:
    with pytest.raises(DeliberationInputError) as caught:
        build_matrix(participant=[1, 2, 3], statement=[5, 5, 5], vote=[1, 2, -3])
    message = str(caught.value)
    assert "2 bad value(s)" in message
    assert "#2 (2)" in message
    assert "#3 (-3)" in message


def test_mismatched_lengths_and_non_integers_are_rejected() -> None:
    with pytest.raises(DeliberationInputError, match="same length"):
        build_matrix(participant=[1, 2], statement=[5], vote=[1, 1])
    with pytest.raises(DeliberationInputError, match="whole numbers"):
        build_matrix(participant=[1.5], statement=[5], vote=[1])
    with pytest.raises(DeliberationInputError, match="timestamp"):
        build_matrix(participant=[1], statement=[5], vote=[1], timestamp=[1, 2])


def test_empty_log_gives_an_empty_matrix() -> None:
    matrix = build_matrix(participant=[], statement=[], vote=[])
    assert matrix.shape == (0, 0)
    assert matrix.n_votes == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 4), st.sampled_from([-1, 0, 1])),
        min_size=1,
        max_size=60,
    ),
    st.randoms(use_true_random=False),
)
def test_latest_vote_wins_whatever_the_log_order(
    events: list[tuple[int, int, int]], random: random_module.Random
) -> None:
    """With distinct timestamps, shuffling the log changes nothing; each cell is the latest."""
    timestamps = list(range(len(events)))
    expected: dict[tuple[int, int], tuple[int, int]] = {}
    for (p, s, v), t in zip(events, timestamps, strict=True):
        expected[(p, s)] = (t, v)
    order = list(range(len(events)))
    random.shuffle(order)
    matrix = build_matrix(
        participant=[events[i][0] for i in order],
        statement=[events[i][1] for i in order],
        vote=[events[i][2] for i in order],
        timestamp=[timestamps[i] for i in order],
    )
    assert matrix.n_votes == len(expected)
    for (p, s), (_, v) in expected.items():
        assert cell(matrix, p, s) == v
    counts = matrix.statement_counts()
    assert int(counts.n_seen.sum()) == len(expected)
    assert np.array_equal(counts.n_agree + counts.n_disagree + counts.n_pass, counts.n_seen)
