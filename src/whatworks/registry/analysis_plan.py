"""A trial's analysis plan as data: part of the registered protocol version (issue #18).

The plan fixes, before any data are seen, how each outcome will be analysed: the design
(individually randomised, cluster randomised, or blocked), the estimand (intention to
treat), and per outcome the data's column, its type, the arm column with its treatment and
control values, the covariates (such as the baseline measure), the cluster and block
columns, the standard errors (HC2, or CR2 when clustered), alpha, sidedness and the effect
size to report.  ``whatworks_analytics.trials`` runs it as written (:func:`trial_spec`).

The plan lives in ``ProtocolContent.trial_analysis``; left out of the content's JSON when
there is none, so that the hashes of versions registered before it existed do not change.
This module knows nothing of the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from whatworks.registry.analytics import TrialSpec

__all__ = [
    "COLUMN_PATTERN",
    "Design",
    "EffectSizeKind",
    "Estimand",
    "OutcomeType",
    "PlannedOutcome",
    "SeType",
    "Sidedness",
    "TrialAnalysisPlan",
    "design_problems",
    "diff_trial_analysis",
    "plan_registration_problems",
    "plan_text",
    "trial_spec",
]

#: A data column's name: letters, digits, underscores, dots and hyphens.
COLUMN_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.\-]{0,79}$"


class Design(StrEnum):
    INDIVIDUAL = "individual"
    CLUSTER = "cluster"
    BLOCKED = "blocked"


class Estimand(StrEnum):
    ITT = "itt"


class OutcomeType(StrEnum):
    CONTINUOUS = "continuous"
    BINARY = "binary"


class SeType(StrEnum):
    HC2 = "HC2"
    CR2 = "CR2"


class Sidedness(StrEnum):
    TWO_SIDED = "two-sided"
    GREATER = "greater"
    LESS = "less"


class EffectSizeKind(StrEnum):
    HEDGES_G = "hedges_g"
    RISK_DIFFERENCE = "risk_difference"
    ODDS_RATIO = "odds_ratio"


#: People's words for the codes (pages and diffs).
LABELS: dict[str, str] = {
    Design.INDIVIDUAL: "individually randomised",
    Design.CLUSTER: "cluster randomised",
    Design.BLOCKED: "randomised within blocks (strata)",
    Estimand.ITT: "intention to treat",
    OutcomeType.CONTINUOUS: "continuous",
    OutcomeType.BINARY: "binary (yes or no)",
    SeType.HC2: "HC2 (heteroskedasticity-robust)",
    SeType.CR2: "CR2 (cluster-robust, Bell-McCaffrey degrees of freedom)",
    Sidedness.TWO_SIDED: "two-sided (an effect either way)",
    Sidedness.GREATER: "one-sided: treatment higher",
    Sidedness.LESS: "one-sided: treatment lower",
    EffectSizeKind.HEDGES_G: "Hedges' g",
    EffectSizeKind.RISK_DIFFERENCE: "risk difference",
    EffectSizeKind.ODDS_RATIO: "odds ratio",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class PlannedOutcome(_Strict):
    """How one protocol outcome is analysed."""

    outcome: str = Field(min_length=1, max_length=60)
    variable: str = Field(pattern=COLUMN_PATTERN)
    type: OutcomeType
    arm_variable: str = Field(pattern=COLUMN_PATTERN)
    treatment: str = Field(min_length=1, max_length=80)
    control: str = Field(min_length=1, max_length=80)
    covariates: tuple[str, ...] = ()
    cluster_variable: str | None = Field(default=None, pattern=COLUMN_PATTERN)
    block_variable: str | None = Field(default=None, pattern=COLUMN_PATTERN)
    se_type: SeType
    alpha: float = Field(default=0.05, gt=0.0, le=0.2)
    sidedness: Sidedness = Sidedness.TWO_SIDED
    effect_size: EffectSizeKind

    @model_validator(mode="after")
    def _consistent(self) -> PlannedOutcome:
        import re

        problems: list[str] = []
        for name in self.covariates:
            if not re.match(COLUMN_PATTERN, name):
                problems.append(_("the covariate “%(name)s” is not a column name") % {"name": name})
        used = [self.variable, self.arm_variable, *self.covariates]
        used += [c for c in (self.cluster_variable, self.block_variable) if c]
        if len(used) != len(set(used)):
            problems.append(_("the outcome, arm, covariate, cluster and block columns must differ"))
        if self.treatment == self.control:
            problems.append(_("the treatment and control values must differ"))
        wanted = SeType.CR2 if self.cluster_variable else SeType.HC2
        if self.se_type != wanted:
            problems.append(
                _("clustered outcomes take CR2 errors and others HC2 (this one needs %(value)s)")
                % {"value": wanted.value}
            )
        allowed = (
            {EffectSizeKind.HEDGES_G}
            if self.type == OutcomeType.CONTINUOUS
            else {EffectSizeKind.RISK_DIFFERENCE, EffectSizeKind.ODDS_RATIO}
        )
        if self.effect_size not in allowed:
            problems.append(
                f"a {LABELS[self.type]} outcome reports "
                + " or ".join(LABELS[k] for k in sorted(allowed))
            )
        if problems:
            raise ValueError(f"The analysis of “{self.outcome}”: " + "; ".join(problems) + ".")
        return self

    @property
    def level(self) -> float:
        """The confidence level that matches alpha (two-sided intervals, as estimatr)."""
        return round(1.0 - self.alpha * (2 if self.sidedness != Sidedness.TWO_SIDED else 1), 10)


class TrialAnalysisPlan(_Strict):
    """The registered analysis of a two-arm randomised trial."""

    design: Design
    estimand: Estimand = Estimand.ITT
    outcomes: tuple[PlannedOutcome, ...]

    @model_validator(mode="after")
    def _design_fits(self) -> TrialAnalysisPlan:
        problems = design_problems(self.design, [o.model_dump() for o in self.outcomes])
        if problems:
            raise ValueError("The trial analysis plan: " + "; ".join(problems) + ".")
        return self

    def for_outcome(self, key: str) -> PlannedOutcome | None:
        return next((o for o in self.outcomes if o.outcome == key), None)


def design_problems(design: str, outcomes: Sequence[Mapping[str, Any]]) -> list[str]:
    """Whether the planned outcomes fit the design; works on raw rows too, so that a page
    can list these problems beside those of the rows themselves."""
    problems: list[str] = []
    keys = [o.get("outcome") for o in outcomes]
    if not keys:
        problems.append(_("it analyses no outcome: choose at least one"))
    if len(keys) != len(set(keys)):
        problems.append(_("each outcome is analysed once in the plan"))
    for planned in outcomes:
        key, cluster = planned.get("outcome"), planned.get("cluster_variable")
        if design == Design.CLUSTER and not cluster:
            problems.append(_("“%(key)s” needs its cluster column (cluster design)") % {"key": key})
        if design != Design.CLUSTER and cluster:
            problems.append(
                _("“%(key)s” names a cluster column but the design is not cluster randomised")
                % {"key": key}
            )
        if design == Design.BLOCKED and not planned.get("block_variable"):
            problems.append(_("“%(key)s” needs its block column (blocked design)") % {"key": key})
    return problems


def plan_registration_problems(content: Any) -> list[str]:
    """What a draft's plan lacks before registration: it must analyse a primary outcome."""
    plan: TrialAnalysisPlan | None = content.trial_analysis
    if plan is None:
        return []
    problems = []
    primary = {o.key for o in content.outcomes if o.kind == "primary"}
    if not any(p.outcome in primary for p in plan.outcomes):
        problems.append(_("The trial analysis plan must analyse at least one primary outcome."))
    for criterion in content.success_criteria.criteria:
        planned = plan.for_outcome(criterion.outcome)
        if planned is None:
            continue
        names = judged_statistics(planned)
        if criterion.statistic.strip().lower() not in names:
            problems.append(
                f"The success criterion on “{criterion.outcome}” judges "
                f"“{criterion.statistic}”, which its trial analysis does not report: use "
                + " or ".join(f"“{n}”" for n in sorted(names))
                + " (or change the effect size in the plan)."
            )
    return problems


