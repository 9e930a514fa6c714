"""The one way to send e-mail: from DEFAULT_FROM_EMAIL, text with optional HTML and files."""

from __future__ import annotations

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from whatworks.core.mail import mail_message, mail_send


def test_messages_go_over_one_send_with_their_alternative_headers_and_attachments() -> None:
    first = mail_message(
        to=["a@example.org"],
        subject="Hello",
        body="Text",
        html="<p>Text</p>",
        headers={"List-Unsubscribe": "<https://example.org/u>"},
        attachments=[("a.ics", "BEGIN:VCALENDAR", "text/calendar")],
    )
    second = mail_message(to=["b@example.org"], subject="Plain", body="Only text")
    assert mail_send(first, second) == 2
    sent_first, sent_second = mail.outbox
    assert isinstance(sent_first, EmailMultiAlternatives)
    assert isinstance(sent_second, EmailMultiAlternatives)
    assert sent_first.from_email == settings.DEFAULT_FROM_EMAIL
    assert sent_first.alternatives == [("<p>Text</p>", "text/html")]
    assert sent_first.extra_headers == {"List-Unsubscribe": "<https://example.org/u>"}
    assert sent_first.attachments == [("a.ics", "BEGIN:VCALENDAR", "text/calendar")]
    assert (sent_second.to, sent_second.body, sent_second.alternatives) == (
        ["b@example.org"],
        "Only text",
        [],
    )
    assert mail_send() == 0
