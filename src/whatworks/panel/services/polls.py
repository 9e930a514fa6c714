"""Researchers' writes: studies, published scales, polls and their questions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record, diff_fields
from whatworks.panel.errors import PanelError
from whatworks.panel.models import Poll, Question, Scale, ScaleItem, Study


def _save(obj: models.Model) -> None:
    full_clean_or_raise(obj, PanelError)
    obj.save()


@transaction.atomic
def study_create(*, actor: User | None, name: str, slug: str, description: str = "") -> Study:
    study = Study(name=name, slug=slug, description=description)
    _save(study)
    audit_record(actor=actor, action=AuditAction.PANEL_STUDY_CREATED, target=study)
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
        action=AuditAction.PANEL_SCALE_CREATED,
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
        action=AuditAction.PANEL_POLL_CREATED,
        target=poll,
        changes=diff_fields(None, poll, ["title", "kind", "study", "wave"]),
    )
    return poll


def question_add(
    *,
    actor: User | None,
    poll: Poll,
    kind: str,
    text: str,
    show_if: Question | None = None,
    show_if_value: str = "",
    **spec: Any,
) -> Question:
    """Add a question (a shorthand of :func:`question_create` for one condition)."""
    from whatworks.panel.services.questions import QuestionSpec, question_create

    conditions = list(spec.pop("conditions", ()))
    if show_if is not None:
        conditions.append((show_if, show_if_value))
    for name in ("options", "rows"):
        if name in spec:
            spec[name] = tuple(spec[name])
    return question_create(
        actor=actor,
        poll=poll,
        spec=QuestionSpec(kind=kind, text=text, conditions=tuple(conditions), **spec),
    )


@transaction.atomic
def poll_open(*, actor: User | None, poll: Poll, now: datetime | None = None) -> Poll:
    if Poll.objects.select_for_update().get(pk=poll.pk).status != Poll.Status.DRAFT:
        raise PanelError(_("Only a draft poll can be opened."))
    if not poll.questions.exists():
        raise PanelError(_("Add at least one question before opening the poll."))
    poll.status = Poll.Status.OPEN
    poll.opened_at = now or timezone.now()
    poll.save(update_fields=["status", "opened_at"])
    audit_record(actor=actor, action=AuditAction.PANEL_POLL_OPENED, target=poll)
    return poll
