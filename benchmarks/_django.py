"""Shared set-up for the benchmarks that drive the platform in-process."""

from __future__ import annotations

import os
from pathlib import Path


def setup_django(folder: Path, *, allow_database_url: bool = True) -> None:
    """Configure Django on a fresh database and migrate it; e-mail goes nowhere.

    The database is a SQLite file in ``folder`` unless ``DATABASE_URL`` is set and
    ``allow_database_url`` is true (then that server is used, e.g. PostgreSQL).
    """
    os.environ["DJANGO_SETTINGS_MODULE"] = "whatworks.config.settings.test"
    sqlite_url = f"sqlite:///{folder / 'bench.sqlite3'}"
    if allow_database_url:
        os.environ.setdefault("DATABASE_URL", sqlite_url)
    else:
        os.environ["DATABASE_URL"] = sqlite_url
    os.environ.setdefault("WHATWORKS_VAR_DIR", str(folder))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    call_command("migrate", verbosity=0)
