"""Results reminders (issue #17): tell each team, once per state and due date, that its
results are due soon or overdue, and keep on the project what was told.

The states and when a project is in one are ``registry/reminders.py``; this module writes
(the project's ``results_notice*`` fields and an audit entry) and e-mails the team after
the commit.  Run daily by ``whatworks manage registry_results_reminders`` or the
``send_results_reminders`` task.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from whatworks.core.audit_actions import AuditAction
from whatworks.core.links import absolute_url
from whatworks.core.mail import mail_message, mail_send
from whatworks.core.services.audit import audit_record
from whatworks.registry.models import Project
from whatworks.registry.reminders import OVERDUE, RESULTS_DUE_SOON_DAYS, results_state


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
