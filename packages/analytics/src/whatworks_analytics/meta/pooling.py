"""Pooling effect sizes: fixed effect, DerSimonian-Laird and REML random effects.

The model is ``yi ~ N(mu, vi + tau2)`` with known sampling variances ``vi``.  With weights
``wi = 1 / (vi + tau2)`` (``tau2 = 0`` for the fixed-effect model) every method gives

* ``estimate = sum(wi yi) / sum(wi)``, ``se = 1 / sqrt(sum(wi))``, ``z = estimate / se``,
  two-sided ``p`` from the standard normal and ``ci = estimate +/- z_crit * se``;
* Cochran's ``Q = sum((yi - mu_FE)^2 / vi)`` on ``k - 1`` degrees of freedom (always with the
  fixed-effect weights and estimate ``mu_FE``);
* for random-effects models, the prediction interval
  ``estimate +/- z_crit * sqrt(se^2 + tau2)`` (metafor's ``predict()`` with ``test="z"``).

``I2`` and ``H2`` follow metafor (manual page ``print.rma``): for random-effects models
``I2 = 100 tau2 / (tau2 + s2)`` and ``H2 = (tau2 + s2) / s2`` with the "typical" sampling
variance ``s2 = (k - 1) sum(1/vi) / ((sum(1/vi))^2 - sum(1/vi^2))`` (Higgins & Thompson,
2002, eq. 9); for the fixed-effect model the conventional ``I2 = 100 max(0, (Q - (k-1)) / Q)``
and ``H2 = Q / (k - 1)``.  The two coincide for DerSimonian-Laird.  ``I2`` is in percent.

The fixed-effect and DerSimonian-Laird computations are a few vectorised numpy lines; the
tests check them against ``statsmodels.stats.meta_analysis.combine_effects`` as well as
against metafor's published results.  ``combine_effects`` is not called directly because
it divides zero by zero (with a warning) when ``Q = 0`` or ``k = 1``, and because its
DerSimonian-Laird path does not truncate a negative ``tau2`` at zero (it uses the negative
value in the weights), unlike DerSimonian & Laird (1986) and metafor.  REML uses the Fisher
scoring implemented in :func:`tau2_reml`.

With a single study (``k = 1``) heterogeneity cannot be estimated: ``tau2 = 0`` for every
method, ``Q = 0`` with ``p = 1``, ``I2 = 0`` and ``H2 = 1`` (as metafor, which fits an
equal-effects model when ``k = 1``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from scipy import stats

from whatworks_analytics.meta.effect_sizes import (
    EffectSizes,
    FloatArray,
    InputProblem,
    Measure,
    MetaInputError,
)

__all__ = [
    "REML_MAX_ITER",
    "REML_TOL",
    "MetaConvergenceError",
    "MetaResult",
    "Method",
    "RemlFit",
    "meta_analyse",
    "pool",
    "tau2_dersimonian_laird",
    "tau2_reml",
]

_E = TypeVar("_E", bound=StrEnum)

#: metafor's defaults for the Fisher scoring algorithm (``control=list(threshold, maxiter)``).
REML_TOL = 1e-5
REML_MAX_ITER = 100


class Method(StrEnum):
    """How the studies are pooled."""

    FE = "FE"
    DL = "DL"
    REML = "REML"

    @property
    def label(self) -> str:
        return _METHOD_LABELS[self]

    @property
    def is_random(self) -> bool:
        return self is not Method.FE


_METHOD_LABELS = {
    Method.FE: "fixed effect (inverse variance)",
    Method.DL: "random effects (DerSimonian-Laird)",
    Method.REML: "random effects (REML)",
}


class MetaConvergenceError(ArithmeticError):
    """The REML Fisher scoring algorithm did not converge."""


@dataclass(frozen=True)
class RemlFit:
    """The REML estimate of ``tau2`` and how many iterations it took in all;
    ``used_fallback`` says whether Fisher scoring failed and the score equation was solved."""

    tau2: float
    iterations: int
    used_fallback: bool = False


@dataclass(frozen=True)
class MetaResult:
    """The pooled result of a meta-analysis.

    All estimates are on the pooling scale (log scale for RR and OR); the ``exp_*`` fields
    give the back-transformed ratio for RR and OR and are None otherwise.  ``i2`` is a
    percentage.  ``pi_low``/``pi_high`` (the prediction interval) are None for the
    fixed-effect model.  ``weights`` are the studies' percentage weights, in input order.
    """

    measure: str
    method: str
    k: int
    level: float
    estimate: float
    se: float
    z: float
    p: float
    ci_low: float
    ci_high: float
    tau2: float
    tau: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float
    pi_low: float | None
    pi_high: float | None
    exp_estimate: float | None
    exp_ci_low: float | None
    exp_ci_high: float | None
    exp_pi_low: float | None
    exp_pi_high: float | None
    iterations: int | None
    weights: tuple[float, ...]

    def to_dict(self, *, include_weights: bool = False) -> dict[str, Any]:
        """A JSON-ready dict of the results (weights only when asked for)."""
        data = asdict(self)
        if include_weights:
            data["weights"] = list(self.weights)
        else:
            del data["weights"]
        return data


# --------------------------------------------------------------------------- validation


def _check_inputs(yi: npt.ArrayLike, vi: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Return ``yi``, ``vi`` as float arrays or raise :class:`MetaInputError` with every
    problem: unequal lengths, ``k < 1``, missing or non-finite values, ``vi <= 0``."""
    problems: list[InputProblem] = []
    arrays: dict[str, FloatArray] = {}
    for name, raw in (("yi", yi), ("vi", vi)):
        try:
            array = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            problems.append(InputProblem(column=name, message="values must all be numbers"))
            continue
        if array.ndim != 1:
            problems.append(InputProblem(column=name, message="must be one-dimensional"))
            continue
        arrays[name] = array
    if problems:
        raise MetaInputError(problems)
    y, v = arrays["yi"], arrays["vi"]
    if y.shape != v.shape:
        raise MetaInputError([InputProblem(message=f"yi has {y.size} values but vi has {v.size}")])
    if y.size == 0:
        raise MetaInputError(
            [InputProblem(message="no studies: the input has no rows (k must be at least 1)")]
        )
    for name, array in (("yi", y), ("vi", v)):
        missing = np.isnan(array)
        infinite = np.isinf(array)
        problems += [
            InputProblem(row=int(i) + 1, column=name, message="missing value")
            for i in np.flatnonzero(missing)
        ]
        problems += [
            InputProblem(
                row=int(i) + 1, column=name, message=f"must be a finite number (got {array[i]:g})"
            )
            for i in np.flatnonzero(infinite)
        ]
    not_positive = np.isfinite(v) & (v <= 0)
    problems += [
        InputProblem(
            row=int(i) + 1,
            column="vi",
            message=f"sampling variance must be greater than 0 (got {v[i]:g})",
        )
        for i in np.flatnonzero(not_positive)
    ]
    if problems:
        problems.sort(key=lambda problem: (problem.row or 0, problem.column != "yi"))
        raise MetaInputError(problems)
    return y, v


