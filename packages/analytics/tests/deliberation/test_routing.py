"""Routing: which statement a participant sees next (Pol.is priority metric)."""

from __future__ import annotations

import numpy as np
import pytest

from whatworks_analytics.deliberation import build_matrix, next_statement, statement_priorities
from whatworks_analytics.deliberation.routing import META_PRIORITY


def test_priority_formula_by_hand() -> None:
    # A = 1, P = 0, S = 1, E = 0 (the example in Pol.is conversation.clj):
    # p = 1/3, a = 2/3, importance = (2/3)(1)(2/3) = 4/9; factor 1 + 8 * 2^(-1/5)
    expected = (4 / 9 * (1 + 8 * 2 ** (-1 / 5))) ** 2
    assert statement_priorities(n_agree=[1], n_pass=[0], n_seen=[1])[0] == pytest.approx(expected)
    # a new statement: p = a = 1/2, importance 1/4, factor 9
    assert statement_priorities(n_agree=[0], n_pass=[0], n_seen=[0])[0] == pytest.approx(
        (9 / 4) ** 2
    )
    extreme = statement_priorities(n_agree=[0], n_pass=[0], n_seen=[0], extremity=[1.0])
    assert extreme[0] == pytest.approx((9 / 2) ** 2)
    meta = statement_priorities(n_agree=[0, 0], n_pass=[0, 0], n_seen=[0, 0], is_meta=[True, False])
    assert meta[0] == META_PRIORITY**2


def test_few_votes_rank_above_many_and_passes_lower_priority() -> None:
    priority = statement_priorities(
        n_agree=[10, 100, 5, 5], n_pass=[0, 0, 0, 5], n_seen=[20, 200, 10, 10]
    )
    assert priority[0] > priority[1]  # same agree rate, fewer votes first
    assert priority[2] > priority[3]  # passes make a statement less important


def test_new_statements_first_and_never_a_seen_one() -> None:
    # statements 1 and 2 have 10 split votes each (priority (0.46 * 3)^2 = 1.9); 3 is new
    # ((1/4 * 9)^2 = 5.1); participant 0 has voted on 1 and 2
    pid = np.repeat(np.arange(10), 2)
    tid = np.tile([1, 2], 10)
    vote = np.where(pid % 2 == 0, 1, -1)
    matrix = build_matrix(participant=pid, statement=tid, vote=vote, statements=[1, 2, 3])
    assert next_statement(matrix=matrix, participant=0) == 3
    assert next_statement(matrix=matrix, participant=999) == 3  # a newcomer
    seen_all = build_matrix(participant=[0, 0], statement=[1, 2], vote=[1, -1])
    assert next_statement(matrix=seen_all, participant=0) is None


def test_a_statement_everyone_agrees_with_can_outrank_a_new_one() -> None:
    # Pol.is weighs agreement too: 10 of 10 agree gives (11/12 * 11/12 * 3)^2 = 6.4 > 5.1
    pid = np.arange(10)
    matrix = build_matrix(
        participant=pid, statement=np.ones(10), vote=np.ones(10), statements=[1, 2]
    )
    assert next_statement(matrix=matrix, participant=99) == 1


def test_least_voted_statement_comes_next() -> None:
    # statement 1: 30 votes, statement 2: 3 votes, same agree rate; participant 100 is new
    pid = np.concatenate([np.arange(30), np.arange(3)])
    tid = np.concatenate([np.full(30, 1), np.full(3, 2)])
    matrix = build_matrix(participant=pid, statement=tid, vote=np.ones(33))
    assert next_statement(matrix=matrix, participant=100) == 2


def test_routing_is_pure_and_seeded_draws_repeat() -> None:
    pid = np.repeat(np.arange(5), 3)
    tid = np.tile([1, 2, 3], 5)
    matrix = build_matrix(participant=pid, statement=tid, vote=np.ones(15), statements=range(1, 9))
    draws = [next_statement(matrix=matrix, participant=0, seed=s) for s in range(20)]
    again = [next_statement(matrix=matrix, participant=0, seed=s) for s in range(20)]
    assert draws == again
    assert set(draws) <= {4, 5, 6, 7, 8}
    assert len(set(draws)) > 1  # equal priorities: the draw spreads over the new ones
    assert next_statement(matrix=matrix, participant=0) == 4  # ties to the lowest id


def test_extremity_breaks_ties() -> None:
    matrix = build_matrix(participant=[0], statement=[1], vote=[1], statements=[1, 2, 3])
    assert next_statement(matrix=matrix, participant=5, extremity=[0.0, 0.1, 0.9]) == 3
    assert (
        next_statement(matrix=build_matrix(participant=[], statement=[], vote=[]), participant=1)
        is None
    )
