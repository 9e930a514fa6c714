"""Demo events: a past #iuseevidence day with attendees, a nearly full deliberative forum
with a waiting list, and an online Schwartz Round demonstration.

Idempotent: events are found by slug and registrations by (event, e-mail address).  The
demo people are fictional, so their e-mails are kept in memory, not sent.  The forum and
the Schwartz Round are linked to the registry demo's projects (loaded earlier, in app
order) by title; an event already linked, or a project that is not there, is left alone.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from django.test import override_settings
from django.utils import timezone

from whatworks.core.demo import Writer, demo_project_reference
from whatworks.events.errors import EventError
from whatworks.events.models import Event, Registration
from whatworks.events.services.checkin import registration_check_in
from whatworks.events.services.feedback import event_feedback_create, event_feedback_send
from whatworks.events.services.registrations import (
    event_create,
    event_update,
    question_create,
    registration_cancel,
    registration_create,
)

#: The registry demo's projects (by title) that demo events are part of, by event slug.
PROJECT_TITLES = {
    "deliberative-forum-machine-learning-london": (
        "Predicting escalation in children's social care referrals: a Northmoor pilot"
    ),
    "schwartz-round-demonstration-online": "Schwartz Rounds and social worker wellbeing",
}


FIRST_NAMES = ["Amara", "Ben", "Chloe", "Dev", "Ella", "Femi", "Grace", "Hassan", "Isla", "Jack"]
LAST_NAMES = ["Okafor", "Patel", "Jones", "Khan", "Murphy", "Evans", "Nowak", "Hughes"]


def _people(count: int, domain: str) -> list[tuple[str, str]]:
    people = []
    for n in range(count):
        first = FIRST_NAMES[n % len(FIRST_NAMES)]
        last = LAST_NAMES[(n // len(FIRST_NAMES) + n) % len(LAST_NAMES)]
        people.append((f"{first} {last}", f"{first}.{last}.{n}@{domain}".lower()))
    return people


def _day(days: int, hour: int, minute: int = 0) -> datetime:
    base = timezone.localtime() + timedelta(days=days)
    return base.replace(hour=hour, minute=minute, second=0, microsecond=0)


def _event(slug: str, **fields: Any) -> tuple[Event, bool]:
    event = Event.objects.filter(slug=slug).first()
    if event is not None:
        return event, False
    event = event_create(actor=None, slug=slug, **fields)
    question_create(
        actor=None, event=event, kind="access", label="Do you have any access needs?", position=1
    )
    question_create(
        actor=None, event=event, kind="dietary", label="Do you have any dietary needs?", position=2
    )
    return event, True


def _link_projects() -> None:
    for event in Event.objects.filter(slug__in=PROJECT_TITLES, project_ref=""):
        reference = demo_project_reference(title=PROJECT_TITLES[event.slug])
        if reference:
            event_update(actor=None, event=event, project_ref=reference)


def _register(event: Event, people: list[tuple[str, str]], *, at: datetime) -> list[Registration]:
    made = []
    for name, email in people:
        found = Registration.objects.filter(event=event, email=email).first()
        made.append(
            found
            or registration_create(
                # demo people have confirmed their addresses
                actor=None,
                event=event,
                name=name,
                email=email,
                now=at,
                address_confirmed=True,
            )
        )
    return made


def load(*, stdout: Writer) -> None:
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        _load(stdout)


def _load(stdout: Writer) -> None:
    birmingham, new = _event(
        "iuseevidence-day-birmingham",
        title="#iuseevidence day: Birmingham",
        kind=Event.Kind.IUSEEVIDENCE,
        summary=(
            "A day for social workers and managers in the West Midlands to share how they use "
            "research in everyday practice, with workshops on reading evaluations critically."
        ),
        agenda=(
            "09:30 Arrival and coffee\n10:00 Welcome from the Executive Director\n"
            "10:30 Workshop: what does a good evaluation look like?\n"
            "12:30 Lunch\n13:30 Practice stories from three local authorities\n"
            "15:30 Close"
        ),
        accessibility=(
            "Step-free access throughout, a hearing loop in the main room, a quiet room, and "
            "accessible toilets on every floor. BSL interpretation on request."
        ),
        starts_at=_day(-20, 9, 30),
        ends_at=_day(-20, 15, 30),
        mode=Event.Mode.IN_PERSON,
        venue="The Exchange, 3 Centenary Square, Birmingham B1 2DR",
        capacity=60,
        registration_opens_at=_day(-70, 9),
        registration_closes_at=_day(-21, 17),
    )
    if new:
        attendees = _register(birmingham, _people(42, "birmingham.example"), at=_day(-40, 12))
        for registration in attendees[:35]:
            registration_check_in(actor=None, registration=registration, now=_day(-20, 9, 40))
        # the feedback survey (the polling panel's tools, through core.surveys), sent to
        # the 35 who came; with no panel installed there is simply none
        with contextlib.suppress(EventError):
            event_feedback_create(actor=None, event=birmingham, template="event-feedback")
            event_feedback_send(actor=None, event=birmingham)
    forum, new = _event(
        "deliberative-forum-machine-learning-london",
        title="Deliberative forum: machine learning in children's social care",
        kind=Event.Kind.FORUM,
        summary=(
            "Should councils use predictive models to help decide which families get early "
            "help? A day of evidence, expert witnesses and small-group deliberation with care "
            "leavers, parents, social workers and data scientists."
        ),
        agenda=(
            "10:00 Why we are here, and how the day works\n"
            "10:30 Evidence: what the pilots found\n11:30 Witnesses and questions\n"
            "13:30 Small-group deliberation\n15:30 Recommendations and close"
        ),
        accessibility=(
            "Step-free venue near Euston station. Travel costs and childcare are paid for "
            "members of the public. Papers are sent a week ahead in large print on request."
        ),
        starts_at=_day(18, 10),
        ends_at=_day(18, 16),
        mode=Event.Mode.IN_PERSON,
        venue="Friends House, 173 Euston Road, London NW1 2BJ",
        capacity=24,
        registration_opens_at=_day(-14, 9),
        registration_closes_at=_day(16, 17),
    )
    if new:
        people = _register(forum, _people(29, "forum.example"), at=timezone.now())
        for registration in people[:2]:  # two people cancel: offers go to the first waiting
            registration_cancel(actor=None, registration=registration)
    schwartz, new = _event(
        "schwartz-round-demonstration-online",
        title="Schwartz Round demonstration",
        kind=Event.Kind.SCHWARTZ,
        summary=(
            "See a Schwartz Round in action: a structured hour in which staff talk about the "
            "emotional side of their work. For managers thinking of running Rounds."
        ),
        agenda="12:30 Introduction\n12:40 The Round\n13:30 Questions about running Rounds",
        accessibility="Live captions. Cameras optional. The slides are sent in advance.",
        starts_at=_day(32, 12, 30),
        ends_at=_day(32, 14),
        mode=Event.Mode.ONLINE,
        online_url="https://meet.example.org/schwartz-demo",
        capacity=80,
        registration_opens_at=_day(-3, 9),
        registration_closes_at=_day(31, 17),
    )
    if new:
        _register(schwartz, _people(12, "schwartz.example"), at=timezone.now())
    _link_projects()
    stdout.write(
        f"  events: {Event.objects.count()} events, {Registration.objects.count()} registrations\n"
    )
