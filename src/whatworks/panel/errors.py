"""The panel's domain errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from whatworks.core.errors import WhatworksError


class PanelError(WhatworksError):
    """A panel write was refused; the message says why and is safe to show."""


class PollClosedError(PanelError):
    """The poll is not open for answers."""


class QuestionError(PanelError):
    """The question was refused; ``by_field`` maps form field names ("" for the whole form)
    to every message about it.

    Built from a list of messages instead (as :func:`full_clean_or_raise` builds it), they
    all sit under ``field`` (the whole form when it is ``None``).
    """

    def __init__(
        self, problems: Mapping[str, list[str]] | list[Any], *, field: str | None = None
    ) -> None:
        if isinstance(problems, Mapping):
            super().__init__(by_field=problems)
        else:
            super().__init__(problems, field=field)


class AnswerError(PanelError):
    """Some answers are missing or invalid; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Check your answers."))
        self.errors = errors
