"""Answering a poll: save and resume, one first response per invitation, idempotent
submission, and changing sent answers while the poll is open.

The database holds the guarantee: an invitation has one first response (a partial unique
constraint), so two requests racing to create it (a double click, a retry, two tabs) cannot
both succeed; the loser catches the ``IntegrityError`` and carries on with the winner's
row.  A complete response is never changed: submitting again returns it as it is, and a
change of answers is a new response that ``supersedes`` it (one-to-one, so a chain, never
a fork); results count the latest complete one (``Response.objects.current()``).
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.panel.errors import AnswerError, PanelError, PollClosedError
from whatworks.panel.models import (
    PROFILE_FIELDS,
    Answer,
    Condition,
    Invitation,
    Poll,
    Question,
    Response,
)
from whatworks.panel.services.questions import TEXT_LIMIT


def pseudonym_for(*, member_key: str, poll: Poll) -> str:
    """The same for every wave of one study, different between studies and for polls."""
    scope = f"study:{poll.study_id}" if poll.study_id else f"poll:{poll.pk}"
    return hashlib.sha256(f"{member_key}|{scope}".encode()).hexdigest()


def field_name(question: Question) -> str:
    return f"q{question.pk}"


def condition_holds(condition: Condition, answers: dict[int, Any]) -> bool:
    given = answers.get(condition.depends_on_id)
    if isinstance(given, list):
        return condition.value in given
    return given is not None and str(given) == condition.value


def is_shown(question: Question, answers: dict[int, Any]) -> bool:
    """Skip logic: shown when its conditions hold (all, or any, as the question says).

    ``answers`` holds only the answers of questions that were themselves shown, so a chain
    of conditions follows through.  ``question.conditions`` is best prefetched.
    """
    conditions = list(question.conditions.all())
    if not conditions:
        return True
    held = (condition_holds(c, answers) for c in conditions)
    return all(held) if question.match == Question.Match.ALL else any(held)


def poll_questions(poll: Poll) -> QuerySet[Question]:
    """The poll's questions in order, with what answering them needs prefetched."""
    return (
        poll.questions.select_related("scale")
        .prefetch_related("scale__items", "conditions__depends_on")
        .order_by("page", "order", "pk")
    )


def _fmt(value: float) -> str:
    return f"{value:g}"


