"""The pilots' domain error."""

from __future__ import annotations

from whatworks.core.errors import WhatworksError


class PilotError(WhatworksError):
    """A pilot write was refused; ``messages`` lists every reason (the validator's too)."""
