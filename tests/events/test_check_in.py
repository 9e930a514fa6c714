"""The door: tickets, scanning, search, the counter, undo and walk-ins."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tests.events.factories import make_event, register
from tests.fixturetypes import MakeUser
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.events import errors
from whatworks.events.models import Registration
from whatworks.events.services.checkin import (
    registration_check_in,
    registration_check_in_undo,
    registration_walk_in,
)
from whatworks.events.tickets import ticket_code, ticket_key, ticket_url
from whatworks.events.tokens import registration_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def door(client: Client, make_user: MakeUser) -> Client:
    client.force_login(make_user(Role.EDITOR))
    return client


def test_the_ticket_code_names_the_registration_and_cannot_be_forged() -> None:
    registration = register(make_event(), 1)
    code = ticket_code(registration)
    assert ticket_key(code) == registration.key
    assert ticket_key(ticket_url(registration)) == registration.key  # a scanned URL
    assert ticket_key(code[:-1] + ("A" if code[-1] != "A" else "B")) is None
    # the ticket is not the link that lets its holder cancel
    assert code != registration_token(registration.key)
    assert ticket_key(registration_token(registration.key)) is None


def test_the_confirmation_email_and_page_carry_the_ticket(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    event = make_event()
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(event, 1)
    (message,) = mail.outbox
    png = next(a for a in message.attachments if a[2] == "image/png")
    assert png[1].startswith(b"\x89PNG")
    assert "QR code" in message.body
    page = client.get(reverse("events:registration", args=[registration_token(registration.key)]))
    html = page.content.decode()
    assert 'aria-label="QR code of your ticket"' in html and ticket_code(registration) in html


def test_a_waiting_person_has_no_ticket(client: Client) -> None:
    event = make_event(capacity=1)
    register(event, 1)
    waiting = register(event, 2)
    html = client.get(reverse("events:registration", args=[registration_token(waiting.key)]))
    assert "QR code" not in html.content.decode()


def test_scanning_checks_in_once_and_undo_takes_it_back(door: Client) -> None:
    event = make_event(capacity=3)
    person = register(event, 1)
    register(event, 2)
    scan = reverse("events:check_in_scan", args=[event.slug])
    response = door.post(scan, {"code": ticket_url(person)})
    assert response.status_code == 302 and f"last={person.pk}" in response["Location"]
    page = door.get(response["Location"]).content.decode()
    assert "1 of 2</strong> in" in page and "Undo" in page
    again = door.post(scan, {"code": ticket_code(person)}, follow=True)
    assert "already checked in" in again.content.decode()
    assert AuditEntry.objects.filter(action="event.checked_in").count() == 1
    door.post(reverse("events:check_in_undo", args=[event.slug, person.pk]))
    person.refresh_from_db()
    assert person.checked_in_at is None
    count = door.get(reverse("events:check_in_count", args=[event.slug])).content.decode()
    assert "0 of 2</strong> in" in count


def test_a_ticket_for_another_event_is_refused_with_its_name(door: Client) -> None:
    event, other = make_event(), make_event(title="Another day")
    stranger = register(other, 1)
    response = door.post(
        reverse("events:check_in_scan", args=[event.slug]), {"code": ticket_code(stranger)}
    )
    assert response.status_code == 400
    assert "for another event, Another day" in response.content.decode()
    junk = door.post(reverse("events:check_in_scan", args=[event.slug]), {"code": "nonsense"})
    assert "not a ticket for this event" in junk.content.decode()
    stranger.refresh_from_db()
    assert stranger.checked_in_at is None


def test_the_ticket_page_a_phone_camera_opens(door: Client) -> None:
    person = register(make_event(), 1)
    url = reverse("events:ticket", args=[ticket_code(person)])
    assert "Check in Person 1" in door.get(url).content.decode()
    door.post(url)
    person.refresh_from_db()
    assert person.checked_in_at is not None


def test_the_check_in_page_may_use_the_camera_and_no_other_page_may(door: Client) -> None:
    event = make_event()
    page = door.get(reverse("events:check_in", args=[event.slug]))
    assert "camera=(self)" in page["Permissions-Policy"]
    other = door.get(reverse("events:attendees", args=[event.slug]))
    assert "camera=()" in other["Permissions-Policy"]


def test_only_confirmed_people_are_checked_in() -> None:
    event = make_event(capacity=1)
    register(event, 1)
    waiting = register(event, 2)
    with pytest.raises(errors.EventError, match="not confirmed"):
        registration_check_in(actor=None, registration=waiting)
    with pytest.raises(errors.EventError, match="not checked in"):
        registration_check_in_undo(actor=None, registration=waiting)


def test_walk_ins_are_registered_and_checked_in_even_when_full(
    door: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    event = make_event(capacity=1)
    register(event, 1)
    url = reverse("events:walk_in", args=[event.slug])
    with django_capture_on_commit_callbacks(execute=True):
        response = door.post(url, {"walk_in-name": "Walk In", "walk_in-email": "w@example.test"})
    assert response.status_code == 302
    walk_in = Registration.objects.get(email="w@example.test")
    assert walk_in.status == Registration.Status.CONFIRMED and walk_in.checked_in_at
    assert walk_in.source == Registration.Source.WALK_IN
    entry = AuditEntry.objects.get(action="event.walked_in")
    assert entry.changes == {"over_capacity": True}
    assert mail.outbox[-1].to == ["w@example.test"]
    again = door.post(url, {"walk_in-name": "Person 1", "walk_in-email": "p1@example.test"})
    assert again.status_code == 400 and "find them by name" in again.content.decode()
    empty = door.post(url, {"walk_in-name": "", "walk_in-email": "not an address"})
    assert set(empty.context["walk_in"].errors) == {"name", "email"}
    nameless = registration_walk_in(actor=None, event=event, name="No Address")
    assert nameless.email == "" and nameless.checked_in_at is not None


def test_search_finds_by_name_and_offers_undo(door: Client) -> None:
    event = make_event()
    person = register(event, 1)
    registration_check_in(actor=None, registration=person)
    page = door.get(reverse("events:check_in", args=[event.slug]), {"q": "person 1"})
    html = page.content.decode()
    assert "Checked in at" in html and "Undo" in html
