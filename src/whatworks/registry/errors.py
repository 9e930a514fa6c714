"""The registry's domain error."""

from __future__ import annotations

from whatworks.core.errors import WhatworksError


class RegistryError(WhatworksError):
    """A registry write was refused; ``messages`` lists every reason."""
