"""E-mails to attendees, each with the event's calendar file.  Sent after commit."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from whatworks.core.links import absolute_url
from whatworks.events import ical
from whatworks.events.models import Event, Registration
from whatworks.events.tokens import registration_token

SUBJECTS = {
    "confirmed": "Your place at {title} is confirmed",
    "waiting": "You are on the waiting list for {title}",
    "offered": "A place at {title} is yours if you accept it",
    "cancelled": "Your registration for {title} is cancelled",
}


def calendar_event(event: Event) -> ical.CalendarEvent:
    location = event.venue or ""
    if event.online_url:
        location = f"{location} / {event.online_url}" if location else event.online_url
    return ical.CalendarEvent(
        uid=f"event-{event.pk}@whatworks",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        summary=event.title,
        description=event.summary,
        location=location,
        url=absolute_url(event.get_absolute_url()),
        stamp=event.created_at,
    )


def event_ics(event: Event) -> str:
    return ical.calendar([calendar_event(event)], name=event.title)


def registration_link(registration: Registration) -> str:
    token = registration_token(registration.key)
    return absolute_url(reverse("events:registration", args=[token]))


def send_registration_email(registration_id: int, kind: str) -> None:
    """Tell the attendee what happened; confirmations and offers carry the .ics."""
    registration = Registration.objects.select_related("event").get(pk=registration_id)
    if not registration.email:
        return
    event = registration.event
    context = {
        "registration": registration,
        "event": event,
        "kind": kind,
        "link": registration_link(registration),
        "event_url": absolute_url(event.get_absolute_url()),
    }
    message = EmailMessage(
        subject=SUBJECTS[kind].format(title=event.title),
        body=render_to_string("events/email/registration.txt", context),
        to=[registration.email],
    )
    if kind in {"confirmed", "offered"}:
        message.attach(f"{event.slug}.ics", event_ics(event), "text/calendar")
    message.send()
