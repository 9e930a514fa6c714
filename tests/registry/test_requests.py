"""Requests to publish or withdraw: the team asks, editors decide with a reason, the team is
told by e-mail and on the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from tests.registry.factories import (
    draft_project,
    editor,
    project_with_results,
    registered_project,
    researcher,
)
from whatworks.core.errors import PermissionDeniedError
from whatworks.core.models import AuditEntry
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import Project, ProjectRequest
from whatworks.registry.services.requests import project_request_create, project_request_decide

pytestmark = pytest.mark.django_db


def _ask(project: Project, kind: str = "publish", reason: str = "") -> ProjectRequest:
    return project_request_create(
        actor=project.team.get(), project=project, kind=kind, reason=reason
    )


def test_the_team_asks_and_an_editor_publishes(
    client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project = registered_project(published=False)
    request = _ask(project)
    assert request.status == ProjectRequest.Status.PENDING
    assert AuditEntry.objects.filter(action="registry.request_made").exists()
    with pytest.raises(RegistryError, match="already waiting"):
        _ask(project)
    boss = editor()
    client.force_login(boss)
    queue = client.get(reverse("registry:requests")).content.decode()
    assert project.reference in queue and request.get_absolute_url() in queue
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            request.get_absolute_url(),
            {"decision": "accept", "reason": "The protocol is complete."},
        )
    assert response.status_code == 302
    project.refresh_from_db()
    request.refresh_from_db()
    assert project.published_at is not None
    assert (request.status, request.decided_by) == (ProjectRequest.Status.ACCEPTED, boss)
    entry = AuditEntry.objects.get(action="registry.request_decided")
    assert entry.changes["status"] == "accepted"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [project.team.get().email]
    assert "accepted" in message.subject and "The protocol is complete." in message.body
    # ... and on the page, for the team.
    client.force_login(project.team.get())
    page = client.get(project.get_absolute_url()).content.decode()
    assert "accepted on" in page and "The protocol is complete." in page


def test_an_editor_declines_and_nothing_changes(django_capture_on_commit_callbacks: Any) -> None:
    project = registered_project(published=False)
    request = _ask(project)
    with pytest.raises(RegistryError, match="reason for your decision"):
        project_request_decide(actor=editor(), request=request, accept=False, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        project_request_decide(
            actor=editor(), request=request, accept=False, reason="Add the analysis plan."
        )
    project.refresh_from_db()
    assert project.published_at is None
    assert "declined" in mail.outbox[0].subject and "Add the analysis plan." in mail.outbox[0].body
    with pytest.raises(RegistryError, match="already been decided"):
        project_request_decide(actor=editor(), request=request, accept=True, reason="Fine.")
    # Declined, the team may ask again.
    assert _ask(project).status == ProjectRequest.Status.PENDING


def test_only_editors_decide() -> None:
    project = registered_project(published=False)
    request = _ask(project)
    for person in (project.team.get(), researcher()):
        with pytest.raises(PermissionDeniedError):
            project_request_decide(actor=person, request=request, accept=True, reason="Yes.")
    request.refresh_from_db()
    assert request.status == ProjectRequest.Status.PENDING


def test_what_cannot_be_asked() -> None:
    with pytest.raises(RegistryError, match="Register the protocol"):
        _ask(draft_project())
    with pytest.raises(RegistryError, match="already published"):
        _ask(registered_project())
    with pytest.raises(RegistryError, match="Say why"):
        _ask(registered_project(), kind="withdraw")
    outsider_project = registered_project()
    with pytest.raises(PermissionDeniedError):
        project_request_create(
            actor=researcher(), project=outsider_project, kind="withdraw", reason="Stop."
        )


def test_an_accepted_withdrawal_keeps_results_and_uses_the_team_reason(client: Any) -> None:
    project = project_with_results()
    request = _ask(project, kind="withdraw", reason="The partner left.")
    with pytest.raises(RegistryError, match="stay public on the tombstone"):
        project_request_decide(actor=editor(), request=request, accept=True, reason="Agreed.")
    project_request_decide(
        actor=editor(), request=request, accept=True, reason="Agreed.", keep_results=True
    )
    project.refresh_from_db()
    assert project.is_withdrawn and project.withdrawal_reason == "The partner left."
    page = client.get(project.get_absolute_url()).content.decode()
    assert "The partner left." in page and "The results against protocol v1" in page


def test_researchers_are_told_who_can_do_what(client: Any) -> None:
    project = registered_project(published=False)
    client.force_login(project.team.get())
    page = client.get(project.get_absolute_url()).content.decode()
    assert "Who can do what" in page and "Ask the editors to publish" in page
    ask = reverse("registry:request_create", args=[project.reference, "withdraw"])
    response = client.post(ask, {"reason": ""})
    assert "This field is required." in response.content.decode()
    response = client.post(ask, {"reason": "Funding ended."})
    assert response.status_code == 302
    page = client.get(project.get_absolute_url()).content.decode()
    assert "waiting for an editor" in page and "Ask the editors to withdraw" not in page
    assert client.get(reverse("registry:requests")).status_code == 403
    assert (
        client.get(reverse("registry:request_create", args=[project.reference, "x"])).status_code
        == 404
    )
