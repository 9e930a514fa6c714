"""Staff's writes: events from the staff pages (duplicate, publish, cancel), questions,
attendees (add, move, message) and the reminders before an event.

Every write locks the event's row first when it changes who holds a place, as in
:mod:`whatworks.events.services`; e-mails go out after commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.questions import question_check
from whatworks.core.services.audit import audit_record, diff_fields
from whatworks.events import selectors
from whatworks.events.emails import send_registration_email
from whatworks.events.errors import AlreadyRegisteredError, EventError
from whatworks.events.models import Event, Question, Registration
from whatworks.events.services.registrations import (
    _actor,
    _email_later,
    _held,
    _lock,
    _offer_free_places,
    event_create,
    question_create,
)

Status = Registration.Status
QUESTION_FIELDS = ["kind", "label", "choices", "required", "position"]


# --- events --------------------------------------------------------------------------


@transaction.atomic
def event_duplicate(*, actor: User | None, source: Event, **fields: Any) -> Event:
    """A new, unpublished event from ``fields`` with ``source``'s questions copied over."""
    fields["published"] = False
    event = event_create(actor=actor, **fields)
    for question in source.questions.all():
        question_create(
            actor=actor,
            event=event,
            kind=question.kind,
            label=question.label,
            choices=question.choices,
            required=question.required,
            position=question.position,
        )
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_DUPLICATED,
        target=event,
        changes={"from_event": source.pk},
    )
    return event


@transaction.atomic
def event_publish(*, actor: User | None, event: Event) -> Event:
    event = _lock(event)
    if not selectors.can_publish(event):
        raise EventError(
            _("A cancelled event cannot be published.")
            if event.cancelled
            else _("This event is already published.")
        )
    event.published = True
    event.save(update_fields=["published"])
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_PUBLISHED,
        target=event,
        changes={"published": {"before": False, "after": True}},
    )
    return event


@transaction.atomic
def event_cancel(
    *, actor: User | None, event: Event, note: str = "", now: datetime | None = None
) -> int:
    """Cancel the event for good: every active registration is cancelled and e-mailed
    (with ``note``, the reason); return how many people were e-mailed."""
    now = now or timezone.now()
    event = _lock(event)
    if not selectors.can_cancel(event):
        raise EventError(_("This event is already cancelled."))
    event.cancelled_at = now
    event.cancellation_note = note.strip()
    event.save(update_fields=["cancelled_at", "cancellation_note"])
    active = list(Registration.objects.filter(event=event, status__in=Registration.ACTIVE))
    for registration in active:
        before = registration.status
        registration.status = Status.CANCELLED
        registration.offer_expires_at = None
        registration.save(update_fields=["status", "offer_expires_at"])
        audit_record(
            actor=_actor(actor),
            action=AuditAction.EVENT_REGISTRATION_CANCELLED,
            target=registration,
            changes={"status": {"before": before, "after": "cancelled"}, "by_event": True},
        )
        _email_later(registration, "event_cancelled")
    emailed = sum(1 for r in active if r.email)
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_CANCELLED,
        target=event,
        changes={"registrations_cancelled": len(active), "emailed": emailed},
    )
    return emailed


# --- questions -----------------------------------------------------------------------


def _answered(question: Question) -> int:
    key = str(question.pk)
    return sum(
        1
        for answers in Registration.objects.filter(event_id=question.event_id).values_list(
            "answers", flat=True
        )
        if (answers or {}).get(key)
    )


@transaction.atomic
def question_update(*, actor: User | None, question: Question, **fields: Any) -> Question:
    before = Question.objects.select_for_update().get(pk=question.pk)
    for name, value in fields.items():
        setattr(question, name, value)
    question_check(question, EventError)
    question.save()
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_QUESTION_UPDATED,
        target=question.event,
        changes={"question": question.pk, **diff_fields(before, question, QUESTION_FIELDS)},
    )
    return question


@transaction.atomic
def question_delete(*, actor: User | None, question: Question) -> None:
    """Remove a question nobody has answered yet (answers are kept, so one that has
    answers stays; edit it instead)."""
    answered = _answered(question)
    if answered:
        raise EventError(
            ngettext(
                "%(answered)s person has answered “%(label)s”, so it cannot be removed. "
                "Edit it instead.",
                "%(answered)s people have answered “%(label)s”, so it cannot be removed. "
                "Edit it instead.",
                answered,
            )
            % {"answered": format(answered, ","), "label": question.label}
        )
    event, pk = question.event, question.pk
    question.delete()
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_QUESTION_DELETED,
        target=event,
        changes={"question": pk},
    )


# --- attendees -----------------------------------------------------------------------


@transaction.atomic
def registration_add(
    *,
    actor: User | None,
    event: Event,
    name: str,
    email: str,
    status: str,
    answers: dict[str, str] | None = None,
    notify: bool = True,
    now: datetime | None = None,
) -> Registration:
    """Staff add someone, confirmed (if a place is free) or to the end of the waiting list.
    Staff vouch for the address, so it needs no link; the registration window does not
    apply.  ``notify`` e-mails the person what happened."""
    now = now or timezone.now()
    event = _lock(event)
    if event.cancelled:
        raise EventError(_("This event is cancelled: nobody can be added."))
    if status not in (Status.CONFIRMED, Status.WAITING):
        raise EventError(_("Choose whether to confirm a place or add them to the waiting list."))
    email = email.strip().lower()
    existing = Registration.objects.filter(
        event=event, email=email, status__in=Registration.ACTIVE
    ).first()
    if existing is not None:
        raise AlreadyRegisteredError(existing.pk)
    if status == Status.CONFIRMED and _held(event) >= event.capacity:
        raise EventError(
            _(
                "The event is full (%(capacity)s of %(capacity)s places "
                "taken). Add them to the waiting list, or raise the capacity "
                "first."
            )
            % {"capacity": format(event.capacity, ",")}
        )
    registration = Registration(
        event=event,
        name=name.strip(),
        email=email,
        answers=dict(answers or {}),
        status=status,
        source=Registration.Source.STAFF,
        address_confirmed_at=now,
        created_at=now,
        queued_at=now,
    )
    full_clean_or_raise(registration, EventError)
    registration.save()
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_ATTENDEE_ADDED,
        target=registration,
        changes={"status": status, "notified": notify},
    )
    if notify:
        _email_later(registration, str(status))
    return registration


