"""Authoring a poll's questions while it is a draft: add, change, delete, reorder.

Every check is made before anything is written and every problem is reported at once
(:class:`QuestionError` maps form fields to messages).  Skip logic is checked as it is
written: a condition refers to an earlier question of the same poll that has options, and
its value must be one of those options.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.panel import likert
from whatworks.panel.errors import PanelError, QuestionError
from whatworks.panel.models import Condition, Poll, Question, Scale

#: Kinds whose answer is one (or more) of the question's options: conditions may use them.
CHOICE_KINDS = frozenset(
    {Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.LIKERT, Question.Kind.DROPDOWN}
)
#: Most pages in one survey.
MAX_PAGES = 20
#: Longest free-text answer anyone may allow (the default when none is set).
TEXT_LIMIT = 4000


@dataclass(frozen=True)
class QuestionSpec:
    """What a question says and accepts, as typed by its author."""

    kind: str
    text: str
    hint: str = ""
    required: bool = True
    options: Sequence[str] = ()
    rows: Sequence[str] = ()
    scale: Scale | None = None
    likert_preset: str = ""
    conditions: Sequence[tuple[Question, str]] = ()
    match: str = Question.Match.ALL
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None
    low_label: str = ""
    high_label: str = ""
    page: int = 1
    pulse_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _draft(poll: Poll) -> None:
    if poll.status != Poll.Status.DRAFT:
        raise PanelError(
            _("Questions can only be changed while the poll is a draft; this one is %(s)s.")
            % {"s": poll.get_status_display().lower()}
        )


def _check(
    poll: Poll, spec: QuestionSpec, *, question: Question | None
) -> tuple[QuestionSpec, dict[str, list[str]]]:
    """The spec with presets applied, and every problem with it."""
    problems: dict[str, list[str]] = {}

    def problem(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    kind = spec.kind
    options = [o.strip() for o in spec.options if o.strip()]
    if kind not in Question.Kind.values:
        problem("kind", _("Choose a kind of question from the list."))
    if not spec.text.strip():
        problem("text", _("Enter the question."))
    if spec.likert_preset:
        preset = likert.BY_KEY.get(spec.likert_preset)
        if preset is None:
            problem("likert_preset", _("Choose a ready-made scale from the list."))
        elif kind != Question.Kind.LIKERT:
            problem("likert_preset", _("Ready-made scales are for Likert questions only."))
        elif options:
            problem("options", _("Either type the options or choose a ready-made scale, not both."))
        else:
            options = list(preset.options)
    if len(set(options)) != len(options):
        problem("options", _("Each option must be different; one appears twice."))
    needs_options = kind in CHOICE_KINDS or kind == Question.Kind.RANKING
    if needs_options and spec.scale is None and len(options) < 2:
        problem("options", _("Give at least two options, one per line."))
    if kind == Question.Kind.MATRIX and spec.scale is None and (not spec.rows or len(options) < 2):
        problem("rows", _("A matrix needs rows and at least two options, or a published scale."))
    if spec.scale is not None and not spec.scale.published:
        problem("scale", _("Only a published scale can be used."))
    if spec.scale is not None and kind != Question.Kind.MATRIX:
        problem("scale", _("A published scale is used by a matrix question only."))
    low, high = spec.min_value, spec.max_value
    if low is not None and high is not None and low >= high:
        problem("max_value", _("The highest allowed must be more than the lowest allowed."))
    if kind == Question.Kind.SCALE:
        a = 0 if low is None else low
        b = 10 if high is None else high
        if a != int(a) or b != int(b) or not 2 <= b - a <= 20:
            problem(
                "max_value",
                _("A scale runs between two whole numbers, 2 to 20 points apart (e.g. 0 to 10)."),
            )
    elif kind != Question.Kind.NUMBER and (low is not None or high is not None):
        problem("min_value", _("Lowest and highest allowed are for number and scale questions."))
    if spec.max_length is not None:
        if kind != Question.Kind.TEXT:
            problem("max_length", _("A length limit is for free-text questions only."))
        elif not 1 <= spec.max_length <= TEXT_LIMIT:
            problem(
                "max_length",
                _("Give a length limit from 1 to %(n)s characters.") % {"n": f"{TEXT_LIMIT:,}"},
            )
    if not 1 <= spec.page <= MAX_PAGES:
        problem("page", _("Give a page number from 1 to %(n)s.") % {"n": MAX_PAGES})
    if spec.match not in Question.Match.values:
        problem("match", _("Choose how the conditions combine."))
    # where the question sits: by page, then its order on the page (a new one goes last)
    order = question.order if question is not None else _next_order(poll)
    position = (spec.page, order, question.pk if question is not None else 0)
    earlier_ids = {
        q.pk
        for q in poll.questions.all()
        if (question is None or q.pk != question.pk) and (q.page, q.order, q.pk) < position
    }
    for depends_on, value in spec.conditions:
        if depends_on.poll_id != poll.pk:
            problem("conditions", _("A condition can only refer to a question in the same poll."))
        elif depends_on.pk not in earlier_ids:
            problem(
                "conditions",
                _("“%(q)s” does not come before this question, so it cannot decide whether it "
                  "is shown.") % {"q": depends_on.text},
            )  # fmt: skip
        elif depends_on.kind not in CHOICE_KINDS:
            problem(
                "conditions",
                _("“%(q)s” has no options to choose from, so it cannot be a condition.")
                % {"q": depends_on.text},
            )
        elif value not in depends_on.choice_options():
            problem(
                "conditions",
                _("“%(v)s” is not one of the options of “%(q)s”; choose one of: %(opts)s.")
                % {
                    "v": value,
                    "q": depends_on.text,
                    "opts": ", ".join(f"“{o}”" for o in depends_on.choice_options()),
                },
            )
    if len(set(spec.conditions)) != len(spec.conditions):
        problem("conditions", _("The same condition is given twice."))
    if question is not None and question.dependants.exists():
        later = [c.question for c in question.dependants.select_related("question")]
        if spec.kind not in CHOICE_KINDS:
            problem(
                "kind",
                _("“%(q)s” depends on this question's answer, so it must keep its options.")
                % {"q": later[0].text},
            )
        else:
            opts = set(spec.scale.options if spec.scale else options)
            for c in question.dependants.select_related("question"):
                if c.value not in opts:
                    problem(
                        "options",
                        _("“%(q)s” is shown when the answer is “%(v)s”: keep that option or "
                          "change that condition first.") % {"q": c.question.text, "v": c.value},
                    )  # fmt: skip
                later_q = c.question
                if (later_q.page, later_q.order, later_q.pk) < position:
                    problem(
                        "page",
                        _("“%(q)s” depends on this question and is on page %(p)s, so this "
                          "question must come before it (page %(p)s or earlier).")
                        % {"q": later_q.text, "p": later_q.page},
                    )  # fmt: skip
    cleaned = QuestionSpec(**{**spec.__dict__, "options": tuple(options)})
    return cleaned, problems


def _next_order(poll: Poll) -> int:
    return int(poll.questions.aggregate(m=models.Max("order"))["m"] or 0) + 1


def _apply(question: Question, spec: QuestionSpec) -> None:
    for name in (
        "kind",
        "hint",
        "required",
        "scale",
        "match",
        "min_value",
        "max_value",
        "max_length",
        "low_label",
        "high_label",
        "page",
        "pulse_key",
    ):
        setattr(question, name, getattr(spec, name))
    question.text = spec.text.strip()
    question.options = list(spec.options)
    question.rows = [r.strip() for r in spec.rows if r.strip()]
    full_clean_or_raise(question, QuestionError, exclude=["poll"])
    question.save()
    question.conditions.all().delete()
    Condition.objects.bulk_create(
        Condition(question=question, depends_on=depends_on, value=value)
        for depends_on, value in dict.fromkeys(spec.conditions)
    )


@transaction.atomic
def question_create(*, actor: User | None, poll: Poll, spec: QuestionSpec) -> Question:
    """Add a question at the end of a draft poll."""
    poll = Poll.objects.select_for_update().get(pk=poll.pk)
    _draft(poll)
    spec, problems = _check(poll, spec, question=None)
    if problems:
        raise QuestionError(problems)
    question = Question(poll=poll, order=_next_order(poll))
    _apply(question, spec)
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_QUESTION_ADDED,
        target=poll,
        changes={"question": question.pk, "kind": spec.kind, "conditions": len(spec.conditions)},
    )
    return question


@transaction.atomic
def question_update(*, actor: User | None, question: Question, spec: QuestionSpec) -> Question:
    """Change a question of a draft poll (its conditions are replaced by the spec's)."""
    poll = Poll.objects.select_for_update().get(pk=question.poll_id)
    _draft(poll)
    question = Question.objects.get(pk=question.pk)
    before = {"kind": question.kind, "text": question.text, "options": list(question.options)}
    spec, problems = _check(poll, spec, question=question)
    if problems:
        raise QuestionError(problems)
    _apply(question, spec)
    after = {"kind": question.kind, "text": question.text, "options": list(question.options)}
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_QUESTION_CHANGED,
        target=poll,
        changes={
            "question": question.pk,
            "fields": sorted(k for k in before if before[k] != after[k]),
        },
    )
    return question