def _check_value(question: Question, value: Any, *, final: bool) -> tuple[Any, str | None]:
    """The stored form of one non-empty answer, or a message saying what to fix."""
    kind, q = question.kind, {"q": question.text}
    if kind in (Question.Kind.SINGLE, Question.Kind.LIKERT, Question.Kind.DROPDOWN):
        if value not in question.choice_options():
            return None, _("Choose one of the options: %(q)s") % q
        return value, None
    if kind == Question.Kind.MULTIPLE:
        values = [value] if isinstance(value, str) else list(value or [])
        if not set(values) <= set(question.choice_options()):
            return None, _("Choose from the options: %(q)s") % q
        return values, None
    if kind == Question.Kind.SCALE:
        low, high = question.scale_range()
        try:
            point = int(str(value).strip())
        except ValueError:
            point = None
        if point is None or not low <= point <= high:
            return None, _("Choose a point from %(a)s to %(b)s: %(q)s") % {
                **q, "a": low, "b": high,
            }  # fmt: skip
        return point, None
    if kind == Question.Kind.NUMBER:
        try:
            number = float(str(value).strip().replace(",", ""))
        except ValueError:
            number = math.nan
        if number != number or abs(number) > 1e9:
            return None, _("Enter a number, like 12 or 3.5: %(q)s") % q
        lowest, highest = question.min_value, question.max_value
        if (lowest is not None and number < lowest) or (highest is not None and number > highest):
            if lowest is not None and highest is not None:
                message = _("Enter a number from %(a)s to %(b)s: %(q)s")
            elif lowest is not None:
                message = _("Enter a number of %(a)s or more: %(q)s")
            else:
                message = _("Enter a number of %(b)s or less: %(q)s")
            return None, message % {
                **q, "a": _fmt(lowest or 0), "b": _fmt(highest or 0),
            }  # fmt: skip
        return number, None
    if kind == Question.Kind.DATE:
        text = str(value).strip()
        parsed = None
        for layout in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %m %Y"):
            try:
                parsed = datetime.strptime(text, layout).date()  # noqa: DTZ007 — a calendar date
                break
            except ValueError:
                continue
        if parsed is None or not 1900 <= parsed.year <= 2100:
            return None, _("Enter a real date, like 27/03/2026: %(q)s") % q
        return parsed.isoformat(), None
    if kind == Question.Kind.RANKING:
        options = question.choice_options()
        ranks = {str(k): v for k, v in dict(value or {}).items() if str(v).strip()}
        try:
            numbers = {k: int(v) for k, v in ranks.items()}
        except ValueError:
            return None, _("Give each option a rank from 1 to %(n)s: %(q)s") % {
                **q, "n": len(options),
            }  # fmt: skip
        if not set(numbers) <= set(options) or not all(
            1 <= n <= len(options) for n in numbers.values()
        ):
            return None, _("Give each option a rank from 1 to %(n)s: %(q)s") % {
                **q, "n": len(options),
            }  # fmt: skip
        if len(set(numbers.values())) != len(numbers):
            return None, _("Give each option a different rank (each number once): %(q)s") % q
        if final and question.required and len(numbers) != len(options):
            return None, _("Rank every option, from 1 (first) to %(n)s: %(q)s") % {
                **q, "n": len(options),
            }  # fmt: skip
        return sorted(numbers, key=numbers.__getitem__), None
    if kind == Question.Kind.TEXT:
        text = str(value).strip()
        limit = question.max_length or TEXT_LIMIT
        if len(text) > limit:
            return None, _(
                "Your answer is %(n)s characters long; shorten it to %(m)s or fewer: %(q)s"
            ) % {**q, "n": f"{len(text):,}", "m": f"{limit:,}"}
        return text, None
    if kind == Question.Kind.MATRIX:
        rows, options = question.matrix_rows(), question.choice_options()
        given = {str(k): str(v) for k, v in dict(value or {}).items() if v}
        if not set(given) <= set(rows) or not set(given.values()) <= set(options):
            return None, _("Choose from the options: %(q)s") % q
        if final and question.required and set(given) != set(rows):
            return None, _("Answer every row: %(q)s") % q
        return given, None
    return None, _("This question cannot be answered: %(q)s") % q


def clean_answers(
    poll: Poll, raw: dict[int, Any], *, final: bool, page: int | None = None
) -> tuple[dict[int, Any], dict[str, str]]:
    """Check answers against the questions; drop those that skip logic hides.

    ``final`` makes required questions required (saving to resume later does not); with
    ``page`` only that page's required questions are (moving on in a multi-page survey).
    """
    cleaned: dict[int, Any] = {}
    errors: dict[str, str] = {}
    for question in poll_questions(poll):
        if not is_shown(question, cleaned):
            continue
        value = raw.get(question.pk)
        name = field_name(question)
        must = question.required and (final or (page is not None and question.page == page))
        empty = value in (None, "", [], {}) or (
            isinstance(value, dict) and not any(str(v).strip() for v in value.values())
        )
        if empty:
            if must:
                errors[name] = _("Answer this question: %(q)s") % {"q": question.text}
            continue
        value, error = _check_value(question, value, final=must)
        if error is not None:
            errors[name] = error
            continue
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
    audit_record(actor=actor, action=AuditAction.PANEL_INVITATION_OPTED_OUT, target=invitation)
    return invitation


def response_save(
    *,
    actor: User | None,
    invitation: Invitation,
    answers: dict[int, Any],
    submit: bool,
    page: int | None = None,
) -> tuple[Response, bool]:
    """Save (``submit=False``) or send the answers; return (response, changed).

    Sending twice, or racing another request, returns the one complete response with
    ``changed=False``; nothing is ever duplicated or overwritten.  ``page`` (when saving,
    not sending) makes that page's required questions required: moving on in a survey.
    """
    kwargs = {"actor": actor, "invitation": invitation, "answers": answers, "submit": submit}
    try:
        return _response_save(**kwargs, page=page)  # type: ignore[arg-type]
    except IntegrityError:
        # Another request created the response between our check and our insert; its
        # transaction has committed (ours was rolled back), so try once more on top of it.
        return _response_save(**kwargs, page=page)  # type: ignore[arg-type]


