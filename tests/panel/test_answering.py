"""Answering: validation, skip logic, save and resume, one response per token, idempotency."""

from __future__ import annotations

from functools import partial

import pytest
from django.test import Client
from django.urls import reverse

from tests.panel.factories import make_invitation, make_member, make_poll
from tests.threads import run_at_once
from whatworks.panel.errors import AnswerError, PollClosedError
from whatworks.panel.models import Answer, Invitation, Question, Response
from whatworks.panel.services.answering import pseudonym_for, response_save
from whatworks.panel.services.polls import question_add
from whatworks.panel.services.schedule import poll_close


@pytest.mark.django_db
def test_save_and_resume_then_submit_once() -> None:
    invitation, _ = make_invitation()
    q1, q2 = invitation.poll.questions.all()
    response, changed = response_save(
        actor=None, invitation=invitation, answers={q2.pk: "12"}, submit=False
    )
    assert changed and response.status == "partial"
    invitation.refresh_from_db()
    assert invitation.disposition == Invitation.Disposition.PARTIAL
    with pytest.raises(AnswerError) as caught:
        response_save(actor=None, invitation=invitation, answers={q2.pk: "12"}, submit=True)
    assert f"q{q1.pk}" in caught.value.errors
    final, changed = response_save(
        actor=None, invitation=invitation, answers={q1.pk: "No", q2.pk: "12"}, submit=True
    )
    assert changed and final.pk == response.pk and final.status == "complete"
    assert dict(final.answers.values_list("question_id", "value")) == {q1.pk: "No", q2.pk: 12.0}
    again, changed = response_save(
        actor=None, invitation=invitation, answers={q1.pk: "Yes"}, submit=True
    )
    assert not changed and again.pk == final.pk
    assert Answer.objects.get(response=final, question=q1).value == "No"  # never overwritten
    assert Response.objects.count() == 1


@pytest.mark.django_db
def test_answer_validation_and_skip_logic() -> None:
    poll = make_poll(status="draft")
    q1 = poll.questions.first()
    assert q1 is not None
    follow = question_add(
        actor=None,
        poll=poll,
        kind=Question.Kind.MULTIPLE,
        text="Why not?",
        options=["Time", "Cases", "Other"],
        show_if=q1,
        show_if_value="No",
    )
    matrix = question_add(
        actor=None,
        poll=poll,
        kind=Question.Kind.MATRIX,
        text="How often",
        rows=["Tired", "Calm"],
        options=["Never", "Often"],
        required=True,
    )
    from whatworks.panel.services.polls import poll_open

    poll_open(actor=None, poll=poll)
    invitation, _ = make_invitation(poll=poll)
    with pytest.raises(AnswerError) as caught:
        response_save(
            actor=None,
            invitation=invitation,
            submit=True,
            answers={q1.pk: "No", follow.pk: ["Time", "Bogus"], matrix.pk: {"Tired": "Never"}},
        )
    assert set(caught.value.errors) == {f"q{follow.pk}", f"q{matrix.pk}"}
    # the follow-up is hidden (and dropped) when the answer is "Yes"
    response, _ = response_save(
        actor=None,
        invitation=invitation,
        submit=True,
        answers={q1.pk: "Yes", follow.pk: ["Time"], matrix.pk: {"Tired": "Never", "Calm": "Often"}},
    )
    assert set(response.answers.values_list("question_id", flat=True)) == {q1.pk, matrix.pk}


@pytest.mark.django_db
def test_closed_poll_says_so(client: Client) -> None:
    invitation, token = make_invitation()
    poll_close(actor=None, poll=invitation.poll)
    q = invitation.poll.questions.first()
    assert q is not None
    with pytest.raises(PollClosedError):
        response_save(actor=None, invitation=invitation, answers={q.pk: "Yes"}, submit=True)
    page = client.get(reverse("panel:answer", kwargs={"token": token}))
    assert page.status_code == 410
    assert b"This poll is closed" in page.content


