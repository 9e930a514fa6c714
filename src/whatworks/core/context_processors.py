from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from whatworks.core.parts import PARTS


def site(request: HttpRequest) -> dict[str, Any]:
    nav = [
        {"url": part.url, "label": part.nav_label, "current": request.path.startswith(part.url)}
        for part in PARTS
    ]
    return {"site_name": settings.WHATWORKS_SITE_NAME, "nav_parts": nav}
