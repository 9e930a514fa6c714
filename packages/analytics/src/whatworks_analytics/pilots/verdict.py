"""The verdict: each pre-registered criterion judged, then one plain sentence.

A success criterion ``metric op t`` (``op`` is ``>=`` or ``<=``) with estimate ``v`` and
interval ``[lo, hi]`` is

* **met** when the whole interval passes (``lo >= t`` for ``>=``; ``hi <= t`` for ``<=``);
* **not met** when the whole interval fails (``hi < t`` for ``>=``; ``lo > t`` for ``<=``);
* **inconclusive** when the interval straddles ``t``, or the metric is undefined.

Without an interval the point estimate is judged alone.  Criteria combine with ``all``
(met if all met, not met if any is not met, otherwise inconclusive) or ``any`` (met if any
is met, not met if all are not met, otherwise inconclusive).

Fairness: for each audited attribute and each key metric of the action (punitive: FPR, FDR;
assistive: FNR, FOR), every group judged by the audit must be within the band.  A group
the audit calls too small to judge is never judged, so it can neither fail nor unsettle
the criterion.  A group outside the band whose bootstrap interval of the ratio still
reaches into the band is inconclusive; an attribute with no judgeable group is
inconclusive.  Attributes combine with ``all``.  Each disparity outside the band is said in
plain words, with its direction (``fairness.wording.describe``: "children in the asian
group who escalate are missed less often than in the white group (ratio 0.62)").

Overall: the evidence *supports use* only when the success criteria are met, the fairness
criteria are met **and** the ethics gate passed; it *does not support use* when either set of
criteria is not met; otherwise it is inconclusive -- or, when only the ethics gate stands in
the way, it says that this run cannot support use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from whatworks_analytics.fairness.wording import describe
from whatworks_analytics.pilots.metrics import Estimate

Judgement = Literal["met", "not_met", "inconclusive"]
Status = Literal["supports_use", "does_not_support_use", "inconclusive", "ethics_gate_not_passed"]

METRIC_NAMES: dict[str, str] = {
    "precision": "precision",
    "recall": "recall",
    "flag_rate": "flag rate",
    "roc_auc": "ROC AUC",
    "average_precision": "average precision",
    "brier": "Brier score",
}


def judge(op: str, threshold: float, estimate: Estimate) -> Judgement:
    """Judge ``estimate op threshold`` (see the module docstring)."""
    value = estimate.value
    if value is None:
        return "inconclusive"
    low = value if estimate.low is None else estimate.low
    high = value if estimate.high is None else estimate.high

    def passes(x: float) -> bool:
        return x >= threshold if op == ">=" else x <= threshold

    if passes(low) and passes(high):
        return "met"
    if not passes(low) and not passes(high):
        return "not_met"
    return "inconclusive"


def combine(judgements: Sequence[Judgement], how: str = "all") -> Judgement:
    """Combine judgements with ``all`` or ``any`` (see the module docstring)."""
    if not judgements:
        return "inconclusive"
    if how == "all":
        if all(j == "met" for j in judgements):
            return "met"
        if any(j == "not_met" for j in judgements):
            return "not_met"
        return "inconclusive"
    if any(j == "met" for j in judgements):
        return "met"
    if all(j == "not_met" for j in judgements):
        return "not_met"
    return "inconclusive"


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.2f}"


@dataclass(frozen=True, kw_only=True)
class CriterionResult:
    metric: str
    op: str
    threshold: float
    estimate: Estimate
    judgement: Judgement

    @property
    def text(self) -> str:
        e = self.estimate
        interval = "" if e.low is None or e.high is None else f" ({_fmt(e.low)} to {_fmt(e.high)})"
        word = {"met": "met", "not_met": "not met", "inconclusive": "inconclusive"}
        return (
            f"{METRIC_NAMES.get(self.metric, self.metric)} {_fmt(e.value)}{interval} "
            f"against {self.op} {self.threshold:g}: {word[self.judgement]}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "op": self.op,
            "threshold": self.threshold,
            "estimate": self.estimate.to_dict(),
            "judgement": self.judgement,
            "text": self.text,
        }


@dataclass(frozen=True, kw_only=True)
class FairnessCheck:
    """One attribute's fairness criterion on the key metrics."""

    attribute: str
    judgement: Judgement
    #: Each disparity outside the band, in plain words (which way it goes, and the ratio).
    outside: tuple[str, ...]
    #: Outside the band, but the bootstrap interval of the ratio reaches into it.
    uncertain: tuple[str, ...]
    judged_groups: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "judgement": self.judgement,
            "outside": list(self.outside),
            "uncertain": list(self.uncertain),
            "judged_groups": self.judged_groups,
        }


def _bounds(ci: Any) -> tuple[float | None, float | None]:
    """An interval given as ``[low, high]`` or ``{"low": .., "high": ..}``."""
    if isinstance(ci, list | tuple) and len(ci) == 2:
        return ci[0], ci[1]
    if isinstance(ci, Mapping):
        return ci.get("low"), ci.get("high")
    return None, None


