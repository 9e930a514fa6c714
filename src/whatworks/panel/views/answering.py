"""Answering a poll from an invitation link (or, signed in, from the member's page), and the
researchers' preview that shows it as a member will see it.

A survey on several pages is answered one page at a time: "Continue" saves the page (its
required questions must be answered) and goes on to the next page that has a question to
ask.  Skip logic works without JavaScript: a question whose condition was answered on an
earlier page is simply not asked; one whose condition is on the same page is marked
("Answer this only if…"), and ``panel/skip.js`` hides it until the condition holds.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from whatworks.core.access import require_permission
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.models import User
from whatworks.panel import selectors
from whatworks.panel.errors import AnswerError, PanelError, PollClosedError
from whatworks.panel.forms import parse_answers
from whatworks.panel.models import Invitation, Poll, Question, Response
from whatworks.panel.services import answering as answering_services
from whatworks.panel.services.answering import (
    clean_answers,
    field_name,
    is_shown,
    poll_questions,
    saved_answers,
)


@dataclass(frozen=True)
class Pages:
    """The poll's pages that have questions, in order; ``number`` is the position (1..)."""

    questions: list[Question]
    numbers: list[int]  # the Question.page values, ascending

    @classmethod
    def of(cls, poll: Poll) -> Pages:
        questions = list(poll_questions(poll))
        return cls(questions, sorted({q.page for q in questions}) or [1])

    @property
    def count(self) -> int:
        return len(self.numbers)

    def page_value(self, position: int) -> int:
        return self.numbers[min(max(position, 1), self.count) - 1]

    def shown_on(self, position: int, answers: dict[int, Any]) -> list[Question]:
        """The questions of a page that are asked, given the answers so far."""
        cleaned = _shown_answers(self.questions, answers)
        value = self.page_value(position)
        out = []
        for q in self.questions:
            if q.page != value:
                continue
            # a condition answered on an earlier page decides now; one on this page, live
            same_page = any(c.depends_on.page == value for c in q.conditions.all())
            if same_page or is_shown(q, cleaned):
                out.append(q)
        return out

    def next_with_questions(self, position: int, answers: dict[int, Any], step: int) -> int:
        """The nearest page from ``position`` (going by ``step``) with a question to ask."""
        p = position + step
        while 1 <= p <= self.count:
            if self.shown_on(p, answers):
                return p
            p += step
        return max(1, min(position, self.count)) if step < 0 else self.count + 1


def _shown_answers(questions: list[Question], answers: dict[int, Any]) -> dict[int, Any]:
    """The answers of questions that skip logic shows (in order, so chains follow through)."""
    cleaned: dict[int, Any] = {}
    for q in questions:
        if q.pk in answers and is_shown(q, cleaned):
            cleaned[q.pk] = answers[q.pk]
    return cleaned


def _item(question: Question, answers: dict[int, Any]) -> dict[str, Any]:
    value = answers.get(question.pk)
    name = field_name(question)
    conditions = list(question.conditions.all())
    item: dict[str, Any] = {
        "q": question,
        "name": name,
        "value": value,
        "options": question.choice_options(),
        "rows": [],
        "conditional": bool(conditions),
        "condition_text": _condition_text(question, conditions),
        "rules": json.dumps(
            {
                "match": question.match,
                "when": [{"name": f"q{c.depends_on_id}", "value": c.value} for c in conditions],
            }
        )
        if conditions
        else "",
    }
    item["hint"] = _hint(question)
    if question.kind == Question.Kind.MATRIX:
        item["rows"] = [
            {"label": row, "name": f"{name}_{i}", "value": (value or {}).get(row)}
            for i, row in enumerate(question.matrix_rows())
        ]
    elif question.kind == Question.Kind.RANKING:
        ranks = {option: i + 1 for i, option in enumerate(value)} if isinstance(value, list) else {}
        if isinstance(value, dict):  # posted again after an error: the ranks as typed
            ranks = dict(value)
        n = len(item["options"])
        item["rows"] = [
            {"label": option, "name": f"{name}_{i}", "value": str(ranks.get(option, ""))}
            for i, option in enumerate(item["options"])
        ]
        item["ranks"] = [str(r) for r in range(1, n + 1)]
    elif question.kind == Question.Kind.SCALE:
        low, high = question.scale_range()
        item["points"] = [str(p) for p in range(low, high + 1)]
        item["value"] = "" if value is None else str(value)
    elif question.kind == Question.Kind.NUMBER and value is not None:
        item["value"] = f"{value:g}" if isinstance(value, float) else value
    return item


