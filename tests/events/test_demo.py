"""The events and calls demo content loads, twice, without duplicates."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from whatworks.calls import demo as calls_demo
from whatworks.calls.models import Application, Call
from whatworks.core.demo import demo_load_core
from whatworks.events import demo as events_demo
from whatworks.events.models import Event, Registration


@pytest.fixture(autouse=True)
def _private_files(settings: Settings, tmp_path: Path) -> None:
    settings.PRIVATE_DATA_ROOT = tmp_path / "private"


@pytest.mark.django_db
def test_demo_is_idempotent() -> None:
    demo_load_core(password="demo password for tests")
    for _ in range(2):
        events_demo.load(stdout=io.StringIO())
        calls_demo.load(stdout=io.StringIO())
    assert Event.objects.count() == 3
    forum = Event.objects.get(slug="deliberative-forum-machine-learning-london")
    statuses = list(forum.registrations.values_list("status", flat=True))
    assert statuses.count(Registration.Status.WAITING) == 3
    assert statuses.count(Registration.Status.OFFERED) == 2
    assert Call.objects.count() == 3
    assert set(Application.objects.values_list("status", flat=True)) == {
        "received",
        "accepted",
        "declined",
    }
