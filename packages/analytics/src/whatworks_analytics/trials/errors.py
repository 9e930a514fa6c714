"""The errors of trial analysis and power calculation.

Each carries every problem found, so that a page or the command line can list them all at
once.  Both are the package's :class:`~whatworks_analytics.errors.AnalyticsInputError`
(exit 1 on the command line), and so :class:`ValueError` for callers that only know the
standard library.
"""

from __future__ import annotations

from collections.abc import Sequence

from whatworks_analytics.errors import AnalyticsInputError

__all__ = ["PowerInputError", "TrialInputError"]


class TrialInputError(AnalyticsInputError):
    """The data or the analysis specification cannot be analysed; ``problems`` lists why."""

    problems: tuple[str, ...]

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(tuple(str(problem) for problem in problems))


class PowerInputError(TrialInputError):
    """A power calculation's inputs are out of range; ``problems`` lists every one."""
