"""Mantel-Haenszel and Peto pooling of 2x2 tables (metafor's ``rma.mh()`` and ``rma.peto()``).

For each study ``ai``/``bi`` are the events and non-events with the intervention, ``ci``/``di``
without, ``n1 = ai + bi``, ``n2 = ci + di`` and ``N = n1 + n2``.  The pooled estimates use the
counts as they are (no 0.5 added), so that studies with a zero cell still contribute:

* Mantel-Haenszel odds ratio ``sum(ai di / N) / sum(bi ci / N)`` with the variance of its log
  by Robins, Breslow & Greenland (1986);
* Mantel-Haenszel risk ratio ``sum(ai n2 / N) / sum(ci n1 / N)`` with Greenland & Robins'
  (1985) variance;
* Peto's odds ratio ``exp(sum(Oi - Ei) / sum(Vi))`` with ``Ei = (ai + ci) n1 / N`` and the
  hypergeometric variance ``Vi = (ai + ci)(bi + di) n1 n2 / (N^2 (N - 1))`` (Yusuf et al.,
  1985), variance of the log ``1 / sum(Vi)``.

The test for heterogeneity is Cochran's Q of the studies' own log ratios around the pooled
one (for Mantel-Haenszel from metafor's ``escalc()``, 0.5 added to tables with a zero cell
and tables with no events in either group left out, so ``q_df`` is one less than the number
of studies that count); for Peto ``sum((Oi - Ei)^2 / Vi) - (sum(Oi - Ei))^2 / sum(Vi)``.
Both are fixed-effect methods: ``tau2`` is 0 and there is no prediction interval.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from whatworks_analytics.meta.effect_sizes import (
    EffectSizes,
    FloatArray,
    InputProblem,
    Measure,
    MetaInputError,
)
from whatworks_analytics.meta.pooling import PI_FIXED, MetaResult

__all__ = ["mantel_haenszel", "peto"]


def _counts(effects: EffectSizes) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    if effects.counts is None or not effects.measure.is_ratio:
        raise MetaInputError(
            [
                InputProblem(
                    message="Mantel-Haenszel and Peto pooling need 2x2 counts "
                    "(measure RR or OR with columns ai, bi, ci, di)"
                )
            ]
        )
    c = effects.counts
    return c["ai"], c["bi"], c["ci"], c["di"]


def _result(
    *,
    effects: EffectSizes,
    method: str,
    estimate: float,
    se: float,
    q: float,
    q_df: int,
    weights: FloatArray,
    level: float,
) -> MetaResult:
    z = estimate / se
    crit = float(stats.norm.ppf(0.5 + level / 2.0))
    low, high = estimate - crit * se, estimate + crit * se
    if q_df > 0:
        q_p = float(stats.chi2.sf(q, q_df))
        i2 = 100.0 * max(0.0, (q - q_df) / q) if q > 0 else 0.0
        h2 = q / q_df
    else:
        q, q_p, i2, h2 = 0.0, 1.0, 0.0, 1.0
    return MetaResult(
        measure=effects.measure.value,
        method=method,
        k=effects.k,
        level=level,
        estimate=estimate,
        se=se,
        z=z,
        p=float(2.0 * stats.norm.sf(abs(z))),
        ci_low=low,
        ci_high=high,
        tau2=0.0,
        tau=0.0,
        i2=i2,
        h2=h2,
        q=q,
        q_df=max(q_df, 0),
        q_p=q_p,
        pi_low=None,
        pi_high=None,
        exp_estimate=math.exp(estimate),
        exp_ci_low=math.exp(low),
        exp_ci_high=math.exp(high),
        exp_pi_low=None,
        exp_pi_high=None,
        iterations=None,
        weights=tuple(float(x) for x in 100.0 * weights / weights.sum()),
        pi_note=PI_FIXED,
        omitted=tuple(study.label for study in effects.omitted),
    )


def _escalc_q(effects: EffectSizes, pooled: float) -> tuple[float, int]:
    """Q of escalc's log ratios (0.5 added to zero cells, double-zero tables left out)."""
    ai, bi, ci, di = _counts(effects)
    both_zero = ((ai == 0) & (ci == 0)) | ((bi == 0) & (di == 0))
    y, v = effects.yi[~both_zero], effects.vi[~both_zero]
    q = max(0.0, float(((y - pooled) ** 2 / v).sum()))
    return q, int(y.size) - 1


def mantel_haenszel(effects: EffectSizes, *, level: float = 0.95) -> MetaResult:
    """Mantel-Haenszel pooling of the 2x2 tables behind ``effects`` (measure RR or OR)."""
    ai, bi, ci, di = _counts(effects)
    n1, n2 = ai + bi, ci + di
    total = n1 + n2
    if effects.measure is Measure.OR:
        r_i, s_i = ai * di / total, bi * ci / total
        r, s = float(r_i.sum()), float(s_i.sum())
        if r == 0 or s == 0:
            raise MetaInputError(
                [InputProblem(message="no events to pool (the odds ratio is 0 or infinite)")]
            )
        p_i = (ai + di) / total
        q_i = (bi + ci) / total
        variance = 0.5 * (
            float((p_i * r_i).sum()) / r**2
            + float((p_i * s_i + q_i * r_i).sum()) / (r * s)
            + float((q_i * s_i).sum()) / s**2
        )
        weights = s_i
    else:
        r_i, s_i = ai * n2 / total, ci * n1 / total
        r, s = float(r_i.sum()), float(s_i.sum())
        if ai.sum() == 0 or ci.sum() == 0:
            raise MetaInputError(
                [InputProblem(message="no events to pool (the risk ratio is 0 or infinite)")]
            )
        variance = float((n1 * n2 * (ai + ci) / total**2 - ai * ci / total).sum()) / (r * s)
        weights = s_i
    estimate = math.log(r / s)
    q, q_df = _escalc_q(effects, estimate)
    return _result(
        effects=effects,
        method="MH",
        estimate=estimate,
        se=math.sqrt(variance),
        q=q,
        q_df=q_df,
        weights=weights,
        level=level,
    )


def peto(effects: EffectSizes, *, level: float = 0.95) -> MetaResult:
    """Peto's one-step odds ratio from the 2x2 tables behind ``effects``."""
    ai, bi, ci, di = _counts(effects)
    n1, n2 = ai + bi, ci + di
    total = n1 + n2
    events, non_events = ai + ci, bi + di
    expected = events * n1 / total
    variance_i = events * non_events * (n1 / total) * (n2 / total) / (total - 1)
    sum_v = float(variance_i.sum())
    if sum_v == 0:
        raise MetaInputError([InputProblem(message="no study has both events and non-events")])
    observed_minus_expected = ai - expected
    estimate = float(observed_minus_expected.sum()) / sum_v
    informative = variance_i > 0
    q = max(
        0.0,
        float((observed_minus_expected[informative] ** 2 / variance_i[informative]).sum())
        - float(observed_minus_expected.sum()) ** 2 / sum_v,
    )
    both_zero = ((ai == 0) & (ci == 0)) | ((bi == 0) & (di == 0))
    q_df = int((~both_zero).sum()) - 1
    result = _result(
        effects=effects,
        method="PETO",
        estimate=estimate,
        se=math.sqrt(1.0 / sum_v),
        q=q,
        q_df=q_df,
        weights=np.where(informative, variance_i, 0.0),
        level=level,
    )
    if effects.measure is not Measure.OR:
        from dataclasses import replace

        result = replace(result, measure=Measure.OR.value)
    return result
