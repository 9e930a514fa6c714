"""Writes of calls for partners: calls, applications (drafts, uploads, submission),
reviews and decisions.

A call is open only between its dates; drafts and submissions outside them are refused.
Accepting an application sends :data:`whatworks.core.signals.application_accepted`
inside the transaction.  E-mails go out after commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.calls import filetypes
from whatworks.calls.emails import send_application_email
from whatworks.calls.models import (
    Application,
    Assignment,
    Attachment,
    Call,
    Criterion,
    Question,
    Review,
)
from whatworks.core.errors import PermissionDeniedError, WhatworksError, full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.questions import question_check
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
        action="call.created",
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
        action="call.updated",
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
        action="call.criterion_created",
        target=call,
        changes={"criterion": criterion.pk, "max_score": max_score, "weight": weight},
    )
    return criterion


def _scored(call: Call) -> bool:
    return Review.objects.filter(application__call=call).exists()


@transaction.atomic
def criterion_update(*, actor: User, criterion: Criterion, **fields: Any) -> Criterion:
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
        action="call.criterion_updated",
        target=criterion.call,
        changes=diff_fields(before, criterion, ["label", "max_score", "weight", "position"]),
    )
    return criterion


@transaction.atomic
def criterion_delete(*, actor: User, criterion: Criterion) -> None:
    if _scored(criterion.call):
        raise CallError(_("Reviewers have scored against this criterion; it cannot be removed."))
    call = criterion.call
    pk = criterion.pk
    criterion.delete()
    audit_record(
        actor=actor, action="call.criterion_deleted", target=call, changes={"criterion": pk}
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
    audit_record(actor=actor, action="call.question_created", target=call, changes={"kind": kind})
    return question


def _check_question(question: Question) -> None:
    question_check(question, CallError)
    if question.eligible_answer and question.kind != Question.Kind.YES_NO:
        raise CallError(_("Only a yes-or-no question can screen applicants."))


@transaction.atomic
def question_update(*, actor: User, question: Question, **fields: Any) -> Question:
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
        action="call.question_updated",
        target=question.call,
        changes=diff_fields(before, question, ["label", "kind", "required", "position"]),
    )
    return question


@transaction.atomic
def question_delete(*, actor: User, question: Question) -> None:
    """Remove a question, only while no application has been submitted (their answers stay)."""
    if _submitted(question.call):
        raise CallError(
            _("Applications have been submitted with an answer to this question; it stays.")
        )
    call, pk = question.call, question.pk
    question.delete()
    audit_record(actor=actor, action="call.question_deleted", target=call, changes={"question": pk})


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


class NotEligibleError(CallError):
    """The eligibility answers screen the applicant out; ``failed`` maps question ids to why."""

    def __init__(self, message: str, failed: dict[int, str]) -> None:
        super().__init__(message)
        self.failed = failed


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
        raise PermissionDeniedError(
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
    editing = application.status == Status.RECEIVED
    if application.status != Status.DRAFT and not editing:
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
        action = "call.application_edited"
    else:
        action = "call.application_submitted" if submit else "call.application_saved"
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
    if not application.call.is_open(now):
        raise CallError(_("The call has closed; the application can no longer be withdrawn."))
    if application.status not in (Status.RECEIVED, Status.SHORTLISTED):
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
        action="call.application_withdrawn",
        target=application,
        changes={"status": {"before": before, "after": Status.WITHDRAWN}},
    )
    return application


# --- review and decisions ------------------------------------------------------------


@transaction.atomic
def reviewer_assign(
    *, actor: User, application: Application, reviewer: User, now: datetime | None = None
) -> Assignment:
    """Ask ``reviewer`` to score ``application`` (staff who decide on applications)."""
    if not actor.has_perm("calls.decide_application"):
        raise PermissionDeniedError(_("You may not assign reviewers."))
    if application.applicant_id == reviewer.pk:
        raise CallError(_("Applicants cannot review their own application."))
    if not reviewer.is_active or not reviewer.has_perm("calls.review_application"):
        raise CallError(_("%(who)s does not review applications.") % {"who": reviewer})
    if application.status not in (Status.RECEIVED, Status.SHORTLISTED):
        raise CallError(_("Only applications under review can have reviewers assigned."))
    found = Assignment.objects.filter(application=application, reviewer=reviewer).first()
    if found is not None:
        if found.conflict:
            raise CallError(
                _("%(who)s has declared a conflict of interest with this application.")
                % {"who": reviewer}
            )
        raise CallError(_("%(who)s is already assigned.") % {"who": reviewer})
    assignment = Assignment.objects.create(
        application=application,
        reviewer=reviewer,
        assigned_by=actor,
        assigned_at=now or timezone.now(),
    )
    audit_record(
        actor=actor,
        action="call.reviewer_assigned",
        target=application,
        changes={"reviewer": reviewer.pk},
    )
    return assignment


@transaction.atomic
def reviewer_unassign(*, actor: User, assignment: Assignment) -> None:
    """Take a reviewer off an application they have not scored (a conflict stays on record)."""
    if not actor.has_perm("calls.decide_application"):
        raise PermissionDeniedError(_("You may not assign reviewers."))
    if assignment.conflict:
        raise CallError(_("A declared conflict of interest stays on record."))
    if Review.objects.filter(
        application_id=assignment.application_id, reviewer_id=assignment.reviewer_id
    ).exists():
        raise CallError(_("This reviewer has scored the application already."))
    application, reviewer = assignment.application, assignment.reviewer_id
    assignment.delete()
    audit_record(
        actor=actor,
        action="call.reviewer_unassigned",
        target=application,
        changes={"reviewer": reviewer},
    )


@transaction.atomic
def conflict_declare(
    *, actor: User, application: Application, note: str, now: datetime | None = None
) -> Assignment:
    """The actor declares a conflict of interest: they no longer score or see it.

    Scores they gave before are withdrawn (a conflicted score must not count).
    """
    if not actor.has_perm("calls.review_application"):
        raise PermissionDeniedError(_("You may not review applications."))
    if application.applicant_id == actor.pk:
        raise CallError(_("You cannot review your own application."))
    note = note.strip()
    if not note:
        raise CallError(_("Say what the conflict is, e.g. “I worked there until 2024”."))
    now = now or timezone.now()
    assignment, _created = Assignment.objects.select_for_update().get_or_create(
        application=application, reviewer=actor, defaults={"assigned_at": now}
    )
    assignment.conflict = True
    assignment.conflict_note = note[:2000]
    assignment.conflict_declared_at = now
    assignment.save()
    withdrawn, _count = Review.objects.filter(application=application, reviewer=actor).delete()
    audit_record(
        actor=actor,
        action="call.conflict_declared",
        target=application,
        changes={"scores_withdrawn": withdrawn},
    )
    return assignment


@transaction.atomic
def review_submit(
    *,
    actor: User,
    application: Application,
    scores: dict[int, int],
    comment: str = "",
    now: datetime | None = None,
) -> Review:
    """Score an application against each of its call's criteria, or correct one's scores.

    Only reviewers assigned to it without a conflict of interest score it, and only while it
    is under review: once it is accepted or declined the scores stand as they are.
    """
    if not actor.has_perm("calls.review_application"):
        raise PermissionDeniedError(_("You may not score applications."))
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status not in (Status.RECEIVED, Status.SHORTLISTED):
        raise CallError(
            _("Only applications under review can be scored; after the decision, scores stand.")
        )
    if application.applicant_id == actor.pk:
        raise PermissionDeniedError(_("You cannot score your own application."))
    assignment = Assignment.objects.filter(application=application, reviewer=actor).first()
    if assignment is None or assignment.conflict:
        raise PermissionDeniedError(_("You are not assigned to score this application."))
    clean_scores: dict[str, int] = {}
    for criterion in application.call.criteria.all():
        value = scores.get(criterion.pk)
        if value is None or not 0 <= value <= criterion.max_score:
            raise CallError(
                _("Give %(label)s a score from 0 to %(max_score)s.")
                % {"label": criterion.label, "max_score": criterion.max_score}
            )
        clean_scores[str(criterion.pk)] = int(value)
    if not clean_scores:
        raise CallError(_("This call has no scoring criteria yet."))
    now = now or timezone.now()
    review = Review.objects.filter(application=application, reviewer=actor).first()
    before = None if review is None else review.total
    if review is None:
        review = Review(application=application, reviewer=actor, created_at=now)
    else:
        review.updated_at = now
    review.scores = clean_scores
    review.comment = comment
    full_clean_or_raise(review, CallError)
    review.save()
    audit_record(
        actor=actor,
        action="call.application_scored" if before is None else "call.scores_corrected",
        target=application,
        changes={"total": review.total}
        if before is None
        else {"total": {"before": before, "after": review.total}},
    )
    return review


def check_decision(application: Application, status: str) -> None:
    before = application.status
    if status not in TRANSITIONS.get(before, frozenset()):
        raise CallError(
            _("An application that is %(current)s cannot become %(wanted)s.")
            % {
                "current": application.get_status_display().lower(),
                "wanted": Status(status).label.lower(),
            }
        )
    if not application.reviews.exists():
        raise CallError(
            _(
                "The application from %(who)s has no scores yet: a decision rests on at "
                "least one review. Assign a reviewer first."
            )
            % {"who": application.organisation}
        )


@transaction.atomic
def application_decide(
    *,
    actor: User,
    application: Application,
    status: str,
    feedback: str = "",
    now: datetime | None = None,
) -> Application:
    """Move an application on: received → shortlisted → accepted or declined.

    Refused on an application nobody has scored (a decision rests on reviews).  Deciding
    before the call closes is allowed (a shortlist may start early) but the confirmation
    page warns of it; see ``views._decision_confirmation``.  ``feedback`` goes to the
    applicant in the decision's e-mail and stays on their application's page.
    """
    if not actor.has_perm("calls.decide_application"):
        raise PermissionDeniedError(_("You may not decide on applications."))
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organisation")
        .get(pk=application.pk)
    )
    before = application.status
    check_decision(application, status)
    application.status = status
    application.decided_at = now or timezone.now()
    application.feedback = feedback.strip()
    application.save(update_fields=["status", "decided_at", "feedback"])
    audit_record(
        actor=actor,
        action=f"call.application_{status}",
        target=application,
        changes={
            "status": {"before": before, "after": status},
            "feedback": bool(application.feedback),
        },
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


@transaction.atomic
def applications_decide(
    *,
    actor: User,
    applications: list[Application],
    status: str,
    feedback: str = "",
    now: datetime | None = None,
) -> list[Application]:
    """The same decision (and feedback) for several applications: all of them or none.

    Every application is checked first; one that cannot take the decision refuses the
    whole batch, naming it, so that nobody is e-mailed for half a decision.
    """
    if not actor.has_perm("calls.decide_application"):
        raise PermissionDeniedError(_("You may not decide on applications."))
    if not applications:
        raise CallError(_("Choose at least one application."))
    locked = list(
        Application.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(pk__in=[a.pk for a in applications])
        .order_by("pk")
    )
    for application in locked:
        check_decision(application, status)
    return [
        application_decide(actor=actor, application=a, status=status, feedback=feedback, now=now)
        for a in locked
    ]


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
            audit_record(actor=None, action="call.deadline_reminder_sent", target=application)
            _email_later(application, "reminder")
            sent += 1
    return sent
