"""A project's status follows from facts: "results reported" only with published results;
withdrawing a project with published results keeps them public on the tombstone."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.urls import reverse

from tests.registry.factories import editor, project_with_results, registered_project
from whatworks.core.models import AuditEntry
from whatworks.registry.errors import RegistryError
from whatworks.registry.forms import ProjectForm
from whatworks.registry.models import Project, ProjectStatus
from whatworks.registry.services.projects import project_update, project_withdraw

pytestmark = pytest.mark.django_db


def _update(project: Project, status: str) -> Project:
    return project_update(
        actor=project.team.first(),
        project=project,
        title=project.title,
        summary=project.summary,
        status=status,
        study_type=project.study_type,
        topic=project.topic,
        partner_sites=[],
        team=list(project.team.all()),
    )


def test_results_reported_needs_published_results() -> None:
    project = registered_project()
    with pytest.raises(RegistryError, match="once an editor publishes its results"):
        _update(project, ProjectStatus.REPORTED)
    project.refresh_from_db()
    assert project.status == ProjectStatus.SETTING_UP
    # Draft results are not enough.
    unpublished = project_with_results(publish_results=False)
    with pytest.raises(RegistryError, match="once an editor publishes"):
        _update(unpublished, ProjectStatus.REPORTED)


def test_a_project_with_published_results_stays_reported() -> None:
    project = project_with_results()
    assert project.status == ProjectStatus.REPORTED
    with pytest.raises(RegistryError, match="stays “Results reported”"):
        _update(project, ProjectStatus.ANALYSING)
    _update(project, ProjectStatus.REPORTED)  # and editing its details still works


def _statuses(form: ProjectForm) -> list[object]:
    """The statuses the form's status field offers."""
    field = form.fields["status"]
    assert isinstance(field, forms.ChoiceField) and isinstance(field.choices, list)
    return [value for value, _label in field.choices]


def test_the_form_offers_only_the_statuses_the_facts_allow() -> None:
    without = _statuses(ProjectForm(has_results=False))
    with_results = _statuses(ProjectForm(has_results=True))
    assert ProjectStatus.REPORTED not in without
    assert with_results == [ProjectStatus.REPORTED]


def test_withdrawing_a_project_with_published_results_needs_the_acknowledgement() -> None:
    project = project_with_results()
    with pytest.raises(RegistryError) as caught:
        project_withdraw(actor=editor(), project=project, reason="  ")
    # Both problems at once.
    assert len(caught.value.messages) == 2
    with pytest.raises(RegistryError, match="stay public on the tombstone"):
        project_withdraw(actor=editor(), project=project, reason="The partner left.")
    project.refresh_from_db()
    assert project.withdrawn_at is None
    project_withdraw(actor=editor(), project=project, reason="The partner left.", keep_results=True)
    project.refresh_from_db()
    assert project.status == ProjectStatus.WITHDRAWN
    entry = AuditEntry.objects.get(action="registry.project_withdrawn")
    assert entry.changes["published_results_kept"] is True


def test_the_tombstone_keeps_the_results_public(client: Any) -> None:
    project = project_with_results()
    project_withdraw(actor=editor(), project=project, reason="The partner left.", keep_results=True)
    page = client.get(project.get_absolute_url()).content.decode()
    assert "Withdrawn on" in page and "The partner left." in page
    report = project.results_reports.get()
    assert report.get_absolute_url() in page
    assert client.get(report.get_absolute_url()).status_code == 200
    data = client.get(reverse("registry:results_json", args=[project.reference])).json()
    assert data["overall_verdict"] == "met"


def test_the_withdraw_page_warns_and_asks(client: Any) -> None:
    project = project_with_results()
    client.force_login(editor())
    url = reverse("registry:project_withdraw", args=[project.reference])
    page = client.get(url).content.decode()
    assert "This project has published results" in page and 'name="keep_results"' in page
    response = client.post(url, {"reason": "The partner left."})
    assert response.status_code == 200
    assert "Confirm that you understand" in response.content.decode()
    project.refresh_from_db()
    assert project.withdrawn_at is None
    response = client.post(url, {"reason": "The partner left.", "keep_results": "on"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.is_withdrawn


def test_the_withdraw_page_does_not_ask_without_results(client: Any) -> None:
    project = registered_project()
    client.force_login(editor())
    url = reverse("registry:project_withdraw", args=[project.reference])
    assert 'name="keep_results"' not in client.get(url).content.decode()
    assert client.post(url, {"reason": "Stopped."}).status_code == 302
