"""Polls that open and close at set times, and publishing results only when they can stand.

Setting a schedule queues a check for each time (the ``APPLY_SCHEDULE`` job with
``run_after``); the check, :func:`panel_schedule_apply`, acts on whatever is due when it
runs, so a changed schedule leaves nothing wrong behind, and ``whatworks manage
panel_schedule`` from cron is the safety net if no worker ran.

Closing publishes the results — unless the weighting did not converge: then the weighted
figures miss the workforce margins and the results wait until staff confirm
(:func:`poll_results_publish`), having read why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core import queue
from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.panel import jobs
from whatworks.panel.errors import PanelError
from whatworks.panel.models import Poll


def _enqueue_check(when: datetime) -> None:
    queue.enqueue(jobs.APPLY_SCHEDULE, run_after=when)


@transaction.atomic
def poll_schedule(
    *,
    actor: User | None,
    poll: Poll,
    opens_at: datetime | None,
    closes_at: datetime | None,
    minutes: int | None = None,
    invitation_text: str | None = None,
    now: datetime | None = None,
) -> Poll:
    """Set (or clear, with None) when a poll opens and closes, and what its invitation says
    (``invitation_text`` None leaves it as it is); every problem at once."""
    now = now or timezone.now()
    locked = Poll.objects.select_for_update().get(pk=poll.pk)
    poll.status = locked.status
    problems = []
    if poll.status == Poll.Status.CLOSED:
        problems.append(_("This poll is closed, so it has no schedule."))
    if opens_at is not None and poll.status != Poll.Status.DRAFT:
        problems.append(_("This poll is already open: leave the opening time empty."))
    if opens_at is not None and opens_at <= now:
        problems.append(_("The opening time has passed: give a later one, or open it now."))
    if closes_at is not None and closes_at <= now:
        problems.append(_("The closing time has passed: give a later one."))
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        problems.append(_("The poll must close after it opens: give a later closing time."))
    if opens_at is not None and not poll.questions.exists():
        problems.append(_("Add at least one question before scheduling the poll to open."))
    if minutes is not None and not 1 <= minutes <= 120:
        problems.append(_("Give the minutes it takes as a number from 1 to 120."))
    if invitation_text is not None and len(invitation_text) > 2000:
        problems.append(_("Shorten the invitation text to 2,000 characters or fewer."))
    if problems:
        raise PanelError(problems)
    before = {"opens_at": poll.opens_at, "closes_at": poll.closes_at}
    poll.opens_at, poll.closes_at, poll.minutes = opens_at, closes_at, minutes
    fields = ["opens_at", "closes_at", "minutes"]
    if invitation_text is not None:
        poll.invitation_text = invitation_text.strip()
        fields.append("invitation_text")
    poll.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_POLL_SCHEDULED,
        target=poll,
        changes={
            name: [str(value) if value else None, str(getattr(poll, name) or "") or None]
            for name, value in before.items()
        },
    )
    for when in (opens_at, closes_at):
        if when is not None:
            transaction.on_commit(partial(_enqueue_check, when))
    return poll


def weighting_converged(poll: Poll) -> bool | None:
    """Whether the poll's weighting converged (None when it could not be weighted)."""
    from whatworks.panel.results import poll_results

    weighting = poll_results(poll).weighting
    if not weighting.available:
        return None
    return bool(weighting.diagnostics().get("converged", False))


@transaction.atomic
def poll_close(*, actor: User | None, poll: Poll, now: datetime | None = None) -> Poll:
    """Stop answers; publish the results unless the weighting did not converge."""
    if Poll.objects.select_for_update().get(pk=poll.pk).status != Poll.Status.OPEN:
        raise PanelError(_("Only an open poll can be closed."))
    now = now or timezone.now()
    converged = weighting_converged(poll)
    poll.status = Poll.Status.CLOSED
    poll.closed_at = now
    held = converged is False
    poll.results_published_at = None if held else now
    poll.save(update_fields=["status", "closed_at", "results_published_at"])
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_POLL_CLOSED,
        target=poll,
        changes={"results": "held: weighting did not converge" if held else "published"},
    )
    return poll


@transaction.atomic
def poll_results_publish(*, actor: User | None, poll: Poll) -> Poll:
    """Publish results held back at closing (staff have read why the margins are wide)."""
    poll.refresh_from_db()
    locked = Poll.objects.select_for_update().get(pk=poll.pk)
    if locked.status != Poll.Status.CLOSED:
        raise PanelError(_("Results are published when the poll closes; it is still open."))
    if locked.results_published_at is not None:
        raise PanelError(_("These results are already published."))
    poll.results_published_at = timezone.now()
    poll.save(update_fields=["results_published_at"])
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_RESULTS_PUBLISHED,
        target=poll,
        changes={"weighting_converged": False},
    )
    return poll


@dataclass(frozen=True)
class ScheduleReport:
    opened: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def panel_schedule_apply(*, now: datetime | None = None) -> ScheduleReport:
    """Open the drafts and close the open polls whose time has come (each on its own)."""
    from whatworks.panel.services.polls import poll_open

    now = now or timezone.now()
    report = ScheduleReport()
    for poll in Poll.objects.filter(status=Poll.Status.DRAFT, opens_at__lte=now):
        try:
            poll_open(actor=None, poll=poll, now=now)
        except PanelError as error:
            report.problems.append(f"{poll.slug}: {error.message}")
        else:
            report.opened.append(poll.slug)
    for poll in Poll.objects.filter(status=Poll.Status.OPEN, closes_at__lte=now):
        try:
            closed = poll_close(actor=None, poll=poll, now=now)
        except PanelError as error:
            report.problems.append(f"{poll.slug}: {error.message}")
        else:
            report.closed.append(poll.slug)
            if closed.results_published_at is None:
                report.held.append(poll.slug)
    return report
