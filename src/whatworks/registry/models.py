"""Research projects, their registered protocol versions and their results reports.

A protocol version is never updated or deleted once written: the model refuses, and so do
database triggers (``guards.py``, installed by migration 0002) on SQLite and PostgreSQL.
A results report may change while it is a draft and never once it is published.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from whatworks.core.models import Organisation
from whatworks.registry.storage import storages_private


class ImmutableRecordError(Exception):
    """Code tried to change or delete a registered record."""


class StudyType(models.TextChoices):
    RANDOMISED_TRIAL = "randomised-trial", _("Randomised trial")
    QUASI_EXPERIMENT = "quasi-experiment", _("Quasi-experiment")
    PILOT = "pilot", _("Pilot")
    SURVEY = "survey", _("Survey study")
    QUALITATIVE = "qualitative", _("Qualitative")


class Topic(models.TextChoices):
    EARLY_HELP = "early-help", _("Early help and family support")
    CHILD_PROTECTION = "child-protection", _("Child protection")
    CHILDREN_IN_CARE = "children-in-care", _("Children in care and care leavers")
    WORKFORCE = "workforce", _("Social work workforce")
    DATA = "data", _("Data and predictive analytics")
    SYSTEMS = "systems", _("Practice systems and change")


class ProjectStatus(models.TextChoices):
    SETTING_UP = "setting-up", _("Setting up")
    COLLECTING = "collecting-data", _("Collecting data")
    ANALYSING = "analysing", _("Analysing")
    REPORTED = "reported", _("Results reported")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ProjectQuerySet(models.QuerySet["Project"]):
    def public(self, today: date | None = None) -> ProjectQuerySet:
        """Published and out of embargo — whether or not the release task has run yet."""
        today = today or timezone.localdate()
        return self.filter(published_at__isnull=False).filter(
            Q(embargo_until__isnull=True) | Q(embargo_until__lte=today)
        )

    def listed(self, today: date | None = None) -> ProjectQuerySet:
        """What the public register lists: public projects and withdrawn ones' tombstones."""
        today = today or timezone.localdate()
        return self.filter(published_at__isnull=False).filter(
            Q(embargo_until__isnull=True)
            | Q(embargo_until__lte=today)
            | Q(withdrawn_at__isnull=False)
        )


#: A draft's handle until its protocol is first registered: DRAFT- and 12 hex digits.
DRAFT_PREFIX = "DRAFT-"