def _check_level(level: float) -> None:
    if not (isinstance(level, int | float) and 0.0 < float(level) < 1.0):
        raise MetaInputError(
            [InputProblem(message=f"level must be strictly between 0 and 1 (got {level!r})")]
        )


# --------------------------------------------------------------------------- estimators


def tau2_dersimonian_laird(yi: npt.ArrayLike, vi: npt.ArrayLike) -> float:
    """DerSimonian & Laird's (1986) method-of-moments estimate of ``tau2``.

    ``tau2 = max(0, (Q - (k - 1)) / (sum(w) - sum(w^2) / sum(w)))`` with ``w = 1/vi`` and
    Cochran's ``Q``.  Returns 0 for a single study.
    """
    y, v = _check_inputs(yi, vi)
    return _tau2_dl(y, v)


def _tau2_dl(y: FloatArray, v: FloatArray) -> float:
    if y.size == 1:
        return 0.0
    w = 1.0 / v
    sw = w.sum()
    q = _cochran_q(y, w)
    c = sw - (w * w).sum() / sw
    return max(0.0, float((q - (y.size - 1)) / c))


def _cochran_q(y: FloatArray, w: FloatArray) -> float:
    mu = (w * y).sum() / w.sum()
    return float((w * (y - mu) ** 2).sum())