@transaction.atomic
def question_delete(*, actor: User | None, question: Question) -> None:
    """Delete a question of a draft poll, unless a later question's skip logic uses it."""
    poll = Poll.objects.select_for_update().get(pk=question.poll_id)
    _draft(poll)
    dependants = list(question.dependants.select_related("question"))
    if dependants:
        raise PanelError(
            _("“%(q)s” is shown only for an answer to this question: change or delete its "
              "condition first.") % {"q": dependants[0].question.text}
        )  # fmt: skip
    pk = question.pk
    question.delete()
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_QUESTION_DELETED,
        target=poll,
        changes={"question": pk},
    )


@transaction.atomic
def question_move(*, actor: User | None, question: Question, up: bool) -> Question:
    """Swap a question with the one before (``up``) or after it.

    Refused when that would put a question before one its skip logic depends on.
    """
    poll = Poll.objects.select_for_update().get(pk=question.poll_id)
    _draft(poll)
    questions = list(poll.questions.filter(page=question.page).order_by("order", "pk"))
    index = [q.pk for q in questions].index(question.pk)
    other_index = index - 1 if up else index + 1
    if not 0 <= other_index < len(questions):
        raise PanelError(
            (_("This is the first question on its page.") if up
             else _("This is the last question on its page."))
            + " " + _("To move it to another page, change its page number.")
        )  # fmt: skip
    first, second = sorted((questions[index], questions[other_index]), key=questions.index)
    if Condition.objects.filter(question=second, depends_on=first).exists():
        raise PanelError(
            _("“%(b)s” depends on the answer to “%(a)s”, so it must stay after it.")
            % {"a": first.text, "b": second.text}
        )
    a, b = questions[index], questions[other_index]
    if a.order == b.order:  # never equal in practice; keep the swap well defined
        Question.objects.filter(pk=b.pk).update(order=b.order + 1)
        b.order += 1
    Question.objects.filter(pk=a.pk).update(order=b.order)
    Question.objects.filter(pk=b.pk).update(order=a.order)
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_QUESTION_MOVED,
        target=poll,
        changes={"question": question.pk, "direction": "up" if up else "down"},
    )
    question.refresh_from_db()
    return question
