"""Subgroup performance: hand-computed rates, small groups, and the intervals' law."""

from __future__ import annotations

import numpy as np
import polars as pl

from whatworks_analytics.pilots.circumstances import performance_by

DIMENSION = (("source", "referral source"),)


def _frame() -> pl.DataFrame:
    # Police: 8 rows.  Scores 0.9..0.2, labels 1,1,0,1,0,0,1,0; the top 3 are flagged.
    # tp = 2 (0.9, 0.8), fp = 1 (0.7), fn = 2 (0.6, 0.3), tn = 3.
    # precision 2/3, recall 2/4; AUC: positives at 0.9, 0.8, 0.6, 0.3 and negatives at
    # 0.7, 0.5, 0.4, 0.2 -> pairs won 4 + 4 + 3 + 1 = 12 of 16 = 0.75.
    police = {
        "score": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2],
        "label": [1, 1, 0, 1, 0, 0, 1, 0],
        "flag": [True, True, True, False, False, False, False, False],
        "source": ["police"] * 8,
    }
    # School: 2 rows, below min_n.
    school = {"score": [0.5, 0.1], "label": [1, 0], "flag": [True, False], "source": ["school"] * 2}
    return pl.concat([pl.DataFrame(police), pl.DataFrame(school)])


def test_rates_are_the_hand_computed_ones_and_small_groups_are_not_judged() -> None:
    police, school = performance_by(_frame(), dimensions=DIMENSION, min_n=5)
    assert (police["group"], police["n"], police["positives"], police["flagged"]) == (
        "police",
        8,
        4,
        3,
    )
    assert police["precision"] == 2 / 3
    assert police["recall"] == 0.5
    assert police["roc_auc"] == 0.75
    assert police["precision_ci"] is None  # no replicates asked for
    assert school["too_small"] is True
    assert school["precision"] is None and school["precision_ci"] is None


def test_intervals_are_seeded_and_bracket_the_estimate() -> None:
    first = performance_by(_frame(), dimensions=DIMENSION, min_n=5, replicates=500, seed=3)
    again = performance_by(_frame(), dimensions=DIMENSION, min_n=5, replicates=500, seed=3)
    assert first == again
    low, high = first[0]["recall_ci"]
    assert low <= 0.5 <= high
    assert 0.0 <= low < high <= 1.0
    assert first[1]["recall_ci"] is None  # too small: never judged


def test_multinomial_intervals_match_resampling_the_rows() -> None:
    """The cells' multinomial draw is the row bootstrap in law: with many replicates the
    percentile bounds of both agree to Monte Carlo error."""
    rng = np.random.default_rng(11)
    n = 400
    score = rng.random(n)
    label = (rng.random(n) < 0.25 + 0.4 * score).astype(np.int64)
    flag = score >= np.quantile(score, 0.8)
    frame = pl.DataFrame({"score": score, "label": label, "flag": flag, "source": ["a"] * n})
    (row,) = performance_by(frame, dimensions=DIMENSION, replicates=20_000, seed=5)

    draws = rng.integers(0, n, size=(20_000, n))
    tp = (flag[draws] & (label[draws] == 1)).sum(axis=1)
    precision = tp / flag[draws].sum(axis=1)
    recall = tp / (label[draws] == 1).sum(axis=1)
    for metric, values in (("precision", precision), ("recall", recall)):
        expected = np.quantile(values, [0.025, 0.975])
        np.testing.assert_allclose(row[f"{metric}_ci"], expected, atol=0.015)