class Project(models.Model):
    #: WWC-YYYY-NNNN, assigned when the protocol is first registered (year of registration,
    #: serial within it), so that drafts never registered use no number up.  Until then
    #: a random ``DRAFT-`` handle that only the team sees, and year and serial are empty.
    reference = models.CharField(_("identifier"), max_length=20, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(editable=False, null=True)
    serial = models.PositiveIntegerField(editable=False, null=True)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"))
    status = models.CharField(
        _("status"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.SETTING_UP
    )
    study_type = models.CharField(_("type of study"), max_length=20, choices=StudyType.choices)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    partner_sites = models.ManyToManyField(
        Organisation, verbose_name=_("partner sites"), blank=True, related_name="research_projects"
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team"),
        blank=True,
        related_name="research_projects",
    )
    links = models.JSONField(_("links"), default=list, blank=True)
    draft_content = models.JSONField(_("protocol draft"), default=dict, blank=True)
    data_collection_ends = models.DateField(_("data collection ends"), null=True, blank=True)
    results_due = models.DateField(_("results due"), null=True, blank=True)
    embargo_until = models.DateField(_("embargoed until"), null=True, blank=True)
    embargo_released_at = models.DateTimeField(_("embargo released"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    #: Identifiers of the same study in other registers (``identifiers.py``), by scheme:
    #: {"isrctn": "ISRCTN12345678", "nct": "NCT01234567", "osf": "abcde"}.
    secondary_ids = models.JSONField(_("identifiers in other registers"), default=dict, blank=True)
    #: The last results reminder the team was sent ("due-soon" or "overdue", ``reminders.py``)
    #: and for which due date, so that each state is told once.
    results_notice = models.CharField(_("results reminder sent"), max_length=10, blank=True)
    results_notice_due = models.DateField(_("results reminder for due date"), null=True, blank=True)
    results_notice_at = models.DateTimeField(_("results reminder sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-serial"]
        verbose_name = _("research project")
        verbose_name_plural = _("research projects")
        permissions = [
            ("publish_project", "Can publish research projects and their results"),
            ("withdraw_project", "Can withdraw research projects"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["year", "serial"], name="registry_project_year_serial"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="registry_project_withdrawal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("registry:project", kwargs={"reference": self.reference})

    @property
    def has_identifier(self) -> bool:
        """Whether the project has its WWC identifier (its protocol was registered)."""
        return not self.reference.startswith(DRAFT_PREFIX)

    @property
    def identifier_label(self) -> str:
        return self.reference if self.has_identifier else str(_("Draft (no identifier yet)"))

    def is_embargoed(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.embargo_until is not None and self.embargo_until > today

    def is_public(self, today: date | None = None) -> bool:
        return self.published_at is not None and not self.is_embargoed(today)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def results(self) -> ResultsReport | None:
        """The results the project's pages lead with: the latest published report (the
        current one, after any corrections), or else the draft."""
        reports = self.results_reports.select_related("protocol_version")
        return (
            reports.filter(published_at__isnull=False).order_by("-number").first()
            or reports.filter(published_at__isnull=True).first()
        )


class ProtocolVersion(models.Model):
    """A registered protocol: fixed content, its SHA-256 and when it was registered."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="versions", verbose_name=_("project")
    )
    number = models.PositiveIntegerField(_("version"))
    content = models.JSONField(_("content"))
    sha256 = models.CharField(_("SHA-256 of the content"), max_length=64)
    registered_at = models.DateTimeField(_("registered"))
    justification = models.TextField(_("justification for the amendment"), blank=True)

    class Meta:
        ordering = ["project", "number"]
        verbose_name = _("protocol version")
        verbose_name_plural = _("protocol versions")
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="registry_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="registry_version_from_one"),
            models.CheckConstraint(
                condition=Q(number=1) | ~Q(justification=""),
                name="registry_amendment_has_justification",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.reference} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError(gettext("A registered protocol version cannot be changed."))
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "registry:version", kwargs={"reference": self.project.reference, "number": self.number}
        )

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError(gettext("A registered protocol version cannot be deleted."))

    @property
    def label(self) -> str:
        return f"{self.project.reference} v{self.number}"


class ResultsReport(models.Model):
    """The results of a project against the exact protocol version they answer to.

    Published results never change (``guards.py``).  A correction is a new report that
    ``corrects`` the published one, with a justification; once it is published it is the
    project's current results and the old one stays public, marked as superseded.
    """

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="results_reports", verbose_name=_("project")
    )
    number = models.PositiveIntegerField(_("number"), default=1)
    protocol_version = models.ForeignKey(
        ProtocolVersion,
        on_delete=models.PROTECT,
        related_name="results_reports",
        verbose_name=_("protocol version"),
    )
    corrects = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrected_by",
        verbose_name=_("corrects"),
    )
    justification = models.TextField(_("justification for the correction"), blank=True)
    summary = models.TextField(_("summary"), blank=True)
    results = models.JSONField(_("results per outcome"), default=list, blank=True)
    data_collection_ended = models.DateField(_("data collection ended"), null=True, blank=True)
    overall_verdict = models.CharField(_("overall verdict"), max_length=20, blank=True)
    #: CONSORT participant flow per arm, the baseline table, harms and a plain-language
    #: summary (``flow.py``); empty for reports made before they existed.
    flow = models.JSONField(_("participant flow"), default=list, blank=True)
    baseline = models.JSONField(_("baseline characteristics"), default=list, blank=True)
    harms = models.TextField(_("harms and unintended effects"), blank=True)
    plain_summary = models.TextField(_("plain-language summary"), blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["project", "number"]
        verbose_name = _("results report")
        verbose_name_plural = _("results reports")
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="registry_results_number"),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(corrects__isnull=True),
                name="registry_results_one_original",
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(published_at__isnull=True),
                name="registry_results_one_draft",
            ),
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | ~Q(justification=""),
                name="registry_correction_has_justification",
            ),
        ]

    def __str__(self) -> str:
        if self.corrects_id:
            return f"Results of {self.project.reference} (correction r{self.number})"
        return f"Results of {self.project.reference}"

    def get_absolute_url(self) -> str:
        return reverse(
            "registry:results_report",
            kwargs={"reference": self.project.reference, "number": self.number},
        )

    @property
    def label(self) -> str:
        return f"{self.project.reference} results r{self.number}"

    def json_url(self) -> str:
        return reverse(
            "registry:results_report_json",
            kwargs={"reference": self.project.reference, "number": self.number},
        )

    def superseding(self) -> ResultsReport | None:
        """The published correction of this report, if there is one."""
        try:
            correction = self.corrected_by
        except ResultsReport.DoesNotExist:
            return None
        return correction if correction.published_at is not None else None


class ProjectRequest(models.Model):
    """A team's request that editors publish or withdraw its project, and their decision.

    Researchers cannot publish or withdraw; they ask, editors decide with a reason, and
    the team is told by e-mail and on the project's page.  One pending request of each
    kind per project.
    """

    class Kind(models.TextChoices):
        PUBLISH = "publish", _("Publish on the register")
        WITHDRAW = "withdraw", _("Withdraw the project")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an editor")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="requests", verbose_name=_("project")
    )
    kind = models.CharField(_("request"), max_length=10, choices=Kind.choices)
    reason = models.TextField(_("reason"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("publication or withdrawal request")
        verbose_name_plural = _("publication and withdrawal requests")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind"],
                condition=Q(status="pending"),
                name="registry_request_one_pending",
            ),
            models.CheckConstraint(
                condition=~Q(kind="withdraw") | ~Q(reason=""),
                name="registry_withdraw_request_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | ~Q(decision_reason=""),
                name="registry_decision_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.project.reference}"

    def get_absolute_url(self) -> str:
        return reverse("registry:request_decide", kwargs={"request_id": self.pk})


class AttachmentKind(models.TextChoices):
    ANALYSIS_PLAN = "statistical-analysis-plan", _("Statistical analysis plan")
    ANALYSIS_CODE = "analysis-code", _("Analysis code")
    DATA_MANAGEMENT = "data-management-plan", _("Data-management plan")
    ETHICS = "ethics-approval", _("Ethics approval")


def _attachment_path(instance: ProtocolAttachment, filename: str) -> str:
    return f"{instance.project_id}/{instance.kind}-{instance.sha256}{_suffix(filename)}"


def _suffix(filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return f".{suffix}" if suffix.isalnum() and len(suffix) <= 5 else ""


class ProtocolAttachment(models.Model):
    """A document of a protocol (``attachments.py``): kept in private storage, named in the
    protocol's content by its SHA-256, and never changed.  Once a registered version lists
    it, it can no longer be deleted either; a draft's replaced file is."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("project")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=AttachmentKind.choices)
    file = models.FileField(
        _("file"), upload_to=_attachment_path, storage=storages_private, max_length=200
    )
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["project", "kind", "uploaded_at"]
        verbose_name = _("protocol attachment")
        verbose_name_plural = _("protocol attachments")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind", "sha256"], name="registry_attachment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.reference} {self.get_kind_display()} ({self.sha256[:12]})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError(
                gettext("An attachment is never changed: upload a new file.")
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.is_frozen():
            raise ImmutableRecordError(gettext("A registered version lists this file; it stays."))
        return super().delete(*args, **kwargs)

    def is_frozen(self) -> bool:
        """Whether a registered version of the project lists this very file."""
        return any(
            item.get("kind") == self.kind and item.get("sha256") == self.sha256
            for content in self.project.versions.values_list("content", flat=True)
            for item in (content or {}).get("attachments") or []
        )


class ResearcherIdentity(models.Model):
    """A researcher's ORCID iD (``identifiers.py``), shown beside their name on the
    projects they work on and in the DataCite metadata."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="research_identity",
        verbose_name=_("person"),
    )
    orcid = models.CharField(_("ORCID iD"), max_length=19, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("researcher's ORCID iD")
        verbose_name_plural = _("researchers' ORCID iDs")

    def __str__(self) -> str:
        return f"{self.user} {self.orcid}"


# Trial data, analyses and the Evidence Store link (issue #18) live in their own module.
from whatworks.registry.models_trials import (  # noqa: E402
    TrialAnalysis as TrialAnalysis,
)
from whatworks.registry.models_trials import (  # noqa: E402
    TrialDataset as TrialDataset,
)
from whatworks.registry.models_trials import (  # noqa: E402
    TrialEvidenceLink as TrialEvidenceLink,
)
