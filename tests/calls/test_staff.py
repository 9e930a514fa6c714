"""Staff pages for calls: create and edit a call, its questions and weighted criteria."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.calls.factories import make_call, scored, submitted_application
from tests.fixturetypes import MakeUser
from whatworks.calls import errors
from whatworks.calls.models import Call, Question
from whatworks.calls.scoring import weighted_total
from whatworks.calls.services import calls as calls_services
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db


def test_an_editor_creates_a_call_and_adds_a_question_and_a_criterion(
    client: Client, make_user: MakeUser
) -> None:
    client.force_login(make_user(Role.EDITOR))
    response = client.post(
        reverse("calls:create"),
        {
            "title": "Pilot sites",
            "slug": "pilot-sites",
            "summary": "Sites for a pilot.",
            "eligibility": "Local authorities.",
            "opens_at": "2030-01-01T09:00",
            "closes_at": "2030-02-01T17:00",
            "project_ref": "",
        },
    )
    assert response.status_code == 302
    call = Call.objects.get(slug="pilot-sites")
    assert not call.published
    client.post(
        reverse("calls:questions", args=[call.slug]),
        {"label": "Caseload", "kind": "number", "hint": "", "choices": "", "position": 1},
    )
    assert call.questions.get().required is False  # an unticked box
    client.post(
        reverse("calls:criteria", args=[call.slug]),
        {"label": "Readiness", "description": "", "max_score": 4, "weight": 3, "position": 1},
    )
    criterion = call.criteria.get()
    assert (criterion.max_score, criterion.weight) == (4, 3)
    page = client.get(reverse("calls:criteria", args=[call.slug])).content.decode()
    assert "100%" in page
    assert AuditEntry.objects.filter(action="call.criterion_created").exists()


def test_closing_before_opening_is_an_error_on_the_form(
    client: Client, make_user: MakeUser
) -> None:
    client.force_login(make_user(Role.EDITOR))
    response = client.post(
        reverse("calls:create"),
        {
            "title": "Backwards",
            "slug": "backwards",
            "summary": "x",
            "eligibility": "x",
            "opens_at": "2030-02-01T09:00",
            "closes_at": "2030-01-01T09:00",
        },
    )
    assert response.status_code == 200
    assert "must close after it opens" in response.content.decode()
    assert not Call.objects.filter(slug="backwards").exists()


def test_a_call_cannot_take_the_name_of_a_page() -> None:
    with pytest.raises(errors.CallError, match="name of a page"):
        make_call(slug="staff")


def test_editing_a_call_keeps_its_address_once_people_have_applied(
    client: Client, make_user: MakeUser
) -> None:
    application = submitted_application()
    call = application.call
    editor = make_user(Role.EDITOR)
    with pytest.raises(errors.CallError, match="cannot change"):
        calls_services.call_update(actor=editor, call=call, slug="elsewhere")
    client.force_login(editor)
    page = client.get(reverse("calls:edit", args=[call.slug])).content.decode()
    assert 'name="slug"' in page and "disabled" in page
    calls_services.call_update(actor=editor, call=call, title="A clearer title")
    call.refresh_from_db()
    assert call.title == "A clearer title"
    assert AuditEntry.objects.filter(action="call.updated").exists()


def test_questions_stay_once_applications_are_submitted() -> None:
    application = submitted_application()
    question = application.call.questions.get(kind=Question.Kind.TEXT)
    editor_call = application.call
    with pytest.raises(errors.CallError, match="stays"):
        calls_services.question_delete(actor=None, question=question)
    with pytest.raises(errors.CallError, match="kind of question"):
        calls_services.question_update(actor=None, question=question, kind="long-text")
    calls_services.question_update(actor=None, question=question, label="Lead's name")
    assert editor_call.questions.filter(label="Lead's name").exists()


def test_a_question_can_be_removed_before_anyone_submits(
    client: Client, make_user: MakeUser
) -> None:
    call = make_call()
    question = call.questions.first()
    assert question is not None
    client.force_login(make_user(Role.EDITOR))
    client.post(reverse("calls:question_delete", args=[call.slug, question.pk]))
    assert not call.questions.filter(pk=question.pk).exists()


def test_a_criterion_s_highest_score_is_fixed_once_scored_but_its_weight_is_not(
    make_user: MakeUser,
) -> None:
    application = scored(submitted_application(), 1)
    reviewer = make_user(Role.EDITOR)
    criterion = application.call.criteria.first()
    assert criterion is not None
    with pytest.raises(errors.CallError, match="highest score cannot change"):
        calls_services.criterion_update(actor=reviewer, criterion=criterion, max_score=10)
    with pytest.raises(errors.CallError, match="cannot be removed"):
        calls_services.criterion_delete(actor=reviewer, criterion=criterion)
    calls_services.criterion_update(actor=reviewer, criterion=criterion, weight=4)
    assert application.call.criteria.get(pk=criterion.pk).weight == 4


def test_the_weighted_total_by_hand() -> None:
    """Two criteria: 3 of 5 with weight 1, 4 of 4 with weight 3.

    By hand: 100 * (1·3/5 + 3·4/4) / (1 + 3) = 100 * 3.6 / 4 = 90.
    """
    call = make_call()
    first, second = call.criteria.all()
    calls_services.criterion_update(actor=None, criterion=second, max_score=4, weight=3)
    criteria = list(call.criteria.all())
    assert weighted_total({str(first.pk): 3, str(second.pk): 4}, criteria) == pytest.approx(90.0)
