"""Results against pre-registered success criteria: the result bundle and the verdicts.

Pure logic, no database.  A criterion's verdict, from the result's value and interval:

================  ==========================  ===========================  ==================
comparison        met                         not met                      inconclusive
================  ==========================  ===========================  ==================
``>=`` t          lower ≥ t                   upper < t                    lower < t ≤ upper
``<=`` t          upper ≤ t                   lower > t                    lower ≤ t < upper
``two-sided`` t   interval excludes t         —                            interval holds t
================  ==========================  ===========================  ==================

A value without an interval (a pilot's metric) is compared directly; a two-sided criterion
needs an interval.  A criterion whose outcome has no result is inconclusive.  Criteria
combine in three-valued logic: *all* is met when every one is met and not met when any is
not met; *any* is met when one is met and not met when every one is not met; otherwise the
overall verdict is inconclusive.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from whatworks.registry.protocol import (
    Combine,
    Comparison,
    Criterion,
    ProtocolContent,
    format_number,
    validation_messages,
)

BUNDLE_SCHEMA = "whatworks.results/1"


class Verdict(StrEnum):
    MET = "met"
    NOT_MET = "not-met"
    INCONCLUSIVE = "inconclusive"

    @property
    def label(self) -> str:
        return {"met": "Met", "not-met": "Not met", "inconclusive": "Inconclusive"}[self.value]


class OutcomeResult(BaseModel):
    """One outcome's result: an estimate with its interval, and/or named metrics."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    outcome: str = Field(min_length=1, max_length=60)
    statistic: str = Field(default="", max_length=100)
    estimate: float | None = None
    lower: float | None = None
    upper: float | None = None
    interval: str = Field(default="95% confidence interval", max_length=100)
    n: int | None = Field(default=None, ge=1)
    metrics: dict[str, float] = Field(default_factory=dict)
    note: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _consistent(self) -> OutcomeResult:
        if self.estimate is None and not self.metrics:
            raise ValueError("give an estimate or at least one metric")
        if (self.lower is None) != (self.upper is None):
            raise ValueError("give both ends of the interval, or neither")
        if self.lower is not None and self.estimate is None:
            raise ValueError("an interval needs its estimate")
        if (
            self.lower is not None
            and self.upper is not None
            and self.estimate is not None
            and not self.lower <= self.estimate <= self.upper
        ):
            raise ValueError("the estimate must lie within its interval (lower ≤ estimate ≤ upper)")
        values = [self.estimate, self.lower, self.upper, *self.metrics.values()]
        if any(v is not None and not math.isfinite(v) for v in values):
            raise ValueError("numbers must be finite")
        return self

    def describe(self) -> str:
        parts = []
        if self.estimate is not None:
            text = f"{self.statistic or 'estimate'} {format_number(self.estimate)}"
            if self.lower is not None and self.upper is not None:
                text += (
                    f" ({self.interval} {format_number(self.lower)} to {format_number(self.upper)})"
                )
            parts.append(text)
        parts.extend(f"{name} {format_number(value)}" for name, value in self.metrics.items())
        if self.n is not None:
            parts.append(f"n = {self.n}")
        return "; ".join(parts)


