"""Staff pages for studies and findings, and the RIS import."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.fixturetypes import ClientFor
from whatworks.core.models import AuditEntry
from whatworks.evidence.models import Finding, Study, Synthesis
from whatworks.evidence.ris import parse_ris, ris_preview

from .factories import finding, intervention, study

pytestmark = pytest.mark.django_db


def test_editor_adds_a_study_and_a_finding_and_the_pool_follows(client_for: ClientFor) -> None:
    client = client_for("editor")
    made = intervention(name="Family group conferences")
    url = reverse("evidence:study_create", kwargs={"slug": made.slug})
    response = client.post(
        url,
        {
            "slug": "ashdown-2019",
            "intervention": made.pk,
            "citation": "Ashdown R. Conferences before proceedings. Child Abuse Rev.",
            "year": "2019",
            "design": "rct",
            "country": "England",
            "sample_size": "420",
            "risk_of_bias": "low",
            "doi": "10.1002/car.2567",
            "url": "",
            "registry_ref": "",
        },
    )
    assert response.status_code == 302
    made_study = Study.objects.get(slug="ashdown-2019")
    assert made_study.doi_url == "https://doi.org/10.1002/car.2567"
    page = client.get(made_study.get_absolute_url()).content.decode()
    assert 'href="https://doi.org/10.1002/car.2567"' in page
    response = client.post(
        reverse("evidence:finding_create", kwargs={"slug": made_study.slug}),
        {
            "slug": "ashdown-2019-care",
            "domain": "entering-care",
            "outcome_measure": "Child entered care",
            "time_point": "12 months",
            "measure_type": "RR",
            "n_treatment": "210",
            "n_control": "210",
            "events_treatment": "46",
            "events_control": "58",
            "prespecified": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = Finding.objects.get(slug="ashdown-2019-care")
    assert saved.effect_size == pytest.approx(-0.2318, abs=1e-4)  # ln(46 / 58)
    assert Synthesis.objects.filter(intervention=made, domain="entering-care").exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"evidence.study_created", "evidence.finding_created"} <= actions


def test_finding_form_lists_every_problem_and_saves_nothing(client_for: ClientFor) -> None:
    client = client_for("editor")
    of = study(intervention())
    response = client.post(
        reverse("evidence:finding_create", kwargs={"slug": of.slug}),
        {
            "slug": "bad finding",
            "domain": "parenting",
            "outcome_measure": "",
            "time_point": "6 months",
            "measure_type": "SMD",
            "n_treatment": "50",
            "n_control": "-3",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in body
    assert body.count('class="error-message"') >= 3  # slug, measure, comparison size
    assert not Finding.objects.filter(study=of).exists()
    # Statistics that do not fit the measure: the means are missing for an SMD.
    response = client.post(
        reverse("evidence:finding_create", kwargs={"slug": of.slug}),
        {
            "slug": "no-means",
            "domain": "parenting",
            "outcome_measure": "Scale",
            "time_point": "6 months",
            "measure_type": "SMD",
            "n_treatment": "50",
            "n_control": "50",
        },
    )
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert not Finding.objects.filter(study=of).exists()


def test_editor_edits_a_finding_and_a_study(client_for: ClientFor) -> None:
    client = client_for("editor")
    found = finding(study(intervention(status="draft")))
    form = client.get(reverse("evidence:finding_edit", kwargs={"slug": found.slug}))
    assert form.status_code == 200
    data = {
        "slug": found.slug,
        "domain": found.domain,
        "outcome_measure": "Parenting scale (revised)",
        "time_point": found.time_point,
        "measure_type": "SMD",
        "n_treatment": "50",
        "n_control": "50",
        "mean_treatment": "11",
        "sd_treatment": "2",
        "mean_control": "9",
        "sd_control": "2",
        "higher_is_better": "on",
        "prespecified": "on",
    }
    response = client.post(reverse("evidence:finding_edit", kwargs={"slug": found.slug}), data)
    assert response.status_code == 302
    found.refresh_from_db()
    assert found.outcome_measure == "Parenting scale (revised)" and found.effect_size > 0.9
    response = client.post(
        reverse("evidence:study_edit", kwargs={"slug": found.study.slug}),
        {
            "slug": found.study.slug,
            "intervention": found.study.intervention_id,
            "citation": found.study.citation,
            "year": "2021",
            "design": "rct",
            "country": "England",
            "sample_size": "100",
            "risk_of_bias": "low",
            "doi": "not a doi",
            "url": "",
            "registry_ref": "",
        },
    )
    assert response.status_code == 200 and "Enter a DOI as 10." in response.content.decode()


RIS = """TY  - JOUR
AU  - Ashdown, R
AU  - Okafor, T
TI  - Family group conferences before care proceedings: a randomised trial
JO  - Child Abuse Review
PY  - 2019
DO  - https://doi.org/10.1002/CAR.2567
UR  - https://example.org/ashdown
ER  -

