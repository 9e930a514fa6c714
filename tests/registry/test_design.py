"""The structured design: frozen and hashed with the version, old hashes unchanged, its
contradictions refused on the form and in the service, and diffed between versions."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.urls import reverse

from tests.registry.factories import CONTENT, content, draft_project, registered_project
from tests.registry.test_protocol_form import _as_submitted
from whatworks.registry.diffs import diff_content
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import StudyType
from whatworks.registry.protocol import ProtocolContentError, content_sha256, parse_content
from whatworks.registry.services.protocols import protocol_draft_save, protocol_register

#: The content versions were registered with before the design existed, and its SHA-256
#: as registered then (the same canonical JSON, so the same hash forever).
OLD = {k: v for k, v in CONTENT.items() if k != "study_design"}
OLD_SHA256 = "95ad35e1d92bee27a2eb346b37a4e996b807205c53bf33b930549e9512e23059"


def test_a_version_registered_before_the_design_keeps_its_json_and_hash() -> None:
    assert content_sha256(OLD) == OLD_SHA256
    again = parse_content(OLD).as_json()
    assert again == OLD
    assert "study_design" not in again and "attachments" not in again
    assert content_sha256(again) == OLD_SHA256


def test_the_design_leaves_out_what_is_not_given() -> None:
    data = parse_content(
        content(study_design={"arms": [{"name": "A"}, {"name": "B"}], "planned_sample_size": 80})
    ).as_json()
    assert data["study_design"] == {
        "arms": [{"name": "A"}, {"name": "B"}],
        "planned_sample_size": 80,
    }
    # An empty design is no design at all.
    assert "study_design" not in parse_content(content(study_design={})).as_json()


def test_the_design_is_part_of_the_hash() -> None:
    one = parse_content(content()).as_json()
    changed = copy.deepcopy(CONTENT)
    changed["study_design"]["allocation_ratio"] = "2:1"
    assert content_sha256(one) != content_sha256(parse_content(changed).as_json())


@pytest.mark.parametrize(
    ("design", "message"),
    [
        (
            {"arms": [{"name": "A"}, {"name": "B"}], "allocation_ratio": "1:1:1"},
            "has 3 parts but the design has 2 arms",
        ),
        ({"allocation_ratio": "one to one"}, "whole numbers joined by colons"),
        (
            {
                "arms": [{"name": "A", "planned_n": 10}, {"name": "B", "planned_n": 20}],
                "planned_sample_size": 25,
            },
            "add up to 30, not to the planned sample size of 25",
        ),
        (
            {"randomisation_unit": "not-randomised", "allocation_ratio": "1:1"},
            "not randomised has no allocation ratio",
        ),
        ({"arms": [{"name": "Usual practice"}, {"name": "usual practice"}]}, "its own name"),
        ({"randomisation_unit": "coin"}, "randomisation_unit"),
        ({"arms": [{"name": "A", "planned_n": 0}]}, "planned_n"),
    ],
)
def test_contradictions_in_the_design_are_refused(design: dict[str, Any], message: str) -> None:
    with pytest.raises(ProtocolContentError) as caught:
        parse_content(content(study_design=design))
    assert message in " ".join(caught.value.messages)


@pytest.mark.django_db
def test_a_randomised_trial_states_its_design_before_registration() -> None:
    project = draft_project(data=OLD)
    with pytest.raises(RegistryError) as caught:
        protocol_register(actor=project.team.get(), project=project)
    messages = " ".join(caught.value.messages)
    for words in (
        "arms",
        "unit of randomisation",
        "method",
        "allocation ratio",
        "planned sample size",
    ):
        assert words in messages
    assert not project.versions.exists()


@pytest.mark.django_db
def test_other_designs_need_no_arms() -> None:
    project = draft_project(data=OLD, study_type=StudyType.QUALITATIVE)
    version = protocol_register(actor=project.team.get(), project=project)
    assert "study_design" not in version.content


@pytest.mark.django_db
def test_the_registered_version_freezes_the_design() -> None:
    project = registered_project()
    version = project.versions.get()
    assert version.content["study_design"]["arms"][0] == {
        "name": "Family group conference",
        "planned_n": 310,
    }
    assert version.sha256 == content_sha256(version.content)


def test_the_diff_highlights_changed_arms_and_names_design_fields() -> None:
    before = parse_content(content()).as_json()
    after = copy.deepcopy(before)
    after["study_design"]["arms"][1]["name"] = "Enhanced usual practice"
    after["study_design"]["sites"] = ["Dunmere"]
    rows = {row.label: row for row in diff_content(before, after)}
    assert rows["Arm “Usual practice”"].change == "removed"
    assert rows["Arm “Enhanced usual practice”"].highlighted
    assert rows["Arm “Enhanced usual practice”"].flag == "Arms changed"
    assert rows["Design: sites"].after == "1. Dunmere"
    assert not rows["Design: sites"].highlighted


# --- the draft form ----------------------------------------------------------------------


def _url(project: Any) -> str:
    return reverse("registry:protocol_edit", args=[project.reference])


@pytest.mark.django_db
def test_the_form_saves_the_design_and_ignores_the_blank_arm(client: Any) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    data = _as_submitted(client.get(_url(project)).content.decode())
    data.update(
        {
            "arms-2-name": "",  # the blank extra row
            "design-blinded": ["outcome-assessors", "participants"],
            "design-sites": "Brackley\n\nDunmere\nbrackley",
            "design-setting": "Pre-proceedings",
        }
    )
    assert client.post(_url(project), data).status_code == 302
    project.refresh_from_db()
    design = project.draft_content["study_design"]
    assert [a["name"] for a in design["arms"]] == ["Family group conference", "Usual practice"]
    assert design["blinded"] == ["participants", "outcome-assessors"]  # in the form's order
    assert design["sites"] == ["Brackley", "Dunmere"]
    # And it saves again unchanged, ticked boxes and all.
    before = project.draft_content
    page = client.get(_url(project)).content.decode()
    assert "Arm 3 (new)" in page
    assert client.post(_url(project), _as_submitted(page)).status_code == 302
    project.refresh_from_db()
    assert project.draft_content == before


@pytest.mark.django_db
def test_an_arm_is_removed(client: Any) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    data = _as_submitted(client.get(_url(project)).content.decode())
    data.update(
        {"arms-1-DELETE": "on", "design-allocation_ratio": "", "design-planned_sample_size": "310"}
    )
    assert client.post(_url(project), data).status_code == 302
    project.refresh_from_db()
    assert [a["name"] for a in project.draft_content["study_design"]["arms"]] == [
        "Family group conference"
    ]


@pytest.mark.django_db
def test_the_form_shows_every_design_problem_on_its_field(client: Any) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    data = _as_submitted(client.get(_url(project)).content.decode())
    data.update(
        {
            "design-allocation_ratio": "2:1:1",
            "design-planned_sample_size": "600",
            "arms-1-planned_n": "-3",
        }
    )
    page = client.post(_url(project), data).content.decode()
    assert "Arm 2, planned number: Ensure this value is greater than or equal to 1." in page
    data["arms-1-planned_n"] = "310"
    page = client.post(_url(project), data).content.decode()
    summary = page.split("error-summary__list")[1].split("</ul>")[0]
    assert "has 3 parts but the design has 2 arms" in summary
    assert "add up to 620, not to the planned sample size of 600" in summary
    assert 'href="#id_design-allocation_ratio"' in summary
    assert 'href="#id_design-planned_sample_size"' in summary
    project.refresh_from_db()
    assert project.draft_content["study_design"]["allocation_ratio"] == "1:1"  # nothing stored


@pytest.mark.django_db
def test_the_service_refuses_a_contradictory_design_too() -> None:
    project = draft_project()
    with pytest.raises(RegistryError, match="has 3 parts"):
        protocol_draft_save(
            actor=project.team.get(),
            project=project,
            content=content(study_design={**CONTENT["study_design"], "allocation_ratio": "1:1:1"}),
        )


@pytest.mark.django_db
def test_the_review_and_version_pages_show_the_design(client: Any) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    page = client.get(
        reverse("registry:protocol_register", args=[project.reference])
    ).content.decode()
    assert "Design in detail" in page and "Families or households" in page and "1:1" in page
    protocol_register(actor=project.team.get(), project=project)
    page = client.get(reverse("registry:version", args=[project.reference, 1])).content.decode()
    assert "Usual practice" in page and "620" in page and "No one (an open study)" in page
