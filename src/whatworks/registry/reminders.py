"""Results reminders (issue #17): the team of a registered project is told when its results
are due soon and again when they are overdue — once for each state, not on every run.

A project is *due soon* from ``RESULTS_DUE_SOON_DAYS`` before its results-due date, and
*overdue* after it, until results are published (or it is withdrawn).  What was last sent,
and for which due date, is kept on the project (``results_notice``, ``results_notice_due``):
a run sends only when the state (or the due date) differs from what was last told, so a
daily run e-mails each team at most twice per due date.  Run daily by
``whatworks manage registry_results_reminders`` or the ``send_results_reminders`` task.
The project's page shows the same state to its team whenever they look.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from whatworks.core.audit_actions import AuditAction
from whatworks.core.links import absolute_url
from whatworks.core.mail import mail_message, mail_send
from whatworks.core.services.audit import audit_record
from whatworks.registry.models import Project, ResultsReport

RESULTS_DUE_SOON_DAYS = 30
DUE_SOON = "due-soon"
OVERDUE = "overdue"


@dataclass(frozen=True)
class ResultsState:
    state: str  # DUE_SOON or OVERDUE
    due: date
    days: int  # days until due (due soon) or since (overdue)

    @property
    def sentence(self) -> str:
        if self.state == OVERDUE:
            return (
                f"The results were due on {self.due:%-d %B %Y}, {self.days} day"
                f"{'s' if self.days != 1 else ''} ago, and are not yet published. Enter or "
                "import them and ask the editors to publish them; the overdue list shows "
                "this project until then."
            )
        when = "today" if self.days == 0 else f"in {self.days} day{'s' if self.days != 1 else ''}"
        return (
            f"The results are due on {self.due:%-d %B %Y}, {when}. Enter or import them so "
            "that the editors can publish them in time."
        )


def results_state(project: Project, today: date | None = None) -> ResultsState | None:
    """Whether the project's results are due soon or overdue, or None."""
    today = today or timezone.localdate()
    if project.results_due is None or project.is_withdrawn or not project.has_identifier:
        return None
    if ResultsReport.objects.filter(project=project, published_at__isnull=False).exists():
        return None
    if today > project.results_due:
        return ResultsState(OVERDUE, project.results_due, (today - project.results_due).days)
    if project.results_due - today <= timedelta(days=RESULTS_DUE_SOON_DAYS):
        return ResultsState(DUE_SOON, project.results_due, (project.results_due - today).days)
    return None


def results_reminders_send(*, today: date | None = None) -> list[tuple[Project, str]]:
    """Tell every team whose project changed state since it was last told; return whom."""
    today = today or timezone.localdate()
    candidates = (
        Project.objects.filter(
            results_due__isnull=False,
            results_due__lte=today + timedelta(days=RESULTS_DUE_SOON_DAYS),
            withdrawn_at__isnull=True,
            versions__isnull=False,
        )
        .distinct()
        .order_by("pk")
    )
    sent = []
    for project in candidates:
        if (state := _remind(project.pk, today)) is not None:
            sent.append((project, state))
    return sent


@transaction.atomic
def _remind(project_id: int, today: date) -> str | None:
    project = Project.objects.select_for_update().get(pk=project_id)
    found = results_state(project, today)
    if found is None:
        return None
    if project.results_notice == found.state and project.results_notice_due == found.due:
        return None  # this state was told already
    project.results_notice = found.state
    project.results_notice_due = found.due
    project.results_notice_at = timezone.now()
    project.save(update_fields=["results_notice", "results_notice_due", "results_notice_at"])
    audit_record(
        actor=None,
        action=AuditAction.REGISTRY_RESULTS_REMINDER_SENT,
        target=project,
        changes={"state": found.state, "results_due": found.due.isoformat()},
    )
    transaction.on_commit(partial(send_reminder_email, project.pk, found.state, today))
    return found.state


def send_reminder_email(project_id: int, state: str, today: date) -> None:
    project = Project.objects.get(pk=project_id)
    found = results_state(project, today)
    recipients = sorted(
        project.team.filter(is_active=True).exclude(email="").values_list("email", flat=True)
    )
    if found is None or found.state != state or not recipients:
        return
    subject = (
        f"{project.reference}: the results are overdue"
        if state == OVERDUE
        else f"{project.reference}: the results are due on {found.due:%-d %B %Y}"
    )
    mail_send(
        mail_message(
            subject=subject,
            body=render_to_string(
                "registry/email/results_reminder.txt",
                {
                    "project": project,
                    "found": found,
                    "link": absolute_url(project.get_absolute_url()),
                },
            ),
            to=recipients,
        )
    )
