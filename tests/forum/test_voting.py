"""Voting, writing, moderation and the abuse guards of the forum."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tests.fixturetypes import ClientFor
from tests.forum.factories import future_conversation, make_conversation
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.forum.errors import (
    ConversationClosedError,
    DuplicateStatementError,
    ForumError,
    RateLimitedError,
)
from whatworks.forum.models import Conversation, Participant, Statement, Vote
from whatworks.forum.services.analysis import analysis_run
from whatworks.forum.services.conversations import conversation_close
from whatworks.forum.services.statements import (
    statement_add,
    statement_find_near_duplicate,
    statement_moderate,
    statement_similarity,
)
from whatworks.forum.services.votes import vote_cast

pytestmark = pytest.mark.django_db


def _statement(conversation: Conversation, number: int = 0) -> Statement:
    return conversation.statements.get(number=number)


def test_votes_are_appended_and_the_latest_wins() -> None:
    conversation = make_conversation()
    user = UserFactory.create()
    first = _statement(conversation)
    vote_cast(actor=user, conversation=conversation, statement=first, value=1)
    vote_cast(actor=user, conversation=conversation, statement=first, value=-1)
    vote_cast(actor=user, conversation=conversation, statement=first, value=0)
    vote_cast(actor=user, conversation=conversation, statement=first, value=-1)
    assert Vote.objects.filter(statement=first).count() == 4, "no vote is updated in place"
    assert Participant.objects.filter(conversation=conversation).count() == 1
    run = analysis_run(conversation_id=conversation.pk)
    assert run.result["counts"]["0"] == {"n_agree": 0, "n_disagree": 1, "n_pass": 0, "n_seen": 1}
    assert run.n_votes == 4
    assert not AuditEntry.objects.filter(action__startswith="forum.vote").exists()


def test_anonymous_browser_votes_through_the_page_and_keeps_its_id(client: Client) -> None:
    conversation = make_conversation()
    url = reverse("forum:vote", args=[conversation.slug])
    page = client.get(reverse("forum:conversation", args=[conversation.slug]))
    assert b'name="vote" value="agree"' in page.content
    response = client.post(url, {"statement": 0, "vote": "agree"})
    assert response.status_code == 303
    assert "forum_participant" in response.cookies
    client.post(url, {"statement": 0, "vote": "disagree"})
    client.post(url, {"statement": 1, "vote": "pass"})
    participant = Participant.objects.get(conversation=conversation)
    assert participant.user is None and participant.anon_key
    assert list(participant.votes.order_by("pk").values_list("value", flat=True)) == [1, -1, 0]


def test_htmx_vote_swaps_in_the_next_unseen_statement(client: Client) -> None:
    conversation = make_conversation()
    client.force_login(UserFactory.create())
    url = reverse("forum:vote", args=[conversation.slug])
    shown = client.get(reverse("forum:conversation", args=[conversation.slug])).context["statement"]
    response = client.post(
        url, {"statement": shown.number, "vote": "agree"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<div id="vote-card"') and "Vote recorded." in body
    assert response.context["statement"].number != shown.number
    assert "You have voted on 1 of 5 statements." in body


def test_signed_in_only_conversation_refuses_anonymous_votes(client: Client) -> None:
    conversation = make_conversation(allow_anonymous=False)
    client.post(reverse("forum:vote", args=[conversation.slug]), {"statement": 0, "vote": "agree"})
    assert not Vote.objects.exists()
    page = client.get(reverse("forum:conversation", args=[conversation.slug]))
    assert b"Sign in to take part" in page.content


def test_new_and_little_voted_statements_come_first() -> None:
    from whatworks.forum.selectors import next_statement

    conversation = make_conversation()
    for i in range(10):
        voter = UserFactory.create()
        for number in (0, 1, 2):
            vote_cast(
                actor=voter,
                conversation=conversation,
                statement=_statement(conversation, number),
                value=1 if i % 2 else -1,
            )
    newcomer = UserFactory.create()
    shown = next_statement(conversation=conversation, participant=None)
    assert shown is not None and shown.number in (3, 4), "unvoted statements first"
    fresh = statement_add(
        actor=newcomer, conversation=conversation, text="A brand new point to vote on"
    )
    statement_moderate(
        actor=UserFactory.create(roles=frozenset({Role.EDITOR})), statement=fresh, status="accepted"
    )
    for number in (3, 4):
        vote_cast(
            actor=UserFactory.create(),
            conversation=conversation,
            statement=_statement(conversation, number),
            value=-1,
        )
    shown = next_statement(conversation=conversation, participant=None)
    assert shown is not None and shown.number == fresh.number


def test_closed_conversation_is_read_only(client: Client) -> None:
    conversation = make_conversation()
    user = UserFactory.create()
    conversation_close(actor=None, conversation=conversation)
    with pytest.raises(ConversationClosedError):
        vote_cast(
            actor=user, conversation=conversation, statement=_statement(conversation), value=1
        )
    with pytest.raises(ConversationClosedError):
        statement_add(actor=user, conversation=conversation, text="Something new to say here")
    client.force_login(user)
    page = client.get(reverse("forum:conversation", args=[conversation.slug]))
    assert b'name="vote"' not in page.content and b"closed" in page.content
    client.post(reverse("forum:vote", args=[conversation.slug]), {"statement": 0, "vote": "agree"})
    response = client.post(
        reverse("forum:statement_add", args=[conversation.slug]), {"text": "Something new to say"}
    )
    assert response.status_code == 200
    assert not Vote.objects.exists() and conversation.statements.count() == 5
    assert AuditEntry.objects.filter(action="forum.conversation_closed").exists()


def test_conversation_not_yet_open_is_hidden_from_voters(client_for: ClientFor) -> None:
    conversation = future_conversation()
    url = reverse("forum:conversation", args=[conversation.slug])
    assert client_for("visitor").get(url).status_code == 404
    assert client_for("editor").get(url).status_code == 200


def test_vote_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("whatworks.forum.services.votes.VOTE_LIMIT", 3)
    conversation = make_conversation()
    user = UserFactory.create()
    for number in range(3):
        vote_cast(
            actor=user,
            conversation=conversation,
            statement=_statement(conversation, number),
            value=1,
        )
    with pytest.raises(RateLimitedError):
        vote_cast(
            actor=user, conversation=conversation, statement=_statement(conversation, 3), value=1
        )
    Vote.objects.update(created_at=timezone.now() - timedelta(minutes=2))  # the window slides
    vote_cast(actor=user, conversation=conversation, statement=_statement(conversation, 3), value=1)
    # another participant is not limited by this one's votes
    vote_cast(
        actor=UserFactory.create(),
        conversation=conversation,
        statement=_statement(conversation, 3),
        value=1,
    )


def test_statement_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("whatworks.forum.services.statements.STATEMENT_LIMIT", 2)
    conversation = make_conversation()
    user = UserFactory.create()
    statement_add(actor=user, conversation=conversation, text="Data should be deleted after use")
    statement_add(actor=user, conversation=conversation, text="Families should co-design the tools")
    with pytest.raises(RateLimitedError):
        statement_add(
            actor=user, conversation=conversation, text="Inspectors must check the models"
        )


@pytest.mark.parametrize(
    ("text", "duplicate"),
    [
        ("Any model should be tested in a pilot before it is used widely.", True),
        ("ANY model should be tested in a pilot, before it's used widely!", True),
        ("Any model should be tested in a pilot before its used widely", True),
        ("Any model should be tested in a pilot before it is used anywhere.", True),
        ("No model should ever be used, pilot or not.", False),
        ("Pilots of models should be independently evaluated and published.", False),
    ],
)
def test_near_duplicates_are_refused(text: str, duplicate: bool) -> None:
    existing = ["Any model should be tested in a pilot before it is used widely."]
    assert (statement_find_near_duplicate(text=text, existing=existing) is not None) is duplicate


def test_near_duplicate_refused_by_the_service_and_shown_in_the_form(client: Client) -> None:
    conversation = make_conversation()
    with pytest.raises(DuplicateStatementError):
        statement_add(
            actor=UserFactory.create(),
            conversation=conversation,
            text="Social workers need more time with families - not more software!",
        )
    assert statement_similarity("Hello, World", "hello world") == 1.0
    client.force_login(UserFactory.create())
    response = client.post(
        reverse("forum:statement_add", args=[conversation.slug]),
        {"text": "social workers need more time with families, not more software"},
    )
    assert response.status_code == 200 and b"There is a problem" in response.content
    assert b"nearly the same" in response.content


def test_statement_text_is_escaped(client: Client) -> None:
    conversation = make_conversation(moderation="after")
    client.post(
        reverse("forum:statement_add", args=[conversation.slug]),
        {"text": "<script>alert('x')</script> is a bad idea"},
    )
    statement = conversation.statements.get(number=5)
    assert statement.status == Statement.Status.PENDING
    page = client.get(reverse("forum:report", args=[conversation.slug])).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_moderation_modes_decide_what_voters_see() -> None:
    before = make_conversation()
    after = make_conversation(moderation="after")
    for conversation in (before, after):
        statement_add(
            actor=UserFactory.create(), conversation=conversation, text="Written by a participant"
        )
    from whatworks.forum.selectors import participant_progress

    assert participant_progress(conversation=before, participant=None).total == 5
    assert participant_progress(conversation=after, participant=None).total == 6
    with pytest.raises(ForumError):
        vote_cast(
            actor=UserFactory.create(),
            conversation=before,
            statement=_statement(before, 5),
            value=1,
        )


def test_moderation_needs_the_permission_and_is_audited(client_for: ClientFor) -> None:
    conversation = make_conversation()
    url = reverse("forum:moderate", args=[conversation.slug, 1])
    assert client_for("forum-participant").post(url, {"action": "reject"}).status_code == 403
    client = client_for("researcher")
    response = client.post(url, {"action": "reject"})
    assert response.status_code == 302
    assert _statement(conversation, 1).status == Statement.Status.REJECTED
    client.post(reverse("forum:moderate", args=[conversation.slug, 2]), {"action": "meta"})
    assert _statement(conversation, 2).is_meta
    assert AuditEntry.objects.filter(action="forum.statement_moderated").count() == 2
    dashboard = client.get(reverse("forum:dashboard", args=[conversation.slug]))
    assert b"Moderation queue" in dashboard.content


def _heads(done: CaptureQueriesContext, words: int) -> list[str]:
    """The first words of each captured statement, savepoints left out."""
    return [
        " ".join(q["sql"].replace('"', "").split()[:words])
        for q in done.captured_queries
        if q["sql"].split()[0].upper() not in {"SAVEPOINT", "RELEASE"}
    ]


def test_a_vote_costs_the_statements_docs_architecture_names() -> None:
    """docs/ARCHITECTURE.md: a vote by a known participant is two parameterised SQL
    statements (one INSERT … SELECT that finds the participant, counts their recent votes
    and appends the vote, then the request for the analysis), inside the request's
    transaction."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    conversation = make_conversation()
    user = UserFactory.create()
    first, second = _statement(conversation), _statement(conversation, 1)
    vote_cast(actor=user, conversation=conversation, statement=first, value=1)
    with CaptureQueriesContext(connection) as done:
        vote = vote_cast(actor=user, conversation=conversation, statement=second, value=-1)
    statements = _heads(done, 4)
    assert statements == [
        "INSERT INTO forum_vote (conversation_id,",
        "UPDATE forum_analysisstate SET queued",
    ], statements
    stored = Vote.objects.get(pk=vote.pk)
    assert (stored.participant_id, stored.statement_id, stored.value) == (
        vote.participant_id,
        second.pk,
        -1,
    )


def test_an_anonymous_vote_request_costs_one_statement_for_its_throttle(client: Client) -> None:
    """The whole request of a returning anonymous browser: the conversation, the statement,
    one upsert for the per-address throttle (``core.throttle``), then the vote's two."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    conversation = make_conversation()
    url = reverse("forum:vote", args=[conversation.slug])
    client.post(url, {"statement": 0, "vote": "agree"})
    with CaptureQueriesContext(connection) as done:
        response = client.post(url, {"statement": 1, "vote": "disagree"})
    assert response.status_code == 303
    statements = _heads(done, 3)
    assert statements == [
        "SELECT * FROM",
        "SELECT * FROM",
        "INSERT INTO core_throttlecounter",
        "INSERT INTO forum_vote",
        "UPDATE forum_analysisstate SET",
    ], statements
    assert Vote.objects.filter(conversation=conversation).count() == 2
