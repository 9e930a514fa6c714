"""One-number summaries of an attribute's disparities: demographic parity and equalised odds.

Over the groups ``G`` of one attribute (or intersection), with the selection rate ``sel``
(share flagged), the true positive rate ``tpr = 1 - fnr`` and the false positive rate ``fpr``
of each group::

    demographic_parity_difference = max_G sel - min_G sel
    demographic_parity_ratio      = min_G sel / max_G sel
    equalized_odds_difference     = max(max_G tpr - min_G tpr,  max_G fpr - min_G fpr)
    equalized_odds_ratio          = min(min_G tpr / max_G tpr,  min_G fpr / max_G fpr)

These are fairlearn's ``demographic_parity_difference``/``_ratio`` and
``equalized_odds_difference``/``_ratio`` with their defaults (``method="between_groups"``,
``agg="worst_case"``); the tests check the equality on data sets.  A difference of 0 and a
ratio of 1 mean parity.  Groups whose rate is undefined (no positives for ``tpr``, no
negatives for ``fpr``) are left out of that rate's extremes; with fewer than two defined
groups, or a maximum of 0 for a ratio, the summary is undefined (``None``).

Each summary is given twice: over every reported group (fairlearn's definition) and over the
groups large enough to judge (the audit's size rule), since a group of five rows can make any
summary extreme.  Bootstrap intervals resample rows within each group, as
:mod:`.bootstrap` does, and recompute each summary; as the maximum of differences a
summary's replicates lean upwards, so a lower bound above 0 (or an upper bound below 1 for a
ratio) is the reading that matters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from whatworks_analytics.fairness.bootstrap import (
    BootstrapSettings,
    Interval,
    percentile_interval,
    resample_counts,
)
from whatworks_analytics.fairness.metrics import GroupCounts, rates_from_counts

__all__ = [
    "SUMMARY_LABELS",
    "SUMMARY_METRICS",
    "AttributeSummary",
    "summarise_attribute",
    "summary_values",
]

#: The summaries, in report order.
SUMMARY_METRICS: Final[tuple[str, ...]] = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
)

#: Human names of the summaries.
SUMMARY_LABELS: Final[Mapping[str, str]] = {
    "demographic_parity_difference": "Demographic parity difference",
    "demographic_parity_ratio": "Demographic parity ratio",
    "equalized_odds_difference": "Equalised odds difference",
    "equalized_odds_ratio": "Equalised odds ratio",
}

Floats = npt.NDArray[np.float64]


def _extremes(values: Floats) -> tuple[Floats, Floats, Floats]:
    """Per row of ``values`` (``(..., G)``): min, max over the defined entries, and how many."""
    defined = ~np.isnan(values)
    count = defined.sum(axis=-1).astype(np.float64)
    with np.errstate(invalid="ignore"):
        low = np.where(defined, values, np.inf).min(axis=-1, initial=np.inf)
        high = np.where(defined, values, -np.inf).max(axis=-1, initial=-np.inf)
    return low, high, count


def _spread(values: Floats) -> tuple[Floats, Floats]:
    """``(max - min, min / max)`` over the last axis, NaN where undefined."""
    low, high, count = _extremes(values)
    enough = count >= 2
    difference = np.where(enough, high - low, np.nan)
    safe_high = np.where(enough & (high > 0), high, 1.0)
    ratio = np.where(enough & (high > 0), low / safe_high, np.nan)
    return difference, ratio


def summary_values(tp: Floats, fp: Floats, tn: Floats, fn: Floats) -> dict[str, Floats]:
    """Every summary of :data:`SUMMARY_METRICS` from cell counts of shape ``(..., G)``.

    The last axis runs over the groups; the result has the leading shape (a scalar array for
    ``(G,)`` input), ``NaN`` where undefined.

    >>> tp, fp, tn, fn = np.array([[10.0, 5.0], [5.0, 5.0], [80.0, 85.0], [5.0, 5.0]])
    >>> values = summary_values(tp, fp, tn, fn)
    >>> round(float(values["demographic_parity_difference"]), 4)  # 0.15 - 0.10
    0.05
    >>> round(float(values["equalized_odds_ratio"]), 4)  # min(0.5 / 0.6667, 0.0556 / 0.0588)
    0.75
    """
    rates = rates_from_counts(tp, fp, tn, fn)
    selection_difference, selection_ratio = _spread(rates["selection_rate"])
    tpr = 1.0 - rates["fnr"]
    tpr_difference, tpr_ratio = _spread(tpr)
    fpr_difference, fpr_ratio = _spread(rates["fpr"])
    # max/min that propagate NaN: an undefined component leaves the summary undefined, as
    # fairlearn's max() over a series with NaN does not (it would drop it silently).
    return {
        "demographic_parity_difference": selection_difference,
        "demographic_parity_ratio": selection_ratio,
        "equalized_odds_difference": np.maximum(tpr_difference, fpr_difference),
        "equalized_odds_ratio": np.minimum(tpr_ratio, fpr_ratio),
        "tpr_difference": tpr_difference,
        "fpr_difference": fpr_difference,
        "tpr_ratio": tpr_ratio,
        "fpr_ratio": fpr_ratio,
    }


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True, kw_only=True)
class AttributeSummary:
    """The summaries of one attribute over all its reported groups and over the judged ones.

    ``values`` and ``values_judged`` map each name of :data:`SUMMARY_METRICS` (and the
    components ``tpr_difference``, ``fpr_difference``, ``tpr_ratio``, ``fpr_ratio``) to a
    number or ``None``; ``intervals`` and ``intervals_judged`` hold bootstrap intervals of
    the four summaries when a bootstrap was run.
    """

    attribute: str
    groups: tuple[str, ...]
    judged_groups: tuple[str, ...]
    values: Mapping[str, float | None]
    values_judged: Mapping[str, float | None]
    intervals: Mapping[str, Interval] | None = None
    intervals_judged: Mapping[str, Interval] | None = None

    def to_dict(self) -> dict[str, Any]:
        def ci(intervals: Mapping[str, Interval] | None) -> dict[str, Any] | None:
            if intervals is None:
                return None
            return {name: interval.to_dict() for name, interval in intervals.items()}

        return {
            "attribute": self.attribute,
            "groups": list(self.groups),
            "judged_groups": list(self.judged_groups),
            "all_groups": dict(self.values),
            "judged": dict(self.values_judged),
            "all_groups_ci": ci(self.intervals),
            "judged_ci": ci(self.intervals_judged),
        }


def _point(groups: Sequence[GroupCounts]) -> dict[str, float | None]:
    cells = np.array([g.cells() for g in groups], dtype=np.float64).reshape(-1, 4)
    values = summary_values(cells[:, 0], cells[:, 1], cells[:, 2], cells[:, 3])
    return {name: _finite(float(value)) for name, value in values.items()}


def _intervals(
    draws: npt.NDArray[np.int64], columns: Sequence[int], *, confidence: float
) -> dict[str, Interval]:
    picked = draws[:, list(columns), :].astype(np.float64)
    values = summary_values(picked[..., 0], picked[..., 1], picked[..., 2], picked[..., 3])
    out = {}
    for name in SUMMARY_METRICS:
        low, high = percentile_interval(values[name], confidence=confidence)
        out[name] = Interval(low=_finite(float(low)), high=_finite(float(high)))
    return out


def summarise_attribute(
    attribute: str,
    groups: Sequence[GroupCounts],
    *,
    judged: Sequence[str],
    settings: BootstrapSettings | None = None,
) -> AttributeSummary:
    """The summaries of ``groups`` (one attribute), all of them and those named in ``judged``.

    With ``settings`` the intervals come from ``settings.replicates`` resamples drawn from a
    generator seeded with ``(settings.seed, 2)``, a stream of its own, so that adding the
    summaries changes none of the audit's other intervals.
    """
    judged_set = set(judged)
    judged_groups = [g for g in groups if g.group in judged_set]
    intervals = intervals_judged = None
    if settings is not None and groups:
        rng = np.random.default_rng([settings.seed, 2])
        cells = np.array([g.cells() for g in groups], dtype=np.int64)
        draws = resample_counts(cells, replicates=settings.replicates, rng=rng)
        everyone = range(len(groups))
        chosen = [i for i, g in enumerate(groups) if g.group in judged_set]
        intervals = _intervals(draws, everyone, confidence=settings.confidence)
        intervals_judged = _intervals(draws, chosen, confidence=settings.confidence)
    return AttributeSummary(
        attribute=attribute,
        groups=tuple(g.group for g in groups),
        judged_groups=tuple(g.group for g in judged_groups),
        values=_point(groups),
        values_judged=_point(judged_groups),
        intervals=intervals,
        intervals_judged=intervals_judged,
    )
