"""Domain errors.  Each carries a message meant for the person who caused it."""

from __future__ import annotations


class WhatworksError(Exception):
    """Base of every domain error; ``message`` is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermissionDeniedError(WhatworksError):
    """The actor may know the object exists but may not do this to it (HTTP 403)."""


class NotFoundError(WhatworksError):
    """The object does not exist, or the actor may not know that it does (HTTP 404)."""
