"""Writes of calls for partners themselves: calls, their scoring criteria and their
application questions (the core's choice-question base, ``core/questions.py``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from whatworks.calls.errors import CallError
from whatworks.calls.models import (
    Application,
    Call,
    Criterion,
    Question,
    Review,
)
from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.questions import question_check
from whatworks.core.services.audit import audit_record, diff_fields

Status = Application.Status


# --- calls ---------------------------------------------------------------------------


#: Call slugs that would be taken for the part's own pages (``/calls/<slug>/``).
RESERVED_SLUGS = frozenset({"staff", "applications", "account", "organisation-requests"})
CALL_FIELDS = ("slug", "title", "opens_at", "closes_at", "project_ref", "published")


def _check_slug(slug: str) -> None:
    if slug in RESERVED_SLUGS:
        raise CallError(_("“%(slug)s” is the name of a page; choose another.") % {"slug": slug})


def _submitted(call: Call) -> bool:
    return call.applications.exclude(status=Status.DRAFT).exists()


@transaction.atomic
def call_create(*, actor: User | None, **fields: Any) -> Call:
    call = Call(**fields)
    _check_slug(call.slug)
    full_clean_or_raise(call, CallError)
    call.save()
    audit_record(
        actor=actor,
        action=AuditAction.CALL_CREATED,
        target=call,
        changes=diff_fields(None, call, ["slug", "title", "opens_at", "closes_at", "project_ref"]),
    )
    return call


@transaction.atomic
def call_update(*, actor: User, call: Call, **fields: Any) -> Call:
    """Change a call's text, dates or project; its slug only before anyone has applied."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    before = Call.objects.get(pk=call.pk)
    if "slug" in fields and fields["slug"] != call.slug:
        _check_slug(fields["slug"])
        if call.applications.exists():
            raise CallError(_("People have applied at this web address already; it cannot change."))
    for name, value in fields.items():
        setattr(call, name, value)
    full_clean_or_raise(call, CallError)
    call.save()
    audit_record(
        actor=actor,
        action=AuditAction.CALL_UPDATED,
        target=call,
        changes=diff_fields(before, call, [*CALL_FIELDS, "summary", "eligibility"]),
    )
    return call


@transaction.atomic
def criterion_create(
    *,
    actor: User | None,
    call: Call,
    label: str,
    description: str = "",
    max_score: int = 5,
    weight: int = 1,
    position: int | None = None,
) -> Criterion:
    criterion = Criterion(
        call=call,
        label=label,
        description=description,
        max_score=max_score,
        weight=weight,
        position=call.criteria.count() if position is None else position,
    )
    full_clean_or_raise(criterion, CallError)
    criterion.save()
    audit_record(
        actor=actor,
        action=AuditAction.CALL_CRITERION_CREATED,
        target=call,
        changes={"criterion": criterion.pk, "max_score": max_score, "weight": weight},
    )
    return criterion


def _scored(call: Call) -> bool:
    return Review.objects.filter(application__call=call).exists()


@transaction.atomic
def criterion_update(*, actor: User | None, criterion: Criterion, **fields: Any) -> Criterion:
    """Change a criterion; its highest score only before anyone has scored against it
    (a weight may change: totals are computed from the raw scores when shown)."""
    before = Criterion.objects.select_for_update().get(pk=criterion.pk)
    if fields.get("max_score", before.max_score) != before.max_score and _scored(before.call):
        raise CallError(
            _("Reviewers have scored against this criterion; its highest score cannot change.")
        )
    for name, value in fields.items():
        setattr(criterion, name, value)
    full_clean_or_raise(criterion, CallError)
    criterion.save()
    audit_record(
        actor=actor,
        action=AuditAction.CALL_CRITERION_UPDATED,
        target=criterion.call,
        changes=diff_fields(before, criterion, ["label", "max_score", "weight", "position"]),
    )
    return criterion


@transaction.atomic
def criterion_delete(*, actor: User | None, criterion: Criterion) -> None:
    if _scored(criterion.call):
        raise CallError(_("Reviewers have scored against this criterion; it cannot be removed."))
    call = criterion.call
    pk = criterion.pk
    criterion.delete()
    audit_record(
        actor=actor,
        action=AuditAction.CALL_CRITERION_DELETED,
        target=call,
        changes={"criterion": pk},
    )


@transaction.atomic
def question_create(
    *,
    actor: User | None,
    call: Call,
    kind: str,
    label: str,
    hint: str = "",
    choices: str = "",
    required: bool = True,
    eligible_answer: str = "",
    position: int | None = None,
) -> Question:
    question = Question(
        call=call,
        kind=kind,
        label=label,
        hint=hint,
        choices=choices,
        required=required,
        eligible_answer=eligible_answer,
        position=call.questions.count() if position is None else position,
    )
    _check_question(question)
    question.save()
    audit_record(
        actor=actor, action=AuditAction.CALL_QUESTION_CREATED, target=call, changes={"kind": kind}
    )
    return question


def _check_question(question: Question) -> None:
    question_check(question, CallError)
    if question.eligible_answer and question.kind != Question.Kind.YES_NO:
        raise CallError(_("Only a yes-or-no question can screen applicants."))


@transaction.atomic
def question_update(*, actor: User | None, question: Question, **fields: Any) -> Question:
    """Change a question; its kind only before anyone has submitted an application."""
    before = Question.objects.select_for_update().get(pk=question.pk)
    if fields.get("kind", before.kind) != before.kind and _submitted(before.call):
        raise CallError(_("Applications have been submitted; the kind of question cannot change."))
    for name, value in fields.items():
        setattr(question, name, value)
    _check_question(question)
    question.save()
    audit_record(
        actor=actor,
        action=AuditAction.CALL_QUESTION_UPDATED,
        target=question.call,
        changes=diff_fields(before, question, ["label", "kind", "required", "position"]),
    )
    return question


@transaction.atomic
def question_delete(*, actor: User | None, question: Question) -> None:
    """Remove a question, only while no application has been submitted (their answers stay)."""
    if _submitted(question.call):
        raise CallError(
            _("Applications have been submitted with an answer to this question; it stays.")
        )
    call, pk = question.call, question.pk
    question.delete()
    audit_record(
        actor=actor, action=AuditAction.CALL_QUESTION_DELETED, target=call, changes={"question": pk}
    )
