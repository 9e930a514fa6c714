"""The panel's domain errors."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from whatworks.core.errors import WhatworksError


class PanelError(WhatworksError):
    """A panel write was refused; the message says why and is safe to show."""


class PollClosedError(PanelError):
    """The poll is not open for answers."""


class QuestionError(PanelError):
    """The question was refused; ``problems`` maps form field names ("" for the whole form)
    to every message about it.

    Built from a list of messages instead (as :func:`full_clean_or_raise` builds it), they
    all sit under ``field`` ("" when it is ``None``).
    """

    def __init__(
        self, problems: dict[str, list[str]] | list[Any], *, field: str | None = None
    ) -> None:
        if isinstance(problems, dict):
            super().__init__([m for ms in problems.values() for m in ms])
            self.problems = problems
        else:
            super().__init__(problems, field=field)
            self.problems = {field or "": list(self.messages)}


class AnswerError(PanelError):
    """Some answers are missing or invalid; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Check your answers."))
        self.errors = errors
