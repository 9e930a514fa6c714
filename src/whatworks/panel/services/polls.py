"""Researchers' writes: studies, published scales, polls and their questions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.models import User
from whatworks.core.services import audit_record, diff_fields
from whatworks.panel.errors import PanelError
from whatworks.panel.models import Poll, Question, Scale, ScaleItem, Study


def _save(obj: models.Model) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise PanelError("; ".join(exc.messages)) from None
    obj.save()


@transaction.atomic
def study_create(*, actor: User | None, name: str, slug: str, description: str = "") -> Study:
    study = Study(name=name, slug=slug, description=description)
    _save(study)
    audit_record(actor=actor, action="panel.study_created", target=study)
    return study


@transaction.atomic
def scale_create(
    *,
    actor: User | None,
    name: str,
    slug: str,
    options: Sequence[str],
    items: Sequence[tuple[str, bool]],
    scoring: str = Scale.Scoring.SUM,
    source: str = "",
    published: bool = True,
) -> Scale:
    """A scale defined once: ``items`` are (text, reverse-scored); options score 1..k."""
    if len(options) < 2:
        raise PanelError(_("A scale needs at least two options."))
    if not items:
        raise PanelError(_("A scale needs at least one item."))
    scale = Scale(
        name=name,
        slug=slug,
        options=list(options),
        scoring=scoring,
        source=source,
        published=published,
    )
    _save(scale)
    for order, (text, reverse) in enumerate(items):
        _save(ScaleItem(scale=scale, order=order, text=text, reverse=reverse))
    audit_record(
        actor=actor,
        action="panel.scale_created",
        target=scale,
        changes={"items": len(items), "options": len(options), "scoring": scoring},
    )
    return scale


def scale_score(scale: Scale, values: dict[str, Any]) -> float | None:
    """Score a matrix answer ``{item text: option label}``; None if any item is missing."""
    options = [str(o) for o in scale.options]
    k = len(options)
    scores = []
    for item in scale.items.all():
        label = values.get(item.text)
        if label not in options:
            return None
        score = options.index(label) + 1
        scores.append(k + 1 - score if item.reverse else score)
    if not scores:
        return None
    total = float(sum(scores))
    return total / len(scores) if scale.scoring == Scale.Scoring.MEAN else total


@transaction.atomic
def poll_create(
    *,
    actor: User | None,
    title: str,
    slug: str,
    kind: str = Poll.Kind.POLL,
    description: str = "",
    study: Study | None = None,
    wave: int | None = None,
    max_reminders: int = 2,
    reminder_days: int = 3,
) -> Poll:
    if (study is None) != (wave is None):
        raise PanelError(_("A wave needs a study, and a study poll needs its wave number."))
    poll = Poll(
        title=title,
        slug=slug,
        kind=kind,
        description=description,
        study=study,
        wave=wave,
        max_reminders=max_reminders,
        reminder_days=reminder_days,
        created_by=actor,
    )
    _save(poll)
    audit_record(
        actor=actor,
        action="panel.poll_created",
        target=poll,
        changes=diff_fields(None, poll, ["title", "kind", "study", "wave"]),
    )
    return poll


@transaction.atomic
def question_add(
    *,
    actor: User | None,
    poll: Poll,
    kind: str,
    text: str,
    hint: str = "",
    required: bool = True,
    options: Sequence[str] = (),
    rows: Sequence[str] = (),
    scale: Scale | None = None,
    show_if: Question | None = None,
    show_if_value: str = "",
    pulse_key: str = "",
) -> Question:
    if poll.status != Poll.Status.DRAFT:
        raise PanelError(_("Questions can only be added while the poll is a draft."))
    choice_kinds = {Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.LIKERT}
    if kind in choice_kinds and scale is None and len(options) < 2:
        raise PanelError(_("A choice question needs at least two options, one per line."))
    if kind == Question.Kind.MATRIX and scale is None and (not rows or len(options) < 2):
        raise PanelError(_("A matrix needs rows and at least two options, or a scale."))
    if scale is not None and not scale.published:
        raise PanelError(_("Only a published scale can be used."))
    if show_if is not None:
        if show_if.poll_id != poll.pk:
            raise PanelError(_("Skip logic can only refer to a question in the same poll."))
        if not show_if_value:
            raise PanelError(_("Say which answer shows this question."))
    order = (poll.questions.aggregate(m=models.Max("order"))["m"] or 0) + 1
    question = Question(
        poll=poll,
        order=order,
        kind=kind,
        text=text,
        hint=hint,
        required=required,
        options=list(options),
        rows=list(rows),
        scale=scale,
        show_if=show_if,
        show_if_value=show_if_value,
        pulse_key=pulse_key,
    )
    _save(question)
    audit_record(
        actor=actor,
        action="panel.question_added",
        target=poll,
        changes={"question": question.pk, "kind": kind},
    )
    return question


@transaction.atomic
def poll_open(*, actor: User | None, poll: Poll) -> Poll:
    if poll.status != Poll.Status.DRAFT:
        raise PanelError(_("Only a draft poll can be opened."))
    if not poll.questions.exists():
        raise PanelError(_("Add at least one question before opening the poll."))
    poll.status = Poll.Status.OPEN
    poll.opened_at = timezone.now()
    poll.save(update_fields=["status", "opened_at"])
    audit_record(actor=actor, action="panel.poll_opened", target=poll)
    return poll


@transaction.atomic
def poll_close(*, actor: User | None, poll: Poll) -> Poll:
    if poll.status != Poll.Status.OPEN:
        raise PanelError(_("Only an open poll can be closed."))
    poll.status = Poll.Status.CLOSED
    poll.closed_at = timezone.now()
    poll.save(update_fields=["status", "closed_at"])
    audit_record(actor=actor, action="panel.poll_closed", target=poll)
    return poll
