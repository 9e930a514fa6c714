"""The pilots' errors: the domain error, and the signal that a run was cancelled."""

from __future__ import annotations

from whatworks.core.errors import WhatworksError


class RunCancelled(Exception):
    """Raised from a run's progress callback when someone asked the run to stop (not a
    refusal: the run is marked cancelled, and the task ends normally)."""


class PilotError(WhatworksError):
    """A pilot write was refused; ``messages`` lists every reason (the validator's too)."""
