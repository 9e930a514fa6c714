"""Fixtures shared by the platform's tests."""

from __future__ import annotations

import pytest

from tests.factories import user_with_role
from whatworks.core.roles import Role

#: Every role a request can come with: None is a visitor, "registered" a signed-in person
#: with no role.
ROLES: tuple[str, ...] = ("visitor", "registered", *(role.value for role in Role))


@pytest.fixture
def make_user():  # type: ignore[no-untyped-def]
    return user_with_role


@pytest.fixture
def client_for(client, make_user):  # type: ignore[no-untyped-def]
    """A test client signed in with the given role name (see ROLES)."""

    def _client(role_name: str):  # type: ignore[no-untyped-def]
        if role_name == "visitor":
            return client
        role = None if role_name == "registered" else Role(role_name)
        client.force_login(make_user(role))
        return client

    return _client
