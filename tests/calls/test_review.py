"""Scoring, who sees whose scores, decisions, e-mails and the acceptance signal."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tests.calls.factories import assign, scored, submitted_application
from tests.fixturetypes import MakeUser
from whatworks.calls import errors, selectors
from whatworks.calls.models import Application
from whatworks.calls.services import applications
from whatworks.calls.services import review as review_services
from whatworks.core.errors import PermissionDeniedError
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.core.signals import application_accepted

pytestmark = pytest.mark.django_db

Status = Application.Status


def _scores(application: Application, value: int = 3) -> dict[int, int]:
    return {c.pk: value for c in application.call.criteria.all()}


def test_reviewers_see_others_scores_only_after_scoring(
    make_user: MakeUser, client: Client
) -> None:
    application = submitted_application()
    first, second = make_user(Role.RESEARCHER), make_user(Role.RESEARCHER)
    assign(application, first)
    assign(application, second)
    review_services.review_submit(
        actor=first, application=application, scores=_scores(application, 4)
    )
    assert selectors.reviews_visible_to(user=second, application=application) == []
    client.force_login(second)
    page = client.get(application.get_absolute_url()).content.decode()
    assert "Reviewers' scores" not in page and "Save my scores" in page
    client.post(
        reverse("calls:review", args=[application.pk]),
        {f"c_{c.pk}": 2 for c in application.call.criteria.all()},
    )
    visible = selectors.reviews_visible_to(user=second, application=application)
    assert {r.reviewer_id for r in visible} == {first.pk, second.pk}
    page = client.get(application.get_absolute_url()).content.decode()
    assert "Reviewers' scores" in page and "Save my scores" not in page


def test_blind_review_holds_for_a_reviewer_who_also_decides(
    make_user: MakeUser, client: Client
) -> None:
    application = submitted_application()
    first = make_user(Role.RESEARCHER)
    assign(application, first)
    review_services.review_submit(
        actor=first, application=application, scores=_scores(application, 4)
    )
    admin = make_user(Role.ADMIN)  # may both score and decide
    assign(application, admin)
    assert admin.has_perm("calls.review_application")
    assert admin.has_perm("calls.decide_application")
    assert selectors.reviews_visible_to(user=admin, application=application) == []
    client.force_login(admin)
    page = client.get(application.get_absolute_url()).content.decode()
    assert "Reviewers' scores" not in page and first.get_full_name() not in page
    assert "Save my scores" in page and "Decision" in page
    review_services.review_submit(
        actor=admin, application=application, scores=_scores(application, 1)
    )
    visible = selectors.reviews_visible_to(user=admin, application=application)
    assert {r.reviewer_id for r in visible} == {first.pk, admin.pk}


def test_deciders_who_do_not_score_see_every_score(make_user: MakeUser) -> None:
    application = submitted_application()
    reviewer, editor = make_user(Role.RESEARCHER), make_user(Role.EDITOR)
    assert not editor.has_perm("calls.review_application")
    assign(application, reviewer)
    review_services.review_submit(
        actor=reviewer, application=application, scores=_scores(application)
    )
    assert [
        r.reviewer_id for r in selectors.reviews_visible_to(user=editor, application=application)
    ] == [reviewer.pk]
    # once decided, scoring is closed: a decider who reviews sees the scores they can no
    # longer be swayed by; a reviewer who never scored and does not decide still sees none
    review_services.application_decide(
        actor=editor, application=application, status=Status.DECLINED
    )
    application.refresh_from_db()
    admin, other = make_user(Role.ADMIN), make_user(Role.RESEARCHER)
    assert len(selectors.reviews_visible_to(user=admin, application=application)) == 1
    assert selectors.reviews_visible_to(user=other, application=application) == []


def test_a_reviewer_scores_within_range_and_corrects_until_the_decision(
    make_user: MakeUser,
) -> None:
    application = submitted_application()
    reviewer = make_user(Role.RESEARCHER)
    assign(application, reviewer)
    with pytest.raises(errors.CallError, match="score from 0 to 5"):
        review_services.review_submit(
            actor=reviewer, application=application, scores=_scores(application, 9)
        )
    review_services.review_submit(
        actor=reviewer, application=application, scores=_scores(application)
    )
    review_services.review_submit(
        actor=reviewer, application=application, scores=_scores(application, 5), comment="Re-read"
    )
    review = application.reviews.get()
    assert (review.total, review.comment) == (10, "Re-read") and review.updated_at is not None
    assert AuditEntry.objects.filter(action="call.scores_corrected").count() == 1
    review_services.application_decide(
        actor=make_user(Role.EDITOR), application=application, status=Status.DECLINED
    )
    with pytest.raises(errors.CallError, match="scores stand"):
        review_services.review_submit(
            actor=reviewer, application=application, scores=_scores(application)
        )
    assert application.reviews.get().total == 10


def test_only_reviewers_score_and_only_deciders_decide(make_user: MakeUser) -> None:
    application = submitted_application()
    with pytest.raises(PermissionDeniedError):
        review_services.review_submit(
            actor=make_user(Role.EDITOR), application=application, scores=_scores(application)
        )
    with pytest.raises(PermissionDeniedError):
        review_services.application_decide(
            actor=make_user(Role.RESEARCHER), application=application, status=Status.SHORTLISTED
        )


def test_drafts_are_invisible_to_reviewers(make_user: MakeUser) -> None:
    from django.http import Http404

    from tests.calls.factories import applicant, make_call

    draft = applications.application_save(actor=applicant(), call=make_call(), answers={})
    with pytest.raises(Http404):
        selectors.application_get_for_user(user=make_user(Role.EDITOR), application_id=draft.pk)


def test_decisions_follow_the_workflow_and_accepting_sends_the_signal(
    make_user: MakeUser, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    application = scored(submitted_application())
    editor = make_user(Role.EDITOR)
    with pytest.raises(errors.CallError, match="cannot become accepted"):
        review_services.application_decide(
            actor=editor, application=application, status=Status.ACCEPTED
        )
    received: list[dict[str, Any]] = []

    def receiver(sender: object, **kwargs: Any) -> None:
        received.append(kwargs)

    application_accepted.connect(receiver, dispatch_uid="test-receiver")
    try:
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            review_services.application_decide(
                actor=editor, application=application, status=Status.SHORTLISTED
            )
            review_services.application_decide(
                actor=editor, application=application, status=Status.ACCEPTED
            )
    finally:
        application_accepted.disconnect(dispatch_uid="test-receiver")
    assert len(received) == 1
    assert received[0]["application"].pk == application.pk
    assert received[0]["organisation"] == application.organisation
    assert received[0]["project_ref"] == ""
    assert [m.subject.split(" ")[-1] for m in mail.outbox] == ["shortlisted", "accepted"]
    application.refresh_from_db()
    assert application.status == Status.ACCEPTED
    with pytest.raises(errors.CallError):
        review_services.application_decide(
            actor=editor, application=application, status=Status.DECLINED
        )


def test_a_failing_receiver_refuses_the_acceptance(make_user: MakeUser) -> None:
    application = scored(submitted_application())
    editor = make_user(Role.EDITOR)
    review_services.application_decide(
        actor=editor, application=application, status=Status.SHORTLISTED
    )

    def refuse(sender: object, **kwargs: object) -> None:
        raise errors.CallError("The project is closed to new sites.")

    application_accepted.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(errors.CallError, match="closed to new sites"):
            review_services.application_decide(
                actor=editor, application=application, status=Status.ACCEPTED
            )
    finally:
        application_accepted.disconnect(dispatch_uid="test-refuse")
    application.refresh_from_db()
    assert application.status == Status.SHORTLISTED


def test_applicants_see_their_status(client: Client) -> None:
    application = submitted_application()
    client.force_login(application.applicant)
    page = client.get(reverse("calls:my_applications")).content.decode()
    assert application.call.title in page and "Received" in page
