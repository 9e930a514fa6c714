"""People, organisations, the audit log, and the bookkeeping of background tasks."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    """The nine English regions (ONS ITL1), as used in DfE statistics."""

    NORTH_EAST = "north-east", _("North East")
    NORTH_WEST = "north-west", _("North West")
    YORKSHIRE = "yorkshire-humber", _("Yorkshire and The Humber")
    EAST_MIDLANDS = "east-midlands", _("East Midlands")
    WEST_MIDLANDS = "west-midlands", _("West Midlands")
    EAST = "east", _("East of England")
    LONDON = "london", _("London")
    SOUTH_EAST = "south-east", _("South East")
    SOUTH_WEST = "south-west", _("South West")


class Organisation(models.Model):
    class Kind(models.TextChoices):
        LOCAL_AUTHORITY = "local-authority", _("Local authority")
        UNIVERSITY = "university", _("University or research organisation")
        CHARITY = "charity", _("Charity or voluntary organisation")
        GOVERNMENT = "government", _("Government body")
        OTHER = "other", _("Other partner organisation")

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="local-authority") | ~models.Q(region=""),
                name="core_organisation_la_has_region",
                violation_error_message=_("A local authority needs its region."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        """Sign-in ignores the case of the e-mail address (and the lock-out does too)."""
        from whatworks.core.auth import normalise_login

        return self.get(email__iexact=normalise_login(username))

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their e-mail address.

    Roles are groups (see :mod:`whatworks.core.roles`); an LA analyst's scope is their
    ``organisation``.
    """

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("May use the admin site.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class AuditEntry(models.Model):
    """One state change or sensitive access, written by the service that did it.

    Rows are only ever inserted, chained by hash (``core/auditlog.py``); the database
    refuses UPDATE and DELETE.  ``actor_label`` keeps the actor's number when the actor is
    later erased; personal data never goes into ``changes``.
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor label"), max_length=200)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("before/after summary"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous entry's hash"), max_length=64, blank=True)
    entry_hash = models.CharField(_("hash"), max_length=64, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["object_type", "object_id"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(entry_hash=""),
                name="core_auditentry_hashed",
                violation_error_message=_("An audit entry is written by audit_record only."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Audit entries are never deleted.")


class TaskRecord(models.Model):
    """Who started a background task, what it is about, and how far it has got.

    The queue itself belongs to django-tasks-db; this row is ours, so that a task's page
    can check access and show progress without reaching into the queue's tables.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_id = models.CharField(_("queue id"), max_length=64, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=80)
    label = models.CharField(_("label"), max_length=200)
    owner = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="task_records"
    )
    progress = models.FloatField(_("progress"), default=0.0)
    message = models.CharField(_("progress message"), max_length=300, blank=True)
    result_url = models.CharField(_("result link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0) & models.Q(progress__lte=1),
                name="core_taskrecord_progress_fraction",
            )
        ]

    def __str__(self) -> str:
        return self.label


class WorkerHeartbeat(models.Model):
    """A task worker's sign of life; a worker that stops beating is presumed dead."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.hostname} (pid {self.pid})"


class ThrottleCounter(models.Model):
    """How many times one key (a client address, an e-mail address) did one thing in one
    window; ``core.throttle`` counts and checks.  ``key`` is an HMAC of the key under the
    site's secret, so the table holds no address in clear; rows are purged once old."""

    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    #: Set once an over-the-limit attempt in this window has been audited (once per window).
    refusal_logged = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key", "window_start"], name="core_throttle_one_per_window"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="core_throttle_window")]

    def __str__(self) -> str:
        return f"{self.scope} {self.window_start:%Y-%m-%d %H:%M}: {self.count}"


class SearchSynonym(models.Model):
    """A group of words or phrases that mean the same to the platform's search (see
    ``core.search``): abbreviations and synonyms of the field, kept by editors."""

    terms = models.TextField(
        _("words and phrases"),
        max_length=2000,
        help_text=_(
            "Two or more words or phrases that mean the same, separated by commas, e.g. "
            "“DV, domestic violence, domestic abuse”."
        ),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["terms"]
        verbose_name = _("search synonym group")
        verbose_name_plural = _("search synonym groups")

    def __str__(self) -> str:
        return self.terms[:80]
