"""Reading configuration from the environment, with messages a person can act on.

Everything here runs while settings load, before Django is set up, so it uses only the
standard library and django-environ.  Every failure raises :class:`ConfigError` with one
line that says what is wrong and what to do; the ``whatworks`` command prints it without a
traceback.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

#: The repository root (…/src/whatworks/config/env.py -> four levels up).
PROJECT_ROOT = Path(__file__).resolve().parents[3]

ENVIRONMENTS = ("development", "test", "production")


class ConfigError(ImproperlyConfigured):
    """A setting in the environment is missing or wrong; the message says how to fix it."""


def whatworks_env() -> str:
    value = os.environ.get("WHATWORKS_ENV", "development").strip().lower() or "development"
    if value not in ENVIRONMENTS:
        raise ConfigError(
            f"WHATWORKS_ENV={value!r} is not known: use one of {', '.join(ENVIRONMENTS)}."
        )
    return value


def settings_module() -> str:
    return {
        "development": "whatworks.config.settings.dev",
        "test": "whatworks.config.settings.test",
        "production": "whatworks.config.settings.prod",
    }[whatworks_env()]


def var_dir() -> Path:
    """The folder for local state (SQLite database, generated secret key, media)."""
    return Path(os.environ.get("WHATWORKS_VAR_DIR", PROJECT_ROOT / "var")).resolve()


def ensure_writable_dir(path: Path, *, purpose: str) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"Cannot create {path} for {purpose} ({exc.strerror}): "
            "make the parent folder writable or set WHATWORKS_VAR_DIR to a writable folder."
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(
            f"{path} is read-only, so {purpose} cannot be stored there: make it writable "
            "(chmod u+w) or set WHATWORKS_VAR_DIR to a writable folder."
        )
    return path


def secret_key(*, required: bool) -> str:
    """SECRET_KEY from the environment; otherwise generated once and kept under var/.

    In production the environment must provide it: a key generated on one machine would
    differ between web processes and break every session and signed link.
    """
    value = os.environ.get("SECRET_KEY", "").strip()
    if value:
        if required and len(value) < 50:
            raise ConfigError(
                "SECRET_KEY is too short for production: use at least 50 random characters, "
                "e.g. python -c 'import secrets; print(secrets.token_urlsafe(64))'."
            )
        return value
    if required:
        raise ConfigError(
            "SECRET_KEY is not set and WHATWORKS_ENV=production requires it: set SECRET_KEY to "
            "50+ random characters (python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
    key_file = ensure_writable_dir(var_dir(), purpose="the generated secret key") / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(64)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def pseudonym_key(*, required: bool) -> str:
    """WHATWORKS_PSEUDONYM_KEY: the HMAC key that pseudonymises child ids in pilot data.

    Kept apart from the data (never in the database or beside the files).  In development
    it is generated once under var/, like the secret key; production must provide it, and
    must keep it: a new key gives the same child a different pseudonym.
    """
    value = os.environ.get("WHATWORKS_PSEUDONYM_KEY", "").strip()
    if value:
        if required and len(value) < 32:
            raise ConfigError(
                "WHATWORKS_PSEUDONYM_KEY is too short for production: use at least 32 random "
                "characters (python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        return value
    if required:
        raise ConfigError(
            "WHATWORKS_PSEUDONYM_KEY is not set and WHATWORKS_ENV=production requires it: set "
            "it to 32+ random characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    key_file = ensure_writable_dir(var_dir(), purpose="the pseudonym key") / "pseudonym_key"
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def database(*, default_sqlite: Path) -> dict[str, Any]:
    """Parse DATABASE_URL (default: a SQLite file under var/) into Django's DATABASES entry."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        ensure_writable_dir(default_sqlite.parent, purpose="the SQLite database")
        url = f"sqlite:///{default_sqlite}"
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ConfigError(
            f"DATABASE_URL must start with sqlite:/// or postgres:// (got {_redact(url)!r}): "
            "e.g. postgres://user:password@127.0.0.1:5432/whatworks or sqlite:////abs/path.db."
        )
    try:
        config: dict[str, Any] = environ.Env.db_url_config(url)
    except Exception as exc:  # noqa: BLE001 — django-environ raises several kinds for malformed URLs
        raise ConfigError(
            f"DATABASE_URL {_redact(url)!r} cannot be read ({exc}): "
            "use postgres://user:password@host:5432/name or sqlite:////abs/path.db."
        ) from None
    if config["ENGINE"].endswith("postgresql"):
        if not config.get("NAME"):
            raise ConfigError(
                "DATABASE_URL names no database: add it after the host, "
                "e.g. postgres://user@127.0.0.1:5432/whatworks."
            )
        config.setdefault("OPTIONS", {})
        config["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
        config["CONN_HEALTH_CHECKS"] = True
    else:
        if config["NAME"] != ":memory:":
            ensure_writable_dir(Path(config["NAME"]).parent, purpose="the SQLite database")
        # Keep each thread's connection between requests: opening one and running the
        # PRAGMAs below took a fifth of a vote's time in the forum benchmark.
        config["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
        config["CONN_HEALTH_CHECKS"] = True
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                " PRAGMA busy_timeout=20000;"
            ),
        }
    return config


