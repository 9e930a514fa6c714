from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.fixturetypes import ClientFor
from whatworks.core.models import AuditEntry
from whatworks.evidence.models import Intervention, OutcomeRating, RatingChange

from .factories import finding, intervention, rating, study

pytestmark = pytest.mark.django_db


@pytest.fixture
def iy() -> Intervention:
    made = intervention(slug="iy", name="Incredible Years", is_demo=True)
    rating(made, "parenting")
    for n in range(3):
        finding(study(made, citation=f"Trial {n}. A trial"), mean_treatment=10 + n / 2)
    return made


def test_search_page_keeps_state_in_the_url(client: Client, iy: Intervention) -> None:
    page = client.get("/evidence/?q=incred&age=all&cost=2-medium-low").content.decode()
    assert 'value="incred"' in page and "1 intervention matching" in page
    assert 'name="age" value="all" checked' in page
    assert "How big the effect is" in page and "How sure we are" in page


def test_intervention_page_order_and_the_two_ratings_apart(
    client: Client, iy: Intervention
) -> None:
    page = client.get(iy.get_absolute_url()).content.decode()
    summary, outcomes, studies = (
        page.index("A plain-English summary"),
        page.index(">Outcomes<"),
        page.index(">Studies<"),
    )
    assert summary < outcomes < studies
    assert (
        page.count('class="rating rating--size"')
        == page.count('class="rating rating--certainty"')
        == 1
    )
    assert "<svg " in page and "Show the forest plot as a table" in page
    assert "Random effects (REML)" in page and "tau²" in page and "prediction interval" in page
    assert "Demonstration data." in page
    assert "rules version" in page and "Changes to the ratings" in page


def test_study_page(client: Client, iy: Intervention) -> None:
    target = iy.studies.first()
    assert target is not None
    page = client.get(target.get_absolute_url()).content.decode()
    assert "Hedges" in page and "Pre-specified" in page and "Risk of bias" in page


def test_ratings_explained_publishes_both_scales_and_cost_bands(client: Client) -> None:
    page = client.get(reverse("evidence:ratings_explained")).content.decode()
    for text in ("Large benefit", "Possible harm", "Strong", "Very limited", "£10,000 or more"):
        assert text in page


def test_open_data_json(client: Client, iy: Intervention) -> None:
    response = client.get(f"/evidence/data/interventions/{iy.slug}.json")
    data = json.loads(response.content)
    assert response["Content-Type"] == "application/json"
    assert data["id"] == "iy" and data["demonstration_data"] is True
    (outcome,) = data["outcomes"]
    assert outcome["effectiveness"]["value"] == "moderate-benefit"
    assert outcome["strength_of_evidence"]["value"] == "2-limited"
    assert outcome["pooled"][0]["k"] == 3 and set(outcome["pooled"][0]["methods"]) == {
        "FE",
        "DL",
        "REML",
    }
    assert (
        len(data["studies"]) == 3 and data["studies"][0]["findings"][0]["effect_size_type"] == "SMD"
    )


def test_editor_creates_and_edits_an_intervention(client_for: ClientFor) -> None:
    client = client_for("editor")
    form = {
        "slug": "new-one",
        "name": "New one",
        "summary": "S",
        "age_groups": ["5-11", "0-4"],
        "need_levels": ["early-help", "child-in-need"],
        "settings": ["home", "school"],
        "setting": "s",
        "delivery": "d",
        "workforce": "w",
        "cost_band": "1-low",
        "availability": "wide",
        "status": "draft",
    }
    bad = client.post(reverse("evidence:intervention_create"), {**form, "cost_band": ""})
    assert bad.status_code == 200 and "There is a problem" in bad.content.decode()
    assert client.post(reverse("evidence:intervention_create"), form).status_code == 302
    edit = reverse("evidence:intervention_edit", kwargs={"slug": "new-one"})
    assert client.post(edit, {**form, "name": "Renamed"}).status_code == 302
    made = Intervention.objects.get(slug="new-one")
    assert made.name == "Renamed" and made.age_groups == ["0-4", "5-11"]
    assert made.need_levels == ["early-help", "child-in-need"]
    assert made.settings == ["home", "school"]
    page = client.get(edit).content.decode()
    assert 'type="checkbox" name="age_groups" value="5-11"' in page and "<legend" in page
    none = client.post(edit, {**form, "age_groups": []})
    assert none.status_code == 200 and "There is a problem" in none.content.decode()
    shown = client.get(made.get_absolute_url()).content.decode()
    assert "Early years (0 to 4); Primary age (5 to 11)" in shown
    assert "The family home; Schools, nurseries and children" in shown
    assert AuditEntry.objects.filter(action="evidence.intervention_changed").exists()


