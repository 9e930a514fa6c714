"""Writes of events: events and questions, registrations, the waiting list, retention.

Capacity holds under concurrency: every write that changes who holds a place first locks
the event's row (``select_for_update`` on PostgreSQL; on SQLite each transaction begins
``IMMEDIATE``, which serialises writers), then counts.  Offered places count as held.
E-mails go out after commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.http import AnyUser
from whatworks.core.models import User
from whatworks.core.questions import question_check
from whatworks.core.services.audit import audit_record, diff_fields
from whatworks.events.emails import send_registration_email
from whatworks.events.errors import AlreadyRegisteredError, EventError
from whatworks.events.models import Event, Question, Registration

Status = Registration.Status
EVENT_FIELDS = [
    "slug",
    "title",
    "kind",
    "starts_at",
    "ends_at",
    "time_zone",
    "mode",
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "project_ref",
    "published",
]


def _actor(actor: AnyUser | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None


def _email_later(registration: Registration, kind: str) -> None:
    transaction.on_commit(partial(send_registration_email, registration.pk, kind))


def offer_hours(event: Event) -> int:
    return event.offer_hours or settings.WHATWORKS_EVENTS_OFFER_HOURS


def confirm_minutes() -> int:
    """How long an unconfirmed registration keeps its place (or waiting entry)."""
    return int(settings.WHATWORKS_EVENTS_CONFIRM_MINUTES)


# --- events --------------------------------------------------------------------------


@transaction.atomic
def event_create(*, actor: User | None, **fields: Any) -> Event:
    """Create an event from its model fields (see :class:`Event`)."""
    event = Event(**fields)
    full_clean_or_raise(event, EventError)
    event.save()
    audit_record(
        actor=actor,
        action=AuditAction.EVENT_CREATED,
        target=event,
        changes=diff_fields(None, event, EVENT_FIELDS),
    )
    return event


@transaction.atomic
def event_update(*, actor: User | None, event: Event, **fields: Any) -> Event:
    before = Event.objects.select_for_update().get(pk=event.pk)
    for name, value in fields.items():
        setattr(event, name, value)
    full_clean_or_raise(event, EventError)
    event.save()
    audit_record(
        actor=actor,
        action=AuditAction.EVENT_UPDATED,
        target=event,
        changes=diff_fields(before, event, EVENT_FIELDS),
    )
    if event.capacity > before.capacity:
        _offer_free_places(event=event, now=timezone.now())
    return event


@transaction.atomic
def question_create(
    *,
    actor: User | None,
    event: Event,
    kind: str,
    label: str,
    choices: str = "",
    required: bool = False,
    position: int = 0,
) -> Question:
    question = Question(
        event=event, kind=kind, label=label, choices=choices, required=required, position=position
    )
    question_check(question, EventError)
    question.save()
    audit_record(
        actor=actor, action=AuditAction.EVENT_QUESTION_CREATED, target=event, changes={"kind": kind}
    )
    return question


# --- registrations -------------------------------------------------------------------


def _lock(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


def _held(event: Event) -> int:
    return Registration.objects.filter(event=event, status__in=Registration.HOLDING).count()


def _confirmed_waiting(event: Event) -> Any:
    """The waiting list, in the order it is served (``queued_at``, then id)."""
    return Registration.objects.filter(
        event=event, status=Status.WAITING, address_confirmed_at__isnull=False
    ).order_by("queued_at", "id")


@transaction.atomic
def registration_create(
    *,
    actor: AnyUser | None,
    event: Event,
    name: str,
    email: str,
    answers: dict[str, str] | None = None,
    now: datetime | None = None,
    address_confirmed: bool | None = None,
) -> Registration:
    """Register someone: a place if one is free and nobody is waiting, else the waiting list.

    The address must be confirmed before the place is the person's: a signed-in person's
    own account address counts as confirmed (``address_confirmed`` None decides so;
    True is for callers that confirmed it otherwise); any other address gets a link, and
    until it is used the place is only held (``HELD``) and a waiting entry is offered
    nothing, both for ``WHATWORKS_EVENTS_CONFIRM_MINUTES``.  Raises
    ``AlreadyRegisteredError`` for an address already taking part.
    """
    now = now or timezone.now()
    event = _lock(event)
    if not event.published or not event.registration_open(now):
        raise EventError(_("Registration for this event is not open."))
    _expire_holds(event=event, now=now)
    email = email.strip().lower()
    existing = Registration.objects.filter(
        event=event, email=email, status__in=Registration.ACTIVE
    ).first()
    if existing is not None:
        raise AlreadyRegisteredError(existing.pk)
    if address_confirmed is None:
        account = _actor(actor)
        address_confirmed = account is not None and account.email.strip().lower() == email
    free = _held(event) < event.capacity and not _confirmed_waiting(event).exists()
    if address_confirmed:
        status = Status.CONFIRMED if free else Status.WAITING
    else:
        status = Status.HELD if free else Status.WAITING
    registration = Registration(
        event=event,
        user=_actor(actor),
        name=name.strip(),
        email=email,
        answers=dict(answers or {}),
        status=status,
        address_confirmed_at=now if address_confirmed else None,
        hold_expires_at=None if address_confirmed else now + timedelta(minutes=confirm_minutes()),
        created_at=now,
        queued_at=now,
    )
    full_clean_or_raise(registration, EventError)
    registration.save()
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_REGISTERED,
        target=registration,
        changes={"status": registration.status, "address_confirmed": bool(address_confirmed)},
    )
    _email_later(registration, str(registration.status) if address_confirmed else "confirm")
    return registration


def registration_remind(*, registration_id: int) -> None:
    """E-mail an address that is already registered its own link (after commit); the
    person who typed the address learns nothing.  Writes nothing, so no audit entry."""
    transaction.on_commit(partial(send_registration_email, registration_id, "reminder"))


@transaction.atomic
def registration_confirm_address(
    *, actor: AnyUser | None, registration: Registration, now: datetime | None = None
) -> Registration:
    """The person used the link sent to the address: a held place becomes theirs, a waiting
    entry joins the queue.  A registration whose time to confirm has passed lapses instead
    (its status says so).  Using the link again changes nothing."""
    now = now or timezone.now()
    event = _lock(registration.event)
    _expire_holds(event=event, now=now)
    registration.refresh_from_db()
    if registration.address_confirmed_at is not None or registration.status not in (
        Status.HELD,
        Status.WAITING,
    ):
        return registration
    before = registration.status
    registration.address_confirmed_at = now
    registration.hold_expires_at = None
    if before == Status.HELD:
        registration.status = Status.CONFIRMED
    registration.save(update_fields=["status", "address_confirmed_at", "hold_expires_at"])
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_ADDRESS_CONFIRMED,
        target=registration,
        changes={"status": {"before": before, "after": registration.status}},
    )
    _email_later(registration, str(registration.status))
    if registration.status == Status.WAITING:
        _offer_free_places(event=event, now=now)
    return registration


def _offer_free_places(*, event: Event, now: datetime) -> list[Registration]:
    """Offer each free place to the next person waiting (the event must be locked)."""
    free = event.capacity - _held(event)
    if free <= 0:
        return []
    offered = list(_confirmed_waiting(event)[:free])
    expires = now + timedelta(hours=offer_hours(event))
    for registration in offered:
        registration.status = Status.OFFERED
        registration.offer_expires_at = expires
        registration.save(update_fields=["status", "offer_expires_at"])
        audit_record(
            actor=None,
            action=AuditAction.EVENT_PLACE_OFFERED,
            target=registration,
            changes={"status": {"before": "waiting", "after": "offered"}},
        )
        _email_later(registration, "offered")
    return offered


@transaction.atomic
def registration_cancel(
    *, actor: AnyUser | None, registration: Registration, now: datetime | None = None
) -> Registration:
    """Cancel; a place given up goes, as an offer, to the first person waiting."""
    now = now or timezone.now()
    event = _lock(registration.event)
    registration.refresh_from_db()
    if registration.status not in Registration.ACTIVE:
        raise EventError(_("This registration is already cancelled."))
    before = registration.status
    registration.status = Status.CANCELLED
    registration.offer_expires_at = None
    registration.save(update_fields=["status", "offer_expires_at"])
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_REGISTRATION_CANCELLED,
        target=registration,
        changes={"status": {"before": before, "after": "cancelled"}},
    )
    _email_later(registration, "cancelled")
    if before in Registration.HOLDING:
        _offer_free_places(event=event, now=now)
    return registration


@transaction.atomic
def registration_accept_offer(
    *, actor: AnyUser | None, registration: Registration, now: datetime | None = None
) -> Registration:
    now = now or timezone.now()
    _lock(registration.event)
    registration.refresh_from_db()
    if registration.status != Status.OFFERED:
        raise EventError(_("There is no offer of a place to accept."))
    if registration.offer_expires_at is not None and registration.offer_expires_at <= now:
        raise EventError(_("This offer has expired and the place has gone to the next person."))
    registration.status = Status.CONFIRMED
    registration.offer_expires_at = None
    registration.save(update_fields=["status", "offer_expires_at"])
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_OFFER_ACCEPTED,
        target=registration,
        changes={"status": {"before": "offered", "after": "confirmed"}},
    )
    _email_later(registration, "confirmed")
    return registration


@transaction.atomic
def registration_answers_update(
    *,
    actor: AnyUser | None,
    registration: Registration,
    answers: dict[str, str],
    now: datetime | None = None,
) -> Registration:
    """The attendee changes their own answers (access and dietary needs…) until the event
    ends, while the registration is active."""
    now = now or timezone.now()
    registration.refresh_from_db()
    if registration.status not in Registration.ACTIVE:
        raise EventError(_("This registration has ended, so its answers cannot be changed."))
    if registration.event.ends_at <= now:
        raise EventError(_("The event is over, so the answers can no longer be changed."))
    changed = sorted(k for k, v in answers.items() if registration.answers.get(k, "") != v)
    registration.answers = {**registration.answers, **answers}
    registration.save(update_fields=["answers"])
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_ANSWERS_CHANGED,
        target=registration,
        changes={"questions": changed},  # which questions, not what: answers can be health data
    )
    return registration


def offers_expire(*, now: datetime | None = None) -> int:
    """Expire offers not accepted in time and offer those places on; return how many expired.

    One transaction per event, so a busy event does not hold the others up.
    """
    now = now or timezone.now()
    event_ids = set(
        Registration.objects.filter(status=Status.OFFERED, offer_expires_at__lte=now).values_list(
            "event_id", flat=True
        )
    )
    expired = 0
    for event_id in sorted(event_ids):
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=event_id)
            for registration in Registration.objects.filter(
                event=event, status=Status.OFFERED, offer_expires_at__lte=now
            ):
                registration.status = Status.EXPIRED
                registration.save(update_fields=["status"])
                audit_record(
                    actor=None,
                    action=AuditAction.EVENT_OFFER_EXPIRED,
                    target=registration,
                    changes={"status": {"before": "offered", "after": "expired"}},
                )
                expired += 1
            _offer_free_places(event=event, now=now)
    return expired


def _expire_holds(*, event: Event, now: datetime) -> int:
    """Lapse the event's unconfirmed registrations whose time is up and offer the places
    they held (the event must be locked); how many lapsed."""
    due = list(
        Registration.objects.filter(
            event=event,
            status__in=(Status.HELD, Status.WAITING),
            address_confirmed_at__isnull=True,
            hold_expires_at__lte=now,
        )
    )
    for registration in due:
        before = registration.status
        registration.status = Status.EXPIRED
        registration.save(update_fields=["status"])
        audit_record(
            actor=None,
            action=AuditAction.EVENT_HOLD_LAPSED,
            target=registration,
            changes={"status": {"before": before, "after": "expired"}},
        )
    if any(r.status == Status.EXPIRED for r in due):
        _offer_free_places(event=event, now=now)
    return len(due)


def holds_expire(*, now: datetime | None = None) -> int:
    """Lapse unconfirmed registrations past their time (their places are offered on);
    return how many.  One transaction per event."""
    now = now or timezone.now()
    event_ids = set(
        Registration.objects.filter(
            status__in=(Status.HELD, Status.WAITING),
            address_confirmed_at__isnull=True,
            hold_expires_at__lte=now,
        ).values_list("event_id", flat=True)
    )
    lapsed = 0
    for event_id in sorted(event_ids):
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=event_id)
            lapsed += _expire_holds(event=event, now=now)
    return lapsed


@transaction.atomic
def registrations_anonymise(
    *, actor: User | None = None, now: datetime | None = None, days: int | None = None
) -> int:
    """Erase attendees' personal data ``days`` after their event ended; return how many."""
    now = now or timezone.now()
    if days is None:
        days = settings.WHATWORKS_EVENTS_RETENTION_DAYS
    due = Registration.objects.filter(
        event__ends_at__lte=now - timedelta(days=days), anonymised_at__isnull=True
    )
    total = 0
    for event_id in sorted(set(due.values_list("event_id", flat=True))):
        count = due.filter(event_id=event_id).update(
            name="", email="", answers={}, user=None, anonymised_at=now
        )
        audit_record(
            actor=actor,
            action=AuditAction.EVENT_ATTENDEES_ANONYMISED,
            target=Event.objects.get(pk=event_id),
            changes={"registrations": count, "retention_days": days},
        )
        total += count
    return total


@transaction.atomic
def attendees_access_record(*, actor: User, event: Event, registrations: int) -> None:
    """Record that ``actor`` saw the event's list of attendees (personal data), by count."""
    audit_record(
        actor=actor,
        action=AuditAction.EVENT_ATTENDEES_VIEWED,
        target=event,
        changes={"registrations": registrations},
    )


@transaction.atomic
def attendees_export_access_record(*, actor: User, event: Event, rows: int) -> None:
    """Record that ``actor`` downloaded the event's attendees as CSV, by count of rows."""
    audit_record(
        actor=actor,
        action=AuditAction.EVENT_ATTENDEES_EXPORTED,
        target=event,
        changes={"rows": rows},
    )
