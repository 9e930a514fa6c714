"""The request types of our views, so that ``request.user`` is typed for what it is.

Django types ``request.user`` as ``User | AnonymousUser``.  A view that only signed-in
people reach (behind :func:`~whatworks.core.access.require_permission` or
``login_required``, or an admin action) annotates its request as
:class:`AuthedHttpRequest`, whose ``user`` is our :class:`~whatworks.core.models.User`::

    @require_permission("events.change_event")
    def edit(request: AuthedHttpRequest, slug: str) -> HttpResponse:
        services.event_update(actor=request.user, ...)

A view that anyone reaches keeps ``HttpRequest`` (or :class:`HtmxHttpRequest`, for
``request.htmx``) and hands ``request.user`` to selectors that take :data:`AnyUser`.
Where the type cannot be declared (an admin method's signature is Django's),
:func:`request_user` gives the signed-in user.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from whatworks.core.models import User

#: Whoever is asking: a signed-in user or a visitor.
AnyUser = User | AnonymousUser


class HtmxHttpRequest(HttpRequest):
    """A request with django-htmx's ``request.htmx`` (its middleware is always on)."""

    htmx: HtmxDetails


class AuthedHttpRequest(HtmxHttpRequest):
    """A request of a signed-in user: only views behind a sign-in check take one."""

    user: User


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a request that only signed-in people reach."""
    user = request.user
    assert isinstance(user, User), "only signed-in people reach this"
    return user
