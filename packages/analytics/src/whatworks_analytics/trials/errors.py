"""The errors of trial analysis and power calculation.

Each carries every problem found, so that a page or the command line can list them all at
once; :class:`TrialInputError` is a :class:`ValueError`, so callers that only know the
standard library still catch it.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["PowerInputError", "TrialInputError"]


class TrialInputError(ValueError):
    """The data or the analysis specification cannot be analysed; ``problems`` lists why."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("; ".join(self.problems))


class PowerInputError(TrialInputError):
    """A power calculation's inputs are out of range; ``problems`` lists every one."""
