"""Call pages, the application form, applicants' status and the reviewers' pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.calls import errors, selectors
from whatworks.calls.forms import (
    ApplicationForm,
    AssignForm,
    BulkDecisionForm,
    ConflictForm,
    DecisionForm,
    EligibilityForm,
    ReviewForm,
)
from whatworks.calls.models import Application, Call
from whatworks.calls.scoring import DISAGREEMENT_POINTS, summarise, weighted_total
from whatworks.calls.services import applications as applications_services
from whatworks.calls.services import review as review_services
from whatworks.core.confirm import Confirmation, confirmation_page
from whatworks.core.errors import PermissionDeniedError, add_to_form, add_to_messages
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.parts import PARTS_BY_KEY
from whatworks.core.projects import project_for_user
from whatworks.core.questions import answer_field_name


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
            "is_reviewer": selectors.can_review(user),
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
    editing = existing is not None and existing.status == Application.Status.RECEIVED
    if (
        existing is not None
        and existing.status != Application.Status.DRAFT
        and not selectors.can_change_application(user=user, application=existing)
    ):
        return redirect(existing.get_absolute_url())
    if call.is_open() and not applications_services.passes_screening(
        call, existing.answers if existing else {}
    ):
        return redirect("calls:eligibility", slug=call.slug)
    initial = existing.answers if existing else {}
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        call=call,
        initial={f"q_{k}": v for k, v in initial.items()},
    )
    if request.method == "POST" and form.is_valid():
        submit = editing or request.POST.get("action") == "submit"
        try:
            application = applications_services.application_save(
                actor=user,
                call=call,
                answers=form.answers(),
                files=form.files_by_question(),
                submit=submit,
            )
        except errors.ApplicationIncompleteError as exc:
            for question in form.questions:
                if question.pk in exc.missing:
                    form.add_error(answer_field_name(question), exc.missing[question.pk])
        except errors.CallError as exc:
            add_to_form(form, exc)
        else:
            if editing:
                messages.success(request, _("Your changes are saved."))
                return redirect(application.get_absolute_url())
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
            # each field with the file already saved for its question, if any
            "fields": [(form[answer_field_name(q)], attachments.get(q.pk)) for q in form.questions],
            "open": call.is_open(),
            "application": existing,
            "editing": editing,
            "has_organisation": user.organisation_id is not None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def eligibility(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    user = request.user
    call = selectors.call_get_for_user(user=user, slug=slug)
    questions = applications_services.screening_questions(call)
    existing = selectors.application_for_applicant(user=user, call=call)
    if not questions or (existing is not None and existing.status != Application.Status.DRAFT):
        return redirect("calls:apply", slug=call.slug)
    form = EligibilityForm(request.POST or None, questions=questions)
    screened_out = False
    if request.method == "POST" and form.is_valid():
        try:
            applications_services.application_screen(actor=user, call=call, answers=form.answers())
        except errors.NotEligibleError as exc:
            screened_out = True
            for question in questions:
                if question.pk in exc.failed:
                    form.add_error(answer_field_name(question), exc.failed[question.pk])
        except errors.CallError as exc:
            add_to_form(form, exc)
        else:
            return redirect("calls:apply", slug=call.slug)
    return render(
        request,
        "calls/eligibility.html",
        {
            "call": call,
            "form": form,
            "open": call.is_open(),
            "screened_out": screened_out,
            "has_organisation": user.organisation_id is not None,
        },
    )


@require_POST
@login_required
def withdraw(request: AuthedHttpRequest, application_id: int) -> HttpResponse:
    user = request.user
    found = selectors.application_get_for_user(user=user, application_id=application_id)
    if found.applicant_id != user.pk:
        raise Http404("No such application.")
    page = confirmation_page(
        request,
        Confirmation(
            title=_("Withdraw your application to %(title)s?") % {"title": found.call.title},
            consequences=[
                _(
                    "This withdraws 1 application: reviewers stop looking at it and no "
                    "decision is made. You cannot submit another application to this call."
                )
            ],
            button=_("Withdraw the application"),
            cancel_url=found.get_absolute_url(),
            cancel_text=_("No, keep it"),
        ),
    )
    if page is not None:
        return page
    try:
        applications_services.application_withdraw(actor=user, application=found)
    except (errors.CallError, PermissionDeniedError) as exc:
        add_to_messages(request, exc)
    else:
        messages.success(request, _("Your application is withdrawn."))
    return redirect(found.get_absolute_url())


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
    can_score = reviewing and selectors.can_score(user=user, application=found)
    review_form = None
    if can_score:
        initial = {f"c_{k}": v for k, v in own.scores.items()} if own else {}
        if own:
            initial["comment"] = own.comment
        review_form = ReviewForm(criteria=criteria, initial=initial)
    reviews = selectors.reviews_visible_to(user=user, application=found) if reviewing else []
    can_decide = reviewing and user.has_perm("calls.decide_application")
    assignment = selectors.assignment_of(user=user, application=found) if reviewing else None
    return render(
        request,
        "calls/application.html",
        {
            "application": found,
            "call": found.call,
            "answers": [(q, found.answers.get(str(q.pk), "")) for q in found.call.questions.all()],
            "attachments": {a.question_id: a for a in found.attachments.all()},
            "reviewing": reviewing,
            "can_change": selectors.can_change_application(user=user, application=found),
            "can_withdraw": selectors.can_withdraw_application(user=user, application=found),
            "criteria": criteria,
            "review_form": review_form,
            "reviews": [(r, weighted_total(r.scores, criteria)) for r in reviews],
            "summary": summarise(reviews, criteria) if reviews else None,
            "own_review": own,
            "blind": review_form is not None and own is None,
            "assignment": assignment,
            "conflict_form": ConflictForm()
            if reviewing and user.has_perm("calls.review_application")
            else None,
            "can_decide": can_decide,
            "assignments": list(found.assignments.select_related("reviewer")) if can_decide else [],
            "assign_form": AssignForm(reviewers=selectors.possible_reviewers(application=found))
            if can_decide and found.status in selectors.SCORABLE
            else None,
            "next_statuses": sorted(review_services.TRANSITIONS.get(found.status, ())),
            "decision_form": DecisionForm() if can_decide else None,
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
    applications_services.attachment_access_record(
        actor=request.user, attachment=found, size=len(content)
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
    corrected = selectors.own_review(user=user, application=found) is not None
    try:
        review_services.review_submit(
            actor=user,
            application=found,
            scores=form.scores(),
            comment=form.cleaned_data["comment"],
        )
    except (errors.CallError, PermissionDeniedError) as exc:
        add_to_messages(request, exc)
    else:
        messages.success(
            request,
            _("Your corrected scores are saved.")
            if corrected
            else _("Your scores are saved. You can now see the other reviewers' scores."),
        )
    return redirect(found.get_absolute_url())


@require_POST
@login_required
def assign(request: AuthedHttpRequest, application_id: int) -> HttpResponse:
    user = request.user
    found = selectors.application_get_for_user(user=user, application_id=application_id)
    if not user.has_perm("calls.decide_application"):
        raise PermissionDenied
    form = AssignForm(request.POST, reviewers=selectors.possible_reviewers(application=found))
    if not form.is_valid():
        messages.error(request, _("Choose a reviewer from the list."))
        return redirect(found.get_absolute_url())
    reviewer = form.cleaned_data["reviewer"]
    try:
        review_services.reviewer_assign(actor=user, application=found, reviewer=reviewer)
    except (errors.CallError, PermissionDeniedError) as exc:
        add_to_messages(request, exc)
    else:
        messages.success(request, _("%(who)s is assigned.") % {"who": reviewer})
    return redirect(found.get_absolute_url())


@require_POST
@login_required
def unassign(request: AuthedHttpRequest, application_id: int, assignment_id: int) -> HttpResponse:
    user = request.user
    found = selectors.application_get_for_user(user=user, application_id=application_id)
    if not user.has_perm("calls.decide_application"):
        raise PermissionDenied
    assignment = found.assignments.filter(pk=assignment_id).select_related("reviewer").first()
    if assignment is None:
        raise Http404("No such assignment.")
    try:
        review_services.reviewer_unassign(actor=user, assignment=assignment)
    except (errors.CallError, PermissionDeniedError) as exc:
        add_to_messages(request, exc)
    else:
        messages.success(
            request, _("%(who)s is no longer assigned.") % {"who": assignment.reviewer}
        )
    return redirect(found.get_absolute_url())


@require_POST
@login_required
def conflict(request: AuthedHttpRequest, application_id: int) -> HttpResponse:
    user = request.user
    found = selectors.application_get_for_user(user=user, application_id=application_id)
    if not user.has_perm("calls.review_application") or found.applicant_id == user.pk:
        raise PermissionDenied
    form = ConflictForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what the conflict is, e.g. “I worked there until 2024”."))
        return redirect(found.get_absolute_url())
    try:
        review_services.conflict_declare(
            actor=user, application=found, note=form.cleaned_data["note"]
        )
    except (errors.CallError, PermissionDeniedError) as exc:
        add_to_messages(request, exc)
        return redirect(found.get_absolute_url())
    messages.success(
        request,
        _("Your conflict of interest is recorded: the application is no longer shown to you."),
    )
    return redirect("calls:review_list", slug=found.call.slug)


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


#: Per decision, for several applications at once: the verb and the state it leads to.
_BULK_WORDS = {
    Application.Status.SHORTLISTED: (gettext_lazy("Shortlist"), gettext_lazy("shortlisted")),
    Application.Status.ACCEPTED: (gettext_lazy("Accept"), gettext_lazy("accepted")),
    Application.Status.DECLINED: (gettext_lazy("Decline"), gettext_lazy("declined")),
}


def _decision_warnings(call: Call, feedback: str) -> list[str]:
    warnings = []
    if call.is_open():
        warnings.append(
            _(
                "The call is still open until %(when)s: applications that arrive later will "
                "be judged after this decision."
            )
            % {"when": timezone.localtime(call.closes_at).strftime("%-d %B %Y, %H:%M")}
        )
    if not feedback.strip():
        warnings.append(_("No feedback goes with the decision."))
    return warnings


def _decision_confirmation(application: Application, status: str, feedback: str) -> Confirmation:
    title, button, emails = _DECISION_WORDS[Application.Status(status)]
    who = application.organisation.name
    consequences = [emails % {"email": application.applicant.email, "who": who}]
    if status == Application.Status.ACCEPTED and application.call.project_ref:
        consequences.append(
            _("%(who)s becomes a partner site of research project %(reference)s.")
            % {"who": who, "reference": application.call.project_ref}
        )
    consequences += _decision_warnings(application.call, feedback)
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
        messages.error(request, _("Choose a decision; feedback is at most 5,000 characters."))
        return redirect(found.get_absolute_url())
    status, feedback = form.cleaned_data["status"], form.cleaned_data["feedback"]
    try:  # refused before a confirmation is offered (no scores, or the wrong step)
        review_services.check_decision(found, status)
    except errors.CallError as exc:
        add_to_messages(request, exc)
        return redirect(found.get_absolute_url())
    page = confirmation_page(request, _decision_confirmation(found, status, feedback))
    if page is not None:
        return page
    try:
        review_services.application_decide(
            actor=user, application=found, status=status, feedback=feedback
        )
    except (errors.CallError, PermissionDeniedError) as exc:
        add_to_messages(request, exc)
    else:
        messages.success(request, _("The decision is saved and the applicant has been told."))
    return redirect(found.get_absolute_url())


@require_POST
@login_required
def decide_bulk(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    user = request.user
    call = selectors.call_get_for_user(user=user, slug=slug)
    if not user.has_perm("calls.decide_application"):
        raise PermissionDenied
    back = reverse("calls:review_list", args=[call.slug])
    form = BulkDecisionForm(request.POST, call=call)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    chosen = list(form.cleaned_data["applications"])
    status, feedback = form.cleaned_data["status"], form.cleaned_data["feedback"]
    try:
        for application in chosen:
            review_services.check_decision(application, status)
    except errors.CallError as exc:
        add_to_messages(request, exc)
        return redirect(back)
    verb, done = _BULK_WORDS[Application.Status(status)]
    n = len(chosen)
    consequences = [
        ngettext(
            "This e-mails %(n)s applicant at once to say that their application is %(done)s.",
            "This e-mails %(n)s applicants at once, each to say that their application is "
            "%(done)s.",
            n,
        )
        % {"n": f"{n:,}", "done": done},
        *_decision_warnings(call, feedback),
    ]
    if status == Application.Status.ACCEPTED and call.project_ref:
        consequences.append(
            ngettext(
                "%(n)s organisation becomes a partner site of research project %(ref)s.",
                "%(n)s organisations become partner sites of research project %(ref)s.",
                n,
            )
            % {"n": f"{n:,}", "ref": call.project_ref}
        )
    page = confirmation_page(
        request,
        Confirmation(
            title=ngettext("%(verb)s %(n)s application?", "%(verb)s %(n)s applications?", n)
            % {"verb": verb, "n": f"{n:,}"},
            consequences=consequences,
            button=_("%(verb)s and e-mail the applicants") % {"verb": verb},
            cancel_url=back,
            warning=status != Application.Status.SHORTLISTED,
            details=[(a.organisation.name, a.get_status_display()) for a in chosen],
        ),
    )
    if page is not None:
        return page
    try:
        review_services.applications_decide(
            actor=user, applications=chosen, status=status, feedback=feedback
        )
    except (errors.CallError, PermissionDeniedError) as exc:
        add_to_messages(request, exc)
    else:
        messages.success(
            request,
            ngettext(
                "The decision is saved and %(n)s applicant has been told.",
                "The decision is saved and %(n)s applicants have been told.",
                n,
            )
            % {"n": f"{n:,}"},
        )
    return redirect(back)


@login_required
@require_GET
def review_list(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    user = request.user
    call = selectors.call_get_for_user(user=user, slug=slug)
    if not selectors.can_review(user):
        raise PermissionDenied
    return render(
        request,
        "calls/review_list.html",
        {
            "call": call,
            "rows": selectors.review_rows(user=user, call=call),
            "disagreement_points": DISAGREEMENT_POINTS,
            "can_decide": user.has_perm("calls.decide_application"),
            "bulk_form": BulkDecisionForm(call=call)
            if user.has_perm("calls.decide_application")
            else None,
        },
    )
