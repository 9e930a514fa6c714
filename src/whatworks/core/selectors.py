"""Reads of the core, with their permission checks.  Views fetch only through these."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from whatworks.core import auditlog
from whatworks.core.models import AuditEntry, TaskRecord, User

AUDIT_FILTERS = ("action", "object_type", "object_id", "actor", "since", "until")


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def audit_entries(*, filters: dict[str, Any]) -> QuerySet[AuditEntry]:
    """The audit log filtered by action (prefix), object type and id, actor and dates."""
    entries = AuditEntry.objects.all()
    if action := (filters.get("action") or "").strip():
        entries = entries.filter(action__startswith=action)
    if object_type := (filters.get("object_type") or "").strip():
        entries = entries.filter(object_type=object_type)
    if object_id := (filters.get("object_id") or "").strip():
        entries = entries.filter(object_id=object_id)
    if actor := (filters.get("actor") or "").strip():
        entries = entries.filter(actor_label=actor)
    tz = timezone.get_current_timezone()
    if since := _parse_date(filters.get("since") or ""):
        entries = entries.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=tz))
    if until := _parse_date(filters.get("until") or ""):
        entries = entries.filter(created_at__lte=datetime.combine(until, time.max, tzinfo=tz))
    return entries


def audit_filter_errors(filters: dict[str, Any]) -> dict[str, str]:
    """Messages for filters that cannot be used, keyed by field, to show beside them."""
    errors = {}
    for name in ("since", "until"):
        value = (filters.get(name) or "").strip()
        if value and _parse_date(value) is None:
            errors[name] = "Enter a date as YYYY-MM-DD, for example 2026-01-31."
    return errors


def audit_action_names() -> list[str]:
    return list(AuditEntry.objects.order_by().values_list("action", flat=True).distinct())


def task_record_get_for_user(*, user: User, record_id: str) -> TaskRecord:
    """A task's record, for its owner or an administrator; anyone else gets 404."""
    try:
        record = TaskRecord.objects.select_related("owner").get(pk=record_id)
    except (TaskRecord.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such task.") from None
    if not user.is_authenticated:
        raise Http404("No such task.")
    if record.owner_id == user.pk or user.has_perm("core.view_taskrecord"):
        return record
    raise Http404("No such task.")


def audit_chain_verify() -> auditlog.ChainReport:
    """Check every audit entry against its hash and its link to the one before."""
    return auditlog.chain_verify(AuditEntry.objects.all())
