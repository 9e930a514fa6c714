"""Writes of review and decisions: assigning reviewers, conflicts of interest, scores and
decisions (one or in bulk).

Accepting an application sends :data:`whatworks.core.signals.application_accepted`
inside the transaction.  E-mails go out after commit.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.calls.errors import CallError
from whatworks.calls.models import (
    Application,
    Assignment,
    Call,
    Review,
)
from whatworks.calls.services.applications import _email_later
from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import PermissionDeniedError, full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.core.signals import application_accepted

Status = Application.Status

#: status -> statuses it may move to by a decision
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.SHORTLISTED, Status.DECLINED}),
    Status.SHORTLISTED: frozenset({Status.ACCEPTED, Status.DECLINED}),
}

#: the audit action of a decision, by the status it gives
DECISION_ACTIONS: dict[str, AuditAction] = {
    Status.SHORTLISTED: AuditAction.CALL_APPLICATION_SHORTLISTED,
    Status.DECLINED: AuditAction.CALL_APPLICATION_DECLINED,
    Status.ACCEPTED: AuditAction.CALL_APPLICATION_ACCEPTED,
}


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
        action=AuditAction.CALL_REVIEWER_ASSIGNED,
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
        action=AuditAction.CALL_REVIEWER_UNASSIGNED,
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
        action=AuditAction.CALL_CONFLICT_DECLARED,
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
        action=AuditAction.CALL_APPLICATION_SCORED
        if before is None
        else AuditAction.CALL_SCORES_CORRECTED,
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
        action=DECISION_ACTIONS[status],
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
