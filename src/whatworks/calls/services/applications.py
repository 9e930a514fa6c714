"""Writes of applications: drafts, uploads, eligibility, submission and withdrawal, and
the reminders of unsubmitted drafts before a deadline.

A call is open only between its dates; drafts and submissions outside them are refused.
E-mails go out after commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.calls import filetypes, selectors
from whatworks.calls.emails import send_application_email
from whatworks.calls.errors import (
    ApplicationIncompleteError,
    CallError,
    NoOrganisationError,
    NotEligibleError,
)
from whatworks.calls.models import (
    Application,
    Attachment,
    Call,
    Question,
)
from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import PermissionDeniedError, full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record

Status = Application.Status


def _email_later(application: Application, kind: str) -> None:
    transaction.on_commit(partial(send_application_email, application.pk, kind))


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
    for question in call.questions.exclude(eligible_answer=""):
        if question.screens and answers.get(str(question.pk)) != question.eligible_answer:
            missing[question.pk] = _("With this answer the call is not open to you.")
    return missing


def screening_questions(call: Call) -> list[Question]:
    return [q for q in call.questions.exclude(eligible_answer="") if q.screens]


def passes_screening(call: Call, answers: dict[str, str]) -> bool:
    return all(answers.get(str(q.pk)) == q.eligible_answer for q in screening_questions(call))


@transaction.atomic
def application_screen(
    *, actor: User, call: Call, answers: dict[str, str], now: datetime | None = None
) -> Application:
    """Answer the call's eligibility questions; only if every answer lets the applicant
    apply is a draft started (or kept) with them, and the full form opens."""
    failed: dict[int, str] = {}
    for question in screening_questions(call):
        answer = answers.get(str(question.pk), "")
        if answer not in ("yes", "no"):
            failed[question.pk] = _("Answer yes or no.")
        elif answer != question.eligible_answer:
            failed[question.pk] = _("With this answer the call is not open to you.")
    if failed:  # nothing is kept of an answer that screens the applicant out
        raise NotEligibleError(_("This call is not open to you."), failed)
    return application_save(actor=actor, call=call, answers=answers, now=now)


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
        raise NoOrganisationError(
            _(
                "Only people who belong to an organisation can apply. Ask to join yours from "
                "your account's organisation page."
            )
        )
    application, _created = Application.objects.select_for_update().get_or_create(
        call=call,
        applicant=actor,
        defaults={"organisation_id": actor.organisation_id, "created_at": now},
    )
    editing = application.status != Status.DRAFT  # a submitted one, changed
    if editing and not selectors.can_change_application(
        user=actor, application=application, now=now
    ):
        raise CallError(
            _("This application is %(status)s; it can no longer change.")
            % {"status": application.get_status_display().lower()}
        )
    if editing and not submit:
        raise CallError(
            _("A submitted application keeps every required answer: save your changes instead.")
        )
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
    if submit and not editing:
        application.status = Status.RECEIVED
        application.submitted_at = now
    full_clean_or_raise(application, CallError)
    application.save()
    if editing:
        action = AuditAction.CALL_APPLICATION_EDITED
    else:
        action = (
            AuditAction.CALL_APPLICATION_SUBMITTED if submit else AuditAction.CALL_APPLICATION_SAVED
        )
    audit_record(
        actor=actor,
        action=action,
        target=application,
        changes={"status": application.status, "attachments": len(checked)},
    )
    if submit and not editing:
        _email_later(application, "received")
    return application


@transaction.atomic
def application_withdraw(
    *, actor: User, application: Application, now: datetime | None = None
) -> Application:
    """The applicant withdraws their submitted application, until the call closes.

    For good: a withdrawn application is not reviewed or decided, and cannot be submitted
    again (one application per applicant and call).
    """
    now = now or timezone.now()
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call")
        .get(pk=application.pk)
    )
    if application.applicant_id != actor.pk:
        raise PermissionDeniedError(_("Only the applicant can withdraw an application."))
    if not selectors.can_withdraw_application(user=actor, application=application, now=now):
        if not application.call.is_open(now):  # say why
            raise CallError(_("The call has closed; the application can no longer be withdrawn."))
        raise CallError(
            _("This application is %(status)s; it cannot be withdrawn.")
            % {"status": application.get_status_display().lower()}
        )
    before = application.status
    application.status = Status.WITHDRAWN
    application.withdrawn_at = now
    application.save(update_fields=["status", "withdrawn_at"])
    audit_record(
        actor=actor,
        action=AuditAction.CALL_APPLICATION_WITHDRAWN,
        target=application,
        changes={"status": {"before": before, "after": Status.WITHDRAWN}},
    )
    return application


# --- deadline reminders --------------------------------------------------------------

#: Drafts are reminded once, when their call closes within this many hours.
REMINDER_HOURS = 72


def reminders_send(*, now: datetime | None = None, hours: int = REMINDER_HOURS) -> int:
    """E-mail each applicant whose draft is not submitted once, when its call closes within
    ``hours``; return how many were reminded.

    Each reminder is claimed by a conditional update, so two schedulers running at once
    send it once.  Submitted, withdrawn and decided applications are not reminded.
    """
    now = now or timezone.now()
    due = Application.objects.filter(
        status=Status.DRAFT,
        reminded_at__isnull=True,
        call__published=True,
        call__closes_at__gt=now,
        call__closes_at__lte=now + timedelta(hours=hours),
    )
    sent = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = Application.objects.filter(
                pk=pk, status=Status.DRAFT, reminded_at__isnull=True
            ).update(reminded_at=now)
            if not claimed:
                continue
            application = Application.objects.get(pk=pk)
            audit_record(
                actor=None, action=AuditAction.CALL_DEADLINE_REMINDER_SENT, target=application
            )
            _email_later(application, "reminder")
            sent += 1
    return sent


@transaction.atomic
def attachment_access_record(*, actor: User, attachment: Attachment, size: int) -> None:
    """Record that ``actor`` read an application's attachment (an applicant's personal
    data): the application, the attachment's number and its size, never its name."""
    audit_record(
        actor=actor,
        action=AuditAction.CALL_ATTACHMENT_READ,
        target=attachment.application,
        changes={"attachment": attachment.pk, "bytes": size},
    )
