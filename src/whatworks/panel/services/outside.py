"""Surveys of people outside the panel (``Poll.Audience.OUTSIDE``), made from a template.

Another part asks for these through ``core.surveys`` (the panel's provider is in
``panel/outside.py``); first use: the feedback survey after an event.  Such a survey is an
ordinary panel survey — the same question types, answering pages and results — with three
differences: it is invited by e-mail address, one single-use link per address, and the
panel stores no address (an invitation holds the token's hash and no member); its
responses carry no workforce profile, so results are shown unweighted; and members are
never invited to it, nor is it listed or published with the panel's polls.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.mail import mail_message, mail_send
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.panel.errors import PanelError
from whatworks.panel.models import Invitation, Poll, Question
from whatworks.panel.services.invitations import _link
from whatworks.panel.services.members import new_token
from whatworks.panel.services.polls import poll_create, poll_open
from whatworks.panel.services.questions import QuestionSpec, question_create

#: How long an outside survey stays open (the panel's schedule closes it then).
OPEN_DAYS = 28
#: The most addresses one call may invite.
MAX_INVITES = 2000


@dataclass(frozen=True)
class OutsideTemplate:
    key: str
    label: str
    description: str
    questions: tuple[QuestionSpec, ...]


def _recommend() -> QuestionSpec:
    return QuestionSpec(
        kind=Question.Kind.SCALE,
        text=_("How likely are you to recommend this event to a colleague?"),
        min_value=0,
        max_value=10,
        low_label=_("Not at all likely"),
        high_label=_("Extremely likely"),
    )


def _better() -> QuestionSpec:
    return QuestionSpec(
        kind=Question.Kind.TEXT,
        text=_("What would have made the event better for you?"),
        required=False,
        max_length=2000,
    )


def templates() -> tuple[OutsideTemplate, ...]:
    """The ready-made sets of questions (built when asked, so they are translated)."""
    return (
        OutsideTemplate(
            key="event-feedback",
            label=_("Event feedback (five questions)"),
            description=_(
                "How useful it was, whether people will use it, how it was run, whether they "
                "would recommend it, and what would have made it better."
            ),
            questions=(
                QuestionSpec(
                    kind=Question.Kind.LIKERT,
                    text=_("The event was useful for my practice."),
                    likert_preset="agreement",
                ),
                QuestionSpec(
                    kind=Question.Kind.SINGLE,
                    text=_("Will you use something from the event in your work?"),
                    options=(_("Yes"), _("No"), _("Not sure yet")),
                ),
                QuestionSpec(
                    kind=Question.Kind.LIKERT,
                    text=_("How satisfied were you with how the event was organised?"),
                    likert_preset="satisfaction",
                ),
                _recommend(),
                _better(),
            ),
        ),
        OutsideTemplate(
            key="event-quick",
            label=_("Quick feedback (two questions)"),
            description=_("Whether they would recommend it, and what would have made it better."),
            questions=(_recommend(), _better()),
        ),
    )


def _template(key: str) -> OutsideTemplate:
    for template in templates():
        if template.key == key:
            return template
    raise PanelError(_("Choose one of the ready-made sets of questions."))


def _free_slug(reference: str) -> str:
    base = slugify(reference.replace(":", "-"))[:60].strip("-") or "survey"
    return f"{base}-{secrets.token_hex(3)}"


@transaction.atomic
def outside_survey_create(
    *,
    actor: User | None,
    title: str,
    reference: str,
    template: str,
    now: datetime | None = None,
) -> Poll:
    """A survey for people outside the panel from a ready-made ``template``, open at once
    and closing after :data:`OPEN_DAYS` (audited as the panel's polls and questions are)."""
    chosen = _template(template)
    now = now or timezone.now()
    poll = poll_create(
        actor=actor,
        title=title,
        slug=_free_slug(reference),
        kind=Poll.Kind.SURVEY,
        description=chosen.description,
        max_reminders=0,
    )
    poll.audience = Poll.Audience.OUTSIDE
    poll.closes_at = now + timedelta(days=OPEN_DAYS)
    poll.minutes = 2 if len(chosen.questions) <= 2 else 5
    poll.save(update_fields=["audience", "closes_at", "minutes"])
    for spec in chosen.questions:
        question_create(actor=actor, poll=poll, spec=spec)
    poll_open(actor=actor, poll=poll, now=now)
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_OUTSIDE_SURVEY_CREATED,
        target=poll,
        changes={"reference": reference, "template": chosen.key},
    )
    return poll


def _body(poll: Poll, *, about: str, link: str) -> str:
    lines = [
        about,
        "",
        _("It takes about %(n)s minutes, and your answers are anonymous: we see them only "
          "together with everyone else's.") % {"n": poll.minutes or 5},
        "",
        link,
        "",
    ]  # fmt: skip
    if poll.closes_at is not None:
        lines.append(
            _("The survey closes on %(date)s.")
            % {"date": timezone.localtime(poll.closes_at).strftime("%-d %B %Y")}
        )
    lines.append(_("This link is yours alone: please do not pass it on."))
    return "\n".join(lines)


@transaction.atomic
def outside_invitations_send(
    *,
    actor: User | None,
    poll: Poll,
    addresses: Sequence[str],
    about: str,
    now: datetime | None = None,
) -> int:
    """E-mail each address its own single-use link to an open outside survey (after
    commit); the addresses are not stored.  Returns how many were invited."""
    poll = Poll.objects.select_for_update().get(pk=poll.pk)
    if poll.audience != Poll.Audience.OUTSIDE:
        raise PanelError(_("Only a survey for people outside the panel is sent to addresses."))
    if not poll.is_open:
        raise PanelError(_("This survey is closed, so nobody more can be invited to it."))
    wanted = sorted({a.strip() for a in addresses if a.strip()})
    if len(wanted) > MAX_INVITES:
        raise PanelError(
            _("At most %(n)s people can be invited at once.") % {"n": f"{MAX_INVITES:,}"}
        )
    now = now or timezone.now()
    invitations, messages = [], []
    for address in wanted:
        token, digest = new_token()
        invitations.append(
            Invitation(
                poll=poll, token_hash=digest, region="", role="", sent_at=now, last_contact_at=now
            )
        )
        messages.append(
            mail_message(
                to=[address],
                subject=_("A short feedback survey: %(title)s") % {"title": poll.title},
                body=_body(poll, about=about, link=_link(token)),
            )
        )
    Invitation.objects.bulk_create(invitations)
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_OUTSIDE_INVITATIONS_SENT,
        target=poll,
        changes={"count": len(invitations)},
    )
    if messages:
        transaction.on_commit(lambda: mail_send(*messages))
    return len(invitations)
