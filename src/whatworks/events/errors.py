"""The refusals of events' services."""

from __future__ import annotations

from whatworks.core.errors import WhatworksError


class EventError(WhatworksError):
    """A registration or event change was refused; the message says why."""


class AlreadyRegisteredError(EventError):
    """The address already has an active registration for the event.  Pages must not show
    this to whoever typed the address (anyone could test addresses): they answer as for a
    new registration and e-mail the address its link (``registration_remind``)."""

    def __init__(self, registration_id: int) -> None:
        super().__init__("This address is already registered for the event.")
        self.registration_id = registration_id
