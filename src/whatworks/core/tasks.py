"""Background tasks of the core.  Tasks take ids, never objects."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django_tasks import task

from whatworks.core.audit_actions import AuditAction
from whatworks.core.csvutils import SafeCsvWriter
from whatworks.core.models import TaskRecord
from whatworks.core.services import audit_record, task_progress

EXPORT_BATCH = 2000
AUDIT_EXPORT_HEADER = ("time", "actor", "action", "object_type", "object_id", "object", "changes")


def audit_export_path(record_id: str) -> Path:
    """Exports live with the private data, outside MEDIA_ROOT, and are served by a view."""
    return Path(settings.PRIVATE_DATA_ROOT) / "exports" / f"audit-{record_id}.csv"


@task()
def audit_export(record_id: str, filters: dict[str, str]) -> int:
    """Write the audit log, filtered as on the staff page, to a CSV file; report progress.

    Written to a ``.partial`` file and renamed at the end, so a crash never leaves a
    truncated export that looks complete.
    """
    from whatworks.core.selectors import audit_entries

    record = TaskRecord.objects.select_related("owner").get(pk=record_id)
    queryset = audit_entries(filters=filters).order_by("id")
    total = queryset.count()
    path = audit_export_path(record_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    written = 0
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = SafeCsvWriter(handle)
        writer.writerow(AUDIT_EXPORT_HEADER)
        last_pk = 0
        while batch := list(queryset.filter(pk__gt=last_pk)[:EXPORT_BATCH]):
            for entry in batch:
                writer.writerow(
                    (
                        entry.created_at.isoformat(),
                        entry.actor_label,
                        entry.action,
                        entry.object_type,
                        entry.object_id,
                        entry.object_repr,
                        json.dumps(entry.changes, sort_keys=True),
                    )
                )
            written += len(batch)
            last_pk = batch[-1].pk
            task_progress(
                record_id=record_id,
                fraction=written / total if total else 1.0,
                message=f"{written:,} of {total:,} entries written",
            )
    partial.replace(path)
    with transaction.atomic():
        task_progress(
            record_id=record_id,
            fraction=1.0,
            message=f"{written:,} entries exported",
            result_url=reverse("core:audit_export_download", args=[record_id]),
        )
        audit_record(
            actor=record.owner,
            action=AuditAction.AUDIT_EXPORTED,
            target=record,
            changes={"rows": written},
        )
    return written


@task()
def queue_selfcheck(record_id: str, steps: int = 5, step_seconds: float = 0.2) -> str:
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
