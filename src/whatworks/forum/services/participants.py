"""Participants: signed in or anonymous, and the e-mail confirmation of anonymous ones."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.forum import emails as forum_emails
from whatworks.forum.errors import (
    ConversationClosedError,
    ForumError,
    VerificationLinkError,
    VerificationRequiredError,
)
from whatworks.forum.models import (
    Conversation,
    Participant,
)


def require_open(conversation: Conversation) -> None:
    """Refuse to let anyone take part in a conversation that is not open."""
    if not conversation.is_open():
        raise ConversationClosedError(
            _("This conversation is closed: you can read the report but not vote or write.")
            if conversation.has_opened()
            else _("This conversation has not opened yet.")
        )


def _participant_lookup(
    conversation: Conversation, user: User | None, anon_key: str
) -> dict[str, object]:
    if user is not None and user.is_authenticated:
        return {"conversation": conversation, "user": user}
    if anon_key and conversation.allow_anonymous:
        return {"conversation": conversation, "anon_key": anon_key, "user": None}
    raise ForumError(_("Sign in to take part in this conversation."))


#: How long an e-mail confirmation link works.
VERIFY_MAX_AGE = timedelta(days=2)
VERIFY_SALT = "whatworks.forum.verify"


def _verify_first() -> str:
    return _(
        "Confirm your e-mail address to take part: we send you a link, and one address is one "
        "participant."
    )


def _must_verify(conversation: Conversation, user: User | None) -> bool:
    return conversation.anonymous_must_verify and not (user is not None and user.is_authenticated)


def email_digest(email: str) -> str:
    """The HMAC-SHA256 of a normalised e-mail address under the site's secret: the forum
    keeps this, never the address."""
    normalised = email.strip().lower().encode()
    secret = f"{settings.SECRET_KEY}\x00forum-email".encode()
    return hmac.new(secret, normalised, hashlib.sha256).hexdigest()


def participant_verify_request(*, conversation: Conversation, anon_key: str, email: str) -> None:
    """E-mail a confirmation link for ``email`` to the browser ``anon_key`` (after commit).

    Nothing is stored until the link is used; the answer is the same whether or not the
    address already took part, so it tells nobody who did.
    """
    require_open(conversation)
    if not conversation.allow_anonymous:
        raise ForumError(_("Sign in to take part in this conversation."))
    if not anon_key:
        raise ForumError(_("Your browser sent no participant id; allow cookies and try again."))
    token = signing.dumps(
        {"c": conversation.pk, "d": email_digest(email), "k": anon_key}, salt=VERIFY_SALT
    )
    address = email.strip()
    transaction.on_commit(
        lambda: forum_emails.send_verification(
            conversation_id=conversation.pk, email=address, token=token
        )
    )


@transaction.atomic
def participant_verify(*, conversation: Conversation, token: str) -> Participant:
    """Use a confirmation link: the participant of that address in this conversation
    (made, or found if the address confirmed before, on any browser).  The view then
    gives the browser that participant's id."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.SignatureExpired:
        raise VerificationLinkError(
            _("This link has expired. Ask for a new one on the conversation's page.")
        ) from None
    except signing.BadSignature:
        raise VerificationLinkError(
            _("This link is not valid. Copy the whole link from the e-mail, or ask for a new one.")
        ) from None
    if not isinstance(data, dict) or data.get("c") != conversation.pk:
        raise VerificationLinkError(_("This link belongs to another conversation."))
    require_open(conversation)
    digest, key = str(data["d"]), str(data["k"])
    found = Participant.objects.filter(conversation=conversation, email_digest=digest).first()
    if found is not None:
        return found
    now = timezone.now()
    mine = (
        Participant.objects.select_for_update()
        .filter(conversation=conversation, anon_key=key, user=None)
        .first()
    )
    try:
        with transaction.atomic():
            if mine is not None and not mine.email_digest:
                mine.email_digest, mine.verified_at = digest, now
                mine.save(update_fields=["email_digest", "verified_at"])
                participant = mine
            else:
                participant = Participant.objects.create(
                    conversation=conversation,
                    anon_key=key if mine is None else secrets.token_urlsafe(18),
                    email_digest=digest,
                    verified_at=now,
                )
    except IntegrityError:  # the same link used twice at once
        return Participant.objects.get(conversation=conversation, email_digest=digest)
    audit_record(
        actor=None,
        action=AuditAction.FORUM_PARTICIPANT_VERIFIED,
        target=participant,
        changes={"conversation": conversation.pk},
    )
    return participant


def participant_get_or_create(
    *, conversation: Conversation, user: User | None, anon_key: str = ""
) -> Participant:
    """The participant for a signed-in user, or for a browser's random id.

    Taking part writes no audit entry: a participant row holds no personal data.  Where
    anonymous participants must confirm an e-mail address, only a confirmed one is found,
    and none is created (``participant_verify`` does that).
    """
    lookup = _participant_lookup(conversation, user, anon_key)
    found = Participant.objects.filter(**lookup).first()
    if _must_verify(conversation, user) and (found is None or found.verified_at is None):
        raise VerificationRequiredError(_verify_first())
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Participant.objects.create(**lookup)
    except IntegrityError:  # created by a concurrent request of the same browser
        return Participant.objects.get(**lookup)
