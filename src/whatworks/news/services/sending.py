"""How an issue goes out: one ``Delivery`` row per subscriber, claimed and sent in batches.

1. ``prepare_deliveries`` lists the confirmed subscribers, walking primary-key ranges so
   that only one chunk of ids is in memory; the unique (issue, subscriber) constraint
   makes running it again (after a restart) add nobody twice.
2. ``send_batch`` claims up to ``batch_size`` pending deliveries in one UPDATE (so two
   workers never claim the same row), sends each, and marks each sent as soon as it has
   gone.  A worker that dies mid-batch leaves only unsent rows claimed; ``issue_resume``
   releases them and nobody is skipped or sent twice.
"""

from __future__ import annotations

import smtplib
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from whatworks.core import queue
from whatworks.core.audit_actions import AuditAction
from whatworks.core.mail import mail_batch_connection, mail_send
from whatworks.core.services.audit import audit_record
from whatworks.core.services.background import task_progress
from whatworks.news import jobs
from whatworks.news.markdown import render_markdown
from whatworks.news.models import Delivery, Issue, Subscriber
from whatworks.news.plaintext import absolute_links, html_to_text

PREPARE_CHUNK = 2000
BATCH_SIZE = 500


@dataclass(frozen=True)
class BatchResult:
    sent: int
    skipped: int
    failed: int
    pending: int
    claimed: int
    total: int


def recipients(*, issue: Issue) -> Any:
    """Who an issue goes to: every confirmed subscriber, or those who chose its topic."""
    confirmed = Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED)
    if issue.topic_id is not None:
        confirmed = confirmed.filter(topics=issue.topic_id)
    return confirmed


def prepare_deliveries(*, issue: Issue) -> int:
    """Create the missing deliveries of an issue; return how many were created."""
    created, last_pk = 0, 0
    confirmed = recipients(issue=issue).order_by("pk")
    while ids := list(
        confirmed.filter(pk__gt=last_pk).values_list("pk", flat=True)[:PREPARE_CHUNK]
    ):
        with transaction.atomic():
            made = Delivery.objects.bulk_create(
                [Delivery(issue_id=issue.pk, subscriber_id=pk) for pk in ids],
                ignore_conflicts=True,
            )
        created += len(made)
        last_pk = ids[-1]
    Issue.objects.filter(pk=issue.pk).update(recipients_prepared=True)
    issue.recipients_prepared = True
    return created


def render_issue(issue: Issue) -> tuple[str, str]:
    """The issue's plain text and HTML, rendered once, with per-subscriber placeholders.

    Both come from the same sanitised HTML, its addresses absolute: the text part is that
    HTML read as text (:func:`~whatworks.news.plaintext.html_to_text`), not the Markdown."""
    body_html = absolute_links(render_markdown(issue.body))
    context = {
        "issue": issue,
        "body_html": body_html,
        "body_text": html_to_text(body_html),
        "site_name": settings.WHATWORKS_SITE_NAME,
        "unsubscribe_url": "{unsubscribe_url}",
        "manage_url": "{manage_url}",
    }
    text = render_to_string("news/email/issue.txt", context)
    html = render_to_string("news/email/issue.html", context)
    return text, html


def _claim(*, issue: Issue, batch_size: int) -> str:
    claim = uuid.uuid4().hex
    with transaction.atomic():
        ids = list(
            Delivery.objects.filter(issue=issue, status=Delivery.Status.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.CLAIMED, claim=claim, claimed_at=timezone.now()
        )
    return claim


def _mark(pk: int, status: str) -> None:
    """Record one delivery's outcome at once (its own commit): what went is never re-sent.

    One plain UPDATE by primary key; the ORM's query building would cost more than the
    statement itself, once per message.
    """
    sent_at = timezone.now() if status == Delivery.Status.SENT else None
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Delivery._meta.db_table} SET status = %s, sent_at = %s WHERE id = %s",  # noqa: S608 - table name from the model
            [status, connection.ops.adapt_datetimefield_value(sent_at), pk],
        )


def send_batch(
    *, issue_id: int, batch_size: int | None = None, mail_connection: Any = None
) -> BatchResult:
    """Send one batch of an issue; finish the issue when nothing is left to send.

    ``mail_connection`` defaults to the configured e-mail backend (the demo passes Django's
    dummy backend so that it e-mails nobody).
    """
    from whatworks.news.mail import IssueMailer

    batch_size = batch_size or BATCH_SIZE
    issue = Issue.objects.get(pk=issue_id)
    if issue.status != Issue.Status.SENDING:
        return _counts(issue)
    if not issue.recipients_prepared:
        prepare_deliveries(issue=issue)
    claim = _claim(issue=issue, batch_size=batch_size)
    text, html = render_issue(issue)
    mailer = IssueMailer(subject=issue.title, text=text, html=html)
    # The whole batch is read at once (it is small): a cursor left open while writing would
    # hold an SQLite read snapshot that the heartbeat's writes invalidate.
    claimed = list(
        Delivery.objects.filter(claim=claim, status=Delivery.Status.CLAIMED)
        .select_related("subscriber")
        .only("pk", "subscriber__email", "subscriber__key", "subscriber__status")
        .order_by("pk")
    )
    mail_connection = mail_connection or mail_batch_connection()
    mail_connection.open()
    try:
        for delivery in claimed:
            subscriber = delivery.subscriber
            if subscriber is None or subscriber.status != Subscriber.Status.CONFIRMED:
                _mark(delivery.pk, Delivery.Status.SKIPPED)
                continue
            message = mailer.message(email=subscriber.email, key=subscriber.key)
            try:
                mail_send(message, connection=mail_connection)
            except smtplib.SMTPRecipientsRefused:
                _mark(delivery.pk, Delivery.Status.FAILED)
                continue
            _mark(delivery.pk, Delivery.Status.SENT)
    finally:
        mail_connection.close()
    result = _counts(issue)
    if result.pending == 0 and result.claimed == 0:
        _finish(issue)
    return result


def send_batch_and_continue(*, issue_id: int, record_id: str) -> int:
    """Send one batch of an issue (the worker's job), report progress on its task record,
    and queue the next batch while any remain; return how many were sent in all."""
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
        transaction.on_commit(
            lambda: queue.enqueue(jobs.NEWSLETTER_SEND_BATCH, [issue_id, record_id])
        )
    return result.sent


def _counts(issue: Issue) -> BatchResult:
    from django.db.models import Count

    rows = dict(
        Delivery.objects.filter(issue=issue)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return BatchResult(
        sent=rows.get(Delivery.Status.SENT, 0),
        skipped=rows.get(Delivery.Status.SKIPPED, 0),
        failed=rows.get(Delivery.Status.FAILED, 0),
        pending=rows.get(Delivery.Status.PENDING, 0),
        claimed=rows.get(Delivery.Status.CLAIMED, 0),
        total=sum(rows.values()),
    )


@transaction.atomic
def _finish(issue: Issue) -> None:
    updated = Issue.objects.filter(pk=issue.pk, status=Issue.Status.SENDING).update(
        status=Issue.Status.SENT, sent_at=timezone.now()
    )
    if updated:
        counts = _counts(issue)
        audit_record(
            actor=None,
            action=AuditAction.ISSUE_SENT,
            target=issue,
            changes={"sent": counts.sent, "skipped": counts.skipped, "failed": counts.failed},
        )
