"""Signed links that let an attendee see, accept or cancel their registration.

The link carries the registration's random key signed with the site's secret
(:mod:`django.core.signing`); a changed character makes the signature fail.
"""

from __future__ import annotations

import uuid

from django.core import signing

SALT = "whatworks.events.registration"


def registration_token(key: uuid.UUID) -> str:
    return signing.Signer(salt=SALT).sign(str(key))


def registration_key(token: str) -> uuid.UUID | None:
    """The key in a token, or None if the token was altered or is not ours."""
    try:
        return uuid.UUID(signing.Signer(salt=SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
