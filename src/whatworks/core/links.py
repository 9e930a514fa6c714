"""Links that leave the site: in e-mails, feeds and newsletters."""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """``path`` on the site as people reach it (setting ``WHATWORKS_BASE_URL``)."""
    return f"{settings.WHATWORKS_BASE_URL}{path}"