def test_rating_form_needs_a_note_to_change_a_rating(
    client_for: ClientFor, iy: Intervention
) -> None:
    client = client_for("editor")
    url = reverse("evidence:rating_edit", kwargs={"slug": iy.slug, "domain": "parenting"})
    data = {
        "effectiveness": "large-benefit",
        "effectiveness_reason": "Big.",
        "strength": "2-limited",
        "strength_reason": "Two small trials.",
        "departure_reason": "the trials are small.",
        "note": "",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "a note is required" in response.content.decode()
    response = client.post(url, {**data, "note": "A new meta-analysis."})
    assert response.status_code == 302
    assert OutcomeRating.objects.get(intervention=iy).effectiveness == "large-benefit"
    assert RatingChange.objects.filter(intervention=iy, note="A new meta-analysis.").exists()
    assert (
        client.get(
            reverse("evidence:rating_edit", kwargs={"slug": iy.slug, "domain": "nope"})
        ).status_code
        == 404
    )


def test_import_page_lists_every_problem(client_for: ClientFor) -> None:
    client = client_for("editor")
    upload = SimpleUploadedFile("bad.csv", b"id,name\nBad Id,\n", content_type="text/csv")
    response = client.post(
        reverse("evidence:import"), {"kind": "interventions", "fmt": "csv", "file": upload}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "This column is missing." in page and "nothing was imported" in page


def test_import_page_imports(client_for: ClientFor) -> None:
    client = client_for("editor")
    rows = [
        {
            "id": "x",
            "name": "X",
            "summary": "s",
            "age_group": "all",
            "need_level": "early-help",
            "setting": "s",
            "delivery": "d",
            "workforce": "w",
            "cost_band": "1-low",
            "availability": "wide",
        }
    ]
    upload = SimpleUploadedFile(
        "x.json", json.dumps(rows).encode(), content_type="application/json"
    )
    response = client.post(
        reverse("evidence:import"), {"kind": "interventions", "fmt": "json", "file": upload}
    )
    assert response.status_code == 302 and Intervention.objects.filter(slug="x").exists()


def test_export_downloads(client_for: ClientFor, iy: Intervention) -> None:
    client = client_for("editor")
    response = client.get(reverse("evidence:export", kwargs={"kind": "studies", "fmt": "csv"}))
    assert response["Content-Disposition"] == 'attachment; filename="whatworks-studies.csv"'
    assert response.content.decode().startswith("id,intervention_id,citation")
    assert client.get("/evidence/staff/export/people.csv").status_code == 404


def test_admin_saves_are_audited_and_refresh_derived_data(
    client_for: ClientFor, iy: Intervention
) -> None:
    client = client_for("editor")
    target = iy.studies.first()
    assert target is not None
    fnd = target.findings.first()
    assert fnd is not None
    url = reverse("admin:evidence_finding_change", args=[fnd.pk])
    form = {
        "study": target.pk,
        "slug": fnd.slug,
        "domain": "parenting",
        "outcome_measure": "Scale",
        "time_point": "6 months",
        "measure_type": "SMD",
        "n_treatment": 50,
        "n_control": 50,
        "mean_treatment": 15,
        "sd_treatment": 2,
        "mean_control": 9,
        "sd_control": 2,
        "higher_is_better": "on",
        "prespecified": "on",
        "effect_size": "",
        "se": "",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    fnd.refresh_from_db()
    assert fnd.effect_size is not None and fnd.effect_size > 2.5
    assert AuditEntry.objects.filter(action="finding.changed_in_admin").exists()
    rating_url = reverse("admin:evidence_outcomerating_change", args=[iy.ratings.get().pk])
    change = {
        "effectiveness": "harm",
        "effectiveness_reason": "r",
        "strength": "2-limited",
        "strength_reason": "s",
        "note": "",
    }
    assert client.post(rating_url, change).status_code == 200  # a note is required
    change["departure_reason"] = "the outcome was re-analysed."
    assert client.post(rating_url, {**change, "note": "Re-analysed."}).status_code == 302
    assert RatingChange.objects.filter(note="Re-analysed.").exists()


def test_search_page_offers_a_correction_sorts_and_hides_filters_on_a_phone(
    client: Client, iy: Intervention
) -> None:
    page = client.get("/evidence/?q=incredble").content.decode()
    assert "Did you mean <strong>incredible</strong>?" in page
    assert "1 intervention matching “incredible”" in page and "spell=off" in page
    assert '<details class="evidence-layout__facets filter-disclosure">' in page
    assert '<option value="relevance" selected>' in page
    page = client.get("/evidence/?q=%27").content.decode()
    assert "0 interventions" in page and "Type a word to search for." in page
    page = client.get("/evidence/?sort=cost&age=all").content.decode()
    # Chosen filters keep the disclosure closed (results first on a phone); it counts them.
    assert '<option value="cost" selected>' in page and 'filter-disclosure" open' not in page
    assert "Filter (1 chosen)" in page


def test_study_page_shows_ratios_on_their_natural_scale(client: Client) -> None:
    made = intervention()
    trial = study(made)
    finding(
        trial,
        domain="entering-care",
        measure_type="RR",
        n_treatment=100,
        n_control=100,
        events_treatment=20,
        events_control=25,
        higher_is_better=False,
    )
    page = client.get(trial.get_absolute_url()).content.decode()
    # 20/100 against 25/100: risk ratio 0.80, log -0.223 (hand-computed).
    assert "Risk ratio, from event counts: <strong>0.80</strong>" in page
    assert "log scale -0.223" in page


def test_admin_shows_age_groups_needs_and_settings_as_checkboxes(
    client_for: ClientFor, iy: Intervention
) -> None:
    client = client_for("admin")
    page = client.get(reverse("admin:evidence_intervention_change", args=[iy.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    for name in ("age_groups", "need_levels", "settings"):
        assert f'type="checkbox" name="{name}"' in html
