"""Bootstrap intervals for group metrics, disparity ratios and differences (seeded, vectorised).

The resampling unit is the row, stratified by group: each replicate redraws a group's ``n``
rows with replacement from its own rows.  Because a rate depends on the rows only through the
four confusion cells, that is exactly a multinomial draw::

    (tp*, fp*, tn*, fn*) ~ Multinomial(n, (tp, fp, tn, fn) / n)

so all ``B`` replicates of all ``G`` groups come from one call producing a ``(B, G, 4)`` array,
whatever the number of rows.  The rates of every replicate follow from
:func:`~whatworks_analytics.fairness.metrics.rates_from_counts`, and a disparity replicate is
``m(g*) / m(r*)`` (a difference replicate ``m(g*) - m(r*)``) with the reference group ``r``
held fixed at the one chosen on the data.  The flag threshold is held fixed too (the audit is
conditional on the tool as deployed, so in top-percent mode the cut-off score is not
re-estimated).

The interval is the percentile interval: with ``alpha = 1 - confidence`` its bounds are the
``alpha / 2`` and ``1 - alpha / 2`` quantiles (inverted-CDF definition, no interpolation) of the
replicates.  Replicates where the statistic is undefined (``0 / 0``) are dropped; if more than
``alpha`` of them are undefined the interval is undefined (``None``).  A ratio replicate
``x / 0`` with ``x > 0`` counts as ``+inf`` and an infinite bound is reported as ``None``
(unbounded).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from whatworks_analytics.fairness.metrics import RATE_METRICS, GroupCounts, rates_from_counts

__all__ = [
    "BootstrapSettings",
    "GroupIntervals",
    "Interval",
    "bootstrap_intervals",
    "percentile_interval",
    "resample_counts",
]


@dataclass(frozen=True, kw_only=True)
class BootstrapSettings:
    """Number of replicates, confidence level and the seed of the random generator."""

    replicates: int = 1000
    confidence: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        if self.replicates < 1:
            raise ValueError("the number of bootstrap replicates must be at least 1")
        if not 0 < self.confidence < 1:
            raise ValueError("the confidence level must lie strictly between 0 and 1")

    def to_dict(self) -> dict[str, Any]:
        return {
            "replicates": self.replicates,
            "confidence": self.confidence,
            "seed": self.seed,
            "method": "percentile, rows resampled within each group",
        }


@dataclass(frozen=True, kw_only=True)
class Interval:
    """A confidence interval; a ``None`` bound is undefined or unbounded."""

    low: float | None
    high: float | None

    def covers(self, value: float) -> bool:
        """``low <= value <= high`` treating a ``None`` bound as unbounded."""
        return (self.low is None or self.low <= value) and (self.high is None or value <= self.high)

    def to_dict(self) -> list[float | None]:
        return [self.low, self.high]


@dataclass(frozen=True, kw_only=True)
class GroupIntervals:
    """Intervals for one group's rates, its disparity ratios and its differences."""

    attribute: str
    group: str
    metrics: Mapping[str, Interval]
    disparities: Mapping[str, Interval]
    differences: Mapping[str, Interval] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "group": self.group,
            "metrics": {name: interval.to_dict() for name, interval in self.metrics.items()},
            "disparity": {name: interval.to_dict() for name, interval in self.disparities.items()},
            "difference": {name: interval.to_dict() for name, interval in self.differences.items()},
        }


