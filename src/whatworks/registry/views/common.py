"""What the registry's views share: the team's project, citation and the page context."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, QueryDict

from whatworks.core.http import AuthedHttpRequest
from whatworks.registry.models import Project, ProtocolVersion
from whatworks.registry.selectors import (
    can_edit,
    can_publish,
    can_withdraw,
    project_get_for_user,
)


def posted(request: HttpRequest) -> QueryDict | None:
    """The submitted data of a POST, or None (an unbound form) for any other method."""
    return request.POST if request.method == "POST" else None


def editable_project(request: AuthedHttpRequest, reference: str) -> Project:
    """The project for a team page: 404 if unknown to the user, 403 if not their team's."""
    project = project_get_for_user(user=request.user, reference=reference)
    if not can_edit(request.user, project):
        raise PermissionDenied
    return project


def team_names(project: Project) -> list[str]:
    return [str(person) for person in project.team.order_by("full_name", "email")]


def team_orcids(project: Project) -> list[tuple[str, str]]:
    """The team's names with their ORCID iDs ("" when not given), in name order."""
    from whatworks.registry.identifiers import orcids_of

    people = list(project.team.order_by("full_name", "email"))
    orcids = orcids_of(people)
    return [(str(person), orcids.get(person.pk, "")) for person in people]


def citation(request: HttpRequest, version: ProtocolVersion) -> str:
    """The cite-this-version line."""
    project = version.project
    names = ", ".join(team_names(project)) or "What Works Centre"
    url = request.build_absolute_uri(version.get_absolute_url())
    return (
        f"{names} ({version.registered_at:%Y}). {version.content.get('title', project.title)}. "
        f"Research protocol {version.label}, registered {version.registered_at:%-d %B %Y}. "
        f"What Works Centre research registry. SHA-256 {version.sha256}. {url}"
    )


def context_for_project(request: HttpRequest, project: Project) -> dict[str, Any]:
    user = request.user
    return {
        "project": project,
        "can_edit": can_edit(user, project),
        "can_publish": can_publish(user),
        "can_withdraw": can_withdraw(user, project),
    }
