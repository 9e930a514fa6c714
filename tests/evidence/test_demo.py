from __future__ import annotations

import io

import pytest

from whatworks.evidence import demo
from whatworks.evidence.models import Finding, Intervention, Study, Synthesis

pytestmark = pytest.mark.django_db


def test_demo_content_loads_once_and_is_labelled() -> None:
    demo.load(stdout=io.StringIO())
    counts = (Intervention.objects.count(), Study.objects.count(), Finding.objects.count())
    assert counts[0] >= 12
    names = " ".join(Intervention.objects.values_list("name", flat=True)).lower()
    for expected in (
        "family group conferences",
        "signs of safety",
        "multisystemic therapy",
        "family drug and alcohol courts",
        "parenting programme",
        "schwartz rounds",
    ):
        assert expected in names
    assert not Intervention.objects.filter(is_demo=False).exists()
    assert not Study.objects.exclude(citation__contains="Demonstration data").exists()
    assert Synthesis.objects.filter(k__gte=3).exists()
    demo.load(stdout=io.StringIO())
    assert (Intervention.objects.count(), Study.objects.count(), Finding.objects.count()) == counts


def test_demo_ratings_follow_the_rules_or_say_why() -> None:
    from whatworks.evidence.models import OutcomeRating
    from whatworks.evidence.search import SearchQuery, evidence_search
    from whatworks.evidence.selectors import rating_departures

    demo.load(stdout=io.StringIO())
    departures = rating_departures()
    assert departures and all(d.rating.departure_reason for d in departures)
    assert not any(d.needs_review for d in departures)
    fnp = OutcomeRating.objects.get(intervention__slug="family-nurse-partnership")
    assert fnp.strength == "3-moderate"  # one trial is never strong
    safe = OutcomeRating.objects.get(intervention__slug="safe-and-together")
    assert safe.effectiveness == "moderate-benefit"  # a pooled risk ratio of 0.68
    query = SearchQuery(filters={"domain": ("entering-care",), "effectiveness": ("small-benefit",)})
    names = [i.name for i in evidence_search(query=query).interventions]
    assert "Multisystemic therapy" not in names and "Family group conferences" in names


def test_demo_interventions_have_several_age_groups_needs_and_settings() -> None:
    from whatworks.evidence.search import SearchQuery, evidence_search

    demo.load(stdout=io.StringIO())
    iy = Intervention.objects.get(slug="incredible-years-parenting")
    assert iy.age_groups == ["0-4", "5-11"] and iy.need_levels == ["early-help", "child-in-need"]
    assert iy.settings == ["school", "community"]
    assert not Intervention.objects.filter(settings=[]).exists()
    in_court = evidence_search(query=SearchQuery(filters={"setting": ("court",)}))
    assert [i.slug for i in in_court.interventions] == ["family-drug-and-alcohol-court"]
    # A demo made before (one age group, no settings) gets the demo's lists on the next load.
    Intervention.objects.filter(pk=iy.pk).update(age_groups=["0-4"], settings=[])
    demo.load(stdout=io.StringIO())
    iy.refresh_from_db()
    assert iy.age_groups == ["0-4", "5-11"] and iy.settings == ["school", "community"]
