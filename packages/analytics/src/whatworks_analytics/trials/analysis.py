"""The analysis of a two-arm randomised trial: flow, baseline equivalence and the estimate.

One row per randomised participant.  A participant is *randomised* when their arm is the
treatment or the control value (other arms of a multi-arm trial are counted and left out of
this comparison), and *analysed* when their outcome, covariates, cluster and block are all
present; the others are *lost* (attrition).  The estimate is the coefficient of the arm in
ordinary least squares of the outcome on the arm, the covariates and block fixed effects (the
difference in means when there are none), with HC2 errors and ``n - k`` degrees of freedom,
or CR2 errors with Bell-McCaffrey degrees of freedom when a cluster is named -- as R's
``estimatr::lm_robust`` (see :mod:`whatworks_analytics.trials.robust`).

A binary (0/1) outcome gives the risk difference (the same linear probability model and
errors) and the odds ratio from logistic regression with the same terms
(:mod:`whatworks_analytics.trials.logit`).

Effect sizes follow the What Works Clearinghouse's *Procedures and Standards Handbook*
(version 5.0, 2022, section on effect sizes for group designs): Hedges' *g* is the (adjusted)
difference over the pooled within-arm standard deviation of the outcome in the analysed
sample, times the small-sample correction ``J = 1 - 3 / (4 (n1 + n2) - 9)``; its interval is
the estimate's interval on the same scale.  A binary measure's effect size is the Cox index,
``J ln(OR) / 1.65``.  Baseline equivalence is the same effect size of each baseline measure
in the analysed sample, judged by the WWC's thresholds: at most 0.05 satisfies; above 0.05
and at most 0.25 satisfies only if the analysis adjusts for that measure; above 0.25 fails.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import stats

from whatworks_analytics.trials.errors import PowerInputError, TrialInputError
from whatworks_analytics.trials.logit import logit_fit
from whatworks_analytics.trials.power import mdes_cluster, mdes_individual
from whatworks_analytics.trials.robust import ols_robust

__all__ = [
    "ArmFlow",
    "Balance",
    "BalanceCategory",
    "EffectSize",
    "Flow",
    "OddsRatio",
    "TrialResult",
    "TrialSpec",
    "analyse_trial",
    "hedges_j",
]

FloatArray = npt.NDArray[np.float64]
OutcomeType = Literal["auto", "continuous", "binary"]
Alternative = Literal["two-sided", "greater", "less"]

#: The WWC's baseline-equivalence thresholds (Standards Handbook 5.0): |ES| at most the
#: first satisfies; at most the second satisfies with statistical adjustment; above fails.
BALANCE_SATISFIED = 0.05
BALANCE_ADJUST = 0.25


def hedges_j(n_total: int) -> float:
    """The small-sample correction ``1 - 3 / (4 N - 9)`` (WWC; Hedges, 1981)."""
    return 1.0 - 3.0 / (4.0 * n_total - 9.0)


class BalanceCategory(StrEnum):
    SATISFIED = "satisfied"
    SATISFIED_BY_ADJUSTMENT = "satisfied_by_adjustment"
    REQUIRES_ADJUSTMENT = "requires_adjustment"
    NOT_SATISFIED = "not_satisfied"
    NOT_COMPUTABLE = "not_computable"


@dataclass(frozen=True, slots=True)
class TrialSpec:
    """What to analyse: column names, arm values and options (validated by the analysis)."""

    arm: str
    treatment: str
    control: str
    outcome: str
    covariates: tuple[str, ...] = ()
    cluster: str | None = None
    block: str | None = None
    level: float = 0.95
    outcome_type: OutcomeType = "auto"
    alternative: Alternative = "two-sided"
    baseline: tuple[str, ...] | None = None

    @property
    def baseline_measures(self) -> tuple[str, ...]:
        return self.covariates if self.baseline is None else self.baseline

    def columns(self) -> tuple[str, ...]:
        extra = tuple(c for c in (self.cluster, self.block) if c)
        names = (self.arm, self.outcome, *self.covariates, *extra, *self.baseline_measures)
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True, slots=True)
class ArmFlow:
    randomised: int
    analysed: int
    lost: int
    attrition: float
    clusters_randomised: int | None = None
    clusters_analysed: int | None = None


@dataclass(frozen=True, slots=True)
class Flow:
    """Participant flow per arm and the attrition the WWC and the EEF judge."""

    treatment: ArmFlow
    control: ArmFlow
    other_arms: int
    overall_attrition: float
    differential_attrition: float


@dataclass(frozen=True, slots=True)
class Balance:
    variable: str
    kind: Literal["continuous", "binary"]
    n_treatment: int
    n_control: int
    mean_treatment: float
    mean_control: float
    sd_treatment: float
    sd_control: float
    measure: Literal["hedges_g", "cox_index"]
    effect_size: float | None
    adjusted: bool
    category: BalanceCategory


@dataclass(frozen=True, slots=True)
class EffectSize:
    estimate: float
    ci_low: float
    ci_high: float
    j: float
    sd_pooled: float


@dataclass(frozen=True, slots=True)
class OddsRatio:
    estimate: float
    ci_low: float
    ci_high: float
    log_or: float
    se: float
    se_type: Literal["model", "cluster_robust"]
    cox_index: float


@dataclass(frozen=True, slots=True)
class TrialResult:
    """Everything the ``trial`` command prints (``to_dict``)."""

    n: int
    n_treatment: int
    n_control: int
    clusters: int | None
    estimate: float
    se: float
    df: float
    t: float
    p: float
    ci_low: float
    ci_high: float
    se_type: str
    level: float
    alternative: str
    outcome_type: Literal["continuous", "binary"]
    estimand: str
    mean_treatment: float
    mean_control: float
    hedges_g: EffectSize | None
    odds_ratio: OddsRatio | None
    flow: Flow
    baseline: tuple[Balance, ...]
    icc: float | None
    #: The MDES of the randomised sample at 80% power and a two-sided 5% test (the EEF's
    #: convention): pwr.t2n.test's for individuals; PowerUp!'s CRA2_2 with the outcome's
    #: estimated ICC and no covariate R² for clusters.
    mdes_at_randomisation: float | None
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["baseline"] = [
            {**item, "category": str(item["category"])} for item in data["baseline"]
        ]
        data["notes"] = list(self.notes)
        return data


def _finite(values: FloatArray) -> bool:
    return bool(np.all(np.isfinite(values)))


def _is_numeric(frame: pl.DataFrame, column: str) -> bool:
    dtype = frame.schema[column]
    return bool(dtype.is_numeric()) or dtype.__class__.__name__ == "Boolean"


def _validate(frame: pl.DataFrame, spec: TrialSpec) -> list[str]:
    problems: list[str] = []
    missing = [c for c in spec.columns() if c not in frame.columns]
    for column in missing:
        problems.append(f"there is no column {column!r} in the data")
    if spec.treatment == spec.control:
        problems.append("the treatment and control values must differ")
    if not (0.0 < spec.level < 1.0):
        problems.append(
            f"the confidence level must be between 0 and 1, such as 0.95 ({spec.level})"
        )
    if spec.outcome_type not in ("auto", "continuous", "binary"):
        problems.append("the outcome type must be continuous, binary or auto")
    if spec.alternative not in ("two-sided", "greater", "less"):
        problems.append("the alternative must be two-sided, greater or less")
    if spec.cluster and spec.cluster == spec.block:
        problems.append("the cluster and the block must be different columns")
    if spec.arm in spec.covariates or spec.outcome in spec.covariates:
        problems.append("the arm and the outcome cannot also be covariates")
    for column in (spec.outcome, *spec.covariates, *spec.baseline_measures):
        if column in frame.columns and not _is_numeric(frame, column):
            problems.append(f"column {column!r} must hold numbers (code a category as 0/1 columns)")
    if spec.arm in frame.columns:
        arms = frame[spec.arm].cast(str)
        if arms.null_count():
            problems.append(
                f"{arms.null_count()} row(s) have no value in the arm column {spec.arm!r}: "
                f"every randomised participant needs their arm"
            )
        present = set(arms.drop_nulls().unique().to_list())
        for value, name in ((spec.treatment, "treatment"), (spec.control, "control")):
            if value not in present:
                shown = ", ".join(sorted(present)[:10]) or "none"
                problems.append(
                    f"no row has the {name} value {value!r} in column {spec.arm!r} "
                    f"(values found: {shown})"
                )
    return problems


def _pooled_sd(a: FloatArray, b: FloatArray) -> float:
    n1, n2 = a.size, b.size
    pooled = ((n1 - 1) * np.var(a, ddof=1) + (n2 - 1) * np.var(b, ddof=1)) / (n1 + n2 - 2)
    return float(math.sqrt(pooled))


def _cox(p_t: float, p_c: float, j: float) -> float | None:
    if not (0.0 < p_t < 1.0 and 0.0 < p_c < 1.0):
        return None
    log_or = math.log(p_t / (1.0 - p_t)) - math.log(p_c / (1.0 - p_c))
    return j * log_or / 1.65


def _is_binary(values: FloatArray) -> bool:
    return bool(values.size) and bool(np.all((values == 0.0) | (values == 1.0)))


def _category(effect: float | None, adjusted: bool) -> BalanceCategory:
    if effect is None:
        return BalanceCategory.NOT_COMPUTABLE
    size = abs(effect)
    if size <= BALANCE_SATISFIED:
        return BalanceCategory.SATISFIED
    if size <= BALANCE_ADJUST:
        return (
            BalanceCategory.SATISFIED_BY_ADJUSTMENT
            if adjusted
            else BalanceCategory.REQUIRES_ADJUSTMENT
        )
    return BalanceCategory.NOT_SATISFIED


def _balance(name: str, treated: FloatArray, control: FloatArray, adjusted: bool) -> Balance | None:
    if treated.size < 2 or control.size < 2:
        return None
    j = hedges_j(treated.size + control.size)
    mean_t, mean_c = float(treated.mean()), float(control.mean())
    sd_t, sd_c = float(np.std(treated, ddof=1)), float(np.std(control, ddof=1))
    if _is_binary(np.concatenate([treated, control])):
        effect = _cox(mean_t, mean_c, j)
        kind: Literal["continuous", "binary"] = "binary"
        measure: Literal["hedges_g", "cox_index"] = "cox_index"
    else:
        sd = _pooled_sd(treated, control)
        effect = j * (mean_t - mean_c) / sd if sd > 0 else None
        kind, measure = "continuous", "hedges_g"
    return Balance(
        variable=name,
        kind=kind,
        n_treatment=int(treated.size),
        n_control=int(control.size),
        mean_treatment=mean_t,
        mean_control=mean_c,
        sd_treatment=sd_t,
        sd_control=sd_c,
        measure=measure,
        effect_size=effect,
        adjusted=adjusted,
        category=_category(effect, adjusted),
    )


def _codes(series: pl.Series) -> npt.NDArray[np.int64]:
    """Integer codes 0..m-1 for a column's values, in sorted order of the values."""
    return series.rank("dense").cast(pl.Int64).to_numpy() - 1


