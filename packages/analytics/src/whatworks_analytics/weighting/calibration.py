"""Calibration of survey weights to known margins (Deville and Särndal, 1992), as R's
``survey::calibrate()``: linear (GREG), logit and raking distance functions, with bounds.

With starting weights ``d`` and the model matrix ``X`` (an intercept and an indicator for
every level but the first of each variable, as R's treatment contrasts), the calibrated
weights are ``w = d * g`` with ``g = F(X eta)`` chosen so that ``X'w`` equals the population
totals.  ``F`` is:

* ``linear`` -- ``1 + u`` (the generalised regression estimator), clipped to the bounds;
* ``raking`` -- ``exp(u)`` (the same solution as raking to the margins), clipped to the bounds;
* ``logit`` -- ``(L (U - 1) + U (1 - L) e^(A u)) / (U - 1 + (1 - L) e^(A u))`` with
  ``A = (U - L) / ((U - 1)(1 - L))``, which keeps every ``g`` strictly within the bounds
  ``(L, U)`` (finite bounds are required).

``eta`` is found by Newton's method exactly as ``survey``'s ``grake()``: the step solves
``(X' diag(d F'(X eta)) X) delta = misfit`` with the Moore-Penrose inverse, is halved while it
would give infinite values, and iteration stops when every ``|misfit| / (1 + |total|)`` is below
``epsilon`` (``1e-7``) or after ``max_iterations`` (50).  Bounds apply to ``g = w / d``.  When
the bounds cannot be met together with the margins, Newton's method does not converge:
:attr:`~whatworks_analytics.weighting.raking.RakeResult.converged` is then false and
``problems`` says "weighting did not converge" with the margin still missed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Literal

import numpy as np
import numpy.typing as npt

from whatworks_analytics.weighting.raking import (
    RakeResult,
    WeightingError,
    _encode,
    _result,
)

__all__ = ["CalibrationMethod", "calibrate"]

CalibrationMethod = Literal["linear", "logit", "raking"]
FloatArray = npt.NDArray[np.float64]
_Functions = tuple[Callable[[FloatArray], FloatArray], Callable[[FloatArray], FloatArray]]


def _functions(method: CalibrationMethod, lower: float, upper: float) -> _Functions:
    """``g - 1 = F(u) - 1`` and ``F'(u)`` of each distance, as survey's ``cal.*``."""
    if method == "linear":
        return (
            lambda u: np.clip(u + 1.0, lower, upper) - 1.0,
            lambda u: ((u < upper - 1.0) & (u > lower - 1.0)).astype(np.float64),
        )
    if method == "raking":
        return (
            lambda u: np.clip(np.exp(u), lower, upper) - 1.0,
            lambda u: np.where((u < upper - 1.0) & (u > lower - 1.0), np.exp(u), 0.0),
        )
    a = (upper - lower) / ((upper - 1.0) * (1.0 - lower))

    def g_minus_one(u: FloatArray) -> FloatArray:
        e = np.exp(a * u)
        value = (lower * (upper - 1.0) + upper * (1.0 - lower) * e) / (
            upper - 1.0 + (1.0 - lower) * e
        )
        return np.asarray(value - 1.0, dtype=np.float64)

    def derivative(u: FloatArray) -> FloatArray:
        e = np.exp(a * u)
        denominator = upper - 1.0 + (1.0 - lower) * e
        value = (
            upper * (1.0 - lower) * e * a / denominator
            - ((lower * (upper - 1.0) + upper * (1.0 - lower) * e) * ((1.0 - lower) * e * a))
            / denominator**2
        )
        return np.asarray(value, dtype=np.float64)

    return g_minus_one, derivative


def calibrate(
    sample: Mapping[str, npt.ArrayLike],
    targets: Mapping[str, Mapping[str, float]],
    *,
    method: CalibrationMethod = "linear",
    bounds: tuple[float, float] = (-math.inf, math.inf),
    base_weights: npt.ArrayLike | None = None,
    population: float | None = None,
    epsilon: float = 1e-7,
    max_iterations: int = 50,
) -> RakeResult:
    """Calibrate ``sample`` to ``targets`` (``{variable: {level: share}}``, as :func:`rake`).

    The population totals are the shares times the total of the starting weights (so bounds
    keep their meaning); the weights come back with mean 1, or summing to ``population``.
    Raises :class:`WeightingError` for bad input, listing every problem.
    """
    problems: list[str] = []
    lower, upper = (float(bounds[0]), float(bounds[1]))
    if method not in ("linear", "logit", "raking"):
        problems.append(f"unknown calibration method {method!r} (linear, logit or raking)")
    if not lower < 1.0 < upper:
        problems.append(f"bounds must satisfy lower < 1 < upper (got {lower:g}, {upper:g})")
    if method == "logit" and not (math.isfinite(lower) and math.isfinite(upper)):
        problems.append("logit calibration needs finite bounds")
    if population is not None and not population > 0:
        problems.append(f"population must be positive (got {population:g})")
    if problems:
        raise WeightingError(problems)
    n, encoded, reported = _encode(sample, targets, empty_levels="error")
    if n == 0:
        raise WeightingError(["the sample has no rows"])
    if base_weights is None:
        d = np.ones(n, dtype=np.float64)
    else:
        d = np.asarray(base_weights, dtype=np.float64).copy()
        if d.shape != (n,) or not np.all(np.isfinite(d)) or np.any(d <= 0):
            raise WeightingError(["base weights must be positive, one per row"])

    columns = [np.ones(n)]
    totals = [float(d.sum())]
    for _, levels, codes, shares in encoded:
        for level_index in range(1, len(levels)):
            columns.append((codes == level_index).astype(np.float64))
            totals.append(float(shares[level_index]) * float(d.sum()))
    x = np.column_stack(columns)
    population_totals = np.asarray(totals)
    sample_totals = x.T @ d
    g_minus_one, derivative = _functions(method, lower, upper)

    eta = np.zeros(x.shape[1])
    u = x @ eta
    iterations = 1
    converged = False
    worst = math.inf
    while True:
        curvature = (x * (d * derivative(u))[:, None]).T @ x
        misfit = population_totals - sample_totals - x.T @ (d * g_minus_one(u))
        step = np.linalg.pinv(curvature, rcond=256 * np.finfo(np.float64).eps) @ misfit
        eta = eta + step
        u = x @ eta
        with np.errstate(over="ignore", invalid="ignore"):
            while iterations < max_iterations and not (
                np.all(np.isfinite(g_minus_one(u))) and np.all(np.isfinite(derivative(u)))
            ):
                iterations += 1
                step = step / 2.0
                eta = eta - step
                u = x @ eta
        misfit = population_totals - sample_totals - x.T @ (d * g_minus_one(u))
        worst = float(np.max(np.abs(misfit) / (1.0 + np.abs(population_totals))))
        if worst < epsilon:
            converged = True
            break
        iterations += 1
        if iterations > max_iterations:
            break

    w = d * (1.0 + g_minus_one(u))
    if not converged:
        reported.append(
            f"weighting did not converge: after {iterations} iterations a margin is still "
            f"{worst:.2g} (relative) from its target; the bounds ({lower:g}, {upper:g}) may not "
            "be reachable together with the targets"
        )
    return _result(
        w,
        encoded,
        n=n,
        iterations=iterations,
        converged=converged,
        population=population,
        trim=None,
        reported=reported,
    )
