"""How a sign-in name is read: one rule for signing in and for the lock-out.

Sign-in ignores the case of the e-mail address and spaces around it, and Django's sign-in
form applies Unicode NFKC.  django-axes counts failures per name, so it must count them
under the same name, or ``PLAIN2@demo.test`` would get fresh attempts for ``plain2@demo.test``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def normalise_login(username: str | None) -> str:
    """The account name an e-mail address typed at sign-in stands for."""
    return unicodedata.normalize("NFKC", username or "").strip().lower()


def axes_username(request: HttpRequest | None, credentials: Mapping[str, Any] | None) -> str:
    """``AXES_USERNAME_CALLABLE``: the name django-axes keys failures and lock-outs on."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        raw = credentials.get(field)
    elif request is not None:
        raw = getattr(request, "data", request.POST).get(field)
    else:
        raw = None
    return normalise_login(raw if isinstance(raw, str) else None)
