"""Events for tests, made through the services, and kwargs makers for the permission matrix."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from whatworks.events.models import Event, Registration
from whatworks.events.services.registrations import (
    event_create,
    question_create,
    registration_create,
)
from whatworks.events.tokens import registration_token

_counter = iter(range(1, 1_000_000))


def make_event(**overrides: Any) -> Event:
    n = next(_counter)
    now = timezone.now()
    fields: dict[str, Any] = {
        "slug": f"event-{n}",
        "title": f"#iuseevidence day {n}",
        "kind": Event.Kind.IUSEEVIDENCE,
        "summary": "A day about using evidence in practice.",
        "agenda": "10:00 Welcome\n11:00 Workshops",
        "accessibility": "Step-free access; hearing loop.",
        "starts_at": now + timedelta(days=10),
        "ends_at": now + timedelta(days=10, hours=6),
        "mode": Event.Mode.IN_PERSON,
        "venue": "The Exchange, Birmingham",
        "capacity": 2,
        "registration_opens_at": now - timedelta(days=1),
        "registration_closes_at": now + timedelta(days=9),
    }
    fields.update(overrides)
    return event_create(actor=None, **fields)


def add_questions(event: Event) -> None:
    question_create(actor=None, event=event, kind="dietary", label="Dietary needs")
    question_create(
        actor=None, event=event, kind="choice", label="Workshop", choices="A\nB", required=True
    )


def register(event: Event, n: int | str, **kwargs: Any) -> Registration:
    """A registration whose address is confirmed (``address_confirmed=False`` for one that
    still waits for the link)."""
    kwargs.setdefault("address_confirmed", True)
    return registration_create(
        actor=None, event=event, name=f"Person {n}", email=f"p{n}@example.test", **kwargs
    )


def event_kwargs() -> dict[str, object]:
    return {"slug": make_event().slug}


def unpublished_event_kwargs() -> dict[str, object]:
    return {"slug": make_event(published=False).slug}


def registration_kwargs() -> dict[str, object]:
    registration = register(make_event(), "matrix")
    return {"token": registration_token(registration.key)}


def check_in_kwargs() -> dict[str, object]:
    registration = register(make_event(), "matrix")
    return {"slug": registration.event.slug, "registration_id": registration.pk}


def past_event(**overrides: Any) -> Event:
    """An event that is over (registration long closed)."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "starts_at": now - timedelta(days=3, hours=6),
        "ends_at": now - timedelta(days=3),
        "registration_opens_at": now - timedelta(days=30),
        "registration_closes_at": now - timedelta(days=4),
    }
    fields.update(overrides)
    return make_event(**fields)


def checked_in(event: Event, n: int | str, **kwargs: Any) -> Registration:
    """A confirmed registration, checked in (for events past too: made directly, as the
    registration window of a past event is closed)."""
    from whatworks.events.services.checkin import registration_check_in
    from whatworks.events.services.staff import registration_add

    registration = registration_add(
        actor=None,
        event=event,
        name=kwargs.pop("name", f"Person {n}"),
        email=f"p{n}@example.test",
        status=Registration.Status.CONFIRMED,
        notify=False,
    )
    return registration_check_in(actor=None, registration=registration, **kwargs).registration


def certificate_kwargs() -> dict[str, object]:
    registration = checked_in(past_event(), "matrix")
    return {"token": registration_token(registration.key)}


def ticket_kwargs() -> dict[str, object]:
    from whatworks.events.tickets import ticket_code

    return {"code": ticket_code(register(make_event(), "matrix"))}


def question_kwargs() -> dict[str, object]:
    event = make_event()
    question = question_create(actor=None, event=event, kind="dietary", label="Dietary needs")
    return {"slug": event.slug, "question_id": question.pk}
