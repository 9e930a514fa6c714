"""The report's three answers, in words, drawn from a result bundle alone.

1. **Can it be useful?**  The primary model against the simplest baseline (counting a
   child's prior referrals), on the same test rows: ROC AUC (how well it ranks referrals,
   whatever the capacity) and precision at the baseline's own flag volume, each as a
   difference with its paired bootstrap interval, then the team's workload at the
   pre-registered operating point.
2. **In what circumstances?**  From the circumstances table: the groups where precision is
   clearly above or below the model's overall precision (their interval excludes it), the
   groups with no flagged referral, and how ROC AUC moved over the test periods.
3. **Should we use it?**  The ethics gate, the fairness findings and the verdict together.

The comparison with the baseline (:func:`compare_with_baseline`):

=====================  =========================================================
``worse``              the AUC difference or the precision difference at the
                       same volume lies wholly below zero
``better``             the AUC difference lies wholly above zero (and precision
                       is not clearly worse)
``no_clear_difference`` otherwise: the intervals include zero
``no_baseline``        the config has no baseline model
=====================  =========================================================

Without intervals (no bootstrap) the point estimates are judged alone.  The headline says
``worse`` first whatever the verdict: a model that does worse than a count of prior
referrals adds nothing the team cannot get from the count, even if it met its criteria.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from whatworks_analytics.pilots.bundle import EstimateModel, ResultBundle, SubgroupModel
from whatworks_analytics.pilots.group_labels import dimension_label, group_label

Comparison = Literal["better", "worse", "no_clear_difference", "no_baseline"]

BASELINE_WORDS = "counting a child's prior referrals"


def _n(value: float | None, digits: int = 2) -> str:
    return "undefined" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def interval_text(e: EstimateModel, digits: int = 2) -> str:
    """ "0.58 (0.56 to 0.60)"; the value alone without an interval."""
    if e.value is None:
        return "undefined"
    if e.low is None or e.high is None:
        return _n(e.value, digits)
    if e.low == e.high == e.value:
        return f"{_n(e.value, digits)} (the same in every resample)"
    return f"{_n(e.value, digits)} ({_n(e.low, digits)} to {_n(e.high, digits)})"


def _signed(e: EstimateModel) -> str:
    if e.value is None:
        return "undefined"
    text = f"{e.value:+.2f}"
    if e.low is None or e.high is None:
        return text
    return f"{text} ({e.low:+.2f} to {e.high:+.2f})"


def _below(e: EstimateModel) -> bool:
    high = e.value if e.high is None else e.high
    return high is not None and high < 0


def _above(e: EstimateModel) -> bool:
    low = e.value if e.low is None else e.low
    return low is not None and low > 0


@dataclass(frozen=True, kw_only=True)
class BaselineComparison:
    """The primary model against the baseline (see the module docstring)."""

    outcome: Comparison
    model: str
    baseline: str | None = None
    auc: EstimateModel | None = None
    baseline_auc: EstimateModel | None = None
    auc_difference: EstimateModel | None = None
    precision: float | None = None
    baseline_precision: float | None = None
    precision_difference: EstimateModel | None = None
    flag_rate: float | None = None
    baseline_flag_rate: float | None = None


def compare_with_baseline(bundle: ResultBundle) -> BaselineComparison:
    """Judge the primary model against the baseline (module docstring)."""
    model = bundle.verdict.model
    baseline = next((m["name"] for m in bundle.config["models"] if m["kind"] == "baseline"), None)
    if baseline is None or baseline == model:
        return BaselineComparison(outcome="no_baseline", model=model)
    try:
        mine = bundle.result(model).metrics
        base = bundle.result(baseline).metrics
    except KeyError:
        return BaselineComparison(outcome="no_baseline", model=model, baseline=baseline)
    rows = {}
    if bundle.comparison is not None:
        rows = {r.metric: r for r in bundle.comparison.rows if r.model == model}
    if "roc_auc" in rows:
        auc_difference = rows["roc_auc"].difference
    else:
        # An older bundle: no paired interval, so the separate intervals must not overlap.
        a, b = mine.roc_auc, base.roc_auc
        value = None if a.value is None or b.value is None else a.value - b.value
        low = high = value
        if None not in (a.low, a.high, b.low, b.high):
            assert a.low is not None and a.high is not None
            assert b.low is not None and b.high is not None
            low, high = a.low - b.high, a.high - b.low
        auc_difference = EstimateModel(value=value, low=low, high=high)
    precision = rows.get("precision")
    flag_rate = rows.get("flag_rate")
    precision_difference = precision.difference if precision is not None else None
    outcome: Comparison
    if _below(auc_difference) or (
        precision_difference is not None and _below(precision_difference)
    ):
        outcome = "worse"
    elif _above(auc_difference):
        outcome = "better"
    else:
        outcome = "no_clear_difference"
    return BaselineComparison(
        outcome=outcome,
        model=model,
        baseline=baseline,
        auc=mine.roc_auc,
        baseline_auc=base.roc_auc,
        auc_difference=auc_difference,
        precision=precision.value if precision is not None else mine.precision.value,
        baseline_precision=precision.baseline if precision is not None else base.precision.value,
        precision_difference=precision_difference,
        flag_rate=flag_rate.value if flag_rate is not None else mine.flag_rate.value,
        baseline_flag_rate=base.flag_rate.value,
    )


@dataclass(frozen=True, kw_only=True)
class Answers:
    """The headline and the three answers, as plain sentences (escape when writing)."""

    comparison: BaselineComparison
    headline: str
    useful: list[str] = field(default_factory=list)
    circumstances: list[str] = field(default_factory=list)
    should: list[str] = field(default_factory=list)


def _comparison_sentence(c: BaselineComparison) -> str:
    assert c.auc is not None and c.baseline_auc is not None and c.auc_difference is not None
    figures = (
        f"ROC AUC {interval_text(c.auc)} against {interval_text(c.baseline_auc)} for "
        f"{BASELINE_WORDS}, a difference of {_signed(c.auc_difference)}"
    )
    if c.outcome == "worse":
        return f"{c.model} does worse than the simplest baseline, {BASELINE_WORDS}: {figures}."
    if c.outcome == "better":
        return f"{c.model} ranks referrals better than {BASELINE_WORDS}: {figures}."
    return (
        f"{c.model} does no clearly better than {BASELINE_WORDS}, so the simple count would "
        f"serve as well: {figures}."
    )


def _workload(bundle: ResultBundle, model: str) -> str:
    m = bundle.result(model).metrics
    op = bundle.config["operating_point"]
    capacity = (
        f"the team's capacity of {op['top_percent']:g}% of referrals"
        if op.get("top_percent") is not None
        else f"every score of at least {op['threshold']:g}"
    )
    return (
        f"At {capacity}: of {m.n:,} referrals in the test periods, {m.flagged:,} were "
        f"flagged; {m.tp:,} of them went on to escalate; {m.fn:,} children who escalated "
        f"were not flagged (of {m.positives:,} who escalated)."
    )


def _volume(bundle: ResultBundle, c: BaselineComparison) -> str | None:
    if c.baseline is None or c.flag_rate is None or c.baseline_flag_rate is None:
        return None
    base = bundle.result(c.baseline).metrics
    own = bundle.result(c.model).metrics
    if bundle.comparison is None:
        return (
            f"The baseline flagged {_pct(base.flag_rate.value)} of referrals and {c.model} "
            f"{_pct(own.flag_rate.value)}: their precision and recall are not comparable "
            "side by side (referrals tied with the last one flagged are all flagged)."
        )
    text = (
        f"The baseline flagged {base.flagged:,} referrals ({_pct(c.baseline_flag_rate)}, "
        "more or less than the capacity because referrals with the same count are flagged "
        f"alike); flagging as many, {c.model}'s precision is {_n(c.precision)} against "
        f"{_n(c.baseline_precision)}"
    )
    if c.precision_difference is not None:
        text += f", a difference of {_signed(c.precision_difference)}"
    return text + "."


def _circumstances(bundle: ResultBundle) -> list[str]:
    overall = bundle.result(bundle.verdict.model).metrics.precision.value
    out = []
    dims: dict[str, list[SubgroupModel]] = {}
    for row in bundle.circumstances:
        dims.setdefault(row.dimension, []).append(row)
    for dimension, rows in dims.items():
        if dimension == "test period":
            aucs = [(r.group, r.roc_auc) for r in rows if r.roc_auc is not None]
            if len(aucs) >= 2:
                aucs.sort()
                out.append(
                    f"Over time: ROC AUC was {_n(aucs[0][1])} in the earliest test period "
                    f"({aucs[0][0]}) and {_n(aucs[-1][1])} in the latest ({aucs[-1][0]})."
                )
            continue
        better, worse, none_flagged, small = [], [], [], []
        for r in rows:
            label = group_label(r.dimension, r.group)
            if r.too_small:
                small.append(label)
                continue
            if r.flagged == 0:
                none_flagged.append(label)
                continue
            ci = r.precision_ci
            if overall is None or ci is None or ci[0] == ci[1]:
                # No interval, or one of no width (a handful of flags that all went the
                # same way): nothing is clearly different.
                continue
            text = f"{label} ({_n(r.precision)}, {_n(ci[0])} to {_n(ci[1])})"
            if ci[0] > overall:
                better.append(text)
            elif ci[1] < overall:
                worse.append(text)
        name = dimension_label(dimension)
        parts = []
        if better:
            parts.append("precision is clearly higher than overall for " + "; ".join(better))
        if worse:
            parts.append("clearly lower for " + "; ".join(worse))
        if not better and not worse:
            parts.append(
                "no group's precision is clearly different from the overall "
                f"{_n(overall)} (every interval includes it)"
            )
        sentence = f"By {name}: " + ", and ".join(parts) + "."
        if none_flagged:
            sentence += " No referral was flagged in: " + "; ".join(none_flagged) + "."
        if small:
            sentence += " Too few referrals to judge: " + "; ".join(small) + "."
        out.append(sentence)
    return out


def _should(bundle: ResultBundle) -> list[str]:
    e, v = bundle.ethics, bundle.verdict
    open_items = [i.title for i in e.items if i.answer != "yes"]
    if e.passed:
        ethics = "The ethics gate was passed: every question is answered yes."
    else:
        ethics = (
            f"The ethics gate has not been passed: {len(open_items)} of {len(e.items)} "
            f"questions are not answered yes ({'; '.join(open_items)})."
        )
    fairness_words = {
        "met": "Fairness: every group large enough to judge stayed within the band.",
        "not_met": "Fairness: the model's errors fall outside the band for some groups.",
        "inconclusive": "Fairness: could not be settled for every attribute.",
    }
    fairness = fairness_words[v.fairness]
    if v.fairness_checks:
        fairness += (
            " By attribute: "
            + "; ".join(
                f"{dimension_label(c.attribute)} {c.judgement.replace('_', ' ')}"
                for c in v.fairness_checks
            )
            + "."
        )
    outside = [f"{dimension_label(c.attribute)}: {x}" for c in v.fairness_checks for x in c.outside]
    if outside:
        fairness += " " + "; ".join(outside) + "."
    return [ethics, fairness, f"Verdict against the pre-registered criteria: {v.sentence}"]


def answers(bundle: ResultBundle) -> Answers:
    """The headline and the three answers of ``bundle`` (module docstring)."""
    c = compare_with_baseline(bundle)
    v = bundle.verdict
    gate = (
        "The ethics gate was passed."
        if bundle.ethics.passed
        else "The ethics gate has not been passed, so this run cannot support its use."
    )
    if c.outcome == "no_baseline":
        lead = f"{c.model} has no baseline to be compared with in this run."
    else:
        lead = _comparison_sentence(c)
    if c.outcome == "worse" and v.status == "supports_use":
        verdict = (
            "It met its pre-registered criteria, but a count of prior referrals would "
            "serve the team better."
        )
    elif c.outcome == "worse":
        verdict = f"It should not replace the count. {v.sentence}"
    else:
        verdict = v.sentence
    headline = f"{lead} {gate} {verdict}"
    useful = []
    if c.outcome != "no_baseline":
        useful.append(_comparison_sentence(c))
        volume = _volume(bundle, c)
        if volume:
            useful.append(volume)
    useful.append(_workload(bundle, c.model))
    return Answers(
        comparison=c,
        headline=headline,
        useful=useful,
        circumstances=_circumstances(bundle),
        should=_should(bundle),
    )
