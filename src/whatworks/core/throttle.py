"""The one throttle: how often one client address (or one e-mail address) may do one thing.

Every part that limits a rate uses this module, so that the counting, the client address
and the refusal look the same everywhere.  Counters live in the database
(``ThrottleCounter``), so several web processes on several machines share them; nothing is
kept in process memory and no cache server is needed.

The count is a sliding window, estimated from two fixed windows (the current one and the
one before, weighted by how much of it still overlaps the last ``per`` seconds)::

    estimate = count(current window) + count(previous window) * (1 - elapsed / per)

so a client cannot double its rate by straddling a window boundary.  Each attempt is
counted, refused ones too, so a client that keeps hammering stays refused.  The first
refusal of a key in a window is written to the audit log (scope only, never the address).

Keys are HMAC-SHA256 digests under ``SECRET_KEY``: the table holds no address in clear.
IPv6 clients are counted per /64 network, which is what one subscriber line gets.

The client address comes from ``REMOTE_ADDR`` unless ``WHATWORKS_TRUSTED_PROXY_COUNT`` says
that many proxies of our own sit in front (then from ``X-Forwarded-For``, counted from the
right, so that a client cannot choose its address by sending the header itself).

Over a limit, ``throttle_hit`` raises ``core.errors.Throttled``.  A view calls the
throttle before it writes anything and lets ``Throttled`` through;
``core.middleware.ThrottleMiddleware`` answers with the 429 page and ``Retry-After``, the
same for every part.  The throttle is called outside ``transaction.atomic`` (requests are
not atomic either): then the counter is committed, so a refused attempt stays counted, and
a refusal leaves nothing of the request half-written.

Rates are set where they are used, as ``Rate`` constants; an operator can change any of
them with ``WHATWORKS_THROTTLE_RATES`` (``scope=limit/seconds``, comma-separated).  Tests
freeze the clock by replacing ``clock`` (see ``tests/conftest.py: throttle_clock``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import Throttled
from whatworks.core.models import ThrottleCounter
from whatworks.core.services.audit import audit_record

__all__ = [
    "Rate",
    "client_address",
    "clock",
    "email_key",
    "throttle_hit",
    "throttle_mail",
    "throttle_purge",
    "throttle_request",
]

#: The longest period a rate may have, in seconds; ``throttle_purge`` keeps twice this.
MAX_PERIOD = 24 * 60 * 60

#: The current time; tests replace it to freeze time.
clock: Callable[[], datetime] = timezone.now


@dataclass(frozen=True)
class Rate:
    """At most ``limit`` attempts in any ``per`` seconds (one day at most: older counters
    are purged)."""

    limit: int
    per: int

    def __post_init__(self) -> None:
        if self.limit < 1 or not 1 <= self.per <= MAX_PERIOD:
            raise ValueError(
                f"A rate needs a limit of at least 1 and a period of 1 to {MAX_PERIOD} seconds."
            )

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"5/3600"`` -> ``Rate(limit=5, per=3600)``."""
        limit, _, per = text.partition("/")
        return cls(limit=int(limit), per=int(per))


def _rate_for(scope: str, default: Rate) -> Rate:
    overrides: dict[str, str] = getattr(settings, "WHATWORKS_THROTTLE_RATES", {})
    text = overrides.get(scope)
    return Rate.parse(text) if text else default


def client_address(request: HttpRequest) -> str:
    """The client's address from a trusted source, IPv6 reduced to its /64 network."""
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    proxies = int(getattr(settings, "WHATWORKS_TRUSTED_PROXY_COUNT", 0))
    candidate = remote
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return remote or "unknown"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def email_key(address: str) -> str:
    """An e-mail address as one key, however it was typed (case, spaces)."""
    return address.strip().lower()


def _digest(scope: str, key: str) -> str:
    secret = str(settings.SECRET_KEY).encode()
    return hmac.new(secret, f"{scope}\x00{key}".encode(), hashlib.sha256).hexdigest()


def _window_start(now: datetime, per: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % per, tz=UTC)


