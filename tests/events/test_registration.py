"""Registration, the waiting list, offers, expiry, signed links, e-mails and retention."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from tests.confirm import post_confirmed
from tests.events.factories import add_questions, make_event, register
from whatworks.events import errors, selectors
from whatworks.events.models import Registration
from whatworks.events.services import checkin, registrations
from whatworks.events.tokens import registration_token

pytestmark = pytest.mark.django_db

Status = Registration.Status


def test_places_then_waiting_list_in_order(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    event = make_event(capacity=2)
    with django_capture_on_commit_callbacks(execute=True):
        people = [register(event, n) for n in range(4)]
    assert [p.status for p in people] == [Status.CONFIRMED] * 2 + [Status.WAITING] * 2
    assert [selectors.queue_position(p) for p in people] == [None, None, 1, 2]
    assert len(mail.outbox) == 4
    confirmation = mail.outbox[0]
    assert confirmation.attachments and confirmation.attachments[0][2] == "text/calendar"
    assert "BEGIN:VEVENT" in confirmation.attachments[0][1]
    assert not mail.outbox[2].attachments  # waiting-list e-mail has no calendar file


def test_cancelling_offers_the_place_to_the_first_in_line(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks, settings: Settings
) -> None:
    settings.WHATWORKS_EVENTS_OFFER_HOURS = 24
    event = make_event(capacity=1)
    first, second, third = (register(event, n) for n in range(3))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registrations.registration_cancel(actor=None, registration=first)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == Status.OFFERED
    assert second.offer_expires_at is not None
    assert timedelta(hours=23) < second.offer_expires_at - timezone.now() <= timedelta(hours=24)
    assert selectors.queue_position(third) == 1
    offer = next(m for m in mail.outbox if m.to == [second.email])
    assert "accept" in offer.subject
    assert offer.attachments == [], "no calendar file or ticket until the offer is accepted"
    # a newcomer queues behind the waiting list even though the place is only offered
    assert register(event, "late").status == Status.WAITING
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registrations.registration_accept_offer(actor=None, registration=second)
    second.refresh_from_db()
    assert second.status == Status.CONFIRMED
    (accepted,) = mail.outbox
    assert [a[2] for a in accepted.attachments] == ["text/calendar", "image/png"]
    assert "STATUS:CONFIRMED" in accepted.attachments[0][1]


def test_offer_expires_and_moves_to_the_next_person() -> None:
    event = make_event(capacity=1)
    first, second, third = (register(event, n) for n in range(3))
    registrations.registration_cancel(actor=None, registration=first)
    second.refresh_from_db()
    assert second.offer_expires_at is not None
    assert registrations.offers_expire(now=second.offer_expires_at - timedelta(minutes=1)) == 0
    later = second.offer_expires_at + timedelta(minutes=1)
    assert registrations.offers_expire(now=later) == 1
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == Status.EXPIRED
    assert third.status == Status.OFFERED
    with pytest.raises(errors.EventError):
        registrations.registration_accept_offer(actor=None, registration=second)


def test_an_expired_offer_cannot_be_accepted_before_the_job_runs() -> None:
    event = make_event(capacity=1)
    first, second = register(event, 1), register(event, 2)
    registrations.registration_cancel(actor=None, registration=first)
    second.refresh_from_db()
    assert second.offer_expires_at is not None
    with pytest.raises(errors.EventError, match="expired"):
        registrations.registration_accept_offer(
            actor=None, registration=second, now=second.offer_expires_at + timedelta(seconds=1)
        )


def test_the_expiry_command_runs_the_service() -> None:
    event = make_event(capacity=1)
    first, second = register(event, 1), register(event, 2)
    registrations.registration_cancel(actor=None, registration=first)
    Registration.objects.filter(pk=second.pk).update(
        offer_expires_at=timezone.now() - timedelta(hours=1)
    )
    out = io.StringIO()
    call_command("events_expire_offers", stdout=out)
    assert "1 offer(s) expired" in out.getvalue()
    second.refresh_from_db()
    assert second.status == Status.EXPIRED


def test_the_same_address_cannot_register_twice() -> None:
    event = make_event()
    register(event, 1)
    with pytest.raises(errors.EventError, match="already registered"):
        register(event, 1)


def test_registration_only_while_open() -> None:
    now = timezone.now()
    event = make_event(registration_opens_at=now + timedelta(hours=1))
    with pytest.raises(errors.EventError, match="not open"):
        register(event, 1)


def test_raising_capacity_offers_the_new_places() -> None:
    event = make_event(capacity=1)
    register(event, 1)
    waiting = register(event, 2)
    registrations.event_update(actor=None, event=event, capacity=2)
    waiting.refresh_from_db()
    assert waiting.status == Status.OFFERED


def test_register_page_records_answers_and_asks_to_confirm_the_address(client: Client) -> None:
    event = make_event()
    add_questions(event)
    diet, workshop = event.questions.all()
    url = reverse("events:register", args=[event.slug])
    response = client.post(url, {"name": "Sam", "email": "sam@example.test"})
    assert response.status_code == 200  # the required choice is missing
    assert "There is a problem" in response.content.decode()
    response = client.post(
        url,
        {
            "name": "Sam",
            "email": "Sam@Example.test",
            f"q_{diet.pk}": "Vegan",
            f"q_{workshop.pk}": "B",
        },
    )
    registration = Registration.objects.get(event=event)
    assert response.status_code == 200 and "Check your e-mail" in response.content.decode()
    assert registration_token(registration.key) not in response.content.decode()
    assert registration.status == Status.HELD and not registration.address_confirmed
    assert registration.email == "sam@example.test"
    assert registration.answers == {str(diet.pk): "Vegan", str(workshop.pk): "B"}


def test_signed_link_shows_position_and_cancels(client: Client) -> None:
    event = make_event(capacity=1)
    register(event, 1)
    waiting = register(event, 2)
    token = registration_token(waiting.key)
    page = client.get(reverse("events:registration", args=[token])).content.decode()
    assert "number <strong>1</strong> on the waiting list" in page
    post_confirmed(client, reverse("events:cancel", args=[token]))
    waiting.refresh_from_db()
    assert waiting.status == Status.CANCELLED


@pytest.mark.parametrize("name", ["registration", "cancel", "accept"])
def test_tampered_links_are_refused(client: Client, name: str) -> None:
    registration = register(make_event(capacity=1), 1)
    token = registration_token(registration.key)
    key, signature = token.split(":")
    other_key = key[:-1] + ("0" if key[-1] != "0" else "1")
    for bad in (f"{other_key}:{signature}", f"{key}:{signature[:-1]}x", key, "nonsense"):
        url = reverse(f"events:{name}", args=[bad])
        response = client.post(url) if name != "registration" else client.get(url)
        assert response.status_code == 404, bad
    registration.refresh_from_db()
    assert registration.status == Status.CONFIRMED


def test_anonymises_attendees_after_the_retention_period(settings: Settings) -> None:
    settings.WHATWORKS_EVENTS_RETENTION_DAYS = 30
    now = timezone.now()
    event = make_event(capacity=5)
    add_questions(event)
    registration = register(event, 1, answers={"1": "Vegan"})
    checkin.registration_check_in(actor=None, registration=registration)
    assert registrations.registrations_anonymise(now=event.ends_at + timedelta(days=29)) == 0
    assert registrations.registrations_anonymise(now=event.ends_at + timedelta(days=31)) == 1
    registration.refresh_from_db()
    assert (registration.name, registration.email, registration.answers) == ("", "", {})
    assert registration.checked_in_at is not None  # counts survive, people do not
    assert registrations.registrations_anonymise(now=now + timedelta(days=400)) == 0
    from whatworks.core.models import AuditEntry

    entry = AuditEntry.objects.filter(action="event.attendees_anonymised").get()
    assert "example.test" not in str(entry.changes)


def test_ics_and_feed(client: Client) -> None:
    event = make_event(title="Deliberative forum, London")
    make_event(published=False, title="Hidden")
    one = client.get(reverse("events:calendar", args=[event.slug]))
    assert one["Content-Type"].startswith("text/calendar")
    assert "SUMMARY:Deliberative forum\\, London" in one.content.decode()
    feed = client.get(reverse("events:feed")).content.decode()
    assert "Deliberative forum" in feed and "Hidden" not in feed


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(errors.EventError, match="time zone"):
        make_event(time_zone="Mars/Olympus_Mons")
