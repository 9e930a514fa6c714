"""Writes to the audit log: one entry per change, personal values never recorded."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from django.db import models, transaction

from whatworks.core import auditlog
from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import (
    AuditEntry,
    TaskRecord,
    User,
)

logger = logging.getLogger(__name__)

SYSTEM_LABEL = "system"
#: What the audit log stores instead of a personal value that changed.
NOT_RECORDED = "(personal data, not recorded)"


def audit_label(obj: models.Model) -> str:
    """How an object is named in the audit log: never personal data for people."""
    label = getattr(obj, "audit_label", None)
    if callable(label):
        return str(label())[:200]
    if isinstance(obj, User):
        return f"user #{obj.pk}"
    if obj._meta.app_label.startswith("otp_"):  # django-otp's devices name their user
        return f"{obj._meta.model_name} #{obj.pk} of user #{getattr(obj, 'user_id', '?')}"
    return str(obj)[:200]


def audit_record(
    *,
    actor: User | None,
    action: AuditAction | str,
    target: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log.  ``changes`` is a before/after summary.

    The entry is chained to the one before (``core/auditlog.py``) under a lock, so that
    concurrent writers append one after another and the chain never forks.
    """
    entry = AuditEntry(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=f"user #{actor.pk}" if actor is not None and actor.pk else SYSTEM_LABEL,
        action=action,
        changes=dict(changes or {}),
    )
    if target is not None:
        entry.object_type = target._meta.label_lower
        entry.object_id = str(target.pk)
        entry.object_repr = audit_label(target)
    with transaction.atomic():
        connection = transaction.get_connection()
        auditlog.lock_chain_head(connection)
        head = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
        entry.prev_hash = head or ""
        # The hash covers the changes as the database gives them back (plain JSON).
        entry.changes = json.loads(json.dumps(entry.changes))
        entry.entry_hash = auditlog.entry_hash(auditlog.fields_of(entry), entry.prev_hash)
        entry.save()
    return entry


def diff_fields(
    before: models.Model | None, after: models.Model, fields: list[str]
) -> dict[str, Any]:
    """A before/after summary of the named fields, keeping only those that changed."""
    summary: dict[str, dict[str, Any]] = {}
    for name in fields:
        old = getattr(before, name, None) if before is not None else None
        new = getattr(after, name, None)
        if old != new:
            summary[name] = {"before": plain_value(old), "after": plain_value(new)}
    return summary


def plain_value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


@transaction.atomic
def audit_export_access_record(*, actor: User, record: TaskRecord) -> None:
    """Record that ``actor`` downloaded the audit log's CSV export of the task ``record``."""
    audit_record(actor=actor, action=AuditAction.AUDIT_EXPORT_DOWNLOADED, target=record)
