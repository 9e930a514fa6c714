"""The one way the platform sends e-mail: build with :func:`mail_message`, send with
:func:`mail_send`.

Every message comes from ``DEFAULT_FROM_EMAIL`` through the configured backend
(``EMAIL_URL``); a text body, optionally an HTML alternative, headers and attachments.
:func:`mail_send` sends any number over one connection and raises on failure (no message
is lost silently).  Services call it from ``transaction.on_commit`` or a task, never
inside the transaction.  Sending a batch one message at a time (the newsletter, which
marks each delivery), a service holds one :func:`mail_batch_connection` open and passes it
to every :func:`mail_send`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

#: What :func:`mail_message` builds (a text body, with an HTML alternative if given).
Message = EmailMultiAlternatives


def mail_message(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
    attachments: Iterable[tuple[str, bytes | str, str]] = (),
    bcc: Sequence[str] = (),
) -> Message:
    """One message: ``attachments`` as (file name, content, MIME type); ``bcc`` for
    recipients who must not see each other's addresses."""
    message = EmailMultiAlternatives(
        subject=subject, body=body, to=list(to), bcc=list(bcc), headers=dict(headers or {})
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message


def mail_send(*messages: EmailMessage, connection: BaseEmailBackend | None = None) -> int:
    """Send the messages over one connection; the number sent."""
    if not messages:
        return 0
    return (connection or get_connection()).send_messages(list(messages)) or 0


def mail_batch_connection(backend: str | None = None) -> BaseEmailBackend:
    """A connection to send a batch over: ``open()`` it, pass it to each :func:`mail_send`,
    ``close()`` it.  ``backend`` (a dotted path) replaces the configured one, as the demo's
    dummy backend does."""
    connection: BaseEmailBackend = get_connection(backend)
    return connection
