"""Shared set-up for the benchmarks that drive the platform in-process, and a thread pool
that hammers a service concurrently."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


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


@dataclass
class Hammered:
    """What :func:`hammer` measured: wall time, each call's latency, each call's error."""

    elapsed: float
    latencies: list[float]
    errors: list[str]


def hammer(items: list[T], action: Callable[[T], object], *, threads: int) -> Hammered:
    """Call ``action`` on every item from ``threads`` threads released together (each with
    its own database connection, closed at the end); errors are counted, not raised."""
    from django.db import connections

    queue = list(items)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    barrier = threading.Barrier(threads)

    def worker() -> None:
        try:
            barrier.wait()
            while True:
                with lock:
                    if not queue:
                        return
                    item = queue.pop()
                started = time.perf_counter()
                try:
                    action(item)
                except Exception as exc:  # noqa: BLE001 — counted: a lost call fails the target
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                else:
                    with lock:
                        latencies.append(time.perf_counter() - started)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return Hammered(time.perf_counter() - started, latencies, errors)
