"""The forum's domain errors."""

from __future__ import annotations

from whatworks.core.errors import WhatworksError


class ForumError(WhatworksError):
    """A forum write was refused; the message says why."""


class ConversationClosedError(ForumError):
    pass


class RateLimitedError(ForumError):
    pass


class VerificationRequiredError(ForumError):
    """An anonymous participant must confirm an e-mail address before taking part."""


class VerificationLinkError(ForumError):
    """The e-mail confirmation link is not valid (any more)."""


class DuplicateStatementError(ForumError):
    pass


class ConversationInvalidError(ForumError):
    """A conversation write refused for one or more reasons: ``by_field`` maps a field name
    (``seed_statements`` for the opening statements, ``""`` for the whole) to messages."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__(by_field=problems)


class ImportProblems(ForumError):
    """The upload cannot be imported; ``problems`` says every reason, in words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems)
        self.problems = problems


class EmbedError(ForumError):
    """The partners' sites for embedding are refused; ``problems`` says why, each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems, field="origins")
        self.problems = problems
