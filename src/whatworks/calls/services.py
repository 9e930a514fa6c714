"""Writes of calls for partners: calls, applications (drafts, uploads, submission),
reviews and decisions.

A call is open only between its dates; drafts and submissions outside them are refused.
Accepting an application sends :data:`whatworks.core.signals.application_accepted`
inside the transaction.  E-mails go out after commit.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.calls import filetypes
from whatworks.calls.emails import send_application_email
from whatworks.calls.models import Application, Attachment, Call, Criterion, Question, Review
from whatworks.core.errors import PermissionDeniedError, WhatworksError, full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services import audit_record, diff_fields
from whatworks.core.signals import application_accepted

Status = Application.Status

#: status -> statuses it may move to by a decision
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.SHORTLISTED, Status.DECLINED}),
    Status.SHORTLISTED: frozenset({Status.ACCEPTED, Status.DECLINED}),
}


class CallError(WhatworksError):
    """A write about a call or application was refused; the message says why."""


class ApplicationIncompleteError(CallError):
    """Submission refused: ``missing`` maps question ids to what is wrong."""

    def __init__(self, message: str, missing: dict[int, str]) -> None:
        super().__init__(message)
        self.missing = missing


def _email_later(application: Application, kind: str) -> None:
    transaction.on_commit(partial(send_application_email, application.pk, kind))


# --- calls ---------------------------------------------------------------------------


@transaction.atomic
def call_create(*, actor: User | None, **fields: Any) -> Call:
    call = Call(**fields)
    full_clean_or_raise(call, CallError)
    call.save()
    audit_record(
        actor=actor,
        action="call.created",
        target=call,
        changes=diff_fields(None, call, ["slug", "title", "opens_at", "closes_at", "project_ref"]),
    )
    return call


@transaction.atomic
def criterion_create(
    *, actor: User | None, call: Call, label: str, description: str = "", max_score: int = 5
) -> Criterion:
    criterion = Criterion(
        call=call,
        label=label,
        description=description,
        max_score=max_score,
        position=call.criteria.count(),
    )
    full_clean_or_raise(criterion, CallError)
    criterion.save()
    audit_record(actor=actor, action="call.criterion_created", target=call)
    return criterion


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
) -> Question:
    question = Question(
        call=call,
        kind=kind,
        label=label,
        hint=hint,
        choices=choices,
        required=required,
        position=call.questions.count(),
    )
    full_clean_or_raise(question, CallError)
    if kind == Question.Kind.CHOICE and not question.choice_list():
        raise CallError(_("A choice question needs at least one choice."))
    question.save()
    audit_record(actor=actor, action="call.question_created", target=call, changes={"kind": kind})
    return question


# --- applications --------------------------------------------------------------------


def check_upload(upload: UploadedFile) -> str:
    """The upload's real content type, or CallError if it is too large or not accepted."""
    limit = int(settings.WHATWORKS_CALLS_MAX_UPLOAD_MB * 1024 * 1024)
    if upload.size is None or upload.size > limit:
        raise CallError(
            _("The file must be smaller than %(calls_max_upload_mb)s MB.")
            % {"calls_max_upload_mb": format(settings.WHATWORKS_CALLS_MAX_UPLOAD_MB, "g")}
        )
    content_type = filetypes.sniff(upload.file) if upload.file is not None else None
    if content_type is None:
        raise CallError(
            _(
                "The file must be a PDF, a Word document (.docx), an "
                "OpenDocument text (.odt) or plain text."
            )
        )
    return content_type


def _missing(
    call: Call, answers: dict[str, str], files: dict[int, UploadedFile], application: Application
) -> dict[int, str]:
    have_files = set(application.attachments.values_list("question_id", flat=True))
    missing: dict[int, str] = {}
    for question in call.questions.filter(required=True):
        if question.kind == Question.Kind.FILE:
            if question.pk not in files and question.pk not in have_files:
                missing[question.pk] = "Attach a file."
        elif not str(answers.get(str(question.pk), "")).strip():
            missing[question.pk] = "Answer this question."
    return missing


