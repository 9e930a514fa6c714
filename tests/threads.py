"""Run jobs in real threads at once, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from django.db import connections


def run_at_once(jobs: Sequence[Callable[[], object]]) -> list[BaseException]:
    """Start every job together (behind a barrier), wait for all; return what they raised.

    Each thread closes its connections when it ends, so that the test database can be
    flushed.  Errors are collected rather than lost in the thread, for the test to assert
    that there were none (or which)."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs))

    def worker(job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # noqa: BLE001 — collected for the test to assert on
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
