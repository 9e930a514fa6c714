"""Writes of newsletter subscriptions: double opt-in, unsubscribe, bounces, export, erasure.

E-mail addresses never go into the audit log: subscribers are named by number.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.news import mail
from whatworks.news.consent import CONSENT_TEXT, CONSENT_TEXT_VERSION, consent_text_sha256
from whatworks.news.errors import NewsError
from whatworks.news.models import ConsentRecord, Delivery, Subscriber, Topic

#: A pending subscriber gets another confirmation e-mail only after this long.
RESEND_AFTER = timedelta(minutes=10)


def _consent(subscriber: Subscriber, kind: str, source: str) -> ConsentRecord:
    return ConsentRecord.objects.create(
        subscriber=subscriber,
        kind=kind,
        text_version=CONSENT_TEXT_VERSION,
        text_sha256=consent_text_sha256(CONSENT_TEXT),
        source=source[:100],
    )


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise NewsError(
            _("Enter an e-mail address in the correct format, like name@example.com"),
            field="email",
        ) from None
    return email


@transaction.atomic
def subscriber_subscribe(
    *, actor: User | None, email: str, source: str, topics: list[Topic] | None = None
) -> Subscriber:
    """Record consent and send a confirmation link; nothing is sent to them before they click.

    Someone already subscribed gets no second e-mail, and the answer looks the same
    either way, so the form does not tell strangers who is subscribed (nor lets them change
    a subscriber's ``topics``: those are changed from the subscriber's own link).
    """
    email = normalise_email(email)
    subscriber = Subscriber.objects.select_for_update().filter(email__iexact=email).first()
    if subscriber is not None and subscriber.status == Subscriber.Status.CONFIRMED:
        return subscriber
    if (
        subscriber is not None
        and subscriber.status == Subscriber.Status.PENDING
        and subscriber.consents.filter(recorded_at__gte=timezone.now() - RESEND_AFTER).exists()
    ):
        return subscriber  # a link went out moments ago: the form is no way to flood a mailbox
    before = subscriber.status if subscriber else None
    if subscriber is None:
        subscriber = Subscriber(email=email)
    subscriber.status = Subscriber.Status.PENDING
    full_clean_or_raise(subscriber, NewsError)
    subscriber.save()
    if topics is not None:
        subscriber.topics.set(topics)
    _consent(subscriber, ConsentRecord.Kind.GIVEN, source)
    audit_record(
        actor=actor,
        action=AuditAction.SUBSCRIBER_SUBSCRIBED,
        target=subscriber,
        changes={
            "status": {"before": before, "after": subscriber.status},
            "source": source,
            "topics": sorted(t.slug for t in topics or []),
        },
    )
    key = subscriber.key
    transaction.on_commit(lambda: mail.send_confirmation(email=email, key=key))
    return subscriber


@transaction.atomic
def subscriber_confirm(*, actor: User | None, subscriber: Subscriber, source: str) -> Subscriber:
    """Confirm a pending subscription (double opt-in); confirming twice changes nothing."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status == Subscriber.Status.CONFIRMED:
        return subscriber
    if subscriber.status != Subscriber.Status.PENDING:
        raise NewsError(_("This subscription was ended. Subscribe again to restart it."))
    subscriber.status = Subscriber.Status.CONFIRMED
    subscriber.confirmed_at = timezone.now()
    subscriber.save(update_fields=["status", "confirmed_at"])
    _consent(subscriber, ConsentRecord.Kind.CONFIRMED, source)
    audit_record(
        actor=actor,
        action=AuditAction.SUBSCRIBER_CONFIRMED,
        target=subscriber,
        changes={"status": {"before": "pending", "after": "confirmed"}},
    )
    return subscriber


@transaction.atomic
def subscriber_import(*, actor: User | None, email: str, source: str) -> Subscriber:
    """Add someone who has already confirmed elsewhere (a list moved here, the demo).

    ``source`` must say where their consent was given; no e-mail is sent.  An address that
    is already here is left as it is.
    """
    email = normalise_email(email)
    existing = Subscriber.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing
    subscriber = Subscriber(
        email=email, status=Subscriber.Status.CONFIRMED, confirmed_at=timezone.now()
    )
    full_clean_or_raise(subscriber, NewsError)
    subscriber.save()
    _consent(subscriber, ConsentRecord.Kind.GIVEN, source)
    _consent(subscriber, ConsentRecord.Kind.CONFIRMED, source)
    audit_record(
        actor=actor,
        action=AuditAction.SUBSCRIBER_IMPORTED,
        target=subscriber,
        changes={"status": {"before": None, "after": "confirmed"}, "source": source},
    )
    return subscriber