def email(*, default: str) -> dict[str, Any]:
    url = os.environ.get("EMAIL_URL", "").strip() or default
    try:
        config: dict[str, Any] = environ.Env.email_url_config(url)
    except Exception as exc:  # noqa: BLE001 — as for DATABASE_URL: several kinds
        raise ConfigError(
            f"EMAIL_URL {_redact(url)!r} cannot be read ({exc}): use console://, "
            "smtp://user:password@host:587 or submission://user:password@host:587."
        ) from None
    return config


def throttle_rates() -> dict[str, str]:
    """``WHATWORKS_THROTTLE_RATES`` as ``{scope: "limit/seconds"}``, every problem at once."""
    rates: dict[str, str] = {}
    problems = []
    for item in csv_list("WHATWORKS_THROTTLE_RATES", ""):
        scope, _, rate = item.partition("=")
        limit, _, per = rate.partition("/")
        if (
            not scope.strip()
            or not limit.isdigit()
            or not per.isdigit()
            or int(limit) < 1
            or not 1 <= int(per) <= 86400
        ):
            problems.append(repr(item))
        else:
            rates[scope.strip()] = f"{int(limit)}/{int(per)}"
    if problems:
        raise ConfigError(
            f"WHATWORKS_THROTTLE_RATES has {', '.join(problems)}: write each rate as "
            "scope=limit/seconds (a limit of 1 or more, 1 to 86400 seconds), comma-separated."
        )
    return rates


#: E-mail backends that deliver nothing to anyone: refused in production.
UNDELIVERING_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "prints e-mail to the console",
    "django.core.mail.backends.dummy.EmailBackend": "discards e-mail",
    "django.core.mail.backends.locmem.EmailBackend": "keeps e-mail in memory",
    "django.core.mail.backends.filebased.EmailBackend": "writes e-mail to files",
}

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "[::1]"}  # noqa: S104


def require_delivering_email(backend: str) -> None:
    """Production sends sign-in, confirmation and reset links: e-mail must reach people."""
    if backend in UNDELIVERING_EMAIL_BACKENDS:
        raise ConfigError(
            f"EMAIL_URL sets a backend that {UNDELIVERING_EMAIL_BACKENDS[backend]} and "
            "WHATWORKS_ENV=production needs real delivery: set EMAIL_URL to your mail "
            "server, e.g. smtp+tls://user:password@smtp.example.org:587."
        )


def require_public_base_url(url: str) -> None:
    """Links in e-mails must point at the site as people reach it, over HTTPS."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or host in LOCAL_HOSTS or host.endswith(".localhost") or host.startswith("127."):
        raise ConfigError(
            f"WHATWORKS_BASE_URL is {url!r}, a local address, and WHATWORKS_ENV=production "
            "puts it in every e-mailed link: set WHATWORKS_BASE_URL to the site's public "
            "address, e.g. https://whatworks.example.org."
        )
    if parts.scheme != "https":
        raise ConfigError(
            f"WHATWORKS_BASE_URL is {url!r}, not HTTPS, and WHATWORKS_ENV=production serves "
            "HTTPS only: set WHATWORKS_BASE_URL to https://" + host + "."
        )


def csv_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _redact(url: str) -> str:
    """Hide a password in a URL before it is printed."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
    return url
