"""Real ``whatworks worker`` processes for tests: their environment on the test database."""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

#: A real worker process, polling often.
WORKER = [sys.executable, "-m", "whatworks.cli", "worker", "--interval", "0.1"]


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


@contextmanager
def writes_held(*tables: str) -> Iterator[None]:
    """Hold the database's writes from another connection, so that a worker in the middle
    of a task stays there (its next write waits) until it is killed.  On PostgreSQL the
    named tables are locked."""
    if connection.vendor == "sqlite":
        holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=20, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")
            yield
            cursor.execute("ROLLBACK")
    finally:
        other.close()


def wait_for(condition: Callable[[], object], what: str, timeout: float = 300) -> None:
    """Poll ``condition`` until it holds (the timeout only stops a hung test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def as_if_silent_for_an_hour() -> None:
    """Move every worker's last heartbeat, and every running task's start, an hour back.

    A test of the lost-worker reaper uses this instead of sleeping past
    ``WHATWORKS_WORKER_LOST_AFTER``: the next reap sees the killed worker as lost however
    slowly the machine runs, and no live worker is affected (none is running then)."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from whatworks.core.models import WorkerHeartbeat

    an_hour_ago = timezone.now() - timedelta(hours=1)
    WorkerHeartbeat.objects.update(last_seen=an_hour_ago)
    DBTaskResult.objects.filter(started_at__isnull=False).update(started_at=an_hour_ago)
