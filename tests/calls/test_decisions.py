"""Decisions: feedback to the applicant, decisions in bulk, and what is refused or warned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tests.calls.factories import make_call, scored, submitted_application
from tests.confirm import post_confirmed
from tests.fixturetypes import MakeUser
from whatworks.calls import errors
from whatworks.calls.models import Application
from whatworks.calls.services import review
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db

Status = Application.Status


def test_a_decision_on_an_application_nobody_scored_is_refused(
    client: Client, make_user: MakeUser
) -> None:
    application = submitted_application()
    editor = make_user(Role.EDITOR)
    with pytest.raises(errors.CallError, match="no scores yet"):
        review.application_decide(actor=editor, application=application, status=Status.SHORTLISTED)
    client.force_login(editor)
    response = client.post(
        reverse("calls:decide", args=[application.pk]), {"status": "shortlisted"}
    )
    assert response.status_code == 302  # refused at once: no confirmation is offered
    application.refresh_from_db()
    assert application.status == Status.RECEIVED
    assert not AuditEntry.objects.filter(action="call.application_shortlisted").exists()


def test_deciding_before_the_call_closes_is_warned_not_refused(
    client: Client, make_user: MakeUser
) -> None:
    application = scored(submitted_application())
    assert application.call.is_open()
    client.force_login(make_user(Role.EDITOR))
    url = reverse("calls:decide", args=[application.pk])
    page = client.post(url, {"status": "shortlisted"}).content.decode()
    assert "The call is still open until" in page and "No feedback goes with" in page
    post_confirmed(client, url, {"status": "shortlisted", "feedback": "Strong data plan."})
    application.refresh_from_db()
    assert application.status == Status.SHORTLISTED


def test_feedback_goes_to_the_applicant_by_e_mail_and_on_their_page(
    client: Client,
    make_user: MakeUser,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    closed = make_call(
        opens_at=timezone.now() - timedelta(days=30), closes_at=timezone.now() + timedelta(hours=1)
    )
    application = scored(submitted_application(closed))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review.application_decide(
            actor=make_user(Role.EDITOR),
            application=application,
            status=Status.DECLINED,
            feedback="Your data plan needs a named data protection officer.",
        )
    (message,) = mail.outbox
    assert message.to == [application.applicant.email]
    assert "Feedback from the panel" in message.body
    assert "named data protection officer" in message.body
    client.force_login(application.applicant)
    page = client.get(application.get_absolute_url()).content.decode()
    assert "named data protection officer" in page


def test_a_bulk_decision_is_all_or_nothing(
    client: Client,
    make_user: MakeUser,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    call = make_call()
    first, second = (scored(submitted_application(call)) for _ in range(2))
    unscored = submitted_application(call)
    editor = make_user(Role.EDITOR)
    with pytest.raises(errors.CallError, match="no scores yet"):
        review.applications_decide(
            actor=editor, applications=[first, unscored], status=Status.SHORTLISTED
        )
    first.refresh_from_db()
    assert first.status == Status.RECEIVED
    client.force_login(editor)
    url = reverse("calls:decide_bulk", args=[call.slug])
    data = {"status": "declined", "applications": [first.pk, second.pk], "feedback": "Full."}
    page = client.post(url, data).content.decode()
    assert "Decline 2 applications?" in page and "e-mails 2 applicants" in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_confirmed(client, url, data)
    assert set(Application.objects.filter(call=call).values_list("status", flat=True)) == {
        Status.DECLINED,
        Status.RECEIVED,
    }
    assert len(mail.outbox) == 2 and all("Full." in m.body for m in mail.outbox)


def test_bulk_decisions_need_the_decide_permission(client: Client, make_user: MakeUser) -> None:
    application = scored(submitted_application())
    client.force_login(make_user(Role.RESEARCHER))
    url = reverse("calls:decide_bulk", args=[application.call.slug])
    response = client.post(url, {"status": "declined", "applications": [application.pk]})
    assert response.status_code == 403
