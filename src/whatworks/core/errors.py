"""Domain errors, and the one place that shows them to people.

Every refusal of a service is a :class:`WhatworksError` (each part subclasses it: the
part's ``<Part>Error``).  It carries ``messages`` (every reason, each safe to show to the
person who caused it), ``message`` (them joined, for one-line answers), ``field`` (the
form field at fault, or ``None``) and ``by_field`` (the messages by field, when one
refusal names several fields).  A model's own validation becomes one through
:func:`full_clean_or_raise`; a view shows one through :func:`add_to_form` (on a form) or
:func:`add_to_messages` (on the page a view redirects to), which both turn
:class:`PermissionDeniedError` into a 403 and :class:`NotFoundError` into a 404.

Which it is follows from the class alone, so no view decides: a
:class:`PermissionDeniedError` is an access refusal (this page or object is not the
actor's to use at all), and every other refusal is one the person reads where they are
and can act on (answer differently, join an organisation first): the part's own error.

The core's own errors live here too: :class:`Throttled` (a rate limit, answered with the
429 page by ``core.middleware.ThrottleMiddleware``), :class:`SurveyError` and
:class:`PrivateDataError`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, Self

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import ngettext


class WhatworksError(Exception):
    """Base of every domain error; ``message`` (and each of ``messages``) is safe to show.

    ``message`` is one reason or a list of them (every problem at once); ``field`` names
    the form field at fault (``None``: the form as a whole).  ``by_field`` maps field
    names to their messages (``""``: the form as a whole), for one refusal about several
    fields at once; it is read after ``message``, whose reasons stay at ``field``.  Every
    error has ``by_field``; ``field`` is its one field, if it names just one.
    """

    def __init__(
        self,
        message: Any = "",
        *,
        field: str | None = None,
        by_field: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        listed = isinstance(message, list | tuple)
        own: list[Any] = [str(m) for m in message] if listed else [message]
        grouped: dict[str, list[Any]] = {}
        if by_field is None or own != [""]:
            grouped[field or ""] = own
        for name, reasons in (by_field or {}).items():
            grouped.setdefault(name or "", []).extend(reasons)
        messages = [m for reasons in grouped.values() for m in reasons]
        joined: Any = (
            message if not listed and messages == own else " ".join(str(m) for m in messages)
        )
        super().__init__(joined)
        self.message = joined
        self.messages: list[Any] = messages
        self.by_field = grouped
        named = [name for name in grouped if name]
        self.field: str | None = named[0] if len(grouped) == 1 and named else None

    @classmethod
    def from_validation(cls, error: ValidationError) -> Self:
        """The model's validation error as this domain error: every message, and the field
        when only one field is at fault."""
        fields = [f for f in getattr(error, "error_dict", {}) if f != "__all__"]
        field = fields[0] if len(fields) == 1 and len(error.error_dict) == 1 else None
        return cls(list(error.messages), field=field)


class CoreError(WhatworksError):
    """A core write was refused; the message says why."""


class DemoError(WhatworksError):
    """The demo data could not be loaded; the message says why."""


class MfaError(WhatworksError):
    """A second-factor step was refused; the message says what to do."""


class Throttled(WhatworksError):
    """Too many attempts: try again in ``retry_after`` seconds (HTTP 429).

    Raised by ``core.throttle``; a view lets it through and ``ThrottleMiddleware`` answers
    with the 429 page and ``Retry-After``.
    """

    def __init__(self, *, scope: str, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            ngettext(
                "Too many attempts from here in a short time. Please try again in %(n)d minute.",
                "Too many attempts from here in a short time. Please try again in %(n)d minutes.",
                minutes,
            )
            % {"n": minutes}
        )
        self.scope = scope
        self.retry_after = retry_after


class SurveyError(WhatworksError):
    """A survey could not be made, sent or read; the message says why (``core.surveys``)."""


class PrivateDataError(WhatworksError):
    """Private files could not be handled as the rules require; the message says why
    (``core.privatedata``)."""


class PermissionDeniedError(WhatworksError):
    """The actor may know the object exists but may not do this to it (HTTP 403)."""


class NotFoundError(WhatworksError):
    """The object does not exist, or the actor may not know that it does (HTTP 404)."""


class LinkInvalidError(Http404):
    """A link from an e-mail that was altered, has expired or names nothing any more (404).

    The 404 page then says "this link is not valid or has expired" and what to do instead:
    ``advice`` (a sentence) and ``steps``, (URL name, link text) pairs to go on from.
    """

    advice = "Links in our e-mails stop working after a while, or once they have been used."
    steps: tuple[tuple[str, str], ...] = (("core:home", "Go to the home page"),)

    def __init__(
        self,
        message: str = "This link is not valid or has expired.",
        *,
        advice: str | None = None,
        steps: tuple[tuple[str, str], ...] | None = None,
    ) -> None:
        super().__init__(message)
        if advice is not None:
            self.advice = advice
        if steps is not None:
            self.steps = steps


class _Validates(Protocol):
    def full_clean(self, exclude: Any = ..., validate_unique: bool = ...) -> None: ...


def full_clean_or_raise(
    obj: _Validates, error: type[WhatworksError], *, exclude: Sequence[str] | None = None
) -> None:
    """``obj.full_clean()``, its ``ValidationError`` raised as ``error`` (every message)."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise error.from_validation(exc) from None


def raise_as_http(error: WhatworksError) -> None:
    """A 403 for :class:`PermissionDeniedError`, a 404 for :class:`NotFoundError`."""
    if isinstance(error, PermissionDeniedError):
        raise PermissionDenied(error.message)
    if isinstance(error, NotFoundError):
        raise Http404(error.message)


def add_to_form(form: Any, error: WhatworksError, *, field: str | None = None) -> None:
    """Show a service's refusal in the form's error summary: each message at its field if
    the form has it, else at ``field`` (the field the view knows the refusal is about),
    else at the form as a whole; 403 and 404 stay HTTP answers."""
    raise_as_http(error)
    fields = getattr(form, "fields", {})
    fallback = field if field in fields else None
    for name, reasons in error.by_field.items():
        for message in reasons:
            form.add_error(name if name in fields else fallback, message)


def add_to_messages(request: HttpRequest, error: WhatworksError) -> None:
    """Show a service's refusal on the page the view redirects to (one message, every
    reason); 403 and 404 stay HTTP answers."""
    raise_as_http(error)
    flash.error(request, error.message)
