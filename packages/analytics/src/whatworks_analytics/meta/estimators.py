"""Estimators of the between-study variance ``tau2`` for models with or without moderators.

The model is ``yi = xi' beta + ui + ei`` with ``ei ~ N(0, vi)`` (``vi`` known) and
``ui ~ N(0, tau2)``; ``X`` is the ``k x p`` model matrix (a column of ones for pooling
without moderators).  Every estimator follows metafor's ``rma.uni()`` (manual page
``rma.uni``, "Specifying the Model" and "Note"; Viechtbauer, 2005, *J. Educ. Behav. Stat.*
30, 261-293), so that the results can be checked against it.  With ``W = diag(w)``,
``P = W - W X (X'WX)^-1 X'W`` and ``w = 1/vi`` unless said otherwise:

* ``DL`` (DerSimonian & Laird, 1986): ``(y'Py - (k - p)) / tr(P)``.
* ``HE`` (Hedges' method of moments, 1983): with the ordinary least-squares residuals
  ``e`` and ``P0 = I - X (X'X)^-1 X'``, ``(e'e - tr(P0 V)) / (k - p)``.
* ``HS`` (Hunter & Schmidt, 2004): ``(y'Py - k) / sum(w)``.
* ``SJ`` (Sidik & Jonkman, 2005): from ``tau0 = var(y) (k - 1) / k`` and
  ``w = 1/(vi + tau0)``, ``tau0 y'Py / (k - p)``.
* ``PM`` (Paule & Mandel, 1982): the root of ``y'P(tau2)y = k - p`` with
  ``w = 1/(vi + tau2)`` (0 when the generalised Q is already below ``k - p`` at 0), found
  with Brent's method.
* ``ML``, ``REML`` and ``EB`` (empirical Bayes, Morris, 1983): Fisher scoring from the ``HE``
  estimate with ``w = 1/(vi + tau2)``; the steps are ``(y'PPy - sum(w)) / sum(w^2)``,
  ``(y'PPy - tr(P)) / tr(PP)`` and ``(y'Py k/(k - p) - k) / sum(w)``, halved while they
  would make ``tau2`` negative, until a step is smaller than ``1e-5`` (at most 100 steps).
  As metafor (``ll0check``), an ML or REML estimate whose log-likelihood is below the one at
  ``tau2 = 0`` by more than ``1.2e-4`` is replaced by 0.

All estimates are truncated at 0.  With ``k = 1`` every estimator gives 0.  The traces are
computed with ``p x p`` matrices only, so that a pooled analysis of 100,000 studies stays a
few vectorised passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from whatworks_analytics.errors import AnalyticsConvergenceError

FloatArray = npt.NDArray[np.float64]

__all__ = ["REML_MAX_ITER", "REML_TOL", "Estimator", "MetaConvergenceError", "Tau2Fit", "fit_tau2"]

#: metafor's defaults for Fisher scoring (``control=list(threshold, maxiter)``).
REML_TOL = 1e-5
REML_MAX_ITER = 100
#: metafor's ``control$tol`` (``.Machine$double.eps^0.25``), used by its ``ll0check``.
_LL0_TOL = float(np.finfo(np.float64).eps ** 0.25)


class Estimator(StrEnum):
    """How ``tau2`` is estimated (``FE``: it is taken to be 0)."""

    FE = "FE"
    DL = "DL"
    REML = "REML"
    ML = "ML"
    PM = "PM"
    HS = "HS"
    SJ = "SJ"
    EB = "EB"
    HE = "HE"


ITERATIVE = frozenset({Estimator.ML, Estimator.REML, Estimator.EB})


class MetaConvergenceError(AnalyticsConvergenceError):
    """An iterative estimator of ``tau2`` did not converge."""


@dataclass(frozen=True)
class Tau2Fit:
    """An estimate of ``tau2``, how many iterations it took (None for closed forms) and
    whether Fisher scoring failed and the estimating equation was solved instead."""

    tau2: float
    iterations: int | None = None
    used_fallback: bool = False


@dataclass(frozen=True)
class _Weighted:
    """Weighted least squares with weights ``w``: the quantities every estimator needs."""

    w: FloatArray
    beta: FloatArray
    inverse: FloatArray  # (X'WX)^-1
    py: FloatArray  # P y = W (y - X beta)
    rss: float  # y'Py

    @classmethod
    def of(cls, y: FloatArray, w: FloatArray, x: FloatArray | None) -> _Weighted:
        if x is None:  # intercept only: the same quantities from sums, in fewer passes
            sw = float(w.sum())
            mean = float(w @ y) / sw
            residual = y - mean
            py = w * residual
            return cls(
                w=w,
                beta=np.array([mean]),
                inverse=np.array([[1.0 / sw]]),
                py=py,
                rss=float(py @ residual),
            )
        xtw = x.T * w
        inverse: FloatArray = np.asarray(np.linalg.inv(xtw @ x), dtype=np.float64)
        beta = inverse @ (xtw @ y)
        residual = y - x @ beta
        py = w * residual
        return cls(w=w, beta=beta, inverse=inverse, py=py, rss=float(py @ residual))

    def trace_p(self, x: FloatArray | None) -> float:
        """``tr(P) = sum(w) - tr((X'WX)^-1 X'W^2X)``."""
        if x is None:
            w2 = self.w * self.w
            return float(self.w.sum() - w2.sum() / self.w.sum())
        xw2x = (x.T * self.w**2) @ x
        return float(self.w.sum() - np.trace(self.inverse @ xw2x))

    def trace_pp(self, x: FloatArray | None) -> float:
        """``tr(PP) = sum(w^2) - 2 tr(A X'W^3X) + tr(A X'W^2X A X'W^2X)``, ``A = (X'WX)^-1``."""
        if x is None:
            w2 = self.w * self.w
            sw, sw2 = float(self.w.sum()), float(w2.sum())
            return sw2 - 2.0 * float(w2 @ self.w) / sw + (sw2 / sw) ** 2
        xw2x = (x.T * self.w**2) @ x
        xw3x = (x.T * self.w**3) @ x
        a_xw2x = self.inverse @ xw2x
        return float(
            (self.w**2).sum() - 2.0 * np.trace(self.inverse @ xw3x) + np.trace(a_xw2x @ a_xw2x)
        )


def generalised_q(y: FloatArray, v: FloatArray, x: FloatArray | None, tau2: float) -> float:
    """``y'P(tau2)y``, the generalised Q statistic with weights ``1/(vi + tau2)``."""
    return _Weighted.of(y, 1.0 / (v + tau2), x).rss


def fit_tau2(
    y: FloatArray,
    v: FloatArray,
    x: FloatArray | None = None,
    *,
    method: Estimator,
    tol: float = REML_TOL,
    max_iter: int = REML_MAX_ITER,
    step_adjust: float = 1.0,
    fallback: bool = True,
) -> Tau2Fit:
    """Estimate ``tau2`` by ``method`` (see the module docstring); ``x`` defaults to an
    intercept.  Raises :class:`MetaConvergenceError` when an iterative method fails."""
    design = x  # None: intercept only
    k, p = (y.size, 1) if design is None else design.shape
    if method is Estimator.FE or k == 1:
        return Tau2Fit(0.0, 0 if method in ITERATIVE else None)
    if method is Estimator.DL:
        fixed = _Weighted.of(y, 1.0 / v, design)
        return Tau2Fit(max(0.0, (fixed.rss - (k - p)) / fixed.trace_p(design)))
    if method is Estimator.HS:
        fixed = _Weighted.of(y, 1.0 / v, design)
        return Tau2Fit(max(0.0, (fixed.rss - k) / float(fixed.w.sum())))
    if method is Estimator.HE:
        return Tau2Fit(_hedges(y, v, design))
    if method is Estimator.SJ:
        tau0 = float(np.var(y, ddof=1) * (k - 1) / k)
        start = _Weighted.of(y, 1.0 / (v + tau0), design)
        return Tau2Fit(max(0.0, tau0 * start.rss / (k - p)))
    if method is Estimator.PM:
        return Tau2Fit(_paule_mandel(y, v, design))
    return _fisher_scoring(
        y,
        v,
        design,
        method=method,
        tol=tol,
        max_iter=max_iter,
        step_adjust=step_adjust,
        fallback=fallback,
    )


def _hedges(y: FloatArray, v: FloatArray, x: FloatArray | None) -> float:
    if x is None:
        return max(0.0, float(np.var(y, ddof=1) - v.mean()))
    k, p = x.shape
    inverse = np.linalg.inv(x.T @ x)
    residual = y - x @ (inverse @ (x.T @ y))
    trace_pv = float(v.sum() - np.trace(inverse @ ((x.T * v) @ x)))
    return max(0.0, float((float(residual @ residual) - trace_pv) / (k - p)))


def _paule_mandel(y: FloatArray, v: FloatArray, x: FloatArray | None) -> float:
    from scipy.optimize import brentq

    target = float(y.size - (1 if x is None else x.shape[1]))

    def excess(tau2: float) -> float:
        return generalised_q(y, v, x, tau2) - target

    if excess(0.0) < 0.0:
        return 0.0
    upper = max(100.0, float(np.var(y, ddof=1)))
    while excess(upper) > 0.0:
        upper *= 10.0
    return float(brentq(excess, 0.0, upper, xtol=1e-14, rtol=8.9e-16, maxiter=500))


def _step_terms(
    y: FloatArray, v: FloatArray, x: FloatArray | None, tau2: float, method: Estimator
) -> tuple[float, float]:
    """The numerator (the score, up to a positive factor) and denominator of a step."""
    k, p = (y.size, 1) if x is None else x.shape
    fit = _Weighted.of(y, 1.0 / (v + tau2), x)
    if method is Estimator.ML:
        return float(fit.py @ fit.py - fit.w.sum()), float((fit.w**2).sum())
    if method is Estimator.REML:
        return float(fit.py @ fit.py - fit.trace_p(x)), fit.trace_pp(x)
    return fit.rss * k / (k - p) - k, float(fit.w.sum())


def _log_likelihood(
    y: FloatArray, v: FloatArray, x: FloatArray | None, tau2: float, reml: bool
) -> float:
    k, p = (y.size, 1) if x is None else x.shape
    fit = _Weighted.of(y, 1.0 / (v + tau2), x)
    value = -0.5 * float(np.log(v + tau2).sum()) - 0.5 * fit.rss
    if reml:
        information = np.array([[fit.w.sum()]]) if x is None else (x.T * fit.w) @ x
        _sign, log_det = np.linalg.slogdet(information)
        return float(value - 0.5 * (k - p) * math.log(2 * math.pi) - 0.5 * float(log_det))
    return float(value - 0.5 * k * math.log(2 * math.pi))


def _fisher_scoring(
    y: FloatArray,
    v: FloatArray,
    x: FloatArray | None,
    *,
    method: Estimator,
    tol: float,
    max_iter: int,
    step_adjust: float,
    fallback: bool,
) -> Tau2Fit:
    tau2 = _hedges(y, v, x)
    iterations = 0
    converged = False
    while not converged and iterations < max_iter:
        iterations += 1
        numerator, denominator = _step_terms(y, v, x, tau2, method)
        step = step_adjust * numerator / denominator
        # Step halving; terminates because a small enough |step| no longer moves tau2 below 0.
        while tau2 + step < 0.0:
            step /= 2.0
        tau2 += step
        converged = abs(step) < tol
    if not converged:
        solved = _solve_score_equation(y, v, x, method, tol=tol) if fallback else None
        if solved is None:
            raise MetaConvergenceError(
                f"{method.value} (Fisher scoring) did not converge in {max_iter} iterations"
                + (" and the score equation could not be solved" if fallback else "")
                + "; try another method"
            )
        return Tau2Fit(tau2=solved[0], iterations=max_iter + solved[1], used_fallback=True)
    tau2 = max(0.0, tau2)
    if method is not Estimator.EB and tau2 > tol:
        reml = method is Estimator.REML
        at_zero = _log_likelihood(y, v, x, 0.0, reml)
        if at_zero - _log_likelihood(y, v, x, tau2, reml) > _LL0_TOL:
            tau2 = 0.0
    return Tau2Fit(tau2=tau2, iterations=iterations)


def _solve_score_equation(
    y: FloatArray, v: FloatArray, x: FloatArray | None, method: Estimator, *, tol: float
) -> tuple[float, int] | None:
    """Root of the score on ``[0, b]`` by Brent's method, with the iterations used."""
    from scipy.optimize import brentq

    def score(tau2: float) -> float:
        return _step_terms(y, v, x, tau2, method)[0]

    if score(0.0) <= 0.0:
        return 0.0, 1
    upper = max(1.0, float(np.var(y, ddof=1)))
    for _ in range(200):
        if score(upper) < 0.0:
            break
        upper *= 2.0
    else:
        return None
    root, report = brentq(score, 0.0, upper, xtol=tol * 1e-3, full_output=True, disp=False)
    if not report.converged:
        return None
    return float(root), int(report.iterations)
