"""Plain headlines of pooled results, against hand-computed figures."""

from __future__ import annotations

import pytest
from django.test import Client

from whatworks.evidence.headline import headline
from whatworks.evidence.models import Finding
from whatworks.evidence.selectors import intervention_detail

from .factories import finding, intervention, study


def events_finding(
    events_control: int, n_control: int, measure: str = "Child entered care"
) -> Finding:
    return Finding(
        outcome_measure=measure, events_control=events_control, n_control=n_control, n_treatment=1
    )


def test_risk_ratio_headline_by_hand() -> None:
    # Baseline 25 of 100 = 0.25; 0.25 x 0.88 = 0.22; interval 0.25 x 0.53 = 0.1325 -> 13,
    # 0.25 x 1.45 = 0.3625 -> 36.  The interval includes 1: this could be no effect.
    plain = headline(
        measure="RR",
        domain="entering-care",
        higher_is_better=False,
        estimate=0.88,
        ci_low=0.53,
        ci_high=1.45,
        findings=[events_finding(25, 100)],
    )
    assert plain.sentence == (
        "Child entered care: about 22 in 100 with the intervention, compared with 25 in 100 "
        "without it."
    )
    assert plain.interval == "The 95% confidence interval is 13 to 36 in 100."
    assert plain.could_be_none
    assert "25 of 100" in plain.basis


def test_odds_ratio_headline_pools_the_comparison_groups() -> None:
    # Baseline (30 + 20) / (100 + 100) = 0.25, odds 1/3; OR 0.5 -> odds 1/6 -> risk 1/7
    # = 14.3 in 100.  Interval 0.3 to 0.8 excludes 1.
    plain = headline(
        measure="OR",
        domain="entering-care",
        higher_is_better=False,
        estimate=0.5,
        ci_low=0.3,
        ci_high=0.8,
        findings=[events_finding(30, 100, "Entered care"), events_finding(20, 100, "In care")],
    )
    assert plain.sentence.startswith("Children entering care: about 14 in 100 ")
    assert "compared with 25 in 100" in plain.sentence
    assert not plain.could_be_none


def test_rare_events_are_given_per_thousand() -> None:
    plain = headline(
        measure="RR",
        domain="child-safety",
        higher_is_better=False,
        estimate=0.5,
        ci_low=0.25,
        ci_high=0.9,
        findings=[events_finding(20, 1000, "Serious injury")],
    )
    assert "about 10 in 1,000 with the intervention, compared with 20 in 1,000" in plain.sentence


def test_standardised_effect_as_cohens_u3() -> None:
    # Phi(0.5) = 0.6915 -> 69; Phi(0.2) = 0.5793 -> 58; Phi(0.8) = 0.7881 -> 79.
    plain = headline(
        measure="SMD",
        domain="parenting",
        higher_is_better=True,
        estimate=0.5,
        ci_low=0.2,
        ci_high=0.8,
        findings=[Finding(outcome_measure="Parenting scale", n_control=50, n_treatment=50)],
    )
    assert plain.sentence == (
        "Parenting scale: the average child or family with the intervention did better than "
        "about 69 in 100 of those without it."
    )
    assert plain.interval == "The 95% confidence interval is 58 to 79 in 100."
    assert not plain.could_be_none
    # Lower is better: g = -0.5 is the same benefit; an interval across 0 could be none.
    lower = headline(
        measure="SMD",
        domain="child-behaviour",
        higher_is_better=False,
        estimate=-0.5,
        ci_low=-0.9,
        ci_high=0.1,
        findings=[],
    )
    assert "about 69 in 100" in lower.sentence and lower.could_be_none


@pytest.mark.django_db
def test_the_intervention_page_gives_the_headline_from_the_pooled_studies(client: Client) -> None:
    made = intervention(name="Headline test")
    for _ in range(2):  # two identical studies: pooled risk ratio 22/25 = 0.88
        finding(
            study(made),
            domain="entering-care",
            outcome_measure="Child entered care",
            measure_type="RR",
            events_treatment=22,
            n_treatment=100,
            events_control=25,
            n_control=100,
            mean_treatment=None,
            sd_treatment=None,
            mean_control=None,
            sd_control=None,
            higher_is_better=False,
        )
    (outcome,) = intervention_detail(intervention=made).outcomes
    (view,) = outcome.syntheses
    assert view.headline.estimate == pytest.approx(0.88)
    assert view.plain is not None and view.plain.sentence == (
        "Child entered care: about 22 in 100 with the intervention, compared with 25 in 100 "
        "without it."
    )
    page = client.get(made.get_absolute_url()).content.decode()
    assert "about 22 in 100 with the intervention, compared with 25 in 100" in page
    assert view.plain.interval in page
    assert ("This could be no effect" in page) == view.plain.could_be_none
