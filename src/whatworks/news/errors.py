from __future__ import annotations

from whatworks.core.errors import WhatworksError


class NewsError(WhatworksError):
    """A blog or newsletter write was refused; ``field`` names the form field at fault."""
