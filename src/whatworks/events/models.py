"""Events: their pages, the questions asked at registration, and the registrations.

A registration is held (a place kept for a short time until the address is confirmed),
confirmed, waiting, offered a place, cancelled or expired.  Held, confirmed and offered
registrations hold places; the rest do not.  Until its address is confirmed (the link in
the first e-mail, or a signed-in person's own address) a registration holds a place only
until ``hold_expires_at``, and a waiting one is offered nothing.  Capacity is enforced in
:func:`whatworks.events.services.registration_create` under a lock on the event's row.
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from whatworks.core.questions import CHOICE as QUESTION_CHOICE
from whatworks.core.questions import ChoiceQuestion
from whatworks.core.validators import registry_reference_validator

#: A research project's identifier in the registry (see ``core.validators``).
PROJECT_REF_VALIDATOR = registry_reference_validator("project_ref")


class Event(models.Model):
    class Kind(models.TextChoices):
        IUSEEVIDENCE = "iuseevidence", _("#iuseevidence day")
        FORUM = "forum", _("Deliberative forum")
        SCHWARTZ = "schwartz", _("Schwartz Round demonstration")
        OTHER = "other", _("Other event")

    class Mode(models.TextChoices):
        IN_PERSON = "in-person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("In person and online")

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    summary = models.TextField(_("summary"))
    agenda = models.TextField(_("agenda"), blank=True, help_text=_("One item a line."))
    accessibility = models.TextField(_("accessibility information"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    time_zone = models.CharField(_("time zone"), max_length=60, default="Europe/London")
    mode = models.CharField(_("format"), max_length=20, choices=Mode.choices)
    venue = models.CharField(_("venue"), max_length=300, blank=True)
    online_url = models.URLField(_("online joining link"), blank=True)
    capacity = models.PositiveIntegerField(_("capacity"))
    registration_opens_at = models.DateTimeField(_("registration opens"))
    registration_closes_at = models.DateTimeField(_("registration closes"))
    offer_hours = models.PositiveIntegerField(
        _("hours to accept an offered place"),
        null=True,
        blank=True,
        help_text=_("Empty: the site's default (WHATWORKS_EVENTS_OFFER_HOURS)."),
    )
    project_ref = models.CharField(
        _("research project"),
        max_length=20,
        blank=True,
        validators=[PROJECT_REF_VALIDATOR],
        help_text=_(
            "Identifier of the research project this event is part of, as in the registry, "
            "e.g. WWC-2019-0007. Leave empty if none."
        ),
    )
    published = models.BooleanField(_("published"), default=True)
    cpd_hours = models.DecimalField(
        _("hours of learning"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_(
            "The hours shown on certificates of attendance, for CPD records. Leave empty to "
            "use the event's length from start to end."
        ),
    )
    #: When staff cancelled the event (every registration is cancelled with it; for good).
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True, editable=False)
    cancellation_note = models.TextField(_("why it is cancelled"), blank=True)
    #: The feedback survey's id in the polling panel (``core.surveys``; no foreign key, as
    #: parts do not reach into each other's models).
    feedback_survey_id = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        permissions = [("checkin_registration", "Can check attendees in")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="events_event_ends_after_start",
                violation_error_message=_("An event must end after it starts."),
            ),
            models.CheckConstraint(
                condition=models.Q(registration_closes_at__gt=models.F("registration_opens_at")),
                name="events_event_registration_window",
                violation_error_message=_("Registration must close after it opens."),
            ),
            models.CheckConstraint(
                condition=~models.Q(mode="in-person") | ~models.Q(venue=""),
                name="events_event_in_person_has_venue",
                violation_error_message=_("An event in person needs a venue."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:detail", args=[self.slug])

    def clean(self) -> None:
        if self.time_zone not in zoneinfo.available_timezones():
            raise ValidationError({"time_zone": _("Use a time zone name such as Europe/London.")})

    def registration_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        if self.cancelled_at is not None:
            return False
        return self.registration_opens_at <= now < self.registration_closes_at

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    def hours(self) -> Decimal:
        """Hours of learning for certificates: ``cpd_hours``, else start to end, to 0.5 h."""
        if self.cpd_hours is not None:
            return Decimal(self.cpd_hours)
        seconds = Decimal((self.ends_at - self.starts_at).total_seconds())
        return (seconds / Decimal(1800)).quantize(Decimal(1), rounding=ROUND_HALF_UP) / 2

    def agenda_items(self) -> list[str]:
        return [line.strip() for line in self.agenda.splitlines() if line.strip()]


class Question(ChoiceQuestion):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        CHOICE = QUESTION_CHOICE, _("Choice")
        ACCESS = "access", _("Access needs")
        DIETARY = "dietary", _("Dietary needs")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        ordering = ["event", "position", "id"]
        verbose_name = _("registration question")
        verbose_name_plural = _("registration questions")


class Registration(models.Model):
    class Status(models.TextChoices):
        HELD = "held", _("Place held until you confirm your address")
        CONFIRMED = "confirmed", _("Confirmed")
        WAITING = "waiting", _("On the waiting list")
        OFFERED = "offered", _("Offered a place")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Lapsed (not confirmed or accepted in time)")

    class Source(models.TextChoices):
        SELF = "self", _("Registered themselves")
        STAFF = "staff", _("Added by staff")
        WALK_IN = "walk-in", _("Walked in on the day")

    #: Statuses that hold one of the event's places.
    HOLDING = (Status.HELD, Status.CONFIRMED, Status.OFFERED)
    #: Statuses of a person still taking part (one such registration per address and event).
    ACTIVE = (Status.HELD, Status.CONFIRMED, Status.OFFERED, Status.WAITING)

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    #: When the person confirmed the address (the link in the first e-mail), or when a
    #: signed-in person registered their own account's address.
    address_confirmed_at = models.DateTimeField(_("address confirmed"), null=True, blank=True)
    #: Until then an unconfirmed registration keeps its held place or its waiting entry.
    hold_expires_at = models.DateTimeField(_("unconfirmed until"), null=True, blank=True)
    #: The waiting list is served in this order (then by id): set at registration and
    #: again when staff move someone back to the waiting list (to its end).
    queued_at = models.DateTimeField(_("joined the queue"), null=True, blank=True)
    source = models.CharField(
        _("how they registered"), max_length=20, choices=Source.choices, default=Source.SELF
    )
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    #: When the reminder before the event went out (it goes once).
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    #: When the certificate of attendance was e-mailed after the event (it goes once).
    certificate_sent_at = models.DateTimeField(_("certificate sent"), null=True, blank=True)
    #: When the feedback survey's invitation went to them after the event (it goes once).
    feedback_invited_at = models.DateTimeField(_("feedback invited"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered"), default=timezone.now)

    class Meta:
        ordering = ["event", "id"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=models.Q(status__in=["held", "confirmed", "offered", "waiting"])
                & ~models.Q(email=""),
                name="events_registration_one_active_per_email",
                violation_error_message=_("This address is already registered for the event."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="offered") | models.Q(offer_expires_at__isnull=False),
                name="events_registration_offer_has_expiry",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="held") | models.Q(hold_expires_at__isnull=False),
                name="events_registration_hold_has_expiry",
            ),
        ]
        indexes = [models.Index(fields=["event", "status", "id"])]

    def __str__(self) -> str:
        return f"registration #{self.pk}"

    def audit_label(self) -> str:
        return f"registration #{self.pk} for event #{self.event_id}"

    @property
    def address_confirmed(self) -> bool:
        return self.address_confirmed_at is not None
