"""Raking (iterative proportional fitting) of survey weights to known population margins.

A panel is never a random sample.  Raking adjusts each respondent's weight, one variable at
a time, until the weighted share of every level of every variable matches its target share
(Deming and Stephan 1940).  Optional trimming caps weights at ``trim`` times the mean and
rakes again, as in the "rake, trim, rake"
scheme of Izrael, Battaglia and Frankel (2009).

The price of weighting in precision is Kish's design effect ``1 + CV²`` of the weights; the
effective sample size is ``n / deff`` and margins of error follow from it.

Worked example (the modelingwithdata.org survey table 7 9 / 12 7 raked to row totals 5 and
15 and column totals 10 and 10; the raked table keeps the sample's odds ratio 49/108):

>>> import numpy as np
>>> rows = np.repeat(["r1", "r1", "r2", "r2"], [7, 9, 12, 7])
>>> cols = np.repeat(["c1", "c2", "c1", "c2"], [7, 9, 12, 7])
>>> result = rake(
...     {"row": rows, "col": cols},
...     {"row": {"r1": 0.25, "r2": 0.75}, "col": {"c1": 0.5, "c2": 0.5}},
...     population=20,
...     tolerance=1e-12,
... )
>>> round(float(result.weights[:7].sum()), 4)  # cell r1 x c1
1.7757
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from whatworks_analytics.errors import AnalyticsInputError

__all__ = [
    "MarginFit",
    "RakeResult",
    "WeightingError",
    "design_effect",
    "effective_sample_size",
    "margin_of_error",
    "rake",
    "weighted_share",
]

#: Target shares may sum to 1 within this tolerance (published tables round); they are
#: rescaled to sum to exactly 1.  Further off is reported as a problem.
SHARE_SUM_TOLERANCE = 0.02

Z_95 = 1.959963984540054


class WeightingError(AnalyticsInputError):
    """The sample cannot be raked to the targets; ``problems`` lists every reason."""

    problems: tuple[str, ...]

    def __init__(self, problems: Iterable[str]) -> None:
        super().__init__(tuple(problems))


@dataclass(frozen=True)
class MarginFit:
    """How one level of one variable came out: target share, sample share, weighted share."""

    variable: str
    level: str
    target: float
    unweighted: float
    weighted: float
    count: int


@dataclass(frozen=True)
class RakeResult:
    """Raked weights (in input order) and diagnostics."""

    weights: npt.NDArray[np.float64]
    iterations: int
    converged: bool
    max_margin_error: float
    design_effect: float
    effective_sample_size: float
    margin_of_error: float
    trim: float | None
    margins: tuple[MarginFit, ...]
    #: Problems that were worked round rather than refused (empty target levels dropped
    #: with ``empty_levels="report"``); shown to whoever reads the results.
    problems: tuple[str, ...] = field(default=())

    @property
    def n(self) -> int:
        return int(self.weights.shape[0])

    def diagnostics(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "design_effect": self.design_effect,
            "effective_sample_size": self.effective_sample_size,
            "iterations": self.iterations,
            "converged": self.converged,
            "max_margin_error": self.max_margin_error,
            "margin_of_error_95": self.margin_of_error,
            "trim": self.trim,
            "weight_min": float(self.weights.min()) if self.n else None,
            "weight_max": float(self.weights.max()) if self.n else None,
            "problems": list(self.problems),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights": [float(w) for w in self.weights],
            "diagnostics": self.diagnostics(),
            "margins": [
                {
                    "variable": m.variable,
                    "level": m.level,
                    "target": m.target,
                    "unweighted": m.unweighted,
                    "weighted": m.weighted,
                    "count": m.count,
                }
                for m in self.margins
            ],
        }


# --- diagnostics -------------------------------------------------------------------------


def design_effect(weights: npt.ArrayLike) -> float:
    """Kish's design effect due to unequal weights: ``1 + CV²`` = ``n Σw² / (Σw)²``."""
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    if w.size == 0 or total <= 0:
        return math.nan
    return float(w.size * np.dot(w, w) / (total * total))


