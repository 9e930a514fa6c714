"""Background tasks of the panel: thin wrappers that call a service.  Tasks take ids,
never objects; each the services enqueue is bound to its job (``jobs.py``)."""

from __future__ import annotations

from dataclasses import asdict

from django_tasks import task

from whatworks.panel import jobs
from whatworks.panel.services import invitations as invitations_services
from whatworks.panel.services import retention as retention_services
from whatworks.panel.services import schedule


@task()
def send_reminders(poll_id: int) -> int:
    """Remind the members of one poll who have not finished (scheduled after invitations)."""
    return invitations_services.reminders_send(poll_id=poll_id)


@task()
def apply_schedule() -> dict[str, list[str]]:
    """Open and close the polls whose scheduled time has come (queued for each time)."""
    return asdict(schedule.panel_schedule_apply())


@task()
def apply_retention() -> dict[str, int]:
    """The panel's retention rules, daily (``whatworks manage panel_retention`` from cron)."""
    return asdict(retention_services.panel_retention_apply(actor=None))


jobs.SEND_REMINDERS.bind(send_reminders)
jobs.APPLY_SCHEDULE.bind(apply_schedule)
jobs.APPLY_RETENTION.bind(apply_retention)
