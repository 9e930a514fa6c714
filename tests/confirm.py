"""Posting to an irreversible action the way a person does: through its confirmation page."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from whatworks.core.confirm import CONFIRM_FIELD


def post_confirmed(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    """POST ``data``, check the confirmation page came back, and confirm it."""
    first = client.post(url, data or {})
    assert first.status_code == 200, (
        f"{url}: expected its confirmation page, got {first.status_code}"
    )
    page = first.content.decode()
    assert "data-confirm-page" in page, f"{url}: expected its confirmation page"
    found = re.search(rf'name="{CONFIRM_FIELD}" value="([^"]+)"', page)
    assert found, f"{url}: the confirmation page carries no confirmation"
    return client.post(url, {**(data or {}), CONFIRM_FIELD: found.group(1)})
