"""The rating rules as code: thresholds, strength, departures, the form, the page, the command.

Hand-computed cases: a pooled risk ratio of 0.68 for something to avoid is between 0.6 and
0.85, so moderate; ln(0.68) = -0.3857.  A wanted outcome with a risk ratio of 1.42 turns to
1 / 1.42 = 0.704, also moderate.
"""

from __future__ import annotations

import math
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.fixturetypes import ClientFor
from whatworks.evidence import rules
from whatworks.evidence.errors import EvidenceError
from whatworks.evidence.models import Intervention, OutcomeRating
from whatworks.evidence.rules import PooledEstimate, StudyFacts
from whatworks.evidence.scales import EFFECTIVENESS_SCALE, STRENGTH_SCALE
from whatworks.evidence.services import store

from .factories import finding, intervention, study

pytestmark = pytest.mark.django_db


def rr(
    ratio: float, *, higher_is_better: bool = False, k: int = 2, i2: float = 0.0
) -> PooledEstimate:
    return PooledEstimate("RR", math.log(ratio), higher_is_better, k, i2)


def smd(g: float, *, higher_is_better: bool = True) -> PooledEstimate:
    return PooledEstimate("SMD", g, higher_is_better, 2, 0.0)


@pytest.mark.parametrize(
    ("pooled", "expected"),
    [
        (rr(0.68), "moderate-benefit"),  # the demo's Safe and Together, once rated "small"
        (rr(0.6), "large-benefit"),
        (rr(0.85), "moderate-benefit"),
        (rr(0.873), "small-benefit"),
        (rr(0.96), "no-difference"),
        (rr(1.011), "no-difference"),
        (rr(1.2), "harm"),
        (rr(1.42, higher_is_better=True), "moderate-benefit"),  # 1 / 1.42 = 0.704
        (rr(0.7, higher_is_better=True), "harm"),
        (smd(0.5), "large-benefit"),
        (smd(0.462), "moderate-benefit"),
        (smd(-0.375, higher_is_better=False), "moderate-benefit"),
        (smd(0.1), "small-benefit"),
        (smd(0.03), "no-difference"),
        (smd(-0.3), "harm"),
    ],
)
def test_effectiveness_follows_the_published_thresholds(
    pooled: PooledEstimate, expected: str
) -> None:
    assert rules.effectiveness_for(pooled)[0] == expected


def test_no_pooled_estimate_or_a_generic_scale_gets_no_size() -> None:
    assert rules.effectiveness_for(None)[0] == ""
    assert rules.effectiveness_for(PooledEstimate("GENERIC", 0.3, True, 2, 0))[0] == ""


def test_the_headline_is_the_pooled_result_with_most_studies() -> None:
    small, big = rr(0.9, k=1), smd(0.6)
    assert rules.headline_estimate([small, big]) is big


def uk_trial(n: int = 300, **overrides: str) -> StudyFacts:
    values = {"design": "rct", "risk_of_bias": "low", "country": "England", **overrides}
    return StudyFacts(values["design"], values["risk_of_bias"], values["country"], n)


@pytest.mark.parametrize(
    ("studies", "i2", "expected"),
    [
        ([uk_trial(1600)], 0, "3-moderate"),  # one trial is never strong (the demo's FNP)
        ([uk_trial(), uk_trial()], 10, "4-strong"),
        ([uk_trial(), uk_trial()], 60, "3-moderate"),  # inconsistent
        ([uk_trial(150), uk_trial(200)], 0, "3-moderate"),  # 350 children, fewer than 400
        ([uk_trial(country="Sweden"), uk_trial(country="USA")], 0, "3-moderate"),  # not UK
        ([uk_trial(design="quasi-experimental")] * 2, 0, "3-moderate"),
        ([uk_trial(risk_of_bias="some-concerns")] * 2, 0, "2-limited"),
        ([uk_trial(design="cohort", risk_of_bias="some-concerns")], 0, "2-limited"),
        ([uk_trial(design="before-after")], 0, "1-very-limited"),
        ([uk_trial(risk_of_bias="high")], 0, "1-very-limited"),
        ([], 0, "1-very-limited"),
    ],
)
def test_strength_follows_the_published_rules(
    studies: list[StudyFacts], i2: float, expected: str
) -> None:
    pooled = rr(0.8, k=max(1, len(studies)), i2=i2)
    assert rules.strength_for(studies, pooled)[0] == expected


