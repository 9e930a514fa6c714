"""Inviting members to a poll, reminding them, and counting dispositions (AAPOR RR1).

Each invitation carries its own single-use token; only the token's hash is stored.  A member
invited to any poll within the contact-frequency cap is skipped.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from whatworks.core import queue
from whatworks.core.audit_actions import AuditAction
from whatworks.core.links import absolute_url
from whatworks.core.mail import mail_message, mail_send
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.panel import jobs
from whatworks.panel.errors import PanelError
from whatworks.panel.models import ConsentRecord, Invitation, PanelMember, Poll
from whatworks.panel.services.members import new_token

#: Default contact-frequency cap: no more than one invitation per member in this many days.
CONTACT_CAP_DAYS = 7


@dataclass(frozen=True)
class InviteSelection:
    mode: str  # "all", "filter" or "sample"
    regions: Sequence[str] = ()
    roles: Sequence[str] = ()
    sample_size: int = 0
    seed: int | None = None


def _link(token: str) -> str:
    return absolute_url(reverse("panel:answer", kwargs={"token": token}))


_LEAVE_SALT = "whatworks.panel.leave"


def leave_token(member: PanelMember) -> str:
    """A signed token naming the member, for the one-click "leave the panel" link.

    It lets whoever holds it take the member off the panel (nothing else), which they can
    undo by joining again; it stops working once the member's identity is removed.
    """
    return signing.dumps({"m": member.pk, "k": str(member.pseudonym_key)[:8]}, salt=_LEAVE_SALT)


def member_for_leave_token(token: str) -> PanelMember | None:
    try:
        data = signing.loads(token, salt=_LEAVE_SALT)
    except signing.BadSignature:
        return None
    member = PanelMember.objects.filter(pk=data.get("m")).first()
    if member is None or str(member.pseudonym_key)[:8] != data.get("k"):
        return None
    return member


def _leave_link(member: PanelMember) -> str:
    return absolute_url(reverse("panel:leave_link", kwargs={"token": leave_token(member)}))


def _when(value: datetime) -> str:
    local = timezone.localtime(value)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def invitation_body(poll: Poll, *, link: str, leave: str, reminder: bool = False) -> str:
    """The invitation (or reminder) e-mail: the researcher's text, how long it takes, when
    it closes, the member's own link and the link to leave the panel."""
    parts = []
    if reminder:
        parts.append(_("There is still time to answer “%(t)s” (your saved answers are kept).")
                     % {"t": poll.title})  # fmt: skip
    elif poll.invitation_text:
        parts.append(poll.invitation_text)
    else:
        parts.append(_("The whatworks panel asks for your view: “%(t)s”.") % {"t": poll.title})
    facts = []
    if poll.minutes:
        facts.append(
            ngettext("It takes about %(n)d minute.", "It takes about %(n)d minutes.", poll.minutes)
            % {"n": poll.minutes}
        )
    if poll.closes_at:
        facts.append(_("It closes on %(when)s.") % {"when": _when(poll.closes_at)})
    if facts:
        parts.append(" ".join(facts))
    parts.append(_("Please answer here (the link is yours alone):\n\n%(link)s") % {"link": link})
    parts.append(
        _("To stop getting polls, leave the panel with this link:\n%(leave)s") % {"leave": leave}
    )
    return "\n\n".join(parts)


def stratified_sample(
    members: list[PanelMember], size: int, *, rng: random.Random
) -> list[PanelMember]:
    """A random sample allocated proportionally to region x role cells (largest remainder)."""
    if size >= len(members):
        return members
    cells: dict[tuple[str, str], list[PanelMember]] = defaultdict(list)
    for member in members:
        cells[(member.region, member.role)].append(member)
    exact = {cell: size * len(group) / len(members) for cell, group in cells.items()}
    take = {cell: int(value) for cell, value in exact.items()}
    short = size - sum(take.values())
    for cell in sorted(exact, key=lambda c: (exact[c] - take[c], rng.random()), reverse=True)[
        :short
    ]:
        take[cell] += 1
    chosen: list[PanelMember] = []
    for cell in sorted(cells):
        chosen.extend(rng.sample(cells[cell], take[cell]))
    return chosen


