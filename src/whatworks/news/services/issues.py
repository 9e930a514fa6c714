"""Writes of newsletter issues: draft from what is new, edit, send, resume a stalled send."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from whatworks.core import queue
from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record, diff_fields
from whatworks.core.services.background import task_start
from whatworks.news import compose, jobs
from whatworks.news.errors import NewsError
from whatworks.news.models import Delivery, Issue, Topic

#: ``issue_update(topic=KEEP)``: leave the issue's topic as it is.
KEEP = object()

#: How far back the first issue looks when there is no earlier one.
FIRST_ISSUE_LOOKBACK = timedelta(days=31)


def _unique_slug(base: str) -> str:
    slug, n = base, 1
    while Issue.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def issue_draft(*, actor: User | None, now: datetime | None = None) -> Issue:
    """Draft this month's issue from everything new since the last sent one."""
    now = now or timezone.now()
    last = Issue.objects.filter(status=Issue.Status.SENT).order_by("-covers_until").first()
    since = last.covers_until if last else now - FIRST_ISSUE_LOOKBACK
    sections = compose.collect_sections(since=since, until=now)
    month = date_format(timezone.localtime(now), "F Y")
    intro = _(
        "Welcome to the whatworks newsletter for %(month)s: what is new since the last issue."
    ) % {"month": month}
    body = (
        f"{intro}\n\n{compose.sections_to_markdown(sections, base_url=settings.WHATWORKS_BASE_URL)}"
    )
    if not sections:
        body += _("Nothing new has been published since the last issue.") + "\n"
    issue = Issue(
        title=_("whatworks newsletter: %(month)s") % {"month": month},
        slug=_unique_slug(timezone.localtime(now).strftime("%Y-%m")),
        body=body,
        covers_from=since,
        covers_until=now,
        created_by=actor,
    )
    full_clean_or_raise(issue, NewsError)
    issue.save()
    audit_record(
        actor=actor,
        action=AuditAction.ISSUE_DRAFTED,
        target=issue,
        changes={"sections": [s.key for s in sections], "covers_from": since.isoformat()},
    )
    return issue