def resample_counts(
    counts: npt.ArrayLike, *, replicates: int, rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    """Bootstrap replicates of confusion cells: ``(G, 4)`` counts to ``(B, G, 4)`` replicates.

    Each row of ``counts`` is one group's ``(tp, fp, tn, fn)``; every replicate keeps each
    group's total and redraws the cells from the observed proportions (a multinomial draw, the
    same in law as resampling the group's rows with replacement).  Empty groups stay empty.
    """
    cells = np.asarray(counts, dtype=np.int64)
    if cells.ndim != 2 or cells.shape[1] != 4:
        raise ValueError("counts must have shape (groups, 4)")
    if (cells < 0).any():
        raise ValueError("counts must be non-negative")
    totals = cells.sum(axis=1)
    safe_totals = np.where(totals > 0, totals, 1)
    probabilities = cells / safe_totals[:, None]
    probabilities[totals == 0] = (1.0, 0.0, 0.0, 0.0)
    draws = rng.multinomial(totals, probabilities, size=(replicates, cells.shape[0]))
    return np.asarray(draws, dtype=np.int64)


def percentile_interval(
    samples: npt.ArrayLike, *, confidence: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Percentile bounds over axis 0 of ``samples``, ``NaN`` where undefined (module docstring)."""
    values = np.asarray(samples, dtype=np.float64)
    alpha = 1.0 - confidence
    undefined = np.isnan(values)
    share_undefined = undefined.mean(axis=0)
    enough = (share_undefined <= alpha) & ~undefined.all(axis=0)
    low, high = _inverted_cdf_quantiles(values, (alpha / 2, 1 - alpha / 2), undefined=undefined)
    return np.where(enough, low, np.nan), np.where(enough, high, np.nan)


def _inverted_cdf_quantiles(
    values: npt.NDArray[np.float64],
    qs: Sequence[float],
    *,
    undefined: npt.NDArray[np.bool_] | None = None,
) -> list[npt.NDArray[np.float64]]:
    """``np.nanquantile(values, q, axis=0, method="inverted_cdf")`` for each ``q`` (in
    [0, 1]) of 1-D or 2-D ``values``, from one sort instead of a Python loop over the
    columns: the smallest value ``x`` of each column with at least a share ``q`` of its
    defined values ``<= x`` (``NaN`` if none).  ``undefined`` is ``np.isnan(values)`` if
    the caller has it."""
    ordered = np.sort(values, axis=0)  # NaN sorts last
    missing = np.isnan(values) if undefined is None else undefined
    defined = (~missing).sum(axis=0)
    out = []
    for q in qs:
        # ceil(q * d) - 1 <= d - 1 for q <= 1: always a defined value when d > 0.
        index = np.clip(np.ceil(q * defined).astype(np.int64) - 1, 0, None)
        picked = np.take_along_axis(ordered, np.expand_dims(index, 0), axis=0)[0]
        out.append(np.where(defined > 0, picked, np.nan))
    return out


def _bound(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def bootstrap_intervals(
    groups: Sequence[GroupCounts],
    *,
    references: Mapping[tuple[str, str], str | None],
    settings: BootstrapSettings | None = None,
    disparity_metrics: Sequence[str] = (),
) -> tuple[GroupIntervals, ...]:
    """Percentile intervals for every rate of every group, its disparity ratios and differences.

    ``references`` maps ``(attribute, metric)`` to the name of that attribute's reference group
    for the metric (``None``: no reference, so no ratio interval); ratios are computed for the
    metrics in ``disparity_metrics``.  The same ``settings.seed`` gives the same intervals.
    """
    settings = settings or BootstrapSettings()
    if not groups:
        return ()
    rng = np.random.default_rng(settings.seed)
    cells = np.array([g.cells() for g in groups], dtype=np.int64)
    draws = resample_counts(cells, replicates=settings.replicates, rng=rng)
    rates = rates_from_counts(draws[..., 0], draws[..., 1], draws[..., 2], draws[..., 3])
    index = {(g.attribute, g.group): i for i, g in enumerate(groups)}

    metric_bounds = {
        metric: percentile_interval(rates[metric], confidence=settings.confidence)
        for metric in RATE_METRICS
    }
    ratio_bounds: dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]] = {}
    difference_bounds: dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]] = {}
    for metric in disparity_metrics:
        reference_index = np.array(
            [
                -1
                if (name := references.get((g.attribute, metric))) is None
                else index[(g.attribute, name)]
                for g in groups
            ]
        )
        numerator = rates[metric]
        denominator = rates[metric][:, np.maximum(reference_index, 0)]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = numerator / denominator
        # 0 / 0 is undefined (NaN), x / 0 is +inf; NaN rates stay NaN.
        ratios[:, reference_index < 0] = np.nan
        ratio_bounds[metric] = percentile_interval(ratios, confidence=settings.confidence)
        differences = numerator - denominator
        differences[:, reference_index < 0] = np.nan
        difference_bounds[metric] = percentile_interval(differences, confidence=settings.confidence)

    out: list[GroupIntervals] = []
    for i, g in enumerate(groups):
        out.append(
            GroupIntervals(
                attribute=g.attribute,
                group=g.group,
                metrics={
                    m: Interval(low=_bound(lo[i]), high=_bound(hi[i]))
                    for m, (lo, hi) in metric_bounds.items()
                },
                disparities={
                    m: Interval(low=_bound(lo[i]), high=_bound(hi[i]))
                    for m, (lo, hi) in ratio_bounds.items()
                },
                differences={
                    m: Interval(low=_bound(lo[i]), high=_bound(hi[i]))
                    for m, (lo, hi) in difference_bounds.items()
                },
            )
        )
    return tuple(out)
