"""The registry's link provider for events: the events that are part of a research project.

Registered from :class:`whatworks.events.apps.EventsConfig.ready` through the registry's
app config (the parts do not import one another; ADR 0006).
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.utils.formats import date_format

from whatworks.events.selectors import events_for_project


def project_events(*, project: Any, user: Any) -> list[dict[str, str]]:
    """The events whose ``project_ref`` is ``project``'s identifier, as ``user`` may see them."""
    items = []
    for event in events_for_project(user=user, reference=project.reference):
        local = event.starts_at.astimezone(zoneinfo.ZoneInfo(event.time_zone))
        when = date_format(local, "j F Y")
        items.append(
            {
                "title": event.title,
                "url": event.get_absolute_url(),
                "summary": when if event.published else f"{when} (not published)",
            }
        )
    return items
