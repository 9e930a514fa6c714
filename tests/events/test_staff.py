"""Attendee list, CSV export (formula-safe) and check-in."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from tests.events.factories import make_event, register
from tests.fixturetypes import MakeUser
from whatworks.core.roles import Role
from whatworks.events.models import Registration

pytestmark = pytest.mark.django_db


def test_csv_export_is_safe_against_formula_injection(client: Client, make_user: MakeUser) -> None:
    event = make_event()
    registration_create_name = '=HYPERLINK("http://evil","x")'
    Registration.objects.create(
        event=event, name=registration_create_name, email="e@example.test", status="confirmed"
    )
    client.force_login(make_user(Role.EDITOR))
    response = client.get(reverse("events:attendees_csv", args=[event.slug]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["name", "email", "status"]
    assert rows[1][0] == "'" + registration_create_name


def test_check_in_marks_the_attendee(client: Client, make_user: MakeUser) -> None:
    event = make_event()
    registration = register(event, 1)
    client.force_login(make_user(Role.EDITOR))
    page = client.get(reverse("events:check_in", args=[event.slug]), {"q": "Person 1"})
    assert "Person 1" in page.content.decode()
    response = client.post(
        reverse("events:check_in_person", args=[event.slug, registration.pk]), {"q": "Person"}
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.checked_in_at is not None
