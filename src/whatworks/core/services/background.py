"""Bookkeeping of background tasks: starting, progress, workers' heartbeats and reaping
the tasks of lost workers."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from whatworks.core import queue
from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import (
    TaskRecord,
    User,
    WorkerHeartbeat,
)
from whatworks.core.queue import Job, JSONArg
from whatworks.core.services.audit import (
    audit_record,
)
from whatworks.core.signals import task_lost

logger = logging.getLogger(__name__)


@transaction.atomic
def task_start(
    *,
    actor: User | None,
    kind: str,
    label: str,
    job: Job,
    args: Sequence[JSONArg] = (),
    target: models.Model | None = None,
) -> TaskRecord:
    """Record a background task and enqueue it once the transaction commits.

    The task runs ``job`` (see :mod:`whatworks.core.queue`) with ``args`` followed by the
    record's id (tasks take ids, never objects).
    """
    record = TaskRecord.objects.create(kind=kind, label=label, owner=actor)
    audit_record(
        actor=actor,
        action=AuditAction.TASK_STARTED,
        target=target or record,
        changes={"kind": kind, "task": str(record.pk)},
    )

    def _enqueue() -> None:
        queue_id = queue.enqueue(job, [*args, str(record.pk)])
        TaskRecord.objects.filter(pk=record.pk).update(task_id=queue_id)

    transaction.on_commit(_enqueue)
    return record


def task_progress(
    *, record_id: str, fraction: float, message: str = "", result_url: str | None = None
) -> None:
    """Report how far a task has got: ``fraction`` in [0, 1] and a short message."""
    fields: dict[str, Any] = {
        "progress": min(max(float(fraction), 0.0), 1.0),
        "message": message[:300],
        "updated_at": timezone.now(),
    }
    if result_url is not None:
        fields["result_url"] = result_url
    TaskRecord.objects.filter(pk=record_id).update(**fields)


def queue_selfcheck_run(*, steps: int, step_seconds: float, record_id: str) -> str:
    """Prove that a worker picks up tasks and reports progress (``whatworks check --queue``).

    It does nothing but wait in ``steps`` steps, reporting each; a long one is how the
    tests kill a worker in the middle of a task.
    """
    import time

    for step in range(1, steps + 1):
        time.sleep(step_seconds)
        task_progress(
            record_id=record_id, fraction=step / steps, message=f"Step {step} of {steps} done"
        )
    return "ok"


def worker_heartbeat(*, worker_id: str) -> None:
    """Say that this worker is alive (called every few seconds by the worker)."""
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen=now)
    if not updated:
        WorkerHeartbeat.objects.create(
            worker_id=worker_id,
            hostname=socket.gethostname()[:200],
            pid=os.getpid(),
            started_at=now,
            last_seen=now,
        )


def worker_stopped(*, worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


@transaction.atomic
def tasks_reap_lost(*, lost_after: timedelta, now: Any = None) -> int:
    """Fail every running task whose worker has stopped beating; return how many.

    A worker killed in the middle of a task (``kill -9``, out of memory, a lost machine)
    cannot mark the task itself.  Every live worker runs this at start and between tasks,
    so such a task is shown as failed — with the reason — and can be started again,
    instead of staying "running" for ever.
    """
    from django_tasks_db.models import DBTaskResult

    from whatworks.core.tasks_support import WorkerLostError, task_status_running

    now = now or timezone.now()
    cutoff = now - lost_after
    alive = set(
        WorkerHeartbeat.objects.filter(last_seen__gte=cutoff).values_list("worker_id", flat=True)
    )
    WorkerHeartbeat.objects.filter(last_seen__lt=cutoff).delete()
    reaped = 0
    for result in DBTaskResult.objects.select_for_update().filter(status=task_status_running()):
        worker_ids = result.worker_ids or []
        if worker_ids and worker_ids[-1] in alive:
            continue
        if result.started_at and result.started_at >= cutoff:
            continue  # claimed moments ago; its worker may not have beaten yet
        reason = (
            "The worker running this task stopped without finishing it "
            f"(worker {worker_ids[-1] if worker_ids else 'unknown'}). Start it again."
        )
        result.set_failed(WorkerLostError(reason))
        task_lost.send(
            sender=TaskRecord,
            record=TaskRecord.objects.filter(task_id=str(result.id)).first(),
            reason=reason,
        )
        audit_record(
            actor=None,
            action=AuditAction.TASK_WORKER_LOST,
            changes={"queue_id": str(result.id), "task": result.task_path},
        )
        reaped += 1
    if reaped:
        logger.warning("Marked %d task(s) of lost workers as failed.", reaped)
    return reaped
