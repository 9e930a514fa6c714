"""Everything that e-mails an address someone typed is throttled per client (429) and per
address (the same answer, no e-mail): panel sign-up, newsletter subscription and manage
links, password reset.  (Events and forum: tests/events/test_abuse.py,
tests/forum/test_ballot.py.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.fixturetypes import ThrottleClock
from tests.panel.factories import PROFILE
from whatworks.core.views.account import RESET_CLIENT_RATE, RESET_EMAIL_RATE
from whatworks.news.views.newsletter import SUBSCRIBE_CLIENT_RATE, SUBSCRIBE_EMAIL_RATE
from whatworks.panel.views.members import JOIN_CLIENT_RATE, JOIN_EMAIL_RATE

pytestmark = pytest.mark.django_db(transaction=True)  # the e-mails go after commit

FORMS: dict[str, tuple[str, Callable[[str], dict[str, Any]], Any, Any]] = {
    "panel sign-up": (
        "panel:join",
        lambda email: {**PROFILE, "email": email, "membership": "on"},
        JOIN_CLIENT_RATE,
        JOIN_EMAIL_RATE,
    ),
    "newsletter": (
        "news:subscribe",
        lambda email: {"email": email, "consent": "on"},
        SUBSCRIBE_CLIENT_RATE,
        SUBSCRIBE_EMAIL_RATE,
    ),
    "newsletter manage link": (
        "news:manage_request",
        lambda email: {"email": email},
        SUBSCRIBE_CLIENT_RATE,
        SUBSCRIBE_EMAIL_RATE,
    ),
    "password reset": (
        "core:password_reset",
        lambda email: {"email": email},
        RESET_CLIENT_RATE,
        RESET_EMAIL_RATE,
    ),
}


@pytest.mark.parametrize("name", FORMS)
def test_one_client_is_refused_once_over(name: str, throttle_clock: ThrottleClock) -> None:
    url_name, data, client_rate, _ = FORMS[name]
    client = Client()
    responses = [
        client.post(reverse(url_name), data(f"p{i}@example.test"))
        for i in range(client_rate.limit + 1)
    ]
    codes = [response.status_code for response in responses]
    assert 429 not in codes[:-1] and codes[-1] == 429
    # the one 429 page (core.middleware.ThrottleMiddleware), with Retry-After
    assert int(responses[-1]["Retry-After"]) > 0
    assert "core/errors/429.html" in [t.name for t in responses[-1].templates]


@pytest.mark.parametrize("name", FORMS)
def test_one_address_gets_no_more_mail_but_the_same_answer(
    name: str, throttle_clock: ThrottleClock
) -> None:
    url_name, data, _, email_rate = FORMS[name]
    UserFactory.create(email="target@example.test")  # so that a password reset has someone to mail
    if name == "newsletter manage link":  # and a manage link a subscriber
        Client(REMOTE_ADDR="192.0.2.200").post(
            reverse("news:subscribe"), {"email": "target@example.test", "consent": "on"}
        )
    before = len(mail.outbox)
    answers = set()
    for i in range(email_rate.limit + 2):
        response = Client(REMOTE_ADDR=f"198.51.100.{i + 1}").post(
            reverse(url_name), data("target@example.test"), follow=True
        )
        assert response.status_code == 200
        answers.add(response.redirect_chain[-1][0] if response.redirect_chain else "same page")
    sent = [m for m in mail.outbox[before:] if m.to == ["target@example.test"]]
    # (a pending newsletter subscription is mailed once by the service itself)
    assert len(sent) == (1 if name == "newsletter" else email_rate.limit)
    assert len(answers) == 1, "every attempt got the same answer"
