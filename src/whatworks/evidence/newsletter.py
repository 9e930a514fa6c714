"""The Evidence Store section of the monthly newsletter (see ``whatworks.news.compose``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser

from whatworks.evidence.selectors import interventions_visible_to


def new_evidence(*, since: datetime, until: datetime) -> Mapping[str, Any] | None:
    """Published interventions added or reviewed since the last issue."""
    interventions = list(
        interventions_visible_to(AnonymousUser())
        .filter(updated_at__gte=since, updated_at__lt=until)
        .order_by("-updated_at")[:8]
    )
    if not interventions:
        return None
    return {
        "heading": "New and updated in the Evidence Store",
        "items": [
            {
                "title": intervention.name,
                "url": intervention.get_absolute_url(),
                "summary": getattr(intervention, "summary", "")[:200],
            }
            for intervention in interventions
        ],
    }
