"""Background tasks of the newsletter: thin wrappers that call a service.  Tasks take ids,
never objects; the record id of
:func:`~whatworks.core.services.background.task_start` comes last."""

from __future__ import annotations

from django_tasks import task

from whatworks.news import jobs
from whatworks.news.services import sending
from whatworks.news.services.issues import issue_send_due


@task()
def newsletter_send_batch(issue_id: int, record_id: str) -> int:
    """Send one batch of an issue, report progress, and queue the next batch if any remain."""
    return sending.send_batch_and_continue(issue_id=issue_id, record_id=record_id)


@task()
def newsletter_send_scheduled(issue_id: int, scheduled_for: str) -> bool:
    """Run at an issue's scheduled time (deferred with ``run_after``): start its sending
    unless it was moved, unscheduled or sent meanwhile."""
    return issue_send_due(issue_id=issue_id, scheduled_for=scheduled_for)


jobs.NEWSLETTER_SEND_BATCH.bind(newsletter_send_batch)
jobs.NEWSLETTER_SEND_SCHEDULED.bind(newsletter_send_scheduled)
