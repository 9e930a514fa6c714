"""Reading bounce reports without a person: a provider's webhook, or a mailbox of
delivery-status notifications (RFC 3464).  Both yield the addresses that bounced for good;
``subscriber_mark_bounced`` then stops sending to them.

The webhook (``POST /news/newsletter/bounces/``) is off until
``WHATWORKS_NEWSLETTER_BOUNCE_SECRET`` is set.  The sender signs the raw request body with
HMAC-SHA256 under that secret and sends ``X-Whatworks-Signature: sha256=<hex digest>``.
The body is JSON, either a Postmark-style bounce record::

    {"RecordType": "Bounce", "Type": "HardBounce", "Email": "a@example.org"}

or a list of events::

    {"events": [{"email": "a@example.org", "type": "bounce", "permanent": true}]}

Soft (temporary) bounces are ignored: only permanent failures mark an address.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import mailbox
from collections.abc import Iterable, Iterator
from email.message import Message
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

SIGNATURE_HEADER = "X-Whatworks-Signature"
#: Postmark's bounce types that mean the address will never work.
PERMANENT_TYPES = frozenset(
    {"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "Unsubscribe", "SpamComplaint"}
)


class BounceReportError(ValueError):
    """A webhook body that is not a bounce report we can read."""


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    """Whether ``header`` is the body's signature under ``secret`` (compared in constant
    time); never true without a secret."""
    if not secret or not header:
        return False
    return hmac.compare_digest(signature(body, secret), header)


def addresses_from_webhook(body: bytes) -> list[str]:
    """The permanently bounced addresses in a webhook body (see the module docstring)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BounceReportError(_("The body is not JSON.")) from exc
    records: Iterable[Any]
    if isinstance(data, dict) and "events" in data:
        records = data["events"] if isinstance(data["events"], list) else []
    elif isinstance(data, list):
        records = data
    else:
        records = [data]
    found = []
    for record in records:
        if not isinstance(record, dict):
            raise BounceReportError(_("Each event must be a JSON object."))
        if "RecordType" in record:  # Postmark
            if record.get("RecordType") in ("Bounce", "SpamComplaint") and (
                record.get("Type") in PERMANENT_TYPES or record.get("RecordType") == "SpamComplaint"
            ):
                found.append(str(record.get("Email") or ""))
        elif record.get("type") in ("bounce", "complaint") and (
            record.get("permanent", True) or record.get("type") == "complaint"
        ):
            found.append(str(record.get("email") or ""))
    return [a.strip() for a in found if a and "@" in a]


def _recipient(fields: Message) -> str:
    for name in ("Final-Recipient", "Original-Recipient"):
        value = fields.get(name)
        if value:
            kind, _sep, address = str(value).partition(";")
            return parseaddr(address.strip() if _sep else kind.strip())[1]
    return ""


def addresses_from_dsn(message: Message) -> Iterator[str]:
    """The recipients a delivery-status notification reports as failed for good
    (``Action: failed`` with a 5.x.x status), from its ``message/delivery-status`` part."""
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for fields in blocks[1:]:  # the first block is about the message, the rest recipients
            if not isinstance(fields, Message):
                continue
            action = str(fields.get("Action", "")).strip().lower()
            status = str(fields.get("Status", "")).strip()
            if action == "failed" and status.startswith("5"):
                address = _recipient(fields)
                if address:
                    yield address


def addresses_from_mbox(path: Path) -> tuple[list[str], int]:
    """The permanently failed addresses in every message of an mbox file, and how many
    messages were read."""
    box = mailbox.mbox(str(path), create=False)
    found: list[str] = []
    count = 0
    try:
        for message in box:
            count += 1
            found.extend(addresses_from_dsn(message))
    finally:
        box.close()
    return found, count