def fairness_checks(
    audit: Mapping[str, Any], *, attributes: Sequence[str], band: tuple[float, float]
) -> tuple[FairnessCheck, ...]:
    """Judge the fairness criterion per attribute from an audit report's ``to_dict()``."""
    low, high = band
    key = list(audit.get("key_metrics", []))
    references = {
        a.get("attribute"): a.get("reference_groups") or {} for a in audit.get("attributes", [])
    }
    out = []
    for attribute in attributes:
        outside: list[str] = []
        uncertain: list[str] = []
        judged = 0
        for group in audit.get("groups", []):
            # A group the audit calls too small to judge is never judged here either.
            if group.get("attribute") != attribute or group.get("too_small"):
                continue
            within = group.get("within_band", {})
            if any(within.get(m) is not None for m in key):
                judged += 1
            for metric in key:
                if within.get(metric) is not False:
                    continue
                ratio = group.get("disparity", {}).get(metric)
                ci = group.get("disparity_ci", {}).get(metric)
                lo, hi = _bounds(ci)
                label = describe(
                    metric,
                    ratio,
                    group=str(group.get("group")),
                    reference=references.get(attribute, {}).get(metric),
                    who="children",
                    outcome="escalate",
                )
                if lo is not None and hi is not None and lo <= high and hi >= low:
                    uncertain.append(label)
                else:
                    outside.append(label)
        judgement: Judgement
        if outside:
            judgement = "not_met"
        elif uncertain or judged == 0:
            judgement = "inconclusive"
        else:
            judgement = "met"
        out.append(
            FairnessCheck(
                attribute=attribute,
                judgement=judgement,
                outside=tuple(outside),
                uncertain=tuple(uncertain),
                judged_groups=judged,
            )
        )
    return tuple(out)


@dataclass(frozen=True, kw_only=True)
class Verdict:
    status: Status
    sentence: str
    model: str
    success: Judgement
    criteria: tuple[CriterionResult, ...]
    fairness: Judgement
    fairness_checks: tuple[FairnessCheck, ...]
    ethics_passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "sentence": self.sentence,
            "model": self.model,
            "success": self.success,
            "criteria": [c.to_dict() for c in self.criteria],
            "fairness": self.fairness,
            "fairness_checks": [c.to_dict() for c in self.fairness_checks],
            "ethics_passed": self.ethics_passed,
        }


def decide(
    *,
    model: str,
    criteria: Sequence[tuple[str, str, float]],
    estimates: Mapping[str, Estimate],
    combine_how: str,
    fairness: Sequence[FairnessCheck],
    ethics_passed: bool,
    ethics_open: int = 0,
) -> Verdict:
    """Judge every criterion and write the one-sentence verdict."""
    results = tuple(
        CriterionResult(
            metric=metric,
            op=op,
            threshold=threshold,
            estimate=estimates[metric],
            judgement=judge(op, threshold, estimates[metric]),
        )
        for metric, op, threshold in criteria
    )
    success = combine([r.judgement for r in results], combine_how)
    fair = combine([c.judgement for c in fairness], "all") if fairness else "inconclusive"
    failed = [r.text for r in results if r.judgement == "not_met"]
    unsure = [r.text for r in results if r.judgement == "inconclusive"]
    unfair = [f"{c.attribute}: {x}" for c in fairness for x in c.outside]
    unsettled = [
        f"{c.attribute}: {x}, but its interval reaches into the band"
        for c in fairness
        for x in c.uncertain
    ]
    unsettled += [
        f"no group of {c.attribute} is large enough to judge"
        for c in fairness
        if c.judged_groups == 0
    ]
    status: Status
    if success == "not_met" or fair == "not_met":
        status = "does_not_support_use"
        reasons = []
        if success == "not_met":
            reasons.append(
                f"{model} did not meet its pre-registered success criteria ({'; '.join(failed)})"
            )
        if fair == "not_met":
            shown = "; ".join(unfair[:3]) + ("; ..." if len(unfair) > 3 else "")
            reasons.append(f"its errors fall outside the fairness band for some groups: {shown}")
        sentence = "The evidence does not support use: " + ", and ".join(reasons) + "."
    elif success == "met" and fair == "met" and ethics_passed:
        status = "supports_use"
        sentence = (
            f"The evidence supports use of {model} as one input to social workers' decisions: "
            "it met every pre-registered success criterion under temporal validation, its "
            "errors stayed within the fairness band for every group large enough to judge, "
            "and every ethics question was answered yes."
        )
    elif success == "met" and fair == "met":
        status = "ethics_gate_not_passed"
        sentence = (
            f"{model} met its pre-registered success and fairness criteria, but {ethics_open} "
            "of the ethics questions are not answered yes, so this run cannot say that the "
            "evidence supports use."
        )
    else:
        status = "inconclusive"
        parts = []
        if success == "inconclusive":
            parts.append(f"the success criteria are inconclusive ({'; '.join(unsure)})")
        if fair == "inconclusive":
            shown = "; ".join(unsettled[:3]) + ("; ..." if len(unsettled) > 3 else "")
            parts.append(
                "the fairness criteria could not be settled for every attribute"
                + (f" ({shown})" if shown else "")
            )
        if not ethics_passed:
            parts.append("the ethics gate has not been passed")
        sentence = "The evidence is inconclusive: " + ", and ".join(parts) + "."
    return Verdict(
        status=status,
        sentence=sentence,
        model=model,
        success=success,
        criteria=results,
        fairness=fair,
        fairness_checks=tuple(fairness),
        ethics_passed=ethics_passed,
    )