def _eligible(
    *, poll: Poll, selection: InviteSelection, cap_days: int, now: datetime
) -> list[PanelMember]:
    """The members this selection may invite (before sampling); refuses what cannot be."""
    if not poll.is_open:
        raise PanelError(_("Open the poll before inviting members."))
    if poll.audience != Poll.Audience.PANEL:
        raise PanelError(_("This survey is for people outside the panel: members are not invited."))
    members = PanelMember.objects.filter(status=PanelMember.Status.ACTIVE).exclude(email="")
    members = members.exclude(invitations__poll=poll)
    if cap_days:
        members = members.exclude(last_invited_at__gte=now - timedelta(days=cap_days))
    if poll.study_id is not None:  # a study's waves go only to those who consented to it
        latest = ConsentRecord.objects.filter(
            member=OuterRef("pk"), purpose=ConsentRecord.Purpose.STUDY, study_id=poll.study_id
        ).order_by("-recorded_at", "-pk")
        members = members.annotate(study_ok=Subquery(latest.values("granted")[:1])).filter(
            study_ok=True
        )
    if selection.mode in ("filter", "sample"):
        if selection.regions:
            members = members.filter(region__in=selection.regions)
        if selection.roles:
            members = members.filter(role__in=selection.roles)
    eligible = list(members.order_by("pk"))
    if selection.mode == "sample":
        if selection.sample_size < 1:
            raise PanelError(_("Give the size of the sample."))
        if selection.sample_size > len(eligible):
            raise PanelError(
                _(
                    "The sample of %(asked)s is larger than the %(n)s members who can be "
                    "invited: give a sample size of at most %(n)s, or invite them all."
                )
                % {"asked": f"{selection.sample_size:,}", "n": f"{len(eligible):,}"}
            )
    return eligible


def invitations_count(
    *,
    poll: Poll,
    selection: InviteSelection,
    cap_days: int = CONTACT_CAP_DAYS,
    now: datetime | None = None,
) -> int:
    """How many members :func:`invitations_send` would e-mail (for its confirmation)."""
    eligible = _eligible(
        poll=poll, selection=selection, cap_days=cap_days, now=now or timezone.now()
    )
    return selection.sample_size if selection.mode == "sample" else len(eligible)


@transaction.atomic
def invitations_send(
    *,
    actor: User | None,
    poll: Poll,
    selection: InviteSelection,
    cap_days: int = CONTACT_CAP_DAYS,
    now: datetime | None = None,
    at_most: int | None = None,
) -> int:
    """Invite members to an open poll; return how many were invited (e-mails on commit).

    Never more than the sample asked for, nor than ``at_most`` (the number the sender
    confirmed): if more members became eligible since, nobody is e-mailed.
    """
    now = now or timezone.now()
    chosen = _eligible(poll=poll, selection=selection, cap_days=cap_days, now=now)
    if selection.mode == "sample":
        chosen = stratified_sample(chosen, selection.sample_size, rng=random.Random(selection.seed))
        assert len(chosen) <= selection.sample_size
    if at_most is not None and len(chosen) > at_most:
        raise PanelError(
            _("%(n)s members can now be invited, more than the %(m)s you confirmed: check the "
              "number and send again.") % {"n": f"{len(chosen):,}", "m": f"{at_most:,}"}
        )  # fmt: skip
    messages = []
    invitations = []
    for member in chosen:
        token, digest = new_token()
        invitations.append(
            Invitation(
                poll=poll,
                member=member,
                token_hash=digest,
                region=member.region,
                role=member.role,
                sent_at=now,
                last_contact_at=now,
            )
        )
        messages.append(
            mail_message(
                subject=_("A short poll from the whatworks panel: %(title)s")
                % {"title": poll.title},
                body=invitation_body(poll, link=_link(token), leave=_leave_link(member)),
                to=[member.email],
            )
        )
    Invitation.objects.bulk_create(invitations)
    PanelMember.objects.filter(pk__in=[m.pk for m in chosen]).update(last_invited_at=now)
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_INVITATIONS_SENT,
        target=poll,
        changes={"mode": selection.mode, "count": len(chosen), "cap_days": cap_days},
    )
    if messages:
        transaction.on_commit(lambda: mail_send(*messages))
        transaction.on_commit(
            lambda: reminders_schedule(
                poll_id=poll.pk, every_days=poll.reminder_days, count=poll.max_reminders
            )
        )
    return len(chosen)


def reminders_schedule(*, poll_id: int, every_days: int, count: int) -> None:
    """Queue ``count`` reminder runs, ``every_days`` apart (call in ``on_commit``)."""
    now = timezone.now()
    for k in range(1, count + 1):
        run_after = now + timedelta(days=every_days * k)
        queue.enqueue(jobs.SEND_REMINDERS, [poll_id], run_after=run_after)


