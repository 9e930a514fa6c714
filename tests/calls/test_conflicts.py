"""Assigning reviewers, conflicts of interest, and the review list's summary."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from tests.calls.factories import assign, make_call, scored, submitted_application
from tests.fixturetypes import MakeUser
from whatworks.calls import errors, selectors
from whatworks.calls.models import Application
from whatworks.calls.scoring import DISAGREEMENT_POINTS, summarise
from whatworks.calls.services import review as review_services
from whatworks.core.errors import PermissionDeniedError
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db


def _scores(application: Application, value: int = 3) -> dict[int, int]:
    return {c.pk: value for c in application.call.criteria.all()}


def test_only_assigned_reviewers_score(make_user: MakeUser) -> None:
    application = submitted_application()
    reviewer = make_user(Role.RESEARCHER)
    with pytest.raises(PermissionDeniedError, match="not assigned"):
        review_services.review_submit(
            actor=reviewer, application=application, scores=_scores(application)
        )
    assign(application, reviewer)
    review_services.review_submit(
        actor=reviewer, application=application, scores=_scores(application)
    )
    assert application.reviews.count() == 1


def test_only_deciders_assign_and_only_reviewers_are_assigned(make_user: MakeUser) -> None:
    application = submitted_application()
    researcher, editor = make_user(Role.RESEARCHER), make_user(Role.EDITOR)
    with pytest.raises(PermissionDeniedError):
        review_services.reviewer_assign(
            actor=researcher, application=application, reviewer=researcher
        )
    with pytest.raises(errors.CallError, match="does not review"):
        review_services.reviewer_assign(actor=editor, application=application, reviewer=editor)
    with pytest.raises(errors.CallError, match="own application"):
        review_services.reviewer_assign(
            actor=editor, application=application, reviewer=application.applicant
        )


def test_a_conflicted_reviewer_can_neither_score_nor_see_it(
    client: Client, make_user: MakeUser
) -> None:
    application = scored(submitted_application(), 4)
    reviewer = make_user(Role.RESEARCHER)
    assign(application, reviewer)
    review_services.review_submit(
        actor=reviewer, application=application, scores=_scores(application)
    )
    client.force_login(reviewer)
    response = client.post(
        reverse("calls:conflict", args=[application.pk]), {"note": "I worked there."}
    )
    assert response.status_code == 302
    assert application.reviews.filter(reviewer=reviewer).count() == 0  # withdrawn
    with pytest.raises(Http404):
        selectors.application_get_for_user(user=reviewer, application_id=application.pk)
    assert selectors.reviews_visible_to(user=reviewer, application=application) == []
    assert not selectors.can_score(user=reviewer, application=application)
    assert client.get(reverse("calls:application", args=[application.pk])).status_code == 404
    for name in ("calls:review", "calls:conflict"):
        url = reverse(name, args=[application.pk])
        assert client.post(url, _scores(application)).status_code == 404, name
    attachment = application.attachments.get()
    url = reverse("calls:attachment", args=[application.pk, attachment.pk])
    assert client.get(url).status_code == 404
    rows = selectors.review_rows(user=reviewer, call=application.call)
    assert application.pk not in {r.application.pk for r in rows}
    with pytest.raises(PermissionDeniedError):
        review_services.review_submit(
            actor=reviewer, application=application, scores=_scores(application)
        )


def test_a_conflict_stays_on_record_and_blocks_reassignment(make_user: MakeUser) -> None:
    application = submitted_application()
    reviewer, editor = make_user(Role.RESEARCHER), make_user(Role.EDITOR)
    review_services.conflict_declare(actor=reviewer, application=application, note="My sister.")
    assignment = application.assignments.get()
    with pytest.raises(errors.CallError, match="stays on record"):
        review_services.reviewer_unassign(actor=editor, assignment=assignment)
    with pytest.raises(errors.CallError, match="conflict of interest"):
        review_services.reviewer_assign(actor=editor, application=application, reviewer=reviewer)
    assert reviewer not in selectors.possible_reviewers(application=application)
    with pytest.raises(errors.CallError, match="Say what the conflict is"):
        review_services.conflict_declare(
            actor=make_user(Role.RESEARCHER), application=application, note=" "
        )


def test_a_reviewer_who_has_scored_cannot_be_taken_off(make_user: MakeUser) -> None:
    application = scored(submitted_application())
    with pytest.raises(errors.CallError, match="scored the application already"):
        review_services.reviewer_unassign(
            actor=make_user(Role.EDITOR), assignment=application.assignments.get()
        )


def test_the_summary_flags_disagreement_above_the_threshold() -> None:
    """Totals 80 and 40 (every criterion 4 of 5, then 2 of 5): mean 60, spread 40 > 25."""
    application = scored(submitted_application(), 4, 2)
    criteria = list(application.call.criteria.all())
    summary = summarise(application.reviews.all(), criteria)
    assert summary.count == 2 and summary.mean == pytest.approx(60)
    assert summary.spread == pytest.approx(40)
    assert summary.disagreement and DISAGREEMENT_POINTS == 25
    other = scored(submitted_application(), 4, 3)
    close = summarise(other.reviews.all(), list(other.call.criteria.all()))
    assert close.spread == pytest.approx(20) and not close.disagreement  # 80 and 60


def test_the_list_shows_deciders_the_summary_and_hides_it_from_unscored_reviewers(
    client: Client, make_user: MakeUser
) -> None:
    call = make_call()
    application = scored(submitted_application(call), 5, 1)
    waiting = make_user(Role.RESEARCHER)
    assign(application, waiting)
    client.force_login(make_user(Role.EDITOR))
    page = client.get(reverse("calls:review_list", args=[call.slug])).content.decode()
    assert "Disagree" in page and "<td>60</td>" in page and "<td>80" in page
    client.force_login(waiting)
    page = client.get(reverse("calls:review_list", args=[call.slug])).content.decode()
    assert "Hidden until you score" in page and "Disagree" not in page
