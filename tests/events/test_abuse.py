"""One client cannot take every place, write to any address in the platform's voice, learn
who is registered, or read the joining link without a place."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.events.factories import make_event, register
from tests.factories import UserFactory
from tests.fixturetypes import ThrottleClock
from whatworks.events.models import Registration
from whatworks.events.services import registrations
from whatworks.events.tokens import registration_token
from whatworks.events.views.public import REGISTER_EMAIL_RATE, REGISTER_RATE

#: E-mails go after commit, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)
Status = Registration.Status
JOIN = "https://meet.example.org/secret-room"
NAME = "Sam. URGENT from whatworks: your account is locked, sign in at http://evil.example"


def _post(client: Client, slug: str, email: str, name: str = "Sam") -> int:
    url = reverse("events:register", args=[slug])
    return client.post(url, {"name": name, "email": email}).status_code


def _link(message: mail.EmailMessage) -> str:
    match = re.search(r"http\S+(/events/registration/[^/\s]+/)", str(message.body))
    assert match is not None, message.body
    return match.group(1)


def test_one_client_cannot_take_every_place(throttle_clock: ThrottleClock) -> None:
    event = make_event(capacity=100)
    client = Client()
    codes = [_post(client, event.slug, f"p{i}@example.test") for i in range(70)]
    assert codes.count(200) == REGISTER_RATE.limit and codes.count(429) == 70 - REGISTER_RATE.limit
    assert Registration.objects.filter(event=event).count() == REGISTER_RATE.limit
    # none of them holds a place for good: each waits for its address to be confirmed
    assert set(Registration.objects.values_list("status", flat=True)) == {Status.HELD}
    assert _post(Client(REMOTE_ADDR="198.51.100.4"), event.slug, "other@example.test") == 200


def test_an_unconfirmed_hold_lapses_and_its_place_goes_on(throttle_clock: ThrottleClock) -> None:
    event = make_event(capacity=1)
    _post(Client(), event.slug, "first@example.test")
    held = Registration.objects.get()
    assert held.status == Status.HELD and held.hold_expires_at is not None
    waiting = register(event, "second")  # confirmed address, on the waiting list
    assert waiting.status == Status.WAITING
    registrations.holds_expire(now=held.hold_expires_at - timedelta(seconds=1))
    held.refresh_from_db()
    assert held.status == Status.HELD
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: held.hold_expires_at + timedelta(minutes=1))
        call_command("events_expire_offers", stdout=io.StringIO())
    held.refresh_from_db()
    waiting.refresh_from_db()
    assert held.status == Status.EXPIRED and waiting.status == Status.OFFERED


def test_confirming_the_address_makes_the_place_yours_without_your_words(
    throttle_clock: ThrottleClock,
) -> None:
    event = make_event(capacity=1, mode="hybrid", online_url=JOIN)
    browser = Client()
    assert _post(browser, event.slug, "victim@example.test", name=NAME) == 200
    (message,) = mail.outbox
    assert message.to == ["victim@example.test"]
    assert "evil.example" not in message.body and "URGENT" not in message.body
    assert JOIN not in message.body, "no joining link before the place is confirmed"
    link = _link(message)
    page = browser.get(link).content.decode()
    assert "Confirm my registration" in page and JOIN not in page
    token = link.rstrip("/").rsplit("/", 1)[1]
    browser.post(reverse("events:confirm", args=[token]))
    registration = Registration.objects.get()
    assert registration.status == Status.CONFIRMED and registration.address_confirmed
    confirmed = mail.outbox[-1]
    assert "is confirmed" in confirmed.subject and JOIN in confirmed.body
    assert "evil.example" not in confirmed.body
    attachment, ticket = confirmed.attachments
    assert attachment[2] == "text/calendar" and ticket[2] == "image/png"
    assert JOIN in str(attachment[1]).replace("\r\n ", "")
    page = browser.get(link).content.decode()
    assert JOIN in page
    own = browser.get(reverse("events:registration_calendar", args=[token])).content.decode()
    assert JOIN in own.replace("\r\n ", "")


def test_public_calendar_files_carry_no_joining_link(throttle_clock: ThrottleClock) -> None:
    event = make_event(mode="online", venue="", online_url=JOIN, capacity=1)
    client = Client()
    for url in (reverse("events:calendar", args=[event.slug]), reverse("events:feed")):
        text = client.get(url).content.decode().replace("\r\n ", "")
        assert "meet.example.org" not in text and "Online" in text
    register(event, 1)
    waiting = register(event, 2)
    own = client.get(
        reverse("events:registration_calendar", args=[registration_token(waiting.key)])
    ).content.decode()
    assert "meet.example.org" not in own.replace("\r\n ", ""), "no place, no link"


def test_the_answer_does_not_say_whether_an_address_is_registered(
    throttle_clock: ThrottleClock,
) -> None:
    event = make_event(capacity=5)
    register(event, "known")
    url = reverse("events:register", args=[event.slug])
    known = Client().post(url, {"name": "X", "email": "pknown@example.test"})
    new = Client(REMOTE_ADDR="198.51.100.7").post(url, {"name": "X", "email": "new@example.test"})
    assert known.status_code == new.status_code == 200

    def text(content: bytes) -> str:
        body = content.decode()
        return re.sub(r"csrf[^\"]*\"[^\"]*\"", "", body).replace("pknown", "new")

    assert text(known.content) == text(new.content)
    assert Registration.objects.filter(email="pknown@example.test").count() == 1
    to_known = [m for m in mail.outbox if m.to == ["pknown@example.test"]]
    assert [m.subject.split(" ")[1] for m in to_known] == ["place", "registration"]
    assert "It is already registered: nothing has changed." in to_known[-1].body


def test_registration_mails_are_limited_per_address(throttle_clock: ThrottleClock) -> None:
    event = make_event(capacity=50)
    for i in range(REGISTER_EMAIL_RATE.limit + 3):
        assert _post(Client(REMOTE_ADDR=f"198.51.100.{i + 1}"), event.slug, "v@example.test") == 200
    assert len([m for m in mail.outbox if m.to == ["v@example.test"]]) == REGISTER_EMAIL_RATE.limit


def test_a_signed_in_person_registering_their_own_address_needs_no_link(
    throttle_clock: ThrottleClock,
) -> None:
    event = make_event(capacity=1)
    user = UserFactory.create(email="me@example.test")
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("events:register", args=[event.slug]), {"name": "Me", "email": "Me@Example.test"}
    )
    registration = Registration.objects.get()
    assert registration.status == Status.CONFIRMED
    assert response["Location"] == reverse(
        "events:registration", args=[registration_token(registration.key)]
    )
    again = client.post(
        reverse("events:register", args=[event.slug]), {"name": "Me", "email": "me@example.test"}
    )
    assert again["Location"] == response["Location"], "their own registration, shown to them"
