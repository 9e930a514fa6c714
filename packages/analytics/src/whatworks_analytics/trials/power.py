"""Power and minimum detectable effects for two-arm trials, at registration.

Individually randomised trials follow R's ``pwr::pwr.t.test(type = "two.sample")``
(Champely, the ``pwr`` package; Cohen, 1988, *Statistical Power Analysis for the Behavioral
Sciences*, chapter 2): with ``n`` participants per arm and standardised effect ``d``, the
test statistic has a noncentral t distribution on ``2(n - 1)`` degrees of freedom with
noncentrality ``d * sqrt(n / 2)``; power is the probability that it falls beyond the critical
value (both tails for a two-sided test).  The sample size per arm for a given power is the
root of that function, as ``pwr.t.test`` finds it with ``uniroot`` (its answer is
fractional; a trial recruits the next whole number).

Two-level cluster-randomised trials follow PowerUp! (Dong and Maynard, 2013, "PowerUp!: A
tool for calculating minimum detectable effect sizes and minimum required sample sizes for
experimental and quasi-experimental design studies", *Journal of Research on Educational
Effectiveness* 6(1), 24-67; the CRA2_2 design, their equation for the MDES of a two-level
cluster random assignment design with treatment at level 2)::

    MDES = M * sqrt( icc (1 - R2_2) / (P (1 - P) J)  +  (1 - icc)(1 - R2_1) / (P (1 - P) J n) )

with ``J`` clusters of ``n`` participants, a share ``P`` of clusters treated, cluster- and
participant-level covariate R² ``R2_2`` and ``R2_1``, and the multiplier
``M = t(1 - alpha/2; df) + t(power; df)`` (``t(1 - alpha; df)`` for a one-sided test) with
``df = J - g - 2`` for ``g`` cluster-level covariates.

>>> round(power_individual(n_per_arm=64, effect=0.5, alpha=0.05), 4)
0.8015
>>> round(n_per_arm(effect=0.5, power=0.8, alpha=0.05).exact, 4)
63.7656
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import optimize, stats

from whatworks_analytics.trials.errors import PowerInputError

__all__ = [
    "ClusterMdes",
    "SampleSize",
    "Sides",
    "mdes_cluster",
    "mdes_individual",
    "n_per_arm",
    "power_individual",
]

Sides = Literal[1, 2]


def _check_probability(name: str, value: float, problems: list[str]) -> None:
    if not (math.isfinite(value) and 0.0 < value < 1.0):
        problems.append(f"{name} must be between 0 and 1, not including either (got {value})")


def _check_sides(sides: int, problems: list[str]) -> None:
    if sides not in (1, 2):
        problems.append(f"sides must be 1 (one-sided test) or 2 (two-sided test), not {sides}")


def _power(n: float, effect: float, alpha: float, sides: int) -> float:
    """``pwr.t.test``'s power for ``n`` per arm; ``effect`` is taken in the tested direction."""
    df = 2.0 * (n - 1.0)
    ncp = effect * math.sqrt(n / 2.0)
    critical = float(stats.t.isf(alpha / sides, df))
    upper = float(stats.nct.sf(critical, df, ncp))
    if math.isnan(upper):  # scipy's noncentral t gives up far in the tail
        upper = 1.0 if ncp > critical else 0.0
    if sides == 1:
        return upper
    lower = float(stats.nct.cdf(-critical, df, ncp))
    if math.isnan(lower):
        lower = 0.0 if ncp > -critical else 1.0
    return min(1.0, upper + lower)


def power_individual(*, n_per_arm: float, effect: float, alpha: float, sides: Sides = 2) -> float:
    """Power of a two-arm, individually randomised trial with ``n_per_arm`` per arm.

    ``effect`` is the standardised mean difference (Cohen's d) that the trial should detect;
    for a one-sided test it is taken in the hypothesised direction (``pwr.t.test``'s
    ``alternative = "greater"``).  Raises :class:`PowerInputError` listing every problem.
    """
    problems: list[str] = []
    if not (math.isfinite(n_per_arm) and n_per_arm >= 2):
        problems.append(f"the number per arm must be at least 2 (got {n_per_arm})")
    if not (math.isfinite(effect) and effect != 0):
        problems.append(f"the effect must be a non-zero number (got {effect})")
    _check_probability("alpha", alpha, problems)
    _check_sides(sides, problems)
    if problems:
        raise PowerInputError(problems)
    return _power(n_per_arm, abs(effect) if sides == 2 else effect, alpha, sides)


@dataclass(frozen=True, slots=True)
class SampleSize:
    """The sample per arm: ``exact`` is ``pwr.t.test``'s fractional root, ``n`` rounds it up."""

    exact: float
    n: int
    achieved_power: float


