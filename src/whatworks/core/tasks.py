"""Background tasks of the core: thin wrappers that call a service.  Tasks take ids, never
objects; the record id of :func:`~whatworks.core.services.background.task_start` comes last."""

from __future__ import annotations

from django_tasks import task

from whatworks.core import auditexport, jobs
from whatworks.core.services.background import queue_selfcheck_run


@task()
def audit_export(filters: dict[str, str], record_id: str) -> int:
    """Write the audit log, filtered as on the staff page, to a CSV file."""
    return auditexport.audit_export_write(filters=filters, record_id=record_id)


@task()
def queue_selfcheck(steps: int, step_seconds: float, record_id: str) -> str:
    """Wait in ``steps`` steps, reporting each (``whatworks check --queue``)."""
    return queue_selfcheck_run(steps=steps, step_seconds=step_seconds, record_id=record_id)


jobs.AUDIT_EXPORT.bind(audit_export)
jobs.QUEUE_SELFCHECK.bind(queue_selfcheck)
