"""The pilots' domain error."""

from __future__ import annotations

from whatworks.core.errors import WhatworksError


class PilotError(WhatworksError):
    """A pilot write was refused; ``messages`` lists every reason (the validator's too)."""

    def __init__(self, message: str | list[str]) -> None:
        messages = [message] if isinstance(message, str) else list(message)
        super().__init__(" ".join(messages))
        self.messages = messages
