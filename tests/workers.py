"""Real ``whatworks worker`` processes for tests: their environment on the test database."""

from __future__ import annotations

import os

from django.conf import settings
from django.db import connection


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a worker process that uses this test's database and storage,
    beating every 0.3 s and counted lost after 1.5 s."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{settings_dict['NAME']}"
    else:
        url = (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:"
            f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
        )
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "whatworks.config.settings.test",
        "PRIVATE_DATA_ROOT": str(settings.PRIVATE_DATA_ROOT),
        "WHATWORKS_PSEUDONYM_KEY": str(settings.WHATWORKS_PSEUDONYM_KEY),
        "WHATWORKS_WORKER_HEARTBEAT": "0.3",
        "WHATWORKS_WORKER_LOST_AFTER": "1.5",
        **extra,
    }
