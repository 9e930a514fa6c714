"""A small iCalendar (RFC 5545) writer: one event or a feed of many.

Text values are escaped (RFC 5545 §3.3.11: backslash, semicolon, comma and newlines) and
content lines are folded at 75 octets (§3.1) without splitting a UTF-8 character; lines
end in CRLF.  Times are written in UTC (``...Z``), so no VTIMEZONE block is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

PRODID = "-//whatworks//events//EN"
FOLD_AT = 75


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold one content line into chunks of at most 75 octets joined by CRLF + space."""
    data = line.encode("utf-8")
    if len(data) <= FOLD_AT:
        return line
    parts: list[str] = []
    current = b""
    limit = FOLD_AT
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            parts.append(current.decode("utf-8"))
            current = b""
            limit = FOLD_AT - 1  # continuation lines start with a space
        current += encoded
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def format_utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    stamp: datetime | None = None
    cancelled: bool = False
    #: Not yet someone's place (waiting list, offered, held): STATUS:TENTATIVE.
    tentative: bool = False


def _event_lines(event: CalendarEvent, now: datetime) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{format_utc(event.stamp or now)}",
        f"DTSTART:{format_utc(event.starts_at)}",
        f"DTEND:{format_utc(event.ends_at)}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    status = "CANCELLED" if event.cancelled else "TENTATIVE" if event.tentative else "CONFIRMED"
    lines.append(f"STATUS:{status}")
    lines.append("END:VEVENT")
    return lines


def calendar(
    events: Iterable[CalendarEvent], *, name: str = "", now: datetime | None = None
) -> str:
    """A VCALENDAR holding ``events``, as text with CRLF line ends."""
    now = now or datetime.now(tz=UTC)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    lines.append("METHOD:PUBLISH")
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for event in events:
        lines.extend(_event_lines(event, now))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
