"""Representative statements, consensus and group-informed consensus, computed by hand.

The tiny conversation used throughout (group 0 = participants 1-3, group 1 = 4 and 5):

=========  ===  ===  ===  ===  ===
statement   p1   p2   p3   p4   p5
=========  ===  ===  ===  ===  ===
10          +1   +1   +1   -1   -1
11          +1   +1   +1   +1   +1
12           0   -1    .   +1   +1
=========  ===  ===  ===  ===  ===

Every expected number below is worked out from the Pol.is formulas (repness.clj, stats.clj):
``pa = (na + 1) / (ns + 2)``, ``prop_test(s, n) = 2 sqrt(n + 1) ((s + 1) / (n + 1) - 1/2)``,
``two_prop_test`` = pooled z after adding 1 to all four counts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from whatworks_analytics.deliberation import (
    Z_90,
    Z_95,
    GroupResult,
    GroupVoteCounts,
    VoteMatrix,
    build_matrix,
    consensus_statements,
    group_informed_consensus,
    group_vote_counts,
    groups_from_labels,
    prop_test,
    representative_statements,
    two_prop_test,
)
from whatworks_analytics.deliberation.repness import analyse

VOTES = [
    (1, 10, 1),
    (2, 10, 1),
    (3, 10, 1),
    (4, 10, -1),
    (5, 10, -1),
    (1, 11, 1),
    (2, 11, 1),
    (3, 11, 1),
    (4, 11, 1),
    (5, 11, 1),
    (1, 12, 0),
    (2, 12, -1),
    (4, 12, 1),
    (5, 12, 1),
]
GROUPS = {1: 0, 2: 0, 3: 0, 4: 1, 5: 1}

Tiny = tuple[VoteMatrix, GroupResult, GroupVoteCounts]


@pytest.fixture
def tiny() -> Tiny:
    pid, tid, vote = zip(*VOTES, strict=True)
    matrix = build_matrix(participant=pid, statement=tid, vote=vote)
    groups = groups_from_labels(matrix, labels=GROUPS)
    return matrix, groups, group_vote_counts(matrix, groups)


def test_significance_thresholds_are_pol_is_one_sided_values() -> None:
    assert (Z_90, Z_95) == (1.2816, 1.6449)


def test_prop_test_adds_one_to_both_counts() -> None:
    # prop_test(2, 2) = 2 sqrt(3) (3/3 - 1/2) = sqrt(3)
    assert prop_test(2, 2) == pytest.approx(math.sqrt(3))
    # prop_test(0, 0) = 2 sqrt(1) (1/1 - 1/2) = 1
    assert prop_test(0, 0) == pytest.approx(1.0)


def test_two_prop_test_matches_pol_is_own_test_case() -> None:
    # polis math/test/stats_test.clj: (two-prop-test 15 56 24 71) is about -1.518
    assert two_prop_test(15, 56, 24, 71) == pytest.approx(-1.518, abs=0.01)
    # and approaches the one-proportion test when the other sample is huge and at 1/2
    assert two_prop_test(30, 1_000_000, 50, 2_000_000) == pytest.approx(prop_test(30, 50), abs=1e-3)


def test_two_prop_test_is_zero_when_undefined() -> None:
    # everyone agrees in both samples: pooled proportion 1, no variance
    assert two_prop_test(3, 2, 3, 2) == 0.0


def test_group_counts(tiny: Tiny) -> None:
    _, _, counts = tiny
    assert counts.group_ids.tolist() == [0, 1]
    assert counts.n_agree.tolist() == [[3, 3, 0], [0, 2, 2]]
    assert counts.n_disagree.tolist() == [[0, 0, 1], [2, 0, 0]]
    assert counts.n_seen.tolist() == [[3, 3, 2], [2, 2, 2]]


def test_group_0_representative_statement_by_hand(tiny: Tiny) -> None:
    _, _, counts = tiny
    [item] = representative_statements(counts)[0]
    assert item.tid == 10
    assert item.repful_for == "agree"
    assert item.best_agree
    assert (item.n_agree, item.n_disagree, item.n_seen) == (3, 0, 3)
    assert (item.n_agree_other, item.n_disagree_other, item.n_seen_other) == (0, 2, 2)
    pa = 4 / 5  # (3 + 1) / (3 + 2)
    pat = 2 * math.sqrt(4) * (4 / 4 - 1 / 2)  # = 2
    ra = pa / (1 / 4)  # other groups: (0 + 1) / (2 + 2)
    # in: 4/4 = 1, out: 1/3, pooled 5/7; variance 5/7 * 2/7 * (1/4 + 1/3) = 5/42
    rat = (1 - 1 / 3) / math.sqrt(5 / 42)
    assert item.p_success == pytest.approx(pa)
    assert item.p_test == pytest.approx(pat)
    assert item.repness == pytest.approx(ra)
    assert item.repness_test == pytest.approx(rat)
    assert item.metric == pytest.approx(ra * rat * pa * pat)


def test_group_1_follows_pol_is_best_agree_and_ordering(tiny: Tiny) -> None:
    """Statements 10 (disagree) and 12 (agree) pass both tests; 11 becomes the "best agree"
    because it is met first and 12 only ties it on pa * pat (Pol.is needs strictly better);
    11's agree and disagree repness-tests are 0 and +0.24, so it is finalised on the
    disagree side.  Output: agrees first, then disagrees, each in chosen order."""
    _, _, counts = tiny
    items = representative_statements(counts)[1]
    assert [(i.tid, i.repful_for, i.best_agree) for i in items] == [
        (12, "agree", False),
        (11, "disagree", True),
        (10, "disagree", False),
    ]
    by_tid = {i.tid: i for i in items}
    # statement 10, disagree side: nd 2 of 2 in group 1, 0 of 3 elsewhere
    pd = 3 / 4
    pdt = 2 * math.sqrt(3) * (3 / 3 - 1 / 2)
    rd = pd / (1 / 5)
    rdt = (1 - 1 / 4) / math.sqrt(4 / 7 * 3 / 7 * (1 / 3 + 1 / 4))
    assert by_tid[10].metric == pytest.approx(rd * rdt * pd * pdt)
    # statement 12, agree side: na 2 of 2, other 0 of 2
    pa = 3 / 4
    rat = (1 - 1 / 3) / math.sqrt(2 / 3 * 1 / 3 * (1 / 3 + 1 / 3))
    assert by_tid[12].repness == pytest.approx(pa / (1 / 4))
    assert by_tid[12].repness_test == pytest.approx(rat)
    # statement 11, disagree side: nd 0 of 2, other 0 of 3; z = (1/3 - 1/4) / sqrt(5/42)
    assert by_tid[11].repness_test == pytest.approx((1 / 3 - 1 / 4) / math.sqrt(5 / 42))
    assert by_tid[11].n_success == 0


def test_group_with_nothing_significant_falls_back_to_best_test() -> None:
    matrix = build_matrix(participant=[1, 2, 3, 4], statement=[7] * 4, vote=[0, 0, 0, 0])
    counts = group_vote_counts(matrix, groups_from_labels(matrix, labels={1: 0, 2: 0, 3: 1, 4: 1}))
    result = representative_statements(counts)
    for gid in (0, 1):
        [item] = result[gid]
        assert (item.tid, item.best_agree) == (7, False)
        assert item.n_seen == 2


def test_at_most_five_representative_statements() -> None:
    m = 12
    pid = np.repeat(np.arange(20), m)
    tid = np.tile(np.arange(m), 20)
    vote = np.where(pid < 10, 1, -1)
    matrix = build_matrix(participant=pid, statement=tid, vote=vote)
    labels = {p: int(p >= 10) for p in range(20)}
    result = representative_statements(
        group_vote_counts(matrix, groups_from_labels(matrix, labels=labels))
    )
    assert [len(items) for items in result.values()] == [5, 5]
    assert [i.repful_for for i in result[0]] == ["agree"] * 5
    assert result[0][0].best_agree


def test_consensus_by_hand(tiny: Tiny) -> None:
    matrix, _, _ = tiny
    consensus = consensus_statements(matrix)
    # 10: pa = 4/7, pat = 2 sqrt(6) (4/6 - 1/2) = 0.82 < 1.2816; 12: pa = 3/6, not > 1/2
    [item] = consensus.agree
    assert item.tid == 11
    assert (item.n_agree, item.n_disagree, item.n_seen) == (5, 0, 5)
    assert item.p_success == pytest.approx(6 / 7)
    assert item.p_test == pytest.approx(2 * math.sqrt(6) * (6 / 6 - 1 / 2))
    assert item.metric == pytest.approx(6 / 7 * 2 * math.sqrt(6) / 2)
    assert consensus.disagree == ()


def test_consensus_keeps_the_top_five_best_first() -> None:
    # statement j: 20 voters, 20 - j agree, j disagree
    pid = np.tile(np.arange(20), 10)
    tid = np.repeat(np.arange(10), 20)
    vote = np.where(pid < 20 - tid, 1, -1)
    consensus = consensus_statements(build_matrix(participant=pid, statement=tid, vote=vote))
    assert [i.tid for i in consensus.agree] == [0, 1, 2, 3, 4]
    # pd = (j + 1) / 22 is never above 1/2 here, so there is no disagree consensus
    assert consensus.disagree == ()
    flipped = consensus_statements(build_matrix(participant=pid, statement=tid, vote=-vote))
    assert [i.tid for i in flipped.disagree] == [0, 1, 2, 3, 4]
    assert flipped.agree == ()
    metrics = [i.metric for i in flipped.disagree]
    assert metrics == sorted(metrics, reverse=True)


def test_group_informed_consensus_by_hand(tiny: Tiny) -> None:
    _, _, counts = tiny
    result = group_informed_consensus(counts)
    # 11: (3+1)/(3+2) * (2+1)/(2+2) = 0.6; 10: 0.8 * 1/4 = 0.2; 12: 1/4 * 3/4 = 0.1875
    assert [(i.tid, round(i.consensus, 6)) for i in result] == [
        (11, 0.6),
        (10, 0.2),
        (12, 0.1875),
    ]
    first = result[0].groups
    assert [(g.group, g.n_agree, g.n_disagree, g.n_seen) for g in first] == [
        (0, 3, 0, 3),
        (1, 2, 0, 2),
    ]
    assert first[0].p_agree == pytest.approx(0.8)
    assert len(group_informed_consensus(counts, limit=2)) == 2


def test_analyse_with_given_groups_serialises(tiny: Tiny) -> None:
    matrix, _, _ = tiny
    result = analyse(matrix, groups=GROUPS).to_dict()
    assert set(result) == {"groups", "representative", "consensus", "group_informed_consensus"}
    assert result["groups"] == [{"id": 0, "members": [1, 2, 3]}, {"id": 1, "members": [4, 5]}]
    assert [i["tid"] for i in result["representative"]["1"]] == [12, 11, 10]
    assert result["consensus"]["agree"][0]["tid"] == 11


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 12),
    st.integers(1, 8),
    st.integers(1, 4),
    st.floats(0.2, 1.0),
    st.integers(0, 2**16),
)
def test_representative_lists_obey_pol_is_rules(
    n: int, m: int, k: int, coverage: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    pid, tid = np.nonzero(rng.random((n, m)) < coverage)
    if pid.size == 0:
        return
    vote = rng.choice([-1, 0, 1], size=pid.size)
    matrix = build_matrix(participant=pid, statement=tid, vote=vote)
    labels = {int(p): int(rng.integers(k)) for p in matrix.participant_ids}
    counts = group_vote_counts(matrix, groups_from_labels(matrix, labels=labels))
    totals = matrix.statement_counts()
    for gid, items in representative_statements(counts).items():
        assert 1 <= len(items) <= 5
        sides = [item.repful_for for item in items]
        assert sides == sorted(sides)  # "agree" < "disagree": agrees first
        assert sum(item.best_agree for item in items) <= 1
        assert len({item.tid for item in items}) == len(items)
        for item in items:
            j = int(np.searchsorted(matrix.statement_ids, item.tid))
            assert item.n_agree + item.n_agree_other == totals.n_agree[j]
            assert item.n_seen + item.n_seen_other == totals.n_seen[j]
            assert all(math.isfinite(x) for x in (item.metric, item.repness_test, item.p_test))
        assert gid in labels.values()
    consensus = consensus_statements(matrix)
    for statement in (*consensus.agree, *consensus.disagree):
        assert statement.p_success > 0.5
        assert statement.p_test > Z_90
    informed = group_informed_consensus(counts)
    scores = [informed_statement.consensus for informed_statement in informed]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s < 1 for s in scores)