def _icc(y: FloatArray, codes: npt.NDArray[np.int64]) -> float:
    """One-way analysis-of-variance estimate of the intra-cluster correlation, at least 0."""
    m = int(codes.max()) + 1
    sizes = np.bincount(codes, minlength=m).astype(np.float64)
    sums = np.bincount(codes, weights=y, minlength=m)
    means = sums / sizes
    total = y.size
    grand = y.mean()
    ssb = float(np.sum(sizes * (means - grand) ** 2))
    ssw = float(np.sum((y - means[codes]) ** 2))
    if m < 2 or total - m < 1:
        return 0.0
    msb, msw = ssb / (m - 1), ssw / (total - m)
    n0 = (total - float(np.sum(sizes**2)) / total) / (m - 1)
    denominator = msb + (n0 - 1.0) * msw
    return max(0.0, (msb - msw) / denominator) if denominator > 0 else 0.0


def analyse_trial(frame: pl.DataFrame, spec: TrialSpec) -> TrialResult:
    """Analyse one outcome of a two-arm trial (see the module).  Raises
    :class:`TrialInputError` with every problem in the data or the specification."""
    problems = _validate(frame, spec)
    if problems:
        raise TrialInputError(problems)
    arms = frame[spec.arm].cast(str)
    in_trial = arms.is_in([spec.treatment, spec.control])
    other_arms = int((~in_trial).sum())
    data = frame.filter(in_trial)
    treated_all = (data[spec.arm].cast(str) == spec.treatment).to_numpy()
    needed = [spec.outcome, *spec.covariates, *(c for c in (spec.cluster, spec.block) if c)]
    complete = np.ones(data.height, dtype=bool)
    for column in needed:
        series = data[column]
        present = ~series.is_null().to_numpy()
        if series.dtype.is_float():
            present &= ~series.is_nan().fill_null(True).to_numpy()
        complete &= present

    def arm_flow(mask: npt.NDArray[np.bool_]) -> ArmFlow:
        randomised = int(mask.sum())
        analysed = int((mask & complete).sum())
        clusters_r = clusters_a = None
        if spec.cluster:
            labels = data[spec.cluster]
            clusters_r = int(labels.filter(pl.Series(mask)).drop_nulls().n_unique())
            clusters_a = int(labels.filter(pl.Series(mask & complete)).n_unique())
        lost = randomised - analysed
        return ArmFlow(
            randomised=randomised,
            analysed=analysed,
            lost=lost,
            attrition=lost / randomised if randomised else 0.0,
            clusters_randomised=clusters_r,
            clusters_analysed=clusters_a,
        )

    flow_t, flow_c = arm_flow(treated_all), arm_flow(~treated_all)
    randomised_total = flow_t.randomised + flow_c.randomised
    flow = Flow(
        treatment=flow_t,
        control=flow_c,
        other_arms=other_arms,
        overall_attrition=(flow_t.lost + flow_c.lost) / randomised_total,
        differential_attrition=abs(flow_t.attrition - flow_c.attrition),
    )
    analysed = data.filter(pl.Series(complete))
    treated = treated_all[complete]
    n_t, n_c = int(treated.sum()), int((~treated).sum())
    if n_t < 2 or n_c < 2:
        raise TrialInputError(
            [
                f"each arm needs at least two analysed participants with an outcome "
                f"(treatment {n_t}, control {n_c})"
            ]
        )
    y = analysed[spec.outcome].cast(pl.Float64).to_numpy()
    if not _finite(y):
        raise TrialInputError([f"the outcome {spec.outcome!r} holds values that are not finite"])
    binary_values = _is_binary(y)
    if spec.outcome_type == "binary" and not binary_values:
        raise TrialInputError(
            [f"the outcome {spec.outcome!r} is declared binary but holds values other than 0 and 1"]
        )
    outcome_type: Literal["continuous", "binary"] = (
        "binary"
        if spec.outcome_type == "binary" or (spec.outcome_type == "auto" and binary_values)
        else "continuous"
    )
    columns = [np.ones(y.size), treated.astype(np.float64)]
    for name in spec.covariates:
        values = analysed[name].cast(pl.Float64).to_numpy()
        columns.append(values)
    if spec.block:
        blocks = _codes(analysed[spec.block])
        columns.extend((blocks == level).astype(np.float64) for level in range(1, blocks.max() + 1))
    x = np.column_stack(columns)
    cluster_labels = _codes(analysed[spec.cluster]) if spec.cluster else None
    fit = ols_robust(y, x, clusters=cluster_labels, df_for=[1])
    estimate, se, df = float(fit.coef[1]), float(fit.se[1]), float(fit.df[1])
    t_value = estimate / se if se > 0 else math.nan
    if spec.alternative == "two-sided":
        p = float(2.0 * stats.t.sf(abs(t_value), df))
    elif spec.alternative == "greater":
        p = float(stats.t.sf(t_value, df))
    else:
        p = float(stats.t.cdf(t_value, df))
    critical = float(stats.t.isf((1.0 - spec.level) / 2.0, df))
    ci_low, ci_high = estimate - critical * se, estimate + critical * se
    y_t, y_c = y[treated], y[~treated]
    j = hedges_j(n_t + n_c)
    notes: list[str] = []
    hedges: EffectSize | None = None
    odds: OddsRatio | None = None
    if outcome_type == "continuous":
        sd = _pooled_sd(y_t, y_c)
        if sd > 0:
            hedges = EffectSize(
                estimate=j * estimate / sd,
                ci_low=j * ci_low / sd,
                ci_high=j * ci_high / sd,
                j=j,
                sd_pooled=sd,
            )
    else:
        lf = logit_fit(y, x, clusters=cluster_labels)
        if lf.converged:
            log_or = float(lf.coef[1])
            lse = float(math.sqrt(lf.vcov[1, 1]))
            z = float(stats.norm.isf((1.0 - spec.level) / 2.0))
            odds = OddsRatio(
                estimate=math.exp(log_or),
                ci_low=math.exp(log_or - z * lse),
                ci_high=math.exp(log_or + z * lse),
                log_or=log_or,
                se=lse,
                se_type="cluster_robust" if lf.robust else "model",
                cox_index=j * log_or / 1.65,
            )
        else:
            notes.append(
                "the logistic regression has no finite maximum (an arm or a covariate "
                "separates the outcomes), so there is no odds ratio; the risk difference stands"
            )
    baseline: list[Balance] = []
    for name in spec.baseline_measures:
        values = analysed[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        present = np.isfinite(values)
        item = _balance(
            name, values[present & treated], values[present & ~treated], name in spec.covariates
        )
        if item is not None:
            baseline.append(item)
    icc: float | None = None
    mdes: float | None = None
    try:
        if cluster_labels is not None:
            icc = _icc(y, cluster_labels)
            clusters_r = (flow_t.clusters_randomised or 0) + (flow_c.clusters_randomised or 0)
            if clusters_r >= 3 and flow_t.clusters_randomised and flow_c.clusters_randomised:
                mdes = mdes_cluster(
                    clusters=clusters_r,
                    cluster_size=randomised_total / clusters_r,
                    icc=icc,
                    power=0.8,
                    alpha=0.05,
                    p_treated=flow_t.clusters_randomised / clusters_r,
                ).mdes
        else:
            mdes = mdes_individual(
                n_treatment=flow_t.randomised,
                n_control=flow_c.randomised,
                power=0.8,
                alpha=0.05,
            )
    except PowerInputError as error:
        notes.append("no minimum detectable effect at randomisation: " + "; ".join(error.problems))
    return TrialResult(
        n=n_t + n_c,
        n_treatment=n_t,
        n_control=n_c,
        clusters=fit.clusters,
        estimate=estimate,
        se=se,
        df=df,
        t=t_value,
        p=p,
        ci_low=ci_low,
        ci_high=ci_high,
        se_type=fit.se_type,
        level=spec.level,
        alternative=spec.alternative,
        outcome_type=outcome_type,
        estimand="intention to treat (as randomised, participants with an outcome)",
        mean_treatment=float(y_t.mean()),
        mean_control=float(y_c.mean()),
        hedges_g=hedges,
        odds_ratio=odds,
        flow=flow,
        baseline=tuple(baseline),
        icc=icc,
        mdes_at_randomisation=mdes,
        notes=tuple(notes),
    )


def balance_summary(items: Sequence[Balance]) -> BalanceCategory | None:
    """The worst category over the baseline measures (None when there are none)."""
    order = [
        BalanceCategory.NOT_SATISFIED,
        BalanceCategory.REQUIRES_ADJUSTMENT,
        BalanceCategory.NOT_COMPUTABLE,
        BalanceCategory.SATISFIED_BY_ADJUSTMENT,
        BalanceCategory.SATISFIED,
    ]
    for category in order:
        if any(item.category == category for item in items):
            return category
    return None