#: The names under which the analysis of an outcome reports each figure a criterion can
#: judge (lower case): the registered effect size, with its interval, and the test's
#: figures (``whatworks_analytics.trials.bundle.registry_results``).
_EFFECT_NAMES: dict[str, frozenset[str]] = {
    EffectSizeKind.HEDGES_G: frozenset({"hedges' g", "hedges g", "effect size (hedges' g)"}),
    EffectSizeKind.RISK_DIFFERENCE: frozenset({"risk difference"}),
    EffectSizeKind.ODDS_RATIO: frozenset({"odds ratio"}),
}
_METRIC_NAMES = frozenset({"p-value", "overall attrition", "padlocks"})


def judged_statistics(planned: PlannedOutcome) -> frozenset[str]:
    """The statistics a criterion on this planned outcome may name."""
    extra = {"difference"} if planned.type == OutcomeType.CONTINUOUS else {"risk difference"}
    return _EFFECT_NAMES[planned.effect_size] | _METRIC_NAMES | extra


def trial_spec(planned: PlannedOutcome) -> TrialSpec:
    """The analytics package's specification of a planned outcome, exactly as registered."""
    from whatworks.registry.analytics import TrialSpec

    return TrialSpec(
        arm=planned.arm_variable,
        treatment=planned.treatment,
        control=planned.control,
        outcome=planned.variable,
        covariates=planned.covariates,
        cluster=planned.cluster_variable,
        block=planned.block_variable,
        level=planned.level,
        outcome_type=planned.type.value,
        alternative=planned.sidedness.value,
    )