@transaction.atomic
def subscriber_unsubscribe(
    *, actor: User | None, subscriber: Subscriber, source: str
) -> Subscriber:
    """Stop all further issues at once; pending deliveries to them are skipped."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        return subscriber
    before = subscriber.status
    subscriber.status = Subscriber.Status.UNSUBSCRIBED
    subscriber.unsubscribed_at = timezone.now()
    subscriber.save(update_fields=["status", "unsubscribed_at"])
    _consent(subscriber, ConsentRecord.Kind.WITHDRAWN, source)
    skipped = Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SKIPPED
    )
    audit_record(
        actor=actor,
        action=AuditAction.SUBSCRIBER_UNSUBSCRIBED,
        target=subscriber,
        changes={"status": {"before": before, "after": subscriber.status}, "source": source,
                 "deliveries_skipped": skipped},
    )  # fmt: skip
    return subscriber


@transaction.atomic
def subscriber_mark_bounced(
    *, actor: User | None, email: str, source: str = "command"
) -> Subscriber | None:
    """Stop sending to an address the mail system reports as undeliverable.

    ``source`` says who reported it: "command", "webhook" (the provider's bounce webhook)
    or "mailbox" (a delivery-status notification read from a mailbox)."""
    subscriber = (
        Subscriber.objects.select_for_update().filter(email__iexact=(email or "").strip()).first()
    )
    if subscriber is None or subscriber.status == Subscriber.Status.BOUNCED:
        return subscriber
    before = subscriber.status
    subscriber.status = Subscriber.Status.BOUNCED
    subscriber.bounced_at = timezone.now()
    subscriber.save(update_fields=["status", "bounced_at"])
    skipped = Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SKIPPED
    )
    audit_record(
        actor=actor,
        action=AuditAction.SUBSCRIBER_BOUNCED,
        target=subscriber,
        changes={
            "status": {"before": before, "after": "bounced"},
            "deliveries_skipped": skipped,
            "source": source,
        },
    )
    return subscriber


@transaction.atomic
def subscriber_send_manage_link(*, actor: User | None, email: str) -> None:
    """E-mail a link to export or erase their data, if the address is subscribed at all.

    The answer is the same whether or not it is, so strangers learn nothing.
    """
    email = normalise_email(email)
    subscriber = Subscriber.objects.filter(email__iexact=email).first()
    if subscriber is None:
        return
    audit_record(actor=actor, action=AuditAction.SUBSCRIBER_MANAGE_LINK_SENT, target=subscriber)
    key, address = subscriber.key, subscriber.email
    transaction.on_commit(lambda: mail.send_manage_link(email=address, key=key))


@transaction.atomic
def subscriber_export(*, actor: User | None, subscriber: Subscriber) -> dict[str, Any]:
    """Everything held about a subscriber, as JSON-ready data."""
    audit_record(actor=actor, action=AuditAction.SUBSCRIBER_EXPORTED, target=subscriber)
    return {
        "email": subscriber.email,
        "status": subscriber.status,
        "created_at": subscriber.created_at.isoformat(),
        "confirmed_at": subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else None,
        "unsubscribed_at": (
            subscriber.unsubscribed_at.isoformat() if subscriber.unsubscribed_at else None
        ),
        "bounced_at": subscriber.bounced_at.isoformat() if subscriber.bounced_at else None,
        "topics": list(subscriber.topics.values_list("name", flat=True)),
        "consents": [
            {
                "kind": c.kind,
                "text_version": c.text_version,
                "text_sha256": c.text_sha256,
                "source": c.source,
                "recorded_at": c.recorded_at.isoformat(),
            }
            for c in subscriber.consents.all()
        ],
        "consent_text": {"version": CONSENT_TEXT_VERSION, "text": CONSENT_TEXT},
        "deliveries": [
            {
                "issue": d.issue.title,
                "status": d.status,
                "sent_at": d.sent_at.isoformat() if d.sent_at else None,
            }
            for d in subscriber.deliveries.select_related("issue").order_by("id")
        ],
    }


@transaction.atomic
def subscriber_erase(*, actor: User | None, subscriber: Subscriber) -> None:
    """Delete the subscriber with their consent records; links die with them.

    Their deliveries stay, without the person (``Delivery.subscriber`` becomes empty), so
    that an issue's counts of messages sent, skipped and refused never change; any still
    waiting are skipped."""
    Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SKIPPED
    )
    audit_record(actor=actor, action=AuditAction.SUBSCRIBER_ERASED, target=subscriber)
    subscriber.delete()


@transaction.atomic
def subscriber_set_topics(
    *, actor: User | None, subscriber: Subscriber, topics: list[Topic]
) -> Subscriber:
    """Choose the topics a subscriber hears about (issues sent to one topic)."""
    before = sorted(subscriber.topics.values_list("slug", flat=True))
    subscriber.topics.set(topics)
    after = sorted(t.slug for t in topics)
    if before != after:
        audit_record(
            actor=actor,
            action=AuditAction.SUBSCRIBER_TOPICS_CHANGED,
            target=subscriber,
            changes={"topics": {"before": before, "after": after}},
        )
    return subscriber
