"""Capacity holds when many people register and cancel at once (real threads)."""

from __future__ import annotations

from functools import partial

import pytest
from django.db import connection

from tests.events.factories import make_event, register
from tests.threads import run_at_once
from whatworks.events.models import Registration
from whatworks.events.services import registrations

Status = Registration.Status


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_never_overbook() -> None:
    event = make_event(capacity=5)
    errors = run_at_once([partial(register, event, n) for n in range(20)])
    assert errors == []
    counts = {s: Registration.objects.filter(event=event, status=s).count() for s in Status}
    assert counts[Status.CONFIRMED] == 5
    assert counts[Status.WAITING] == 15
    if connection.vendor == "sqlite":
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.django_db(transaction=True)
def test_concurrent_cancellations_offer_each_place_once() -> None:
    event = make_event(capacity=4)
    people = [register(event, n) for n in range(10)]
    confirmed = [p for p in people if p.status == Status.CONFIRMED]
    errors = run_at_once(
        [partial(registrations.registration_cancel, actor=None, registration=r) for r in confirmed]
    )
    assert errors == []
    offered = list(Registration.objects.filter(event=event, status=Status.OFFERED).order_by("id"))
    assert [r.pk for r in offered] == [p.pk for p in people[4:8]]
    assert Registration.objects.filter(event=event, status=Status.WAITING).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_phones_scanning_one_ticket_record_one_check_in() -> None:
    """Both scans succeed (the second is told "already in"); one check-in is recorded."""
    from whatworks.core.models import AuditEntry
    from whatworks.events.services.checkin import registration_check_in

    event = make_event(capacity=3)
    person = register(event, 1)
    results: list[bool] = []
    errors = run_at_once(
        [
            lambda: results.append(
                registration_check_in(
                    actor=None, registration=Registration.objects.get(pk=person.pk)
                ).new
            )
            for _ in range(2)
        ]
    )
    assert errors == []
    assert sorted(results) == [False, True]
    assert AuditEntry.objects.filter(action="event.checked_in").count() == 1
    person.refresh_from_db()
    assert person.checked_in_at is not None
