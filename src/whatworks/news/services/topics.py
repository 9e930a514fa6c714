"""Writes of the newsletter's topics, from the editors' pages (the admin stays for
administrators): create, edit, retire and bring back.

A topic is never deleted: issues were sent to it and subscribers chose it.  Retiring one
takes it off the subscribe and "your data" pages and off the choice of new issues; who
chose it is kept, so bringing it back restores their choice.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record, diff_fields
from whatworks.news.errors import NewsError
from whatworks.news.models import Topic

TOPIC_AUDITED = ["name", "slug", "description", "position"]


def _fill(topic: Topic, *, name: str, slug: str, description: str, position: int) -> None:
    topic.name = name.strip()
    topic.slug = slug.strip() or slugify(name)[:80]
    topic.description = description.strip()
    topic.position = position
    if not topic.slug:
        raise NewsError(_("Give the topic a web address name in plain letters."), field="slug")
    others = Topic.objects.exclude(pk=topic.pk)
    if others.filter(name__iexact=topic.name).exists():
        raise NewsError(_("Another topic already has this name."), field="name")
    if others.filter(slug=topic.slug).exists():
        raise NewsError(_("Another topic already has this web address name."), field="slug")
    full_clean_or_raise(topic, NewsError)


@transaction.atomic
def topic_create(
    *, actor: User | None, name: str, slug: str = "", description: str = "", position: int = 0
) -> Topic:
    topic = Topic()
    _fill(topic, name=name, slug=slug, description=description, position=position)
    topic.save()
    audit_record(
        actor=actor,
        action=AuditAction.NEWS_TOPIC_CREATED,
        target=topic,
        changes=diff_fields(None, topic, TOPIC_AUDITED),
    )
    return topic


@transaction.atomic
def topic_update(
    *,
    actor: User | None,
    topic: Topic,
    name: str,
    slug: str = "",
    description: str = "",
    position: int = 0,
) -> Topic:
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    before = Topic(**{f: getattr(topic, f) for f in TOPIC_AUDITED})
    _fill(topic, name=name, slug=slug, description=description, position=position)
    changes = diff_fields(before, topic, TOPIC_AUDITED)
    if changes:
        topic.save()
        audit_record(
            actor=actor, action=AuditAction.NEWS_TOPIC_UPDATED, target=topic, changes=changes
        )
    return topic


@transaction.atomic
def topic_retire(
    *, actor: User | None, topic: Topic, retire: bool = True, now: datetime | None = None
) -> Topic:
    """Retire the topic (``retire=False``: bring it back); doing it twice changes nothing."""
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    if topic.retired == retire:
        return topic
    topic.retired_at = (now or timezone.now()) if retire else None
    topic.save(update_fields=["retired_at"])
    audit_record(
        actor=actor,
        action=AuditAction.NEWS_TOPIC_RETIRED if retire else AuditAction.NEWS_TOPIC_RESTORED,
        target=topic,
        changes={"subscribers": topic.subscribers.count()},
    )
    return topic
