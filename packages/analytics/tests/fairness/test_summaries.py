"""Demographic-parity and equalised-odds summaries, checked against fairlearn.

Reference: fairlearn 0.11+ ``demographic_parity_difference``/``_ratio`` and
``equalized_odds_difference``/``_ratio`` (defaults: ``method="between_groups"``,
``agg="worst_case"``), on random data sets with groups of unequal size and unequal rates,
and a hand-computed case.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from whatworks_analytics.fairness import AuditConfig, BootstrapSettings, FlagRule, audit_frame
from whatworks_analytics.fairness.disparities import SizeRule
from whatworks_analytics.fairness.metrics import GroupCounts
from whatworks_analytics.fairness.summaries import (
    SUMMARY_METRICS,
    summarise_attribute,
    summary_values,
)


def dataset(seed: int, n: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(np.array(["a", "b", "c", "d"]), n, p=[0.5, 0.3, 0.15, 0.05])
    shift = np.select([group == "b", group == "c"], [0.1, -0.05], 0.0)
    label = (rng.random(n) < 0.25 + shift).astype(np.int64)
    score = np.clip(0.35 * label + 0.65 * rng.random(n) + shift, 0, 1)
    return pl.DataFrame({"score": score, "label": label, "g": group})


@pytest.mark.parametrize(("seed", "n"), [(1, 500), (2, 3000), (3, 20_000)])
def test_summaries_equal_fairlearn(seed: int, n: int) -> None:
    from fairlearn.metrics import (
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
        equalized_odds_ratio,
    )

    frame = dataset(seed, n)
    report = audit_frame(
        frame,
        AuditConfig(score="score", label="label", groups=("g",), flag_rule=FlagRule(threshold=0.6)),
    )
    y = frame["label"].to_numpy()
    flagged = (frame["score"].to_numpy() >= 0.6).astype(int)
    g = frame["g"].to_numpy()
    expected = {
        "demographic_parity_difference": demographic_parity_difference(
            y, flagged, sensitive_features=g
        ),
        "demographic_parity_ratio": demographic_parity_ratio(y, flagged, sensitive_features=g),
        "equalized_odds_difference": equalized_odds_difference(y, flagged, sensitive_features=g),
        "equalized_odds_ratio": equalized_odds_ratio(y, flagged, sensitive_features=g),
    }
    values = report.summary("g").values
    for name in SUMMARY_METRICS:
        assert values[name] == pytest.approx(expected[name], abs=1e-12), name
    document = report.to_dict()["summaries"][0]
    assert document["attribute"] == "g"
    assert document["all_groups"]["equalized_odds_ratio"] == values["equalized_odds_ratio"]


def test_hand_computed_summaries() -> None:
    # a: tp 10, fp 5, tn 80, fn 5 -> sel 0.15, tpr 10/15, fpr 5/85
    # b: tp 5,  fp 5, tn 85, fn 5 -> sel 0.10, tpr 5/10,  fpr 5/90
    groups = [
        GroupCounts(attribute="x", group="a", tp=10, fp=5, tn=80, fn=5),
        GroupCounts(attribute="x", group="b", tp=5, fp=5, tn=85, fn=5),
    ]
    summary = summarise_attribute("x", groups, judged=["a", "b"])
    assert summary.values["demographic_parity_difference"] == pytest.approx(0.05)
    assert summary.values["demographic_parity_ratio"] == pytest.approx(0.10 / 0.15)
    assert summary.values["equalized_odds_difference"] == pytest.approx(10 / 15 - 5 / 10)
    assert summary.values["equalized_odds_ratio"] == pytest.approx(
        min(0.5 / (10 / 15), (5 / 90) / (5 / 85))
    )
    assert summary.values == summary.values_judged


def test_judged_summary_leaves_out_groups_too_small_to_judge() -> None:
    groups = [
        GroupCounts(attribute="x", group="big", tp=40, fp=20, tn=120, fn=20),
        GroupCounts(attribute="x", group="big2", tp=35, fp=25, tn=115, fn=25),
        GroupCounts(attribute="x", group="tiny", tp=3, fp=0, tn=1, fn=0),
    ]
    summary = summarise_attribute("x", groups, judged=["big", "big2"])
    # tiny's selection rate (0.75) dominates the summary over every group ...
    assert summary.values["demographic_parity_difference"] == pytest.approx(0.75 - 0.3)
    # ... and not the one over the judged groups.
    assert summary.values_judged["demographic_parity_difference"] == pytest.approx(0.0)
    assert summary.judged_groups == ("big", "big2")


def test_undefined_when_fewer_than_two_groups_have_the_rate() -> None:
    values = summary_values(
        np.array([0.0, 0.0]), np.array([3.0, 1.0]), np.array([5.0, 6.0]), np.array([0.0, 0.0])
    )
    # Neither group has a positive row: the TPR is undefined, so equalised odds is too.
    assert math.isnan(float(values["equalized_odds_difference"]))
    assert float(values["demographic_parity_difference"]) == pytest.approx(3 / 8 - 1 / 7)
    one = summary_values(np.array([1.0]), np.array([1.0]), np.array([1.0]), np.array([1.0]))
    assert all(math.isnan(float(value)) for value in one.values())


def test_summary_intervals_cover_the_estimate_and_are_seeded() -> None:
    frame = dataset(5, 4000)
    config = AuditConfig(
        score="score",
        label="label",
        groups=("g",),
        flag_rule=FlagRule(threshold=0.6),
        size_rule=SizeRule(min_group_size=1, min_denominator=1),
        bootstrap=BootstrapSettings(replicates=400, seed=11),
    )
    first = audit_frame(frame, config).summary("g")
    again = audit_frame(frame, config).summary("g")
    assert first.intervals == again.intervals
    assert first.intervals is not None
    for name in SUMMARY_METRICS:
        interval = first.intervals[name]
        value = first.values[name]
        assert interval.low is not None and interval.high is not None
        assert value is not None
        assert interval.low <= interval.high
        # The estimate lies in its interval (or near: percentile intervals of extremes are
        # skewed, never so far that they miss the estimate by more than their width).
        width = interval.high - interval.low
        assert interval.low - width <= value <= interval.high + width
    # Group c has no false positive, so the FPR ratio and equalised-odds ratio are 0 in
    # every replicate; the differences still vary.
    assert first.intervals["equalized_odds_ratio"].to_dict() == [0.0, 0.0]
    low, high = first.intervals["demographic_parity_difference"].to_dict()
    assert low is not None and high is not None and low < high


def test_the_summaries_leave_the_other_intervals_unchanged() -> None:
    # The summaries draw from a stream of their own: the rates' intervals stay as they were.
    from whatworks_analytics.fairness.bootstrap import bootstrap_intervals

    frame = dataset(6, 2000)
    settings = BootstrapSettings(replicates=200, seed=4)
    config = AuditConfig(
        score="score",
        label="label",
        groups=("g",),
        flag_rule=FlagRule(threshold=0.6),
        bootstrap=settings,
    )
    report = audit_frame(frame, config)
    counts = [g.counts for g in report.groups()]
    references = {("g", m): group for m, group in report.attributes[0].references.items()}
    alone = bootstrap_intervals(counts, references=references, settings=settings)
    assert [i.metrics for i in alone] == [i.metrics for i in report.intervals or ()]
