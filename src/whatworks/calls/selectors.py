"""Reads of calls for partners, with their access checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.backends import ModelBackend
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from whatworks.calls.models import Application, Assignment, Attachment, Call, JoinRequest, Review
from whatworks.calls.scoring import ReviewSummary, summarise
from whatworks.core.http import AnyUser
from whatworks.core.models import User

MANAGE = "calls.change_call"
REVIEW_PERMS = ("calls.view_application", "calls.review_application", "calls.decide_application")


def _visible(user: AnyUser) -> QuerySet[Call]:
    calls = Call.objects.all()
    if not user.has_perm(MANAGE):
        calls = calls.filter(published=True)
    return calls


def calls_open(*, user: AnyUser) -> QuerySet[Call]:
    now = timezone.now()
    return _visible(user).filter(opens_at__lte=now, closes_at__gt=now).order_by("closes_at")


def calls_upcoming(*, user: AnyUser) -> QuerySet[Call]:
    return _visible(user).filter(opens_at__gt=timezone.now()).order_by("opens_at")


def calls_closed(*, user: AnyUser) -> QuerySet[Call]:
    return _visible(user).filter(closes_at__lte=timezone.now()).order_by("-closes_at")


def call_get_for_user(*, user: AnyUser, slug: str) -> Call:
    call = _visible(user).filter(slug=slug).first()
    if call is None:
        raise Http404("No such call.")
    return call


def can_review(user: AnyUser) -> bool:
    return user.is_authenticated and any(user.has_perm(p) for p in REVIEW_PERMS)


#: Submitted applications their applicant may still change (while the call is open).
CHANGEABLE = (Application.Status.RECEIVED,)
#: Applications their applicant may still withdraw (while the call is open).
WITHDRAWABLE = (Application.Status.RECEIVED, Application.Status.SHORTLISTED)


def can_change_application(
    *, user: User, application: Application, now: datetime | None = None
) -> bool:
    """Whether ``user`` may change ``application`` after submitting it: only its applicant,
    before it is shortlisted or decided, while its call is open.  (A draft is its
    applicant's to change while the call is open.)"""
    return (
        application.applicant_id == user.pk
        and application.status in CHANGEABLE
        and application.call.is_open(now)
    )


def can_withdraw_application(
    *, user: User, application: Application, now: datetime | None = None
) -> bool:
    """Whether ``user`` may withdraw ``application``: only its applicant, once submitted and
    until it is decided, while its call is open."""
    return (
        application.applicant_id == user.pk
        and application.status in WITHDRAWABLE
        and application.call.is_open(now)
    )


def application_get_for_user(*, user: User, application_id: int) -> Application:
    """The applicant's own application, or a submitted one for reviewers; else 404."""
    application = (
        Application.objects.select_related("call", "organisation", "applicant")
        .filter(pk=application_id)
        .first()
    )
    if application is None or not user.is_authenticated:
        raise Http404("No such application.")
    if application.applicant_id == user.pk:
        return application
    if (
        can_review(user)
        and application.status != Application.Status.DRAFT
        and not has_conflict(user=user, application=application)
    ):
        return application
    raise Http404("No such application.")


def has_conflict(*, user: User, application: Application) -> bool:
    """Whether ``user`` declared a conflict of interest with ``application``."""
    return Assignment.objects.filter(
        application=application, reviewer_id=user.pk, conflict=True
    ).exists()


def assignment_of(*, user: User, application: Application) -> Assignment | None:
    return Assignment.objects.filter(application=application, reviewer_id=user.pk).first()


def possible_reviewers(*, application: Application) -> QuerySet[User]:
    """People who review applications and are not yet assigned to this one (nor its
    applicant, nor anyone who declared a conflict with it)."""
    users = ModelBackend().with_perm("calls.review_application", is_active=True)
    taken = Assignment.objects.filter(application=application).values("reviewer_id")
    return (
        User.objects.filter(pk__in=users.values("pk"))
        .exclude(pk=application.applicant_id)
        .exclude(pk__in=taken)
        .order_by("full_name", "email")
    )


def application_for_applicant(*, user: AnyUser, call: Call) -> Application | None:
    if not user.is_authenticated:
        return None
    return Application.objects.filter(call=call, applicant=user).first()


def applications_of(*, user: User) -> QuerySet[Application]:
    return Application.objects.filter(applicant=user).select_related("call").order_by("-id")


def applications_for_review(*, user: User, call: Call) -> QuerySet[Application]:
    if not can_review(user):
        raise Http404("No such page.")
    conflicted = Assignment.objects.filter(reviewer_id=user.pk, conflict=True).values(
        "application_id"
    )
    return (
        Application.objects.filter(call=call)
        .exclude(status=Application.Status.DRAFT)
        .exclude(pk__in=conflicted)
        .select_related("organisation")
        .order_by("submitted_at", "id")
    )


def attachment_get_for_user(*, user: User, application_id: int, attachment_id: int) -> Attachment:
    application = application_get_for_user(user=user, application_id=application_id)
    attachment = application.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such file.")
    return attachment


#: Applications in these states can still be scored.
SCORABLE = (Application.Status.RECEIVED, Application.Status.SHORTLISTED)


def can_score(*, user: User, application: Application) -> bool:
    """Whether ``user`` may score ``application`` now (whether or not they already have)."""
    return (
        user.is_authenticated
        and user.has_perm("calls.review_application")
        and application.applicant_id != user.pk
        and application.status in SCORABLE
        and Assignment.objects.filter(
            application=application, reviewer_id=user.pk, conflict=False
        ).exists()
    )


def reviews_visible_to(*, user: User, application: Application) -> list[Review]:
    """Blind review: others' scores only for those who have scored it themselves.

    Anyone who may still score the application and has not sees no one's scores, whatever
    else they may do (an administrator who both reviews and decides scores blind first).
    Deciders who cannot score it (they are not assigned, or scoring has closed) see them
    all, so that a decision can rest on them; applicants, anyone who declared a conflict of
    interest with it and everyone else see none.
    """
    if application.applicant_id == user.pk or has_conflict(user=user, application=application):
        return []
    reviews = list(application.reviews.select_related("reviewer").order_by("created_at"))
    if any(r.reviewer_id == user.pk for r in reviews):
        return reviews
    if can_score(user=user, application=application):
        return []
    if user.has_perm("calls.decide_application"):
        return reviews
    return []


def own_review(*, user: User, application: Application) -> Review | None:
    return application.reviews.filter(reviewer=user).first()


def review_rows(*, user: User, call: Call) -> list[ReviewRow]:
    """The review list: each application this user may see, the summary of the reviews
    this user may see (blind review holds here as on the application's page), and this
    user's part in it."""
    applications = applications_for_review(user=user, call=call).prefetch_related(
        "reviews", "assignments"
    )
    criteria = list(call.criteria.all())
    rows = []
    for application in applications:
        shown = reviews_visible_to(user=user, application=application)
        assignments = list(application.assignments.all())
        mine = next((a for a in assignments if a.reviewer_id == user.pk), None)
        scored = any(r.reviewer_id == user.pk for r in application.reviews.all())
        rows.append(
            ReviewRow(
                application=application,
                summary=summarise(shown, criteria) if shown else None,
                hidden=not shown and bool(application.reviews.all()),
                part="scored" if scored else ("assigned" if mine else ""),
                assigned=sum(1 for a in assignments if not a.conflict),
            )
        )
    return rows


@dataclass(frozen=True)
class ReviewRow:
    application: Application
    summary: ReviewSummary | None
    hidden: bool
    part: str
    assigned: int


# --- requests to join an organisation ------------------------------------------------

#: Administrators decide on any request to join (they may change people's accounts).
JOIN_ADMIN_PERM = "core.change_user"


def can_decide_join_request(user: User, request: JoinRequest) -> bool:
    return user.is_authenticated and (
        user.has_perm(JOIN_ADMIN_PERM)
        or (user.organisation_id is not None and user.organisation_id == request.organisation_id)
    )


def join_requests_for(*, user: User) -> QuerySet[JoinRequest]:
    """Open requests this user may decide on: all for administrators, else their own
    organisation's."""
    requests = JoinRequest.objects.filter(decided_at__isnull=True).select_related(
        "user", "organisation"
    )
    if not user.is_authenticated:
        return requests.none()
    if user.has_perm(JOIN_ADMIN_PERM):
        return requests
    if user.organisation_id is None:
        return requests.none()
    return requests.filter(organisation_id=user.organisation_id).exclude(user=user)


def join_request_get_for_user(*, user: User, request_id: int) -> JoinRequest:
    found = join_requests_for(user=user).filter(pk=request_id).first()
    if found is None:
        raise Http404("No such request.")
    return found
