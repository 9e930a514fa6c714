"""Writes at the door: check-in, its undo, and walk-in registration.

A check-in is one conditional ``UPDATE … WHERE checked_in_at IS NULL``: when two phones
scan the same ticket at once, PostgreSQL makes the second wait for the first's row lock
and then finds nothing to update (SQLite serialises the two transactions), so one
check-in is recorded, with one audit entry, and the second scan is told "already in".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.events.errors import AlreadyRegisteredError, EventError
from whatworks.events.models import Event, Registration
from whatworks.events.services.registrations import _actor, _email_later, _held, _lock

Status = Registration.Status


@dataclass(frozen=True)
class CheckIn:
    registration: Registration
    #: False when the person was already checked in (another scan got there first).
    new: bool


@transaction.atomic
def registration_check_in(
    *, actor: User | None, registration: Registration, now: datetime | None = None
) -> CheckIn:
    """Check a confirmed attendee in, once; a second check-in changes nothing."""
    now = now or timezone.now()
    if registration.event.cancelled:
        raise EventError(_("This event is cancelled: nobody can be checked in."))
    updated = Registration.objects.filter(
        pk=registration.pk, status=Status.CONFIRMED, checked_in_at__isnull=True
    ).update(checked_in_at=now)
    registration.refresh_from_db()
    if not updated:
        if registration.status != Status.CONFIRMED:
            raise EventError(
                _(
                    "%(name)s cannot be checked in: their registration is "
                    "“%(status)s”, not confirmed."
                )
                % {
                    "name": registration.name or _("This person"),
                    "status": registration.get_status_display(),
                }
            )
        return CheckIn(registration, new=False)
    audit_record(actor=_actor(actor), action=AuditAction.EVENT_CHECKED_IN, target=registration)
    return CheckIn(registration, new=True)


@transaction.atomic
def registration_check_in_undo(*, actor: User | None, registration: Registration) -> Registration:
    """Take back a check-in made by mistake (the wrong person tapped or scanned)."""
    undone = Registration.objects.filter(pk=registration.pk, checked_in_at__isnull=False).update(
        checked_in_at=None
    )
    registration.refresh_from_db()
    if not undone:
        raise EventError(
            _("%(name)s is not checked in.") % {"name": registration.name or _("This person")}
        )
    audit_record(actor=_actor(actor), action=AuditAction.EVENT_CHECK_IN_UNDONE, target=registration)
    return registration


@transaction.atomic
def registration_walk_in(
    *,
    actor: User | None,
    event: Event,
    name: str,
    email: str = "",
    now: datetime | None = None,
) -> Registration:
    """Register someone who turns up on the day, confirmed and checked in at once.

    Staff are at the door with the person, so the address needs no link and the
    registration window does not apply; the capacity does not either (no-shows leave
    room), and the audit entry records when a walk-in takes the event over it.
    """
    now = now or timezone.now()
    event = _lock(event)
    if event.cancelled:
        raise EventError(_("This event is cancelled: nobody can be registered."))
    email = email.strip().lower()
    if email:
        existing = Registration.objects.filter(
            event=event, email=email, status__in=Registration.ACTIVE
        ).first()
        if existing is not None:
            raise AlreadyRegisteredError(existing.pk)
    over = _held(event) >= event.capacity
    registration = Registration(
        event=event,
        user=None,
        name=name.strip(),
        email=email,
        status=Status.CONFIRMED,
        source=Registration.Source.WALK_IN,
        address_confirmed_at=now if email else None,
        created_at=now,
        queued_at=now,
        checked_in_at=now,
    )
    if not registration.name:
        raise EventError(_("Enter the person's name."))
    full_clean_or_raise(registration, EventError)
    registration.save()
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_WALKED_IN,
        target=registration,
        changes={"over_capacity": over},
    )
    if email:  # their ticket, calendar file and the link to their certificate later
        _email_later(registration, "confirmed")
    return registration
