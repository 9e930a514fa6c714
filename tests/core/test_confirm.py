"""Every irreversible action listed in ``CONFIRMED_ACTIONS`` works only through its
confirmation page, and that page names the consequence in numbers.

A new entry in the list needs a case here: ``test_every_listed_action_has_a_case`` fails
until it has one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core import mail
from django.test import Client
from django.urls import resolve, reverse
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tests.calls import factories as calls_factories
from tests.confirm import post_confirmed
from tests.events import factories as events_factories
from tests.factories import user_with_role
from tests.forum import factories as forum_factories
from tests.news import factories as news_factories
from tests.panel import factories as panel_factories
from whatworks.core.confirm import CONFIRM_FIELD, CONFIRMED_ACTIONS
from whatworks.core.models import User
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    url: str
    data: dict[str, object]
    done: Callable[[], bool]
    numbers: tuple[str, ...]  # what the confirmation page must say
    user: User | None = None


def poll_close() -> Case:
    poll = panel_factories.make_poll()
    for _ in range(3):
        panel_factories.make_member()
    panel_factories.invite_all(poll)
    return Case(
        url=reverse("panel:poll_status", kwargs={"slug": poll.slug}),
        data={"action": "close"},
        done=lambda: type(poll).objects.get(pk=poll.pk).status == "closed",
        numbers=("0 responses", "3 members invited", "publishes the results"),
        user=user_with_role(Role.RESEARCHER),
    )


def invite() -> Case:
    poll = panel_factories.make_poll()
    for _ in range(4):
        panel_factories.make_member()
    return Case(
        url=reverse("panel:invite", kwargs={"slug": poll.slug}),
        data={"mode": "sample", "sample_size": "3", "cap_days": "0"},
        done=lambda: poll.invitations.count() == 3,
        numbers=("This will e-mail 3 members",),
        user=user_with_role(Role.RESEARCHER),
    )


def leave() -> Case:
    member = panel_factories.make_member()
    model = type(member)
    return Case(
        url=reverse("panel:leave"),
        data={"level": "erase", "confirm": "on"},
        done=lambda: not model.objects.filter(pk=member.pk).exists(),
        numbers=("all 0 responses",),
        user=member.user,
    )


def leave_link() -> Case:
    from whatworks.panel.services.invitations import leave_token

    member = panel_factories.make_member()
    model = type(member)
    return Case(
        url=reverse("panel:leave_link", kwargs={"token": leave_token(member)}),
        data={},
        done=lambda: model.objects.get(pk=member.pk).status == "left",
        numbers=("Your 0 responses stay",),
    )


def remind() -> Case:
    poll = panel_factories.make_poll()
    for _ in range(2):
        panel_factories.make_member()
    panel_factories.invite_all(poll)
    return Case(
        url=reverse("panel:remind", kwargs={"slug": poll.slug}),
        data={},
        done=lambda: poll.invitations.filter(reminders_sent=1).count() == 2,
        numbers=("This will e-mail 2 members",),
        user=user_with_role(Role.RESEARCHER),
    )


def results_publish() -> Case:
    poll = panel_factories.held_poll()
    model = type(poll)
    return Case(
        url=reverse("panel:results_publish", kwargs={"slug": poll.slug}),
        data={},
        done=lambda: model.objects.get(pk=poll.pk).results_published_at is not None,
        numbers=("did not converge", "from 24 responses"),
        user=user_with_role(Role.RESEARCHER),
    )


def forum_close() -> Case:
    conversation = forum_factories.make_conversation()
    model = type(conversation)
    return Case(
        url=reverse("forum:close", kwargs={"slug": conversation.slug}),
        data={},
        done=lambda: not model.objects.get(pk=conversation.pk).is_open(),
        numbers=("its 0 participants", f"{conversation.statements.count()} statements"),
        user=user_with_role(Role.EDITOR),
    )


def decide() -> Case:
    application = calls_factories.scored(calls_factories.submitted_application())
    model = type(application)
    return Case(
        url=reverse("calls:decide", kwargs={"application_id": application.pk}),
        data={"status": "declined"},
        done=lambda: model.objects.get(pk=application.pk).status == "declined",
        numbers=(f"e-mails 1 person, {application.applicant.email}", "is declined"),
        user=user_with_role(Role.EDITOR),
    )


def decide_bulk() -> Case:
    call = calls_factories.make_call()
    applications = [
        calls_factories.scored(calls_factories.submitted_application(call)) for _ in range(2)
    ]
    model = type(applications[0])
    return Case(
        url=reverse("calls:decide_bulk", kwargs={"slug": call.slug}),
        data={"status": "shortlisted", "applications": [a.pk for a in applications]},
        done=lambda: model.objects.filter(call=call, status="shortlisted").count() == 2,
        numbers=("e-mails 2 applicants", "is shortlisted"),
        user=user_with_role(Role.EDITOR),
    )


def withdraw() -> Case:
    application = calls_factories.submitted_application()
    model = type(application)
    return Case(
        url=reverse("calls:withdraw", kwargs={"application_id": application.pk}),
        data={},
        done=lambda: model.objects.get(pk=application.pk).status == "withdrawn",
        numbers=("You cannot submit another application to this call",),
        user=application.applicant,
    )


def join_decide() -> Case:
    request = calls_factories.join_request()
    person = request.user
    return Case(
        url=reverse("calls:join_decide", kwargs={"request_id": request.pk}),
        data={"decision": "approve"},
        done=lambda: (
            type(person).objects.get(pk=person.pk).organisation_id == request.organisation_id
        ),
        numbers=(f"This e-mails 1 person, {person.email}",),
        user=user_with_role(Role.ADMIN),
    )


def issue_send() -> Case:
    for _ in range(2):
        news_factories.subscriber()
    news_factories.subscriber(confirmed=False)
    issue = news_factories.draft_issue()
    model = type(issue)
    return Case(
        url=reverse("news:issue_send", kwargs={"issue_id": issue.pk}),
        data={},
        done=lambda: model.objects.get(pk=issue.pk).status != "draft",
        numbers=("This will e-mail 2 subscribers",),
        user=user_with_role(Role.EDITOR),
    )


def manage_erase() -> Case:
    sub = news_factories.subscriber()
    model = type(sub)
    token = news_factories.manage_token(sub)
    return Case(
        url=reverse("news:manage_erase", kwargs={"token": token}),
        data={},
        done=lambda: not model.objects.filter(pk=sub.pk).exists(),
        numbers=("your 2 consent records",),
    )


def issue_schedule() -> Case:
    from datetime import timedelta

    from django.utils import timezone

    for _ in range(3):
        news_factories.subscriber()
    issue = news_factories.draft_issue()
    model = type(issue)
    when = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    return Case(
        url=reverse("news:issue_schedule", kwargs={"issue_id": issue.pk}),
        data={"scheduled_for": when},
        done=lambda: model.objects.get(pk=issue.pk).scheduled_for is not None,
        numbers=("e-mail the 3 subscribers",),
        user=user_with_role(Role.EDITOR),
    )


def cancel() -> Case:
    from whatworks.events.tokens import registration_token

    event = events_factories.make_event(capacity=1)
    held = events_factories.register(event, 1)
    for n in (2, 3):
        events_factories.register(event, n)
    model = type(held)
    return Case(
        url=reverse("events:cancel", args=[registration_token(held.key)]),
        data={},
        done=lambda: model.objects.get(pk=held.pk).status == "cancelled",
        numbers=("the first of the 2 people on the waiting list",),
    )


def event_publish() -> Case:
    event = events_factories.make_event(published=False, capacity=30)
    events_factories.add_questions(event)
    model = type(event)
    return Case(
        url=reverse("events:publish", args=[event.slug]),
        data={},
        done=lambda: model.objects.get(pk=event.pk).published,
        numbers=("its 30 places", "its 2 questions"),
        user=user_with_role(Role.EDITOR),
    )


def event_cancel() -> Case:
    event = events_factories.make_event(capacity=2)
    for n in range(3):
        events_factories.register(event, n)
    model = type(event)
    return Case(
        url=reverse("events:cancel_event", args=[event.slug]),
        data={"note": "The venue flooded."},
        done=lambda: model.objects.get(pk=event.pk).cancelled,
        numbers=("all 3 registrations (2 confirmed)", "e-mails 3 people"),
        user=user_with_role(Role.EDITOR),
    )


def attendee_cancel() -> Case:
    event = events_factories.make_event(capacity=1)
    first = events_factories.register(event, 1)
    events_factories.register(event, 2)
    model = type(first)
    return Case(
        url=reverse("events:attendee_cancel", args=[event.slug, first.pk]),
        data={},
        done=lambda: model.objects.get(pk=first.pk).status == "cancelled",
        numbers=("the 1 person on the waiting list",),
        user=user_with_role(Role.EDITOR),
    )


def attendees_email() -> Case:
    from whatworks.core.models import AuditEntry

    event = events_factories.make_event(capacity=3)
    for n in range(4):
        events_factories.register(event, n)
    return Case(
        url=reverse("events:attendees_email", args=[event.slug]),
        data={"recipients": "confirmed", "subject": "Parking", "text": "Use the back gate."},
        done=lambda: AuditEntry.objects.filter(action="event.attendees_messaged").exists(),
        numbers=("E-mail 3 people", "sends “Parking” to 3 people"),
        user=user_with_role(Role.EDITOR),
    )


def feedback_send() -> Case:
    from whatworks.core.models import AuditEntry
    from whatworks.events.services.feedback import event_feedback_create

    event = events_factories.past_event(capacity=3)
    for n in range(2):
        events_factories.checked_in(event, n)
    event_feedback_create(actor=None, event=event, template="event-quick")
    return Case(
        url=reverse("events:feedback_send", args=[event.slug]),
        data={},
        done=lambda: AuditEntry.objects.filter(action="event.feedback_sent").exists(),
        numbers=("E-mail the feedback survey to 2 people", "This e-mails 2 people checked in"),
        user=user_with_role(Role.EDITOR),
    )


def dataset_delete() -> Case:
    from tests.pilots.factories import analyst_of, make_dataset
    from whatworks.pilots.models import Dataset

    dataset = make_dataset(referrals=1234)
    return Case(
        url=reverse(
            "pilots:dataset_delete",
            kwargs={"pilot_id": dataset.pilot_id, "dataset_id": dataset.pk},
        ),
        data={},
        done=lambda: Dataset.objects.get(pk=dataset.pk).deleted_at is not None,
        numbers=("1,234 referrals", "cannot be undone", "Runs, result bundles and reports stay"),
        user=analyst_of(dataset.pilot),
    )


def trial_dataset_delete() -> Case:
    import tempfile
    from pathlib import Path

    from tests.registry.trial_factories import author_of, stored, trial_project
    from whatworks.registry.models import TrialDataset

    project = trial_project()
    dataset = stored(project, Path(tempfile.mkdtemp()))
    return Case(
        url=reverse(
            "registry:trial_dataset_delete",
            kwargs={"reference": project.reference, "dataset_id": dataset.pk},
        ),
        data={},
        done=lambda: TrialDataset.objects.get(pk=dataset.pk).deleted_at is not None,
        numbers=("600 pseudonymised rows", "Analyses already run"),
        user=author_of(project),
    )


CASES: dict[str, Callable[[], Case]] = {
    "panel:poll_status": poll_close,
    "panel:invite": invite,
    "panel:leave": leave,
    "panel:leave_link": leave_link,
    "panel:remind": remind,
    "panel:results_publish": results_publish,
    "forum:close": forum_close,
    "calls:decide": decide,
    "calls:decide_bulk": decide_bulk,
    "calls:withdraw": withdraw,
    "calls:join_decide": join_decide,
    "news:issue_send": issue_send,
    "news:manage_erase": manage_erase,
    "news:issue_schedule": issue_schedule,
    "events:cancel": cancel,
    "events:publish": event_publish,
    "events:cancel_event": event_cancel,
    "events:attendee_cancel": attendee_cancel,
    "events:attendees_email": attendees_email,
    "events:feedback_send": feedback_send,
    "pilots:dataset_delete": dataset_delete,
    "registry:trial_dataset_delete": trial_dataset_delete,
}


def test_every_listed_action_has_a_case() -> None:
    assert set(CASES) == set(CONFIRMED_ACTIONS)


@pytest.mark.parametrize("name", sorted(CONFIRMED_ACTIONS))
def test_the_action_happens_only_through_its_confirmation_page(
    name: str, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    case = CASES[name]()
    assert resolve(case.url).view_name == name
    client = Client()
    if case.user is not None:
        client.force_login(case.user)
    mail.outbox.clear()

    first = client.post(case.url, case.data)
    page = first.content.decode()
    assert first.status_code == 200 and "data-confirm-page" in page
    assert not case.done(), "the first POST must only ask"
    assert mail.outbox == []
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    for words in case.numbers:
        assert words in text, f"{name}: the confirmation should say {words!r}"

    forged = client.post(case.url, {**case.data, CONFIRM_FIELD: "yes"})
    assert forged.status_code == 200 and not case.done(), "a made-up confirmation is refused"

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = post_confirmed(client, case.url, case.data)
    assert confirmed.status_code == 302
    assert case.done()


def test_a_sample_larger_than_the_panel_is_refused(client: Client) -> None:
    poll = panel_factories.make_poll()
    for _ in range(3):
        panel_factories.make_member()
    client.force_login(user_with_role(Role.RESEARCHER))
    url = reverse("panel:invite", kwargs={"slug": poll.slug})
    response = client.post(url, {"mode": "sample", "sample_size": "99999", "cap_days": "0"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "The sample of 99,999 is larger than the 3 members who can be invited" in page
    assert "data-confirm-page" not in page
    assert poll.invitations.count() == 0


def test_a_confirmation_is_for_one_address_only(client: Client) -> None:
    first, second = (forum_factories.make_conversation() for _ in range(2))
    client.force_login(user_with_role(Role.EDITOR))
    url = reverse("forum:close", kwargs={"slug": first.slug})
    page = client.post(url).content.decode()
    token = re.search(rf'name="{CONFIRM_FIELD}" value="([^"]+)"', page)
    assert token
    other = reverse("forum:close", kwargs={"slug": second.slug})
    response = client.post(other, {CONFIRM_FIELD: token.group(1)})
    assert response.status_code == 200 and "data-confirm-page" in response.content.decode()
    second.refresh_from_db()
    assert second.is_open()
