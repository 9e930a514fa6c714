"""How well the risk score ranks and how well it is calibrated, group by group.

The confusion-matrix audit (:mod:`.metrics`) judges the flags; this module judges the score
behind them, for each group of each audited attribute:

* ``roc_auc`` -- the probability that a row with the outcome scores higher than one without
  it, ties counting one half (scikit-learn's ``roc_auc_score``); undefined for a group
  without both outcomes.  ``auc_difference`` is the group's AUC minus the reference group's.
* calibration, only when every score lies in [0, 1] (the score is read as a probability):
  ``mean_score`` (the expected rate), ``observed_rate``, ``observed_expected`` =
  ``observed_rate / mean_score`` (1 is calibrated in the large: above 1 the score
  under-states the group's risk, below 1 it over-states it), the Brier score
  ``mean((score - label)^2)``, and a binned table: the bins are shared by every group, cut at
  the deciles of all the audited rows' scores as scikit-learn's
  ``calibration_curve(strategy="quantile")`` cuts them (so rows with the same score share a
  bin), and each group's mean score and observed rate are given in each bin it has rows in.

The reference group for ``auc_difference`` is the attribute's named reference when one is
named, otherwise its largest group (ties broken by name) -- also when the rates are compared
with the lowest group, since "lowest AUC" is not a sensible reference.

Intervals are percentile bootstrap intervals that resample rows within each group, as
:mod:`.bootstrap` does for the rates: a group's rows fall into cells (distinct score x label),
and each replicate is a multinomial draw of the group's ``n`` rows over its cells, so that
ties stay exact and a replicate costs one pass over the cells.  A group with more than
:data:`BOOTSTRAP_LEVELS` distinct scores (a continuous score on many rows) is resampled over
that many quantile bins of its scores instead, each replicate shifted by the exact point
estimate minus the binned one: the interval's width then comes from the binned score, whose
AUC differs from the exact one by the ties the binning makes (at most about
1 / ``BOOTSTRAP_LEVELS``), and a replicate costs the same however many rows the group has.
A difference replicate pairs the group's and the reference's replicates (independent draws,
since the groups are disjoint).  The cells of two-way intersections get point estimates only:
their bootstrap would cost as much again for every pair of attributes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from whatworks_analytics.fairness.bootstrap import BootstrapSettings, Interval, percentile_interval

__all__ = [
    "SCORE_METRICS",
    "SCORE_METRIC_LABELS",
    "CalibrationCell",
    "GroupScores",
    "calibration_edges",
    "score_groups",
]

#: The per-group score metrics that carry intervals, in report order.
SCORE_METRICS: Final[tuple[str, ...]] = (
    "roc_auc",
    "auc_difference",
    "observed_expected",
    "brier",
)

SCORE_METRIC_LABELS: Final[Mapping[str, str]] = {
    "roc_auc": "ROC AUC",
    "auc_difference": "AUC difference to the reference",
    "observed_expected": "Observed / expected",
    "brier": "Brier score",
    "mean_score": "Mean score (expected rate)",
    "observed_rate": "Observed rate",
}

#: Number of calibration bins (deciles).
CALIBRATION_BINS: Final[int] = 10

#: Bootstrap replicates are drawn in chunks of about this many cells.
_CHUNK_CELLS: Final[int] = 2**18

#: A group with more distinct scores than this is bootstrapped over this many quantile bins.
BOOTSTRAP_LEVELS: Final[int] = 200

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, kw_only=True)
class CalibrationCell:
    """One group's rows in one shared calibration bin."""

    bin: int
    lower: float
    upper: float
    n: int
    mean_score: float
    observed_rate: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "bin": self.bin,
            "lower": self.lower,
            "upper": self.upper,
            "n": self.n,
            "mean_score": self.mean_score,
            "observed_rate": self.observed_rate,
        }


@dataclass(frozen=True, kw_only=True)
class GroupScores:
    """The ranking and calibration of the score within one group (see the module docstring).

    Calibration fields are ``None`` when the scores are not probabilities; ``intervals``
    maps names of :data:`SCORE_METRICS` to bootstrap intervals (empty without a bootstrap).
    """

    attribute: str
    group: str
    n: int
    positives: int
    roc_auc: float | None
    reference_group: str | None
    auc_difference: float | None
    mean_score: float | None = None
    observed_rate: float | None = None
    observed_expected: float | None = None
    brier: float | None = None
    calibration: tuple[CalibrationCell, ...] = ()
    intervals: Mapping[str, Interval] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "group": self.group,
            "n": self.n,
            "positives": self.positives,
            "roc_auc": self.roc_auc,
            "reference_group": self.reference_group,
            "auc_difference": self.auc_difference,
            "mean_score": self.mean_score,
            "observed_rate": self.observed_rate,
            "observed_expected": self.observed_expected,
            "brier": self.brier,
            "calibration": [cell.to_dict() for cell in self.calibration],
            "ci": {name: interval.to_dict() for name, interval in self.intervals.items()},
        }


