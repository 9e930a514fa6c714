"""The feedback survey after an event, made with the polling panel's survey tools through
``core.surveys``: made from a template on the staff page, sent once to those checked in
after the event, answered through the panel's own link by people who are not members,
and shown unweighted with the panel's results display."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tests.events.factories import checked_in, make_event, past_event, register
from tests.fixturetypes import ClientFor
from whatworks.core import surveys
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.events.errors import EventError
from whatworks.events.models import Event
from whatworks.events.services.feedback import (
    event_feedback_create,
    event_feedback_send,
    feedback_send_due,
)
from whatworks.panel.models import Invitation, Poll, Response

pytestmark = pytest.mark.django_db

#: ``event_feedback_send(**kwargs)`` with its after-commit e-mails sent
FeedbackSend = Callable[..., int]

LINK = re.compile(r"https?://\S+/panel/answer/(\S+)/")


@pytest.fixture
def send(django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> FeedbackSend:
    """``event_feedback_send`` with its after-commit e-mails sent."""

    def _send(**kwargs: Any) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return event_feedback_send(**kwargs)

    return _send


def _answer_everything(client: Client, token: str) -> None:
    """Answer the five questions of the event-feedback template through the panel's page."""
    url = reverse("panel:answer", kwargs={"token": token})
    page = client.get(url)
    assert page.status_code == 200
    names = re.findall(rb'name="(q\d+)"', page.content)
    questions = sorted({n.decode() for n in names}, key=lambda n: int(n[1:]))
    values = ["Agree", "Yes", "Satisfied", "9", ""]
    data = dict(zip(questions, values, strict=True)) | {"action": "submit"}
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]


def test_the_template_makes_an_open_survey_for_people_outside_the_panel() -> None:
    event = make_event(title="#iuseevidence day Leeds")
    event_feedback_create(actor=None, event=event, template="event-feedback")
    event.refresh_from_db()
    assert event.feedback_survey_id is not None
    poll = Poll.objects.get(pk=event.feedback_survey_id)
    assert poll.audience == Poll.Audience.OUTSIDE and poll.is_open
    assert poll.title == "Feedback: #iuseevidence day Leeds"
    assert [q.kind for q in poll.questions.all()] == ["likert", "single", "likert", "scale", "text"]
    assert AuditEntry.objects.filter(action="event.feedback_survey_created").count() == 1
    with pytest.raises(EventError, match="already has"):
        event_feedback_create(actor=None, event=event, template="event-quick")
    with pytest.raises(EventError, match="ready-made"):
        event_feedback_create(actor=None, event=make_event(), template="no-such-template")


def test_it_goes_once_only_to_people_checked_in_and_only_after_the_event(
    send: FeedbackSend,
) -> None:
    soon = make_event()
    event_feedback_create(actor=None, event=soon, template="event-quick")
    with pytest.raises(EventError, match="once the event has ended"):
        send(actor=None, event=soon)

    event = past_event(capacity=5)
    event_feedback_create(actor=None, event=event, template="event-quick")
    event.refresh_from_db()
    came = [checked_in(event, n) for n in (1, 2)]
    from whatworks.events.services.staff import registration_add

    registration_add(
        actor=None,
        event=event,
        name="Did not come",
        email="absent@example.test",
        status="confirmed",
        notify=False,
    )
    mail.outbox.clear()
    with pytest.raises(EventError, match="more than the 1 you confirmed"):
        send(actor=None, event=event, at_most=1)
    assert send(actor=None, event=event) == 2
    assert sorted(m.to[0] for m in mail.outbox) == [r.email for r in came]
    assert "#iuseevidence day" in mail.outbox[0].body
    assert all(LINK.search(str(m.body)) for m in mail.outbox)
    assert send(actor=None, event=event) == 0  # nobody twice
    assert feedback_send_due() == 0
    # the panel keeps no address: an invitation has a token hash and no member
    assert event.feedback_survey_id is not None
    invitations = Invitation.objects.filter(poll_id=event.feedback_survey_id)
    assert invitations.count() == 2
    assert not invitations.filter(member__isnull=False).exists()
    assert AuditEntry.objects.get(action="event.feedback_sent").changes["count"] == 2


