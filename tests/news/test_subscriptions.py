"""Double opt-in, consent as data, both unsubscribe paths, tampered links, export, erasure."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tests.confirm import post_confirmed
from tests.news import factories as f
from whatworks.core.models import AuditEntry
from whatworks.news.consent import CONSENT_TEXT, CONSENT_TEXT_VERSION
from whatworks.news.models import ConsentRecord, Subscriber

pytestmark = pytest.mark.django_db


def _link(body: str, name: str) -> str:
    match = re.search(rf"https://whatworks\.example(/news/newsletter/{name}/[^\s]+)", body)
    assert match, body
    return match.group(1)


def test_double_opt_in(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("news:subscribe"), {"email": " Reader@Example.TEST ", "consent": "on"}
        )
    assert response["Location"] == reverse("news:subscribe_done")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "reader@example.test"
    assert subscriber.status == Subscriber.Status.PENDING
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["reader@example.test"]

    consent = ConsentRecord.objects.get(subscriber=subscriber)
    assert consent.kind == ConsentRecord.Kind.GIVEN
    assert consent.text_version == CONSENT_TEXT_VERSION
    assert consent.text_sha256 == hashlib.sha256(CONSENT_TEXT.encode()).hexdigest()
    assert consent.source == "web form /news/newsletter/" and consent.recorded_at

    confirm = _link(str(mail.outbox[0].body), "confirm")
    page = client.get(confirm)
    assert page.status_code == 200 and "Confirm my subscription" in page.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING, "a GET (mail scanner) confirms nothing"

    assert client.post(confirm).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED and subscriber.confirmed_at
    kinds = list(subscriber.consents.values_list("kind", flat=True))
    assert kinds == ["given", "confirmed"]
    for entry in AuditEntry.objects.filter(action__startswith="subscriber."):
        assert "example.test" not in json.dumps(entry.changes) + entry.object_repr


def test_subscribing_needs_consent_and_a_valid_address(client: Client) -> None:
    page = client.post(reverse("news:subscribe"), {"email": "not-an-address"}).content.decode()
    assert "There is a problem" in page
    assert "Enter an e-mail address in the correct format" in page
    assert "Tick the box to agree" in page
    assert not Subscriber.objects.exists() and not mail.outbox


def test_subscribing_again_is_silent(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    f.subscriber(email="known@example.test")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("news:subscribe"), {"email": "known@example.test", "consent": "on"}
        )
    assert response["Location"] == reverse("news:subscribe_done")
    assert not mail.outbox
    assert Subscriber.objects.count() == 1


@pytest.mark.parametrize("purpose", ["confirm", "unsubscribe", "manage"])
def test_tampered_or_foreign_tokens_are_refused(client: Client, purpose: str) -> None:
    subscriber = f.subscriber(confirmed=False)
    good = {"confirm": f.confirm_token, "unsubscribe": f.unsubscribe_token,
            "manage": f.manage_token}[purpose](subscriber)  # fmt: skip
    name = {"confirm": "news:confirm", "unsubscribe": "news:unsubscribe", "manage": "news:manage"}
    tampered = [
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        good.replace(good.split(":")[0], "bm90LWEta2V5"),
        "nonsense",
    ]
    other = f.confirm_token(subscriber) if purpose != "confirm" else f.unsubscribe_token(subscriber)
    for token in [*tampered, other]:
        assert client.get(reverse(name[purpose], args=[token])).status_code == 404
        assert client.post(reverse(name[purpose], args=[token])).status_code in {404, 405}
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_unsubscribe_get_shows_a_confirmation_page_and_changes_nothing(client: Client) -> None:
    subscriber = f.subscriber()
    page = client.get(reverse("news:unsubscribe", args=[f.unsubscribe_token(subscriber)]))
    assert page.status_code == 200 and "Unsubscribe" in page.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED


def test_one_click_unsubscribe_is_a_post_without_csrf_or_cookie() -> None:
    from django.test import Client

    subscriber = f.subscriber()
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        reverse("news:unsubscribe", args=[f.unsubscribe_token(subscriber)]),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED and subscriber.unsubscribed_at
    withdrawn = subscriber.consents.get(kind=ConsentRecord.Kind.WITHDRAWN)
    assert withdrawn.source == "one-click (RFC 8058)"


def test_the_unsubscribe_page_button_unsubscribes(client: Client) -> None:
    subscriber = f.subscriber()
    url = reverse("news:unsubscribe", args=[f.unsubscribe_token(subscriber)])
    page = client.get(url).content.decode()
    assert f'action="{url}"' in page
    client.post(url, {"List-Unsubscribe": "One-Click"})
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_export_and_erase(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    subscriber = f.subscriber(email="me@example.test")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("news:manage_request"), {"email": "me@example.test"})
        client.post(reverse("news:manage_request"), {"email": "stranger@example.test"})
    assert [m.to for m in mail.outbox] == [["me@example.test"]]
    manage = _link(str(mail.outbox[0].body), "your-data")
    assert client.get(manage).status_code == 200

    export = client.get(manage + "export/")
    assert export["Content-Type"] == "application/json"
    data = json.loads(export.content)
    assert data["email"] == "me@example.test" and data["status"] == "confirmed"
    assert [c["kind"] for c in data["consents"]] == ["given", "confirmed"]
    assert data["consents"][0]["text_sha256"] == hashlib.sha256(CONSENT_TEXT.encode()).hexdigest()

    assert client.get(manage + "erase/").status_code == 405
    response = post_confirmed(client, manage + "erase/")
    assert response.status_code == 302
    assert not Subscriber.objects.filter(pk=subscriber.pk).exists()
    assert not ConsentRecord.objects.exists()
    assert client.get(manage).status_code == 404, "links die with the subscriber"
    erased = AuditEntry.objects.get(action="subscriber.erased")
    assert erased.object_repr == f"subscriber #{subscriber.pk}"
    assert not AuditEntry.objects.filter(object_repr__contains="@").exists()


def test_the_form_cannot_flood_a_mailbox(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from datetime import timedelta

    from whatworks.news.services import subscribers

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            subscribers.subscriber_subscribe(actor=None, email="victim@example.test", source="t")
    assert len(mail.outbox) == 1
    ConsentRecord.objects.update(
        recorded_at=ConsentRecord.objects.get().recorded_at - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        subscribers.subscriber_subscribe(actor=None, email="victim@example.test", source="t")
    assert len(mail.outbox) == 2, "after a while a lost e-mail can be sent again"


def test_confirmation_links_expire_after_a_week(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    subscriber = f.subscriber(confirmed=False)
    url = reverse("news:confirm", args=[f.confirm_token(subscriber)])
    leave = reverse("news:unsubscribe", args=[f.unsubscribe_token(subscriber)])
    assert client.get(url).status_code == 200
    now = time.time()
    monkeypatch.setattr("django.core.signing.time.time", lambda: now + 8 * 24 * 3600)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert client.get(leave).status_code == 200, "unsubscribe links never expire"
