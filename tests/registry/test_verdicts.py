"""The verdict logic as a table, combined criteria, and the outcome-switching flags."""

from __future__ import annotations

import pytest

from tests.registry.factories import bundle, content
from whatworks.registry.protocol import Combine, Comparison, Criterion, parse_content
from whatworks.registry.verdicts import (
    BundleError,
    OutcomeResult,
    Verdict,
    assess,
    combine,
    judge,
    parse_bundle,
)

MET, NOT, INC = Verdict.MET, Verdict.NOT_MET, Verdict.INCONCLUSIVE


def _criterion(comparison: str, threshold: float, statistic: str = "g") -> Criterion:
    return Criterion(
        outcome="o", statistic=statistic, comparison=Comparison(comparison), threshold=threshold
    )


def _result(
    estimate: float | None, lower: float | None = None, upper: float | None = None, **metrics: float
) -> OutcomeResult:
    return OutcomeResult(outcome="o", estimate=estimate, lower=lower, upper=upper, metrics=metrics)


# comparison, threshold, estimate, lower, upper, expected
TABLE = [
    (">=", 0.1, 0.32, 0.18, 0.46, MET),  # whole interval above
    (">=", 0.1, 0.3, 0.1, 0.5, MET),  # lower bound exactly on the threshold
    (">=", 0.1, 0.05, -0.02, 0.09, NOT),  # whole interval below
    (">=", 0.1, 0.12, 0.02, 0.22, INC),  # straddles
    (">=", 0.1, 0.08, 0.0, 0.1, INC),  # upper bound on the threshold: straddles
    ("<=", 0.0, -0.06, -0.1, -0.02, MET),
    ("<=", 0.0, -0.05, -0.1, 0.0, MET),  # upper bound exactly on the threshold
    ("<=", 0.0, 0.04, 0.01, 0.07, NOT),
    ("<=", 0.0, -0.01, -0.04, 0.02, INC),
    ("two-sided", 0.0, 0.2, 0.05, 0.35, MET),
    ("two-sided", 0.0, -0.2, -0.35, -0.05, MET),
    ("two-sided", 0.0, 0.02, -0.1, 0.14, INC),
    (">=", 0.75, 0.76, None, None, MET),  # a point metric, no interval
    (">=", 0.75, 0.74, None, None, NOT),
    ("<=", 0.05, 0.05, None, None, MET),
    ("two-sided", 0.0, 0.3, None, None, INC),  # two-sided needs an interval
]


@pytest.mark.parametrize(
    ("comparison", "threshold", "estimate", "lower", "upper", "expected"), TABLE
)
def test_verdict_table(
    comparison: str,
    threshold: float,
    estimate: float | None,
    lower: float | None,
    upper: float | None,
    expected: Verdict,
) -> None:
    verdict, reason = judge(_criterion(comparison, threshold), _result(estimate, lower, upper))
    assert verdict == expected, reason


def test_a_named_metric_is_used_before_the_estimate() -> None:
    result = _result(0.5, 0.4, 0.6, auc=0.71)
    assert judge(_criterion(">=", 0.75, statistic="auc"), result)[0] == NOT
    assert judge(_criterion(">=", 0.35, statistic="g"), result)[0] == MET


def test_no_result_is_inconclusive() -> None:
    verdict, reason = judge(_criterion(">=", 0.1), None)
    assert verdict == INC and "no result" in reason


COMBINED = [
    (Combine.ALL, [MET, MET], MET),
    (Combine.ALL, [MET, INC], INC),
    (Combine.ALL, [MET, NOT], NOT),
    (Combine.ALL, [INC, NOT], NOT),
    (Combine.ANY, [NOT, MET], MET),
    (Combine.ANY, [NOT, INC], INC),
    (Combine.ANY, [NOT, NOT], NOT),
    (Combine.ANY, [INC, MET], MET),
    (Combine.ALL, [], INC),
]


@pytest.mark.parametrize(("how", "verdicts", "expected"), COMBINED)
def test_combined_criteria(how: Combine, verdicts: list[Verdict], expected: Verdict) -> None:
    assert combine(verdicts, how) == expected


def test_assessment_flags_unreported_and_unregistered_outcomes() -> None:
    protocol = parse_content(content())
    results = [
        OutcomeResult(outcome="care-entry", estimate=-0.06, lower=-0.1, upper=-0.02),
        OutcomeResult(outcome="satisfaction", estimate=0.4, lower=0.1, upper=0.7),
    ]
    assessment = assess(protocol, results)
    assert assessment.overall == MET
    assert assessment.unreported == ("proceedings",)
    assert assessment.unregistered == ("satisfaction",)
    assert assessment.sentence.startswith("It worked")


def test_a_bundle_reports_every_problem_at_once() -> None:
    bad = bundle(protocol_version=0, schema="other/2")
    bad["results"][0]["lower"] = 0.5  # above its estimate
    bad["results"].append({"outcome": "care-entry", "estimate": 1})  # repeated
    bad["results"].append({"outcome": "x"})  # neither estimate nor metrics
    with pytest.raises(BundleError) as caught:
        parse_bundle(bad)
    text = " | ".join(caught.value.messages)
    assert "schema" in text and "protocol_version" in text
    assert "within its interval" in text and "estimate or at least one metric" in text
    assert len(caught.value.messages) >= 4


def test_a_good_bundle_parses() -> None:
    parsed = parse_bundle(bundle())
    assert parsed.protocol_version == 1 and len(parsed.results) == 2


def test_an_uploaded_verdict_or_judgement_is_refused_never_taken() -> None:
    """Issue #13, item 1: the verdict is derived from the estimates and the registered
    criteria; a bundle cannot carry one, at the top or per result."""
    forged = bundle(verdict="met", overall_verdict="met")
    forged["results"][0]["judgement"] = "met"
    forged["results"][1]["verdict"] = "met"
    with pytest.raises(BundleError) as caught:
        parse_bundle(forged)
    text = " | ".join(caught.value.messages)
    for where in ("verdict", "overall_verdict", "results.0.judgement", "results.1.verdict"):
        assert f"{where}: Extra inputs are not permitted" in text


@pytest.mark.django_db
def test_the_published_verdict_is_computed_from_the_estimates_and_criteria() -> None:
    from tests.registry.factories import editor, registered_project, researcher
    from whatworks.registry.errors import RegistryError
    from whatworks.registry.models import ResultsReport
    from whatworks.registry.services.results import (
        results_import_bundle,
        results_publish,
        results_save,
    )

    author = researcher()
    project = registered_project(author=author)
    with pytest.raises(RegistryError):
        results_import_bundle(actor=author, project=project, bundle=bundle(verdict="met"))
    version = project.versions.get(number=1)
    with pytest.raises(RegistryError) as caught:
        results_save(
            actor=author,
            project=project,
            protocol_version=version,
            summary="",
            results=[{"outcome": "care-entry", "estimate": 0.2, "judgement": "met"}],
        )
    assert any("judgement" in m for m in caught.value.messages)
    assert not ResultsReport.objects.exists()
    # A risk difference of 0.04 (-0.01 to 0.09) against "<= 0" straddles it: inconclusive,
    # whatever the summary claims.
    claimed = bundle(summary="It worked: met.")
    claimed["results"][0].update(estimate=0.04, lower=-0.01, upper=0.09)
    report = results_import_bundle(actor=author, project=project, bundle=claimed)
    report = results_publish(actor=editor(), report=report)
    assert report.overall_verdict == "inconclusive"
