"""The staff pages and services that set up, edit, open and list conversations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from tests.events.factories import make_event
from tests.factories import UserFactory
from tests.forum.factories import SEEDS, future_conversation, make_conversation
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.forum.errors import ConversationInvalidError, ForumError
from whatworks.forum.models import AnalysisState, Conversation, Statement
from whatworks.forum.services.conversations import (
    conversation_close,
    conversation_open_now,
    conversation_setup,
    conversation_update,
)
from whatworks.forum.services.statements import statement_add, statement_moderate
from whatworks.forum.services.votes import vote_cast

pytestmark = pytest.mark.django_db

FORMAT = "%Y-%m-%d %H:%M"


def _when(**delta: float) -> str:
    return timezone.localtime(timezone.now() + timedelta(**delta)).strftime(FORMAT)


def _post(**overrides: Any) -> dict[str, Any]:
    data = {
        "question": "Should councils use predictive risk scores?",
        "slug": "",
        "background": "Some background.",
        "moderation": "before",
        "opens_at": _when(days=2),
        "closes_at": _when(days=30),
        "allow_anonymous": "on",
        "allow_statements": "on",
        "event_slug": "",
        "seed_statements": "\n".join(SEEDS[:3]),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _editor(client: Any) -> Any:
    user = UserFactory.create(roles=frozenset({Role.EDITOR}))
    client.force_login(user)
    return user


def _voted(conversation: Conversation) -> None:
    vote_cast(
        actor=UserFactory.create(),
        conversation=conversation,
        statement=conversation.statements.get(number=0),
        value=1,
    )


# --- setting up ------------------------------------------------------------------------


def test_an_editor_sets_up_a_conversation_with_opening_statements(client: Client) -> None:
    editor = _editor(client)
    event = make_event()
    response = client.post(
        reverse("forum:conversation_create"),
        _post(
            event_slug=event.slug,
            allow_anonymous=None,
            seed_statements=f"  {SEEDS[0]}  \n\n{SEEDS[1]}\n   \n{SEEDS[2]}\n",
        ),
    )
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("forum:dashboard", args=[conversation.slug])
    assert conversation.slug == "should-councils-use-predictive-risk-scores"
    assert conversation.event_slug == event.slug
    assert conversation.allow_anonymous is False
    assert conversation.created_by == editor
    assert AnalysisState.objects.filter(conversation=conversation).exists()
    statements = list(conversation.statements.order_by("number"))
    assert [s.text for s in statements] == list(SEEDS[:3])
    assert {(s.status, s.is_seed) for s in statements} == {(Statement.Status.ACCEPTED, True)}
    entry = AuditEntry.objects.get(action="forum.conversation_created")
    assert entry.actor_label == f"user #{editor.pk}"
    assert entry.changes["seed_statements"] == 3


def test_the_set_up_form_shows_every_problem_at_once(client: Client) -> None:
    _editor(client)
    make_conversation(slug="taken")
    response = client.post(
        reverse("forum:conversation_create"),
        _post(
            slug="taken",
            opens_at=_when(days=5),
            closes_at=_when(days=4),
            seed_statements="\n".join(
                [
                    SEEDS[0],
                    "Too short",
                    "x" * 300,
                    SEEDS[0].upper() + "!",  # a near-duplicate of line 1
                ]
            ),
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["slug"] == ["Another conversation has this address; choose another."]
    assert errors["closes_at"] == ["The closing date must be after the opening date."]
    assert errors["seed_statements"] == [
        "Line 2: write a statement of at least 10 characters.",
        "Line 3: write a statement of at most 280 characters (it has 300).",
        f"Line 4 says nearly the same as “{SEEDS[0]}”: keep one of them.",
    ]
    assert b"There is a problem" in response.content
    assert Conversation.objects.count() == 1


def test_field_errors_and_rule_problems_are_shown_together(client: Client) -> None:
    _editor(client)
    response = client.post(
        reverse("forum:conversation_create"),
        _post(question="", slug="staff", opens_at="next week", seed_statements="short"),
    )
    errors = response.context["form"].errors
    assert set(errors) == {"question", "slug", "opens_at", "seed_statements"}
    assert errors["slug"] == ["“staff” is used by the forum's own pages."]


def test_a_closing_date_in_the_past_is_refused_at_set_up() -> None:
    with pytest.raises(ConversationInvalidError) as caught:
        conversation_setup(
            actor=None,
            slug="late",
            question="A question that is long enough?",
            opens_at=timezone.now() - timedelta(days=3),
            closes_at=timezone.now() - timedelta(days=1),
        )
    assert list(caught.value.by_field) == ["closes_at"]
    assert not Conversation.objects.exists()
    assert not AuditEntry.objects.exists()


def test_the_set_up_service_checks_seeds_itself() -> None:
    with pytest.raises(ConversationInvalidError) as caught:
        conversation_setup(
            actor=None,
            slug="seeds",
            question="A question that is long enough?",
            opens_at=timezone.now(),
            seed_statements=[SEEDS[0], SEEDS[0]],
        )
    assert caught.value.by_field == {
        "seed_statements": [f"Line 2 says nearly the same as “{SEEDS[0]}”: keep one of them."]
    }


def test_the_event_list_offers_published_events_only(client: Client) -> None:
    _editor(client)
    shown = make_event(title="Forum day in Leeds")
    hidden = make_event(title="Secret planning day", published=False)
    page = client.get(reverse("forum:conversation_create")).content.decode()
    assert f'value="{shown.slug}"' in page
    assert f'value="{hidden.slug}"' not in page
    response = client.post(reverse("forum:conversation_create"), _post(event_slug=hidden.slug))
    assert "event_slug" in response.context["form"].errors


# --- editing ---------------------------------------------------------------------------


def test_before_any_vote_everything_may_change() -> None:
    conversation = future_conversation()
    conversation_update(
        actor=None,
        conversation=conversation,
        slug="renamed",
        question="A clearer question?",
        moderation=Conversation.Moderation.AFTER,
        allow_anonymous=False,
        opens_at=timezone.now() + timedelta(days=1),
    )
    conversation.refresh_from_db()
    assert (conversation.slug, conversation.question) == ("renamed", "A clearer question?")
    assert conversation.moderation == "after" and not conversation.allow_anonymous
    entry = AuditEntry.objects.get(action="forum.conversation_updated")
    assert set(entry.changes) == {"slug", "question", "moderation", "allow_anonymous", "opens_at"}


def test_once_people_have_voted_the_meaning_of_the_results_is_fixed() -> None:
    conversation = make_conversation()
    _voted(conversation)
    with pytest.raises(ConversationInvalidError) as caught:
        conversation_update(
            actor=None,
            conversation=conversation,
            slug="another-address",
            question="A different question?",
            moderation=Conversation.Moderation.AFTER,
            allow_anonymous=False,
            opens_at=conversation.opens_at - timedelta(days=1),
            closes_at=timezone.now() - timedelta(minutes=1),
        )
    assert set(caught.value.by_field) == {
        "slug",
        "question",
        "moderation",
        "allow_anonymous",
        "opens_at",
        "closes_at",
    }
    assert "relaxed" in caught.value.by_field["moderation"][0]
    assert "Close now" in caught.value.by_field["closes_at"][0]
    before = Conversation.objects.get(pk=conversation.pk)
    assert before.question == conversation.question
    assert not AuditEntry.objects.filter(action="forum.conversation_updated").exists()


def test_after_votes_background_dates_and_statements_may_still_change() -> None:
    conversation = make_conversation()
    _voted(conversation)
    later = timezone.now() + timedelta(days=60)
    conversation_update(
        actor=None,
        conversation=conversation,
        background="New background.",
        closes_at=later,
        allow_statements=False,
        event_slug="a-forum-day",
    )
    conversation.refresh_from_db()
    assert conversation.background == "New background."
    assert conversation.closes_at == later
    assert not conversation.allow_statements


def test_moderation_may_tighten_after_votes_only_with_an_empty_queue() -> None:
    conversation = make_conversation(moderation=Conversation.Moderation.AFTER)
    _voted(conversation)
    pending = statement_add(
        actor=UserFactory.create(), conversation=conversation, text="Parents should see the score."
    )
    with pytest.raises(ConversationInvalidError) as caught:
        conversation_update(
            actor=None, conversation=conversation, moderation=Conversation.Moderation.BEFORE
        )
    assert "(1)" in caught.value.by_field["moderation"][0]
    statement_moderate(
        actor=UserFactory.create(), statement=pending, status=Statement.Status.ACCEPTED
    )
    conversation_update(
        actor=None, conversation=conversation, moderation=Conversation.Moderation.BEFORE
    )
    assert Conversation.objects.get(pk=conversation.pk).moderation == "before"


def test_the_edit_page_fixes_what_votes_fix_and_saves_the_rest(client: Client) -> None:
    _editor(client)
    conversation = make_conversation()
    _voted(conversation)
    url = reverse("forum:conversation_edit", args=[conversation.slug])
    page = client.get(url)
    assert page.status_code == 200
    assert b"People have voted in this conversation" in page.content
    form = page.context["form"]
    assert "seed_statements" not in form.fields
    disabled = {name for name, field in form.fields.items() if field.disabled}
    assert disabled == {"slug", "opens_at", "question", "allow_anonymous"}
    closes_at = timezone.now() + timedelta(days=10)
    response = client.post(
        url,
        {
            # disabled fields are ignored even when a browser sends them
            "question": "Changed after votes?",
            "slug": "moved",
            "opens_at": _when(days=-5),
            "background": "Updated background.",
            "moderation": "after",
            "closes_at": timezone.localtime(closes_at).strftime(FORMAT),
            "allow_statements": "on",
        },
    )
    errors = response.context["form"].errors
    assert list(errors) == ["moderation"], errors
    response = client.post(
        url,
        {
            "background": "Updated background.",
            "moderation": "before",
            "closes_at": timezone.localtime(closes_at).strftime(FORMAT),
        },
    )
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.background == "Updated background."
    assert conversation.slug.startswith("conversation-")
    assert conversation.question.startswith("Should children")
    assert not conversation.allow_statements and conversation.allow_anonymous
    entry = AuditEntry.objects.get(action="forum.conversation_updated")
    assert set(entry.changes) == {"background", "closes_at", "allow_statements"}


def test_saving_a_draft_unchanged_keeps_its_dates_to_the_second(client: Client) -> None:
    _editor(client)
    conversation = future_conversation()
    url = reverse("forum:conversation_edit", args=[conversation.slug])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {
        k: (v.strftime(FORMAT) if hasattr(v, "strftime") else v)
        for k, v in data.items()
        if v not in ("", None, False)
    }
    assert client.post(url, data).status_code == 302
    assert not AuditEntry.objects.filter(action="forum.conversation_updated").exists()


def test_the_edit_page_saves_a_draft(client: Client) -> None:
    _editor(client)
    conversation = future_conversation()
    url = reverse("forum:conversation_edit", args=[conversation.slug])
    response = client.post(
        url, _post(slug=conversation.slug, question="Edited question?", seed_statements=None)
    )
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.question == "Edited question?"


# --- opening and closing ---------------------------------------------------------------


def test_open_now_opens_a_draft_and_reopens_a_closed_conversation(client: Client) -> None:
    _editor(client)
    draft = future_conversation()
    closes_at = draft.closes_at
    response = client.post(reverse("forum:open", args=[draft.slug]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_open() and draft.closes_at == closes_at
    closed = make_conversation()
    conversation_close(actor=None, conversation=closed)
    assert not closed.is_open()
    opened_at = closed.opens_at
    conversation_open_now(actor=None, conversation=closed)
    closed.refresh_from_db()
    assert closed.is_open() and closed.closes_at is None and closed.opens_at == opened_at
    assert AuditEntry.objects.filter(action="forum.conversation_opened").count() == 2
    with pytest.raises(ForumError):
        conversation_open_now(actor=None, conversation=closed)


def test_researchers_moderate_but_do_not_set_up(client: Client) -> None:
    client.force_login(UserFactory.create(roles=frozenset({Role.RESEARCHER})))
    draft = future_conversation()
    assert client.post(reverse("forum:open", args=[draft.slug])).status_code == 403
    assert client.post(reverse("forum:conversation_create"), _post()).status_code == 403
    page = client.get(reverse("forum:staff_list")).content.decode()
    assert escape(draft.question) in page
    assert reverse("forum:conversation_edit", args=[draft.slug]) not in page
    assert reverse("forum:conversation_create") not in page


def test_nobody_else_may_open_a_conversation(client: Client) -> None:
    draft = future_conversation()
    response = client.post(reverse("forum:open", args=[draft.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))
    draft.refresh_from_db()
    assert not draft.has_opened()


# --- the list and the dashboard --------------------------------------------------------


def test_the_staff_list_shows_drafts_open_and_closed_with_counts(client: Client) -> None:
    _editor(client)
    open_one = make_conversation(question="The open one?")
    _voted(open_one)
    draft = future_conversation()
    closed = make_conversation(question="The closed one?")
    conversation_close(actor=None, conversation=closed)
    response = client.get(reverse("forum:staff_list"))
    assert [c.pk for c in response.context["open"]] == [open_one.pk]
    assert [c.pk for c in response.context["drafts"]] == [draft.pk]
    assert [c.pk for c in response.context["closed"]] == [closed.pk]
    row = response.context["open"][0]
    assert (row.n_votes, row.n_participants, row.n_statements, row.n_pending) == (1, 1, 5, 0)
    page = response.content.decode()
    assert reverse("forum:conversation_edit", args=[draft.slug]) in page
    assert reverse("forum:open", args=[draft.slug]) in page
    assert reverse("forum:close", args=[open_one.slug]) in page


def test_the_dashboard_links_to_the_staff_pages(client: Client) -> None:
    _editor(client)
    conversation = future_conversation()
    page = client.get(reverse("forum:dashboard", args=[conversation.slug])).content.decode()
    assert reverse("forum:staff_list") in page
    assert reverse("forum:conversation_edit", args=[conversation.slug]) in page
    assert reverse("forum:conversation_create") in page
    assert reverse("forum:open", args=[conversation.slug]) in page