def planned_outcome_text(planned: dict[str, Any] | None) -> str:
    """One line for a planned outcome (diffs and the version page)."""
    if not planned:
        return ""
    parts = [
        f"column {planned.get('variable')} ({LABELS.get(planned.get('type', ''), '')})",
        f"arm column {planned.get('arm_variable')}: {planned.get('treatment')} against "
        f"{planned.get('control')}",
        "covariates " + (", ".join(planned.get("covariates") or []) or "none"),
    ]
    if planned.get("cluster_variable"):
        parts.append(f"clusters {planned['cluster_variable']}")
    if planned.get("block_variable"):
        parts.append(f"blocks {planned['block_variable']}")
    parts.append(f"{planned.get('se_type')} errors")
    parts.append(f"alpha {planned.get('alpha')} {LABELS.get(planned.get('sidedness', ''), '')}")
    parts.append(f"effect size {LABELS.get(planned.get('effect_size', ''), '')}")
    return "; ".join(parts)


def plan_text(plan: dict[str, Any] | None) -> str:
    if not plan:
        return ""
    return (
        f"{LABELS.get(plan.get('design', ''), plan.get('design', ''))}; estimand "
        f"{LABELS.get(plan.get('estimand', ''), plan.get('estimand', ''))}"
    )


def diff_trial_analysis(
    old: dict[str, Any] | None, new: dict[str, Any] | None
) -> list[tuple[str, str, str, str]]:
    """(label, change, before, after) for each part of the plan that differs; outcomes are
    matched by their key, so a changed covariate shows as a change to that outcome."""
    old, new = old or {}, new or {}
    rows: list[tuple[str, str, str, str]] = []

    def add(label: str, before: str, after: str) -> None:
        if before != after:
            change = "added" if not before else "removed" if not after else "changed"
            rows.append((label, change, before, after))

    add("Trial analysis plan: design and estimand", plan_text(old), plan_text(new))
    old_by = {o.get("outcome"): o for o in old.get("outcomes") or []}
    new_by = {o.get("outcome"): o for o in new.get("outcomes") or []}
    for key in [*old_by, *(k for k in new_by if k not in old_by)]:
        add(
            f"Trial analysis of “{key}”",
            planned_outcome_text(old_by.get(key)),
            planned_outcome_text(new_by.get(key)),
        )
    return rows


def _register_labels() -> None:
    from whatworks.core.labels import register

    register("registry.trial", {str(code): words for code, words in LABELS.items()})


_register_labels()
