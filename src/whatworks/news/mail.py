"""The e-mails of the newsletter: confirmation, manage link, and each issue's message."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from whatworks.core.links import absolute_url
from whatworks.core.mail import Message, mail_message, mail_send
from whatworks.news.tokens import CONFIRM_SALT, MANAGE_SALT, UNSUBSCRIBE_SALT, make_token


def confirm_url(key: str) -> str:
    return absolute_url(reverse("news:confirm", args=[make_token(key, salt=CONFIRM_SALT)]))


def manage_url(key: str) -> str:
    return absolute_url(reverse("news:manage", args=[make_token(key, salt=MANAGE_SALT)]))


def send_confirmation(*, email: str, key: str) -> None:
    context = {"confirm_url": confirm_url(key), "site_name": settings.WHATWORKS_SITE_NAME}
    mail_send(
        mail_message(
            subject=_("Confirm your subscription to the whatworks newsletter"),
            body=render_to_string("news/email/confirm.txt", context),
            to=[email],
        )
    )


def send_manage_link(*, email: str, key: str) -> None:
    context = {"manage_url": manage_url(key), "site_name": settings.WHATWORKS_SITE_NAME}
    mail_send(
        mail_message(
            subject=_("Your whatworks newsletter subscription"),
            body=render_to_string("news/email/manage.txt", context),
            to=[email],
        )
    )


def test_message(*, subject: str, text: str, html: str, to: str) -> Message:
    """An issue's test copy for the editor who asked for it (no unsubscribe headers)."""
    return mail_message(
        subject=_("[Test] %(subject)s") % {"subject": subject}, body=text, html=html, to=[to]
    )


class IssueMailer:
    """Builds each subscriber's copy of one issue, with RFC 8058 one-click unsubscribe.

    ``text`` and ``html`` are rendered once per issue and carry the placeholders
    ``{unsubscribe_url}`` and ``{manage_url}``, filled in here for each subscriber; the
    link patterns are looked up once, not for every message.
    """

    _SLOT = "TOKEN-SLOT"

    def __init__(self, *, subject: str, text: str, html: str) -> None:
        self.subject, self.text, self.html = subject, text, html
        self._unsubscribe = absolute_url(reverse("news:unsubscribe", args=[self._SLOT]))
        self._manage = absolute_url(reverse("news:manage", args=[self._SLOT]))

    def message(self, *, email: str, key: str) -> Message:
        unsubscribe = self._unsubscribe.replace(self._SLOT, make_token(key, salt=UNSUBSCRIBE_SALT))
        manage = self._manage.replace(self._SLOT, make_token(key, salt=MANAGE_SALT))
        return mail_message(
            subject=self.subject,
            body=self.text.replace("{unsubscribe_url}", unsubscribe).replace(
                "{manage_url}", manage
            ),
            to=[email],
            html=self.html.replace("{unsubscribe_url}", unsubscribe).replace(
                "{manage_url}", manage
            ),
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
