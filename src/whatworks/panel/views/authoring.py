"""Researchers' pages to change, delete and reorder a draft poll's questions."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from whatworks.core.access import require_permission
from whatworks.core.http import AuthedHttpRequest
from whatworks.panel import selectors
from whatworks.panel.errors import PanelError, QuestionError
from whatworks.panel.forms import QuestionForm
from whatworks.panel.services import questions as questions_services

PERM = selectors.MANAGE_PERMISSION


@require_http_methods(["GET", "POST"])
@require_permission(PERM)
def question_edit(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    question = selectors.question_get_for_user(user=request.user, slug=slug, pk=pk)
    poll = question.poll
    if request.method == "POST":
        form = QuestionForm(request.POST, poll=poll, question=question)
        if form.is_valid():
            try:
                questions_services.question_update(
                    actor=request.user,
                    question=question,
                    spec=form.spec(),
                )
            except QuestionError as error:
                form.add_problems(error.problems)
            except PanelError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Question saved."))
                return redirect("panel:poll_detail", slug=poll.slug)
    else:
        form = QuestionForm(poll=poll, question=question)
    return render(
        request,
        "panel/question_edit.html",
        {"poll": poll, "question": question, "form": form, "draft": poll.status == "draft"},
        status=400 if form.errors else 200,
    )


@require_POST
@require_permission(PERM)
def question_delete(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    question = selectors.question_get_for_user(user=request.user, slug=slug, pk=pk)
    try:
        questions_services.question_delete(actor=request.user, question=question)
    except PanelError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Question deleted: “%(q)s”.") % {"q": question.text})
    return redirect("panel:poll_detail", slug=slug)


@require_POST
@require_permission(PERM)
def question_move(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    question = selectors.question_get_for_user(user=request.user, slug=slug, pk=pk)
    try:
        questions_services.question_move(
            actor=request.user,
            question=question,
            up=request.POST.get("direction") != "down",
        )
    except PanelError as error:
        messages.error(request, error.message)
    return redirect(reverse("panel:poll_detail", kwargs={"slug": slug}) + f"#q{pk}")