def tau2_reml(
    yi: npt.ArrayLike,
    vi: npt.ArrayLike,
    *,
    tol: float = REML_TOL,
    max_iter: int = REML_MAX_ITER,
    step_adjust: float = 1.0,
    fallback: bool = True,
) -> RemlFit:
    """Restricted maximum-likelihood estimate of ``tau2`` by Fisher scoring.

    This mirrors the algorithm that metafor's ``rma.uni(method="REML")`` documents (manual
    page ``rma.uni``, section "Note"; Harville, 1977; Jennrich & Sampson, 1976; Viechtbauer,
    2005), written here for the intercept-only model:

    * start from the Hedges (HE) estimate ``max(0, var(yi) - mean(vi))``;
    * with ``w = 1 / (vi + tau2)``, ``mu = sum(w yi) / sum(w)`` and the projection
      ``P = W - w w' / sum(w)`` (so ``P y = w (yi - mu)``), the REML score is
      ``U(tau2) = (y'PPy - tr(P)) / 2`` and the expected information ``tr(PP) / 2``, where
      ``tr(P) = sum(w) - sum(w^2)/sum(w)`` and
      ``tr(PP) = sum(w^2) - 2 sum(w^3)/sum(w) + (sum(w^2)/sum(w))^2``;
    * step ``delta = step_adjust * (y'PPy - tr(P)) / tr(PP)``, halved while
      ``tau2 + delta < 0`` (step halving keeps the estimate non-negative);
    * stop when ``|delta| < tol`` (metafor's ``threshold``, default ``1e-5``) or give up after
      ``max_iter`` iterations (default 100).

    Plain Fisher scoring can overshoot and oscillate without converging in ``max_iter``
    iterations (metafor then stops with an error).  With ``fallback`` (the default) the
    estimating equation ``U(tau2) = 0`` is then solved directly with Brent's method
    (``scipy.optimize.brentq``) on ``[0, b]``, ``b`` doubled until ``U(b) < 0``; if
    ``U(0) <= 0`` the estimate is 0, as Fisher scoring with step halving would give.  Where
    plain scoring converges (all of metafor's published examples) the fallback is not used,
    so the results are metafor's.  :class:`MetaConvergenceError` is raised if nothing works.

    Returns ``tau2 = 0`` without iterating for a single study.
    """
    y, v = _check_inputs(yi, vi)
    if not (tol > 0 and max_iter >= 1 and step_adjust > 0):
        raise ValueError("tol and step_adjust must be positive and max_iter at least 1")
    return _tau2_reml(y, v, tol=tol, max_iter=max_iter, step_adjust=step_adjust, fallback=fallback)


def _score_terms(y: FloatArray, v: FloatArray, tau2: float) -> tuple[float, float]:
    """``2 U(tau2) = y'PPy - tr(P)`` and ``2 I(tau2) = tr(PP)`` (see :func:`tau2_reml`)."""
    w = 1.0 / (v + tau2)
    sw = w.sum()
    sw2 = (w * w).sum()
    py = w * (y - (w * y).sum() / sw)
    trace_p = sw - sw2 / sw
    trace_pp = sw2 - 2.0 * (w**3).sum() / sw + (sw2 / sw) ** 2
    return float(py @ py - trace_p), float(trace_pp)


def _tau2_reml(
    y: FloatArray,
    v: FloatArray,
    *,
    tol: float,
    max_iter: int,
    step_adjust: float,
    fallback: bool,
) -> RemlFit:
    if y.size == 1:
        return RemlFit(tau2=0.0, iterations=0)
    tau2 = max(0.0, float(np.var(y, ddof=1) - v.mean()))
    for iteration in range(1, max_iter + 1):
        score, information = _score_terms(y, v, tau2)
        step = step_adjust * score / information
        # Step halving; terminates because a small enough |step| no longer moves tau2 below 0
        # (at worst step underflows to -0.0).
        while tau2 + step < 0.0:
            step /= 2.0
        tau2 += step
        if abs(step) < tol:
            return RemlFit(tau2=max(0.0, tau2), iterations=iteration)
    if fallback:
        solved = _solve_score_equation(y, v, tol=tol)
        if solved is not None:
            return RemlFit(tau2=solved[0], iterations=max_iter + solved[1], used_fallback=True)
    raise MetaConvergenceError(
        f"REML (Fisher scoring) did not converge in {max_iter} iterations"
        + (" and the score equation could not be solved" if fallback else "")
        + "; try another method"
    )


def _solve_score_equation(y: FloatArray, v: FloatArray, *, tol: float) -> tuple[float, int] | None:
    """Root of the REML score on ``[0, b]`` by Brent's method, with the iterations used."""
    from scipy.optimize import brentq

    def score(tau2: float) -> float:
        return _score_terms(y, v, tau2)[0]

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


# --------------------------------------------------------------------------- pooling


