"""What the platform needs from the task queue, in one place.

django-tasks-db owns the queue table; this module reads a task's state for our pages and
runs the worker with a heartbeat, so that a worker that dies mid-task is noticed.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.module_loading import import_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from whatworks.core.models import TaskRecord

logger = logging.getLogger(__name__)


class WorkerLostError(RuntimeError):
    """The worker that was running a task died without finishing it."""


def task_status_running() -> str:
    return str(TaskResultStatus.RUNNING)


def queue_probe() -> None:
    """Read the task queue's table once; raises ``DatabaseError`` if it cannot be read
    (the health check)."""
    DBTaskResult.objects.filter(status=str(TaskResultStatus.READY)).exists()


@dataclasses.dataclass(frozen=True)
class TaskState:
    """What a task page shows: status, progress and, when it failed, why."""

    status: str  # READY, RUNNING, SUCCESSFUL or FAILED
    progress: float
    message: str
    error: str
    result_url: str

    @property
    def finished(self) -> bool:
        return self.status in {"SUCCESSFUL", "FAILED"}

    @property
    def percent(self) -> int:
        return round(self.progress * 100)


def task_state(record: TaskRecord) -> TaskState:
    status, error = "READY", ""
    if record.task_id:
        result = DBTaskResult.objects.filter(pk=record.task_id).first()
        if result is not None:
            status = str(result.status)
            if status == "FAILED":
                error = _failure_message(result)
    progress = 1.0 if status == "SUCCESSFUL" else record.progress
    return TaskState(
        status=status,
        progress=progress,
        message=record.message,
        error=error,
        result_url=record.result_url if status == "SUCCESSFUL" else "",
    )


def _failure_message(result: DBTaskResult[Any, Any]) -> str:
    """A message fit to show: a domain error's own words, otherwise a generic sentence.

    The traceback stays in the queue table and the logs, never on a page.
    """
    from whatworks.core.errors import WhatworksError

    path = getattr(result, "exception_class_path", "") or ""
    try:
        exc_class = import_string(path) if path else None
    except ImportError:
        exc_class = None
    if isinstance(exc_class, type) and issubclass(exc_class, WhatworksError | WorkerLostError):
        lines = (result.traceback or "").strip().splitlines()
        last = lines[-1] if lines else ""
        return last.split(": ", 1)[1] if ": " in last else exc_class.__name__
    return "The task failed unexpectedly. The error has been logged for the administrators."


class HeartbeatWorker(Worker):
    """django-tasks-db's worker plus a heartbeat and the reaping of lost workers' tasks."""

    def __init__(self, *, heartbeat_seconds: float, lost_after_seconds: float, **kwargs: Any):
        super().__init__(**kwargs)
        self.heartbeat_seconds = heartbeat_seconds
        self.lost_after = timedelta(seconds=lost_after_seconds)
        self._stop = threading.Event()

    def run(self) -> None:
        from whatworks.core.services.background import (
            tasks_reap_lost,
            worker_heartbeat,
            worker_stopped,
        )

        worker_heartbeat(worker_id=self.worker_id)
        tasks_reap_lost(lost_after=self.lost_after)
        process_started_send(role="worker")
        beat = threading.Thread(target=self._beat, name="whatworks-heartbeat", daemon=True)
        beat.start()
        try:
            super().run()
        finally:
            self._stop.set()
            beat.join(timeout=self.heartbeat_seconds + 1)
            try:
                worker_stopped(worker_id=self.worker_id)
            except Exception:  # the database may be what failed
                logger.exception("Could not remove the heartbeat of %s", self.worker_id)

    def _beat(self) -> None:
        from whatworks.core.services.background import tasks_reap_lost, worker_heartbeat

        try:
            while not self._stop.wait(self.heartbeat_seconds):
                try:
                    close_old_connections()
                    worker_heartbeat(worker_id=self.worker_id)
                    tasks_reap_lost(lost_after=self.lost_after)
                except Exception:
                    logger.exception("Heartbeat of worker %s failed", self.worker_id)
        finally:
            connection.close()


def process_started_send(*, role: str) -> None:
    """Send ``core.signals.process_started``; log (never raise) a receiver's failure."""
    from whatworks.core.signals import process_started

    for receiver, result in process_started.send_robust(sender=None, role=role):
        if isinstance(result, Exception):
            logger.error(
                "A start-up task (%s) failed: %s", getattr(receiver, "__name__", receiver), result
            )


def make_worker(*, worker_id: str, batch: bool = False, interval: float = 1.0) -> HeartbeatWorker:
    return HeartbeatWorker(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
        heartbeat_seconds=settings.WHATWORKS_WORKER_HEARTBEAT_SECONDS,
        lost_after_seconds=settings.WHATWORKS_WORKER_LOST_AFTER_SECONDS,
    )
