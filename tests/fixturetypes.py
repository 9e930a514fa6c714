"""The types of the shared fixtures of tests/conftest.py, for the tests that take them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.test import Client

from whatworks.core.models import User
from whatworks.core.roles import Role

if TYPE_CHECKING:
    # What ``Client.get``/``post`` return: django-stubs names the test client's response
    # (``.content``, ``.context``, ``.json()``) only for type checking.
    from django.test.client import _MonkeyPatchedWSGIResponse as ClientResponse
else:
    from django.http import HttpResponse as ClientResponse

__all__ = ["ClientFor", "ClientResponse", "MakeUser", "ThrottleClock"]


class MakeUser(Protocol):
    """``make_user(role, **fields)``: a user holding one role (None: no role)."""

    def __call__(self, role: Role | None, **kwargs: Any) -> User: ...


class ClientFor(Protocol):
    """``client_for(role_name)``: the test client signed in with that role (see ROLES)."""

    def __call__(self, role_name: str, /) -> Client: ...


class ThrottleClock(Protocol):
    """The rate limits' frozen clock: called for the instant, ``advance`` moves it on."""

    now: datetime

    def __call__(self) -> datetime: ...

    def advance(self, seconds: float) -> None: ...
