"""Staff's pages for calls (the admin stays for administrators): the list of calls, create
and edit a call, its application questions and its scoring criteria with their weights.

Views parse, check permission, call one service and map its error to a message.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.calls import errors, selectors
from whatworks.calls.forms import CallForm, CriterionForm, QuestionForm
from whatworks.calls.models import Application, Call
from whatworks.calls.services import calls as calls_services
from whatworks.core.access import require_permission
from whatworks.core.errors import add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.questions import (
    next_position,
    question_delete_page,
    question_edit_page,
    questions_page,
)

MANAGE = "calls.change_call"


def _call(request: AuthedHttpRequest, slug: str) -> Call:
    return selectors.call_get_for_user(user=request.user, slug=slug)


def _fields(form: Any) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.Meta.fields}


@require_GET
@require_permission(MANAGE)
def manage(request: AuthedHttpRequest) -> HttpResponse:
    calls = Call.objects.annotate(
        submitted=Count("applications", filter=~Q(applications__status=Application.Status.DRAFT)),
        drafts=Count("applications", filter=Q(applications__status=Application.Status.DRAFT)),
    ).order_by("-closes_at")
    return render(request, "calls/staff/manage.html", {"calls": calls})


@require_http_methods(["GET", "POST"])
@require_permission("calls.add_call")
def create(request: AuthedHttpRequest) -> HttpResponse:
    form = CallForm(request.POST or None, initial={"published": False})
    if request.method == "POST" and form.is_valid():
        try:
            call = calls_services.call_create(actor=request.user, **_fields(form))
        except errors.CallError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _("%(title)s is saved. Add its questions and scoring criteria.")
                % {"title": call.title},
            )
            return redirect("calls:questions", slug=call.slug)
    return render(request, "calls/staff/call_form.html", {"form": form, "mode": "create"})


@require_http_methods(["GET", "POST"])
@require_permission(MANAGE)
def edit(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    form = CallForm(request.POST or None, instance=call)
    if call.applications.exists():  # its address is in applicants' e-mails already
        form.fields["slug"].disabled = True
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in _fields(form).items() if not form.fields[k].disabled}
        try:
            call = calls_services.call_update(actor=request.user, call=call, **fields)
        except errors.CallError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("calls:edit", slug=call.slug)
    return render(
        request, "calls/staff/call_form.html", {"form": form, "call": call, "mode": "edit"}
    )


# --- questions -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_permission("calls.add_question")
def questions(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    return questions_page(
        request,
        questions=list(call.questions.all()),
        form_class=QuestionForm,
        create=partial(calls_services.question_create, actor=request.user, call=call),
        error=errors.CallError,
        template="calls/staff/questions.html",
        context={"call": call},
        back=reverse("calls:questions", args=[call.slug]),
    )


@require_http_methods(["GET", "POST"])
@require_permission("calls.change_question")
def question_edit(request: AuthedHttpRequest, slug: str, question_id: int) -> HttpResponse:
    call = _call(request, slug)
    question = get_object_or_404(call.questions, pk=question_id)
    return question_edit_page(
        request,
        question=question,
        form_class=QuestionForm,
        update=partial(calls_services.question_update, actor=request.user, question=question),
        error=errors.CallError,
        template="calls/staff/item_form.html",
        context={"call": call, "what": "question", "item": question},
        back=reverse("calls:questions", args=[call.slug]),
    )


@require_POST
@require_permission("calls.change_question")
def question_delete(request: AuthedHttpRequest, slug: str, question_id: int) -> HttpResponse:
    call = _call(request, slug)
    question = get_object_or_404(call.questions, pk=question_id)
    return question_delete_page(
        request,
        question=question,
        delete=partial(calls_services.question_delete, actor=request.user, question=question),
        error=errors.CallError,
        back=reverse("calls:questions", args=[call.slug]),
    )


# --- criteria ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_permission("calls.add_criterion")
def criteria(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    existing = list(call.criteria.all())
    form = CriterionForm(
        request.POST or None,
        initial={"position": next_position(existing), "max_score": 5, "weight": 1},
    )
    if request.method == "POST" and form.is_valid():
        try:
            calls_services.criterion_create(actor=request.user, call=call, **form.cleaned_data)
        except errors.CallError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("“%(label)s” was added.") % form.cleaned_data)
            return redirect("calls:criteria", slug=call.slug)
    weights = sum(c.weight for c in existing)
    rows = [(c, 100 * c.weight / weights if weights else 0) for c in existing]
    return render(request, "calls/staff/criteria.html", {"call": call, "rows": rows, "form": form})


@require_http_methods(["GET", "POST"])
@require_permission("calls.change_criterion")
def criterion_edit(request: AuthedHttpRequest, slug: str, criterion_id: int) -> HttpResponse:
    call = _call(request, slug)
    criterion = get_object_or_404(call.criteria, pk=criterion_id)
    form = CriterionForm(request.POST or None, instance=criterion)
    if request.method == "POST" and form.is_valid():
        try:
            calls_services.criterion_update(
                actor=request.user, criterion=criterion, **form.cleaned_data
            )
        except errors.CallError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The criterion was saved."))
            return redirect("calls:criteria", slug=call.slug)
    return render(
        request,
        "calls/staff/item_form.html",
        {"call": call, "form": form, "what": "criterion", "item": criterion},
    )


@require_POST
@require_permission("calls.change_criterion")
def criterion_delete(request: AuthedHttpRequest, slug: str, criterion_id: int) -> HttpResponse:
    call = _call(request, slug)
    criterion = get_object_or_404(call.criteria, pk=criterion_id)
    try:
        calls_services.criterion_delete(actor=request.user, criterion=criterion)
    except errors.CallError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(label)s” was removed.") % {"label": criterion.label})
    return redirect("calls:criteria", slug=call.slug)