def _due_reminders(poll: Poll, *, now: datetime, at_once: bool) -> QuerySet[Invitation]:
    due = (
        Invitation.objects.select_related("member")
        .filter(
            poll=poll,
            disposition__in=["invited", "opened", "partial"],
            reminders_sent__lt=max(poll.max_reminders, 1 if at_once else 0),
            member__status=PanelMember.Status.ACTIVE,
        )
        .exclude(member__email="")
    )
    if not at_once:
        due = due.filter(last_contact_at__lte=now - timedelta(days=poll.reminder_days))
    return due


def reminders_count(*, poll: Poll, now_only: bool = True, now: datetime | None = None) -> int:
    """How many members "remind now" (``now_only``) or the next automatic run would e-mail."""
    if not poll.is_open:
        return 0
    return _due_reminders(poll, now=now or timezone.now(), at_once=now_only).count()


@transaction.atomic
def reminders_send(
    *,
    poll_id: int,
    now: datetime | None = None,
    enqueue: Callable[[], None] | None = None,
    actor: User | None = None,
    at_once: bool = False,
    at_most: int | None = None,
) -> int:
    """Remind members who have not finished, at most ``poll.max_reminders`` times each
    (a "remind now", ``at_once``, may send one even when the poll allows none and does
    not wait ``reminder_days`` since the last contact).

    A new token is issued (the old one stops working), since only hashes are stored.
    """
    poll = Poll.objects.get(pk=poll_id)
    if not poll.is_open:
        return 0
    now = now or timezone.now()
    due = list(_due_reminders(poll, now=now, at_once=at_once))
    if at_most is not None and len(due) > at_most:
        raise PanelError(
            _("%(n)s members are now due a reminder, more than the %(m)s you confirmed: check "
              "the number and send again.") % {"n": f"{len(due):,}", "m": f"{at_most:,}"}
        )  # fmt: skip
    messages = []
    count = 0
    for invitation in due:
        member = invitation.member
        if member is None or not member.email:
            continue
        token, digest = new_token()
        invitation.token_hash = digest
        invitation.reminders_sent += 1
        invitation.last_contact_at = now
        invitation.save(update_fields=["token_hash", "reminders_sent", "last_contact_at"])
        messages.append(
            mail_message(
                subject=_("Reminder: %(title)s") % {"title": poll.title},
                body=invitation_body(
                    poll, link=_link(token), leave=_leave_link(member), reminder=True
                ),
                to=[member.email],
            )
        )
        count += 1
    if count:
        audit_record(
            actor=actor,
            action=AuditAction.PANEL_REMINDERS_SENT,
            target=poll,
            changes={"count": count, "at_once": at_once},
        )
        transaction.on_commit(lambda: mail_send(*messages))
    return count


@transaction.atomic
def invitation_mark_bounced(*, actor: User | None, invitation: Invitation) -> Invitation:
    invitation.disposition = Invitation.Disposition.BOUNCED
    invitation.save(update_fields=["disposition"])
    audit_record(actor=actor, action=AuditAction.PANEL_INVITATION_BOUNCED, target=invitation)
    return invitation


@dataclass(frozen=True)
class BounceReport:
    """What marking bounces did: changed, matched but left as they were, matched nothing."""

    marked: int
    unchanged: int
    unmatched: tuple[str, ...]


@transaction.atomic
def invitations_mark_bounced(
    *, actor: User | None, poll: Poll, emails: Sequence[str]
) -> BounceReport:
    """Mark the poll's invitations to these addresses bounced (from a mail server's report).

    Only invitations still at "invited" change: one that was opened, answered or opted out
    reached its member.  The audit entry keeps counts, never the addresses.
    """
    wanted = list(dict.fromkeys(e.strip().lower() for e in emails if e.strip()))
    found = list(
        Invitation.objects.filter(poll=poll, member__email__in=wanted).values_list(
            "pk", "member__email", "disposition"
        )
    )
    matched = {email for _, email, _ in found}
    due = [pk for pk, _, disposition in found if disposition == Invitation.Disposition.INVITED]
    marked = Invitation.objects.filter(pk__in=due).update(
        disposition=Invitation.Disposition.BOUNCED
    )
    report = BounceReport(
        marked=marked,
        unchanged=len(found) - marked,
        unmatched=tuple(e for e in wanted if e not in matched),
    )
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_INVITATIONS_BOUNCED,
        target=poll,
        changes={
            "marked": report.marked,
            "unchanged": report.unchanged,
            "unmatched": len(report.unmatched),
        },
    )
    return report
