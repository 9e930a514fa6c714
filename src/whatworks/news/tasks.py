"""Background tasks of the newsletter.  Tasks take ids, never objects."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django_tasks import task

from whatworks.core.services import task_progress
from whatworks.news.sending import send_batch


@task()
def newsletter_send_batch(record_id: str, issue_id: int) -> int:
    """Send one batch of an issue, report progress, and queue the next batch if any remain."""
    result = send_batch(issue_id=issue_id)
    done = result.sent + result.skipped + result.failed
    finished = result.pending == 0 and result.claimed == 0
    task_progress(
        record_id=record_id,
        fraction=done / result.total if result.total else 1.0,
        message=f"{result.sent:,} sent, {result.skipped:,} skipped, {result.failed:,} refused "
        f"of {result.total:,}",
        result_url=reverse("news:issue_edit", args=[issue_id]) if finished else None,
    )
    if result.pending:
        transaction.on_commit(lambda: newsletter_send_batch.enqueue(record_id, issue_id))
    return result.sent


@task()
def newsletter_send_scheduled(issue_id: int, scheduled_for: str) -> bool:
    """Run at an issue's scheduled time (deferred with ``run_after``): start its sending
    unless it was moved, unscheduled or sent meanwhile."""
    from whatworks.news.services import issue_send_due

    return issue_send_due(issue_id=issue_id, scheduled_for=scheduled_for)
