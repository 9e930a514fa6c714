"""The forum's one e-mail: the link that confirms an anonymous participant's address."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from whatworks.core.links import absolute_url
from whatworks.core.mail import mail_message, mail_send
from whatworks.forum.models import Conversation


def send_verification(*, conversation_id: int, email: str, token: str) -> None:
    """Send the confirmation link.  The only text in it that was not written by the Centre
    is the conversation's question, which its staff wrote."""
    conversation = Conversation.objects.get(pk=conversation_id)
    link = absolute_url(reverse("forum:verify_confirm", args=[conversation.slug, token]))
    mail_send(
        mail_message(
            subject=_("Confirm your e-mail address to take part in a conversation"),
            body=render_to_string(
                "forum/email/verify.txt", {"conversation": conversation, "link": link}
            ),
            to=[email],
        )
    )
