"""The events section of the monthly newsletter (see ``whatworks.news.compose``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from whatworks.events.selectors import events_upcoming


def upcoming_events(*, since: datetime, until: datetime) -> Mapping[str, Any] | None:
    """Published events still to come (not cancelled), soonest first, as a visitor sees them."""
    upcoming = events_upcoming(user=AnonymousUser())
    events = list(upcoming.filter(cancelled_at__isnull=True)[:8])
    if not events:
        return None
    return {
        "heading": "Upcoming events",
        "items": [
            {
                "title": event.title,
                "url": event.get_absolute_url(),
                "summary": event.summary,
                "when": timezone.localtime(event.starts_at).strftime("%-d %B %Y"),
            }
            for event in events
        ],
    }