def _count_attempt(
    scope: str, digest: str, start: datetime, previous_start: datetime
) -> tuple[int, int, bool, int]:
    """Count one attempt in the current window and read the previous one's count, in one
    statement (an upsert with ``RETURNING``, which SQLite from 3.35 and PostgreSQL both
    run): the counter's id, its new count, whether its refusal was audited, and the count
    of the window before.  Every client request that is throttled runs this, so it is one
    parameterised statement rather than the four ORM queries of a get-or-create, an
    update and two reads."""
    quote = connection.ops.quote_name
    table = quote(ThrottleCounter._meta.db_table)
    scope_c, key_c, window_c, count_c = (
        quote(c) for c in ("scope", "key", "window_start", "count")
    )
    logged_c = quote("refusal_logged")
    sql = (
        f"INSERT INTO {table} ({scope_c}, {key_c}, {window_c}, {count_c}, {logged_c}) "  # noqa: S608
        f"VALUES (%s, %s, %s, 1, %s) "
        f"ON CONFLICT ({scope_c}, {key_c}, {window_c}) "
        f"DO UPDATE SET {count_c} = {table}.{count_c} + 1 "
        f"RETURNING id, {count_c}, {logged_c}, "
        f"(SELECT p.{count_c} FROM {table} p "
        f"WHERE p.{scope_c} = %s AND p.{key_c} = %s AND p.{window_c} = %s)"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [scope, digest, adapt(start), False, scope, digest, adapt(previous_start)]
        )
        row_id, count, logged, before = cursor.fetchone()
    return int(row_id), int(count), bool(logged), int(before or 0)


def _audit_first_refusal(row_id: int, *, scope: str, rate: Rate) -> None:
    """Audit the first refusal of a counter's window: the conditional UPDATE lets exactly
    one of several refusals at once claim it."""
    with transaction.atomic():
        claimed = ThrottleCounter.objects.filter(pk=row_id, refusal_logged=False).update(
            refusal_logged=True
        )
        if claimed:
            audit_record(
                actor=None,
                action=AuditAction.THROTTLE_REFUSED,
                changes={"scope": scope, "limit": rate.limit, "per_seconds": rate.per},
            )


def throttle_hit(*, scope: str, key: str, rate: Rate, now: datetime | None = None) -> None:
    """Count one attempt of ``key`` at ``scope``; raise ``Throttled`` once over ``rate``.

    ``rate`` is the default; ``WHATWORKS_THROTTLE_RATES`` may override it for ``scope``.
    """
    rate = _rate_for(scope, rate)
    now = now or clock()
    start = _window_start(now, rate.per)
    previous_start = start - timedelta(seconds=rate.per)
    digest = _digest(scope, key)
    row_id, count, refusal_logged, before = _count_attempt(scope, digest, start, previous_start)
    elapsed = (now - start).total_seconds()
    estimate = count + before * max(0.0, 1.0 - elapsed / rate.per)
    if estimate <= rate.limit:
        return
    if not refusal_logged:
        _audit_first_refusal(row_id, scope=scope, rate=rate)
    # Over the limit until enough of the earlier attempts slide out of the window: at worst
    # the end of the current window.
    raise Throttled(scope=scope, retry_after=max(1, math.ceil(rate.per - elapsed)))


def throttle_request(request: HttpRequest, *, scope: str, rate: Rate) -> None:
    """``throttle_hit`` keyed on the request's client address."""
    throttle_hit(scope=scope, key=client_address(request), rate=rate)


def throttle_mail(
    request: HttpRequest, *, scope: str, email: str, client_rate: Rate, email_rate: Rate
) -> bool:
    """For a form that e-mails an address someone typed: count the client (``Throttled``,
    a 429, once over ``client_rate``) and the address (``scope.email``).  False when the
    address is over ``email_rate``: the caller then sends nothing but answers exactly as
    if it had, so the answer tells nobody anything about the address."""
    throttle_request(request, scope=f"{scope}.address", rate=client_rate)
    try:
        throttle_hit(scope=f"{scope}.email", key=email_key(email), rate=email_rate)
    except Throttled:
        return False
    return True


def throttle_purge(*, now: datetime | None = None, older_than: timedelta | None = None) -> int:
    """Delete counters whose window began over ``older_than`` (default two of the longest
    periods) ago; the number deleted.  Run daily (``whatworks manage throttle_purge``)."""
    now = now or clock()
    cutoff = now - (older_than or timedelta(seconds=2 * MAX_PERIOD))
    deleted, _ = ThrottleCounter.objects.filter(window_start__lt=cutoff).delete()
    return deleted
