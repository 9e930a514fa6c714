"""Reads of events, with their access checks."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from whatworks.core import surveys
from whatworks.core.errors import LinkInvalidError, SurveyError
from whatworks.core.http import AnyUser
from whatworks.core.models import User
from whatworks.events.models import Event, Registration
from whatworks.events.tickets import ticket_key
from whatworks.events.tokens import registration_key

MANAGE = "events.change_event"


def _visible(user: User | AnonymousUser) -> QuerySet[Event]:
    events = Event.objects.all()
    if not user.has_perm(MANAGE):
        events = events.filter(published=True)
    return events


def can_publish(event: Event) -> bool:
    """Whether the event may be published now: a draft that is not cancelled (who may do
    it is the staff pages' permission, ``MANAGE``)."""
    return not event.published and not event.cancelled


def can_cancel(event: Event) -> bool:
    """Whether the event may be cancelled now: once cancelled, it stays so."""
    return not event.cancelled


def published_event_choices() -> list[tuple[str, str, datetime]]:
    """Published events as ``(slug, title, starts_at)``, latest first: the ``event_choices``
    provider (``core/extensions.py``) through which the forum links a conversation."""
    events = Event.objects.filter(published=True).order_by("-starts_at")
    return list(events.values_list("slug", "title", "starts_at"))


def events_upcoming(*, user: AnyUser) -> QuerySet[Event]:
    return _visible(user).filter(ends_at__gte=timezone.now()).order_by("starts_at")


def events_past(*, user: AnyUser) -> QuerySet[Event]:
    return _visible(user).filter(ends_at__lt=timezone.now()).order_by("-starts_at")


def events_for_project(*, user: User | AnonymousUser, reference: str) -> QuerySet[Event]:
    """The events that are part of the research project ``reference``, as ``user`` may see
    them (published ones for everyone; unpublished ones too for those who manage events)."""
    if not reference:
        return Event.objects.none()
    return _visible(user).filter(project_ref=reference).order_by("starts_at")


def event_get_for_user(*, user: AnyUser, slug: str) -> Event:
    """A published event for anyone; an unpublished one only for those who manage events."""
    event = _visible(user).filter(slug=slug).first()
    if event is None:
        raise Http404("No such event.")
    return event


def registration_get_by_token(*, token: str) -> Registration:
    """The registration a signed link names; an altered link gets 404."""
    key = registration_key(token)
    registration = (
        Registration.objects.select_related("event").filter(key=key).first() if key else None
    )
    if registration is None or registration.anonymised_at is not None:
        raise LinkInvalidError(
            advice=(
                "The link to your registration may have been cut short, or the event was "
                "long enough ago that we have deleted the registrations. If you still need "
                "to change a registration, reply to the e-mail that confirmed it."
            ),
            steps=(("events:index", "See the events you can register for"),),
        )
    return registration


def registration_get_for_staff(*, event: Event, registration_id: int) -> Registration:
    registration = Registration.objects.filter(event=event, pk=registration_id).first()
    if registration is None:
        raise Http404("No such registration.")
    return registration


def queue_position(registration: Registration) -> int | None:
    """1 for the first person waiting; None for anyone not waiting."""
    if registration.status != Registration.Status.WAITING or not registration.address_confirmed:
        return None
    mine = registration.queued_at
    ahead = Registration.objects.filter(
        event_id=registration.event_id,
        status=Registration.Status.WAITING,
        address_confirmed_at__isnull=False,
    ).filter(Q(queued_at__lt=mine) | Q(queued_at=mine, id__lt=registration.pk))
    return ahead.count() + 1


def places_left(event: Event) -> int:
    held = Registration.objects.filter(event=event, status__in=Registration.HOLDING).count()
    return max(event.capacity - held, 0)


def waiting_count(event: Event) -> int:
    """People on the waiting list (whose address is confirmed)."""
    return Registration.objects.filter(
        event=event, status=Registration.Status.WAITING, address_confirmed_at__isnull=False
    ).count()


def attendees(*, event: Event) -> QuerySet[Registration]:
    return Registration.objects.filter(event=event).order_by("status", "queued_at", "id")


def check_in_counts(event: Event) -> tuple[int, int]:
    """(checked in, confirmed): "12 of 22 in"."""
    counts = Registration.objects.filter(
        event=event, status=Registration.Status.CONFIRMED
    ).aggregate(
        confirmed=Count("id"), checked_in=Count("id", filter=Q(checked_in_at__isnull=False))
    )
    return counts["checked_in"], counts["confirmed"]


def feedback_summary(event: Event) -> surveys.SurveySummary | None:
    """The event's feedback survey as the panel reports it (``core.surveys``), if any."""
    if event.feedback_survey_id is None:
        return None
    try:
        return surveys.provider().summary(survey_id=event.feedback_survey_id)
    except SurveyError:
        return None


def events_for_staff(*, user: User) -> QuerySet[Event]:
    """Every event, drafts and cancelled ones too, newest first, with their counts."""
    if not user.has_perm(MANAGE):
        return Event.objects.none()
    held = Q(registrations__status__in=Registration.HOLDING)
    waiting = Q(registrations__status=Registration.Status.WAITING)
    return Event.objects.annotate(
        held=Count("registrations", filter=held),
        waiting=Count("registrations", filter=waiting),
    ).order_by("-starts_at")


def registration_get_by_ticket(*, event: Event, code: str) -> Registration | None:
    """The registration a ticket code (or a scanned ticket URL) names, if it is this event's."""
    key = ticket_key(code)
    if key is None:
        return None
    return Registration.objects.filter(event=event, key=key).first()


def registration_get_by_ticket_for_staff(*, code: str) -> Registration:
    key = ticket_key(code)
    found = Registration.objects.select_related("event").filter(key=key).first() if key else None
    if found is None:
        raise Http404("No such ticket.")
    return found
