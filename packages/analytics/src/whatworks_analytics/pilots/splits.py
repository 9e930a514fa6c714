"""Temporal splits that walk back from the label end date.  Pure: dates in, dates out.

Notation: ``L`` the label end (exclusive: events before ``L`` are recorded), ``W`` the outcome
window in days, ``T`` the length of a test period, ``S`` the step between splits (default
``T``) and ``k`` the number of splits.  Split ``i`` (``i = 0`` is the most recent) has::

    split_date  s_i = L - W - T - i * S
    test rows       s_i <= d < s_i + T            (so d + W <= L - 1 < L: labels known)
    training rows   d + W <= s_i,  i.e.  d < s_i - W + 1 day
                    (the window's last day, d + W - 1, is before s_i)

A training row's outcome window therefore always ends before the split date: nothing that
happened on or after ``s_i`` is used to fit split ``i``'s model, neither in its features
(which use only facts dated before each row's ``d``) nor in its labels.

Worked example.  ``L = 2020-04-01``, ``W = 365``, ``T = 365``, ``S = 365``, ``k = 2``:

>>> from datetime import date
>>> for s in temporal_splits(label_end=date(2020, 4, 1), window_days=365, test_days=365,
...                          n_splits=2):
...     print(s.index, s.split_date, s.test_start, s.test_end, s.train_decisions_before)
0 2018-04-02 2018-04-02 2019-04-02 2017-04-03
1 2017-04-02 2017-04-02 2018-04-02 2016-04-03

Split 0 tests the decisions of 2018-04-02 to 2019-04-01 (their windows end by 2020-03-31,
before ``L``) and trains on decisions up to 2017-04-02, whose windows ended by 2018-04-01,
the day before the split date.  The decisions from 2017-04-03 to 2018-04-01 are in neither:
their outcomes were still unknown at the split date.  (2020 is a leap year, hence the 2nd
of April.)  The test side keeps one day of slack: the last test decision's window ends the
day before ``L - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, kw_only=True)
class TemporalSplit:
    """One split: train on ``d < train_decisions_before``, test on ``test_start <= d <
    test_end``."""

    index: int
    split_date: date
    test_start: date
    test_end: date
    train_decisions_before: date

    def is_train(self, decision_date: date) -> bool:
        return decision_date < self.train_decisions_before

    def is_test(self, decision_date: date) -> bool:
        return self.test_start <= decision_date < self.test_end


def temporal_splits(
    *,
    label_end: date,
    window_days: int,
    test_days: int,
    n_splits: int,
    step_days: int | None = None,
) -> tuple[TemporalSplit, ...]:
    """The ``n_splits`` splits, most recent first (see the module docstring for the rule).

    ``train_decisions_before = s_i - W + 1 day``: for whole days ``d < s_i - W + 1`` is
    exactly ``d + W <= s_i``, the window ``[d, d + W)`` closing before ``s_i``.
    """
    if window_days < 1 or test_days < 1 or n_splits < 1:
        raise ValueError("window_days, test_days and n_splits must be at least 1")
    step = test_days if step_days is None else step_days
    if step < 1:
        raise ValueError("step_days must be at least 1")
    out = []
    for i in range(n_splits):
        split = label_end - timedelta(days=window_days + test_days + i * step)
        out.append(
            TemporalSplit(
                index=i,
                split_date=split,
                test_start=split,
                test_end=split + timedelta(days=test_days),
                train_decisions_before=split - timedelta(days=window_days - 1),
            )
        )
    return tuple(out)
