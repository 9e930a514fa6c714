"""A draft that was never registered can be deleted by its team, and nothing else can."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.factories import OrganisationFactory
from tests.registry.factories import draft_project, editor, registered_project, researcher
from whatworks.core.errors import PermissionDeniedError
from whatworks.core.models import AuditEntry
from whatworks.pilots.services.pilots import pilot_create
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import Project
from whatworks.registry.services.projects import project_delete

pytestmark = pytest.mark.django_db


def test_the_team_deletes_a_draft_from_its_page(client: Any) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    assert "Delete this draft" in client.get(project.get_absolute_url()).content.decode()
    url = reverse("registry:project_delete", args=[project.reference])
    assert "Delete the draft for good" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("registry:workspace")
    assert not Project.objects.filter(pk=project.pk).exists()
    entry = AuditEntry.objects.get(action="registry.draft_deleted")
    assert entry.object_id == str(project.pk) and entry.changes["title"] == project.title


def test_a_registered_project_is_never_deleted(client: Any) -> None:
    project = registered_project(published=False)
    author = project.team.get()
    with pytest.raises(RegistryError, match="cannot be deleted"):
        project_delete(actor=author, project=project)
    client.force_login(author)
    url = reverse("registry:project_delete", args=[project.reference])
    page = client.get(url).content.decode()
    assert "cannot be deleted" in page and "Delete the draft for good" not in page
    assert client.post(url).status_code == 200
    assert "Delete this draft" not in client.get(project.get_absolute_url()).content.decode()
    assert Project.objects.filter(pk=project.pk).exists()


def test_only_the_team_deletes() -> None:
    project = draft_project()
    for outsider in (researcher(), editor()):
        with pytest.raises(PermissionDeniedError):
            project_delete(actor=outsider, project=project)
    assert Project.objects.filter(pk=project.pk).exists()


def test_a_draft_other_parts_refer_to_is_kept() -> None:
    project = draft_project()
    pilot_create(actor=None, project=project, organisation=OrganisationFactory.create(), name="P")
    with pytest.raises(RegistryError, match="refer to this draft"):
        project_delete(actor=project.team.get(), project=project)
    assert Project.objects.filter(pk=project.pk).exists()
    assert not AuditEntry.objects.filter(action="registry.draft_deleted").exists()