def meta_analyse(
    yi: npt.ArrayLike,
    vi: npt.ArrayLike,
    *,
    method: Method | str = Method.REML,
    measure: Measure | str = Measure.GENERIC,
    level: float = 0.95,
) -> MetaResult:
    """Pool effect sizes ``yi`` with sampling variances ``vi`` (see the module docstring
    for every formula).  ``measure`` only decides whether ``exp_*`` fields are filled in
    (RR and OR are pooled on the log scale).  ``level`` is the confidence level, e.g. 0.95.

    Raises :class:`MetaInputError` listing every problem with the input, and
    :class:`MetaConvergenceError` if REML does not converge.
    """
    problems: list[InputProblem] = []
    chosen_method = _parse_enum(Method, method, "method", problems)
    chosen_measure = _parse_enum(Measure, measure, "measure", problems)
    if problems:
        raise MetaInputError(problems)
    assert chosen_method is not None and chosen_measure is not None
    _check_level(level)
    y, v = _check_inputs(yi, vi)
    return _pool(y, v, method=chosen_method, measure=chosen_measure, level=float(level))


def pool(
    effects: EffectSizes,
    *,
    method: Method | str = Method.REML,
    level: float = 0.95,
) -> MetaResult:
    """Pool computed :class:`EffectSizes` (see :func:`meta_analyse`)."""
    return meta_analyse(effects.yi, effects.vi, method=method, measure=effects.measure, level=level)


def _parse_enum(
    kind: type[_E], value: _E | str, name: str, problems: list[InputProblem]
) -> _E | None:
    try:
        return kind(str(value).strip().upper())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        problems.append(
            InputProblem(message=f"unknown {name} {value!r} (expected one of {allowed})")
        )
        return None


def _pool(
    y: FloatArray, v: FloatArray, *, method: Method, measure: Measure, level: float
) -> MetaResult:
    k = int(y.size)
    w_fixed = 1.0 / v
    q = _cochran_q(y, w_fixed) if k > 1 else 0.0
    q_df = k - 1
    q_p = float(stats.chi2.sf(q, q_df)) if k > 1 else 1.0

    iterations: int | None = None
    if method is Method.FE or k == 1:
        tau2 = 0.0
    elif method is Method.DL:
        tau2 = _tau2_dl(y, v)
    else:
        fit = _tau2_reml(y, v, tol=REML_TOL, max_iter=REML_MAX_ITER, step_adjust=1.0, fallback=True)
        tau2, iterations = fit.tau2, fit.iterations

    w = 1.0 / (v + tau2)
    sw = float(w.sum())
    estimate = float((w * y).sum() / sw)
    se = math.sqrt(1.0 / sw)
    z = estimate / se
    p = float(2.0 * stats.norm.sf(abs(z)))
    crit = float(stats.norm.ppf(0.5 + level / 2.0))
    ci_low, ci_high = estimate - crit * se, estimate + crit * se

    if k == 1:
        i2, h2 = 0.0, 1.0
    elif method is Method.FE:
        i2 = 100.0 * max(0.0, (q - q_df) / q) if q > 0 else 0.0
        h2 = q / q_df
    else:
        s2 = q_df * w_fixed.sum() / (w_fixed.sum() ** 2 - (w_fixed**2).sum())
        i2 = 100.0 * tau2 / (tau2 + s2)
        h2 = (tau2 + s2) / s2

    pi_low: float | None = None
    pi_high: float | None = None
    if method.is_random:
        half_width = crit * math.sqrt(se**2 + tau2)
        pi_low, pi_high = estimate - half_width, estimate + half_width

    def back(value: float | None) -> float | None:
        return math.exp(value) if measure.is_ratio and value is not None else None

    weights = tuple(float(x) for x in 100.0 * w / sw)
    return MetaResult(
        measure=measure.value,
        method=method.value,
        k=k,
        level=level,
        estimate=estimate,
        se=se,
        z=z,
        p=p,
        ci_low=ci_low,
        ci_high=ci_high,
        tau2=float(tau2),
        tau=math.sqrt(tau2),
        i2=float(i2),
        h2=float(h2),
        q=float(q),
        q_df=q_df,
        q_p=q_p,
        pi_low=pi_low,
        pi_high=pi_high,
        exp_estimate=back(estimate),
        exp_ci_low=back(ci_low),
        exp_ci_high=back(ci_high),
        exp_pi_low=back(pi_low),
        exp_pi_high=back(pi_high),
        iterations=iterations,
        weights=weights,
    )
