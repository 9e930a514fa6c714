"""Tickets: a code for each confirmed place, shown as a QR code, read at the door.

The code is the registration's random key signed with its own salt, so it is not the
signed link to the registration (which lets its holder cancel): a ticket shown on a
phone or printed lets staff check the person in and nothing else.  The QR code holds
the absolute URL of the ticket's staff page, so a phone's own camera app opens it too;
the check-in page's scanner reads the code from that URL.
"""

from __future__ import annotations

import io
import uuid

import segno
from django.core import signing
from django.urls import reverse

from whatworks.core.links import absolute_url
from whatworks.events.models import Registration

SALT = "whatworks.events.ticket"


def ticket_code(registration: Registration) -> str:
    return signing.Signer(salt=SALT).sign(registration.key.hex)


def ticket_key(code: str) -> uuid.UUID | None:
    """The registration key in a ticket code (or in a URL ending in one), else None."""
    code = code.strip().rstrip("/").rsplit("/", 1)[-1]
    try:
        return uuid.UUID(hex=signing.Signer(salt=SALT).unsign(code))
    except (signing.BadSignature, ValueError):
        return None


def ticket_url(registration: Registration) -> str:
    return absolute_url(reverse("events:ticket", args=[ticket_code(registration)]))


def _qr(registration: Registration) -> segno.QRCode:
    return segno.make(ticket_url(registration), error="m", micro=False)


def qr_svg(registration: Registration) -> str:
    """The ticket's QR code as inline SVG (no text in it), labelled for screen readers."""
    svg = _qr(registration).svg_inline(scale=5, border=4, dark="#0b0c0c", light="#ffffff")
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code of your ticket" ', 1)


def qr_png(registration: Registration) -> bytes:
    buffer = io.BytesIO()
    _qr(registration).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()