@transaction.atomic
def _response_save(
    *,
    actor: User | None,
    invitation: Invitation,
    answers: dict[int, Any],
    submit: bool,
    page: int | None,
) -> tuple[Response, bool]:
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("poll", "member")
        .get(pk=invitation.pk)
    )
    poll = invitation.poll
    response = latest_response(invitation)
    if response is not None and response.status == Response.Status.COMPLETE:
        return response, False
    if not poll.is_open:
        raise PollClosedError(_("This poll is closed, so it no longer takes answers."))
    if invitation.disposition == Invitation.Disposition.OPTED_OUT:
        raise PanelError(_("You opted out of this poll."))
    cleaned, errors = clean_answers(poll, answers, final=submit, page=None if submit else page)
    if errors:
        raise AnswerError(errors)
    member = invitation.member
    if response is None and member is None and poll.audience == Poll.Audience.OUTSIDE:
        # someone outside the panel: no profile, so nothing to weight; the pseudonym is the
        # invitation's own and links this response to nothing else
        response = Response(
            poll=poll,
            invitation=invitation,
            pseudonym=hashlib.sha256(f"outside:{invitation.token_hash}".encode()).hexdigest(),
        )
        response.save()  # unique invitation: a racing duplicate raises IntegrityError here
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
    elif response.supersedes_id is None:
        invitation.disposition = Invitation.Disposition.PARTIAL
    invitation.save(update_fields=["disposition"])
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_RESPONSE_SUBMITTED if submit else AuditAction.PANEL_RESPONSE_SAVED,
        target=response,
        changes={
            "poll": poll.pk,
            "answers": len(cleaned),
            **({"supersedes": response.supersedes_id} if response.supersedes_id else {}),
        },
    )
    return response, True


def latest_response(invitation: Invitation) -> Response | None:
    """The invitation's newest response: a change being made, or the one that counts."""
    return Response.objects.filter(invitation=invitation).order_by("-pk").first()


def response_revise(*, actor: User | None, invitation: Invitation) -> Response:
    """Start changing sent answers while the poll is open: a new, unsent response that
    supersedes the sent one, holding its answers to edit.  The sent one is never changed
    and counts until the new one is sent.  Idempotent: a change already started is returned.
    """
    try:
        return _response_revise(actor=actor, invitation=invitation)
    except IntegrityError:  # a racing request started the same change: use it
        return _response_revise(actor=actor, invitation=invitation)


@transaction.atomic
def _response_revise(*, actor: User | None, invitation: Invitation) -> Response:
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("poll")
        .get(pk=invitation.pk)
    )
    latest = latest_response(invitation)
    if latest is None or latest.status != Response.Status.COMPLETE:
        if latest is not None:
            return latest  # not sent yet (or a change already started): edit that
        raise PanelError(_("There are no sent answers to change yet."))
    if not invitation.poll.is_open:
        raise PollClosedError(_("This poll is closed, so its answers can no longer change."))
    revision = Response(
        poll=latest.poll,
        invitation=invitation,
        supersedes=latest,
        member=latest.member,
        pseudonym=latest.pseudonym,
        site=latest.site,
        **{name: getattr(latest, name) for name in PROFILE_FIELDS},
    )
    revision.save()  # supersedes is one-to-one: a racing duplicate raises IntegrityError
    Answer.objects.bulk_create(
        Answer(response=revision, question_id=a.question_id, value=a.value)
        for a in latest.answers.all()
    )
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_RESPONSE_REVISION_STARTED,
        target=revision,
        changes={"poll": latest.poll_id, "supersedes": latest.pk},
    )
    return revision


def saved_answers(response: Response | None) -> dict[int, Any]:
    if response is None:
        return {}
    return dict(response.answers.values_list("question_id", "value"))