@transaction.atomic
def registration_move(
    *, actor: User | None, registration: Registration, to: str, now: datetime | None = None
) -> Registration:
    """Move someone between a confirmed place and the waiting list.

    To a place: from the waiting list or an open offer, if a place is free (an offered
    place already is).  To the waiting list: at its end; the place they leave is offered
    to the first person waiting.  The person is e-mailed either way.
    """
    now = now or timezone.now()
    event = _lock(registration.event)
    registration.refresh_from_db()
    before = registration.status
    if to == Status.CONFIRMED:
        if before not in (Status.WAITING, Status.OFFERED):
            raise EventError(_("Only someone waiting or offered a place can be given one."))
        if before == Status.WAITING and _held(event) >= event.capacity:
            raise EventError(
                _(
                    "The event is full (%(capacity)s of %(capacity)s places "
                    "taken). Move someone to the waiting list, or raise the "
                    "capacity first."
                )
                % {"capacity": format(event.capacity, ",")}
            )
        registration.status = Status.CONFIRMED
        registration.offer_expires_at = None
    elif to == Status.WAITING:
        if before not in (Status.CONFIRMED, Status.OFFERED):
            raise EventError(
                _("Only someone with a place or an offer can move to the waiting list.")
            )
        registration.status = Status.WAITING
        registration.offer_expires_at = None
        registration.checked_in_at = None
        registration.queued_at = now
    else:
        raise EventError(_("Choose a confirmed place or the waiting list."))
    if registration.address_confirmed_at is None:
        registration.address_confirmed_at = now  # staff vouch for it
    registration.hold_expires_at = None
    registration.save()
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_ATTENDEE_MOVED,
        target=registration,
        changes={"status": {"before": before, "after": registration.status}},
    )
    _email_later(registration, str(registration.status))
    if registration.status == Status.WAITING:
        _offer_free_places(event=event, now=now)
    return registration


def _send_message(registration_ids: list[int], subject: str, text: str) -> None:
    for pk in registration_ids:
        send_registration_email(pk, "message", subject=subject, text=text)


@transaction.atomic
def attendees_message(
    *,
    actor: User | None,
    event: Event,
    registrations: Iterable[Registration],
    subject: str,
    text: str,
) -> int:
    """E-mail ``subject`` and ``text`` to these attendees (each with the link to their own
    registration); return how many addresses it goes to."""
    subject, text = subject.strip(), text.strip()
    if not subject or not text:
        raise EventError(_("Write a subject and a message."))
    ids = [r.pk for r in registrations if r.email and r.event_id == event.pk]
    if not ids:
        raise EventError(_("None of the chosen people has an e-mail address."))
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_ATTENDEES_MESSAGED,
        target=event,
        changes={"recipients": len(ids), "subject": subject},
    )
    transaction.on_commit(partial(_send_message, ids, subject, text))
    return len(ids)


def reminder_hours() -> int:
    return int(settings.WHATWORKS_EVENTS_REMINDER_HOURS)


def reminders_send(*, now: datetime | None = None) -> int:
    """Remind each confirmed attendee once, ``WHATWORKS_EVENTS_REMINDER_HOURS`` before their
    event starts (online events: with the joining link); return how many were reminded.

    Each reminder is claimed by a conditional update, so two schedulers running at once
    send it once.  Nobody waiting, offered or cancelled is reminded.
    """
    now = now or timezone.now()
    due = Registration.objects.filter(
        status=Status.CONFIRMED,
        reminded_at__isnull=True,
        anonymised_at__isnull=True,
        event__cancelled_at__isnull=True,
        event__published=True,
        event__starts_at__gt=now,
        event__starts_at__lte=now + timedelta(hours=reminder_hours()),
    ).exclude(email="")
    sent = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = Registration.objects.filter(
                pk=pk, status=Status.CONFIRMED, reminded_at__isnull=True
            ).update(reminded_at=now)
            if not claimed:
                continue
            registration = Registration.objects.get(pk=pk)
            audit_record(actor=None, action=AuditAction.EVENT_REMINDER_SENT, target=registration)
            _email_later(registration, "upcoming")
            sent += 1
    return sent


def certificates_send(*, now: datetime | None = None) -> int:
    """After an event, e-mail each person checked in their certificate of attendance
    (once; only while their data is kept); return how many were sent."""
    now = now or timezone.now()
    due = Registration.objects.filter(
        status=Status.CONFIRMED,
        checked_in_at__isnull=False,
        certificate_sent_at__isnull=True,
        anonymised_at__isnull=True,
        event__ends_at__lte=now,
        event__ends_at__gt=now - timedelta(days=settings.WHATWORKS_EVENTS_RETENTION_DAYS),
    ).exclude(email="")
    sent = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = Registration.objects.filter(pk=pk, certificate_sent_at__isnull=True).update(
                certificate_sent_at=now
            )
            if not claimed:
                continue
            registration = Registration.objects.get(pk=pk)
            audit_record(actor=None, action=AuditAction.EVENT_CERTIFICATE_SENT, target=registration)
            _email_later(registration, "certificate")
            sent += 1
    return sent
