"""The editors' newsletter tools: test sends, schedules, topics, subscriber counts, the
text part and absolute addresses, bounces without a person, and counts that outlive
erasure."""

from __future__ import annotations

import mailbox
from collections import Counter
from datetime import timedelta
from email import message_from_string
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from tests.factories import user_with_role
from tests.news import factories as f
from tests.news.test_newsletter import run_queued_tasks
from whatworks.core.extensions import Registration, SectionProvider
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.news import bounces, compose
from whatworks.news.errors import NewsError
from whatworks.news.models import Delivery, Issue, Subscriber, Topic
from whatworks.news.services import issues
from whatworks.news.services import subscribers as subscribers_services
from whatworks.news.services.sending import render_issue

pytestmark = pytest.mark.django_db


def _topic(name: str = "Research") -> Topic:
    return Topic.objects.create(name=name, slug=name.lower())


def _editor_client(client: Client) -> tuple[Client, object]:
    editor = user_with_role(Role.EDITOR, email="editor@example.test")
    client.force_login(editor)
    return client, editor


# --- test sends -------------------------------------------------------------------------


def test_a_test_send_goes_to_the_editor_only(
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    f.subscriber()
    issue = f.draft_issue()
    client, _editor = _editor_client(client)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("news:issue_test", args=[issue.pk]))
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["editor@example.test"]
    assert message.subject == f"[Test] {issue.title}"
    assert "{unsubscribe_url}" not in message.body and "/news/newsletter/your-data/" in message.body
    assert "List-Unsubscribe" not in message.extra_headers
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT and not issue.deliveries.exists()
    assert AuditEntry.objects.filter(action="issue.test_sent").count() == 1


# --- scheduling -------------------------------------------------------------------------


def test_a_scheduled_issue_sends_itself_only_at_the_time_still_chosen() -> None:
    f.subscriber()
    issue = f.draft_issue()
    soon = timezone.now() + timedelta(hours=1)
    with pytest.raises(NewsError, match="future"):
        issues.issue_schedule(actor=None, issue=issue, when=timezone.now() - timedelta(1))
    issues.issue_schedule(actor=None, issue=issue, when=soon)
    first = soon.isoformat()
    # too early: nothing happens
    assert issues.issue_send_due(issue_id=issue.pk, scheduled_for=first) is False
    later = soon + timedelta(hours=1)
    issues.issue_schedule(actor=None, issue=issue, when=later)  # moved
    Issue.objects.filter(pk=issue.pk).update(scheduled_for=timezone.now() - timedelta(minutes=1))
    moved_to = Issue.objects.get(pk=issue.pk).scheduled_for
    assert moved_to is not None
    # the first schedule's task wakes up: the issue is no longer scheduled for then
    assert issues.issue_send_due(issue_id=issue.pk, scheduled_for=first) is False
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.DRAFT
    assert issues.issue_send_due(issue_id=issue.pk, scheduled_for=moved_to.isoformat())
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENDING and issue.scheduled_for is None


def test_an_unscheduled_issue_stays_a_draft() -> None:
    issue = f.draft_issue()
    when = timezone.now() + timedelta(hours=1)
    issues.issue_schedule(actor=None, issue=issue, when=when)
    issues.issue_unschedule(actor=None, issue=issue)
    assert issues.issue_send_due(issue_id=issue.pk, scheduled_for=when.isoformat()) is False
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.DRAFT


@pytest.mark.django_db(transaction=True)
def test_scheduling_defers_the_task_to_the_chosen_time() -> None:
    from django_tasks_db.models import DBTaskResult

    issue = f.draft_issue()
    when = timezone.now() + timedelta(days=1)
    issues.issue_schedule(actor=None, issue=issue, when=when)
    (queued,) = DBTaskResult.objects.filter(task_path__endswith="newsletter_send_scheduled")
    assert queued.run_after == when
    run_queued_tasks()  # not due: the worker leaves it
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.DRAFT


def test_the_schedule_form_refuses_a_past_time_with_a_message(client: Client) -> None:
    issue = f.draft_issue()
    client, _ = _editor_client(client)
    page = client.post(
        reverse("news:issue_schedule", args=[issue.pk]), {"scheduled_for": "2001-01-01 09:00"}
    ).content.decode()
    assert "Send at: Choose a time in the future" in page
    assert Issue.objects.get(pk=issue.pk).scheduled_for is None