def effective_sample_size(weights: npt.ArrayLike) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` (= n / deff)."""
    w = np.asarray(weights, dtype=np.float64)
    squares = float(np.dot(w, w))
    if squares <= 0:
        return 0.0
    return float(w.sum()) ** 2 / squares


def margin_of_error(
    share: float = 0.5, *, effective_n: float, z: float = Z_95, population: float | None = None
) -> float:
    """Half-width of the normal interval for a share, from the effective sample size.

    ``population`` applies the finite population correction ``(N - n) / (N - 1)``.
    """
    if effective_n <= 0:
        return math.nan
    variance = share * (1.0 - share) / effective_n
    if population is not None and population > 1:
        variance *= max(population - effective_n, 0.0) / (population - 1.0)
    return float(z * math.sqrt(variance))


def weighted_share(
    selected: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> tuple[float, float]:
    """The (weighted) share of rows where ``selected`` is true and its 95% margin of error.

    The margin uses the Kish effective sample size of the weights, so unweighted and
    weighted estimates are comparable side by side.
    """
    mask = np.asarray(selected, dtype=bool)
    if mask.size == 0:
        return math.nan, math.nan
    w = np.ones(mask.size) if weights is None else np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    if total <= 0:
        return math.nan, math.nan
    share = float(w[mask].sum()) / total
    return share, margin_of_error(share, effective_n=effective_sample_size(w))


# --- raking ----------------------------------------------------------------------------


def _encode(
    sample: Mapping[str, npt.ArrayLike],
    targets: Mapping[str, Mapping[str, float]],
    *,
    empty_levels: str,
) -> tuple[
    int, list[tuple[str, list[str], npt.NDArray[np.intp], npt.NDArray[np.float64]]], list[str]
]:
    """Check everything at once; return row count, per variable (name, levels, codes, shares)."""
    problems: list[str] = []
    reported: list[str] = []
    encoded: list[tuple[str, list[str], npt.NDArray[np.intp], npt.NDArray[np.float64]]] = []
    lengths = {name: len(np.asarray(values)) for name, values in sample.items()}
    n = next(iter(lengths.values()), 0)
    if not targets:
        problems.append("no targets given")
    if len(set(lengths.values())) > 1:
        problems.append(f"sample columns differ in length: {lengths}")
    for variable, shares in targets.items():
        if variable not in sample:
            problems.append(f"{variable}: no such column in the sample")
            continue
        if not shares:
            problems.append(f"{variable}: no target levels")
            continue
        values = np.asarray(sample[variable]).astype(str)
        missing = int(np.sum((values == "") | (values == "None") | (values == "nan")))
        if missing:
            problems.append(f"{variable}: {missing} row(s) have no value")
        levels = [str(level) for level in shares]
        share_values = np.array([float(shares[level]) for level in shares], dtype=np.float64)
        bad = [lv for lv, s in zip(levels, share_values, strict=True) if not s > 0]
        if bad:
            problems.append(f"{variable}: target shares must be positive ({', '.join(bad)})")
            continue
        total = float(share_values.sum())
        if abs(total - 1.0) > SHARE_SUM_TOLERANCE:
            problems.append(f"{variable}: target shares sum to {total:.4f}, not 1")
            continue
        index = {level: i for i, level in enumerate(levels)}
        uniques, inverse = np.unique(values, return_inverse=True)
        unknown = sorted(set(uniques.tolist()) - set(index) - {"", "None", "nan"})
        if unknown:
            problems.append(f"{variable}: sample levels without a target: {', '.join(unknown)}")
            continue
        lookup = np.array([index.get(u, -1) for u in uniques.tolist()], dtype=np.intp)
        codes = lookup[inverse.reshape(-1)]
        counts = np.bincount(codes[codes >= 0], minlength=len(levels))
        empty = [levels[i] for i in np.flatnonzero(counts == 0)]
        if empty:
            message = f"{variable}: no respondents in target level(s) {', '.join(empty)}"
            if empty_levels != "report":
                problems.append(message)
                continue
            reported.append(message + " (dropped; other levels rescaled)")
            keep = counts > 0
            remap = np.cumsum(keep) - 1
            codes = remap[codes]
            levels = [lv for lv, k in zip(levels, keep, strict=True) if k]
            share_values = share_values[keep]
        encoded.append((variable, levels, codes, share_values / share_values.sum()))
    if problems:
        raise WeightingError(problems)
    return n, encoded, reported


def _fits(
    encoded: list[tuple[str, list[str], npt.NDArray[np.intp], npt.NDArray[np.float64]]],
    w: npt.NDArray[np.float64],
) -> float:
    total = float(w.sum())
    worst = 0.0
    for _, levels, codes, shares in encoded:
        achieved = np.bincount(codes, weights=w, minlength=len(levels)) / total
        worst = max(worst, float(np.abs(achieved - shares).max()))
    return worst


def _trim(w: npt.NDArray[np.float64], upper: float) -> None:
    """Cap weights (in place) at ``upper`` times their mean, which capping moves."""
    n = w.shape[0]
    for _ in range(100):
        w *= n / w.sum()
        if w.max() <= upper * (1 + 1e-12):
            return
        np.minimum(w, upper, out=w)


def rake(
    sample: Mapping[str, npt.ArrayLike],
    targets: Mapping[str, Mapping[str, float]],
    *,
    base_weights: npt.ArrayLike | None = None,
    trim: float | None = None,
    population: float | None = None,
    tolerance: float = 1e-6,
    max_iterations: int = 200,
    empty_levels: str = "error",
) -> RakeResult:
    """Rake ``sample`` (column name → one value per respondent) to ``targets``.

    ``targets`` maps each variable to ``{level: share}``.  Every problem (a missing column,
    a sample level with no target, a target level with no respondents, shares that do not
    sum to 1) is collected and raised together as :class:`WeightingError`; with
    ``empty_levels="report"`` a target level with no respondents is instead dropped, the
    variable's other shares rescaled, and the fact listed in ``RakeResult.problems``.

    Weights come back in input order, with mean 1, or summing to ``population`` if given.
    ``converged`` is true when every weighted margin is within ``tolerance`` of its target
    (and, with ``trim``, no weight above ``trim`` times the mean); when it is false,
    ``problems`` says "weighting did not converge" and by how much a margin is still missed.

    Trimming here caps weights relative to their *mean* and rakes again ("rake, trim,
    rake"); with unequal starting weights it is not the same problem as bounded calibration,
    and it can fail to converge where that succeeds.  For the solution of
    ``survey::calibrate(calfun="raking", bounds=...)`` -- raking with bounds on the ratio of
    final to starting weights -- use :func:`whatworks_analytics.weighting.calibrate` with
    ``method="raking"`` (tests/weighting/test_reference.py shows the two side by side).
    """
    if trim is not None and not trim > 1.0:
        raise WeightingError([f"trim ratio must be greater than 1 (got {trim:g})"])
    if population is not None and not population > 0:
        raise WeightingError([f"population must be positive (got {population:g})"])
    n, encoded, reported = _encode(sample, targets, empty_levels=empty_levels)
    if n == 0:
        raise WeightingError(["the sample has no rows"])
    if base_weights is None:
        w = np.ones(n, dtype=np.float64)
    else:
        w = np.asarray(base_weights, dtype=np.float64).copy()
        if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise WeightingError(["base weights must be positive, one per row"])
        w *= n / w.sum()

    iterations = 0
    converged = False
    error = math.inf
    upper = trim if trim is not None else math.inf
    while iterations < max_iterations:
        iterations += 1
        for _, levels, codes, shares in encoded:
            sums = np.bincount(codes, weights=w, minlength=len(levels))
            w *= (shares * w.sum() / sums)[codes]
        if trim is not None:
            _trim(w, upper)
        error = _fits(encoded, w)
        if error <= tolerance:
            mean = w.sum() / n
            if trim is None or w.max() <= upper * mean * (1 + 1e-9):
                converged = True
                break

    if not converged:
        cap = f" with weights capped at {trim:g} times the mean" if trim is not None else ""
        reported.append(
            f"weighting did not converge{cap}: after {iterations} iterations a margin is still "
            f"{100 * error:.2g} percentage points from its target"
            + ("; the cap may be too tight for these targets" if trim is not None else "")
        )
    return _result(
        w,
        encoded,
        n=n,
        iterations=iterations,
        converged=converged,
        population=population,
        trim=trim,
        reported=reported,
    )


def _result(
    w: npt.NDArray[np.float64],
    encoded: list[tuple[str, list[str], npt.NDArray[np.intp], npt.NDArray[np.float64]]],
    *,
    n: int,
    iterations: int,
    converged: bool,
    population: float | None,
    trim: float | None,
    reported: list[str],
) -> RakeResult:
    """Scale the weights and describe how every margin came out (raking and calibration)."""
    w = w * ((population if population is not None else n) / w.sum())
    error = _fits(encoded, w)
    deff = design_effect(w)
    ess = effective_sample_size(w)
    total = float(w.sum())
    margins: list[MarginFit] = []
    for variable, levels, codes, shares in encoded:
        counts = np.bincount(codes, minlength=len(levels))
        sums = np.bincount(codes, weights=w, minlength=len(levels))
        for i, level in enumerate(levels):
            margins.append(
                MarginFit(
                    variable=variable,
                    level=level,
                    target=float(shares[i]),
                    unweighted=float(counts[i] / n),
                    weighted=float(sums[i] / total),
                    count=int(counts[i]),
                )
            )
    return RakeResult(
        weights=w,
        iterations=iterations,
        converged=converged,
        max_margin_error=float(error),
        design_effect=deff,
        effective_sample_size=ess,
        margin_of_error=margin_of_error(0.5, effective_n=ess),
        trim=trim,
        margins=tuple(margins),
        problems=tuple(reported),
    )


@dataclass(frozen=True)
class MeanInterval:
    """A (weighted) mean, its standard error and 95% normal interval."""

    mean: float
    se: float
    lower: float
    upper: float
    n: int


def weighted_mean_ci(
    values: npt.ArrayLike, weights: npt.ArrayLike | None = None, *, z: float = Z_95
) -> MeanInterval:
    """The mean of ``values`` (weighted by ``weights``) with its 95% confidence interval.

    The standard error is the with-replacement linearisation estimator that R's survey
    package uses for ``svymean`` on a design with weights only (``svydesign(id = ~1,
    weights = ~w)``)::

        se² = n / (n - 1) · Σ wᵢ² (xᵢ - m)² / (Σ w)²

    which with equal weights is the usual ``s / √n``.  Rows whose value or weight is NaN
    are left out.  Fewer than two rows give a NaN interval.
    """
    x = np.asarray(values, dtype=np.float64)
    w = np.ones(x.size) if weights is None else np.asarray(weights, dtype=np.float64)
    keep = ~np.isnan(x) & ~np.isnan(w)
    x, w = x[keep], w[keep]
    n = int(x.size)
    total = float(w.sum())
    if n == 0 or total <= 0:
        return MeanInterval(math.nan, math.nan, math.nan, math.nan, n)
    mean = float(np.dot(w, x) / total)
    if n < 2:
        return MeanInterval(mean, math.nan, math.nan, math.nan, n)
    variance = n / (n - 1) * float(np.dot(w * w, (x - mean) ** 2)) / (total * total)
    se = math.sqrt(variance)
    return MeanInterval(mean, se, mean - z * se, mean + z * se, n)
