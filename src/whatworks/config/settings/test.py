"""The test suite: fast hashing, e-mail kept in memory (Django's locmem outbox)."""

import os

from whatworks.config.settings.base import *  # noqa: F403
from whatworks.config.settings.base import STORAGES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
AXES_FAILURE_LIMIT = 3

# A file, not memory, so that tests can start real worker processes against the test
# database; named by process so that concurrent test runs never share one.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")  # noqa: F405
    }
    # A connection per request, as before persistent connections: tests swap the database
    # file and lift triggers around flushes, which a kept connection would not see.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
