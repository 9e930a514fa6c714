"""The Evidence Store's domain errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from whatworks.core.errors import WhatworksError

if TYPE_CHECKING:
    from whatworks.evidence.services.transfer import ImportProblem


class EvidenceError(WhatworksError):
    """An Evidence Store write was refused; the message says why."""


class ImportInvalid(EvidenceError):
    """The file has problems; nothing was imported.  ``problems`` lists every one."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        count = len(problems)
        super().__init__(
            f"The file has {count} problem{'s' if count != 1 else ''}; nothing was imported."
        )