def calibration_edges(scores: npt.ArrayLike, *, bins: int = CALIBRATION_BINS) -> Floats:
    """The ``bins + 1`` edges at the quantiles of ``scores`` (as scikit-learn cuts them).

    A score's bin is ``searchsorted(edges[1:-1], score)``, so equal scores share a bin and a
    bin may be empty when scores tie across a decile.

    >>> calibration_edges([0.1, 0.2, 0.3, 0.4, 0.5], bins=2).tolist()
    [0.1, 0.3, 0.5]
    """
    values = np.asarray(scores, dtype=np.float64)
    return np.asarray(np.percentile(values, np.linspace(0, 1, bins + 1) * 100), dtype=np.float64)


def _ratio(numerator: Floats, denominator: Floats) -> Floats:
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


@dataclass(frozen=True)
class _Cells:
    """A group's rows as counts per (score level, label): ``counts[2 * level + label]``,
    levels in descending score order, with each cell's mean score and mean squared error
    ``(score - label)^2`` (for exact levels, the level's score and its square error)."""

    counts: npt.NDArray[np.int64]
    mean_score: Floats
    mean_squared: Floats


@dataclass(frozen=True)
class _Group:
    """One group's rows counted per distinct score: ``score`` (descending) and the number
    of rows without (``negatives``) and with (``positives``) the outcome at each."""

    score: Floats
    negatives: Floats
    positives: Floats

    @property
    def n(self) -> int:
        return int(self.negatives.sum() + self.positives.sum())

    def cells(self) -> _Cells:
        """Exact cells: one per distinct score and label."""
        counts = np.empty(2 * len(self.score))
        counts[0::2], counts[1::2] = self.negatives, self.positives
        mean_score = np.repeat(self.score, 2)
        squared = np.empty_like(counts)
        squared[0::2], squared[1::2] = self.score**2, (self.score - 1.0) ** 2
        return _Cells(counts=counts.astype(np.int64), mean_score=mean_score, mean_squared=squared)

    def binned(self, levels: int) -> _Cells:
        """Cells of ``levels`` quantile bins of the scores (equal scores share a bin)."""
        totals = self.negatives + self.positives
        middle = np.cumsum(totals) - totals / 2
        level = np.minimum(levels - 1, np.floor(levels * middle / self.n)).astype(np.int64)
        size = 2 * levels
        counts = np.zeros(size)
        sums = np.zeros(size)
        squares = np.zeros(size)
        for label, weights, error in (
            (0, self.negatives, self.score**2),
            (1, self.positives, (self.score - 1.0) ** 2),
        ):
            cell = 2 * level + label
            counts += np.bincount(cell, weights=weights, minlength=size)
            sums += np.bincount(cell, weights=weights * self.score, minlength=size)
            squares += np.bincount(cell, weights=weights * error, minlength=size)
        safe = np.maximum(counts, 1.0)
        return _Cells(
            counts=counts.astype(np.int64), mean_score=sums / safe, mean_squared=squares / safe
        )


def _from_cells(counts: Floats, cells: _Cells) -> dict[str, Floats]:
    """AUC, mean score, observed rate and Brier from cell counts of shape ``(B, 2L)``."""
    negatives = counts[:, 0::2]
    positives = counts[:, 1::2]
    total_pos = positives.sum(axis=1)
    total = total_pos + negatives.sum(axis=1)
    total_neg = total - total_pos
    above = np.cumsum(positives, axis=1) - 0.5 * positives
    auc_num = np.einsum("bl,bl->b", negatives, above)
    # einsum rather than matmul: BLAS threads that spin on a busy machine cost more than the
    # product of a few thousand numbers (measured: 14 ms against 20 us under load).
    mean_score = _ratio(np.einsum("bc,c->b", counts, cells.mean_score), total)
    observed = _ratio(total_pos, total)
    return {
        "roc_auc": _ratio(auc_num, total_pos * total_neg),
        "mean_score": mean_score,
        "observed_rate": observed,
        "observed_expected": _ratio(observed, mean_score),
        "brier": _ratio(np.einsum("bc,c->b", counts, cells.mean_squared), total),
    }


def _point(cells: _Cells) -> dict[str, Floats]:
    return _from_cells(cells.counts[None, :].astype(np.float64), cells)


