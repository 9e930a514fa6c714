"""Signed links for subscribers, who have no account: confirm, unsubscribe, manage.

Each token signs the subscriber's random ``key`` with its own salt, so one kind of link
cannot be used as another, and erasing the subscriber makes every link to them dead.
"""

from __future__ import annotations

from django.core import signing
from django.utils.translation import gettext as _

from whatworks.news.errors import BadTokenError

CONFIRM_SALT = "whatworks.news.confirm"
UNSUBSCRIBE_SALT = "whatworks.news.unsubscribe"
MANAGE_SALT = "whatworks.news.manage"

#: How long links stay valid, in seconds (unsubscribe links never expire).
CONFIRM_MAX_AGE = 7 * 24 * 3600
MANAGE_MAX_AGE = 60 * 24 * 3600


def make_token(key: str, *, salt: str) -> str:
    return signing.dumps(key, salt=salt, compress=False)


def read_token(token: str, *, salt: str, max_age: int | None) -> str:
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:  # includes SignatureExpired
        raise BadTokenError(_("This link is not valid.")) from None
    if not isinstance(value, str):
        raise BadTokenError(_("This link is not valid."))
    return value
