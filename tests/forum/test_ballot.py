"""Ballot stuffing: per-address limits for anonymous voting and writing, conversations that
require a confirmed e-mail address, and the count of unverified votes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.fixturetypes import ThrottleClock
from tests.forum.factories import make_conversation
from whatworks.core.models import AuditEntry
from whatworks.forum.errors import ConversationInvalidError
from whatworks.forum.models import Participant, Statement, Vote
from whatworks.forum.services.conversations import conversation_update
from whatworks.forum.services.votes import vote_cast
from whatworks.forum.views.public import JOIN_RATE, STATEMENT_RATE, VERIFY_EMAIL_RATE, VOTE_RATE

pytestmark = pytest.mark.django_db

#: E-mails go after commit, so the tests that read them commit for real.
commits = pytest.mark.django_db(transaction=True)


def _vote(client: Client, slug: str, number: int = 0, **extra: Any) -> int:
    url = reverse("forum:vote", args=[slug])
    return client.post(url, {"statement": number, "vote": "agree"}, **extra).status_code


def test_dropping_the_cookie_gives_no_more_than_the_address_limit(
    throttle_clock: ThrottleClock,
) -> None:
    conversation = make_conversation()
    client = Client()
    codes = []
    for _ in range(80):  # the reported attack: a fresh browser for every vote
        client.cookies.clear()
        codes.append(_vote(client, conversation.slug))
    assert codes.count(303) == JOIN_RATE.limit and codes.count(429) == 80 - JOIN_RATE.limit
    assert Participant.objects.filter(conversation=conversation).count() == JOIN_RATE.limit
    assert Vote.objects.filter(conversation=conversation).count() == JOIN_RATE.limit
    # a forged X-Forwarded-For changes nothing without a trusted proxy in front
    client.cookies.clear()
    assert _vote(client, conversation.slug, HTTP_X_FORWARDED_FOR="203.0.113.50") == 429
    # another address is counted apart; an hour later this one may take part again
    assert _vote(Client(REMOTE_ADDR="198.51.100.9"), conversation.slug) == 303
    throttle_clock.advance(2 * JOIN_RATE.per)
    client.cookies.clear()
    assert _vote(client, conversation.slug) == 303


def test_anonymous_votes_are_limited_per_address_across_browsers(
    throttle_clock: ThrottleClock,
) -> None:
    conversation = make_conversation()
    first, second = Client(), Client()
    codes = [_vote(first, conversation.slug) for _ in range(VOTE_RATE.limit // 2)]
    codes += [_vote(second, conversation.slug) for _ in range(VOTE_RATE.limit // 2 + 1)]
    assert codes.count(303) == VOTE_RATE.limit and codes[-1] == 429
    htmx = second.post(
        reverse("forum:vote", args=[conversation.slug]),
        {"statement": 1, "vote": "agree"},
        HTTP_HX_REQUEST="true",
    )
    assert htmx.status_code == 429 and htmx["Retry-After"]
    assert "Too many attempts from here" in htmx.content.decode()
    assert htmx.content.decode().startswith('<div id="vote-card"'), "the card says so"


def test_signed_in_people_are_not_limited_by_their_shared_address(
    throttle_clock: ThrottleClock,
) -> None:
    conversation = make_conversation()
    client = Client()
    for _ in range(JOIN_RATE.limit + 5):  # an office behind one address
        client.force_login(UserFactory.create())
        assert _vote(client, conversation.slug) == 303


def test_anonymous_statements_are_limited_per_address(throttle_clock: ThrottleClock) -> None:
    conversation = make_conversation(moderation="after")
    client = Client()
    url = reverse("forum:statement_add", args=[conversation.slug])
    codes = []
    for i in range(8):  # the reported attack: 8 statements against a limit of 5
        client.cookies.clear()
        text = f"Statement {i} says {'quite ' * i}something {i * 7919} new about risk"
        codes.append(client.post(url, {"text": text}).status_code)
    assert codes.count(302) == STATEMENT_RATE.limit and codes.count(429) == 8 - STATEMENT_RATE.limit
    written = Statement.objects.filter(conversation=conversation, is_seed=False).count()
    assert written == STATEMENT_RATE.limit
    assert AuditEntry.objects.filter(action="throttle.refused").count() == 1


def _confirm_link(slug: str) -> str:
    (message,) = mail.outbox
    match = re.search(rf"http\S+/forum/{slug}/confirm-email/(\S+)/", str(message.body))
    assert match is not None, message.body
    return reverse("forum:verify_confirm", args=[slug, match.group(1)])


@commits
def test_a_conversation_can_require_a_confirmed_address(throttle_clock: ThrottleClock) -> None:
    conversation = make_conversation(anonymous_must_verify=True)
    browser = Client()
    assert _vote(browser, conversation.slug) == 303
    assert not Vote.objects.exists() and not Participant.objects.exists()
    page = browser.get(reverse("forum:conversation", args=[conversation.slug])).content.decode()
    assert "Confirm my e-mail address" in page and 'name="vote"' not in page
    response = browser.post(
        reverse("forum:verify", args=[conversation.slug]), {"email": " Sam@Example.org "}
    )
    assert response.status_code == 303 and not Participant.objects.exists()
    link = _confirm_link(conversation.slug)
    assert mail.outbox[0].to == ["Sam@Example.org"]
    assert "Confirm and take part" in browser.get(link).content.decode(), "GET changes nothing"
    assert not Participant.objects.exists()
    assert browser.post(link).status_code == 303
    assert _vote(browser, conversation.slug) == 303
    (participant,) = Participant.objects.all()
    assert participant.verified_at is not None and participant.email_digest
    assert "example.org" not in participant.email_digest
    assert Vote.objects.filter(participant=participant).count() == 1
    # the same address on another device is the same participant, not a second voice
    phone = Client(REMOTE_ADDR="198.51.100.20")
    assert phone.post(link).status_code == 303
    assert _vote(phone, conversation.slug, number=1) == 303
    assert Participant.objects.count() == 1 and Vote.objects.count() == 2
    # and asking again for the same address (any case) leads back to it as well
    mail.outbox.clear()
    other = Client(REMOTE_ADDR="198.51.100.21")
    other.post(reverse("forum:verify", args=[conversation.slug]), {"email": "sam@example.org"})
    assert other.post(_confirm_link(conversation.slug)).status_code == 303
    assert Participant.objects.count() == 1
    assert AuditEntry.objects.filter(action="forum.participant_verified").count() == 1


@commits
def test_a_confirmation_link_works_only_for_its_conversation(throttle_clock: ThrottleClock) -> None:
    conversation = make_conversation(anonymous_must_verify=True)
    other = make_conversation(anonymous_must_verify=True)
    browser = Client()
    browser.post(reverse("forum:verify", args=[conversation.slug]), {"email": "a@example.org"})
    token = _confirm_link(conversation.slug).rstrip("/").rsplit("/", 1)[1]
    wrong = reverse("forum:verify_confirm", args=[other.slug, token])
    page = browser.post(wrong).content.decode()
    assert "This link belongs to another conversation." in page
    tampered = reverse("forum:verify_confirm", args=[conversation.slug, token[:-2] + "xx"])
    assert "This link is not valid." in browser.post(tampered).content.decode()
    assert not Participant.objects.exists()


@commits
def test_confirmation_mails_are_limited_per_address_with_the_same_answer(
    throttle_clock: ThrottleClock,
) -> None:
    conversation = make_conversation(anonymous_must_verify=True)
    url = reverse("forum:verify", args=[conversation.slug])
    for i in range(VERIFY_EMAIL_RATE.limit + 2):
        response = Client(REMOTE_ADDR=f"198.51.100.{i + 1}").post(
            url, {"email": "victim@example.org"}, follow=True
        )
        assert "We have sent a link to victim@example.org" in response.content.decode()
    assert len(mail.outbox) == VERIFY_EMAIL_RATE.limit


def test_relaxing_the_requirement_after_votes_is_refused() -> None:
    conversation = make_conversation(anonymous_must_verify=True)
    vote_cast(
        actor=UserFactory.create(),
        conversation=conversation,
        statement=conversation.statements.get(number=0),
        value=1,
    )
    with pytest.raises(ConversationInvalidError) as refused:
        conversation_update(actor=None, conversation=conversation, anonymous_must_verify=False)
    assert "anonymous_must_verify" in refused.value.by_field


def test_the_report_says_how_many_votes_came_from_unverified_participants(client: Client) -> None:
    conversation = make_conversation()
    statement = conversation.statements.get(number=0)
    for key in ("browser-a", "browser-b"):
        vote_cast(actor=None, conversation=conversation, statement=statement, value=1, anon_key=key)
    vote_cast(actor=UserFactory.create(), conversation=conversation, statement=statement, value=1)
    page = client.get(reverse("forum:report", args=[conversation.slug])).content.decode()
    assert (
        "2 of 3 votes came from participants who neither signed in nor confirmed an e-mail "
        "address (2 such participants)." in page
    )
