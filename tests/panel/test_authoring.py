"""Authoring: questions changed, deleted and reordered while a poll is a draft; skip logic
checked as it is written and applied as the member answers; the question types; pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.panel.factories import make_invitation, make_poll, researcher
from whatworks.core.models import AuditEntry
from whatworks.panel.errors import PanelError, QuestionError
from whatworks.panel.models import Answer, Poll, Question, Response
from whatworks.panel.services.answering import clean_answers, response_save
from whatworks.panel.services.polls import poll_open
from whatworks.panel.services.questions import (
    QuestionSpec,
    question_create,
    question_delete,
    question_move,
    question_update,
)

pytestmark = pytest.mark.django_db


def _draft() -> tuple[Poll, Question, Question]:
    poll = make_poll(status="draft")
    first, second = poll.questions.order_by("order")
    return poll, first, second


def test_a_draft_s_questions_change_move_and_go() -> None:
    poll, first, second = _draft()
    question_update(
        actor=None,
        question=first,
        spec=QuestionSpec(kind="single", text="Is it manageable?", options=("Yes", "No", "Unsure")),
    )
    first.refresh_from_db()
    assert first.text == "Is it manageable?" and first.options == ["Yes", "No", "Unsure"]
    question_move(actor=None, question=second, up=True)
    assert list(poll.questions.values_list("pk", flat=True)) == [second.pk, first.pk]
    with pytest.raises(PanelError, match="first question on its page"):
        question_move(actor=None, question=second, up=True)
    question_delete(actor=None, question=second)
    assert list(poll.questions.values_list("pk", flat=True)) == [first.pk]
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"panel.question_changed", "panel.question_moved", "panel.question_deleted"} <= actions


def test_an_open_poll_s_questions_cannot_change() -> None:
    poll = make_poll()
    question = poll.questions.first()
    assert question is not None
    spec = QuestionSpec(kind="single", text="Changed", options=("A", "B"))
    for change in (
        lambda: question_update(actor=None, question=question, spec=spec),
        lambda: question_delete(actor=None, question=question),
        lambda: question_move(actor=None, question=question, up=False),
        lambda: question_create(actor=None, poll=poll, spec=spec),
    ):
        with pytest.raises(PanelError, match="only be changed while the poll is a draft"):
            change()
    question.refresh_from_db()
    assert question.text == "Is your caseload manageable?"


def test_skip_logic_is_checked_as_it_is_written() -> None:
    poll, first, number = _draft()
    with pytest.raises(QuestionError) as caught:
        question_create(
            actor=None,
            poll=poll,
            spec=QuestionSpec(
                kind="text",
                text="Why?",
                conditions=((first, "Maybe"), (number, "3")),
                max_length=0,
            ),
        )
    problems = caught.value.by_field
    # every problem at once: a value not among the options, a question without options,
    # and a bad length limit
    assert any("“Maybe” is not one of the options" in m for m in problems["conditions"])
    assert any("“Yes”, “No”" in m for m in problems["conditions"])
    assert any("has no options" in m for m in problems["conditions"])
    assert "max_length" in problems
    assert not poll.questions.filter(text="Why?").exists()


def test_a_condition_must_come_before_and_keeps_its_question_in_place() -> None:
    poll, first, number = _draft()
    why = question_create(
        actor=None,
        poll=poll,
        spec=QuestionSpec(kind="text", text="Why not?", conditions=((first, "No"),)),
    )
    # the question it depends on cannot move after it, lose the option or be deleted
    question_move(actor=None, question=number, up=False)  # number <-> why: fine
    with pytest.raises(PanelError, match="must stay after it"):
        question_move(actor=None, question=why, up=True)
    with pytest.raises(QuestionError) as caught:
        question_update(
            actor=None,
            question=first,
            spec=QuestionSpec(kind="single", text=first.text, options=("Yes", "Sometimes")),
        )
    assert "keep that option" in caught.value.by_field["options"][0]
    with pytest.raises(PanelError, match="change or delete its condition first"):
        question_delete(actor=None, question=first)
    # and a condition cannot point at a later question
    with pytest.raises(QuestionError, match="does not come before"):
        question_update(
            actor=None,
            question=first,
            spec=QuestionSpec(
                kind="single",
                text=first.text,
                options=("Yes", "No"),
                conditions=((why, "x"),),
            ),
        )


def test_several_conditions_all_or_any() -> None:
    poll = make_poll(status="draft")
    a = poll.questions.get(kind="single")
    b = question_create(
        actor=None,
        poll=poll,
        spec=QuestionSpec(kind="multiple", text="Which?", options=("Pay", "Time", "Support")),
    )
    both = question_create(
        actor=None,
        poll=poll,
        spec=QuestionSpec(
            kind="text",
            text="Tell us more",
            required=False,
            conditions=((a, "No"), (b, "Time")),
            match=Question.Match.ALL,
        ),
    )
    either = question_create(
        actor=None,
        poll=poll,
        spec=QuestionSpec(
            kind="text",
            text="Anything else",
            required=False,
            conditions=((a, "No"), (b, "Time")),
            match=Question.Match.ANY,
        ),
    )
    raw = {a.pk: "No", b.pk: ["Pay"], both.pk: "x", either.pk: "y"}
    cleaned, errors = clean_answers(poll, raw, final=True)
    assert not errors
    assert both.pk not in cleaned and cleaned[either.pk] == "y"
    raw[b.pk] = ["Pay", "Time"]
    cleaned, _ = clean_answers(poll, raw, final=True)
    assert cleaned[both.pk] == "x" and cleaned[either.pk] == "y"
    raw[a.pk], raw[b.pk] = "Yes", ["Support"]
    cleaned, _ = clean_answers(poll, raw, final=True)
    assert both.pk not in cleaned and either.pk not in cleaned


def _typed_poll() -> tuple[Poll, dict[str, Question]]:
    poll = make_poll(status="draft")
    poll.questions.all().delete()
    specs = {
        "dropdown": QuestionSpec(kind="dropdown", text="Region?", options=("North", "South")),
        "date": QuestionSpec(kind="date", text="When did you qualify?"),
        "ranking": QuestionSpec(
            kind="ranking", text="Rank these", options=("Pay", "Time", "Support")
        ),
        "scale": QuestionSpec(
            kind="scale", text="How likely?", low_label="Not at all", high_label="Extremely"
        ),
        "number": QuestionSpec(kind="number", text="Cases?", min_value=0, max_value=60),
        "text": QuestionSpec(kind="text", text="Why?", max_length=20, required=False),
        "likert": QuestionSpec(kind="likert", text="I feel supported", likert_preset="agreement"),
    }
    made = {k: question_create(actor=None, poll=poll, spec=s) for k, s in specs.items()}
    return poll, made


def test_question_types_check_their_answers() -> None:
    poll, q = _typed_poll()
    assert q["likert"].options[0] == "Strongly disagree" and len(q["likert"].options) == 5
    good = {
        q["dropdown"].pk: "South",
        q["date"].pk: "27/03/2019",
        q["ranking"].pk: {"Pay": "2", "Time": "1", "Support": "3"},
        q["scale"].pk: "7",
        q["number"].pk: "12",
        q["text"].pk: "Too many cases",
        q["likert"].pk: "Agree",
    }
    cleaned, errors = clean_answers(poll, good, final=True)
    assert not errors
    assert cleaned[q["date"].pk] == "2019-03-27"
    assert cleaned[q["ranking"].pk] == ["Time", "Pay", "Support"]
    assert cleaned[q["scale"].pk] == 7 and cleaned[q["number"].pk] == 12.0
    bad = {
        q["dropdown"].pk: "East",
        q["date"].pk: "31/02/2019",
        q["ranking"].pk: {"Pay": "1", "Time": "1", "Support": "2"},
        q["scale"].pk: "11",
        q["number"].pk: "61",
        q["text"].pk: "x" * 21,
        q["likert"].pk: "Sort of",
    }
    _, errors = clean_answers(poll, bad, final=True)
    assert len(errors) == 7  # every problem at once
    assert "from 0 to 10" in errors[f"q{q['scale'].pk}"]
    assert "from 0 to 60" in errors[f"q{q['number'].pk}"]
    assert "21 characters long; shorten it to 20" in errors[f"q{q['text'].pk}"]
    assert "each number once" in errors[f"q{q['ranking'].pk}"]
    assert "real date" in errors[f"q{q['date'].pk}"]
    partial = {**good, q["ranking"].pk: {"Pay": "1"}}
    _, errors = clean_answers(poll, partial, final=True)
    assert "Rank every option" in errors[f"q{q['ranking'].pk}"]


def test_authoring_mistakes_are_reported_together() -> None:
    poll = make_poll(status="draft")
    with pytest.raises(QuestionError) as caught:
        question_create(
            actor=None,
            poll=poll,
            spec=QuestionSpec(
                kind="scale", text="", min_value=0, max_value=50, options=("a", "a"), page=30
            ),
        )
    assert {"text", "max_value", "options", "page"} <= caught.value.by_field.keys()
    with pytest.raises(QuestionError, match="Either type the options or choose"):
        question_create(
            actor=None,
            poll=poll,
            spec=QuestionSpec(
                kind="likert", text="x", options=("A", "B"), likert_preset="agreement"
            ),
        )


def _two_page_poll() -> tuple[Poll, Question, Question, Question]:
    poll = make_poll(status="draft")
    first = poll.questions.get(kind="single")  # page 1; "How many cases?" also on page 1
    why = question_create(
        actor=None,
        poll=poll,
        spec=QuestionSpec(kind="text", text="Why not?", page=2, conditions=((first, "No"),)),
    )
    last = question_create(
        actor=None,
        poll=poll,
        spec=QuestionSpec(kind="scale", text="How tired are you?", page=3),
    )
    poll_open(actor=None, poll=poll)
    return poll, first, why, last


def test_a_survey_is_answered_page_by_page_and_skips_pages_without_questions(
    client: Client,
) -> None:
    poll, first, why, last = _two_page_poll()
    invitation, token = make_invitation(poll=poll)
    url = reverse("panel:answer", kwargs={"token": token})
    page = client.get(url).content.decode()
    assert "Page 1 of 3" in page and "How tired" not in page
    assert "Continue" in page and "Send my answers" not in page
    # the page's required question must be answered before going on
    stuck = client.post(url, {"page": "1", "action": "next"})
    assert stuck.status_code == 400 and "Answer this question" in stuck.content.decode()
    # "Yes": page 2 asks only of those who said No, so it is skipped
    moved = client.post(url, {"page": "1", "action": "next", f"q{first.pk}": "Yes"})
    assert moved.status_code == 302 and moved["Location"].endswith("?page=3")
    page3 = client.get(moved["Location"]).content.decode()
    assert "Page 3 of 3" in page3 and "Send my answers" in page3 and "Why not?" not in page3
    # back to page 1, change to No: page 2 is asked
    back = client.post(url, {"page": "3", "action": "back"})
    assert back["Location"].endswith("?page=1")
    moved = client.post(url, {"page": "1", "action": "next", f"q{first.pk}": "No"})
    assert moved["Location"].endswith("?page=2")
    client.post(url, {"page": "2", "action": "next", f"q{why.pk}": "Too many"})
    done = client.post(url, {"page": "3", "action": "submit", f"q{last.pk}": "8"})
    assert done.status_code == 302
    response = Response.objects.get(invitation=invitation)
    assert response.status == "complete"
    answers = dict(Answer.objects.filter(response=response).values_list("question_id", "value"))
    assert answers == {first.pk: "No", why.pk: "Too many", last.pk: 8}


def test_same_page_conditions_are_marked_for_pages_without_javascript(client: Client) -> None:
    poll = make_poll(status="draft")
    first = poll.questions.get(kind="single")
    question_create(
        actor=None,
        poll=poll,
        spec=QuestionSpec(
            kind="text", text="Why not?", required=False, conditions=((first, "No"),)
        ),
    )
    poll_open(actor=None, poll=poll)
    invitation, token = make_invitation(poll=poll)
    page = client.get(reverse("panel:answer", kwargs={"token": token})).content.decode()
    assert "Answer this only if you answered “No” to “Is your caseload manageable?”" in page
    assert "data-show-if=" in page and "panel/skip.js" in page
    # answered although hidden: the server drops it, as the condition does not hold
    why = poll.questions.get(text="Why not?")
    response, _ = response_save(
        actor=None,
        invitation=invitation,
        answers={first.pk: "Yes", why.pk: "ignored"},
        submit=True,
    )
    assert not response.answers.filter(question=why).exists()


def test_the_preview_checks_answers_and_stores_nothing(client: Client) -> None:
    poll, first, why, last = _two_page_poll()
    client.force_login(researcher())
    url = reverse("panel:preview", kwargs={"slug": poll.slug})
    page = client.get(url).content.decode()
    assert "Preview." in page and "Page 1 of 3" in page
    moved = client.post(url, {"page": "1", "action": "next", f"q{first.pk}": "No"})
    assert moved["Location"].endswith("?page=2")
    client.post(url, {"page": "2", "action": "next", f"q{why.pk}": "Because"})
    done = client.post(url, {"page": "3", "action": "submit", f"q{last.pk}": "3"})
    assert done.status_code == 200 and "Preview finished" in done.content.decode()
    assert not Response.objects.filter(poll=poll).exists()


def test_the_edit_page_reports_every_problem(client: Client) -> None:
    poll, first, number = _draft()
    client.force_login(researcher())
    url = reverse("panel:question_edit", kwargs={"slug": poll.slug, "pk": number.pk})
    form = client.get(url).content.decode()
    assert "How many cases?" in form and "“Is your caseload manageable?” is “No”" in form
    bad = client.post(
        url, {"kind": "number", "text": "Cases?", "min_value": "10", "max_value": "5"}
    )
    assert bad.status_code == 400
    assert "must be more than the lowest" in bad.content.decode()
    ok = client.post(
        url,
        {
            "kind": "number",
            "text": "Cases?",
            "min_value": "0",
            "max_value": "60",
            "conditions": [f"{first.pk}:No"],
            "match": "all",
        },
    )
    assert ok.status_code == 302
    number.refresh_from_db()
    assert number.max_value == 60
    assert list(number.conditions.values_list("depends_on", "value")) == [(first.pk, "No")]