def n_per_arm(*, effect: float, power: float, alpha: float, sides: Sides = 2) -> SampleSize:
    """The sample per arm that gives ``power`` to detect ``effect`` (see the module)."""
    problems: list[str] = []
    if not (math.isfinite(effect) and effect > 0):
        problems.append(
            f"the minimum detectable effect must be a positive standardised difference "
            f"such as 0.2 (got {effect})"
        )
    _check_probability("power", power, problems)
    _check_probability("alpha", alpha, problems)
    _check_sides(sides, problems)
    if not problems and power <= alpha / sides:
        problems.append("power must be greater than alpha (a trial of any size reaches alpha)")
    if problems:
        raise PowerInputError(problems)
    low, high = 2.0 + 1e-10, 4.0
    while _power(high, effect, alpha, sides) < power:
        high *= 2.0
        if high > 1e9:
            raise PowerInputError(
                [f"no trial of up to a billion per arm reaches that power for effect {effect}"]
            )
    if _power(low, effect, alpha, sides) >= power:
        exact = low
    else:
        exact = float(
            optimize.brentq(
                lambda n: _power(n, effect, alpha, sides) - power,
                low,
                high,
                xtol=1e-12,
                rtol=1e-14,
                maxiter=500,
            )
        )
    whole = max(2, math.ceil(exact - 1e-9))
    return SampleSize(exact=exact, n=whole, achieved_power=_power(whole, effect, alpha, sides))


@dataclass(frozen=True, slots=True)
class ClusterMdes:
    """A cluster trial's minimum detectable effect size and what it was computed from."""

    mdes: float
    multiplier: float
    df: int
    standard_error: float


def mdes_cluster(
    *,
    clusters: int,
    cluster_size: float,
    icc: float,
    power: float,
    alpha: float,
    p_treated: float = 0.5,
    r2_cluster: float = 0.0,
    r2_individual: float = 0.0,
    cluster_covariates: int | None = None,
    sides: Sides = 2,
) -> ClusterMdes:
    """The MDES of a two-level cluster-randomised trial, as PowerUp!'s CRA2_2 (see module).

    ``cluster_covariates`` (``g`` in PowerUp!) defaults to 1 when ``r2_cluster`` is above
    zero (a covariate explains it) and 0 otherwise.
    """
    problems: list[str] = []
    g = cluster_covariates if cluster_covariates is not None else (1 if r2_cluster > 0 else 0)
    if not (isinstance(clusters, int) and clusters >= 3):
        problems.append(f"the number of clusters must be a whole number of at least 3 ({clusters})")
    if not (math.isfinite(cluster_size) and cluster_size >= 1):
        problems.append(f"the cluster size must be at least 1 (got {cluster_size})")
    if not (math.isfinite(icc) and 0.0 <= icc <= 1.0):
        problems.append(f"the intra-cluster correlation must be between 0 and 1 (got {icc})")
    _check_probability("power", power, problems)
    _check_probability("alpha", alpha, problems)
    _check_probability("the share of clusters treated", p_treated, problems)
    for name, value in (("cluster-level R²", r2_cluster), ("participant-level R²", r2_individual)):
        if not (math.isfinite(value) and 0.0 <= value < 1.0):
            problems.append(f"the {name} must be at least 0 and below 1 (got {value})")
    if g < 0:
        problems.append(f"the number of cluster-level covariates cannot be negative ({g})")
    _check_sides(sides, problems)
    if not problems and clusters - g - 2 < 1:
        problems.append(
            f"{clusters} clusters leave no degrees of freedom with {g} cluster-level "
            f"covariate(s): J - g - 2 must be at least 1"
        )
    if problems:
        raise PowerInputError(problems)
    df = clusters - g - 2
    pq = p_treated * (1.0 - p_treated)
    variance = icc * (1.0 - r2_cluster) / (pq * clusters) + (1.0 - icc) * (1.0 - r2_individual) / (
        pq * clusters * cluster_size
    )
    multiplier = float(stats.t.isf(alpha / sides, df)) + float(stats.t.ppf(power, df))
    se = math.sqrt(variance)
    return ClusterMdes(mdes=multiplier * se, multiplier=multiplier, df=df, standard_error=se)


def _power_two_n(n1: float, n2: float, effect: float, alpha: float, sides: int) -> float:
    """``pwr::pwr.t2n.test``'s power for arms of ``n1`` and ``n2``."""
    df = n1 + n2 - 2.0
    ncp = effect * math.sqrt(n1 * n2 / (n1 + n2))
    critical = float(stats.t.isf(alpha / sides, df))
    upper = float(stats.nct.sf(critical, df, ncp))
    if math.isnan(upper):
        upper = 1.0 if ncp > critical else 0.0
    if sides == 1:
        return upper
    lower = float(stats.nct.cdf(-critical, df, ncp))
    if math.isnan(lower):
        lower = 0.0
    return min(1.0, upper + lower)


def mdes_individual(
    *, n_treatment: int, n_control: int, power: float = 0.8, alpha: float = 0.05, sides: Sides = 2
) -> float:
    """The smallest standardised effect that arms of these sizes detect with ``power``.

    The root in ``d`` of ``pwr::pwr.t2n.test``'s power (unequal arms allowed), used for the
    minimum detectable effect "at randomisation" of a security rating.
    """
    problems: list[str] = []
    if n_treatment < 2 or n_control < 2:
        problems.append("each arm needs at least 2 participants for a minimum detectable effect")
    _check_probability("power", power, problems)
    _check_probability("alpha", alpha, problems)
    _check_sides(sides, problems)
    if problems:
        raise PowerInputError(problems)
    high = 1.0
    while _power_two_n(n_treatment, n_control, high, alpha, sides) < power:
        high *= 2.0
    return float(
        optimize.brentq(
            lambda d: _power_two_n(n_treatment, n_control, d, alpha, sides) - power,
            1e-9,
            high,
            xtol=1e-13,
            rtol=1e-14,
        )
    )
