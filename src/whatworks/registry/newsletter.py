"""The research section of the monthly newsletter (see ``whatworks.news.compose``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from whatworks.core.projects import Visibility
from whatworks.registry.models import Project, ProtocolVersion
from whatworks.registry.selectors import project_visibility


def new_research(*, since: datetime, until: datetime) -> Mapping[str, Any] | None:
    """Projects with a protocol version registered since the last issue that everyone may
    see (the editor composing it sees more; subscribers must not)."""
    recent = ProtocolVersion.objects.filter(
        registered_at__gte=since, registered_at__lt=until
    ).values("project_id")
    candidates = Project.objects.filter(pk__in=recent, withdrawn_at__isnull=True)
    projects = [
        project
        for project in candidates.order_by("-published_at", "-year", "-serial")
        if project_visibility(user=None, project=project) == Visibility.FULL
    ][:8]
    if not projects:
        return None
    return {
        "heading": "New research protocols",
        "items": [
            {"title": f"{project.reference}: {project.title}", "url": project.get_absolute_url()}
            for project in projects
        ],
    }
