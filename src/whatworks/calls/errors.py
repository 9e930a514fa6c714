"""The refusals of calls' services."""

from __future__ import annotations

from whatworks.core.errors import WhatworksError


class CallError(WhatworksError):
    """A write about a call or application was refused; the message says why."""


class NoOrganisationError(CallError):
    """Only people who belong to an organisation may apply: a refusal the applicant reads
    on the form (they may see the call and its form; it is no access refusal)."""


class ApplicationIncompleteError(CallError):
    """Submission refused: ``missing`` maps question ids to what is wrong."""

    def __init__(self, message: str, missing: dict[int, str]) -> None:
        super().__init__(message)
        self.missing = missing


class NotEligibleError(CallError):
    """The eligibility answers screen the applicant out; ``failed`` maps question ids to why."""

    def __init__(self, message: str, failed: dict[int, str]) -> None:
        super().__init__(message)
        self.failed = failed


class JoinError(WhatworksError):
    """A request to join an organisation was refused; the message says why."""