def test_the_scheduled_command_sends_ended_events_surveys(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from django.core.management import call_command

    event = past_event()
    event_feedback_create(actor=None, event=event, template="event-quick")
    checked_in(event, 1)
    mail.outbox.clear()
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("events_send_reminders", stdout=out)
    assert "1 feedback survey invitation(s) sent." in out.getvalue()
    assert [m.to for m in mail.outbox if "feedback survey" in m.subject] == [["p1@example.test"]]


def test_attendees_answer_without_being_members_and_results_are_unweighted(
    client: Client, client_for: ClientFor, send: FeedbackSend
) -> None:
    event = past_event(capacity=12)
    event_feedback_create(actor=None, event=event, template="event-feedback")
    event.refresh_from_db()
    for n in range(11):
        checked_in(event, n)
    mail.outbox.clear()
    send(actor=None, event=event)
    tokens = [match[1] for m in mail.outbox if (match := LINK.search(str(m.body)))]
    assert len(tokens) == 11
    for token in tokens[:10]:
        _answer_everything(client, token)
    assert event.feedback_survey_id is not None
    responses = Response.objects.filter(poll_id=event.feedback_survey_id).current()
    assert responses.count() == 10
    assert not responses.filter(member__isnull=False).exists()
    assert set(responses.values_list("role", flat=True)) == {""}  # no profile to weight by

    staff = client_for(Role.EDITOR.value)
    page = staff.get(reverse("events:feedback", args=[event.slug]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "The event was useful for my practice." in text
    assert '<th scope="col">Weighted</th>' not in text  # shares shown unweighted only
    assert "100.0%" in text or "100%" in text  # all ten agreed, and said yes
    overview = staff.get(reverse("events:manage_event", args=[event.slug])).content.decode()
    assert "10 answered of 11 invited" in overview
    # the panel never lists nor publishes it with its own polls, nor invites members to it
    poll = Poll.objects.get(pk=event.feedback_survey_id)
    assert client.get(reverse("panel:results", args=[poll.slug])).status_code == 404
    from whatworks.panel.errors import PanelError
    from whatworks.panel.services.invitations import InviteSelection, invitations_send

    with pytest.raises(PanelError, match="outside the panel"):
        invitations_send(actor=None, poll=poll, selection=InviteSelection(mode="all"))


def test_staff_make_and_send_it_from_the_pages_with_a_confirmation(
    client_for: ClientFor, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    event = past_event()
    checked_in(event, 1)
    client = client_for(Role.EDITOR.value)
    url = reverse("events:feedback", args=[event.slug])
    refused = client.post(url, {})
    assert refused.status_code == 400 and b"Choose the questions" in refused.content
    assert client.post(url, {"template": "event-quick"}).status_code == 302
    event.refresh_from_db()
    assert event.feedback_survey_id is not None
    send = reverse("events:feedback_send", args=[event.slug])
    confirm = client.post(send)
    assert (
        confirm.status_code == 200 and b"E-mail the feedback survey to 1 person?" in confirm.content
    )
    assert Invitation.objects.filter(poll_id=event.feedback_survey_id).count() == 0
    found = re.search(rb'name="confirmed" value="([^"]+)"', confirm.content)
    assert found is not None
    token = found[1]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(send, {"confirmed": token.decode()}).status_code == 302
    assert len(mail.outbox) == 1


def test_without_the_panel_the_page_says_so(
    client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(surveys, "_PROVIDER", [])
    event = make_event()
    page = client_for(Role.EDITOR.value).get(reverse("events:feedback", args=[event.slug]))
    assert page.status_code == 200 and b"the polling panel is not installed" in page.content
    with pytest.raises(EventError, match="not installed"):
        event_feedback_create(actor=None, event=event, template="event-quick")
    assert Event.objects.get(pk=event.pk).feedback_survey_id is None


def test_a_cancelled_event_has_none() -> None:
    from whatworks.events.services.staff import event_cancel

    event = make_event(starts_at=timezone.now() + timedelta(days=3))
    register(event, 1)
    event_cancel(actor=None, event=event, note="")
    with pytest.raises(EventError, match="cancelled"):
        event_feedback_create(actor=None, event=event, template="event-quick")
