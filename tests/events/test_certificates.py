"""Certificates of attendance, read back from the PDF with pypdf."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tests.events.factories import checked_in, make_event, past_event, register
from whatworks.events.certificates import CPD_NOTE, certificate_pdf
from whatworks.events.tokens import registration_token

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return re.sub(r"\s+", " ", reader.pages[0].extract_text())


def test_the_certificate_states_what_a_cpd_record_needs() -> None:
    event = past_event(title="#iuseevidence day Leeds", venue="Leeds Town Hall")
    event.cpd_hours = Decimal("4.5")
    event.save()
    person = checked_in(event, 1, name="Łukasz Nguyễn")
    text = _text(certificate_pdf(person))
    for words in (
        "Certificate of attendance",
        "Łukasz Nguyễn",  # any name prints as typed (the font is embedded)
        "#iuseevidence day Leeds",
        "Leeds Town Hall",
        "Hours of learning: 4.5 hours",
        "Social Work England",
        str(person.key),
    ):
        assert words in text, words
    assert CPD_NOTE.split(":")[0] in text
    reader = PdfReader(io.BytesIO(certificate_pdf(person)))
    assert reader.metadata is not None
    assert "Certificate of attendance" in (reader.metadata.title or "")


def test_without_set_hours_the_events_length_counts_to_the_half_hour() -> None:
    event = past_event()
    event.ends_at = event.starts_at + timedelta(hours=5, minutes=50)
    event.save()
    assert event.hours() == Decimal("6")
    event.ends_at = event.starts_at + timedelta(hours=2, minutes=40)
    event.save()
    assert event.hours() == Decimal("2.5")
    assert "Hours of learning: 2.5 hours" in _text(certificate_pdf(checked_in(event, 1)))


def test_only_people_checked_in_get_one_and_only_after_the_event(client: Client) -> None:
    done = checked_in(past_event(), 1)
    response = client.get(reverse("events:certificate", args=[registration_token(done.key)]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    page = client.get(reverse("events:registration", args=[registration_token(done.key)]))
    assert "certificate of attendance (PDF)" in page.content.decode()
    upcoming = checked_in(make_event(), 2)  # checked in, but the event is not over
    not_in = register(make_event(), 3)
    for registration in (upcoming, not_in):
        url = reverse("events:certificate", args=[registration_token(registration.key)])
        assert client.get(url).status_code == 404


def test_people_checked_in_are_emailed_their_certificate_once(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from django.core import mail

    from whatworks.events.services.staff import certificates_send

    event = past_event()
    person = checked_in(event, 1)
    register_no_show = checked_in(event, 2)
    register_no_show.checked_in_at = None
    register_no_show.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert certificates_send() == 1
        assert certificates_send() == 0
    (message,) = mail.outbox
    assert message.to == [person.email]
    (pdf,) = message.attachments
    assert pdf[2] == "application/pdf" and "Person 1" in _text(pdf[1])