def test_departures_say_which_way() -> None:
    given = rules.rules_rating(pooled=[rr(0.68)], studies=[uk_trial(1600)])
    assert (given.effectiveness, given.strength) == ("moderate-benefit", "3-moderate")
    away = rules.departure(effectiveness="small-benefit", strength="4-strong", rules=given)
    assert (away.effectiveness, away.strength) == ("below", "above")
    assert not rules.departure(effectiveness="moderate-benefit", strength="3-moderate", rules=given)


def test_ratings_explained_is_rendered_from_the_rules(client: Client) -> None:
    page = client.get(reverse("evidence:ratings_explained")).content.decode()
    assert f"version {rules.RULES_VERSION}" in page
    for step in (*EFFECTIVENESS_SCALE, *STRENGTH_SCALE):
        assert str(step.definition).replace("'", "&#x27;") in page
    assert f"at least {rules.STRONG_MIN_CHILDREN} children" in page
    assert "a risk or odds ratio of 0.6 or less" in page


@pytest.fixture
def pooled_rr() -> Intervention:
    """An intervention whose two UK trials pool to a risk ratio near 0.68 for entering care."""
    made = intervention(slug="pooled", name="Pooled")
    for n in range(2):
        finding(
            study(made, citation=f"Trial {n}. A trial", sample_size=400),
            domain="entering-care",
            measure_type="RR",
            n_treatment=200,
            n_control=200,
            events_treatment=34,
            events_control=50,
            higher_is_better=False,
            mean_treatment=None,
            sd_treatment=None,
            mean_control=None,
            sd_control=None,
        )
    return made


def _rate(made: Intervention, **overrides: str) -> OutcomeRating:
    data = {
        "effectiveness": "small-benefit",
        "effectiveness_reason": "Slightly fewer entered care.",
        "strength": "4-strong",
        "strength_reason": "Two UK trials.",
        **overrides,
    }
    return store.rating_set(actor=None, intervention=made, domain="entering-care", **data)


def test_a_rating_that_departs_needs_a_reason_and_is_marked_on_the_page(
    client: Client, pooled_rr: Intervention
) -> None:
    with pytest.raises(EvidenceError, match="departs from the rating rules"):
        _rate(pooled_rr)
    assert not OutcomeRating.objects.exists()
    saved = _rate(pooled_rr, departure_reason="the larger trial found a smaller effect.")
    assert (saved.rules_effectiveness, saved.rules_strength) == ("moderate-benefit", "4-strong")
    page = client.get(pooled_rr.get_absolute_url()).content.decode()
    assert "This rating departs from our rating rules" in page
    assert "rated below the rules, which give Moderate benefit" in page
    assert "Rated below the rules because the larger trial found a smaller effect." in page


def test_a_rating_that_follows_the_rules_needs_no_reason_and_is_not_marked(
    client: Client, pooled_rr: Intervention
) -> None:
    saved = _rate(pooled_rr, effectiveness="moderate-benefit", departure_reason="ignored")
    assert saved.departure_reason == ""
    page = client.get(pooled_rr.get_absolute_url()).content.decode()
    assert "departs from our rating rules" not in page


