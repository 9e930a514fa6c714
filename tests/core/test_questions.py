"""The one base of the questions calls and events ask (core/questions.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.calls.factories import make_call
from tests.events.factories import make_event
from whatworks.calls.errors import CallError
from whatworks.calls.models import Question as CallQuestion
from whatworks.core.errors import WhatworksError
from whatworks.core.questions import (
    ChoiceQuestion,
    answer_field_name,
    choice_field,
    next_position,
    question_check,
)
from whatworks.events.errors import EventError
from whatworks.events.models import Question as EventQuestion

pytestmark = pytest.mark.django_db


def test_both_parts_questions_share_the_base_and_keep_their_tables() -> None:
    assert ChoiceQuestion._meta.abstract
    assert issubclass(CallQuestion, ChoiceQuestion) and issubclass(EventQuestion, ChoiceQuestion)
    assert CallQuestion._meta.db_table == "calls_question"
    assert EventQuestion._meta.db_table == "events_question"


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: CallQuestion(call=make_call(), kind="choice", label="Which?"), CallError),
        (
            lambda: EventQuestion(event=make_event(), kind="choice", label="Which?"),
            EventError,
        ),
    ],
)
def test_a_choice_question_needs_a_choice(
    make: Callable[[], CallQuestion | EventQuestion], error: type[WhatworksError]
) -> None:
    question = make()
    question.choices = "\n  \n"
    with pytest.raises(error, match="at least one choice"):
        question_check(question, error)
    question.choices = " Red \nBlue\n\n"
    question_check(question, error)
    assert question.choice_list() == ["Red", "Blue"]
    question.pk = 7
    assert answer_field_name(question) == "q_7"
    assert choice_field(question).choices == [("", "—"), ("Red", "Red"), ("Blue", "Blue")]


def test_a_new_question_goes_after_the_last() -> None:
    call = make_call()
    assert next_position([]) == 1
    last = CallQuestion(call=call, kind="text", label="Last", position=4)
    assert next_position([CallQuestion(call=call, kind="text", label="A"), last]) == 5
