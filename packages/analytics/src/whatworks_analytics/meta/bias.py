"""Small-study effects and publication bias: Egger's test, the rank correlation test and
trim-and-fill, as metafor's ``regtest()``, ``ranktest()`` and ``trimfill()``.

* :func:`egger_test` -- Egger's regression test (Egger et al., 1997): the meta-regression of
  ``yi`` on the standard errors ``sqrt(vi)``, with the same method and test as the pooled
  analysis (metafor's default ``model="rma"``, ``predictor="sei"``); ``model="lm"`` is the
  classic weighted least-squares version (weights ``1/vi``, t on ``k - 2`` df), which is the
  fixed-effect meta-regression with Knapp and Hartung's variance.  The intercept of the
  fit is the "limit estimate" for a study of infinite precision.
* :func:`rank_correlation_test` -- Begg & Mazumdar (1994): Kendall's tau between the
  standardised effects ``(yi - mu_FE) / sqrt(vi - 1/sum(1/vi))`` and ``vi``; the exact
  p-value without ties, the normal approximation with ties (R's ``cor.test``).
* :func:`trim_and_fill` -- Duval & Tweedie (2000): the number ``k0`` of studies missing on
  one side estimated with L0 (default) or R0, iterating on the studies that remain after
  trimming the ``k0`` most extreme, then the pool with their mirror images added.  The side
  is where the Egger-type regression slope says studies are missing (metafor's rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from whatworks_analytics.meta.effect_sizes import EffectSizes, InputProblem, MetaInputError
from whatworks_analytics.meta.estimators import Estimator, fit_tau2
from whatworks_analytics.meta.pooling import MetaResult, Method, Test, pool
from whatworks_analytics.meta.regression import fit_regression

__all__ = [
    "EggerTest",
    "RankTest",
    "TrimAndFill",
    "egger_test",
    "rank_correlation_test",
    "trim_and_fill",
]


@dataclass(frozen=True)
class EggerTest:
    """The test of the slope on the standard error (``z`` is a t statistic on ``df`` df
    when ``df`` is not None) and the limit estimate (the intercept) with its interval."""

    model: str
    z: float
    p: float
    df: int | None
    limit_estimate: float
    limit_ci_low: float
    limit_ci_high: float


@dataclass(frozen=True)
class RankTest:
    """Kendall's tau and its two-sided p-value (``exact`` says how it was computed)."""

    tau: float
    p: float
    exact: bool


@dataclass(frozen=True)
class TrimAndFill:
    """How many studies were estimated missing, on which side, and the pool with them."""

    k0: int
    se_k0: float
    side: Literal["left", "right"]
    estimator: str
    result: MetaResult
    #: The filled-in studies on the pooling scale.
    filled_yi: tuple[float, ...]
    filled_vi: tuple[float, ...]


def _check(effects: EffectSizes, minimum: int, what: str) -> None:
    if effects.k < minimum:
        raise MetaInputError(
            [InputProblem(message=f"{what} needs at least {minimum} studies (got {effects.k})")]
        )


def egger_test(
    effects: EffectSizes,
    *,
    method: Method | str = Method.REML,
    test: Test | str = Test.Z,
    model: Literal["rma", "lm"] = "rma",
    level: float = 0.95,
) -> EggerTest:
    """Egger's regression test (see the module docstring); needs three studies."""
    _check(effects, 3, "Egger's test")
    x = np.column_stack([np.ones(effects.k), np.sqrt(effects.vi)])
    if model == "lm":
        chosen_method, chosen_test = Method.FE, Test.KNHA
    else:
        chosen_method = Method(str(method).strip().upper())
        chosen_test = Test(str(test).strip().lower())
    fit = fit_regression(
        effects.yi,
        effects.vi,
        x,
        ("intercept", "sei"),
        method=chosen_method,
        test=chosen_test,
        level=level,
    )
    intercept, slope = fit.coefficients
    return EggerTest(
        model=model,
        z=slope.z,
        p=slope.p,
        df=fit.df,
        limit_estimate=intercept.estimate,
        limit_ci_low=intercept.ci_low,
        limit_ci_high=intercept.ci_high,
    )


