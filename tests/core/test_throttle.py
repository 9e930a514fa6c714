"""The one throttle: counting in the database, a sliding window, trusted client addresses."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from pytest_django.fixtures import Settings

from tests.fixturetypes import ThrottleClock
from whatworks.core.errors import Throttled
from whatworks.core.models import AuditEntry, ThrottleCounter
from whatworks.core.throttle import Rate, client_address, throttle_hit

pytestmark = pytest.mark.django_db

RATE = Rate(limit=3, per=600)


def _hits(n: int, key: str = "192.0.2.1") -> None:
    for _ in range(n):
        throttle_hit(scope="test.scope", key=key, rate=RATE)


def test_the_attempt_over_the_limit_is_refused_with_when_to_retry(
    throttle_clock: ThrottleClock,
) -> None:
    _hits(3)
    with pytest.raises(Throttled) as refused:
        _hits(1)
    # the clock stands 30 minutes into the hour, at the start of a 10-minute window
    assert refused.value.retry_after == 600
    assert "try again in 10 minutes" in refused.value.message
    _hits(1, key="192.0.2.2")  # another client is counted apart
    throttle_hit(scope="other.scope", key="192.0.2.1", rate=RATE)  # so is another scope


def test_counters_are_in_the_database_and_hold_no_address(throttle_clock: ThrottleClock) -> None:
    _hits(2)
    (row,) = ThrottleCounter.objects.all()
    assert row.count == 2 and "192.0.2.1" not in row.key and len(row.key) == 64


def test_the_window_slides_so_a_boundary_does_not_double_the_rate(
    throttle_clock: ThrottleClock,
) -> None:
    throttle_clock.advance(540)  # 10:39, 9 minutes into the 10:30 window
    _hits(3)
    throttle_clock.advance(120)  # 10:41: 1 + 3 x (1 - 60/600) = 3.7 over the last 10 minutes
    with pytest.raises(Throttled):
        _hits(1)
    throttle_clock.advance(540)  # 10:50: the 10:30 window has slid out; 10:40 holds 1
    _hits(1)  # 1 + 1 x (1 - 0/600) = 2
    _hits(1)  # 3
    with pytest.raises(Throttled):
        _hits(1)


def test_the_first_refusal_in_a_window_is_audited_without_the_address(
    throttle_clock: ThrottleClock,
) -> None:
    _hits(3)
    for _ in range(5):
        with pytest.raises(Throttled):
            _hits(1)
    (entry,) = AuditEntry.objects.filter(action="throttle.refused")
    assert entry.changes == {"scope": "test.scope", "limit": 3, "per_seconds": 600}
    assert "192.0.2.1" not in str(entry.changes)


def test_operators_can_change_a_rate(settings: Settings, throttle_clock: ThrottleClock) -> None:
    settings.WHATWORKS_THROTTLE_RATES = {"test.scope": "1/60"}
    _hits(1)
    with pytest.raises(Throttled):
        _hits(1)


def test_rates_are_checked() -> None:
    with pytest.raises(ValueError, match="period of 1 to 86400"):
        Rate(limit=1, per=2 * 86400)
    assert Rate.parse("5/3600") == Rate(limit=5, per=3600)


def test_old_counters_are_purged(throttle_clock: ThrottleClock) -> None:
    _hits(1)
    throttle_clock.advance(2 * 86400 + 600)
    _hits(1)
    out = io.StringIO()
    call_command("throttle_purge", stdout=out)
    assert out.getvalue().strip() == "1 old rate-limit counter deleted."
    assert ThrottleCounter.objects.count() == 1


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        # no proxy of ours: the header is the client's own claim and is ignored
        (0, "198.51.100.7", "203.0.113.9", "198.51.100.7"),
        # one load balancer: the address it saw is the last entry
        (1, "10.0.0.2", "203.0.113.9, 198.51.100.7", "198.51.100.7"),
        # two proxies: the second from the right
        (2, "10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.1", "198.51.100.7"),
        # fewer entries than proxies, or rubbish: the connection's address
        (2, "10.0.0.2", "198.51.100.7", "10.0.0.2"),
        (1, "10.0.0.2", "not-an-address", "10.0.0.2"),
        # IPv6 counts per /64; IPv4-mapped IPv6 as IPv4
        (0, "2001:db8:1:2:3:4:5:6", "", "2001:db8:1:2::/64"),
        (0, "::ffff:192.0.2.5", "", "192.0.2.5"),
    ],
)
def test_the_client_address_comes_from_a_trusted_source(
    settings: Settings, proxies: int, remote: str, forwarded: str, expected: str
) -> None:
    settings.WHATWORKS_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_an_attempt_within_the_limit_is_one_statement(throttle_clock: ThrottleClock) -> None:
    """Every throttled request pays for this: one upsert that counts the attempt and reads
    the window before (docs/benchmarks.md, the vote endpoint)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    throttle_clock.advance(-600)  # the window before holds one attempt
    _hits(1)
    throttle_clock.advance(600)
    with CaptureQueriesContext(connection) as new_window:
        _hits(1)
    with CaptureQueriesContext(connection) as same_window:
        _hits(1)
    for done in (new_window, same_window):
        (query,) = done.captured_queries
        assert query["sql"].replace('"', "").startswith("INSERT INTO core_throttlecounter")
    # 2 in this window + 1 x (1 - 0/600) from the one before = 3: the next is refused
    with pytest.raises(Throttled):
        _hits(1)
    assert sorted(ThrottleCounter.objects.values_list("count", flat=True)) == [1, 3]
