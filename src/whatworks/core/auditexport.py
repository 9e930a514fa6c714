"""The audit log's CSV export, written by a worker (``core/tasks.py`` runs it)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from whatworks.core.audit_actions import AuditAction
from whatworks.core.csvutils import SafeCsvWriter
from whatworks.core.models import TaskRecord
from whatworks.core.selectors import audit_entries
from whatworks.core.services.audit import audit_record
from whatworks.core.services.background import task_progress

EXPORT_BATCH = 2000
AUDIT_EXPORT_HEADER = ("time", "actor", "action", "object_type", "object_id", "object", "changes")


def audit_export_path(record_id: str) -> Path:
    """Exports live with the private data, outside MEDIA_ROOT, and are served by a view."""
    return Path(settings.PRIVATE_DATA_ROOT) / "exports" / f"audit-{record_id}.csv"


def audit_export_write(*, filters: dict[str, str], record_id: str) -> int:
    """Write the audit log, filtered as on the staff page, to a CSV file; report progress.

    Written to a ``.partial`` file and renamed at the end, so a crash never leaves a
    truncated export that looks complete.
    """
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
