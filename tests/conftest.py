"""Fixtures shared by the platform's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client

from tests.factories import user_with_role, verify_second_factor
from tests.fixturetypes import ClientFor, MakeUser, ThrottleClock
from whatworks.core.models import User
from whatworks.core.roles import Role

#: Every role a request can come with: None is a visitor, "registered" a signed-in person
#: with no role.
ROLES: tuple[str, ...] = ("visitor", "registered", *(role.value for role in Role))


@pytest.fixture(autouse=True)
def _force_login_gives_the_second_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    """``client.force_login`` also verifies the second factor through the verify page.

    Administrators, editors and LA analysts must give a code after their password
    (core/mfa.py); tests that sign such a person in with ``force_login`` get a session as
    they would after typing the code (``tests.factories.verify_second_factor``).  Tests of
    the second factor itself sign in through the sign-in page instead.
    """
    original = Client.force_login

    def force_login(self: Client, user: User, backend: str | None = None) -> None:
        original(self, user, backend)
        verify_second_factor(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def make_user() -> MakeUser:
    return user_with_role


@pytest.fixture
def client_for(client: Client, make_user: MakeUser) -> ClientFor:
    """A test client signed in with the given role name (see ROLES)."""

    def _client(role_name: str) -> Client:
        if role_name == "visitor":
            return client
        role = None if role_name == "registered" else Role(role_name)
        client.force_login(make_user(role))
        return client

    return _client


@pytest.fixture(autouse=True)
def _registry_guards_allow_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """Let SQLite empty the guarded tables (registry, audit log) after a transactional test.

    Registered protocol versions and published results refuse UPDATE and DELETE at the
    database (triggers).  pytest-django empties the database after a transactional test
    with DELETE on SQLite (PostgreSQL truncates, which row triggers do not see), so the
    guard is lifted just for that, then put back.  The transactional database is set up
    inside this fixture so that this teardown runs before its flush.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
        or (marker is not None and marker.kwargs.get("transaction"))
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    if connection.vendor != "sqlite":
        return
    from whatworks.core import auditlog
    from whatworks.registry import guards

    guards.remove(connection)
    auditlog.guards_remove(connection)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_resultsreport")
        cursor.execute("DELETE FROM registry_protocolversion")
        cursor.execute("DELETE FROM core_auditentry")
    guards.install(connection)
    auditlog.guards_install(connection)


@pytest.fixture
def throttle_clock(monkeypatch: pytest.MonkeyPatch) -> ThrottleClock:
    """Freeze the rate limits' clock (``core.throttle.clock``) at a fixed instant, the
    middle of an hour, so that no test depends on when it runs; ``.advance(seconds)`` moves
    it on."""
    from datetime import UTC, datetime, timedelta

    from whatworks.core import throttle

    class Clock:
        now = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)

        def __call__(self) -> datetime:
            return self.now

        def advance(self, seconds: float) -> None:
            self.now += timedelta(seconds=seconds)

    clock = Clock()
    monkeypatch.setattr(throttle, "clock", clock)
    return clock


@pytest.fixture(autouse=True)
def _private_data_root(request: pytest.FixtureRequest) -> None:
    """Child-level pilot data of every test under a temporary folder, never ./var/private:
    a worker started by any test sweeps the scratch area there at its start."""
    if "settings" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    settings = request.getfixturevalue("settings")
    settings.PRIVATE_DATA_ROOT = request.getfixturevalue("tmp_path_factory").mktemp("private")