# --- topics and counts ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_issue_for_a_topic_goes_only_to_those_who_chose_it() -> None:
    research = _topic()
    chose = f.subscriber()
    subscribers_services.subscriber_set_topics(actor=None, subscriber=chose, topics=[research])
    f.subscriber()  # chose nothing
    issue = f.draft_issue()
    issues.issue_update(actor=None, issue=issue, title=issue.title, body=issue.body, topic=research)
    mail.outbox.clear()
    issues.issue_send(actor=None, issue=issue)
    run_queued_tasks()
    assert [m.to for m in mail.outbox] == [[chose.email]]


def test_subscribers_choose_topics_when_subscribing_and_from_their_link(client: Client) -> None:
    research, events = _topic(), _topic("Events")
    response = client.post(
        reverse("news:subscribe"),
        {"email": "new@example.test", "consent": "on", "topics": [research.pk]},
    )
    assert response.status_code == 302
    sub = Subscriber.objects.get(email="new@example.test")
    assert list(sub.topics.all()) == [research]
    token = f.manage_token(sub)
    page = client.get(reverse("news:manage", args=[token])).content.decode()
    assert "Topics you want to hear about" in page and "Events" in page
    client.post(reverse("news:manage_topics", args=[token]), {"topics": [events.pk]})
    assert list(sub.topics.all()) == [events]
    assert AuditEntry.objects.filter(action="subscriber.topics_changed").count() == 1


def test_the_management_page_counts_subscribers_by_state_and_topic(client: Client) -> None:
    research = _topic()
    for _ in range(3):
        f.subscriber()
    picked = f.subscriber()
    subscribers_services.subscriber_set_topics(actor=None, subscriber=picked, topics=[research])
    f.subscriber(confirmed=False)
    client, _ = _editor_client(client)
    page = client.get(reverse("news:manage_home")).content.decode()
    assert "4 subscribers get the newsletter." in page
    assert '<th scope="row">Waiting for confirmation</th><td>1</td>' in page
    assert '<th scope="row">Research</th><td>1</td>' in page


# --- the e-mail's parts -----------------------------------------------------------------


def test_the_text_part_is_read_from_the_html_not_the_markdown() -> None:
    image_post = f.post(title="Fresh *post*")
    issue = f.draft_issue()
    body = issue.body + "\n![A chart of referrals](/news/images/abc/)\n\n1. First\n2. Second\n"
    issues.issue_update(actor=None, issue=issue, title="November", body=body)
    text, html = render_issue(Issue.objects.get(pk=issue.pk))
    assert "\\*" not in text and "](<" not in text and "##" not in text
    assert f"Fresh *post* (https://whatworks.example{image_post.get_absolute_url()})" in text
    assert "From the blog\n-------------" in text
    assert "[Image: A chart of referrals]" in text
    assert "1. First\n2. Second" in text
    assert 'src="https://whatworks.example/news/images/abc/"' in html


def test_feeds_give_images_and_links_their_full_address(client: Client) -> None:
    f.post(body="See ![the chart](/news/images/abc/) and [the register](/registry/).")
    feed = client.get(reverse("news:feed_rss")).content.decode()
    assert "https://whatworks.example/news/images/abc/" in feed
    assert "https://whatworks.example/registry/" in feed
    assert 'src="/news' not in feed and "src=&quot;/news" not in feed


def test_the_composer_shortens_long_summaries_at_a_word() -> None:
    long = "word " * 60 + "end"
    registration: Registration[SectionProvider] = Registration(
        key="x", provider=lambda **_: None, order=50
    )
    section = compose._section(
        registration, {"items": [{"title": "T", "url": "/x/", "summary": long}]}
    )
    assert section is not None
    summary = section.items[0].summary
    assert summary.endswith("\u2026") and len(summary) <= compose.SUMMARY_LIMIT
    assert summary[:-1].endswith("word")


# --- bounces without a person -----------------------------------------------------------