def _hint(question: Question) -> str:
    """The hint under a question: the author's, then what the answer must be."""
    kind, low, high = question.kind, question.min_value, question.max_value
    extra = ""
    if kind == Question.Kind.DATE:
        extra = _("For example, 27/03/2026.")
    elif kind == Question.Kind.NUMBER and low is not None and high is not None:
        extra = _("A number from %(a)s to %(b)s.") % {"a": f"{low:g}", "b": f"{high:g}"}
    elif kind == Question.Kind.NUMBER and low is not None:
        extra = _("A number of %(a)s or more.") % {"a": f"{low:g}"}
    elif kind == Question.Kind.NUMBER and high is not None:
        extra = _("A number of %(b)s or less.") % {"b": f"{high:g}"}
    elif kind == Question.Kind.TEXT and question.max_length:
        extra = _("At most %(n)s characters.") % {"n": f"{question.max_length:,}"}
    return " ".join(part for part in (question.hint, extra) if part)


def _condition_text(question: Question, conditions: list[Any]) -> str:
    if not conditions:
        return ""
    parts = [
        _("you answered “%(v)s” to “%(q)s”") % {"v": c.value, "q": c.depends_on.text}
        for c in conditions
    ]
    joiner = _(" and ") if question.match == Question.Match.ALL else _(" or ")
    return _("Answer this only if %(rules)s.") % {"rules": joiner.join(parts)}


#: save(answers, submit, page value) -> (saved answers, errors); raises for a closed poll.
Saver = Callable[[dict[int, Any], bool, int | None], tuple[dict[int, Any], dict[str, str]]]


def _flow(
    request: HttpRequest,
    poll: Poll,
    *,
    answers: dict[int, Any],
    save: Saver,
    done: Callable[[], HttpResponse],
    preview: bool = False,
    changing: Response | None = None,
) -> HttpResponse:
    """One page of answering: show it (GET ``?page=``) or act on its buttons (POST)."""
    pages = Pages.of(poll)
    try:
        position = int(request.POST.get("page") or request.GET.get("page") or 1)
    except ValueError:
        position = 1
    position = min(max(position, 1), pages.count)
    errors: dict[str, str] = {}
    saved = False
    if request.method == "POST":
        action = request.POST.get("action", "submit")
        value = pages.page_value(position)
        posted = parse_answers(poll, request.POST, page=value if pages.count > 1 else None)
        merged = {**answers, **posted}
        last = pages.next_with_questions(position, merged, 1) > pages.count
        submit = action == "submit" or (action == "next" and last)
        required_page = value if action == "next" else None
        kept, errors = save(merged, submit, required_page)
        if not errors:
            answers = kept
            if submit:
                return done()
            if action in ("next", "back"):
                step = 1 if action == "next" else -1
                target = pages.next_with_questions(position, answers, step)
                return redirect(f"{request.path}?page={target}")
            saved = True
        else:
            answers = merged
            # an error on another page (a required question left there): show that page
            error_pages = [
                i + 1
                for i, v in enumerate(pages.numbers)
                for q in pages.questions
                if q.page == v and field_name(q) in errors
            ]
            if error_pages and position not in error_pages:
                position = error_pages[0]
    shown = pages.shown_on(position, answers)
    is_last = pages.next_with_questions(position, answers, 1) > pages.count
    return render(
        request,
        "panel/answer.html",
        {
            "poll": poll,
            "questions": [_item(q, answers) for q in shown],
            "errors": errors,
            "saved": saved,
            "preview": preview,
            "position": position,
            "page_count": pages.count,
            "is_last": is_last,
            "is_first": position == 1,
            "changing": changing,
        },
        status=400 if errors else 200,
    )


