"""The blog (authors, tags, posts, images) and the newsletter (subscribers, consent,
issues and one delivery row per subscriber per issue).

A post is visible once its ``publish_at`` has passed: computed at read time, so a
scheduled post appears by itself with no flag to flip.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _new_key() -> str:
    return secrets.token_urlsafe(24)


#: An author profile's fields that are personal data (never written to the audit log).
PROFILE_PERSONAL = ("slug", "display_name", "job_title", "bio")


class AuthorProfile(models.Model):
    """The public face of a user who writes posts: their name, title and biography."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="author_profile",
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    display_name = models.CharField(_("name shown"), max_length=200)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    bio = models.TextField(_("biography"), blank=True)
    is_public = models.BooleanField(_("has a public author page"), default=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("author profile")
        verbose_name_plural = _("author profiles")

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("news:author", args=[self.slug])

    def audit_label(self) -> str:
        """The audit log names the profile by number: its name is personal data."""
        return f"author profile #{self.pk} of user #{self.user_id}"


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("news:tag", args=[self.slug])


class PostQuerySet(models.QuerySet["Post"]):
    def published(self, *, now: object = None) -> PostQuerySet:
        """Posts whose publish time has passed (scheduled ones stay hidden until then)."""
        return self.filter(publish_at__isnull=False, publish_at__lte=now or timezone.now())


class Post(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    summary = models.CharField(
        _("summary"), max_length=300, help_text=_("One or two sentences for lists and feeds.")
    )
    body = models.TextField(_("body (Markdown)"))
    author = models.ForeignKey(
        AuthorProfile, verbose_name=_("author"), on_delete=models.PROTECT, related_name="posts"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="posts")
    publish_at = models.DateTimeField(
        _("publish at"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Empty: a draft. In the future: scheduled; it appears by itself then."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-id"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("news:post", args=[self.slug])

    def is_published(self) -> bool:
        return self.publish_at is not None and self.publish_at <= timezone.now()


class PostImage(models.Model):
    """An uploaded picture, type checked from its content; served by a view, never raw."""

    class Kind(models.TextChoices):
        PNG = "image/png", _("PNG")
        JPEG = "image/jpeg", _("JPEG")
        WEBP = "image/webp", _("WebP")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="images"
    )
    file = models.FileField(_("file"), upload_to="news/images/")
    content_type = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    alt_text = models.CharField(
        _("alternative text"),
        max_length=300,
        help_text=_("What the picture shows, for people who cannot see it."),
    )
    size = models.PositiveIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("post image")
        verbose_name_plural = _("post images")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(alt_text=""),
                name="news_postimage_alt_text_required",
                violation_error_message=_("Describe the image for people who cannot see it."),
            )
        ]

    def __str__(self) -> str:
        return self.alt_text

    def get_absolute_url(self) -> str:
        return reverse("news:image", args=[self.pk])


class Topic(models.Model):
    """What a subscriber may choose to hear about; an issue may go to one topic only."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    #: A retired topic is no longer offered to subscribers nor to new issues; who chose it
    #: and the issues sent to it are kept (it may be brought back).
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("newsletter topic")
        verbose_name_plural = _("newsletter topics")

    def __str__(self) -> str:
        return self.name

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


class Subscriber(models.Model):
    """Someone who asked for the newsletter.  Only ``confirmed`` subscribers are sent it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Subscribed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Address bounced")

    email = models.EmailField(_("e-mail address"))
    key = models.CharField(max_length=64, unique=True, default=_new_key, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)
    topics = models.ManyToManyField(
        Topic, verbose_name=_("topics"), blank=True, related_name="subscribers"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="news_subscriber_email_unique_ci")
        ]

    def __str__(self) -> str:
        return f"subscriber #{self.pk}"

    def audit_label(self) -> str:
        return f"subscriber #{self.pk}"


class ConsentRecord(models.Model):
    """What a subscriber agreed to (or withdrew), when and where: kept as data."""

    class Kind(models.TextChoices):
        GIVEN = "given", _("Consent given")
        CONFIRMED = "confirmed", _("Consent confirmed by e-mail")
        WITHDRAWN = "withdrawn", _("Consent withdrawn")

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text_version = models.CharField(_("consent text version"), max_length=40)
    text_sha256 = models.CharField(_("SHA-256 of the consent text"), max_length=64)
    source = models.CharField(_("source"), max_length=100)
    recorded_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.kind} {self.text_version} at {self.recorded_at:%Y-%m-%d %H:%M}"


class Issue(models.Model):
    """One monthly newsletter: drafted by the platform, finished and sent by an editor."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    body = models.TextField(_("body (Markdown)"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    covers_from = models.DateTimeField(_("covers from"))
    covers_until = models.DateTimeField(_("covers until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    send_started_at = models.DateTimeField(_("sending started"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    recipients_prepared = models.BooleanField(_("recipients listed"), default=False)
    task_record_id = models.UUIDField(_("sending task"), null=True, blank=True)
    topic = models.ForeignKey(
        Topic,
        verbose_name=_("sent to the topic"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
        help_text=_("Empty: every subscriber. A topic: only those who chose it."),
    )
    scheduled_for = models.DateTimeField(_("scheduled to send at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("newsletter issue")
        verbose_name_plural = _("newsletter issues")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("news:archive_issue", args=[self.slug])


class Delivery(models.Model):
    """One issue to one subscriber: claimed by a batch, then sent, skipped or failed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        CLAIMED = "claimed", _("Being sent")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped (unsubscribed or bounced)")
        FAILED = "failed", _("Refused by the mail server")

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="deliveries")
    # Kept, without the person, when a subscriber erases their data: an issue's counts of
    # sent, skipped and refused messages never change afterwards.
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.SET_NULL, null=True, related_name="deliveries"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    claim = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "subscriber"], name="news_delivery_once_per_subscriber"
            )
        ]
        indexes = [models.Index(fields=["issue", "status", "id"])]

    def __str__(self) -> str:
        return f"issue #{self.issue_id} to subscriber #{self.subscriber_id}: {self.status}"


class PostRevision(models.Model):
    """What a post said after one save, and who saved it: the post's history, newest last.

    Written by ``post_create`` and ``post_update`` only; never changed afterwards."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved"), default=timezone.now)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300)
    body = models.TextField(_("body (Markdown)"))
    tags = models.CharField(_("tags"), max_length=400, blank=True)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    #: The names of the fields this save changed (all of them for the first revision).
    changed = models.JSONField(_("fields changed"), default=list)

    class Meta:
        ordering = ["post", "number"]
        verbose_name = _("post revision")
        verbose_name_plural = _("post revisions")
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="news_revision_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.post} r{self.number}"
