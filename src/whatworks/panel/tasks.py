"""Background tasks of the panel.  Tasks take ids, never objects."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task


@task()
def send_reminders(poll_id: int) -> int:
    """Remind the members of one poll who have not finished (scheduled after invitations)."""
    from whatworks.panel.services import reminders_send

    return reminders_send(poll_id=poll_id)


@task()
def apply_schedule() -> dict[str, list[str]]:
    """Open and close the polls whose scheduled time has come (queued for each time)."""
    from dataclasses import asdict

    from whatworks.panel.services import panel_schedule_apply

    return asdict(panel_schedule_apply())


@task()
def apply_retention() -> dict[str, int]:
    """The panel's retention rules, daily (``whatworks manage panel_retention`` from cron)."""
    from dataclasses import asdict

    from whatworks.panel.services import panel_retention_apply

    return asdict(panel_retention_apply(actor=None))


def schedule_reminders(*, poll_id: int, every_days: int, count: int) -> None:
    """Queue ``count`` reminder runs, ``every_days`` apart (call in ``on_commit``)."""
    now = timezone.now()
    for k in range(1, count + 1):
        send_reminders.using(run_after=now + timedelta(days=every_days * k)).enqueue(poll_id)
