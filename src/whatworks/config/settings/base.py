"""Settings shared by every environment.  Secrets and deployment facts come only from the
environment (documented in ``.env.example``); nothing here reads Django settings elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from whatworks.config import env

WHATWORKS_ENV = env.whatworks_env()
VAR_DIR = env.var_dir()
PROJECT_ROOT = env.PROJECT_ROOT
PACKAGE_DIR = Path(__file__).resolve().parents[2]

DEBUG = False
SECRET_KEY = env.secret_key(required=False)
ALLOWED_HOSTS = env.csv_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env.csv_list("CSRF_TRUSTED_ORIGINS", "")

# Demos load in this order.  The Evidence Store first: the registry's demo trials file their
# published findings under its interventions; then the registry, whose projects the other
# parts' demo content refers to.
PART_APPS = [
    "whatworks.evidence",
    "whatworks.registry",
    "whatworks.pilots",
    "whatworks.panel",
    "whatworks.forum",
    "whatworks.events",
    "whatworks.calls",
    "whatworks.news",
]

INSTALLED_APPS = [
    "whatworks.core",
    *PART_APPS,
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "whatworks.core.middleware.PermissionsPolicyMiddleware",
    "whatworks.core.middleware.PrivateCacheMiddleware",
    "whatworks.core.middleware.SessionIdleTimeoutMiddleware",
    "whatworks.core.middleware.MfaRequiredMiddleware",
    "whatworks.core.middleware.ThrottleMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "whatworks.config.urls"
WSGI_APPLICATION = "whatworks.config.wsgi.application"

#: Every form renders with the core BoundField (hint and error ids; core/forms.py).
FORM_RENDERER = "whatworks.core.forms.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "whatworks.core.context_processors.site",
            ],
            "builtins": ["whatworks.core.templatetags.core_ui"],
        },
    },
]

DATABASES = {"default": env.database(default_sqlite=VAR_DIR / "whatworks.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

# Lock-out after repeated failed sign-ins (django-axes): per account and address.
AXES_FAILURE_LIMIT = int(os.environ.get("WHATWORKS_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("WHATWORKS_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
#: Failures count under the address as sign-in reads it (case and spaces ignored).
AXES_USERNAME_CALLABLE = "whatworks.core.auth.axes_username"
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Multi-factor sign-in (django-otp): required for administrators, editors and LA analysts
# (core/mfa.py); the app shows the site's name; the admin never shows a device's secret.
OTP_TOTP_ISSUER = "whatworks"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
# The message catalogues: `make messages` writes locale/<language>/LC_MESSAGES/django.po.
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media")).resolve()
#: Child-level pilot data lives here, outside MEDIA_ROOT and never served by URL.
PRIVATE_DATA_ROOT = Path(os.environ.get("PRIVATE_DATA_ROOT", VAR_DIR / "private")).resolve()

_email = env.email(default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "whatworks <no-reply@whatworks.localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
#: A worker that has not reported for this long is presumed dead; its running tasks fail.
WHATWORKS_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("WHATWORKS_WORKER_HEARTBEAT", "5"))
WHATWORKS_WORKER_LOST_AFTER_SECONDS = float(os.environ.get("WHATWORKS_WORKER_LOST_AFTER", "30"))

# Security headers and cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
#: Absolute lifetime of a session (seconds); the idle timeout below ends it sooner.
SESSION_COOKIE_AGE = 60 * 60 * 8
#: Minutes without a request after which a signed-in person is signed out.
WHATWORKS_SESSION_IDLE_MINUTES = float(os.environ.get("WHATWORKS_SESSION_IDLE_MINUTES", "30"))
# The demo accounts' password (`whatworks demo`; else one is generated once, in var/) and the
# password `whatworks manage createadmin` gives (else it asks).  Read here like every other
# setting: only config/ reads the environment.
WHATWORKS_DEMO_PASSWORD = os.environ.get("WHATWORKS_DEMO_PASSWORD", "")
WHATWORKS_ADMIN_PASSWORD = os.environ.get("WHATWORKS_ADMIN_PASSWORD", "")
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # Waitress warns for every request that waits for a free thread: one line per
        # request under load, which says nothing the latency figures do not.
        "waitress.queue": {"level": "ERROR"},
    },
}

WHATWORKS_SITE_NAME = "whatworks"
#: Shared secret of the newsletter's bounce webhook (news/bounces.py): the mail provider
#: signs each report with HMAC-SHA256 under it.  Empty: the webhook is off (404).
WHATWORKS_NEWSLETTER_BOUNCE_SECRET = os.environ.get("WHATWORKS_NEWSLETTER_BOUNCE_SECRET", "")

# Rate limits (``core/throttle.py``).
#: How many proxies of our own (load balancers) sit in front of the web processes and
#: append to X-Forwarded-For; 0 (the default) uses the connection's address only.
WHATWORKS_TRUSTED_PROXY_COUNT = int(os.environ.get("WHATWORKS_TRUSTED_PROXY_COUNT", "0"))
#: Overrides of the rates the parts set: "scope=limit/seconds", comma-separated, e.g.
#: "forum.vote.address=600/3600,events.register.address=20/3600".
WHATWORKS_THROTTLE_RATES = env.throttle_rates()

# Events and calls for partners.
#: Address of the site as people reach it, for links in e-mails and calendar files.  Outside
#: production it defaults to this machine on the port being served (``whatworks serve
#: --port`` sets WHATWORKS_SERVE_PORT; ``PORT`` otherwise), so that ``PORT=8102 make demo``
#: links to port 8102.  Production requires it (prod.py).
WHATWORKS_BASE_URL = (
    os.environ.get("WHATWORKS_BASE_URL", "").strip()
    or "http://localhost:"
    + (os.environ.get("WHATWORKS_SERVE_PORT") or os.environ.get("PORT") or "8000").strip()
).rstrip("/")
#: Hours a person offered a place from the waiting list has to accept it.
WHATWORKS_EVENTS_OFFER_HOURS = int(os.environ.get("WHATWORKS_EVENTS_OFFER_HOURS", "48"))
#: Minutes an unconfirmed registration keeps its place until the address is confirmed.
WHATWORKS_EVENTS_CONFIRM_MINUTES = int(os.environ.get("WHATWORKS_EVENTS_CONFIRM_MINUTES", "30"))
#: Days after an event ends when its attendees' personal data is anonymised.
WHATWORKS_EVENTS_RETENTION_DAYS = int(os.environ.get("WHATWORKS_EVENTS_RETENTION_DAYS", "90"))
#: Hours before an event starts when confirmed attendees are reminded (once).
WHATWORKS_EVENTS_REMINDER_HOURS = int(os.environ.get("WHATWORKS_EVENTS_REMINDER_HOURS", "48"))
#: Largest attachment to an application, in megabytes.
WHATWORKS_CALLS_MAX_UPLOAD_MB = float(os.environ.get("WHATWORKS_CALLS_MAX_UPLOAD_MB", "5"))
#: The DOI prefix of the Centre's DataCite account: each registered protocol version's
#: metadata export names its DOI as <prefix>/<identifier>.v<n>.  10.5072 is DataCite's old
#: test prefix, good for trying the export only; set the Centre's own before minting.
WHATWORKS_DATACITE_PREFIX = os.environ.get("WHATWORKS_DATACITE_PREFIX", "").strip() or "10.5072"
#: Largest document attached to a research protocol (analysis plan, code...), in megabytes.
WHATWORKS_REGISTRY_MAX_ATTACHMENT_MB = float(
    os.environ.get("WHATWORKS_REGISTRY_MAX_ATTACHMENT_MB", "20")
)

# Panel retention (days): unconfirmed sign-ups are deleted; members who left lose their
# identity (answers stay, anonymised); invitations to long-closed polls lose their link.
WHATWORKS_PANEL_UNCONFIRMED_DAYS = int(os.environ.get("WHATWORKS_PANEL_UNCONFIRMED_DAYS", "30"))
WHATWORKS_PANEL_LEFT_DAYS = int(os.environ.get("WHATWORKS_PANEL_LEFT_DAYS", "90"))
WHATWORKS_PANEL_CLOSED_POLL_DAYS = int(os.environ.get("WHATWORKS_PANEL_CLOSED_POLL_DAYS", "180"))

# Pilots.
#: The HMAC-SHA256 key that pseudonymises child ids on upload (a deployment secret).
WHATWORKS_PSEUDONYM_KEY = env.pseudonym_key(required=False)
#: Largest pilot dataset upload, in bytes (default 2 GB); uploads stream to disk.
WHATWORKS_PILOT_MAX_UPLOAD_BYTES = int(
    os.environ.get("WHATWORKS_PILOT_MAX_UPLOAD_BYTES", str(2 * 1024**3))
)
#: Largest result bundle upload (the offline path), in bytes (default 10 MB; one is
#: usually well under 1 MB); it streams to a temporary file and stops at the limit.
WHATWORKS_PILOT_MAX_BUNDLE_BYTES = int(
    os.environ.get("WHATWORKS_PILOT_MAX_BUNDLE_BYTES", str(10 * 1024**2))
)
#: Months after upload when a pilot dataset is deleted (aggregates remain).
WHATWORKS_PILOT_RETENTION_MONTHS = int(os.environ.get("WHATWORKS_PILOT_RETENTION_MONTHS", "12"))

# Trial data (the registry's trial analyses, issue #18), under the pilots' private-data rules.
#: Largest trial data upload (one CSV), in bytes (default 200 MB); it streams to disk.
WHATWORKS_TRIAL_MAX_UPLOAD_BYTES = int(
    os.environ.get("WHATWORKS_TRIAL_MAX_UPLOAD_BYTES", str(200 * 1024**2))
)
#: Months after upload when a trial's data are deleted (the analyses' bundles remain).
WHATWORKS_TRIAL_RETENTION_MONTHS = int(os.environ.get("WHATWORKS_TRIAL_RETENTION_MONTHS", "24"))
