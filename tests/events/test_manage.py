"""Staff's event pages: create, edit, duplicate, publish, cancel, questions, attendees."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tests.confirm import post_confirmed
from tests.events.factories import add_questions, make_event, register
from tests.fixturetypes import MakeUser
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.events import errors, selectors
from whatworks.events.models import Event, Registration
from whatworks.events.services import registrations
from whatworks.events.services import staff as staff_services

pytestmark = pytest.mark.django_db

Status = Registration.Status


def _local(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _event_data(**overrides: str) -> dict[str, str]:
    now = timezone.now()
    data = {
        "title": "#iuseevidence day Leeds",
        "slug": "iuseevidence-day-leeds",
        "kind": "iuseevidence",
        "summary": "A day about using evidence.",
        "agenda": "",
        "accessibility": "",
        "starts_at": _local(now + timedelta(days=20)),
        "ends_at": _local(now + timedelta(days=20, hours=5)),
        "time_zone": "Europe/London",
        "mode": "in-person",
        "venue": "Leeds Town Hall",
        "online_url": "",
        "capacity": "40",
        "registration_opens_at": _local(now - timedelta(hours=1)),
        "registration_closes_at": _local(now + timedelta(days=19)),
        "offer_hours": "",
        "cpd_hours": "4.5",
        "project_ref": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def editor(client: Client, make_user: MakeUser) -> Client:
    client.force_login(make_user(Role.EDITOR))
    return client


def test_an_editor_creates_a_draft_then_publishes_it(editor: Client) -> None:
    response = editor.post(reverse("events:create"), _event_data())
    assert response.status_code == 302
    event = Event.objects.get(slug="iuseevidence-day-leeds")
    assert not event.published and str(event.cpd_hours) == "4.5"
    assert editor.get(event.get_absolute_url()).status_code == 200  # staff see drafts
    post_confirmed(editor, reverse("events:publish", args=[event.slug]), {})
    event.refresh_from_db()
    assert event.published
    assert AuditEntry.objects.filter(action="event.published").count() == 1


def test_the_form_says_every_problem_at_once_and_stores_nothing(editor: Client) -> None:
    now = timezone.now()
    data = _event_data(
        slug="staff",
        venue="",
        ends_at=_local(now + timedelta(days=19)),  # before it starts
        registration_closes_at=_local(now - timedelta(days=2)),  # before it opens
    )
    response = editor.post(reverse("events:create"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"slug", "venue", "ends_at", "registration_closes_at"}
    assert "Error: " in response.content.decode().split("</title>")[0]
    assert not Event.objects.filter(title=data["title"]).exists()


def test_editing_a_published_event_keeps_its_address(editor: Client) -> None:
    event = make_event(capacity=1)
    register(event, 1)
    waiting = register(event, 2)
    data = _event_data(slug="changed", capacity="2", title="New title")
    data["starts_at"], data["ends_at"] = _local(event.starts_at), _local(event.ends_at)
    data["registration_closes_at"] = _local(event.registration_closes_at)
    response = editor.post(reverse("events:edit", args=[event.slug]), data)
    assert response.status_code == 302, response.context["form"].errors
    event.refresh_from_db()
    assert event.slug != "changed" and event.title == "New title"
    waiting.refresh_from_db()
    assert waiting.status == Status.OFFERED  # the new place went to the first waiting


def test_duplicating_copies_the_questions_into_a_draft(editor: Client) -> None:
    source = make_event()
    add_questions(source)
    page = editor.get(reverse("events:duplicate", args=[source.slug]))
    assert page.context["form"].initial["slug"] == f"{source.slug}-copy"
    response = editor.post(
        reverse("events:duplicate", args=[source.slug]), _event_data(slug="the-copy")
    )
    assert response.status_code == 302
    copy = Event.objects.get(slug="the-copy")
    assert not copy.published
    assert [(q.kind, q.label, q.choices, q.required) for q in copy.questions.all()] == [
        (q.kind, q.label, q.choices, q.required) for q in source.questions.all()
    ]


def test_cancelling_an_event_cancels_and_emails_everyone(
    editor: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    event = make_event(capacity=1)
    people = [register(event, n) for n in range(3)]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_confirmed(
            editor, reverse("events:cancel_event", args=[event.slug]), {"note": "Venue closed."}
        )
    event.refresh_from_db()
    assert event.cancelled and not event.registration_open()
    assert {r.status for r in Registration.objects.filter(event=event)} == {Status.CANCELLED}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert all("Venue closed." in m.body and not m.attachments for m in mail.outbox)
    with pytest.raises(errors.EventError):
        register(event, "late")
    with pytest.raises(errors.EventError):
        staff_services.event_cancel(actor=None, event=event)


def test_questions_are_added_edited_and_removed_until_answered(editor: Client) -> None:
    event = make_event()
    url = reverse("events:questions", args=[event.slug])
    bad = editor.post(url, {"label": "Workshop", "kind": "choice", "choices": "", "position": 1})
    assert "choices" in bad.context["form"].errors
    editor.post(url, {"label": "Workshop", "kind": "choice", "choices": "A\nB", "position": 1})
    question = event.questions.get()
    editor.post(
        reverse("events:question_edit", args=[event.slug, question.pk]),
        {"label": "Which workshop?", "kind": "choice", "choices": "A\nB\nC", "position": 1},
    )
    question.refresh_from_db()
    assert question.label == "Which workshop?" and question.choice_list() == ["A", "B", "C"]
    register(event, 1, answers={str(question.pk): "B"})
    editor.post(reverse("events:question_delete", args=[event.slug, question.pk]))
    assert event.questions.filter(pk=question.pk).exists(), "answered: it stays"
    unanswered = registrations.question_create(actor=None, event=event, kind="text", label="Role")
    editor.post(reverse("events:question_delete", args=[event.slug, unanswered.pk]))
    assert not event.questions.filter(pk=unanswered.pk).exists()


def test_staff_add_someone_confirmed_or_waiting(
    editor: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    event = make_event(capacity=1)
    url = reverse("events:attendee_add", args=[event.slug])
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(
            url, {"name": "Ada", "email": "ada@example.test", "status": "confirmed", "notify": "on"}
        )
    ada = Registration.objects.get(email="ada@example.test")
    assert ada.status == Status.CONFIRMED and ada.source == Registration.Source.STAFF
    assert "is confirmed" in mail.outbox[-1].subject
    full = editor.post(url, {"name": "Bo", "email": "bo@example.test", "status": "confirmed"})
    assert "The event is full (1 of 1 places taken)" in full.content.decode()
    again = editor.post(url, {"name": "Ada", "email": "ada@example.test", "status": "waiting"})
    assert "already registered" in str(again.context["form"].errors["email"])
    editor.post(url, {"name": "Bo", "email": "bo@example.test", "status": "waiting"})
    assert Registration.objects.get(email="bo@example.test").status == Status.WAITING


def test_moving_between_a_place_and_the_waiting_list(editor: Client) -> None:
    event = make_event(capacity=1)
    first, second, third = (register(event, n) for n in range(3))
    move = reverse("events:attendee_move", args=[event.slug, first.pk])
    editor.post(move, {"to": "waiting"})
    first.refresh_from_db()
    second.refresh_from_db()
    # the place went to the first person waiting, and the one moved joined the end
    assert first.status == Status.WAITING and second.status == Status.OFFERED
    assert selectors.queue_position(third) == 1 and selectors.queue_position(first) == 2
    response = editor.post(
        reverse("events:attendee_move", args=[event.slug, third.pk]), {"to": "confirmed"}
    )
    third.refresh_from_db()
    assert third.status == Status.WAITING, "the event is full"
    assert response.status_code == 302
    editor.post(reverse("events:attendee_move", args=[event.slug, second.pk]), {"to": "confirmed"})
    second.refresh_from_db()
    assert second.status == Status.CONFIRMED and second.offer_expires_at is None


def test_cancelling_for_someone_gives_their_place_on(editor: Client) -> None:
    event = make_event(capacity=1)
    first, second = register(event, 1), register(event, 2)
    post_confirmed(editor, reverse("events:attendee_cancel", args=[event.slug, first.pk]), {})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.CANCELLED and second.status == Status.OFFERED
    entry = AuditEntry.objects.filter(action="event.registration_cancelled").get()
    assert entry.actor is not None and entry.actor.has_perm("events.change_registration")


def test_emailing_chosen_attendees_only(
    editor: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    event = make_event(capacity=5)
    people = [register(event, n) for n in range(4)]
    chosen = [people[0].pk, people[2].pk]
    page = editor.get(reverse("events:attendees_email", args=[event.slug]), {"chosen": chosen})
    assert "2 people chosen" in page.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_confirmed(
            editor,
            reverse("events:attendees_email", args=[event.slug]),
            {"chosen": chosen, "recipients": "chosen", "subject": "Room", "text": "Room 2."},
        )
    assert sorted(m.to[0] for m in mail.outbox) == [people[0].email, people[2].email]
    assert all(m.subject == "Room" and "Room 2." in m.body for m in mail.outbox)
    assert all("/events/registration/" in m.body for m in mail.outbox)


def test_a_message_to_nobody_is_refused_on_the_form(editor: Client) -> None:
    event = make_event()
    response = editor.post(
        reverse("events:attendees_email", args=[event.slug]),
        {"recipients": "checked-in", "subject": "Hi", "text": "Hello"},
    )
    assert response.status_code == 200
    assert "Nobody with an e-mail address" in str(response.context["form"].errors["recipients"])


def test_the_staff_list_shows_drafts_and_counts(editor: Client) -> None:
    draft = make_event(published=False, title="Draft day")
    register(make_event(title="Busy day", capacity=1), 1)
    page = editor.get(reverse("events:manage")).content.decode()
    assert draft.title in page and "Draft" in page and "1 of 1" in page


# --- what may be published or cancelled: one rule for the page and the service ------------


def _event_in(state: str) -> Event:
    event = make_event(published=state != "draft")
    if state.startswith("cancelled"):
        staff_services.event_cancel(actor=None, event=event)
        event.refresh_from_db()
    return event


STATES = ["draft", "published", "cancelled", "cancelled draft"]


@pytest.mark.parametrize(
    ("state", "publishable", "cancellable"),
    [
        ("draft", True, True),
        ("published", False, True),
        ("cancelled", False, False),
        ("cancelled draft", False, False),
    ],
)
def test_the_predicates_say_what_may_be_published_or_cancelled(
    state: str, publishable: bool, cancellable: bool
) -> None:
    event = _event_in(state)
    assert selectors.can_publish(event) is publishable
    assert selectors.can_cancel(event) is cancellable


@pytest.mark.parametrize("state", STATES)
def test_the_event_page_offers_publish_and_cancel_exactly_as_the_predicates_say(
    editor: Client, state: str
) -> None:
    event = _event_in(state)
    page = editor.get(reverse("events:manage_event", args=[event.slug])).content.decode()
    publish_form = f'action="{reverse("events:publish", args=[event.slug])}"'
    cancel_form = f'action="{reverse("events:cancel_event", args=[event.slug])}"'
    assert (publish_form in page) is selectors.can_publish(event)
    assert (cancel_form in page) is selectors.can_cancel(event)


@pytest.mark.parametrize("state", STATES)
def test_the_services_refuse_exactly_when_the_predicates_say_no(state: str) -> None:
    event = _event_in(state)
    if selectors.can_publish(event):
        staff_services.event_publish(actor=None, event=event)
    else:
        with pytest.raises(errors.EventError):
            staff_services.event_publish(actor=None, event=event)
    event = _event_in(state)
    if selectors.can_cancel(event):
        staff_services.event_cancel(actor=None, event=event)
    else:
        with pytest.raises(errors.EventError):
            staff_services.event_cancel(actor=None, event=event)
