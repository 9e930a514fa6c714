"""Review for registration: the whole protocol as it will be frozen, before "Register"."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.registry.factories import CONTENT, content, draft_project, registered_project
from whatworks.registry.services.protocols import protocol_draft_save

pytestmark = pytest.mark.django_db


def _review(client: Any, project: Any) -> str:
    client.force_login(project.team.get())
    response = client.get(reverse("registry:protocol_register", args=[project.reference]))
    assert response.status_code == 200
    return str(response.content.decode())


def test_the_review_shows_everything_that_will_be_frozen_and_its_hash(client: Any) -> None:
    project = draft_project()
    page = _review(client, project)
    assert "Review for registration" in page
    for section in (
        "background",
        "design",
        "participants_and_sites",
        "intervention",
        "comparison",
        "sample_size",
        "analysis_plan",
        "ethics_and_data_protection",
        "timeline",
    ):
        assert CONTENT[section] in page, section
    assert "Does it keep children safely at home?" in page
    assert "Became looked after" in page
    assert "at or below 0; not met when the whole interval is above 0" in page
    client.post(reverse("registry:protocol_register", args=[project.reference]), {})
    version = project.versions.get()
    # The fingerprint promised on the review page is the one the version got.
    assert version.sha256 in page
    assert 'type="submit" class="button">Register</button>' in page


def test_an_amendment_review_shows_the_diff(client: Any) -> None:
    project = registered_project()
    changed = content()
    changed["sample_size"] = "540 children."
    protocol_draft_save(actor=project.team.get(), project=project, content=changed)
    page = _review(client, project)
    assert "Changes from v1" in page and "540 children." in page  # the frozen text
    diff = page.split("Changes from v1")[1].split("The protocol as it will be registered")[0]
    assert "Sample size" in diff and "620" in diff and "540" in diff
    assert "Register the amendment" in page


def test_no_register_button_while_the_draft_is_not_ready(client: Any) -> None:
    project = draft_project(data=content(design="", outcomes=[], success_criteria={}))
    page = _review(client, project)
    assert "The draft is not ready to register" in page and "Describe the design." in page
    assert ">Register</button>" not in page
    unchanged = registered_project()
    page = _review(client, unchanged)
    assert "nothing to amend" in page and "Register the amendment</button>" not in page
