"""Answering a poll: save and resume, one response per invitation, idempotent submission.

The database holds the guarantee: ``Response.invitation`` is unique, so two requests racing
to create the response (a double click, a retry, two tabs) cannot both succeed; the loser
catches the ``IntegrityError`` and carries on with the winner's row.  A complete response
is never changed: submitting again returns it as it is.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.models import User
from whatworks.core.services import audit_record
from whatworks.panel.errors import PanelError, PollClosedError
from whatworks.panel.models import PROFILE_FIELDS, Answer, Invitation, Poll, Question, Response


class AnswerError(PanelError):
    """Some answers are missing or invalid; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Check your answers."))
        self.errors = errors


def pseudonym_for(*, member_key: str, poll: Poll) -> str:
    """The same for every wave of one study, different between studies and for polls."""
    scope = f"study:{poll.study_id}" if poll.study_id else f"poll:{poll.pk}"
    return hashlib.sha256(f"{member_key}|{scope}".encode()).hexdigest()


def field_name(question: Question) -> str:
    return f"q{question.pk}"


def is_shown(question: Question, answers: dict[int, Any]) -> bool:
    """Simple skip logic: shown unless it depends on an answer that was not given."""
    if question.show_if_id is None:
        return True
    given = answers.get(question.show_if_id)
    if isinstance(given, list):
        return question.show_if_value in given
    return given is not None and str(given) == question.show_if_value


def clean_answers(
    poll: Poll, raw: dict[int, Any], *, final: bool
) -> tuple[dict[int, Any], dict[str, str]]:
    """Check answers against the questions; drop those that skip logic hides.

    ``final`` makes required questions required (saving to resume later does not).
    """
    cleaned: dict[int, Any] = {}
    errors: dict[str, str] = {}
    for question in poll.questions.select_related("scale").prefetch_related("scale__items"):
        if not is_shown(question, cleaned):
            continue
        value = raw.get(question.pk)
        name = field_name(question)
        empty = value in (None, "", [], {}) or (isinstance(value, dict) and not any(value.values()))
        if empty:
            if final and question.required:
                errors[name] = _("Answer this question: %(q)s") % {"q": question.text}
            continue
        kind = question.kind
        if kind in (Question.Kind.SINGLE, Question.Kind.LIKERT):
            if value not in question.choice_options():
                errors[name] = _("Choose one of the options: %(q)s") % {"q": question.text}
                continue
        elif kind == Question.Kind.MULTIPLE:
            values = [value] if isinstance(value, str) else list(value or [])
            if not set(values) <= set(question.choice_options()):
                errors[name] = _("Choose from the options: %(q)s") % {"q": question.text}
                continue
            value = values
        elif kind == Question.Kind.NUMBER:
            try:
                value = float(str(value).strip())
            except ValueError:
                errors[name] = _("Enter a number: %(q)s") % {"q": question.text}
                continue
            if value != value or abs(value) > 1e9:
                errors[name] = _("Enter a number: %(q)s") % {"q": question.text}
                continue
        elif kind == Question.Kind.TEXT:
            value = str(value).strip()[:4000]
        elif kind == Question.Kind.MATRIX:
            rows, options = question.matrix_rows(), question.choice_options()
            given = {str(k): str(v) for k, v in dict(value or {}).items() if v}
            if not set(given) <= set(rows) or not set(given.values()) <= set(options):
                errors[name] = _("Choose from the options: %(q)s") % {"q": question.text}
                continue
            if final and question.required and set(given) != set(rows):
                errors[name] = _("Answer every row: %(q)s") % {"q": question.text}
                continue
            value = given
        cleaned[question.pk] = value
    return cleaned, errors


@transaction.atomic
def invitation_open(*, invitation: Invitation) -> Invitation:
    """The member followed the link: disposition "opened" (unless already further on)."""
    if invitation.disposition == Invitation.Disposition.INVITED:
        Invitation.objects.filter(pk=invitation.pk, disposition="invited").update(
            disposition=Invitation.Disposition.OPENED
        )
        invitation.disposition = Invitation.Disposition.OPENED
    return invitation


@transaction.atomic
def invitation_opt_out(*, actor: User | None, invitation: Invitation) -> Invitation:
    if invitation.disposition == Invitation.Disposition.COMPLETE:
        raise PanelError(_("You have already answered this poll."))
    invitation.disposition = Invitation.Disposition.OPTED_OUT
    invitation.save(update_fields=["disposition"])
    audit_record(actor=actor, action="panel.invitation_opted_out", target=invitation)
    return invitation


def response_save(
    *, actor: User | None, invitation: Invitation, answers: dict[int, Any], submit: bool
) -> tuple[Response, bool]:
    """Save (``submit=False``) or send the answers; return (response, changed).

    Sending twice, or racing another request, returns the one complete response with
    ``changed=False``; nothing is ever duplicated or overwritten.
    """
    try:
        return _response_save(actor=actor, invitation=invitation, answers=answers, submit=submit)
    except IntegrityError:
        # Another request created the response between our check and our insert; its
        # transaction has committed (ours was rolled back), so try once more on top of it.
        return _response_save(actor=actor, invitation=invitation, answers=answers, submit=submit)


@transaction.atomic
def _response_save(
    *, actor: User | None, invitation: Invitation, answers: dict[int, Any], submit: bool
) -> tuple[Response, bool]:
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("poll", "member")
        .get(pk=invitation.pk)
    )
    poll = invitation.poll
    response = Response.objects.filter(invitation=invitation).first()
    if response is not None and response.status == Response.Status.COMPLETE:
        return response, False
    if not poll.is_open:
        raise PollClosedError(_("This poll is closed, so it no longer takes answers."))
    if invitation.disposition == Invitation.Disposition.OPTED_OUT:
        raise PanelError(_("You opted out of this poll."))
    cleaned, errors = clean_answers(poll, answers, final=submit)
    if errors:
        raise AnswerError(errors)
    member = invitation.member
    if response is None:
        if member is None:
            raise PanelError(_("This invitation is no longer linked to a panel member."))
        response = Response(
            poll=poll,
            invitation=invitation,
            member=member,
            pseudonym=pseudonym_for(member_key=str(member.pseudonym_key), poll=poll),
            site=member.site,
            **{name: getattr(member, name) for name in PROFILE_FIELDS},
        )
        response.save()  # unique invitation: a racing duplicate raises IntegrityError here
    response.answers.all().delete()
    Answer.objects.bulk_create(
        Answer(response=response, question_id=qid, value=value) for qid, value in cleaned.items()
    )
    if submit:
        response.status = Response.Status.COMPLETE
        response.submitted_at = timezone.now()
        response.save(update_fields=["status", "submitted_at"])
        invitation.disposition = Invitation.Disposition.COMPLETE
    else:
        invitation.disposition = Invitation.Disposition.PARTIAL
    invitation.save(update_fields=["disposition"])
    audit_record(
        actor=actor,
        action="panel.response_submitted" if submit else "panel.response_saved",
        target=response,
        changes={"poll": poll.pk, "answers": len(cleaned)},
    )
    return response, True


def saved_answers(response: Response | None) -> dict[int, Any]:
    if response is None:
        return {}
    return dict(response.answers.values_list("question_id", "value"))