class ResultBundle(BaseModel):
    """A result bundle as documented in ``docs/results-bundle.md``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    schema_: str = Field(alias="schema", pattern=r"^whatworks\.results/1$")
    project: str = Field(default="", max_length=20)
    protocol_version: int = Field(ge=1)
    summary: str = Field(default="", max_length=5000)
    data_collection_ended: date | None = None
    results: tuple[OutcomeResult, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_result_per_outcome(self) -> ResultBundle:
        seen = [r.outcome for r in self.results]
        duplicates = sorted({k for k in seen if seen.count(k) > 1})
        if duplicates:
            raise ValueError(f"one result per outcome; repeated: {', '.join(duplicates)}")
        return self


class BundleError(ValueError):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def parse_bundle(data: Any) -> ResultBundle:
    """Validate a bundle, reporting every problem at once."""
    try:
        return ResultBundle.model_validate(data)
    except ValidationError as exc:
        raise BundleError(validation_messages(exc)) from None


def parse_results(data: Any) -> tuple[OutcomeResult, ...]:
    return tuple(OutcomeResult.model_validate(item) for item in data or ())


@dataclass(frozen=True)
class CriterionVerdict:
    criterion: Criterion
    verdict: Verdict
    reason: str
    wording: str


@dataclass(frozen=True)
class Assessment:
    criteria: tuple[CriterionVerdict, ...]
    overall: Verdict
    sentence: str
    #: Pre-registered outcomes with no result (possibly buried).
    unreported: tuple[str, ...] = ()
    #: Results for outcomes the protocol never named (possibly switched in).
    unregistered: tuple[str, ...] = ()
    results_by_outcome: dict[str, OutcomeResult] = field(default_factory=dict)


def _value(criterion: Criterion, result: OutcomeResult) -> tuple[float, float | None, float | None]:
    if criterion.statistic in result.metrics:
        return result.metrics[criterion.statistic], None, None
    if result.estimate is None:
        raise LookupError
    return result.estimate, result.lower, result.upper


def judge(criterion: Criterion, result: OutcomeResult | None) -> tuple[Verdict, str]:
    """One criterion's verdict and the reason, in words."""
    if result is None:
        return Verdict.INCONCLUSIVE, "no result was reported for this outcome"
    try:
        value, lower, upper = _value(criterion, result)
    except LookupError:
        return Verdict.INCONCLUSIVE, f"the result gives no {criterion.statistic}"
    t = criterion.threshold
    shown = format_number(value)
    if lower is None or upper is None:
        if criterion.comparison == Comparison.AT_LEAST:
            ok = value >= t
        elif criterion.comparison == Comparison.AT_MOST:
            ok = value <= t
        else:
            return Verdict.INCONCLUSIVE, "a two-sided criterion needs an interval"
        return (Verdict.MET if ok else Verdict.NOT_MET), f"{criterion.statistic} was {shown}"
    interval = f"{shown} ({format_number(lower)} to {format_number(upper)})"
    if criterion.comparison == Comparison.AT_LEAST:
        if lower >= t:
            return Verdict.MET, f"{interval}: the whole interval is at or above {format_number(t)}"
        if upper < t:
            return Verdict.NOT_MET, f"{interval}: the whole interval is below {format_number(t)}"
        return Verdict.INCONCLUSIVE, f"{interval}: the interval straddles {format_number(t)}"
    if criterion.comparison == Comparison.AT_MOST:
        if upper <= t:
            return Verdict.MET, f"{interval}: the whole interval is at or below {format_number(t)}"
        if lower > t:
            return Verdict.NOT_MET, f"{interval}: the whole interval is above {format_number(t)}"
        return Verdict.INCONCLUSIVE, f"{interval}: the interval straddles {format_number(t)}"
    if lower > t or upper < t:
        return Verdict.MET, f"{interval}: the interval excludes {format_number(t)}"
    return Verdict.INCONCLUSIVE, f"{interval}: the interval includes {format_number(t)}"


def combine(verdicts: Sequence[Verdict], how: Combine) -> Verdict:
    if not verdicts:
        return Verdict.INCONCLUSIVE
    if how == Combine.ALL:
        if all(v == Verdict.MET for v in verdicts):
            return Verdict.MET
        if any(v == Verdict.NOT_MET for v in verdicts):
            return Verdict.NOT_MET
        return Verdict.INCONCLUSIVE
    if any(v == Verdict.MET for v in verdicts):
        return Verdict.MET
    if all(v == Verdict.NOT_MET for v in verdicts):
        return Verdict.NOT_MET
    return Verdict.INCONCLUSIVE


OVERALL_SENTENCES = {
    Verdict.MET: "It worked by the test set in advance: the project met its pre-registered "
    "success criteria.",
    Verdict.NOT_MET: "It did not work by the test set in advance: the project did not meet its "
    "pre-registered success criteria.",
    Verdict.INCONCLUSIVE: "We cannot yet say whether it worked: the results are inconclusive "
    "against the pre-registered success criteria.",
}


def assess(content: ProtocolContent, results: Sequence[OutcomeResult]) -> Assessment:
    by_outcome = {r.outcome: r for r in results}
    names = content.outcome_names()
    judged = []
    for criterion in content.success_criteria.criteria:
        verdict, reason = judge(criterion, by_outcome.get(criterion.outcome))
        judged.append(
            CriterionVerdict(
                criterion=criterion,
                verdict=verdict,
                reason=reason,
                wording=criterion.plain_english(names.get(criterion.outcome)),
            )
        )
    overall = combine([j.verdict for j in judged], content.success_criteria.combine)
    sentence = (
        OVERALL_SENTENCES[overall]
        if judged
        else "The protocol set no success criteria, so no verdict can be given."
    )
    return Assessment(
        criteria=tuple(judged),
        overall=overall,
        sentence=sentence,
        unreported=tuple(k for k in names if k not in by_outcome),
        unregistered=tuple(k for k in by_outcome if k not in names),
        results_by_outcome=by_outcome,
    )
