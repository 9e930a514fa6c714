"""The report's headline and three answers: the logic as a table (baseline better, worse,
equal; ethics gate passed or not), and the answers drawn from the bundle's own tables."""

from __future__ import annotations

from typing import Any

import pytest

from whatworks_analytics.pilots.bundle import (
    ComparisonRowModel,
    EstimateModel,
    EthicsModel,
    ResultBundle,
    VerdictModel,
)
from whatworks_analytics.pilots.headline import answers, compare_with_baseline
from whatworks_analytics.pilots.report import render_report

from .test_run import default_run


def _estimate(value: float, low: float, high: float) -> EstimateModel:
    return EstimateModel(value=value, low=low, high=high)


#: (AUC difference, precision difference at the same volume) for each comparison outcome.
DIFFERENCES = {
    "better": (_estimate(0.06, 0.03, 0.09), _estimate(0.04, -0.01, 0.09)),
    "worse": (_estimate(-0.06, -0.09, -0.03), _estimate(-0.02, -0.07, 0.03)),
    "equal": (_estimate(0.01, -0.02, 0.04), _estimate(0.00, -0.05, 0.05)),
}


def variant(outcome: str, *, ethics_passed: bool, status: str | None = None) -> ResultBundle:
    """The default run's bundle with the primary model's comparison and the gate set."""
    bundle = default_run().bundle
    assert bundle.comparison is not None
    auc, precision = DIFFERENCES[outcome]
    model = bundle.verdict.model
    rows = []
    for row in bundle.comparison.rows:
        if row.model == model and row.metric in ("roc_auc", "precision"):
            diff = auc if row.metric == "roc_auc" else precision
            assert row.baseline is not None
            row = ComparisonRowModel(
                model=row.model,
                metric=row.metric,
                value=row.baseline + (diff.value or 0.0),
                baseline=row.baseline,
                difference=diff,
            )
        rows.append(row)
    ethics = EthicsModel(passed=ethics_passed, items=list(bundle.ethics.items))
    update: dict[str, Any] = {
        "comparison": bundle.comparison.model_copy(update={"rows": rows}),
        "ethics": ethics,
    }
    if status is not None:
        update["verdict"] = VerdictModel.model_validate(
            {**bundle.verdict.model_dump(), "status": status, "ethics_passed": ethics_passed}
        )
    return bundle.model_copy(update=update)


# The headline as a table: comparison x gate -> the words that must (and must not) appear.
TABLE = [
    ("better", True, "better", "ranks referrals better than", "The ethics gate was passed."),
    ("better", False, "better", "ranks referrals better than", "has not been passed"),
    (
        "worse",
        True,
        "worse",
        "does worse than the simplest baseline",
        "The ethics gate was passed.",
    ),
    ("worse", False, "worse", "does worse than the simplest baseline", "has not been passed"),
    (
        "equal",
        True,
        "no_clear_difference",
        "does no clearly better than",
        "The ethics gate was passed.",
    ),
    ("equal", False, "no_clear_difference", "does no clearly better than", "has not been passed"),
]


@pytest.mark.parametrize(("outcome", "passed", "judged", "comparison", "gate"), TABLE)
def test_headline_table(
    outcome: str, passed: bool, judged: str, comparison: str, gate: str
) -> None:
    a = answers(variant(outcome, ethics_passed=passed))
    assert a.comparison.outcome == judged
    assert comparison in a.headline
    assert a.headline.index(comparison) < a.headline.index(gate), "the comparison comes first"
    others = {
        "ranks referrals better than",
        "does worse than the simplest baseline",
        "does no clearly better than",
    } - {comparison}
    assert not any(o in a.headline for o in others)
    assert ("has not been passed" in a.headline) is (not passed)
    # The figures with their intervals are in the headline.
    assert "ROC AUC" in a.headline and " to " in a.headline


def test_a_model_worse_than_the_baseline_is_said_to_be_even_when_its_criteria_were_met() -> None:
    a = answers(variant("worse", ethics_passed=True, status="supports_use"))
    assert a.headline.startswith(f"{a.comparison.model} does worse than the simplest baseline")
    assert "a count of prior referrals would serve the team better" in a.headline
    assert "The evidence supports use" not in a.headline
    html = render_report(variant("worse", ethics_passed=True, status="supports_use"))
    assert 'class="verdict status-does_not_support_use" id="headline"' in html


def test_precision_clearly_worse_at_the_same_volume_is_worse_even_if_auc_is_not() -> None:
    bundle = variant("equal", ethics_passed=True)
    assert bundle.comparison is not None
    rows = [
        r.model_copy(update={"difference": _estimate(-0.08, -0.12, -0.04)})
        if r.metric == "precision" and r.model == bundle.verdict.model
        else r
        for r in bundle.comparison.rows
    ]
    bundle = bundle.model_copy(
        update={"comparison": bundle.comparison.model_copy(update={"rows": rows})}
    )
    assert compare_with_baseline(bundle).outcome == "worse"


def test_an_older_bundle_without_the_comparison_uses_the_separate_intervals() -> None:
    bundle = default_run().bundle.model_copy(update={"comparison": None})
    c = compare_with_baseline(bundle)
    mine = bundle.result(bundle.verdict.model).metrics.roc_auc
    base = bundle.result("baseline").metrics.roc_auc
    assert c.auc_difference is not None and mine.value is not None and base.value is not None
    assert c.auc_difference.value == pytest.approx(mine.value - base.value)
    assert mine.low is not None and base.high is not None
    assert c.auc_difference.low == pytest.approx(mine.low - base.high)
    assert "not comparable side by side" in " ".join(answers(bundle).useful)


def test_the_workload_picture_uses_the_pooled_counts() -> None:
    bundle = default_run().bundle
    m = bundle.result(bundle.verdict.model).metrics
    text = " ".join(answers(bundle).useful)
    assert (
        f"of {m.n:,} referrals in the test periods, {m.flagged:,} were flagged; {m.tp:,} of "
        f"them went on to escalate; {m.fn:,} children who escalated were not flagged"
    ) in text
    base = bundle.result("baseline").metrics
    assert f"The baseline flagged {base.flagged:,} referrals" in text


def test_circumstances_are_drawn_from_the_table_with_labels_for_codes() -> None:
    bundle = default_run().bundle
    lines = answers(bundle).circumstances
    dims = {c.dimension for c in bundle.circumstances}
    assert len(lines) == len(dims)
    text = " ".join(lines)
    for code in ("la_services", "10_to_15", "plan_or_care", "16_plus", "other_legal_agency"):
        assert code not in text
    # Every group named "clearly" higher or lower has an interval that excludes the
    # overall precision.
    overall = bundle.result(bundle.verdict.model).metrics.precision.value
    assert overall is not None
    for c in bundle.circumstances:
        ci = c.precision_ci
        clear = ci is not None and (ci[0] > overall or ci[1] < overall) and ci[0] != ci[1]
        if clear and c.dimension != "test period" and ci is not None:
            assert f"{c.precision:.2f}, {ci[0]:.2f} to" in text


def test_should_we_names_the_open_ethics_questions_fairness_and_the_verdict() -> None:
    bundle = default_run().bundle
    should = answers(bundle).should
    assert should[0].startswith("The ethics gate has not been passed")
    for item in bundle.ethics.items:
        if item.answer != "yes":
            assert item.title in should[0]
    assert should[1].startswith("Fairness:")
    assert should[2].endswith(bundle.verdict.sentence)
