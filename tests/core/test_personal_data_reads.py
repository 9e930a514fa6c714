"""Every read of personal data is audited, with counts and numbers, never names or
addresses: call attachments, attendee lists and CSV, a panel member's data export, the
newsletter's subscriber list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from tests.calls.factories import submitted_application
from tests.events.factories import make_event, register
from tests.factories import UserFactory
from tests.panel.factories import make_member
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.news.models import Subscriber

pytestmark = pytest.mark.django_db


def _entry(action: str) -> AuditEntry:
    entry = AuditEntry.objects.get(action=action)
    assert "@" not in json.dumps(entry.changes) and "@" not in entry.object_repr
    return entry


def test_reading_an_attachment_is_audited(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    settings.PRIVATE_DATA_ROOT = tmp_path
    application = submitted_application()
    reviewer = UserFactory.create(roles=frozenset({Role.RESEARCHER}))
    client.force_login(reviewer)
    attachment = application.attachments.get()
    response = client.get(reverse("calls:attachment", args=[application.pk, attachment.pk]))
    assert response.status_code == 200
    entry = _entry("call.attachment_read")
    assert entry.actor_id == reviewer.pk and entry.object_id == str(application.pk)
    assert entry.changes == {"attachment": attachment.pk, "bytes": len(response.content)}


def test_attendee_lists_are_audited(client: Client) -> None:
    event = make_event(capacity=5)
    register(event, 1)
    register(event, 2)
    client.force_login(UserFactory.create(roles=frozenset({Role.EDITOR})))
    assert client.get(reverse("events:attendees", args=[event.slug])).status_code == 200
    assert _entry("event.attendees_viewed").changes == {"registrations": 2}
    assert client.get(reverse("events:attendees_csv", args=[event.slug])).status_code == 200
    assert _entry("event.attendees_exported").changes == {"rows": 2}


def test_a_member_data_export_is_audited(client: Client) -> None:
    member = make_member()
    assert member.user is not None
    client.force_login(member.user)
    data = json.loads(client.get(reverse("panel:export")).content)
    entry = _entry("panel.member_data_exported")
    assert entry.object_id == str(member.pk) and entry.changes == {"sections": len(data)}


def test_the_subscriber_list_in_the_admin_is_audited(client: Client) -> None:
    for n in range(3):
        Subscriber.objects.create(email=f"s{n}@example.test")
    admin = UserFactory.create(roles=frozenset({Role.ADMIN}), is_staff=True)
    client.force_login(admin)
    assert client.get("/admin/news/subscriber/").status_code == 200
    assert _entry("news.subscribers_listed").changes == {"shown": 3, "matching": 3}
    one = Subscriber.objects.first()
    assert one is not None
    assert client.get(f"/admin/news/subscriber/{one.pk}/change/").status_code == 200
    assert _entry("news.subscriber_viewed").changes == {"subscriber": one.pk}
