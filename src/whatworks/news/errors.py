from __future__ import annotations

from whatworks.core.errors import LinkInvalidError, WhatworksError


class NewsError(WhatworksError):
    """A blog or newsletter write was refused; ``field`` names the form field at fault."""


class UploadError(WhatworksError):
    """An upload was refused; the message says why."""


class BadTokenError(LinkInvalidError):
    """The link was tampered with, has expired, or names nobody."""

    advice = (
        "Newsletter links stop working after a while: a link to confirm a subscription "
        "after 7 days, a link to your data after 60 days. Links for an address that has "
        "been erased stop at once."
    )
    steps = (
        ("news:subscribe", "Subscribe again (we send a new confirmation link)"),
        ("news:manage_request", "Ask for a new link to see or erase your data"),
    )
