"""The iCalendar writer against RFC 5545's rules for escaping and folding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from whatworks.events import ical


def test_escapes_backslash_semicolon_comma_and_newlines() -> None:
    assert ical.escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_short_lines_are_not_folded() -> None:
    assert ical.fold("SUMMARY:short") == "SUMMARY:short"


def test_long_lines_fold_at_75_octets_with_a_leading_space() -> None:
    line = "DESCRIPTION:" + "x" * 200
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line


def test_folding_never_splits_a_multibyte_character() -> None:
    line = "SUMMARY:" + "é" * 100  # two octets each
    parts = ical.fold(line).split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    for part in parts:
        part.encode("utf-8").decode("utf-8")  # each part is whole UTF-8
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line


def test_calendar_has_crlf_lines_and_utc_times() -> None:
    london = timezone(timedelta(hours=1))
    event = ical.CalendarEvent(
        uid="event-1@whatworks",
        starts_at=datetime(2026, 6, 1, 10, 0, tzinfo=london),
        ends_at=datetime(2026, 6, 1, 16, 0, tzinfo=london),
        summary="Forum; ML, children",
        location="Birmingham",
    )
    text = ical.calendar([event], now=datetime(2026, 1, 1, tzinfo=UTC))
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert "DTSTART:20260601T090000Z" in lines
    assert "DTEND:20260601T150000Z" in lines
    assert "SUMMARY:Forum\\; ML\\, children" in lines
    assert "\n" not in text.replace("\r\n", "")