def test_the_rating_form_shows_the_pooled_result_and_the_rules(
    client_for: ClientFor, pooled_rr: Intervention
) -> None:
    client = client_for("editor")
    url = reverse(
        "evidence:rating_edit", kwargs={"slug": pooled_rr.slug, "domain": "entering-care"}
    )
    page = client.get(url).content.decode()
    assert "Pooled risk ratio from 2 studies" in page and "<strong>0.68</strong>" in page
    assert "How big, by the rules" in page and "<strong>Moderate benefit</strong>" in page
    assert '<option value="moderate-benefit" selected>' in page  # a first rating starts there
    data = {
        "effectiveness": "small-benefit",
        "effectiveness_reason": "Slightly fewer.",
        "strength": "4-strong",
        "strength_reason": "Two trials.",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Your rating differs from what the rules give" in response.content.decode()
    response = client.post(url, {**data, "departure_reason": "the trials differ."})
    assert response.status_code == 302
    assert OutcomeRating.objects.get().departure_reason == "the trials differ."


def test_the_command_lists_every_current_departure(pooled_rr: Intervention) -> None:
    out = StringIO()
    call_command("evidence_rating_departures", stdout=out)
    assert out.getvalue().strip() == "No rating departs from the rules."
    _rate(pooled_rr, departure_reason="the larger trial found a smaller effect.")
    other = intervention(slug="by-hand")
    store.rating_set(
        actor=None,
        intervention=other,
        domain="parenting",
        effectiveness="large-benefit",
        effectiveness_reason="Big.",
        strength="2-limited",
        strength_reason="Small trials.",
        departure_reason="the findings are not entered yet.",
    )
    out = StringIO()
    call_command("evidence_rating_departures", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("by-hand / parenting: how big large-benefit (the rules cannot")
    assert lines[1] == (
        "pooled / entering-care: how big small-benefit, below the rules (moderate-benefit); "
        "because the larger trial found a smaller effect."
    )
    assert lines[-1] == "2 rating(s) depart from the rules."
    # New evidence changes what the rules give: the departure now needs review.
    finding(
        study(pooled_rr, citation="Trial 3. A trial", design="before-after"),
        domain="entering-care",
        measure_type="RR",
        n_treatment=200,
        n_control=200,
        events_treatment=90,
        events_control=50,
        higher_is_better=False,
        mean_treatment=None,
        sd_treatment=None,
        mean_control=None,
        sd_control=None,
    )
    out = StringIO()
    call_command("evidence_rating_departures", "--needs-review", stdout=out)
    assert (
        out.getvalue().startswith("pooled / entering-care:") and "[needs review]" in out.getvalue()
    )


def test_outcome_facets_match_within_one_outcome() -> None:
    from whatworks.evidence.search import SearchQuery, evidence_search

    mst = intervention(name="Multisystemic therapy")
    for domain, effectiveness in (
        ("entering-care", "no-difference"),
        ("offending", "small-benefit"),
    ):
        store.rating_set(
            actor=None,
            intervention=mst,
            domain=domain,
            effectiveness=effectiveness,
            effectiveness_reason="r",
            strength="3-moderate",
            strength_reason="s",
            departure_reason="test.",
        )
    fgc = intervention(name="Family group conferences")
    store.rating_set(
        actor=None,
        intervention=fgc,
        domain="entering-care",
        effectiveness="small-benefit",
        effectiveness_reason="r",
        strength="2-limited",
        strength_reason="s",
        departure_reason="test.",
    )
    query = SearchQuery(filters={"domain": ("entering-care",), "effectiveness": ("small-benefit",)})
    results = evidence_search(query=query)
    assert [i.name for i in results.interventions] == ["Family group conferences"]
    counts = {f.key: {v.value: v.count for v in f.values} for f in results.facets}
    # With "small benefit" chosen, the outcome counts are of small-benefit outcomes only.
    assert counts["domain"] == {"entering-care": 1, "offending": 1}
    assert counts["effectiveness"] == {"small-benefit": 1, "no-difference": 1}
    both = SearchQuery(filters={"domain": ("offending",), "strength": ("3-moderate",)})
    assert [i.name for i in evidence_search(query=both).interventions] == ["Multisystemic therapy"]
