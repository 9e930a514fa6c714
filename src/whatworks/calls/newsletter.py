"""The calls-for-partners section of the monthly newsletter (see ``whatworks.news.compose``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from whatworks.calls.selectors import calls_open


def open_calls(*, since: datetime, until: datetime) -> Mapping[str, Any] | None:
    """Calls open now, closing soonest first, as a visitor sees them."""
    calls = list(calls_open(user=AnonymousUser()).order_by("closes_at")[:8])
    if not calls:
        return None
    return {
        "heading": "Open calls for partners",
        "items": [
            {
                "title": call.title,
                "url": call.get_absolute_url(),
                "summary": getattr(call, "summary", ""),
                "when": "closes " + timezone.localtime(call.closes_at).strftime("%-d %B %Y"),
            }
            for call in calls
        ],
    }