def _post_webhook(client: Client, body: bytes, secret: str | None) -> int:
    headers: dict[str, Any] = {}
    if secret is not None:
        headers["HTTP_X_WHATWORKS_SIGNATURE"] = bounces.signature(body, secret)
    return client.post(
        reverse("news:bounce_webhook"), body, content_type="application/json", **headers
    ).status_code


def test_the_bounce_webhook_needs_its_secret_and_a_signature(
    client: Client, settings: Settings
) -> None:
    reader = f.subscriber(email="gone@example.test")
    body = b'{"RecordType": "Bounce", "Type": "HardBounce", "Email": "GONE@example.test"}'
    settings.WHATWORKS_NEWSLETTER_BOUNCE_SECRET = ""
    assert _post_webhook(client, body, "anything") == 404
    settings.WHATWORKS_NEWSLETTER_BOUNCE_SECRET = "s3cret"
    assert _post_webhook(client, body, None) == 403
    assert _post_webhook(client, body, "wrong") == 403
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.CONFIRMED
    assert _post_webhook(client, body, "s3cret") == 200
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.BOUNCED
    entry = AuditEntry.objects.get(action="subscriber.bounced")
    assert entry.changes["source"] == "webhook"
    assert _post_webhook(client, b"not json", "s3cret") == 400


def test_soft_bounces_are_ignored_and_event_lists_are_read() -> None:
    assert (
        bounces.addresses_from_webhook(
            b'{"RecordType": "Bounce", "Type": "SoftBounce", "Email": "a@example.test"}'
        )
        == []
    )
    assert bounces.addresses_from_webhook(
        b'{"events": [{"email": "a@example.test", "type": "bounce", "permanent": false},'
        b' {"email": "b@example.test", "type": "bounce", "permanent": true}]}'
    ) == ["b@example.test"]


def _dsn(recipient: str, action: str, status: str) -> Message:
    """A delivery-status notification as a mail server writes one (RFC 3464)."""
    return message_from_string(
        "From: MAILER-DAEMON@mx.example.test\n"
        "To: bounces@whatworks.example\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n"
        "--B\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.test\n\n"
        f"Final-Recipient: rfc822; {recipient}\nAction: {action}\nStatus: {status}\n"
        "--B--\n"
    )


def test_the_command_reads_bounce_messages_from_a_mailbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hard = f.subscriber(email="hard@example.test")
    soft = f.subscriber(email="soft@example.test")
    path = tmp_path / "bounces.mbox"
    box = mailbox.mbox(str(path))
    box.add(_dsn("hard@example.test", "failed", "5.1.1"))
    box.add(_dsn("soft@example.test", "delayed", "4.4.1"))
    box.add(_dsn("stranger@example.test", "failed", "5.1.1"))
    box.close()
    call_command("newsletter_bounces", "--mbox", str(path))
    out = capsys.readouterr().out
    assert "3 message(s) read; 2 failed recipient(s) found." in out
    assert "1 address(es) marked as bounced; 1 not on the list." in out
    hard.refresh_from_db()
    soft.refresh_from_db()
    assert hard.status == Subscriber.Status.BOUNCED
    assert soft.status == Subscriber.Status.CONFIRMED


# --- counts that outlive erasure --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sent_counts_do_not_change_when_a_subscriber_erases_their_data(client: Client) -> None:
    readers = [f.subscriber() for _ in range(3)]
    issue = f.draft_issue()
    issues.issue_send(actor=None, issue=issue)
    run_queued_tasks()
    before = Counter(Delivery.objects.filter(issue=issue).values_list("status", flat=True))
    assert before == {"sent": 3}
    subscribers_services.subscriber_erase(actor=None, subscriber=readers[0])
    assert not Subscriber.objects.filter(pk=readers[0].pk).exists()
    after = Counter(Delivery.objects.filter(issue=issue).values_list("status", flat=True))
    assert after == before
    assert Delivery.objects.filter(issue=issue, subscriber__isnull=True).count() == 1
    editor = user_with_role(Role.EDITOR)
    client.force_login(editor)
    page = client.get(reverse("news:issue_edit", args=[issue.pk])).content.decode()
    assert "<li>Sent: 3</li>" in page
