"""Pilots: a registry project's study in one local authority, its datasets and its runs.

The experiment config is fixed on the pilot together with the registered protocol version
that fixes it; its canonical hash (from the engine) is what every run and uploaded bundle
is checked against.  Child-level data never lives in the database: a dataset row points
at pseudonymised Parquet files under ``settings.PRIVATE_DATA_ROOT``.  Runs keep only the
result bundle (aggregates), which outlives the data.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from whatworks.core.privatedata import PrivateDataFile


class Pilot(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    project = models.ForeignKey(
        "registry.Project",
        on_delete=models.PROTECT,
        related_name="pilots",
        verbose_name=_("research project"),
    )
    organisation = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="pilots",
        verbose_name=_("local authority"),
    )
    config_yaml = models.TextField(_("experiment config (YAML)"), blank=True)
    config_hash = models.CharField(_("config hash (SHA-256)"), max_length=64, blank=True)
    protocol_version = models.ForeignKey(
        "registry.ProtocolVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pilots",
        verbose_name=_("registered protocol version"),
    )
    config_fixed_at = models.DateTimeField(_("config fixed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("pilot")
        verbose_name_plural = _("pilots")
        permissions = [("view_centre", "Can see every pilot's verdict side by side")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(config_fixed_at__isnull=True)
                | (models.Q(protocol_version__isnull=False) & ~models.Q(config_hash="")),
                name="pilots_fixed_config_has_version_and_hash",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pilots:detail", kwargs={"pilot_id": self.pk})

    @property
    def config_fixed(self) -> bool:
        return self.config_fixed_at is not None


class Dataset(PrivateDataFile):
    """Pseudonymised tables of one upload, as Parquet files outside the web root.

    Its ``fingerprint`` is the engine's data fingerprint of the upload *before*
    pseudonymisation (``docs/results-bundle.md``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pilot = models.ForeignKey(
        Pilot, on_delete=models.PROTECT, related_name="datasets", verbose_name=_("pilot")
    )
    row_counts = models.JSONField(_("rows per table"), default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    delete_after = models.DateField(_("deletion date"))

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")

    def __str__(self) -> str:
        return f"Dataset {str(self.pk)[:8]} of {self.pilot}"


class DatasetUpload(models.Model):
    """One upload's check: queued, then checked by a worker; stored as a dataset or refused.

    The raw files wait under ``PRIVATE_DATA_ROOT/pilots/incoming/<id>/`` only until the
    worker has checked them.  ``problems`` holds every reason a check refused the files,
    with identifier values withheld (rows and columns say where), so that no raw id
    reaches the database.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be checked")
        CHECKING = "checking", _("Being checked")
        STORED = "stored", _("Passed every check and stored")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pilot = models.ForeignKey(
        Pilot, on_delete=models.PROTECT, related_name="uploads", verbose_name=_("pilot")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    #: ``[stored name, uploaded name]`` of each file, in the order received.
    files = models.JSONField(_("uploaded files"), default=list, blank=True)
    size = models.BigIntegerField(_("bytes uploaded"), default=0)
    problems = models.JSONField(_("why the check refused the files"), default=list, blank=True)
    #: One line per file with columns the contract does not know: they were dropped, never
    #: kept (column names only, never values).
    dropped_columns = models.JSONField(
        _("columns not in the contract, not kept"), default=list, blank=True
    )
    error = models.TextField(_("why the check failed"), blank=True)
    dataset = models.OneToOneField(
        Dataset, on_delete=models.SET_NULL, null=True, blank=True, related_name="upload"
    )
    task_record = models.ForeignKey(
        "core.TaskRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    finished_at = models.DateTimeField(_("checked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dataset upload")
        verbose_name_plural = _("dataset uploads")

    def __str__(self) -> str:
        return f"Upload {str(self.pk)[:8]} of {self.pilot}"

    def get_absolute_url(self) -> str:
        return reverse(
            "pilots:dataset_check", kwargs={"pilot_id": self.pilot_id, "upload_id": self.pk}
        )

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.CHECKING}

    @property
    def file_names(self) -> list[str]:
        return [str(name) for _stored, name in self.files]


class Run(models.Model):
    class Source(models.TextChoices):
        PLATFORM = "platform", _("Run on the platform")
        OFFLINE = "offline", _("Run offline, bundle uploaded")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pilot = models.ForeignKey(
        Pilot, on_delete=models.PROTECT, related_name="runs", verbose_name=_("pilot")
    )
    dataset = models.ForeignKey(
        Dataset, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    task_record = models.ForeignKey(
        "core.TaskRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    config_hash = models.CharField(_("config hash"), max_length=64, blank=True)
    bundle = models.JSONField(_("result bundle"), null=True, blank=True)
    verdict_status = models.CharField(_("verdict"), max_length=40, blank=True)
    verdict_sentence = models.TextField(_("verdict sentence"), blank=True)
    error = models.TextField(_("why it failed"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("run")
        verbose_name_plural = _("runs")

    def __str__(self) -> str:
        return f"Run {str(self.pk)[:8]} of {self.pilot}"

    def get_absolute_url(self) -> str:
        return reverse("pilots:run", kwargs={"pilot_id": self.pilot_id, "run_id": self.pk})

    @property
    def has_report(self) -> bool:
        return self.status == self.Status.SUCCEEDED and self.bundle is not None


class ShadowModel(models.Model):
    """A run's primary model, frozen for the shadow phase: the honest test in the future.

    Fitted again by a worker on every referral of the run's dataset whose outcome is known,
    with the run's config and seed rules (``whatworks_analytics.pilots.shadow.freeze``).
    The model folder (``model.json`` and the pickled estimator, 0700/0600) lives under the
    private data root; ``meta`` is its ``model.json``: the config hash, the data
    fingerprint, the fixed flag cut-off and what the temporal validation measured --
    aggregates only, kept after the files are gone.  Freezing is the shadow phase's
    pre-registration: the model, its cut-off and the figures it must live up to are fixed
    before any later referral is scored.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be frozen")
        FREEZING = "freezing", _("Being frozen")
        FROZEN = "frozen", _("Frozen")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pilot = models.ForeignKey(
        Pilot, on_delete=models.PROTECT, related_name="shadow_models", verbose_name=_("pilot")
    )
    run = models.OneToOneField(
        Run, on_delete=models.PROTECT, related_name="shadow_model", verbose_name=_("run")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    folder = models.CharField(_("folder under the private data root"), max_length=300, blank=True)
    meta = models.JSONField(_("what was frozen"), default=dict, blank=True)
    error = models.TextField(_("why it failed"), blank=True)
    task_record = models.ForeignKey(
        "core.TaskRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    frozen_at = models.DateTimeField(_("frozen"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("frozen model")
        verbose_name_plural = _("frozen models")

    def __str__(self) -> str:
        return f"Frozen model {str(self.pk)[:8]} of {self.pilot}"

    def get_absolute_url(self) -> str:
        return reverse("pilots:shadow", kwargs={"pilot_id": self.pilot_id})

    @property
    def short_id(self) -> str:
        return str(self.meta.get("model_sha256", ""))[:12]


class ShadowScores(models.Model):
    """A frozen model's scores of a later extract, and their forward evaluation.

    The scores are child-level data (one row per pseudonymised referral), so they follow
    the datasets' rules: a Parquet file under the private data root, opened only by
    workers, every access audited, deleted on ``delete_after``.  The forward evaluation
    (``forward``: counts, metrics with intervals, the fairness audit and each metric
    beside its validated value) is aggregate and stays.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be scored")
        SCORING = "scoring", _("Being scored")
        SCORED = "scored", _("Scored")
        EVALUATING = "evaluating", _("Being evaluated")
        EVALUATED = "evaluated", _("Evaluated")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    model = models.ForeignKey(
        ShadowModel, on_delete=models.PROTECT, related_name="scores", verbose_name=_("model")
    )
    dataset = models.ForeignKey(
        Dataset,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shadow_scores",
        verbose_name=_("scored extract"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    path = models.CharField(_("file under the private data root"), max_length=300, blank=True)
    scored = models.PositiveIntegerField(_("referrals scored"), default=0)
    flagged = models.PositiveIntegerField(_("referrals flagged"), default=0)
    first_referral = models.DateField(_("first referral scored"), null=True, blank=True)
    last_referral = models.DateField(_("last referral scored"), null=True, blank=True)
    delete_after = models.DateField(_("deletion date"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    evaluated_with = models.ForeignKey(
        Dataset,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shadow_evaluations",
        verbose_name=_("extract the outcomes came from"),
    )
    forward = models.JSONField(_("forward evaluation"), null=True, blank=True)
    error = models.TextField(_("why it failed"), blank=True)
    task_record = models.ForeignKey(
        "core.TaskRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    scored_at = models.DateTimeField(_("scored"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("evaluated"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("shadow scores")
        verbose_name_plural = _("shadow scores")

    def __str__(self) -> str:
        return f"Shadow scores {str(self.pk)[:8]} of {self.model.pilot}"

    def get_absolute_url(self) -> str:
        return reverse("pilots:shadow", kwargs={"pilot_id": self.model.pilot_id})

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class PilotRequest(models.Model):
    """An authority's request for a pilot, for the Centre's researchers (issue #19).

    Anyone signed in may ask; those who may start pilots (researchers and administrators,
    who hold ``pilots.view_centre``) see the requests on the Centre's page and reply by
    e-mail.  No child-level data: what the authority would like to test, in its words.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "core.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    question = models.TextField(_("what the authority would like to test"), max_length=3000)
    created_at = models.DateTimeField(_("asked"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("pilot request")
        verbose_name_plural = _("pilot requests")

    def __str__(self) -> str:
        return f"Pilot request {str(self.pk)[:8]}"
