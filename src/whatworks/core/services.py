"""Writes of the core: users, organisations, roles, the audit log and task bookkeeping.

Every function here is keyword-only, runs in one transaction and writes an audit entry
(task progress, which is bookkeeping, is the exception).  Views and commands call these;
they never save core models themselves.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from whatworks.core import auditlog, queue
from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import CoreError
from whatworks.core.models import (
    AuditEntry,
    Organisation,
    SearchSynonym,
    TaskRecord,
    User,
    WorkerHeartbeat,
)
from whatworks.core.queue import Job, JSONArg
from whatworks.core.roles import ROLE_PERMISSIONS, STAFF_ROLES, Role
from whatworks.core.signals import task_lost

logger = logging.getLogger(__name__)

SYSTEM_LABEL = "system"
#: What the audit log stores instead of a personal value that changed.
NOT_RECORDED = "(personal data, not recorded)"


# --- audit ---------------------------------------------------------------------------


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
            summary[name] = {"before": _plain(old), "after": _plain(new)}
    return summary


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


# --- organisations ---------------------------------------------------------------------


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    name: str,
    slug: str,
    kind: str,
    region: str = "",
) -> Organisation:
    organisation = Organisation(name=name, slug=slug, kind=kind, region=region)
    organisation.full_clean()
    organisation.save()
    audit_record(
        actor=actor,
        action=AuditAction.ORGANISATION_CREATED,
        target=organisation,
        changes=diff_fields(None, organisation, ["name", "slug", "kind", "region"]),
    )
    return organisation


# --- roles and users -------------------------------------------------------------------


def roles_sync(*, using: str = "default") -> dict[str, int]:
    """Make each role's group hold exactly the permissions :data:`ROLE_PERMISSIONS` lists.

    Idempotent; returns the number of permissions per role.  Unknown permission names
    raise, so a typo in the table cannot silently grant nothing.
    """
    counts: dict[str, int] = {}
    with transaction.atomic(using=using):
        for role, names in ROLE_PERMISSIONS.items():
            group, _ = Group.objects.using(using).get_or_create(name=role.value)
            wanted: list[Permission] = []
            for name in sorted(names):
                app_label, codename = name.split(".", 1)
                try:
                    wanted.append(
                        Permission.objects.using(using).get(
                            content_type__app_label=app_label, codename=codename
                        )
                    )
                except Permission.DoesNotExist:
                    raise CoreError(
                        gettext("Role %(value)s names an unknown permission %(name)s.")
                        % {"value": role.value, "name": name}
                    ) from None
            group.permissions.set(wanted)
            counts[role.value] = len(wanted)
    return counts


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    email: str,
    password: str | None,
    full_name: str = "",
    organisation: Organisation | None = None,
    roles: frozenset[Role] = frozenset(),
) -> User:
    """Create a user with the given roles.  ``password=None`` makes an unusable password."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise CoreError(gettext("There is already an account for %(email)s.") % {"email": email})
    if Role.LA_ANALYST in roles and (
        organisation is None or organisation.kind != Organisation.Kind.LOCAL_AUTHORITY
    ):
        raise CoreError(gettext("A local authority analyst must belong to a local authority."))
    user = User(email=email, full_name=full_name, organisation=organisation)
    user.set_password(password)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise CoreError("; ".join(exc.messages)) from None
    user.save()
    _apply_roles(user, roles)
    audit_record(
        actor=actor,
        action=AuditAction.USER_CREATED,
        target=user,
        changes={
            "roles": {"before": [], "after": sorted(r.value for r in roles)},
            "organisation": {"before": None, "after": _plain(organisation)},
        },
    )
    return user


@transaction.atomic
def user_set_roles(*, actor: User | None, user: User, roles: frozenset[Role]) -> User:
    before = sorted(user.groups.values_list("name", flat=True))
    _apply_roles(user, roles)
    after = sorted(r.value for r in roles)
    if before != after:
        audit_record(
            actor=actor,
            action=AuditAction.USER_ROLES_CHANGED,
            target=user,
            changes={"roles": {"before": before, "after": after}},
        )
    return user


@transaction.atomic
def user_set_password(*, actor: User | None, user: User, password: str, via: str = "") -> User:
    """Set a password (``via`` says how, e.g. "reset link"); the audit keeps no value."""
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        actor=actor,
        action=AuditAction.USER_PASSWORD_SET,
        target=user,
        changes={"via": via} if via else {},
    )
    return user


@transaction.atomic
def user_anonymise(*, actor: User | None, user: User) -> User:
    """Remove a person's identity from their account, for good: the e-mail address becomes
    ``erased-<id>@erased.invalid``, the name and organisation go, the password and second
    factors are removed, the roles are cleared and the account is switched off (so every
    session it had stops working: the session hash follows the password).  The row stays,
    so that what other parts keep against it (audit entries name people by number) holds.
    """
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _apply_roles(user, frozenset())
    user.email = f"erased-{user.pk}@erased.invalid"
    user.full_name = ""
    user.organisation = None
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["email", "full_name", "organisation", "is_active", "password"])
    audit_record(actor=actor, action=AuditAction.USER_ANONYMISED, target=user)
    return user


def _apply_roles(user: User, roles: frozenset[Role]) -> None:
    groups = [Group.objects.get_or_create(name=role.value)[0] for role in sorted(roles)]
    user.groups.set(groups)
    user.is_staff = bool(roles & STAFF_ROLES)
    user.is_superuser = Role.ADMIN in roles
    user.save(update_fields=["is_staff", "is_superuser"])


def user_roles(user: User) -> frozenset[Role]:
    names = set(user.groups.values_list("name", flat=True))
    return frozenset(role for role in Role if role.value in names)


# --- background tasks ------------------------------------------------------------------


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


def generate_password() -> str:
    return secrets.token_urlsafe(12)


# --- search synonyms ------------------------------------------------------------------------


@transaction.atomic
def search_synonym_save(
    *, actor: User | None, terms: str, note: str = "", synonym: SearchSynonym | None = None
) -> SearchSynonym:
    """Create a synonym group, or change one.  The terms are normalised to "a, b, c"; a group
    needs two or more different words or phrases."""
    from whatworks.core.search import parse_synonym_terms, synonyms_cache

    phrases = parse_synonym_terms(terms)
    if len(phrases) < 2:
        raise CoreError(
            gettext(
                "Give two or more different words or phrases that mean the "
                "same, separated by commas, for example “DV, domestic abuse”."
            )
        )
    before = {"terms": synonym.terms, "note": synonym.note} if synonym else {}
    target = synonym or SearchSynonym()
    target.terms = ", ".join(phrases)
    target.note = note.strip()
    target.updated_at = timezone.now()
    target.full_clean()
    target.save()
    synonyms_cache.clear()
    after = {"terms": target.terms, "note": target.note}
    audit_record(
        actor=actor,
        action=AuditAction.CORE_SEARCH_SYNONYM_CHANGED
        if synonym
        else AuditAction.CORE_SEARCH_SYNONYM_CREATED,
        target=target,
        changes={
            k: {"before": before.get(k), "after": v} for k, v in after.items() if before.get(k) != v
        },
    )
    return target


@transaction.atomic
def search_synonym_delete(*, actor: User | None, synonym: SearchSynonym) -> None:
    from whatworks.core.search import synonyms_cache

    audit_record(
        actor=actor,
        action=AuditAction.CORE_SEARCH_SYNONYM_DELETED,
        target=synonym,
        changes={"terms": {"before": synonym.terms, "after": None}},
    )
    synonym.delete()
    synonyms_cache.clear()