def _replicates(group: _Group, *, replicates: int, rng: np.random.Generator) -> dict[str, Floats]:
    """Bootstrap replicates of every score metric of one group (see the module docstring).

    A group with more than :data:`BOOTSTRAP_LEVELS` distinct scores is resampled over that
    many quantile bins of its scores, and each replicate is shifted by the binned point
    estimate's difference from the exact one, so that a replicate costs the same however
    many rows the group has.
    """
    cells = group.cells()
    shift = {}
    if len(group.score) > BOOTSTRAP_LEVELS:
        exact_point = _point(cells)
        cells = group.binned(BOOTSTRAP_LEVELS)
        binned_point = _point(cells)
        shift = {name: exact_point[name] - binned_point[name] for name in exact_point}
    n = int(cells.counts.sum())
    probabilities = cells.counts / n
    chunk = max(1, min(replicates, _CHUNK_CELLS // max(cells.counts.size, 1)))
    parts: dict[str, list[Floats]] = {}
    done = 0
    while done < replicates:
        size = min(chunk, replicates - done)
        draws = rng.multinomial(n, probabilities, size=size).astype(np.float64)
        for name, values in _from_cells(draws, cells).items():
            parts.setdefault(name, []).append(values + shift.get(name, 0.0))
        done += size
    return {name: np.concatenate(values) for name, values in parts.items()}


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _interval(samples: Floats, confidence: float) -> Interval:
    low, high = percentile_interval(samples, confidence=confidence)
    return Interval(low=_finite(float(low)), high=_finite(float(high)))


def _reference(sizes: Mapping[str, int], named: str | None) -> str | None:
    if named is not None:
        return named if named in sizes else None
    if not sizes:
        return None
    return min(sizes, key=lambda name: (-sizes[name], name))


def score_groups(
    scores: npt.ArrayLike,
    labels: npt.ArrayLike,
    keys: Mapping[str, Sequence[str] | pl.Series],
    *,
    groups: Mapping[str, Sequence[str]],
    references: Mapping[str, str | None] | None = None,
    settings: BootstrapSettings | None = None,
) -> tuple[GroupScores, ...]:
    """The score metrics of every reported group of every attribute.

    ``scores`` and ``labels`` (0/1) are the audited rows; ``keys`` maps each attribute to the
    group name of every row (same length as ``scores``); ``groups`` maps each attribute to the
    groups to report, in order (groups of rows not listed -- small intersection cells -- are
    left out).  ``references`` maps an attribute to its named reference group (``None`` or
    absent: the largest group).  With ``settings`` the intervals are drawn from a generator
    seeded with ``(settings.seed, 3)``, a stream of its own.

    >>> out = score_groups(
    ...     [0.9, 0.8, 0.3, 0.2, 0.7, 0.1],
    ...     [1, 0, 1, 0, 1, 0],
    ...     {"sex": ["f", "f", "f", "f", "m", "m"]},
    ...     groups={"sex": ["f", "m"]},
    ... )
    >>> [(g.group, g.roc_auc, g.auc_difference) for g in out]
    [('f', 0.75, 0.0), ('m', 1.0, 0.25)]
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(np.int64)
    if s.shape != y.shape or s.ndim != 1:
        raise ValueError("scores and labels must be one-dimensional and of the same length")
    probabilities = bool(s.size) and bool(np.all((s >= 0) & (s <= 1)))
    # One sort of the scores for every attribute: level 0 is the highest score.
    values, level = np.unique(-s, return_inverse=True)
    level_score = -values
    cell = 2 * level.astype(np.int64) + y
    by_cell = np.argsort(cell, kind="stable")
    edges = calibration_edges(s) if probabilities else None
    level_bin = None if edges is None else np.searchsorted(edges[1:-1], level_score)
    rng = None if settings is None else np.random.default_rng([settings.seed, 3])
    out: list[GroupScores] = []
    for attribute, wanted in groups.items():
        counted = _counted(keys[attribute], by_cell, cell[by_cell], level_score, wanted, attribute)
        sizes = {name: group.n for name, group in counted.items()}
        reference = _reference(sizes, (references or {}).get(attribute))
        point: dict[str, dict[str, Floats]] = {}
        samples: dict[str, dict[str, Floats]] = {}
        for name, group in counted.items():
            point[name] = _point(group.cells())
            if settings is not None and rng is not None and " & " not in attribute:
                samples[name] = _replicates(group, replicates=settings.replicates, rng=rng)
        for name in wanted:
            if name not in counted:
                continue
            group = counted[name]
            values_of = {metric: _finite(float(array[0])) for metric, array in point[name].items()}
            auc = values_of["roc_auc"]
            reference_auc = None if reference is None else _auc_of(point, reference)
            difference = None if auc is None or reference_auc is None else auc - reference_auc
            intervals: dict[str, Interval] = {}
            if name in samples:
                replicate = samples[name]
                confidence = settings.confidence if settings is not None else 0.95
                intervals["roc_auc"] = _interval(replicate["roc_auc"], confidence)
                if reference is not None and reference in samples:
                    intervals["auc_difference"] = _interval(
                        replicate["roc_auc"] - samples[reference]["roc_auc"], confidence
                    )
                if probabilities:
                    for metric in ("observed_expected", "brier"):
                        intervals[metric] = _interval(replicate[metric], confidence)
            calibration: tuple[CalibrationCell, ...] = ()
            if edges is not None and level_bin is not None:
                calibration = _calibration(group, level_bin, level_score, edges)
            out.append(
                GroupScores(
                    attribute=attribute,
                    group=name,
                    n=group.n,
                    positives=int(group.positives.sum()),
                    roc_auc=auc,
                    reference_group=reference,
                    auc_difference=difference,
                    mean_score=values_of["mean_score"] if probabilities else None,
                    observed_rate=values_of["observed_rate"] if probabilities else None,
                    observed_expected=values_of["observed_expected"] if probabilities else None,
                    brier=values_of["brier"] if probabilities else None,
                    calibration=calibration,
                    intervals=intervals,
                )
            )
    return tuple(out)


def _counted(
    key: Sequence[str] | pl.Series,
    by_cell: npt.NDArray[np.intp],
    sorted_cell: npt.NDArray[np.int64],
    level_score: Floats,
    wanted: Sequence[str],
    attribute: str,
) -> dict[str, _Group]:
    """Each wanted group's rows counted per (score level, label)."""
    series = key if isinstance(key, pl.Series) else pl.Series(list(key), dtype=pl.String)
    if series.len() != len(sorted_cell):
        raise ValueError(f"the group keys of {attribute!r} do not match the rows")
    text = series.cast(pl.String).fill_null("")
    names = text.unique().sort().to_list()
    # Integer codes through an Enum of the names (much cheaper than a group-by on the strings),
    # then, the rows being in cell order already, a stable sort by code (a radix sort of small
    # integers) leaves (code, cell) in order, and runs of equal pairs are the counts.
    physical = text.cast(pl.Enum(names)).to_physical().to_numpy()
    small = np.int16 if len(names) < 2**15 else np.int32
    codes = physical.astype(small)[by_cell]
    perm = np.argsort(codes, kind="stable")
    width = 2 * len(level_score)
    ordered = codes[perm].astype(np.int64) * width + sorted_cell[perm]
    if len(ordered):
        starts_of_runs = np.r_[0, np.flatnonzero(np.diff(ordered)) + 1]
        pairs = ordered[starts_of_runs]
        counts = np.diff(np.r_[starts_of_runs, len(ordered)])
    else:
        pairs = counts = np.zeros(0, dtype=np.int64)
    group_of = pairs // width
    starts = np.searchsorted(group_of, np.arange(len(names)))
    ends = np.searchsorted(group_of, np.arange(len(names)), side="right")
    wanted_set = set(wanted)
    out: dict[str, _Group] = {}
    for index, name in enumerate(names):
        if name not in wanted_set or starts[index] == ends[index]:
            continue
        c = pairs[starts[index] : ends[index]] % width
        count = counts[starts[index] : ends[index]].astype(np.float64)
        levels, at = np.unique(c // 2, return_inverse=True)
        label = c % 2
        negatives = np.bincount(at, count * (label == 0), len(levels)).astype(np.float64)
        positives = np.bincount(at, count * (label == 1), len(levels)).astype(np.float64)
        out[str(name)] = _Group(score=level_score[levels], negatives=negatives, positives=positives)
    return out


def _auc_of(point: Mapping[str, Mapping[str, Floats]], group: str) -> float | None:
    """The point ROC AUC of ``group`` (``None`` if the group has no rows)."""
    if group not in point:
        return None
    return _finite(float(point[group]["roc_auc"][0]))


def _calibration(
    group: _Group, level_bin: npt.NDArray[np.int64], level_score: Floats, edges: Floats
) -> tuple[CalibrationCell, ...]:
    bins = len(edges) - 1
    index = level_bin[np.searchsorted(-level_score, -group.score)]
    totals = group.negatives + group.positives
    total = np.bincount(index, weights=totals, minlength=bins)
    sums = np.bincount(index, weights=totals * group.score, minlength=bins)
    observed = np.bincount(index, weights=group.positives, minlength=bins)
    return tuple(
        CalibrationCell(
            bin=int(b) + 1,
            lower=float(edges[b]),
            upper=float(edges[b + 1]),
            n=int(total[b]),
            mean_score=float(sums[b] / total[b]),
            observed_rate=float(observed[b] / total[b]),
        )
        for b in np.flatnonzero(total)
    )