def _answer(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    actor: User | None = request.user if request.user.is_authenticated else None
    response = selectors.response_for_invitation(invitation=invitation)
    poll = invitation.poll
    if response is not None and response.status == Response.Status.COMPLETE:
        if request.method == "POST" and request.POST.get("action") == "change":
            with contextlib.suppress(PanelError):  # closed meanwhile: the done page says so
                answering_services.response_revise(actor=actor, invitation=invitation)
            return redirect(request.path)
        if request.method == "POST":  # a double click or a retry: the same outcome
            return redirect(request.path)
        return render(request, "panel/answer_done.html", {"poll": poll, "response": response})
    if not poll.is_open:
        return render(request, "panel/answer_closed.html", {"poll": poll}, status=410)
    if invitation.disposition == Invitation.Disposition.OPTED_OUT:
        return render(request, "panel/answer_closed.html", {"poll": poll, "opted_out": True})
    if request.method == "POST" and request.POST.get("action") == "opt-out":
        try:
            answering_services.invitation_opt_out(actor=actor, invitation=invitation)
        except PanelError:
            return redirect(request.path)
        return render(request, "panel/answer_closed.html", {"poll": poll, "opted_out": True})
    if request.method == "GET":
        answering_services.invitation_open(invitation=invitation)

    def save(
        answers: dict[int, Any], submit: bool, page: int | None
    ) -> tuple[dict[int, Any], dict[str, str]]:
        try:
            saved, _changed = answering_services.response_save(
                actor=actor, invitation=invitation, answers=answers, submit=submit, page=page
            )
        except AnswerError as error:
            return answers, error.errors
        except PollClosedError:
            raise
        except PanelError as error:
            return answers, {"form": error.message}
        return saved_answers(saved), {}

    try:
        return _flow(
            request,
            poll,
            answers=saved_answers(response),
            save=save,
            done=lambda: redirect(request.path),
            changing=response.supersedes if response is not None else None,
        )
    except PollClosedError:
        return render(request, "panel/answer_closed.html", {"poll": poll}, status=410)


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    return _answer(request, selectors.invitation_get_by_token(token=token))


@require_http_methods(["GET", "POST"])
def answer_mine(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    invitation = selectors.invitation_for_member(user=request.user, slug=slug)
    return _answer(request, invitation)


PREVIEW_SESSION_KEY = "panel.preview.%s"


@require_http_methods(["GET", "POST"])
@require_permission(selectors.MANAGE_PERMISSION)
def preview(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """The poll as a member sees it, with its checks and skip logic; nothing is stored
    (answers are kept in the researcher's session until the preview is sent or restarted)."""
    poll = selectors.poll_get_for_user(user=request.user, slug=slug, manage=True)
    key = PREVIEW_SESSION_KEY % poll.pk
    if request.method == "GET" and "page" not in request.GET:
        request.session.pop(key, None)  # a fresh preview
    stored = {int(k): v for k, v in request.session.get(key, {}).items()}

    def save(
        answers: dict[int, Any], submit: bool, page: int | None
    ) -> tuple[dict[int, Any], dict[str, str]]:
        cleaned, errors = clean_answers(poll, answers, final=submit, page=page)
        if not errors:
            request.session[key] = {str(k): v for k, v in cleaned.items()}
        return cleaned, errors

    def done() -> HttpResponse:
        request.session.pop(key, None)
        return render(request, "panel/preview_done.html", {"poll": poll})

    return _flow(request, poll, answers=stored, save=save, done=done, preview=True)
