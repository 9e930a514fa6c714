"""Trial data and its analysis in the platform (issue #18).

A trial's data follow the same private-data rules as pilot datasets
(``whatworks.core.privatedata``): the uploaded CSV waits, unread by the web process, in
``PRIVATE_DATA_ROOT/registry/trials/incoming/<id>/`` until a worker has checked it against
the registered analysis plan; the worker keeps only the plan's columns, replaces the
participant identifiers by keyed pseudonyms (a key per project), and stores Parquet under
``PRIVATE_DATA_ROOT/registry/trials/<project>/<dataset>/``, deleted on its deletion date.
The database holds only what the check found (counts, column names, the fingerprint),
never a value.

An analysis runs the registered plan on a stored dataset as a background task; its bundle
(data fingerprint, plan hash, code version, every number) fills the draft results report,
and outlives the data.  ``TrialEvidenceLink`` says which Evidence Store intervention the
project evaluates, and under which outcome domain each planned outcome is pooled.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from whatworks.core.privatedata import PrivateDataFile


class TrialDataset(PrivateDataFile):
    """One upload of a trial's data: its check, then the pseudonymised data it kept.

    Its ``fingerprint`` is that of the validated upload, the one ``whatworks-analytics
    trial-plan`` states for the same file."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be checked")
        CHECKING = "checking", _("Being checked")
        STORED = "stored", _("Passed every check and stored")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(
        "registry.Project",
        on_delete=models.PROTECT,
        related_name="trial_datasets",
        verbose_name=_("research project"),
    )
    protocol_version = models.ForeignKey(
        "registry.ProtocolVersion",
        on_delete=models.PROTECT,
        related_name="trial_datasets",
        verbose_name=_("checked against the plan of"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    original_name = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(_("received as"), max_length=20, default="000")
    id_column = models.CharField(_("identifier column"), max_length=80)
    size = models.BigIntegerField(_("bytes uploaded"), default=0)
    problems = models.JSONField(_("why the check refused the data"), default=list, blank=True)
    error = models.TextField(_("why the check failed"), blank=True)
    #: Column names only: those kept (the plan's, and the pseudonymised identifier) and
    #: those dropped because the plan does not use them.
    columns = models.JSONField(_("columns kept"), default=list, blank=True)
    dropped_columns = models.JSONField(_("columns not kept"), default=list, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    delete_after = models.DateField(_("deletion date"), null=True, blank=True)
    task_record = models.ForeignKey(
        "core.TaskRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("trial dataset")
        verbose_name_plural = _("trial datasets")

    def __str__(self) -> str:
        return f"Trial data {str(self.pk)[:8]} of {self.project.reference}"

    def get_absolute_url(self) -> str:
        return reverse(
            "registry:trial_dataset",
            kwargs={"reference": self.project.reference, "dataset_id": self.pk},
        )

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.CHECKING}

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.STORED and self.deleted_at is None


class TrialAnalysis(models.Model):
    """The registered plan run on a stored dataset; the bundle outlives the data."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(
        "registry.Project",
        on_delete=models.PROTECT,
        related_name="trial_analyses",
        verbose_name=_("research project"),
    )
    dataset = models.ForeignKey(
        TrialDataset, on_delete=models.PROTECT, related_name="analyses", verbose_name=_("data")
    )
    protocol_version = models.ForeignKey(
        "registry.ProtocolVersion",
        on_delete=models.PROTECT,
        related_name="trial_analyses",
        verbose_name=_("plan of"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    bundle = models.JSONField(_("result bundle"), null=True, blank=True)
    report = models.ForeignKey(
        "registry.ResultsReport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trial_analyses",
        verbose_name=_("results report filled"),
    )
    error = models.TextField(_("why it failed"), blank=True)
    task_record = models.ForeignKey(
        "core.TaskRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("trial analysis")
        verbose_name_plural = _("trial analyses")

    def __str__(self) -> str:
        return f"Analysis {str(self.pk)[:8]} of {self.project.reference}"

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}


class TrialEvidenceLink(models.Model):
    """The Evidence Store intervention a trial evaluates, and where each outcome goes.

    ``outcomes`` maps a planned outcome's key to ``{"domain": <the Evidence Store's outcome
    domain code>, "higher_is_better": bool}``; an outcome left out is not sent.  The
    registry cannot check the codes (it does not import the Evidence Store); the team
    chooses them from what the Evidence Store offers (``core.extensions.evidence_targets``).
    """

    project = models.OneToOneField(
        "registry.Project", on_delete=models.CASCADE, related_name="evidence_link"
    )
    intervention = models.CharField(_("Evidence Store intervention"), max_length=80)
    outcomes = models.JSONField(_("outcomes and their domains"), default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("trial's Evidence Store link")
        verbose_name_plural = _("trials' Evidence Store links")

    def __str__(self) -> str:
        return f"{self.project.reference} evaluates {self.intervention}"
