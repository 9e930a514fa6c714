"""Domain errors.  Each carries a message meant for the person who caused it."""

from __future__ import annotations

from django.http import Http404


class WhatworksError(Exception):
    """Base of every domain error; ``message`` is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
