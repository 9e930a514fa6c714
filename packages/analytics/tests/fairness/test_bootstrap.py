"""Bootstrap intervals: seeded determinism, coverage of the point estimate, edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from whatworks_analytics.fairness import (
    RATE_METRICS,
    BootstrapSettings,
    GroupCounts,
    GroupIntervals,
    Interval,
    bootstrap_intervals,
    percentile_interval,
    resample_counts,
)

GROUPS = (
    GroupCounts(attribute="eth", group="A", tp=120, fp=80, tn=700, fn=100),
    GroupCounts(attribute="eth", group="B", tp=60, fp=70, tn=250, fn=40),
    GroupCounts(attribute="sex", group="F", tp=90, fp=75, tn=480, fn=70),
    GroupCounts(attribute="sex", group="M", tp=90, fp=75, tn=470, fn=70),
)
REFERENCES = {("eth", m): "A" for m in ("fpr", "fnr")} | {("sex", m): "F" for m in ("fpr", "fnr")}


def run(seed: int, replicates: int = 500) -> tuple[GroupIntervals, ...]:
    return bootstrap_intervals(
        GROUPS,
        references=REFERENCES,
        settings=BootstrapSettings(replicates=replicates, seed=seed),
        disparity_metrics=("fpr", "fnr"),
    )


def test_same_seed_same_intervals_and_other_seed_differs() -> None:
    assert run(3) == run(3)
    assert run(3) != run(4)


def test_intervals_cover_point_estimates_and_reference_ratio_is_one() -> None:
    for group, intervals in zip(GROUPS, run(11, replicates=2000), strict=True):
        for metric in RATE_METRICS:
            value = group.rate(metric)
            assert value is not None
            interval = intervals.metrics[metric]
            assert interval.low is not None and interval.high is not None
            assert interval.low <= value <= interval.high
            assert 0 <= interval.low <= interval.high <= 1
        for metric in ("fpr", "fnr"):
            base = GROUPS[0] if group.attribute == "eth" else GROUPS[2]
            rate, base_rate = group.rate(metric), base.rate(metric)
            assert rate is not None and base_rate is not None
            ratio = rate / base_rate
            assert intervals.disparities[metric].covers(ratio)
    assert run(11)[0].disparities["fpr"] == Interval(low=1.0, high=1.0)


def test_interval_shrinks_with_more_data() -> None:
    small = GroupCounts(attribute="a", group="s", tp=10, fp=10, tn=70, fn=10)
    large = GroupCounts(attribute="a", group="l", tp=1000, fp=1000, tn=7000, fn=1000)
    s, l_ = bootstrap_intervals([small, large], references={}, settings=BootstrapSettings(seed=1))
    width = {}
    for k, i in (("s", s.metrics["fpr"]), ("l", l_.metrics["fpr"])):
        assert i.low is not None and i.high is not None
        width[k] = i.high - i.low
    assert width["l"] < width["s"] / 5


def test_resampling_keeps_group_sizes() -> None:
    rng = np.random.default_rng(0)
    cells = np.array([[3, 1, 4, 2], [0, 0, 0, 0], [5, 0, 0, 0]])
    draws = resample_counts(cells, replicates=50, rng=rng)
    assert draws.shape == (50, 3, 4)
    assert (draws.sum(axis=2) == cells.sum(axis=1)).all()
    assert (draws[:, 2, 1:] == 0).all()  # a cell with no rows is never drawn
    with pytest.raises(ValueError, match="shape"):
        resample_counts(np.array([1, 2, 3, 4]), replicates=1, rng=rng)


def test_percentile_interval_handles_undefined_and_infinite_replicates() -> None:
    nan, inf = np.nan, np.inf
    samples = np.array(
        [
            [1.0, nan, 1.0, inf, nan],
            [2.0, nan, nan, inf, nan],
            [3.0, nan, 2.0, 1.0, nan],
            [4.0, nan, 3.0, 2.0, 1.0],
        ]
    )
    # confidence 0.5: the 25% and 75% quantiles (inverted CDF, no interpolation).
    low, high = percentile_interval(samples, confidence=0.5)
    assert (low[0], high[0]) == (1.0, 3.0)
    assert np.isnan(low[1]) and np.isnan(high[1])  # every replicate undefined
    assert (low[2], high[2]) == (1.0, 3.0)  # 25% undefined <= alpha: dropped
    assert (low[3], high[3]) == (1.0, inf)  # x / 0 replicates count as +inf
    assert np.isnan(low[4]) and np.isnan(high[4])  # 75% undefined > alpha: no interval


def test_undefined_ratio_interval_is_none() -> None:
    zero = GroupCounts(attribute="a", group="z", tp=10, fp=0, tn=90, fn=10)
    other = GroupCounts(attribute="a", group="o", tp=10, fp=5, tn=85, fn=10)
    result = bootstrap_intervals(
        [zero, other],
        references={("a", "fpr"): "z"},
        settings=BootstrapSettings(replicates=200),
        disparity_metrics=("fpr",),
    )
    assert result[1].disparities["fpr"] == Interval(low=None, high=None)
    assert result[1].to_dict()["disparity"]["fpr"] == [None, None]


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="replicates"):
        BootstrapSettings(replicates=0)
    with pytest.raises(ValueError, match="confidence"):
        BootstrapSettings(confidence=1.0)


cell = st.integers(min_value=0, max_value=300)


@settings(max_examples=40, deadline=None)
@given(tp=cell, fp=cell, tn=cell, fn=cell, seed=st.integers(0, 2**32 - 1))
def test_rate_intervals_cover_the_point_estimate(
    tp: int, fp: int, tn: int, fn: int, seed: int
) -> None:
    group = GroupCounts(attribute="a", group="g", tp=tp, fp=fp, tn=tn, fn=fn)
    if group.n == 0:
        return
    (result,) = bootstrap_intervals(
        [group], references={}, settings=BootstrapSettings(replicates=400, seed=seed)
    )
    for metric in RATE_METRICS:
        value = group.rate(metric)
        interval = result.metrics[metric]
        if value is None:
            continue
        assert interval.covers(value), (metric, value, interval)
        if interval.low is not None and interval.high is not None:
            assert 0 <= interval.low <= interval.high <= 1


def test_percentile_bounds_equal_numpys_inverted_cdf_quantiles_column_by_column() -> None:
    """The vectorised quantile agrees with ``np.nanquantile(method="inverted_cdf")``, ties,
    undefined replicates and ``q * m`` landing exactly on an order statistic included."""
    from whatworks_analytics.fairness.bootstrap import _inverted_cdf_quantiles

    rng = np.random.default_rng(7)
    for _ in range(500):
        b, g = int(rng.integers(1, 40)), int(rng.integers(1, 5))
        values = rng.integers(0, 6, size=(b, g)).astype(np.float64)
        values[rng.random((b, g)) < rng.random() * 0.5] = np.nan
        defined = ~np.isnan(values).all(axis=0)
        for q in (0.025, 0.5, 1 / 3, 0.975, float(rng.random())):
            (got,) = _inverted_cdf_quantiles(values, [q])
            assert np.isnan(got[~defined]).all()
            if defined.any():
                expected = np.nanquantile(values[:, defined], q, axis=0, method="inverted_cdf")
                np.testing.assert_array_equal(got[defined], expected)
