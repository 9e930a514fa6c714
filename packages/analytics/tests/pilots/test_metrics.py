"""Each metric against a hand-computed case."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from whatworks_analytics.pilots.metrics import (
    calibration_bins,
    curve_points,
    evaluate,
    flags_top_k,
    operating_flags,
    paired_differences,
    weighted_metrics,
)

# Six decision points, ranked by score.  Positives at ranks 1, 2 and 4.
Y = np.array([1, 1, 0, 1, 0, 0])
S = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])


def test_hand_computed_ranking_metrics() -> None:
    flags, cut = operating_flags(S, top_percent=50, threshold=None)
    m = evaluate(Y, S, flags, replicates=0)
    # AUC: positive-negative pairs ranked right: 0.9 and 0.8 beat all 3 negatives, 0.6 beats
    # 0.5 and 0.4: (3 + 3 + 2) / (3 * 3) = 8/9.
    assert m.value("roc_auc") == pytest.approx(8 / 9)
    # AP: recall steps of 1/3 at ranks 1, 2 and 4 with precision 1, 1 and 3/4.
    assert m.value("average_precision") == pytest.approx((1 + 1 + 0.75) / 3)
    # Brier: (0.1^2 + 0.2^2 + 0.7^2 + 0.4^2 + 0.5^2 + 0.4^2) / 6 = 1.11 / 6.
    assert m.value("brier") == pytest.approx(1.11 / 6)
    # Top 50%: k = 3 -> 0.9, 0.8, 0.7 flagged: tp 2, fp 1, fn 1, tn 2.
    assert cut == 0.7
    assert (m.tp, m.fp, m.fn, m.tn) == (2, 1, 1, 2)
    assert m.value("precision") == pytest.approx(2 / 3)
    assert m.value("recall") == pytest.approx(2 / 3)
    assert m.value("flag_rate") == pytest.approx(0.5)
    assert m.base_rate == pytest.approx(0.5)
    # Of every 10 flagged, round(6.67) = 7 escalated; of every 10 who escalated, 7 flagged.
    assert m.of_10_flagged == 7 and m.of_10_escalated == 7


def test_threshold_operating_point() -> None:
    flags, cut = operating_flags(S, top_percent=None, threshold=0.75)
    m = evaluate(Y, S, flags, replicates=0)
    assert cut == 0.75
    assert m.flagged == 2
    assert m.value("precision") == 1.0
    assert m.value("recall") == pytest.approx(2 / 3)
    assert m.of_10_flagged == 10 and m.of_10_escalated == 7


def test_ties_are_all_flagged_and_score_half() -> None:
    y = np.array([1, 0, 1, 0])
    s = np.array([0.5, 0.5, 0.5, 0.5])
    flags, _ = operating_flags(s, top_percent=25, threshold=None)
    assert flags.all()
    m = evaluate(y, s, flags, replicates=0)
    assert m.value("roc_auc") == 0.5
    assert m.value("average_precision") == 0.5
    assert m.value("precision") == 0.5


def test_undefined_metrics_are_none() -> None:
    y = np.zeros(5, dtype=int)
    s = np.linspace(0.1, 0.5, 5)
    m = evaluate(y, s, np.zeros(5, dtype=bool), replicates=50)
    assert m.value("roc_auc") is None
    assert m.value("recall") is None
    assert m.value("precision") is None  # nothing flagged
    assert m.of_10_flagged is None and m.of_10_escalated is None
    assert m.value("brier") == pytest.approx(float(np.mean(s**2)))


def test_matches_scikit_learn_with_ties_and_weights() -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 500)
    s = (rng.random(500) * 0.6 + 0.3 * y).round(1)  # many ties
    w = rng.integers(0, 4, 500).astype(float)
    flags = s >= 0.5
    got = weighted_metrics(y, s, flags, np.vstack([np.ones(500), w]))
    assert got["roc_auc"][0] == pytest.approx(roc_auc_score(y, s))
    assert got["roc_auc"][1] == pytest.approx(roc_auc_score(y, s, sample_weight=w))
    assert got["average_precision"][0] == pytest.approx(average_precision_score(y, s))
    assert got["average_precision"][1] == pytest.approx(
        average_precision_score(y, s, sample_weight=w)
    )
    assert got["brier"][1] == pytest.approx(brier_score_loss(y, s, sample_weight=w))


def test_bootstrap_intervals_are_seeded_and_contain_the_estimate() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    s = rng.random(400) * 0.5 + 0.3 * y
    flags, cut = operating_flags(s, top_percent=20, threshold=None)
    a = evaluate(y, s, flags, replicates=200, seed=7, threshold_used=cut)
    b = evaluate(y, s, flags, replicates=200, seed=7, threshold_used=cut)
    c = evaluate(y, s, flags, replicates=200, seed=8, threshold_used=cut)
    assert a.estimates == b.estimates
    assert a.estimates != c.estimates
    for e in a.estimates.values():
        assert e.low is not None and e.high is not None and e.value is not None
        assert e.low <= e.value <= e.high


def test_calibration_bins_by_decile() -> None:
    s = np.arange(20) / 20
    y = (np.arange(20) >= 10).astype(int)
    bins = calibration_bins(y, s)
    assert len(bins) == 10
    assert [b.n for b in bins] == [2] * 10
    assert bins[0].mean_predicted == pytest.approx(0.025)
    assert bins[0].observed_rate == 0 and bins[-1].observed_rate == 1


def test_calibration_bins_keep_tied_scores_together() -> None:
    """Hand-computed (metrics.calibration_bins docstring): 50 rows at 0.1, 30 at 0.2, 20 at
    0.3.  Their middle rows (24, 64, 89 of 100) fall in deciles 2, 6 and 8, so there are
    three bins, one per score, never a score split between two bins."""
    s = np.array([0.1] * 50 + [0.2] * 30 + [0.3] * 20)
    y = np.array([1] * 5 + [0] * 45 + [1] * 6 + [0] * 24 + [1] * 10 + [0] * 10)
    rng = np.random.default_rng(1)
    order = rng.permutation(100)  # the input order must not matter
    bins = calibration_bins(y[order], s[order])
    assert [(b.lower, b.upper, b.n) for b in bins] == [
        (0.1, 0.1, 50),
        (0.2, 0.2, 30),
        (0.3, 0.3, 20),
    ]
    assert [b.observed_rate for b in bins] == pytest.approx([0.1, 0.2, 0.5])


def test_calibration_bins_put_a_large_tie_in_one_bin_and_split_the_rest_evenly() -> None:
    # 40 distinct low scores, then 60 rows tied at 0.9: deciles 0-3 from the distinct
    # scores, and the tie (middle row 69, decile 6) as one bin of 60.
    s = np.r_[np.arange(40) / 100, np.full(60, 0.9)]
    y = np.r_[np.zeros(40, dtype=int), np.ones(60, dtype=int)]
    bins = calibration_bins(y, s)
    assert [b.n for b in bins] == [10, 10, 10, 10, 60]
    for a, b in itertools.pairwise(bins):
        assert a.upper < b.lower


def test_flags_top_k_flags_ties_with_the_kth() -> None:
    s = np.array([0.9, 0.5, 0.5, 0.1])
    assert flags_top_k(s, 2).tolist() == [True, True, True, False]
    assert flags_top_k(s, 1).tolist() == [True, False, False, False]
    assert flags_top_k(s, 0).tolist() == [False] * 4
    assert flags_top_k(s, 9).tolist() == [True] * 4


def test_paired_differences_are_the_difference_of_the_metrics_with_a_paired_interval() -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 400)
    a = y * 0.5 + rng.random(400)  # informative
    b = rng.random(400)  # random
    fa, fb = flags_top_k(a, 40), flags_top_k(b, 40)
    d = paired_differences(y, (a, fa), (b, fb), replicates=200, confidence=0.95, seed=3)
    ea = evaluate(y, a, fa, replicates=0)
    eb = evaluate(y, b, fb, replicates=0)
    for metric in ("precision", "recall", "roc_auc", "average_precision"):
        value_a, value_b, difference = ea.value(metric), eb.value(metric), d[metric]
        assert value_a is not None and value_b is not None
        assert difference.value == pytest.approx(value_a - value_b)
        assert difference.low is not None and difference.high is not None
        assert difference.low <= difference.high
    roc_auc_low = d["roc_auc"].low
    assert roc_auc_low is not None and roc_auc_low > 0  # clearly better than random
    # A scoring against itself differs by exactly 0 in every replicate.
    same = paired_differences(y, (a, fa), (a, fa), replicates=50, confidence=0.95, seed=3)
    assert same["roc_auc"].value == 0 and same["roc_auc"].low == same["roc_auc"].high == 0
    # Seeded: the same seed gives the same interval.
    again = paired_differences(y, (a, fa), (b, fb), replicates=200, confidence=0.95, seed=3)
    assert again == d


def test_curve_points() -> None:
    curves = curve_points(Y, S)
    assert curves["roc"][0] == (0.0, 0.0)
    assert curves["roc"][-1] == (1.0, 1.0)
    recall, precision = curves["pr"][0]
    assert recall == pytest.approx(1 / 3)
    assert precision == 1.0
    assert curves["pr"][-1] == (1.0, 0.5)
    assert curve_points(np.zeros(3), np.ones(3)) == {"roc": [], "pr": []}
