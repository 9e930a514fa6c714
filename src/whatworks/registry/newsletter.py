"""The research section of the monthly newsletter (see ``whatworks.news.compose``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from whatworks.registry.models import Project, ProtocolVersion


def new_research(*, since: datetime, until: datetime) -> Mapping[str, Any] | None:
    """Public projects with a protocol version registered since the last issue."""
    recent = ProtocolVersion.objects.filter(
        registered_at__gte=since, registered_at__lt=until
    ).values("project_id")
    projects = list(Project.objects.public().filter(pk__in=recent, withdrawn_at__isnull=True)[:8])
    if not projects:
        return None
    return {
        "heading": "New research protocols",
        "items": [
            {"title": f"{project.reference}: {project.title}", "url": project.get_absolute_url()}
            for project in projects
        ],
    }