@pytest.mark.django_db
def test_answer_page_flow_and_double_post(client: Client) -> None:
    invitation, token = make_invitation()
    url = reverse("panel:answer", kwargs={"token": token})
    assert client.get(url).status_code == 200
    invitation.refresh_from_db()
    assert invitation.disposition == Invitation.Disposition.OPENED
    q1 = invitation.poll.questions.first()
    assert q1 is not None
    saved = client.post(url, {f"q{q1.pk}": "Yes", "action": "save"})
    assert saved.status_code == 200 and b"Your answers are saved" in saved.content
    assert b'value="Yes" checked' in client.get(url).content  # resumed
    for _ in range(2):  # a double click
        done = client.post(url, {f"q{q1.pk}": "Yes", "action": "submit"})
        assert done.status_code == 302
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert b"your answers are in" in client.get(url).content
    assert client.get(reverse("panel:answer", kwargs={"token": "wrong"})).status_code == 404


@pytest.mark.django_db
def test_opt_out(client: Client) -> None:
    invitation, token = make_invitation()
    response = client.post(reverse("panel:answer", kwargs={"token": token}), {"action": "opt-out"})
    assert b"You opted out" in response.content
    invitation.refresh_from_db()
    assert invitation.disposition == Invitation.Disposition.OPTED_OUT


@pytest.mark.django_db
def test_signed_in_member_answers_from_their_page(client: Client) -> None:
    member = make_member()
    invitation, _ = make_invitation(member=member)
    assert member.user is not None
    client.force_login(member.user)
    url = reverse("panel:answer_mine", kwargs={"slug": invitation.poll.slug})
    assert client.get(url).status_code == 200
    other_poll = make_poll()
    assert (
        client.get(reverse("panel:answer_mine", kwargs={"slug": other_poll.slug})).status_code
        == 404
    )


@pytest.mark.django_db
def test_pseudonym_links_waves_of_one_study_only() -> None:
    from whatworks.panel.services.polls import study_create

    study = study_create(actor=None, name="Wellbeing", slug="wellbeing")
    pre = make_poll(study=study, wave=1)
    post = make_poll(study=study, wave=2)
    other = make_poll()
    key = "abc"
    assert pseudonym_for(member_key=key, poll=pre) == pseudonym_for(member_key=key, poll=post)
    assert pseudonym_for(member_key=key, poll=pre) != pseudonym_for(member_key=key, poll=other)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_make_one_response() -> None:
    """Eight threads submit the same token at once: one response, no errors, no loss."""
    invitation, _ = make_invitation()
    q = invitation.poll.questions.first()
    assert q is not None
    results: list[int] = []

    def submit() -> None:
        response, _ = response_save(
            actor=None, invitation=invitation, answers={q.pk: "Yes"}, submit=True
        )
        results.append(response.pk)

    errors = run_at_once([submit] * 8)
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 8
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert Answer.objects.filter(response__invitation=invitation).count() == 1


@pytest.mark.django_db(transaction=True)
def test_many_members_submitting_at_once_lose_nothing() -> None:
    """Forty invitations, each submitted twice concurrently: forty responses exactly."""
    poll = make_poll()
    invitations = [make_invitation(poll=poll)[0] for _ in range(40)]
    q = poll.questions.first()
    assert q is not None

    def submit(invitation: Invitation) -> None:
        response_save(actor=None, invitation=invitation, answers={q.pk: "No"}, submit=True)

    errors = run_at_once([partial(submit, inv) for inv in invitations for _ in range(2)])
    assert errors == []
    assert Response.objects.filter(poll=poll, status="complete").count() == 40
    assert Invitation.objects.filter(poll=poll, disposition="complete").count() == 40


@pytest.mark.django_db
def test_database_refuses_a_second_response_for_one_invitation() -> None:
    from django.db import IntegrityError, transaction

    invitation, _ = make_invitation()
    q = invitation.poll.questions.first()
    assert q is not None
    response_save(actor=None, invitation=invitation, answers={q.pk: "Yes"}, submit=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(
            poll=invitation.poll,
            invitation=invitation,
            pseudonym="x",
            role="case-holder",
            region="london",
            employer_type="agency",
            age_band="30-39",
            sex="male",
            ethnicity="white",
            years="2-4",
        )
