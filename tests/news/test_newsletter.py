"""Issues: drafting from every part, preview, batched sending that survives a restart,
per-recipient status, one-click unsubscribe headers, bounces and the archive."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import user_with_role
from tests.news import factories as f
from whatworks.core.extensions import newsletter_sections
from whatworks.core.roles import Role
from whatworks.core.tasks_support import make_worker
from whatworks.news.errors import NewsError
from whatworks.news.models import Delivery, Issue, Subscriber
from whatworks.news.services import issues, sending, subscribers


def run_queued_tasks() -> None:
    make_worker(worker_id="news-test-worker", batch=True, interval=0).run()


@pytest.mark.django_db
def test_the_draft_gathers_what_is_new_from_every_registered_part() -> None:
    old = f.post(title="Old news", publish_at=timezone.now() - timedelta(days=60))
    f.sent_issue()  # covers everything up to now
    Issue.objects.update(covers_until=timezone.now() - timedelta(days=30))
    new = f.post(title="Fresh *post*")
    f.post(title="Not yet", publish_at=timezone.now() + timedelta(days=2))

    def events(*, since: Any, until: Any) -> dict[str, Any]:
        return {
            "heading": "Upcoming events",
            "items": [{"title": "#iuseevidence day", "url": "/events/x/", "when": "3 Dec"}],
        }

    def broken(*, since: Any, until: Any) -> None:
        raise RuntimeError("this part is half built")

    # Stand-in parts under their own keys: the real providers stay registered untouched.
    newsletter_sections.register("test-events", events, order=20)
    newsletter_sections.register("test-broken", broken, order=30)
    try:
        issue = issues.issue_draft(actor=None)
    finally:
        newsletter_sections.unregister("test-events")
        newsletter_sections.unregister("test-broken")
    body = issue.body
    assert "## From the blog" in body and "## Upcoming events" in body
    assert body.index("From the blog") < body.index("Upcoming events")
    assert f"[Fresh \\*post\\*](<https://whatworks.example{new.get_absolute_url()}>)" in body
    assert "Old news" not in body and "Not yet" not in body and old.title not in body
    assert "(3 Dec)" in body and "https://whatworks.example/events/x/" in body
    assert issue.status == Issue.Status.DRAFT


@pytest.mark.django_db
def test_an_editor_drafts_edits_and_previews_an_issue(client: Client) -> None:
    f.post(title="A post")
    client.force_login(user_with_role(Role.EDITOR))
    response = client.post(reverse("news:issue_new"))
    issue = Issue.objects.get()
    assert response["Location"] == reverse("news:issue_edit", args=[issue.pk])
    client.post(
        reverse("news:issue_edit", args=[issue.pk]),
        {"title": "November", "body": "Hello <script>x()</script>\n\n## Posts\n\n- one"},
    )
    issue.refresh_from_db()
    assert issue.title == "November" and issue.body.startswith("Hello")
    preview = client.get(reverse("news:issue_preview", args=[issue.pk])).content.decode()
    assert "<h3>Posts</h3>" in preview, "a ## heading sits below the page's own h2"
    assert "<script>x()" not in preview
    assert "Unsubscribe: {unsubscribe_url}" in preview


@pytest.mark.django_db(transaction=True)
def test_sending_goes_in_batches_and_a_restart_neither_skips_nor_double_sends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sending, "BATCH_SIZE", 10)
    readers = [f.subscriber() for _ in range(25)]
    gone = f.subscriber()
    subscribers.subscriber_unsubscribe(actor=None, subscriber=gone, source="test")
    bounced = f.subscriber(email="bounce@example.test")
    subscribers.subscriber_mark_bounced(actor=None, email="BOUNCE@example.test")
    f.subscriber(confirmed=False)
    issue = f.draft_issue()
    mail.outbox.clear()

    class CrashingConnection:
        """The worker "dies" (the connection drops) while sending the 13th message."""

        sent = 0

        def __init__(self) -> None:
            self.inner: BaseEmailBackend = get_connection(
                "django.core.mail.backends.locmem.EmailBackend"
            )

        def open(self) -> None:
            self.inner.open()

        def close(self) -> None:
            self.inner.close()

        def send_messages(self, messages: list[Any]) -> int:
            if CrashingConnection.sent == 12:
                raise ConnectionError("worker lost mid-send")
            CrashingConnection.sent += 1
            return self.inner.send_messages(messages)

    monkeypatch.setattr(sending, "mail_batch_connection", CrashingConnection)
    issues.issue_send(actor=None, issue=issue)
    run_queued_tasks()

    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENDING
    counts = Counter(issue.deliveries.values_list("status", flat=True))
    assert counts == {"sent": 12, "claimed": 8, "pending": 5}
    assert len(mail.outbox) == 12

    # The worker comes back: stale claims are released and sending carries on.
    monkeypatch.undo()
    monkeypatch.setattr(sending, "BATCH_SIZE", 10)
    issues.issue_resume(actor=None, issue=issue, stale_after=timedelta(0))
    run_queued_tasks()

    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT and issue.sent_at
    recipients = Counter(address for message in mail.outbox for address in message.to)
    assert set(recipients) == {r.email for r in readers}, "nobody skipped, nobody extra"
    assert set(recipients.values()) == {1}, "nobody sent twice"
    assert gone.email not in recipients and bounced.email not in recipients
    assert Counter(issue.deliveries.values_list("status", flat=True)) == {"sent": 25}
    assert Delivery.objects.filter(issue=issue, sent_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_each_message_has_one_click_unsubscribe_headers() -> None:
    reader = f.subscriber()
    issue = f.draft_issue()
    mail.outbox.clear()
    issues.issue_send(actor=None, issue=issue)
    run_queued_tasks()
    (message,) = mail.outbox
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<https://whatworks.example/news/newsletter/unsubscribe/")
    url = header.strip("<>").removeprefix("https://whatworks.example")
    assert url in message.body
    assert isinstance(message, EmailMultiAlternatives)
    html = message.alternatives[0][0]
    assert url in str(html) and "{unsubscribe_url}" not in str(html)
    from django.test import Client

    Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.UNSUBSCRIBED


@pytest.mark.django_db(transaction=True)
def test_bounces_and_unsubscribes_stop_sends_already_queued(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    readers = [f.subscriber() for _ in range(4)]
    issue = f.draft_issue()
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENDING)
    issue.refresh_from_db()
    sending.prepare_deliveries(issue=issue)
    assert issue.deliveries.count() == 4
    subscribers.subscriber_mark_bounced(actor=None, email=readers[0].email)
    subscribers.subscriber_unsubscribe(actor=None, subscriber=readers[1], source="test")
    # A delivery already claimed when its subscriber bounces is skipped at send time: the
    # bounce lands (behind the service's back) between the claim and the sending.
    claim = sending._claim

    def claim_then_bounce(**kwargs: Any) -> str:
        claimed = claim(**kwargs)
        assert Delivery.objects.get(subscriber=readers[2]).status == Delivery.Status.CLAIMED
        Subscriber.objects.filter(pk=readers[2].pk).update(status=Subscriber.Status.BOUNCED)
        return claimed

    monkeypatch.setattr(sending, "_claim", claim_then_bounce)
    mail.outbox.clear()
    sending.send_batch(issue_id=issue.pk)
    assert [m.to for m in mail.outbox] == [[readers[3].email]]
    statuses = dict(issue.deliveries.values_list("subscriber_id", "status"))
    assert statuses == {
        readers[0].pk: "skipped",
        readers[1].pk: "skipped",
        readers[2].pk: "skipped",
        readers[3].pk: "sent",
    }
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT


@pytest.mark.django_db
def test_the_bounce_command_marks_addresses(capsys: pytest.CaptureFixture[str]) -> None:
    from django.core.management import call_command

    reader = f.subscriber(email="gone@example.test")
    call_command("newsletter_bounces", "Gone@example.test", "unknown@example.test")
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.BOUNCED
    assert "1 address(es) marked as bounced; 1 not on the list." in capsys.readouterr().out


@pytest.mark.django_db
def test_a_sent_issue_cannot_be_changed_or_sent_again() -> None:
    issue = f.sent_issue()
    with pytest.raises(NewsError):
        issues.issue_update(actor=None, issue=issue, title="x", body="y")
    with pytest.raises(NewsError):
        issues.issue_send(actor=None, issue=issue)


@pytest.mark.django_db
def test_the_archive_shows_sent_issues_only(client: Client) -> None:
    sent = f.sent_issue()
    Issue.objects.filter(pk=sent.pk).update(title="Last month's issue")
    draft = issues.issue_draft(actor=None)
    Issue.objects.filter(pk=draft.pk).update(title="Unfinished draft")
    page = client.get(reverse("news:archive")).content.decode()
    assert "Last month&#x27;s issue" in page and "Unfinished draft" not in page
    assert client.get(reverse("news:archive_issue", args=[sent.slug])).status_code == 200
    assert client.get(reverse("news:archive_issue", args=[draft.slug])).status_code == 404