@transaction.atomic
def application_save(
    *,
    actor: User,
    call: Call,
    answers: dict[str, str],
    files: dict[int, UploadedFile] | None = None,
    submit: bool = False,
    now: datetime | None = None,
) -> Application:
    """Save the actor's application to ``call`` as a draft, or submit it (once)."""
    now = now or timezone.now()
    files = files or {}
    if not call.is_open(now):
        raise CallError(_("This call is closed; applications can no longer be changed."))
    if actor.organisation_id is None:
        raise PermissionDeniedError(
            _(
                "Only people who belong to an organisation can apply. Ask an "
                "administrator to add your organisation to your account."
            )
        )
    application, _created = Application.objects.select_for_update().get_or_create(
        call=call,
        applicant=actor,
        defaults={"organisation_id": actor.organisation_id, "created_at": now},
    )
    if application.status != Status.DRAFT:
        raise CallError(_("This application has already been submitted."))
    questions = {q.pk: q for q in call.questions.all()}
    checked = {qid: check_upload(upload) for qid, upload in files.items() if qid in questions}
    merged = {**application.answers}
    merged.update({k: v for k, v in answers.items() if k.isdigit() and int(k) in questions})
    if submit and (missing := _missing(call, merged, files, application)):
        raise ApplicationIncompleteError(_("Some answers are missing."), missing)
    for qid, content_type in checked.items():
        upload = files[qid]
        for old in Attachment.objects.filter(application=application, question_id=qid):
            old.delete()
            transaction.on_commit(partial(old.file.storage.delete, old.file.name))
        attachment = Attachment(
            application=application,
            question=questions[qid],
            original_name=(upload.name or "file")[:200],
            content_type=content_type,
            size=upload.size or 0,
            uploaded_at=now,
        )
        attachment.file.save(
            f"q{qid}-{now:%Y%m%d%H%M%S}.{filetypes.EXTENSIONS[content_type]}", upload, save=False
        )
        attachment.save()
    application.answers = merged
    application.updated_at = now
    if submit:
        application.status = Status.RECEIVED
        application.submitted_at = now
    full_clean_or_raise(application, CallError)
    application.save()
    audit_record(
        actor=actor,
        action="call.application_submitted" if submit else "call.application_saved",
        target=application,
        changes={"status": application.status, "attachments": len(checked)},
    )
    if submit:
        _email_later(application, "received")
    return application


# --- review and decisions ------------------------------------------------------------


@transaction.atomic
def review_submit(
    *, actor: User, application: Application, scores: dict[int, int], comment: str = ""
) -> Review:
    """Score an application against each of its call's criteria; once per reviewer."""
    if not actor.has_perm("calls.review_application"):
        raise PermissionDeniedError(_("You may not score applications."))
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status not in (Status.RECEIVED, Status.SHORTLISTED):
        raise CallError(_("Only applications under review can be scored."))
    if application.applicant_id == actor.pk:
        raise PermissionDeniedError(_("You cannot score your own application."))
    if Review.objects.filter(application=application, reviewer=actor).exists():
        raise CallError(_("You have already scored this application."))
    clean_scores: dict[str, int] = {}
    for criterion in application.call.criteria.all():
        value = scores.get(criterion.pk)
        if value is None or not 0 <= value <= criterion.max_score:
            raise CallError(
                _("Give %(label)s a score from 0 to %(max_score)s.")
                % {"label": criterion.label, "max_score": criterion.max_score}
            )
        clean_scores[str(criterion.pk)] = int(value)
    review = Review(application=application, reviewer=actor, scores=clean_scores, comment=comment)
    full_clean_or_raise(review, CallError)
    review.save()
    audit_record(
        actor=actor,
        action="call.application_scored",
        target=application,
        changes={"total": review.total},
    )
    return review


@transaction.atomic
def application_decide(
    *, actor: User, application: Application, status: str, now: datetime | None = None
) -> Application:
    """Move an application on: received → shortlisted → accepted or declined."""
    if not actor.has_perm("calls.decide_application"):
        raise PermissionDeniedError(_("You may not decide on applications."))
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organisation")
        .get(pk=application.pk)
    )
    before = application.status
    if status not in TRANSITIONS.get(before, frozenset()):
        raise CallError(
            _("An application that is %(current)s cannot become %(wanted)s.")
            % {
                "current": application.get_status_display().lower(),
                "wanted": Status(status).label.lower(),
            }
        )
    application.status = status
    application.decided_at = now or timezone.now()
    application.save(update_fields=["status", "decided_at"])
    audit_record(
        actor=actor,
        action=f"call.application_{status}",
        target=application,
        changes={"status": {"before": before, "after": status}},
    )
    if status == Status.ACCEPTED:
        application_accepted.send(
            sender=Call,
            application=application,
            organisation=application.organisation,
            project_ref=application.call.project_ref,
            actor=actor,
        )
    _email_later(application, status)
    return application
