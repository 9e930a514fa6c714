"""Reminders before an event: once, to confirmed attendees only, with the joining link."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from tests.events.factories import make_event, register
from whatworks.events.services.staff import event_cancel, reminders_send

pytestmark = pytest.mark.django_db

JOIN = "https://meet.example/room-42"


def test_confirmed_attendees_are_reminded_once_with_the_joining_link(
    settings: Settings, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    settings.WHATWORKS_EVENTS_REMINDER_HOURS = 48
    now = timezone.now()
    event = make_event(
        capacity=1,
        mode="online",
        venue="",
        online_url=JOIN,
        starts_at=now + timedelta(hours=30),
        ends_at=now + timedelta(hours=32),
        registration_closes_at=now + timedelta(hours=29),
    )
    confirmed = register(event, 1)
    register(event, 2)  # waiting: no reminder
    later = make_event(starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=5, hours=2))
    register(later, 3)  # too far off yet
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=now) == 1
    (reminder,) = mail.outbox
    assert reminder.to == [confirmed.email] and "Reminder" in reminder.subject
    assert JOIN in reminder.body
    assert {a[2] for a in reminder.attachments} == {"text/calendar", "image/png"}
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=now + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1


def test_a_cancelled_event_sends_no_reminder(settings: Settings) -> None:
    now = timezone.now()
    event = make_event(
        starts_at=now + timedelta(hours=5),
        ends_at=now + timedelta(hours=7),
        registration_closes_at=now + timedelta(hours=4),
    )
    register(event, 1)
    event_cancel(actor=None, event=event)
    assert reminders_send(now=now) == 0


def test_the_command_sends_them(settings: Settings) -> None:
    now = timezone.now()
    event = make_event(
        starts_at=now + timedelta(hours=5),
        ends_at=now + timedelta(hours=7),
        registration_closes_at=now + timedelta(hours=4),
    )
    register(event, 1)
    out = io.StringIO()
    call_command("events_send_reminders", stdout=out)
    assert "1 reminder(s) sent." in out.getvalue()
