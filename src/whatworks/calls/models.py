"""Calls for partners, their questions and criteria, applications and reviews.

A call is open only between ``opens_at`` and ``closes_at``; nobody flips a flag.  An
application is a draft until it is submitted once; then it is received, shortlisted, and
accepted or declined.  Attachments live under PRIVATE_DATA_ROOT and are served only
through a view that checks access.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from whatworks.core.questions import CHOICE as QUESTION_CHOICE
from whatworks.core.questions import ChoiceQuestion
from whatworks.core.validators import registry_reference_validator


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Files under ``PRIVATE_DATA_ROOT/calls``, read from settings when first used."""

    @property
    def base_location(self) -> str:
        return str(Path(settings.PRIVATE_DATA_ROOT) / "calls")

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> str:
        return ""


class Call(models.Model):
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    eligibility = models.TextField(_("who can apply"))
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    project_ref = models.CharField(
        _("research project"),
        max_length=100,
        blank=True,
        validators=[registry_reference_validator("project_ref")],
        help_text=_(
            "Identifier of the research project that accepted applicants join, as in the "
            "registry, e.g. WWC-2019-0007."
        ),
    )
    published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["closes_at"]
        verbose_name = _("call for partners")
        verbose_name_plural = _("calls for partners")
        permissions = [
            ("review_application", "Can score applications"),
            ("decide_application", "Can shortlist, accept and decline applications"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="calls_call_closes_after_opening",
                violation_error_message=_("A call must close after it opens."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("calls:detail", args=[self.slug])

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.published and self.opens_at <= now < self.closes_at

    @property
    def state(self) -> str:
        now = timezone.now()
        if now < self.opens_at:
            return "upcoming"
        return "open" if now < self.closes_at else "closed"


class Criterion(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria")
    label = models.CharField(_("criterion"), max_length=200)
    description = models.TextField(_("what reviewers look for"), blank=True)
    max_score = models.PositiveSmallIntegerField(_("highest score"), default=5)
    weight = models.PositiveSmallIntegerField(
        _("weight"),
        default=1,
        help_text=_(
            "How much this criterion counts towards the weighted total, against the others: "
            "a criterion of weight 2 counts twice as much as one of weight 1."
        ),
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["call", "position", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_score__gte=1), name="calls_criterion_max_score_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=1), name="calls_criterion_weight_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Question(ChoiceQuestion):
    class Kind(models.TextChoices):
        TEXT = "text", _("Short text")
        LONG_TEXT = "long-text", _("Long text")
        NUMBER = "number", _("Number")
        CHOICE = QUESTION_CHOICE, _("Choice")
        YES_NO = "yes-no", _("Yes or no")
        FILE = "file", _("File (PDF, Word, OpenDocument or plain text)")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    hint = models.CharField(_("hint"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=True)
    eligible_answer = models.CharField(
        _("eligibility: the answer that may apply"),
        max_length=3,
        blank=True,
        choices=[("yes", _("Yes")), ("no", _("No"))],
        help_text=_(
            "For a yes-or-no question only: makes it an eligibility question, asked before "
            "the full form; only applicants who give this answer go on."
        ),
    )

    class Meta:
        ordering = ["call", "position", "id"]
        verbose_name = _("application question")
        verbose_name_plural = _("application questions")

    @property
    def screens(self) -> bool:
        """Whether this is an eligibility question, asked before the full form."""
        return bool(self.eligible_answer) and self.kind == self.Kind.YES_NO


class Application(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RECEIVED = "received", _("Received")
        SHORTLISTED = "shortlisted", _("Shortlisted")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, related_name="call_applications"
    )
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="call_applications"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    updated_at = models.DateTimeField(_("last saved"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    reminded_at = models.DateTimeField(
        _("deadline reminder sent"),
        null=True,
        blank=True,
        help_text=_("When the applicant was reminded that the call closes (drafts only)."),
    )
    feedback = models.TextField(
        _("feedback to the applicant"),
        blank=True,
        help_text=_("Sent with the latest decision, and shown to the applicant."),
    )

    class Meta:
        ordering = ["call", "submitted_at", "id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["call", "applicant"], name="calls_application_one_per_applicant"
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(submitted_at__isnull=False),
                name="calls_application_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"application #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("calls:application", args=[self.pk])


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"{instance.application.call_id}/{instance.application_id}/{filename}"


class Attachment(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(_("file"), upload_to=attachment_path, storage=PrivateStorage())
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["application", "question", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "question"], name="calls_attachment_one_per_question"
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class Review(models.Model):
    """One reviewer's scores for one application: ``scores`` maps criterion id to score."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    scores = models.JSONField(_("scores"), default=dict)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("scored"), default=timezone.now)
    updated_at = models.DateTimeField(_("last corrected"), null=True, blank=True)

    class Meta:
        ordering = ["application", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="calls_review_one_per_reviewer"
            )
        ]

    def __str__(self) -> str:
        return f"review #{self.pk}"

    @property
    def total(self) -> int:
        return sum(int(v) for v in self.scores.values())


class Assignment(models.Model):
    """A reviewer asked by staff to score an application, or one who declared a conflict.

    A reviewer with ``conflict`` set neither scores the application nor sees it or its
    scores again (``selectors.application_get_for_user`` answers 404).
    """

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="assignments"
    )
    reviewer = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="+")
    assigned_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    conflict = models.BooleanField(_("conflict of interest"), default=False)
    conflict_note = models.TextField(_("the conflict"), blank=True)
    conflict_declared_at = models.DateTimeField(_("conflict declared"), null=True, blank=True)

    class Meta:
        ordering = ["application", "assigned_at", "id"]
        verbose_name = _("reviewer assignment")
        verbose_name_plural = _("reviewer assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="calls_assignment_one_per_reviewer"
            )
        ]

    def __str__(self) -> str:
        return f"assignment #{self.pk}"


class JoinRequest(models.Model):
    """Someone without an organisation asks to join one, to apply for it.

    An administrator, or anyone who already belongs to the organisation, approves (the
    person's account then names the organisation) or refuses.
    """

    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved = models.BooleanField(_("approved"), null=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("request to join an organisation")
        verbose_name_plural = _("requests to join an organisation")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(decided_at__isnull=True),
                name="calls_joinrequest_one_open_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"join request #{self.pk}"
