"""Performance metrics of a scored, labelled set of decision points, with bootstrap intervals.

With labels ``y`` (0/1), scores ``s`` and flags ``f`` (the operating point), and the
confusion cells ``tp = #{f & y}``, ``fp = #{f & !y}``, ``fn = #{!f & y}``, ``tn``::

    precision  = tp / (tp + fp)          recall = tp / (tp + fn)
    flag_rate  = (tp + fp) / n           brier  = mean((s - y)^2)
    roc_auc    = P(s_pos > s_neg) + 0.5 * P(s_pos = s_neg)
    average_precision = sum_k (R_k - R_{k-1}) * P_k   over the distinct scores, descending
    of every 10 flagged, round(10 * precision) escalated;
    of every 10 who escalated, round(10 * recall) were flagged.

Operating point (the same rule as the fairness audit): ``top_percent = P`` flags every row
scoring at least the ``k``-th highest score, ``k = ceil(P n / 100)`` (ties all flagged);
``threshold = t`` flags ``s >= t``.

Bootstrap: ``B`` replicates resample the rows with replacement (seeded); each metric is
recomputed from counts per *cell* -- distinct score level x label -- so a replicate
costs one ``bincount`` of its resampled rows' cells, and the ranking metrics are cumulative
sums over the levels (ties are exact).  The flags stay those of
the full set (the team's capacity is fixed; the cases vary).  The interval is the percentile
interval; a metric undefined in more than ``1 - confidence`` of the replicates gets none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from whatworks_analytics.fairness.audit import FlagRule
from whatworks_analytics.fairness.bootstrap import _bound, percentile_interval

Floats = NDArray[np.float64]

METRICS: tuple[str, ...] = (
    "precision",
    "recall",
    "flag_rate",
    "roc_auc",
    "average_precision",
    "brier",
)

#: Replicates are resampled in chunks of about this many cells: each intermediate array
#: (float32) is then about 1 MB and stays in the CPU's cache through the dozen passes of
#: ``_from_cells``.  Measured on 2 cores: 4,000,000 cells took three times as long.
_CHUNK_CELLS = 2**18


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """A point estimate and its bootstrap interval (``None`` where undefined)."""

    value: float | None
    low: float | None = None
    high: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True, kw_only=True)
class CalibrationBin:
    """A decile of the scores: its range, size, mean score and observed rate."""

    lower: float
    upper: float
    n: int
    mean_predicted: float
    observed_rate: float


@dataclass(frozen=True, kw_only=True)
class Metrics:
    n: int
    positives: int
    flagged: int
    tp: int
    fp: int
    tn: int
    fn: int
    threshold_used: float | None
    base_rate: float | None
    estimates: dict[str, Estimate]
    of_10_flagged: int | None
    of_10_escalated: int | None
    calibration: tuple[CalibrationBin, ...]

    def value(self, metric: str) -> float | None:
        return self.estimates[metric].value


def operating_flags(
    scores: Floats, *, top_percent: float | None, threshold: float | None
) -> tuple[NDArray[np.bool_], float | None]:
    """Flags and the cut-off used (see the module docstring; ties are all flagged)."""
    if len(scores) == 0:
        return np.zeros(0, dtype=np.bool_), None
    flags = FlagRule(top_percent=top_percent, threshold=threshold).apply(pl.Series(scores))
    cut = flags.threshold if math.isfinite(flags.threshold) else None
    return flags.flags.to_numpy().astype(np.bool_), cut


def confusion(y: NDArray[Any], f: NDArray[np.bool_]) -> tuple[int, int, int, int]:
    """``(tp, fp, tn, fn)`` of labels ``y`` (0/1) and flags ``f``."""
    positive = np.asarray(y) == 1
    tp = int((f & positive).sum())
    fp = int(f.sum()) - tp
    fn = int(positive.sum()) - tp
    return tp, fp, len(positive) - tp - fp - fn, fn


def _ratio(num: Floats, den: Floats) -> Floats:
    with np.errstate(divide="ignore", invalid="ignore"):
        out: Floats = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out


@dataclass(frozen=True, kw_only=True)
class _Cells:
    """Rows grouped into cells: distinct score level x label.

    Levels are numbered by descending score; row ``i`` is in cell ``2 * level + y``.  The
    flags must be a function of the score (as every operating point is), so each level has
    one ``flag``.
    """

    cell: NDArray[np.int64]
    score: Floats
    flag: Floats

    @property
    def size(self) -> int:
        return 2 * len(self.score)


def _cells(y: NDArray[Any], s: Floats, f: NDArray[np.bool_]) -> _Cells:
    levels, level = np.unique(-s, return_inverse=True)
    level = level.astype(np.int64)
    f_i = np.asarray(f, dtype=np.int64)
    flagged = np.bincount(level, weights=f_i, minlength=len(levels))
    counts = np.bincount(level, minlength=len(levels))
    if np.any((flagged > 0) & (flagged < counts)):
        raise ValueError("rows with the same score must be flagged alike")
    return _Cells(
        cell=2 * level + np.asarray(y, dtype=np.int64),
        score=-levels,
        flag=(flagged > 0).astype(np.float64),
    )


def _from_cells(counts: NDArray[np.floating[Any]], cells: _Cells) -> dict[str, Floats]:
    """Every metric from cell counts of shape ``(B, cells.size)``."""
    neg_l = counts[:, 0::2]
    pos_l = counts[:, 1::2]
    all_l = neg_l + pos_l
    flag = cells.flag.astype(counts.dtype)
    tp = (pos_l @ flag).astype(np.float64)
    flagged = (all_l @ flag).astype(np.float64)
    score = cells.score
    squared = pos_l.astype(np.float64) @ (score - 1.0) ** 2 + neg_l.astype(np.float64) @ score**2
    cum_pos = np.cumsum(pos_l, axis=1)
    cum_all = np.cumsum(all_l, axis=1)
    total_pos = cum_pos[:, -1].astype(np.float64)
    total = cum_all[:, -1].astype(np.float64)
    total_neg = total - total_pos
    # AUC: each negative at level l beats the positives above it and ties half of level l's.
    auc_num = np.einsum("bl,bl->b", neg_l, cum_pos - 0.5 * pos_l).astype(np.float64)
    # Precision at each level (0 where nothing is flagged yet, when cum_pos is 0 too).
    precision_at = cum_pos / np.maximum(cum_all, 1.0)
    return {
        "precision": _ratio(tp, flagged),
        "recall": _ratio(tp, total_pos),
        "flag_rate": _ratio(flagged, total),
        "roc_auc": _ratio(auc_num, total_pos * total_neg),
        "average_precision": _ratio(
            np.einsum("bl,bl->b", pos_l, precision_at).astype(np.float64), total_pos
        ),
        "brier": _ratio(squared, total),
    }


def weighted_metrics(
    y: NDArray[Any], s: Floats, f: NDArray[np.bool_], weights: Floats
) -> dict[str, Floats]:
    """Every metric of :data:`METRICS` for each row of ``weights`` (shape ``(B, n)``).

    ``weights`` are row multiplicities (all ones: the plain metrics).  Returns arrays of
    shape ``(B,)`` with ``NaN`` where a metric is undefined.
    """
    if len(y) == 0:
        return {name: np.full(weights.shape[0], np.nan) for name in METRICS}
    cells = _cells(y, np.asarray(s, dtype=np.float64), f)
    counts = np.stack(
        [np.bincount(cells.cell, weights=w, minlength=cells.size) for w in weights]
    ).astype(np.float64)
    return _from_cells(counts, cells)


def _bootstrap(
    cells: _Cells, n: int, *, replicates: int, rng: np.random.Generator
) -> dict[str, Floats]:
    """Metrics of ``replicates`` resamples of the ``n`` rows, drawn as cell counts."""
    chunk = max(1, min(replicates, _CHUNK_CELLS // max(n, cells.size, 1)))
    parts: dict[str, list[Floats]] = {m: [] for m in METRICS}
    done = 0
    while done < replicates:
        b = min(chunk, replicates - done)
        index = rng.integers(0, n, size=(b, n))
        keys = cells.cell[index] + (np.arange(b, dtype=np.int64) * cells.size)[:, None]
        counts = np.bincount(keys.ravel(), minlength=b * cells.size).reshape(b, -1)
        # float32 counts are exact (n < 2**24 per cell) and halve the memory traffic.
        for name, values in _from_cells(counts.astype(np.float32), cells).items():
            parts[name].append(values)
        done += b
    return {name: np.concatenate(values) for name, values in parts.items()}


def calibration_bins(y: NDArray[Any], s: Floats, *, bins: int = 10) -> tuple[CalibrationBin, ...]:
    """Bins of about equal count (deciles by default), lowest score first, that never split
    rows with the same score.

    Rows are sorted by score; row ``i`` of ``n`` would go to bin ``floor(i * bins / n)``.
    Every row of a score level goes to the bin of the level's middle row, so a level is
    never divided between two bins (a score shared by a fifth of the rows, as a count of
    prior referrals often is, makes one bin of a fifth).  Bins left empty are dropped, so a
    score with three levels has at most three bins.

    Example: 50 rows scoring 0.1, 30 scoring 0.2 and 20 scoring 0.3 give three bins of 50,
    30 and 20 rows (middle rows 24, 64 and 89 fall in deciles 2, 6 and 8).
    """
    n = len(s)
    if n == 0:
        return ()
    s = np.asarray(s, dtype=np.float64)
    y_f = np.asarray(y, dtype=np.float64)
    order = np.argsort(s, kind="stable")
    ordered = s[order]
    _levels, starts, counts = np.unique(ordered, return_index=True, return_counts=True)
    middle = starts + (counts - 1) // 2
    level_bin = (middle * min(bins, n)) // n
    row_bin = np.repeat(level_bin, counts)
    out = []
    for b in np.unique(row_bin):
        part = order[row_bin == b]
        out.append(
            CalibrationBin(
                lower=float(s[part].min()),
                upper=float(s[part].max()),
                n=len(part),
                mean_predicted=float(s[part].mean()),
                observed_rate=float(y_f[part].mean()),
            )
        )
    return tuple(out)


def flags_top_k(scores: Floats, k: int) -> NDArray[np.bool_]:
    """Flag the ``k`` highest scores (every row tied with the ``k``-th is flagged too)."""
    n = len(scores)
    if k <= 0 or n == 0:
        return np.zeros(n, dtype=np.bool_)
    k = min(k, n)
    cutoff = float(np.partition(scores, n - k)[n - k])
    flags: NDArray[np.bool_] = np.asarray(scores >= cutoff, dtype=np.bool_)
    return flags


def paired_differences(
    y: NDArray[Any],
    a: tuple[Floats, NDArray[np.bool_]],
    b: tuple[Floats, NDArray[np.bool_]],
    *,
    replicates: int,
    confidence: float,
    seed: int,
) -> dict[str, Estimate]:
    """``metric(a) - metric(b)`` for two scorings ``(scores, flags)`` of the same rows, with a
    paired percentile bootstrap interval: each replicate resamples the rows once and
    scores both on that resample, so the interval is that of the difference itself (much
    narrower than two separate intervals would suggest when the models agree on most
    rows).  ``replicates = 0``: no intervals."""
    y_i = np.asarray(y).astype(np.int64)
    n = len(y_i)
    if n == 0:
        return {name: Estimate(value=None) for name in METRICS}
    cells = [_cells(y_i, np.asarray(s, dtype=np.float64), f) for s, f in (a, b)]
    observed = [
        _from_cells(np.bincount(c.cell, minlength=c.size).astype(np.float64)[None, :], c)
        for c in cells
    ]
    samples: dict[str, list[Floats]] = {name: [] for name in METRICS}
    rng = np.random.default_rng(seed)
    chunk = max(1, min(replicates, _CHUNK_CELLS // max(n, *(c.size for c in cells))))
    done = 0
    while done < replicates:
        size = min(chunk, replicates - done)
        index = rng.integers(0, n, size=(size, n))
        offsets = (np.arange(size, dtype=np.int64))[:, None]
        values = []
        for c in cells:
            keys = c.cell[index] + offsets * c.size
            counts = np.bincount(keys.ravel(), minlength=size * c.size).reshape(size, -1)
            values.append(_from_cells(counts.astype(np.float32), c))
        for name in METRICS:
            samples[name].append(values[0][name] - values[1][name])
        done += size
    out: dict[str, Estimate] = {}
    for name in METRICS:
        value = float(observed[0][name][0] - observed[1][name][0])
        low = high = None
        if replicates > 0:
            lo, hi = percentile_interval(np.concatenate(samples[name]), confidence=confidence)
            lo_f, hi_f = float(np.atleast_1d(lo)[0]), float(np.atleast_1d(hi)[0])
            if math.isfinite(lo_f) and math.isfinite(hi_f):
                low, high = lo_f, hi_f
        out[name] = Estimate(value=value if math.isfinite(value) else None, low=low, high=high)
    return out


def evaluate(
    y: NDArray[Any],
    s: Floats,
    f: NDArray[np.bool_],
    *,
    replicates: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
    threshold_used: float | None = None,
) -> Metrics:
    """All metrics with percentile bootstrap intervals (``replicates = 0``: no intervals)."""
    y_i = np.asarray(y).astype(np.int64)
    s = np.asarray(s, dtype=np.float64)
    f = np.asarray(f, dtype=np.bool_)
    n = len(y_i)
    estimates: dict[str, Estimate] = {}
    lows: dict[str, Floats] = {}
    highs: dict[str, Floats] = {}
    point: dict[str, Floats] = {}
    if n > 0:
        cells = _cells(y_i, s, f)
        observed = np.bincount(cells.cell, minlength=cells.size).astype(np.float64)
        point = _from_cells(observed[None, :], cells)
        if replicates > 0:
            samples = _bootstrap(cells, n, replicates=replicates, rng=np.random.default_rng(seed))
            for name in METRICS:
                lo, hi = percentile_interval(samples[name], confidence=confidence)
                lows[name], highs[name] = np.atleast_1d(lo), np.atleast_1d(hi)
    for name in METRICS:
        value = _bound(float(point[name][0])) if n else None
        low = _bound(float(lows[name][0])) if name in lows else None
        high = _bound(float(highs[name][0])) if name in highs else None
        estimates[name] = Estimate(value=value, low=low, high=high)
    tp, fp, tn, fn = confusion(y_i, f)
    precision = estimates["precision"].value
    recall = estimates["recall"].value
    return Metrics(
        n=n,
        positives=tp + fn,
        flagged=tp + fp,
        tp=tp,
        fp=fp,
        tn=tn,
        fn=fn,
        threshold_used=threshold_used,
        base_rate=(tp + fn) / n if n else None,
        estimates=estimates,
        of_10_flagged=None if precision is None else round(10 * precision),
        of_10_escalated=None if recall is None else round(10 * recall),
        calibration=calibration_bins(y_i, s),
    )


def curve_points(
    y: NDArray[Any], s: Floats, *, max_points: int = 101
) -> dict[str, list[tuple[float, float]]]:
    """ROC (FPR, TPR) and precision-recall (recall, precision) curves, thinned for plotting.

    Points are taken at each distinct score (descending); at most ``max_points`` are kept,
    always including both ends.
    """
    y_f = np.asarray(y, dtype=np.float64)
    if len(y_f) == 0 or y_f.min() == y_f.max():
        return {"roc": [], "pr": []}
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    ends = np.r_[np.flatnonzero(s_sorted[1:] != s_sorted[:-1]), len(s_sorted) - 1]
    tp = np.cumsum(y_f[order])[ends]
    fp = (ends + 1) - tp
    tpr = tp / tp[-1]
    fpr = fp / fp[-1]
    precision = tp / (tp + fp)
    keep = np.unique(np.linspace(0, len(ends) - 1, min(max_points, len(ends))).round().astype(int))
    roc = [(0.0, 0.0)] + [(float(fpr[i]), float(tpr[i])) for i in keep]
    pr = [(float(tpr[i]), float(precision[i])) for i in keep]
    return {"roc": roc, "pr": pr}