@transaction.atomic
def issue_update(
    *,
    actor: User | None,
    issue: Issue,
    title: str,
    body: str,
    topic: Topic | object | None = KEEP,
) -> Issue:
    """Change a draft's title and body, and (unless ``topic`` is left out) whom it goes
    to: ``None`` every subscriber, a topic only those who chose it."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    if issue.status != Issue.Status.DRAFT:
        raise NewsError(_("This issue has been sent and can no longer be changed."))
    before = Issue.objects.get(pk=issue.pk)
    issue.title, issue.body, issue.updated_at = title, body, timezone.now()
    if topic is not KEEP:
        issue.topic = topic  # type: ignore[assignment]
    full_clean_or_raise(issue, NewsError)
    issue.save()
    changes = diff_fields(before, issue, ["title", "topic"])
    if before.body != issue.body:
        changes["body"] = {"before": "…", "after": "…"}
    audit_record(actor=actor, action=AuditAction.ISSUE_UPDATED, target=issue, changes=changes)
    return issue


def _start_sending(*, actor: User | None, issue: Issue, label: str) -> None:
    record = task_start(
        actor=actor,
        kind="newsletter_send",
        label=label,
        job=jobs.NEWSLETTER_SEND_BATCH,
        args=[issue.pk],
        target=issue,
    )
    Issue.objects.filter(pk=issue.pk).update(task_record_id=record.pk)
    issue.task_record_id = record.pk


@transaction.atomic
def issue_send(*, actor: User | None, issue: Issue) -> Issue:
    """Send a draft to its recipients (every confirmed subscriber, or its topic's), in
    batches, through the task queue.  A scheduled issue sent now is no longer scheduled."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    if issue.status != Issue.Status.DRAFT:
        raise NewsError(_("This issue is already being sent or has been sent."))
    if not issue.body.strip():
        raise NewsError(_("Write the issue before sending it."), field="body")
    scheduled = issue.scheduled_for
    issue.status = Issue.Status.SENDING
    issue.send_started_at = timezone.now()
    issue.scheduled_for = None
    issue.save(update_fields=["status", "send_started_at", "scheduled_for"])
    audit_record(
        actor=actor,
        action=AuditAction.ISSUE_SENDING_STARTED,
        target=issue,
        changes={
            "status": {"before": "draft", "after": "sending"},
            **({"scheduled_for": scheduled.isoformat()} if scheduled else {}),
        },
    )
    _start_sending(actor=actor, issue=issue, label=_("Sending %(title)s") % {"title": issue.title})
    return issue


@transaction.atomic
def issue_resume(
    *, actor: User | None, issue: Issue, stale_after: timedelta = timedelta(minutes=10)
) -> Issue:
    """Carry on a send whose worker stopped: release its stale claims and start a batch.

    Deliveries are marked sent one by one as each message goes, so what was sent is never
    sent again; claims older than ``stale_after`` belonged to a worker that stopped.
    """
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    if issue.status != Issue.Status.SENDING:
        raise NewsError(_("Only an issue that is being sent can be resumed."))
    released = Delivery.objects.filter(
        issue=issue,
        status=Delivery.Status.CLAIMED,
        claimed_at__lte=timezone.now() - stale_after,
    ).update(status=Delivery.Status.PENDING, claim="", claimed_at=None)
    audit_record(
        actor=actor,
        action=AuditAction.ISSUE_SENDING_RESUMED,
        target=issue,
        changes={"released": released},
    )
    _start_sending(actor=actor, issue=issue, label=_("Resuming %(title)s") % {"title": issue.title})
    return issue


@transaction.atomic
def issue_schedule(*, actor: User | None, issue: Issue, when: datetime) -> Issue:
    """Send a draft by itself at ``when`` (a deferred task; :func:`issue_send_due` checks
    that it is still wanted).  Scheduling again moves it; the issue stays editable."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    if issue.status != Issue.Status.DRAFT:
        raise NewsError(_("This issue is already being sent or has been sent."))
    if not issue.body.strip():
        raise NewsError(_("Write the issue before scheduling it."), field="body")
    if when <= timezone.now():
        raise NewsError(
            _("Choose a time in the future, or send the issue now."), field="scheduled_for"
        )
    before = issue.scheduled_for
    issue.scheduled_for = when
    issue.save(update_fields=["scheduled_for"])
    audit_record(
        actor=actor,
        action=AuditAction.ISSUE_SCHEDULED,
        target=issue,
        changes={
            "scheduled_for": {
                "before": before.isoformat() if before else None,
                "after": when.isoformat(),
            }
        },
    )
    issue_id, stamp = issue.pk, when.isoformat()
    transaction.on_commit(
        lambda: queue.enqueue(jobs.NEWSLETTER_SEND_SCHEDULED, [issue_id, stamp], run_after=when)
    )
    return issue


@transaction.atomic
def issue_unschedule(*, actor: User | None, issue: Issue) -> Issue:
    """Keep a scheduled draft from going out by itself (its deferred task then does nothing)."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    if issue.status != Issue.Status.DRAFT or issue.scheduled_for is None:
        raise NewsError(_("This issue is not scheduled."))
    before = issue.scheduled_for
    issue.scheduled_for = None
    issue.save(update_fields=["scheduled_for"])
    audit_record(
        actor=actor,
        action=AuditAction.ISSUE_UNSCHEDULED,
        target=issue,
        changes={"scheduled_for": {"before": before.isoformat(), "after": None}},
    )
    return issue


def issue_send_due(*, issue_id: int, scheduled_for: str) -> bool:
    """Start sending a scheduled issue if it is still a draft scheduled for that time (it
    may have been moved, unscheduled or sent by hand since); return whether it started."""
    with transaction.atomic():
        issue = Issue.objects.select_for_update().filter(pk=issue_id).first()
        if (
            issue is None
            or issue.status != Issue.Status.DRAFT
            or issue.scheduled_for is None
            or issue.scheduled_for.isoformat() != scheduled_for
            or issue.scheduled_for > timezone.now()
        ):
            return False
        issue_send(actor=None, issue=issue)
    return True


@transaction.atomic
def issue_send_test(*, actor: User, issue: Issue) -> str:
    """E-mail the issue, as subscribers will get it, to the editor's own address only.

    Its unsubscribe and data links lead to the pages where a subscriber asks for them (the
    editor is no subscriber); the subject starts "[Test]".  Returns the address."""
    from django.urls import reverse

    from whatworks.core.links import absolute_url
    from whatworks.news.mail import test_message
    from whatworks.news.services.sending import render_issue

    if not actor.email:
        raise NewsError(_("Your account has no e-mail address to send the test to."))
    text, html = render_issue(issue)
    ask = absolute_url(reverse("news:manage_request"))
    for placeholder in ("{unsubscribe_url}", "{manage_url}"):
        text, html = text.replace(placeholder, ask), html.replace(placeholder, ask)
    audit_record(actor=actor, action=AuditAction.ISSUE_TEST_SENT, target=issue, changes={})
    message = test_message(subject=issue.title, text=text, html=html, to=actor.email)
    transaction.on_commit(message.send)
    return actor.email
