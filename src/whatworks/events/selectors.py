"""Reads of events, with their access checks."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from whatworks.core.errors import LinkInvalidError
from whatworks.core.models import User
from whatworks.events.models import Event, Registration
from whatworks.events.tokens import registration_key

MANAGE = "events.change_event"


def _visible(user: User | AnonymousUser) -> QuerySet[Event]:
    events = Event.objects.all()
    if not user.has_perm(MANAGE):
        events = events.filter(published=True)
    return events


def events_upcoming(*, user: User) -> QuerySet[Event]:
    return _visible(user).filter(ends_at__gte=timezone.now()).order_by("starts_at")


def events_past(*, user: User) -> QuerySet[Event]:
    return _visible(user).filter(ends_at__lt=timezone.now()).order_by("-starts_at")


def events_for_project(*, user: User | AnonymousUser, reference: str) -> QuerySet[Event]:
    """The events that are part of the research project ``reference``, as ``user`` may see
    them (published ones for everyone; unpublished ones too for those who manage events)."""
    if not reference:
        return Event.objects.none()
    return _visible(user).filter(project_ref=reference).order_by("starts_at")


def event_get_for_user(*, user: User, slug: str) -> Event:
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
    ahead = Registration.objects.filter(
        event_id=registration.event_id,
        status=Registration.Status.WAITING,
        address_confirmed_at__isnull=False,
        id__lt=registration.pk,
    ).count()
    return ahead + 1


def places_left(event: Event) -> int:
    held = Registration.objects.filter(event=event, status__in=Registration.HOLDING).count()
    return max(event.capacity - held, 0)


def waiting_count(event: Event) -> int:
    """People on the waiting list (whose address is confirmed)."""
    return Registration.objects.filter(
        event=event, status=Registration.Status.WAITING, address_confirmed_at__isnull=False
    ).count()


def attendees(*, event: Event) -> QuerySet[Registration]:
    return Registration.objects.filter(event=event).order_by("status", "id")
