"""E-mails to attendees, each with the event's calendar file.  Sent after commit.

Nothing a visitor typed appears in them (not even the name they gave): the first e-mail
goes to an address nobody has confirmed yet, so whoever typed it must not be able to put
words of their own in the platform's mouth.  The event's title, times and venue are the
Centre's.  The online joining link goes only to people with a confirmed place.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from whatworks.core.links import absolute_url
from whatworks.core.mail import mail_message, mail_send
from whatworks.events import ical
from whatworks.events.models import Event, Registration
from whatworks.events.tickets import qr_png
from whatworks.events.tokens import registration_token

SUBJECTS = {
    "confirm": "Confirm your e-mail address to register for {title}",
    "reminder": "Your registration for {title}",
    "confirmed": "Your place at {title} is confirmed",
    "waiting": "You are on the waiting list for {title}",
    "offered": "A place at {title} is yours if you accept it",
    "cancelled": "Your registration for {title} is cancelled",
    "event_cancelled": "{title} is cancelled",
    "upcoming": "Reminder: {title} is coming up",
    "certificate": "Your certificate of attendance for {title}",
}

#: Kinds that go only to a person whose place is confirmed: they carry the ticket, the
#: calendar file and, for an online event, the joining link.
CONFIRMED_KINDS = {"confirmed", "upcoming"}


def calendar_event(
    event: Event, *, joining_link: bool = False, tentative: bool = False
) -> ical.CalendarEvent:
    """The event for a calendar file; ``joining_link`` only for a confirmed attendee's own
    file (public calendar files never carry it); ``tentative`` for someone whose place is
    not yet theirs (waiting list, offered, held)."""
    location = event.venue or ""
    if joining_link and event.online_url:
        location = f"{location} / {event.online_url}" if location else event.online_url
    elif not location and event.online_url:
        location = "Online (the joining link is sent to people with a place)"
    return ical.CalendarEvent(
        uid=f"event-{event.pk}@whatworks",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        summary=event.title,
        description=event.summary,
        location=location,
        url=absolute_url(event.get_absolute_url()),
        stamp=event.created_at,
        cancelled=event.cancelled,
        tentative=tentative and not event.cancelled,
    )


def event_ics(event: Event, *, joining_link: bool = False, tentative: bool = False) -> str:
    return ical.calendar(
        [calendar_event(event, joining_link=joining_link, tentative=tentative)], name=event.title
    )


def registration_ics(registration: Registration) -> str | None:
    """The attendee's own calendar file: confirmed, with the joining link, once the place is
    theirs; tentative while they wait for one; none for a registration that has ended
    (cancelled or lapsed)."""
    if registration.status not in Registration.ACTIVE or registration.event.cancelled:
        return None
    confirmed = registration.status == Registration.Status.CONFIRMED
    return event_ics(registration.event, joining_link=confirmed, tentative=not confirmed)


def registration_link(registration: Registration) -> str:
    token = registration_token(registration.key)
    return absolute_url(reverse("events:registration", args=[token]))


def send_registration_email(
    registration_id: int, kind: str, *, subject: str = "", text: str = ""
) -> None:
    """Tell the attendee what happened.  A confirmed place's e-mails (``CONFIRMED_KINDS``)
    carry the ticket's QR code and the .ics; an offer carries neither until it is accepted.
    ``kind="message"`` is staff's own ``subject`` and ``text``."""
    registration = Registration.objects.select_related("event").get(pk=registration_id)
    if not registration.email:
        return
    event = registration.event
    confirmed = (
        kind in CONFIRMED_KINDS
        and registration.status == Registration.Status.CONFIRMED
        and not event.cancelled
    )
    context = {
        "registration": registration,
        "event": event,
        "kind": kind,
        "link": registration_link(registration),
        "event_url": absolute_url(event.get_absolute_url()),
        "joining_link": event.online_url if confirmed else "",
        "confirm_minutes": settings.WHATWORKS_EVENTS_CONFIRM_MINUTES,
        "ticket": confirmed,
        "text": text,
    }
    message = mail_message(
        subject=subject if kind == "message" else SUBJECTS[kind].format(title=event.title),
        body=render_to_string("events/email/registration.txt", context),
        to=[registration.email],
    )
    if confirmed:
        message.attach(f"{event.slug}.ics", event_ics(event, joining_link=True), "text/calendar")
        message.attach("ticket-qr-code.png", qr_png(registration), "image/png")
    if kind == "certificate":
        from whatworks.events.certificates import certificate_pdf

        message.attach(
            f"certificate-{event.slug}.pdf", certificate_pdf(registration), "application/pdf"
        )
    mail_send(message)
