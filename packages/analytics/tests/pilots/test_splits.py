"""Temporal splits: the worked example, edge-case tables and the no-crossing rule."""

from __future__ import annotations

import doctest
from datetime import date, timedelta

import pytest

from whatworks_analytics.pilots import splits
from whatworks_analytics.pilots.splits import temporal_splits


def test_docstring_worked_example() -> None:
    result = doctest.testmod(splits, raise_on_error=False, verbose=False)
    assert result.attempted >= 1
    assert result.failed == 0


# label_end, window, test_days, step, n -> (split_date, test_end, train_before) of each split
CASES = [
    # One split, a year window, a year of tests (2020 is a leap year).
    (
        date(2020, 4, 1),
        365,
        365,
        None,
        1,
        [(date(2018, 4, 2), date(2019, 4, 2), date(2017, 4, 3))],
    ),
    # Half-year tests stepping back by half a year, across a leap day.
    (
        date(2021, 1, 1),
        365,
        182,
        None,
        3,
        [
            (date(2019, 7, 4), date(2020, 1, 2), date(2018, 7, 5)),
            (date(2019, 1, 3), date(2019, 7, 4), date(2018, 1, 4)),
            (date(2018, 7, 5), date(2019, 1, 3), date(2017, 7, 6)),
        ],
    ),
    # Overlapping test periods: step shorter than the test period.
    (
        date(2020, 1, 1),
        30,
        60,
        30,
        2,
        [
            (date(2019, 10, 3), date(2019, 12, 2), date(2019, 9, 4)),
            (date(2019, 9, 3), date(2019, 11, 2), date(2019, 8, 5)),
        ],
    ),
    # A one-day window and one-day tests: train on every day before the split date.
    (date(2020, 1, 10), 1, 1, None, 1, [(date(2020, 1, 8), date(2020, 1, 9), date(2020, 1, 8))]),
    # Gaps between test periods: step longer than the test period.
    (
        date(2020, 1, 1),
        10,
        5,
        20,
        2,
        [
            (date(2019, 12, 17), date(2019, 12, 22), date(2019, 12, 8)),
            (date(2019, 11, 27), date(2019, 12, 2), date(2019, 11, 18)),
        ],
    ),
]


@pytest.mark.parametrize(("label_end", "window", "test_days", "step", "n", "expected"), CASES)
def test_edge_case_table(
    label_end: date,
    window: int,
    test_days: int,
    step: int | None,
    n: int,
    expected: list[tuple[date, date, date]],
) -> None:
    result = temporal_splits(
        label_end=label_end, window_days=window, test_days=test_days, n_splits=n, step_days=step
    )
    assert [(s.split_date, s.test_end, s.train_decisions_before) for s in result] == expected
    assert [s.index for s in result] == list(range(n))


@pytest.mark.parametrize(("label_end", "window", "test_days", "step", "n", "expected"), CASES)
def test_no_label_crosses_a_split_date(
    label_end: date,
    window: int,
    test_days: int,
    step: int | None,
    n: int,
    expected: list[tuple[date, date, date]],
) -> None:
    del expected
    w = timedelta(days=window)
    for s in temporal_splits(
        label_end=label_end, window_days=window, test_days=test_days, n_splits=n, step_days=step
    ):
        last_train = s.train_decisions_before - timedelta(days=1)
        # The latest training decision's window [d, d + W) closes on or before the split date.
        assert last_train + w <= s.split_date
        # One day later would cross it: the rule is tight.
        assert s.train_decisions_before + w > s.split_date
        # Every test decision's label is known by the label end.
        assert s.test_end - timedelta(days=1) + w <= label_end
        assert s.is_train(last_train) and not s.is_train(s.train_decisions_before)
        assert s.is_test(s.test_start) and not s.is_test(s.test_end)


@pytest.mark.parametrize(
    ("window", "test_days", "n", "step"),
    [(0, 10, 1, None), (10, 0, 1, None), (10, 10, 0, None), (10, 10, 1, 0)],
)
def test_invalid_arguments(window: int, test_days: int, n: int, step: int | None) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        temporal_splits(
            label_end=date(2020, 1, 1),
            window_days=window,
            test_days=test_days,
            n_splits=n,
            step_days=step,
        )
