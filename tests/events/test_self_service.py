"""What attendees do themselves: change answers, see their place, know they will wait,
and get a calendar file only for what is really theirs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tests.events.factories import add_questions, make_event, register
from whatworks.core.models import AuditEntry
from whatworks.events import errors
from whatworks.events.emails import registration_ics
from whatworks.events.models import Registration
from whatworks.events.services import registrations
from whatworks.events.tokens import registration_token

pytestmark = pytest.mark.django_db

Status = Registration.Status


def _token(registration: Registration) -> str:
    return registration_token(registration.key)


def test_attendees_change_their_own_answers(client: Client) -> None:
    event = make_event()
    add_questions(event)
    dietary, workshop = event.questions.all()
    person = register(event, 1, answers={str(dietary.pk): "", str(workshop.pk): "A"})
    url = reverse("events:answers", args=[_token(person)])
    page = client.get(url).content.decode()
    assert 'value="A" selected' in page
    bad = client.post(url, {f"q_{dietary.pk}": "Vegan", f"q_{workshop.pk}": ""})
    assert f"q_{workshop.pk}" in bad.context["form"].errors  # required
    client.post(url, {f"q_{dietary.pk}": "Vegan", f"q_{workshop.pk}": "B"})
    person.refresh_from_db()
    assert person.answers == {str(dietary.pk): "Vegan", str(workshop.pk): "B"}
    entry = AuditEntry.objects.get(action="event.answers_changed")
    assert "Vegan" not in str(entry.changes)  # which questions, never what (health data)
    shown = client.get(reverse("events:registration", args=[_token(person)])).content.decode()
    assert "Vegan" in shown and "Change your answers" in shown


def test_answers_cannot_change_once_cancelled_or_over() -> None:
    event = make_event()
    person = register(event, 1)
    with pytest.raises(errors.EventError, match="over"):
        registrations.registration_answers_update(
            actor=None, registration=person, answers={}, now=event.ends_at + timedelta(minutes=1)
        )
    registrations.registration_cancel(actor=None, registration=person)
    with pytest.raises(errors.EventError, match="ended"):
        registrations.registration_answers_update(actor=None, registration=person, answers={})


def test_a_full_event_says_you_will_join_the_waiting_list_before_you_register(
    client: Client,
) -> None:
    event = make_event(capacity=1)
    before = client.get(reverse("events:register", args=[event.slug])).content.decode()
    assert "join the waiting list" not in before
    register(event, 1)
    full = client.get(reverse("events:register", args=[event.slug])).content.decode()
    assert "if you register, you will join the waiting list" in full
    assert ">Join the waiting list</button>" in full
    register(event, 2)
    queue = client.get(reverse("events:register", args=[event.slug])).content.decode()
    assert "behind 1 person already on it" in queue


def test_the_calendar_file_says_how_sure_the_place_is(client: Client) -> None:
    event = make_event(capacity=1, mode="hybrid", online_url="https://meet.example/join")
    confirmed = register(event, 1)
    waiting = register(event, 2)
    assert "STATUS:CONFIRMED" in (registration_ics(confirmed) or "")
    waiting_file = registration_ics(waiting) or ""
    assert "STATUS:TENTATIVE" in waiting_file and "STATUS:CONFIRMED" not in waiting_file
    assert "meet.example" not in waiting_file, "no joining link before the place is theirs"
    registrations.registration_cancel(actor=None, registration=confirmed)
    waiting.refresh_from_db()
    assert waiting.status == Status.OFFERED
    assert "STATUS:TENTATIVE" in (registration_ics(waiting) or "")
    # a cancelled registration offers no calendar file: not on its page, not at its URL
    assert registration_ics(confirmed) is None
    url = reverse("events:registration_calendar", args=[_token(confirmed)])
    assert client.get(url).status_code == 404
    page = client.get(reverse("events:registration", args=[_token(confirmed)])).content.decode()
    assert ".ics" not in page and "Cancel my registration" not in page


def test_the_offer_email_attaches_the_calendar_only_once_accepted(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    event = make_event(capacity=1)
    first, second = register(event, 1), register(event, 2)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registrations.registration_cancel(actor=None, registration=first)
    cancelled, offer = sorted(mail.outbox, key=lambda m: m.to[0])
    assert cancelled.to == [first.email] and cancelled.attachments == []
    assert offer.to == [second.email] and offer.attachments == []
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registrations.registration_accept_offer(actor=None, registration=second)
    (accepted,) = mail.outbox
    assert any(a[2] == "text/calendar" for a in accepted.attachments)


def test_a_waiting_person_sees_their_place(client: Client) -> None:
    event = make_event(capacity=1)
    register(event, 1)
    register(event, 2)
    third = register(event, 3)
    page = client.get(reverse("events:registration", args=[_token(third)])).content.decode()
    assert "number <strong>2</strong> on the waiting list" in page
    assert "marked as not yet confirmed" in page


def test_a_cancelled_event_shows_on_its_page_and_in_the_feed(client: Client) -> None:
    from whatworks.events.services.staff import event_cancel

    event = make_event()
    event_cancel(actor=None, event=event, note="Snow.", now=timezone.now())
    page = client.get(event.get_absolute_url()).content.decode()
    assert "This event is cancelled." in page and "Snow." in page
    assert 'href="/events/' + event.slug + '/register/"' not in page
    feed = client.get(reverse("events:feed")).content.decode()
    assert "STATUS:CANCELLED" in feed
