"""Answering a poll from an invitation link (or, signed in, from the member's page)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from whatworks.core.models import User
from whatworks.panel import selectors, services
from whatworks.panel.errors import PanelError, PollClosedError
from whatworks.panel.forms import parse_answers
from whatworks.panel.models import Invitation, Question, Response
from whatworks.panel.services.answering import is_shown, saved_answers


def _questions(invitation: Invitation, answers: dict[int, Any]) -> list[dict[str, Any]]:
    out = []
    questions = invitation.poll.questions.select_related("scale").prefetch_related("scale__items")
    for question in questions:
        value = answers.get(question.pk)
        out.append(
            {
                "q": question,
                "name": f"q{question.pk}",
                "value": value,
                "options": question.choice_options(),
                "rows": [
                    {"label": row, "name": f"q{question.pk}_{i}", "value": (value or {}).get(row)}
                    for i, row in enumerate(question.matrix_rows())
                ]
                if question.kind == Question.Kind.MATRIX
                else [],
                "conditional": question.show_if_id is not None,
                "shown": is_shown(question, answers),
            }
        )
    return out


def _answer(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    actor: User | None = request.user if request.user.is_authenticated else None
    response = selectors.response_for_invitation(invitation=invitation)
    poll = invitation.poll
    if response is not None and response.status == Response.Status.COMPLETE:
        if request.method == "POST":  # a double click or a retry: the same outcome
            return redirect(request.path)
        return render(request, "panel/answer_done.html", {"poll": poll, "response": response})
    if not poll.is_open:
        return render(request, "panel/answer_closed.html", {"poll": poll}, status=410)
    if invitation.disposition == Invitation.Disposition.OPTED_OUT:
        return render(request, "panel/answer_closed.html", {"poll": poll, "opted_out": True})
    answers = saved_answers(response)
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.POST.get("action", "submit")
        if action == "opt-out":
            services.invitation_opt_out(actor=actor, invitation=invitation)
            return render(request, "panel/answer_closed.html", {"poll": poll, "opted_out": True})
        answers = parse_answers(poll, request.POST)
        try:
            response, _changed = services.response_save(
                actor=actor, invitation=invitation, answers=answers, submit=action == "submit"
            )
        except services.AnswerError as error:
            errors = error.errors
        except PollClosedError:
            return render(request, "panel/answer_closed.html", {"poll": poll}, status=410)
        except PanelError as error:
            errors = {"form": error.message}
        else:
            if response.status == Response.Status.COMPLETE:
                return redirect(request.path)
            return render(
                request,
                "panel/answer.html",
                {
                    "poll": poll,
                    "questions": _questions(invitation, saved_answers(response)),
                    "saved": True,
                },
            )
    else:
        services.invitation_open(invitation=invitation)
    return render(
        request,
        "panel/answer.html",
        {"poll": poll, "questions": _questions(invitation, answers), "errors": errors,
         "saved": False, "error_title": _("There is a problem")},
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    return _answer(request, selectors.invitation_get_by_token(token=token))


@require_http_methods(["GET", "POST"])
def answer_mine(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    invitation = selectors.invitation_for_member(user=request.user, slug=slug)
    return _answer(request, invitation)
