"""The panel's domain error."""

from __future__ import annotations

from whatworks.core.errors import WhatworksError


class PanelError(WhatworksError):
    """A panel write was refused; the message says why and is safe to show."""


class PollClosedError(PanelError):
    """The poll is not open for answers."""