def rank_correlation_test(effects: EffectSizes) -> RankTest:
    """Begg and Mazumdar's rank correlation test (see the module docstring)."""
    _check(effects, 3, "the rank correlation test")
    w = 1.0 / effects.vi
    theta = float((w * effects.yi).sum() / w.sum())
    standardised = (effects.yi - theta) / np.sqrt(effects.vi - 1.0 / w.sum())
    ties = len(np.unique(standardised)) < effects.k or len(np.unique(effects.vi)) < effects.k
    method = "asymptotic" if ties else "exact"
    result = stats.kendalltau(standardised, effects.vi, method=method)
    return RankTest(tau=float(result.statistic), p=float(result.pvalue), exact=not ties)


def trim_and_fill(
    effects: EffectSizes,
    *,
    method: Method | str = Method.REML,
    estimator: Literal["L0", "R0"] = "L0",
    side: Literal["left", "right"] | None = None,
    level: float = 0.95,
    max_iter: int = 100,
) -> TrimAndFill:
    """Duval and Tweedie's trim-and-fill (see the module docstring); needs three studies."""
    _check(effects, 3, "trim-and-fill")
    chosen = Method(str(method).strip().upper())
    if estimator not in ("L0", "R0"):
        raise MetaInputError([InputProblem(message="estimator must be L0 or R0")])
    if side is None:
        x = np.column_stack([np.ones(effects.k), np.sqrt(effects.vi)])
        slope = fit_regression(
            effects.yi, effects.vi, x, ("intercept", "sei"), method=chosen, test=Test.Z, level=level
        ).coefficients[1]
        side = "right" if slope.estimate < 0 else "left"
    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * effects.yi, kind="stable")
    y = sign * effects.yi[order]
    v = effects.vi[order]
    k = effects.k
    k0, previous, iterations = 0, -1, 0
    se_k0 = 0.0
    beta = 0.0
    while k0 != previous:
        previous = k0
        iterations += 1
        if iterations > max_iter:
            raise MetaInputError(
                [InputProblem(message="trim-and-fill did not settle on a number of studies")]
            )
        kept_y, kept_v = y[: k - k0], v[: k - k0]
        tau2 = fit_tau2(kept_y, kept_v, method=Estimator(chosen.value)).tau2
        w = 1.0 / (kept_v + tau2)
        beta = float((w * kept_y).sum() / w.sum())
        centred = y - beta
        ranks = stats.rankdata(np.abs(centred), method="ordinal")
        signed = np.sign(centred) * ranks
        if estimator == "R0":
            negatives = signed[signed < 0]
            largest = float(np.max(-negatives)) if negatives.size else 0.0
            estimate = (k - largest) - 1
            se_k0 = float(np.sqrt(2 * max(0.0, estimate) + 2))
        else:
            sr = float(signed[signed > 0].sum())
            estimate = (4 * sr - k * (k + 1)) / (2 * k - 1)
            variance = (
                k * (k + 1) * (2 * k + 1)
                + 10 * estimate**3
                + 27 * estimate**2
                + 17 * estimate
                - 18 * k * estimate**2
                - 18 * k * estimate
                + 6 * k**2 * estimate
            ) / 24
            se_k0 = 4 * float(np.sqrt(variance)) / (2 * k - 1)
        k0 = max(0, int(_round_half_even(estimate)))
        se_k0 = max(0.0, se_k0)
    filled_y: np.ndarray = np.empty(0)
    filled_v: np.ndarray = np.empty(0)
    if k0 > 0:
        # The mirror images of the k0 most extreme studies about the trimmed estimate.
        filled_y = sign * (2 * beta - y[k - k0 :])
        filled_v = v[k - k0 :]
        all_effects = EffectSizes(
            measure=effects.measure,
            study=(*effects.study, *(f"Filled {i + 1}" for i in range(k0))),
            yi=np.concatenate([effects.yi, filled_y]),
            vi=np.concatenate([effects.vi, filled_v]),
        )
    else:
        all_effects = effects
    result = pool(all_effects, method=chosen, level=level)
    return TrimAndFill(
        k0=k0,
        se_k0=se_k0,
        side=side,
        estimator=estimator,
        result=result,
        filled_yi=tuple(float(value) for value in filled_y),
        filled_vi=tuple(float(value) for value in filled_v),
    )


def _round_half_even(value: float) -> float:
    """R's ``round()``: halves go to the even neighbour (as Python's ``round``)."""
    return float(round(value))
