"""Production: every secret from the environment, HTTPS everywhere, no demo accounts.

Passes ``whatworks check --deploy``.
"""

import os

from whatworks.config import env
from whatworks.config.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env.secret_key(required=True)
WHATWORKS_PSEUDONYM_KEY = env.pseudonym_key(required=True)
ALLOWED_HOSTS = env.csv_list("ALLOWED_HOSTS", "")
if not ALLOWED_HOSTS:
    raise env.ConfigError(
        "ALLOWED_HOSTS is empty and WHATWORKS_ENV=production requires it: "
        "set ALLOWED_HOSTS to the site's host names, comma-separated."
    )
if not os.environ.get("WHATWORKS_BASE_URL", "").strip():
    raise env.ConfigError(
        "WHATWORKS_BASE_URL is not set and WHATWORKS_ENV=production requires it: set it to the "
        "address people reach the site at, e.g. https://whatworks.example.org (links in "
        "e-mails and calendar files use it)."
    )
env.require_delivering_email(EMAIL_BACKEND)  # noqa: F405
env.require_public_base_url(WHATWORKS_BASE_URL)  # noqa: F405
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "true").lower() != "false"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Secure-sessionid"
CSRF_COOKIE_NAME = "__Secure-csrftoken"
