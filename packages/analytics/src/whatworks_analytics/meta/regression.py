"""Meta-regression with moderators, and subgroup analysis with the test of differences.

:func:`meta_regression` fits ``yi = b0 + b1 x1i + ... + ui + ei`` (metafor's
``rma(yi, vi, mods = ~ x1 + x2, method=..., test=...)``): ``tau2`` by any estimator of
:mod:`whatworks_analytics.meta.estimators` (the residual heterogeneity), then weighted least
squares with ``wi = 1/(vi + tau2)``:

* ``b = (X'WX)^-1 X'Wy`` with covariance ``(X'WX)^-1``, times
  ``s2 = sum(wi (yi - xi'b)^2) / (k - p)`` with ``test="knha"`` (Knapp & Hartung, 2003);
* z (or t on ``k - p`` degrees of freedom) tests and intervals per coefficient;
* the omnibus test of the moderators ``QM = b' V^-1 b`` over the coefficients other than the
  intercept, chi-squared on ``m`` degrees of freedom (``QM / m`` against F on ``m`` and
  ``k - p`` with ``"knha"``);
* the test for residual heterogeneity ``QE = y'P y`` with ``wi = 1/vi``, on ``k - p`` df;
* ``I2 = 100 tau2 / (tau2 + s2)`` with ``s2 = (k - p) / tr(P)``, ``H2 = 1 + tau2 / s2`` and
  ``R2 = 100 max(0, (tau2_0 - tau2) / tau2_0)``, the share of heterogeneity accounted for,
  against ``tau2_0`` of the model without moderators (metafor's default ``r2def="1"``;
  None for the fixed-effect model).

A text moderator becomes indicator columns for each level but the first in sorted order, as
R's ``factor()``.

:func:`subgroup_analysis` pools each subgroup on its own (its own ``tau2``) and tests whether
the subgroup estimates differ with ``Q_between = sum(w_g (mu_g - mu_bar)^2)``,
``w_g = 1/se_g^2``, on ``G - 1`` degrees of freedom: a fixed-effect meta-regression of the
subgroup estimates on the subgroup (Borenstein et al., 2009, ch. 19; metafor's "tips" page
on subgroup analyses).  The meta-regression with the subgroup as a text moderator, which
assumes one ``tau2``, is given too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from whatworks_analytics.meta.effect_sizes import (
    EffectSizes,
    FloatArray,
    InputProblem,
    MetaInputError,
)
from whatworks_analytics.meta.estimators import Estimator, fit_tau2
from whatworks_analytics.meta.pooling import MetaResult, Method, Test, pool

__all__ = [
    "Coefficient",
    "MetaRegression",
    "SubgroupAnalysis",
    "design_matrix",
    "meta_regression",
    "subgroup_analysis",
]

Moderator = Sequence[float] | Sequence[str] | npt.NDArray[np.float64]


@dataclass(frozen=True)
class Coefficient:
    """One coefficient of a meta-regression (``z`` is a t statistic with Knapp-Hartung)."""

    name: str
    estimate: float
    se: float
    z: float
    p: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class MetaRegression:
    """A fitted meta-regression (see the module docstring for every quantity)."""

    method: str
    test: str
    k: int
    level: float
    coefficients: tuple[Coefficient, ...]
    tau2: float
    i2: float
    h2: float
    r2: float | None
    qe: float
    qe_df: int
    qe_p: float
    qm: float
    qm_df: int
    qm_p: float
    #: Denominator degrees of freedom of the t and F tests (None for the z test).
    df: int | None
    covariance: tuple[tuple[float, ...], ...]

    def to_dict(self) -> dict[str, object]:
        from dataclasses import asdict

        data = asdict(self)
        data["coefficients"] = [asdict(c) for c in self.coefficients]
        del data["covariance"]
        return data


@dataclass(frozen=True)
class SubgroupAnalysis:
    """Each subgroup pooled on its own, and the test of subgroup differences."""

    groups: tuple[str, ...]
    results: tuple[MetaResult, ...]
    q_between: float
    q_between_df: int
    q_between_p: float
    #: The same question as a meta-regression with one common ``tau2``.
    common_tau2: MetaRegression | None

    def to_dict(self) -> dict[str, object]:
        return {
            "groups": [
                {"group": group, **result.to_dict()}
                for group, result in zip(self.groups, self.results, strict=True)
            ],
            "q_between": self.q_between,
            "q_between_df": self.q_between_df,
            "q_between_p": self.q_between_p,
            "common_tau2": None if self.common_tau2 is None else self.common_tau2.to_dict(),
        }


def design_matrix(
    moderators: Mapping[str, Moderator], k: int
) -> tuple[FloatArray, tuple[str, ...]]:
    """The model matrix (intercept first) and its column names.  Numeric moderators are
    used as they are; a text moderator gets an indicator per level after the first
    (sorted), named ``<moderator>=<level>``."""
    columns: list[FloatArray] = [np.ones(k)]
    names = ["intercept"]
    problems: list[InputProblem] = []
    for name, raw in moderators.items():
        values = list(raw)
        if len(values) != k:
            problems.append(
                InputProblem(column=name, message=f"has {len(values)} values for {k} studies")
            )
            continue
        if all(isinstance(value, int | float | np.number) for value in values):
            array = np.asarray(values, dtype=np.float64)
            bad = np.flatnonzero(~np.isfinite(array))
            problems += [
                InputProblem(row=int(i) + 1, column=name, message="moderator must be a number")
                for i in bad
            ]
            columns.append(array)
            names.append(name)
            continue
        labels = [str(value).strip() for value in values]
        levels = sorted(set(labels))
        if len(levels) < 2:
            problems.append(InputProblem(column=name, message="has only one level"))
            continue
        for level in levels[1:]:
            columns.append(np.asarray([label == level for label in labels], dtype=np.float64))
            names.append(f"{name}={level}")
    if problems:
        raise MetaInputError(problems)
    x = np.column_stack(columns)
    if x.shape[0] <= x.shape[1]:
        raise MetaInputError(
            [
                InputProblem(
                    message=f"{k} studies are too few for {x.shape[1]} coefficients "
                    "(a meta-regression needs more studies than coefficients)"
                )
            ]
        )
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise MetaInputError(
            [InputProblem(message="the moderators are collinear (one is a mix of the others)")]
        )
    return x, tuple(names)


def meta_regression(
    effects: EffectSizes,
    moderators: Mapping[str, Moderator],
    *,
    method: Method | str = Method.REML,
    test: Test | str = Test.Z,
    level: float = 0.95,
) -> MetaRegression:
    """Fit a meta-regression of ``effects`` on ``moderators`` (see the module docstring)."""
    chosen_method, chosen_test = parse_options(method, test)
    x, names = design_matrix(moderators, effects.k)
    return fit_regression(
        effects.yi, effects.vi, x, names, method=chosen_method, test=chosen_test, level=level
    )


def parse_options(method: Method | str, test: Test | str) -> tuple[Method, Test]:
    """``method`` and ``test`` as enums, or :class:`MetaInputError` naming the choices."""
    problems: list[InputProblem] = []
    try:
        chosen_method = Method(str(method).strip().upper())
    except ValueError:
        allowed = ", ".join(m.value for m in Method)
        problems.append(InputProblem(message=f"unknown method {method!r} (expected {allowed})"))
    try:
        chosen_test = Test(str(test).strip().lower())
    except ValueError:
        problems.append(InputProblem(message=f"unknown test {test!r} (expected z or knha)"))
    if problems:
        raise MetaInputError(problems)
    return chosen_method, chosen_test


def fit_regression(
    y: FloatArray,
    v: FloatArray,
    x: FloatArray,
    names: Sequence[str],
    *,
    method: Method,
    test: Test,
    level: float,
) -> MetaRegression:
    """The fit behind :func:`meta_regression`, for a ready model matrix ``x``."""
    k, p = x.shape
    tau2 = fit_tau2(y, v, x, method=Estimator(method.value)).tau2
    w = 1.0 / (v + tau2)
    xtw = x.T * w
    covariance = np.linalg.inv(xtw @ x)
    beta = covariance @ (xtw @ y)
    df: int | None = None
    if test is Test.KNHA:
        df = k - p
        rss = float((w * (y - x @ beta) ** 2).sum())
        covariance = covariance * (rss / df if rss > np.finfo(np.float64).eps else 0.0)
    se = np.sqrt(np.diag(covariance))
    statistic = beta / se
    if df is not None:
        p_values = 2.0 * stats.t.sf(np.abs(statistic), df)
        crit = float(stats.t.ppf(0.5 + level / 2.0, df))
    else:
        p_values = 2.0 * stats.norm.sf(np.abs(statistic))
        crit = float(stats.norm.ppf(0.5 + level / 2.0))
    coefficients = tuple(
        Coefficient(
            name=str(names[i]),
            estimate=float(beta[i]),
            se=float(se[i]),
            z=float(statistic[i]),
            p=float(p_values[i]),
            ci_low=float(beta[i] - crit * se[i]),
            ci_high=float(beta[i] + crit * se[i]),
        )
        for i in range(p)
    )
    tested = slice(1, p)
    m = p - 1
    if m > 0:
        b = beta[tested]
        qm = float(b @ np.linalg.solve(covariance[tested, tested], b))
    else:
        qm = float("nan")
    if df is not None and m > 0:
        qm /= m
        qm_p = float(stats.f.sf(qm, m, df))
    else:
        qm_p = float(stats.chi2.sf(qm, m)) if m > 0 else float("nan")

    w_fixed = 1.0 / v
    xtw_fixed = x.T * w_fixed
    inverse_fixed = np.linalg.inv(xtw_fixed @ x)
    residual = y - x @ (inverse_fixed @ (xtw_fixed @ y))
    qe = max(0.0, float((w_fixed * residual**2).sum()))
    trace_p = float(w_fixed.sum() - np.trace(inverse_fixed @ ((x.T * w_fixed**2) @ x)))
    typical = (k - p) / trace_p
    if method is Method.FE:
        i2 = 100.0 * max(0.0, (qe - (k - p)) / qe) if qe > 0 else 0.0
        h2 = qe / (k - p)
        r2: float | None = None
    else:
        i2 = 100.0 * tau2 / (typical + tau2)
        h2 = tau2 / typical + 1.0
        tau2_0 = fit_tau2(y, v, method=Estimator(method.value)).tau2
        r2 = 0.0 if tau2_0 == 0 else max(0.0, 100.0 * (tau2_0 - tau2) / tau2_0)
    return MetaRegression(
        method=method.value,
        test=test.value,
        k=k,
        level=level,
        coefficients=coefficients,
        tau2=float(tau2),
        i2=float(i2),
        h2=float(h2),
        r2=r2,
        qe=qe,
        qe_df=k - p,
        qe_p=float(stats.chi2.sf(qe, k - p)),
        qm=qm,
        qm_df=m,
        qm_p=qm_p,
        df=df,
        covariance=tuple(tuple(float(c) for c in row) for row in covariance),
    )


def subgroup_analysis(
    effects: EffectSizes,
    groups: Sequence[str],
    *,
    method: Method | str = Method.REML,
    test: Test | str = Test.Z,
    level: float = 0.95,
) -> SubgroupAnalysis:
    """Pool each subgroup with its own ``tau2`` and test whether they differ (see the module
    docstring).  Every subgroup needs at least one study; two subgroups at least."""
    labels = [str(group).strip() for group in groups]
    if len(labels) != effects.k:
        raise MetaInputError(
            [InputProblem(message=f"{len(labels)} subgroup labels for {effects.k} studies")]
        )
    names = tuple(sorted(set(labels)))
    if len(names) < 2:
        raise MetaInputError(
            [InputProblem(message="a subgroup analysis needs at least two subgroups")]
        )
    results = []
    for name in names:
        index = [i for i, label in enumerate(labels) if label == name]
        subset = EffectSizes(
            measure=effects.measure,
            study=tuple(effects.study[i] for i in index),
            yi=effects.yi[index],
            vi=effects.vi[index],
        )
        chosen_test = test if len(index) >= 2 else Test.Z
        results.append(pool(subset, method=method, test=chosen_test, level=level))
    estimates = np.array([r.estimate for r in results])
    weights = 1.0 / np.array([r.se for r in results]) ** 2
    mean = float((weights * estimates).sum() / weights.sum())
    q_between = float((weights * (estimates - mean) ** 2).sum())
    df = len(names) - 1
    common: MetaRegression | None = None
    if effects.k > len(names):
        common = meta_regression(
            effects, {"subgroup": labels}, method=method, test=test, level=level
        )
    return SubgroupAnalysis(
        groups=names,
        results=tuple(results),
        q_between=q_between,
        q_between_df=df,
        q_between_p=float(stats.chi2.sf(q_between, df)),
        common_tau2=common,
    )
