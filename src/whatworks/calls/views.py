"""Call pages, the application form, applicants' status and the reviewers' pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.calls import selectors, services
from whatworks.calls.forms import ApplicationForm, DecisionForm, ReviewForm, field_name
from whatworks.calls.models import Application
from whatworks.core.confirm import Confirmation, confirmation_page
from whatworks.core.errors import PermissionDeniedError
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.parts import PARTS_BY_KEY
from whatworks.core.projects import project_for_user
from whatworks.core.services import audit_record


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    part = PARTS_BY_KEY["calls"]
    user = request.user
    return render(
        request,
        "calls/index.html",
        {
            "title": part.title,
            "lead": part.lead,
            "open_calls": selectors.calls_open(user=user),
            "upcoming_calls": selectors.calls_upcoming(user=user),
            "closed_calls": selectors.calls_closed(user=user),
        },
    )


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    user = request.user
    call = selectors.call_get_for_user(user=user, slug=slug)
    return render(
        request,
        "calls/detail.html",
        {
            "call": call,
            "application": selectors.application_for_applicant(user=user, call=call),
            "is_reviewer": selectors.is_reviewer(user),
            # The research project, only as far as the registry lets this user see it.
            "project": project_for_user(user=user, reference=call.project_ref),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    user = request.user
    call = selectors.call_get_for_user(user=user, slug=slug)
    existing = selectors.application_for_applicant(user=user, call=call)
    if existing is not None and existing.status != Application.Status.DRAFT:
        return redirect(existing.get_absolute_url())
    initial = existing.answers if existing else {}
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        call=call,
        initial={f"q_{k}": v for k, v in initial.items()},
    )
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("action") == "submit"
        try:
            application = services.application_save(
                actor=user,
                call=call,
                answers=form.answers(),
                files=form.files_by_question(),
                submit=submit,
            )
        except services.ApplicationIncompleteError as exc:
            for question in form.questions:
                if question.pk in exc.missing:
                    form.add_error(field_name(question), exc.missing[question.pk])
        except (services.CallError, PermissionDeniedError) as exc:
            form.add_error(None, exc.message)
        else:
            if submit:
                messages.success(request, _("Your application is submitted."))
                return redirect(application.get_absolute_url())
            messages.success(
                request, _("Your draft is saved. You can come back to it until the call closes.")
            )
            return redirect("calls:apply", slug=call.slug)
    attachments = {a.question_id: a for a in existing.attachments.all()} if existing else {}
    return render(
        request,
        "calls/apply.html",
        {
            "call": call,
            "form": form,
            "open": call.is_open(),
            "application": existing,
            "attachments": attachments,
            "has_organisation": user.organisation_id is not None,
        },
    )


@login_required
@require_GET
def my_applications(request: AuthedHttpRequest) -> HttpResponse:
    return render(
        request,
        "calls/my_applications.html",
        {"applications": selectors.applications_of(user=request.user)},
    )


@login_required
@require_GET
def application(request: AuthedHttpRequest, application_id: int) -> HttpResponse:
    user = request.user
    found = selectors.application_get_for_user(user=user, application_id=application_id)
    reviewing = found.applicant_id != user.pk
    criteria = list(found.call.criteria.all())
    own = selectors.own_review(user=user, application=found) if reviewing else None
    can_score = reviewing and own is None and selectors.may_score(user=user, application=found)
    return render(
        request,
        "calls/application.html",
        {
            "application": found,
            "call": found.call,
            "answers": [(q, found.answers.get(str(q.pk), "")) for q in found.call.questions.all()],
            "attachments": {a.question_id: a for a in found.attachments.all()},
            "reviewing": reviewing,
            "criteria": criteria,
            "review_form": ReviewForm(criteria=criteria) if can_score else None,
            "reviews": selectors.reviews_visible_to(user=user, application=found)
            if reviewing
            else [],
            "own_review": own,
            "can_decide": reviewing and user.has_perm("calls.decide_application"),
            "next_statuses": sorted(services.TRANSITIONS.get(found.status, ())),
        },
    )


@login_required
@require_GET
def attachment(request: AuthedHttpRequest, application_id: int, attachment_id: int) -> HttpResponse:
    found = selectors.attachment_get_for_user(
        user=request.user, application_id=application_id, attachment_id=attachment_id
    )
    try:
        with found.file.open("rb") as handle:
            content = handle.read()  # attachments are small (WHATWORKS_CALLS_MAX_UPLOAD_MB)
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    # a read of an applicant's personal data: audited (by number, never by name)
    audit_record(
        actor=request.user,
        action="call.attachment_read",
        target=found.application,
        changes={"attachment": found.pk, "bytes": len(content)},
    )
    response = HttpResponse(content, content_type=found.content_type)
    response["Content-Disposition"] = (
        content_disposition_header(True, found.original_name) or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@login_required
def review(request: AuthedHttpRequest, application_id: int) -> HttpResponse:
    user = request.user
    found = selectors.application_get_for_user(user=user, application_id=application_id)
    form = ReviewForm(request.POST, criteria=list(found.call.criteria.all()))
    if not form.is_valid():
        messages.error(request, _("Give every criterion a whole-number score in its range."))
        return redirect(found.get_absolute_url())
    try:
        services.review_submit(
            actor=user,
            application=found,
            scores=form.scores(),
            comment=form.cleaned_data["comment"],
        )
    except PermissionDeniedError:
        raise PermissionDenied from None
    except services.CallError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Your scores are saved. You can now see the other reviewers' scores.")
        )
    return redirect(found.get_absolute_url())


#: Per decision: the confirmation's question, its button, and what it e-mails.
_DECISION_WORDS = {
    Application.Status.SHORTLISTED: (
        gettext_lazy("Shortlist the application from %(who)s?"),
        gettext_lazy("Shortlist and e-mail the applicant"),
        gettext_lazy(
            "This e-mails 1 person, %(email)s, at once to say that the application from "
            "%(who)s is shortlisted."
        ),
    ),
    Application.Status.ACCEPTED: (
        gettext_lazy("Accept the application from %(who)s?"),
        gettext_lazy("Accept and e-mail the applicant"),
        gettext_lazy(
            "This e-mails 1 person, %(email)s, at once to say that the application from "
            "%(who)s is accepted."
        ),
    ),
    Application.Status.DECLINED: (
        gettext_lazy("Decline the application from %(who)s?"),
        gettext_lazy("Decline and e-mail the applicant"),
        gettext_lazy(
            "This e-mails 1 person, %(email)s, at once to say that the application from "
            "%(who)s is declined."
        ),
    ),
}


def _decision_confirmation(application: Application, status: str) -> Confirmation:
    title, button, emails = _DECISION_WORDS[Application.Status(status)]
    who = application.organisation.name
    consequences = [emails % {"email": application.applicant.email, "who": who}]
    if status == Application.Status.ACCEPTED and application.call.project_ref:
        consequences.append(
            _("%(who)s becomes a partner site of research project %(reference)s.")
            % {"who": who, "reference": application.call.project_ref}
        )
    return Confirmation(
        title=title % {"who": who},
        consequences=consequences,
        button=button,
        cancel_url=application.get_absolute_url(),
        warning=status != Application.Status.SHORTLISTED,
    )


@require_POST
@login_required
def decide(request: AuthedHttpRequest, application_id: int) -> HttpResponse:
    user = request.user
    found = selectors.application_get_for_user(user=user, application_id=application_id)
    if not user.has_perm("calls.decide_application"):
        # Refused before the form is read or a confirmation is offered.
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect(found.get_absolute_url())
    page = confirmation_page(request, _decision_confirmation(found, form.cleaned_data["status"]))
    if page is not None:
        return page
    try:
        services.application_decide(
            actor=user, application=found, status=form.cleaned_data["status"]
        )
    except PermissionDeniedError:
        raise PermissionDenied from None
    except services.CallError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The decision is saved and the applicant has been told."))
    return redirect(found.get_absolute_url())


@login_required
@require_GET
def review_list(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    user = request.user
    call = selectors.call_get_for_user(user=user, slug=slug)
    if not selectors.is_reviewer(user):
        raise PermissionDenied
    applications = list(selectors.applications_for_review(user=user, call=call))
    scored = set(call.applications.filter(reviews__reviewer=user).values_list("pk", flat=True))
    return render(
        request,
        "calls/review_list.html",
        {"call": call, "applications": applications, "scored": scored},
    )
