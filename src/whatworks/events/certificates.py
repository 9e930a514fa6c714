"""Certificates of attendance: a one-page PDF for each person checked in at an event.

Written with fpdf2 (pure Python; its dependencies Pillow and fontTools are already the
platform's through matplotlib, only defusedxml is new).  The text is set in DejaVu Sans,
the TrueType font matplotlib ships, embedded as a subset so that any name prints as
typed (Łukasz, Nguyễn, Siobhán), which the PDF core fonts cannot do.

It states what a CPD record needs as evidence: who, what, when, for how many hours, who
organised it and when the person was checked in, with a reference that names the
registration.  Social Work England asks registered social workers to record their CPD
with their own reflection; the certificate says so rather than standing in for it.
"""

from __future__ import annotations

import zoneinfo
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils.formats import date_format

from whatworks.events.models import Registration

FONT = "DejaVuSans"

CPD_NOTE = (
    "For your CPD record: Social Work England asks registered social workers to record "
    "their continuing professional development and to reflect on what they learned and how "
    "it applies to their practice. You can upload this certificate as evidence with that "
    "record; it does not replace your own reflection."
)


def hours_text(hours: Decimal) -> str:
    text = f"{hours.normalize():f}"
    return f"{text} hour" if hours == 1 else f"{text} hours"


def certificate_lines(registration: Registration) -> dict[str, str]:
    """What the certificate says, by part (tested without reading the PDF)."""
    event = registration.event
    zone = zoneinfo.ZoneInfo(event.time_zone)
    starts, ends = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
    if starts.date() == ends.date():
        when = (
            f"{date_format(starts, 'l j F Y')}, {date_format(starts, 'H:i')} to "
            f"{date_format(ends, 'H:i')} ({event.time_zone})"
        )
    else:
        when = (
            f"{date_format(starts, 'j F Y, H:i')} to {date_format(ends, 'j F Y, H:i')} "
            f"({event.time_zone})"
        )
    where = event.get_mode_display()
    if event.venue:
        where = f"{where}: {event.venue}"
    checked_in = registration.checked_in_at
    assert checked_in is not None
    return {
        "name": registration.name,
        "event": event.title,
        "kind": event.get_kind_display(),
        "when": when,
        "where": where,
        "hours": hours_text(event.hours()),
        "checked_in": date_format(checked_in.astimezone(zone), "j F Y, H:i"),
        "organiser": settings.WHATWORKS_SITE_NAME,
        "reference": str(registration.key),
    }


def certificate_pdf(registration: Registration) -> bytes:
    """The certificate as PDF bytes (A4, landscape)."""
    # Imported here: the pages that never write a PDF do not pay for loading them.
    import matplotlib
    from fpdf import FPDF

    font_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    lines = certificate_lines(registration)
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_creation_date(registration.checked_in_at)
    pdf.set_title(f"Certificate of attendance: {lines['event']}")
    pdf.set_author(lines["organiser"])
    pdf.set_subject(f"Attendance of {lines['name']}")
    pdf.set_lang("en-GB")
    pdf.add_font(FONT, "", str(font_dir / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(font_dir / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_draw_color(11, 12, 12)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    width = pdf.w - 50
    pdf.set_xy(25, 28)

    def text(value: str, size: float, *, bold: bool = False, gap: float = 3) -> None:
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.set_x(25)
        pdf.multi_cell(width, size * 0.5, value, align="C")
        pdf.ln(gap)

    text("Certificate of attendance", 30, bold=True, gap=8)
    text("This is to certify that", 14)
    text(lines["name"], 26, bold=True, gap=5)
    text("attended", 14)
    text(lines["event"], 20, bold=True, gap=2)
    text(lines["kind"], 13, gap=6)
    text(lines["when"], 13, gap=1)
    text(lines["where"], 13, gap=6)
    text(f"Hours of learning: {lines['hours']}", 15, bold=True, gap=2)
    text(f"Checked in on {lines['checked_in']}. Organised by {lines['organiser']}.", 11, gap=6)
    text(CPD_NOTE, 9.5, gap=3)
    text(f"Certificate reference: {lines['reference']}", 9)
    return bytes(pdf.output())