TY  - JOUR
AU  - Lindqvist, A
TI  - Conferences and care entry in Swedish municipalities
PY  - 2014
ER  -

TY  - JOUR
AU  - Newman, P
TI  - A study we do not hold
PY  - 2022
DO  - 10.1000/new.1
ER  -

TY  - JOUR
AU  - Nobody
PY  - last year
DO  - 11.2/bad
ER  -
"""


def test_ris_records_are_read_with_their_problems() -> None:
    records, problems = parse_ris(RIS)
    assert problems == [] and len(records) == 4
    first = records[0]
    assert first.doi == "10.1002/car.2567" and first.year == 2019
    assert first.citation.startswith("Ashdown, R, Okafor, T. Family group conferences")
    assert records[3].problems == (
        "It has no title (TI or T1).",
        "Its year 'last year' is not a year between 1900 and 2099 (PY).",
        "Its DOI '11.2/bad' is not of the form 10.<digits>/<suffix> (DO).",
    )
    assert parse_ris("just text")[1][0].startswith("This is not a RIS file")


def test_ris_matches_by_doi_then_by_title(client_for: ClientFor) -> None:
    made = intervention(name="Family group conferences")
    by_doi = study(made, citation="Ashdown R. Another wording of the title", doi="10.1002/car.2567")
    by_title = study(
        made,
        citation="Lindqvist A, Berg M. Conferences and care entry in Swedish municipalities. "
        "Demonstration data",
    )
    preview = ris_preview(RIS)
    assert [(m.record.number, m.study, m.matched_by) for m in preview.matches] == [
        (1, by_doi, "doi"),
        (2, by_title, "title"),
        (3, None, ""),
        (4, None, ""),
    ]
    assert preview.matches[0].changes == {"url": "https://example.org/ashdown"}
    assert preview.matches[1].changes == {}  # the record has no DOI or address to add
    assert [m.record.number for m in preview.new] == [3]
    assert [m.record.number for m in preview.with_problems] == [4]

    client = client_for("editor")
    upload = SimpleUploadedFile(
        "refs.ris", RIS.encode(), content_type="application/x-research-info-systems"
    )
    page = client.post(
        reverse("evidence:ris_import"),
        {"intervention": made.pk, "file": upload, "action": "preview"},
    )
    body = page.content.decode()
    assert page.status_code == 200 and "Nothing has been saved yet" in body
    assert "Its DOI &#x27;11.2/bad&#x27; is not of the form" in body
    assert "Add this study" in body and "doi=10.1000%2Fnew.1" in body
    by_doi.refresh_from_db()
    assert by_doi.url == ""  # the preview writes nothing
    saved = client.post(
        reverse("evidence:ris_import"),
        {"intervention": made.pk, "text": RIS, "action": "save"},
    )
    assert saved.status_code == 302
    by_doi.refresh_from_db()
    assert by_doi.url == "https://example.org/ashdown"
    assert AuditEntry.objects.filter(action="evidence.study_changed").count() == 1


def test_ris_page_explains_a_file_that_is_not_ris(client_for: ClientFor) -> None:
    client = client_for("editor")
    made = intervention()
    upload = SimpleUploadedFile("refs.csv", b"id,name\n1,x\n")
    page = client.post(reverse("evidence:ris_import"), {"intervention": made.pk, "file": upload})
    body = page.content.decode()
    assert page.status_code == 200 and "There is a problem" in body
    assert "This is not a RIS file" in body
