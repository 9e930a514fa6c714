"""Pooling effect sizes: fixed effect and random effects with nine estimators of ``tau2``.

The model is ``yi ~ N(mu, vi + tau2)`` with known sampling variances ``vi``.  ``tau2`` is
estimated by one of the methods of :mod:`whatworks_analytics.meta.estimators` (``DL``,
``REML``, ``ML``, ``PM``, ``HS``, ``SJ``, ``EB``, ``HE``; ``FE`` takes it to be 0).  With
weights ``wi = 1 / (vi + tau2)``:

* ``estimate = sum(wi yi) / sum(wi)`` and ``se = 1 / sqrt(sum(wi))``;
* with ``test="z"`` (the default, as metafor) ``z = estimate / se``, ``p`` from the standard
  normal and ``ci = estimate +/- z_crit * se``;
* with ``test="knha"`` (Knapp & Hartung, 2003; Hartung & Knapp, 2001) the variance is
  multiplied by ``s2 = sum(wi (yi - estimate)^2) / (k - 1)`` and the statistic, ``p`` and
  interval use the t distribution with ``k - 1`` degrees of freedom (metafor's
  ``rma(..., test="knha")``, which does not truncate ``s2`` at 1);
* Cochran's ``Q = sum((yi - mu_FE)^2 / vi)`` on ``k - 1`` degrees of freedom (always with the
  fixed-effect weights and estimate ``mu_FE``).

**Prediction interval.**  For random-effects models with at least three studies,
``estimate +/- t(k - 2) * sqrt(se^2 + tau2)``: the t distribution with ``k - 2`` degrees of
freedom proposed by Higgins, Thompson & Spiegelhalter (2009, *J. R. Stat. Soc. A* 172,
137-159), with the ``se`` of the chosen test (Knapp-Hartung's when ``test="knha"``).  This is
metafor's ``predict(res, pi.type="Riley")``.  metafor's *default* differs: it uses the
standard normal quantile (``test="z"``) or the t distribution with ``k - 1`` degrees of
freedom (``test="knha"``), which is narrower.  With fewer than three studies no prediction
interval is given (``k - 2`` would leave no degree of freedom; metafor then quietly uses
one): :attr:`MetaResult.pi_note` says so, and it says why for the fixed-effect model too.

``I2`` and ``H2`` follow metafor (manual page ``print.rma``): for random-effects models
``I2 = 100 tau2 / (tau2 + s2)`` and ``H2 = (tau2 + s2) / s2`` with the "typical" sampling
variance ``s2 = (k - 1) sum(1/vi) / ((sum(1/vi))^2 - sum(1/vi^2))`` (Higgins & Thompson,
2002, eq. 9); for the fixed-effect model the conventional ``I2 = 100 max(0, (Q - (k-1)) / Q)``
and ``H2 = Q / (k - 1)``.  The two coincide for DerSimonian-Laird.  ``I2`` is in percent.
With ``heterogeneity_ci=True`` the Q-profile confidence interval of ``tau2`` (Viechtbauer,
2007, *Stat. Med.* 26, 37-52; metafor's ``confint()``) and the ``I2`` and ``H2`` intervals
that follow from it are added.

The fixed-effect and DerSimonian-Laird computations are a few vectorised numpy lines; the
tests check them against ``statsmodels.stats.meta_analysis.combine_effects`` as well as
against metafor.  ``combine_effects`` is not called directly because it divides zero by zero
(with a warning) when ``Q = 0`` or ``k = 1``, and because its DerSimonian-Laird path does not
truncate a negative ``tau2`` at zero (it uses the negative value in the weights), unlike
DerSimonian & Laird (1986) and metafor.

With a single study (``k = 1``) heterogeneity cannot be estimated: ``tau2 = 0`` for every
method, ``Q = 0`` with ``p = 1``, ``I2 = 0`` and ``H2 = 1`` (as metafor, which fits an
equal-effects model when ``k = 1``).

A study with a missing ``yi`` or ``vi`` is left out with a :class:`StudiesOmittedWarning`
naming it (metafor's default ``na.action="na.omit"``), unless ``missing="error"``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
from scipy import stats

from whatworks_analytics.meta.effect_sizes import (
    EffectSizes,
    FloatArray,
    InputProblem,
    Measure,
    MetaInputError,
    StudiesOmittedWarning,
)
from whatworks_analytics.meta.estimators import (
    REML_MAX_ITER,
    REML_TOL,
    Estimator,
    MetaConvergenceError,
    Tau2Fit,
    fit_tau2,
    generalised_q,
)

__all__ = [
    "PI_MIN_STUDIES",
    "REML_MAX_ITER",
    "REML_TOL",
    "MetaConvergenceError",
    "MetaResult",
    "Method",
    "RemlFit",
    "Test",
    "meta_analyse",
    "pool",
    "prediction_interval_method",
    "q_profile_tau2",
    "tau2_dersimonian_laird",
    "tau2_reml",
]

_E = TypeVar("_E", bound=StrEnum)

#: The fewest studies from which a prediction interval is given (t with k - 2 df).
PI_MIN_STUDIES = 3
PI_TOO_FEW = "a prediction interval needs at least three studies"
PI_FIXED = "no prediction interval: the fixed-effect model assumes one true effect"


class Method(StrEnum):
    """How the studies are pooled: fixed effect, or random effects with an estimator of
    ``tau2`` (see :mod:`whatworks_analytics.meta.estimators`)."""

    FE = "FE"
    DL = "DL"
    REML = "REML"
    ML = "ML"
    PM = "PM"
    HS = "HS"
    SJ = "SJ"
    EB = "EB"
    HE = "HE"

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
    Method.ML: "random effects (maximum likelihood)",
    Method.PM: "random effects (Paule-Mandel)",
    Method.HS: "random effects (Hunter-Schmidt)",
    Method.SJ: "random effects (Sidik-Jonkman)",
    Method.EB: "random effects (empirical Bayes)",
    Method.HE: "random effects (Hedges)",
}


class Test(StrEnum):
    """How the pooled estimate is tested: the normal distribution, or Knapp and Hartung's
    adjusted variance with the t distribution on ``k - 1`` degrees of freedom."""

    Z = "z"
    KNHA = "knha"

    @property
    def label(self) -> str:
        return "z test" if self is Test.Z else "Knapp-Hartung adjustment (t test)"


#: Kept for callers of :func:`tau2_reml`: the REML fit is a :class:`Tau2Fit`.
RemlFit = Tau2Fit


def prediction_interval_method(k: int) -> str:
    """How the prediction interval of a random-effects pool of ``k`` studies is computed,
    in words (for pages, plots and open data)."""
    return (
        f"t distribution with k - 2 = {k - 2} degrees of freedom "
        "(Higgins, Thompson and Spiegelhalter, 2009): "
        "estimate ± t * sqrt(se² + tau²)"
    )


@dataclass(frozen=True)
class MetaResult:
    """The pooled result of a meta-analysis.

    All estimates are on the pooling scale (log scale for RR and OR); the ``exp_*`` fields
    give the back-transformed ratio for RR and OR and are None otherwise.  ``i2`` is a
    percentage.  ``z`` is the test statistic: a t statistic on ``df`` degrees of freedom when
    ``test`` is ``"knha"`` (``df`` is None for the z test).  ``pi_low``/``pi_high`` (the
    prediction interval) are None for the fixed-effect model and for fewer than three
    studies; ``pi_method`` then is None and ``pi_note`` says why.  ``tau2_ci_*``,
    ``i2_ci_*`` and ``h2_ci_*`` are the Q-profile intervals when they were asked for.
    ``weights`` are the studies' percentage weights, in input order; ``omitted`` names the
    studies left out for missing values.
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
    test: str = Test.Z.value
    df: int | None = None
    pi_df: int | None = None
    pi_method: str | None = None
    pi_note: str | None = None
    tau2_ci_low: float | None = None
    tau2_ci_high: float | None = None
    i2_ci_low: float | None = None
    i2_ci_high: float | None = None
    h2_ci_low: float | None = None
    h2_ci_high: float | None = None
    omitted: tuple[str, ...] = ()

    def to_dict(self, *, include_weights: bool = False) -> dict[str, Any]:
        """A JSON-ready dict of the results (weights only when asked for); a value that is
        not finite (the infinite statistic of a zero standard error) becomes None."""
        data = {key: json_ready(value) for key, value in asdict(self).items()}
        data["omitted"] = list(self.omitted)
        if include_weights:
            data["weights"] = list(self.weights)
        else:
            del data["weights"]
        return data


def json_ready(value: Any) -> Any:
    """``value`` with non-finite floats replaced by None (JSON has no infinity or NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --------------------------------------------------------------------------- validation


Missing = Literal["drop", "error"]


def _check_inputs(
    yi: npt.ArrayLike,
    vi: npt.ArrayLike,
    *,
    missing: Missing = "error",
    labels: tuple[str, ...] | None = None,
) -> tuple[FloatArray, FloatArray, tuple[int, ...]]:
    """Return ``yi``, ``vi`` as float arrays and the indices left out for missing values
    (only with ``missing="drop"``), or raise :class:`MetaInputError` with every problem:
    unequal lengths, ``k < 1``, missing or non-finite values, ``vi <= 0``."""
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
    absent = (np.isnan(y) | np.isnan(v)) if missing == "drop" else np.zeros(y.size, dtype=bool)
    dropped = tuple(int(i) for i in np.flatnonzero(absent))
    if len(dropped) == y.size:
        raise MetaInputError(
            [InputProblem(message="no studies left: every row has a missing value")]
        )
    for name, array in (("yi", y), ("vi", v)):
        problems += [
            InputProblem(row=int(i) + 1, column=name, message="missing value")
            for i in np.flatnonzero(np.isnan(array) & ~absent)
        ]
        problems += [
            InputProblem(
                row=int(i) + 1, column=name, message=f"must be a finite number (got {array[i]:g})"
            )
            for i in np.flatnonzero(np.isinf(array))
        ]
    not_positive = np.isfinite(v) & (v <= 0) & ~absent
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
    if dropped:
        _warn_omitted(dropped, labels)
        y, v = y[~absent], v[~absent]
    return y, v, dropped


def _warn_omitted(indices: tuple[int, ...], labels: tuple[str, ...] | None) -> None:
    names = [labels[i] if labels else f"row {i + 1}" for i in indices]
    warnings.warn(
        StudiesOmittedWarning(
            f"{len(names)} {'study' if len(names) == 1 else 'studies'} with missing values "
            f"left out: {', '.join(names)}",
            tuple(names),
        ),
        stacklevel=4,
    )


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
    y, v, _ = _check_inputs(yi, vi)
    return fit_tau2(y, v, method=Estimator.DL).tau2


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
) -> Tau2Fit:
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
    y, v, _ = _check_inputs(yi, vi)
    if not (tol > 0 and max_iter >= 1 and step_adjust > 0):
        raise ValueError("tol and step_adjust must be positive and max_iter at least 1")
    return fit_tau2(
        y,
        v,
        method=Estimator.REML,
        tol=tol,
        max_iter=max_iter,
        step_adjust=step_adjust,
        fallback=fallback,
    )


def q_profile_tau2(
    y: FloatArray, v: FloatArray, x: FloatArray | None = None, *, level: float = 0.95
) -> tuple[float, float]:
    """The Q-profile confidence interval of ``tau2`` (Viechtbauer, 2007).

    The bounds are the values of ``tau2`` at which the generalised Q statistic
    ``y'P(tau2)y`` equals the upper and lower ``(1 - level) / 2`` quantiles of the chi-squared
    distribution on ``k - p`` degrees of freedom, found with Brent's method.  A bound whose
    equation has no root above 0 is 0 (metafor's ``confint()``, ``type="QP"``).  Requires
    ``k > p``.
    """
    from scipy.optimize import brentq

    design = x  # None: intercept only
    k, p = (y.size, 1) if design is None else design.shape
    alpha = 1.0 - level
    crit_upper = float(stats.chi2.isf(alpha / 2.0, k - p))
    crit_lower = float(stats.chi2.ppf(alpha / 2.0, k - p))

    def bound(target: float) -> float:
        def excess(tau2: float) -> float:
            return generalised_q(y, v, design, tau2) - target

        if excess(0.0) < 0.0:
            return 0.0
        upper = max(100.0, float(np.var(y, ddof=1)) * 10.0)
        while excess(upper) > 0.0:
            upper *= 10.0
        return float(brentq(excess, 0.0, upper, xtol=1e-14, rtol=8.9e-16, maxiter=500))

    return bound(crit_upper), bound(crit_lower)


# --------------------------------------------------------------------------- pooling


def meta_analyse(
    yi: npt.ArrayLike,
    vi: npt.ArrayLike,
    *,
    method: Method | str = Method.REML,
    measure: Measure | str = Measure.GENERIC,
    level: float = 0.95,
    test: Test | str = Test.Z,
    heterogeneity_ci: bool = False,
    missing: Missing = "drop",
    labels: tuple[str, ...] | None = None,
) -> MetaResult:
    """Pool effect sizes ``yi`` with sampling variances ``vi`` (see the module docstring
    for every formula).  ``measure`` only decides whether ``exp_*`` fields are filled in
    (RR and OR are pooled on the log scale).  ``level`` is the confidence level, e.g. 0.95.
    ``test="knha"`` applies the Knapp-Hartung adjustment (random effects, two studies or
    more).  ``heterogeneity_ci`` adds the Q-profile intervals of ``tau2``, ``I2`` and ``H2``.
    Rows with a missing value are left out with a warning (``missing="error"`` refuses
    them); ``labels`` name the rows in that warning.

    Raises :class:`MetaInputError` listing every problem with the input, and
    :class:`MetaConvergenceError` if an iterative estimator does not converge.
    """
    problems: list[InputProblem] = []
    chosen_method = _parse_enum(Method, method, "method", problems)
    chosen_measure = _parse_enum(Measure, measure, "measure", problems)
    chosen_test = _parse_enum(Test, test, "test", problems, upper=False)
    if problems:
        raise MetaInputError(problems)
    assert chosen_method is not None and chosen_measure is not None and chosen_test is not None
    _check_level(level)
    y, v, dropped = _check_inputs(yi, vi, missing=missing, labels=labels)
    if chosen_test is Test.KNHA:
        if not chosen_method.is_random:
            problems.append(
                InputProblem(
                    message="the Knapp-Hartung adjustment is for random-effects models "
                    "(choose a method other than FE, or test z)"
                )
            )
        if y.size < 2:
            problems.append(
                InputProblem(message="the Knapp-Hartung adjustment needs at least two studies")
            )
        if problems:
            raise MetaInputError(problems)
    names = [labels[i] if labels else f"row {i + 1}" for i in dropped]
    return _pool(
        y,
        v,
        method=chosen_method,
        measure=chosen_measure,
        level=float(level),
        test=chosen_test,
        heterogeneity_ci=heterogeneity_ci,
        omitted=tuple(names),
    )


def pool(
    effects: EffectSizes,
    *,
    method: Method | str = Method.REML,
    level: float = 0.95,
    test: Test | str = Test.Z,
    heterogeneity_ci: bool = False,
) -> MetaResult:
    """Pool computed :class:`EffectSizes` (see :func:`meta_analyse`).  The studies that
    were left out when the effect sizes were computed are named in ``omitted``."""
    result = meta_analyse(
        effects.yi,
        effects.vi,
        method=method,
        measure=effects.measure,
        level=level,
        test=test,
        heterogeneity_ci=heterogeneity_ci,
        labels=effects.study,
    )
    if effects.omitted:
        result = replace(result, omitted=tuple(study.label for study in effects.omitted))
    return result


def _parse_enum(
    kind: type[_E],
    value: _E | str,
    name: str,
    problems: list[InputProblem],
    *,
    upper: bool = True,
) -> _E | None:
    text = str(value).strip()
    try:
        return kind(text.upper() if upper else text.lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        problems.append(
            InputProblem(message=f"unknown {name} {value!r} (expected one of {allowed})")
        )
        return None


def _pool(
    y: FloatArray,
    v: FloatArray,
    *,
    method: Method,
    measure: Measure,
    level: float,
    test: Test = Test.Z,
    heterogeneity_ci: bool = False,
    omitted: tuple[str, ...] = (),
) -> MetaResult:
    k = int(y.size)
    w_fixed = 1.0 / v
    q = _cochran_q(y, w_fixed) if k > 1 else 0.0
    q_df = k - 1
    q_p = float(stats.chi2.sf(q, q_df)) if k > 1 else 1.0

    fit = fit_tau2(y, v, method=Estimator(method.value))
    tau2, iterations = fit.tau2, fit.iterations

    w = 1.0 / (v + tau2)
    sw = float(w.sum())
    estimate = float((w * y).sum() / sw)
    se = math.sqrt(1.0 / sw)
    df: int | None = None
    if test is Test.KNHA:
        df = k - 1
        rss = float((w * (y - estimate) ** 2).sum())
        se *= math.sqrt(rss / df) if rss > np.finfo(np.float64).eps else 0.0
        statistic = estimate / se if se > 0 else math.copysign(math.inf, estimate)
        p = float(2.0 * stats.t.sf(abs(statistic), df))
        crit = float(stats.t.ppf(0.5 + level / 2.0, df))
    else:
        statistic = estimate / se
        p = float(2.0 * stats.norm.sf(abs(statistic)))
        crit = float(stats.norm.ppf(0.5 + level / 2.0))
    ci_low, ci_high = estimate - crit * se, estimate + crit * se

    s2 = q_df * w_fixed.sum() / (w_fixed.sum() ** 2 - (w_fixed**2).sum()) if k > 1 else 0.0
    if k == 1:
        i2, h2 = 0.0, 1.0
    elif method is Method.FE:
        i2 = 100.0 * max(0.0, (q - q_df) / q) if q > 0 else 0.0
        h2 = q / q_df
    else:
        i2 = 100.0 * tau2 / (tau2 + s2)
        h2 = (tau2 + s2) / s2

    pi_low: float | None = None
    pi_high: float | None = None
    pi_df: int | None = None
    pi_method: str | None = None
    pi_note: str | None = None
    if not method.is_random:
        pi_note = PI_FIXED
    elif k < PI_MIN_STUDIES:
        pi_note = PI_TOO_FEW
    else:
        pi_df = k - 2
        half_width = float(stats.t.ppf(0.5 + level / 2.0, pi_df)) * math.sqrt(se**2 + tau2)
        pi_low, pi_high = estimate - half_width, estimate + half_width
        pi_method = prediction_interval_method(k)

    intervals: dict[str, float | None] = {}
    if heterogeneity_ci and method.is_random and k > 1:
        low, high = q_profile_tau2(y, v, level=level)
        intervals = {
            "tau2_ci_low": low,
            "tau2_ci_high": high,
            "i2_ci_low": 100.0 * low / (s2 + low),
            "i2_ci_high": 100.0 * high / (s2 + high),
            "h2_ci_low": low / s2 + 1.0,
            "h2_ci_high": high / s2 + 1.0,
        }

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
        z=statistic,
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
        test=test.value,
        df=df,
        pi_df=pi_df,
        pi_method=pi_method,
        pi_note=pi_note,
        omitted=omitted,
        **intervals,
    )
