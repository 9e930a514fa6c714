"""Writes for trial data and its analysis in the platform (issue #18).

Trial data follow the private-data rules of ``whatworks.core.privatedata``, as pilot
datasets do: the web process receives a CSV into the scratch area and checks only its name
and size (:func:`trial_dataset_upload_start`); a worker checks it against the registered
plan, keeps the plan's columns with the identifiers replaced by keyed pseudonyms (one key
per project) and removes the raw file (``services/trial_work.py``, run by
``registry/trial_tasks.py``); the data are deleted on their deletion date
(:func:`trial_datasets_delete_expired`) or earlier at the team's request
(:func:`trial_dataset_delete`).  Only the project's team (and administrators) see
or analyse them, and every read is audited.

An analysis (:func:`trial_analysis_start`) runs the plan registered in the version the
data were checked against; its bundle fills the draft results report through
:func:`~whatworks.registry.services.trial_results.results_import_trial_bundle`, which
checks it against the plan, so every number of the report comes from the data.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.dates import add_months
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import TaskRecord, User
from whatworks.core.privatedata import (
    Received,
    private_mkdir,
    remove_path,
    remove_tree,
    restrict_tree,
    sweep_incoming,
)
from whatworks.core.services.audit import audit_record
from whatworks.core.services.background import task_start
from whatworks.registry import jobs
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import (
    Project,
    ProtocolVersion,
    TrialAnalysis,
    TrialDataset,
    TrialEvidenceLink,
)
from whatworks.registry.services.common import (
    require_not_withdrawn,
    require_team,
)

logger = logging.getLogger(__name__)

__all__ = [
    "analysis_mark",
    "plan_version",
    "trial_analysis_finish",
    "trial_analysis_start",
    "trial_data_access_record",
    "trial_data_root",
    "trial_dataset_delete",
    "trial_dataset_mark",
    "trial_dataset_store",
    "trial_dataset_upload_start",
    "trial_datasets_delete_expired",
    "trial_evidence_link_set",
    "trial_incoming_root",
    "trial_incoming_sweep",
    "trial_mark_lost",
]

LOST = "The work stopped without finishing (its worker stopped). Start it again."


def trial_data_root() -> Path:
    return Path(settings.PRIVATE_DATA_ROOT) / "registry" / "trials"


def trial_incoming_root() -> Path:
    """The scratch area: raw uploads waiting for or in their check."""
    return trial_data_root() / "incoming"


def plan_version(project: Project) -> ProtocolVersion | None:
    """The latest registered version of the project's protocol, if it registers a plan."""
    version = project.versions.order_by("-number").first()
    if version is None or not (version.content or {}).get("trial_analysis"):
        return None
    return version


@transaction.atomic
def trial_data_access_record(*, actor: User | None, target: Any, action: AuditAction) -> None:
    """Record a view of trial data (its page) in the audit log."""
    audit_record(actor=actor, action=action, target=target)


# --- uploads and their check ---------------------------------------------------------------


@transaction.atomic
def trial_dataset_upload_start(
    *, actor: User | None, project: Project, received: Received, id_column: str
) -> TrialDataset:
    """Queue the check of an uploaded CSV already on disk, or refuse it (every problem at
    once).  Only its name and size are checked here; a worker reads it."""
    try:
        require_team(actor, project)
        require_not_withdrawn(project)
        problems: list[str] = []
        version = plan_version(project)
        if version is None:
            problems.append(
                gettext(
                    "Register a protocol version with a trial analysis plan before uploading data: "
                    "the data are checked against the registered plan."
                )
            )
        if len(received.files) != 1:
            problems.append(
                gettext("Upload one file: the trial's data as CSV, one row per participant.")
            )
        elif not received.names[0].lower().endswith(".csv"):
            problems.append(
                gettext("%(name)s is not a CSV file (its name ends .csv).")
                % {"name": received.names[0]}
            )
        limit = int(settings.WHATWORKS_TRIAL_MAX_UPLOAD_BYTES)
        size = received.size()
        if size > limit:
            problems.append(
                gettext("The upload is larger than the limit of %(limit)s bytes.")
                % {"limit": format(limit, ",")}
            )
        if not id_column.strip():
            problems.append(gettext("Enter the column that identifies each participant."))
        if problems:
            raise RegistryError(problems)
        assert version is not None
        stored, name = received.files[0]
        dataset = TrialDataset(
            project=project,
            protocol_version=version,
            original_name=name[:200],
            stored_name=stored,
            id_column=id_column.strip(),
            size=size,
            uploaded_by=actor if actor is not None and actor.pk else None,
        )
        full_clean_or_raise(dataset, RegistryError)
        dataset.save()
        scratch = private_mkdir(trial_incoming_root() / str(dataset.pk))
        os.replace(received.folder, scratch / "received")
    except BaseException:
        remove_path(received.folder)
        raise
    dataset.task_record = task_start(
        actor=actor,
        kind="registry_trial_data_check",
        label=gettext("Check of trial data for %(reference)s") % {"reference": project.reference},
        job=jobs.TRIAL_DATASET_CHECK,
        args=[str(dataset.pk)],
        target=dataset,
    )
    dataset.save(update_fields=["task_record"])
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_TRIAL_DATA_UPLOAD_STARTED,
        target=dataset,
        changes={"file": dataset.original_name, "bytes": size, "version": version.number},
    )
    return dataset


@transaction.atomic
def trial_dataset_mark(
    *, dataset_id: Any, status: str, problems: list[str] | None = None, error: str = ""
) -> bool:
    """Bookkeeping by the check: its status (and why, when refused or failed).  Only a
    dataset still queued or being checked changes; returns whether it did."""
    fields: dict[str, Any] = {"status": status}
    if problems is not None:
        fields["problems"] = problems
    if error:
        fields["error"] = error[:2000]
    done = status in {TrialDataset.Status.REFUSED, TrialDataset.Status.FAILED}
    if done:
        fields["checked_at"] = timezone.now()
    active = (TrialDataset.Status.QUEUED, TrialDataset.Status.CHECKING)
    changed = TrialDataset.objects.filter(pk=dataset_id, status__in=active).update(**fields)
    if changed and done:
        audit_record(
            actor=None,
            action=AuditAction.REGISTRY_TRIAL_DATA_REFUSED
            if status == TrialDataset.Status.REFUSED
            else AuditAction.REGISTRY_TRIAL_DATA_FAILED,
            target=TrialDataset.objects.get(pk=dataset_id),
            changes={"problems": len(problems or [])},
        )
    return bool(changed)


@transaction.atomic
def trial_dataset_store(
    *,
    dataset_id: Any,
    folder: Path,
    rows: int,
    columns: list[str],
    dropped_columns: list[str],
    fingerprint: str,
    today: date | None = None,
) -> TrialDataset:
    """Keep the pseudonymised data that a check wrote to ``folder``."""
    dataset = TrialDataset.objects.select_for_update().get(pk=dataset_id)
    if dataset.status != TrialDataset.Status.CHECKING:
        raise RegistryError(gettext("This upload is no longer being checked."))
    today = today or timezone.localdate()
    dataset.folder = str(folder.relative_to(trial_data_root()))
    dataset.rows = rows
    dataset.columns = columns
    dataset.dropped_columns = dropped_columns
    dataset.fingerprint = fingerprint
    dataset.delete_after = add_months(today, int(settings.WHATWORKS_TRIAL_RETENTION_MONTHS))
    dataset.status = TrialDataset.Status.STORED
    dataset.checked_at = timezone.now()
    full_clean_or_raise(dataset, RegistryError)
    dataset.save()
    audit_record(
        actor=dataset.uploaded_by,
        action=AuditAction.REGISTRY_TRIAL_DATA_STORED,
        target=dataset,
        changes={
            "rows": rows,
            "columns": len(columns),
            "dropped_columns": len(dropped_columns),
            "fingerprint": fingerprint,
            "delete_after": str(dataset.delete_after),
        },
    )
    return dataset


def _delete_files(dataset: TrialDataset) -> None:
    if dataset.folder:
        remove_tree(trial_data_root() / dataset.folder)
    dataset.folder = ""
    dataset.deleted_at = timezone.now()
    dataset.save(update_fields=["folder", "deleted_at"])


@transaction.atomic
def trial_dataset_delete(*, actor: User | None, dataset: TrialDataset) -> TrialDataset:
    """Delete a dataset's kept data now, before its deletion date; analyses stay."""
    dataset = TrialDataset.objects.select_for_update().select_related("project").get(pk=dataset.pk)
    require_team(actor, dataset.project)
    if dataset.deleted_at is not None:
        raise RegistryError(gettext("These data have already been deleted."))
    if dataset.status != TrialDataset.Status.STORED:
        raise RegistryError(
            gettext("Only data that passed the check and were stored can be deleted.")
        )
    if dataset.analyses.filter(
        status__in=(TrialAnalysis.Status.QUEUED, TrialAnalysis.Status.RUNNING)
    ).exists():
        raise RegistryError(
            gettext("An analysis of these data has not finished: wait for it first.")
        )
    _delete_files(dataset)
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_TRIAL_DATA_DELETED,
        target=dataset,
        changes={"delete_after": str(dataset.delete_after), "reason": "deleted early by the team"},
    )
    return dataset


@transaction.atomic
def trial_datasets_delete_expired(*, actor: User | None = None, today: date | None = None) -> int:
    """The retention rule, daily: delete the data of every dataset past its deletion date."""
    today = today or timezone.localdate()
    count = 0
    for dataset in TrialDataset.objects.select_for_update().filter(
        delete_after__lte=today, deleted_at__isnull=True, status=TrialDataset.Status.STORED
    ):
        _delete_files(dataset)
        audit_record(
            actor=actor,
            action=AuditAction.REGISTRY_TRIAL_DATA_DELETED,
            target=dataset,
            changes={"delete_after": str(dataset.delete_after), "reason": "retention"},
        )
        count += 1
    return count


# --- analyses ------------------------------------------------------------------------------


@transaction.atomic
def trial_analysis_start(*, actor: User | None, dataset: TrialDataset) -> TrialAnalysis:
    """Queue the registered plan's run on a stored dataset."""
    dataset = TrialDataset.objects.select_for_update().select_related("project").get(pk=dataset.pk)
    project = dataset.project
    require_team(actor, project)
    require_not_withdrawn(project)
    if not dataset.is_usable:
        why = "they have been deleted" if dataset.deleted_at else "they have not passed the check"
        raise RegistryError(gettext("These data cannot be analysed: %(why)s.") % {"why": why})
    if dataset.analyses.filter(
        status__in=(TrialAnalysis.Status.QUEUED, TrialAnalysis.Status.RUNNING)
    ).exists():
        raise RegistryError(gettext("An analysis of these data is already queued or running."))
    analysis = TrialAnalysis.objects.create(
        project=project,
        dataset=dataset,
        protocol_version=dataset.protocol_version,
        started_by=actor if actor is not None and actor.pk else None,
    )
    analysis.task_record = task_start(
        actor=actor,
        kind="registry_trial_analysis",
        label=gettext("Analysis of %(reference)s's trial data") % {"reference": project.reference},
        job=jobs.TRIAL_ANALYSIS_RUN,
        args=[str(analysis.pk)],
        target=analysis,
    )
    analysis.save(update_fields=["task_record"])
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_TRIAL_ANALYSIS_STARTED,
        target=analysis,
        changes={"dataset": str(dataset.pk), "version": dataset.protocol_version.number},
    )
    return analysis


@transaction.atomic
def analysis_mark(*, analysis_id: Any, status: str, error: str = "") -> None:
    """Bookkeeping by the task: the analysis's status (and why, when it failed)."""
    fields: dict[str, Any] = {"status": status, "error": error[:2000]}
    if status in {TrialAnalysis.Status.FAILED, TrialAnalysis.Status.SUCCEEDED}:
        fields["finished_at"] = timezone.now()
    TrialAnalysis.objects.filter(pk=analysis_id).update(**fields)
    if status == TrialAnalysis.Status.FAILED:
        audit_record(
            actor=None,
            action=AuditAction.REGISTRY_TRIAL_ANALYSIS_FAILED,
            target=TrialAnalysis.objects.get(pk=analysis_id),
        )


@transaction.atomic
def trial_analysis_finish(*, analysis_id: Any, bundle: dict[str, Any]) -> TrialAnalysis:
    """Keep the bundle and fill the draft results report from it (checked against the
    registered plan there); as the person who started the analysis."""
    from whatworks.registry.services.trial_results import results_import_trial_bundle

    analysis = (
        TrialAnalysis.objects.select_for_update(of=("self",))
        .select_related("project", "started_by")
        .get(pk=analysis_id)
    )
    report = results_import_trial_bundle(
        actor=analysis.started_by, project=analysis.project, bundle=bundle
    )
    analysis.bundle = bundle
    analysis.report = report
    analysis.status = TrialAnalysis.Status.SUCCEEDED
    analysis.finished_at = timezone.now()
    analysis.save()
    audit_record(
        actor=None,
        action=AuditAction.REGISTRY_TRIAL_ANALYSIS_FINISHED,
        target=analysis,
        changes={
            "report": report.number,
            "plan_sha256": bundle["plan_sha256"],
            "data_fingerprint": bundle["data"]["fingerprint"],
        },
    )
    return analysis


# --- the workers' bookkeeping ------------------------------------------------------------


def trial_mark_lost(*, record: TaskRecord | None, reason: str, **_: Any) -> None:
    """Receiver of ``core.signals.task_lost``: a check or analysis whose worker died is
    failed in its own row too, and a check's raw file removed at once."""
    if record is None:
        return
    for dataset in TrialDataset.objects.filter(
        task_record=record, status__in=(TrialDataset.Status.QUEUED, TrialDataset.Status.CHECKING)
    ):
        trial_dataset_mark(dataset_id=dataset.pk, status=TrialDataset.Status.FAILED, error=LOST)
        remove_path(trial_incoming_root() / str(dataset.pk))
    for analysis in TrialAnalysis.objects.filter(
        task_record=record, status__in=(TrialAnalysis.Status.QUEUED, TrialAnalysis.Status.RUNNING)
    ):
        analysis_mark(analysis_id=analysis.pk, status=TrialAnalysis.Status.FAILED, error=reason)


def trial_incoming_sweep(**_: Any) -> list[str]:
    """Receiver of ``core.signals.process_started``: remove raw uploads no live check is
    using, and tighten the modes of the trial data area."""
    from django.core.exceptions import ValidationError

    from whatworks.core.tasks_support import task_state

    private_mkdir(trial_incoming_root())
    restrict_tree(trial_data_root())

    def keep(name: str) -> bool:
        try:
            dataset = TrialDataset.objects.select_related("task_record").filter(pk=name).first()
        except (ValueError, ValidationError):
            return False
        if dataset is None or not dataset.is_active:
            return False
        if dataset.task_record is not None and task_state(dataset.task_record).status == "FAILED":
            trial_dataset_mark(dataset_id=dataset.pk, status=TrialDataset.Status.FAILED, error=LOST)
            return False
        return True

    removed = sweep_incoming(trial_incoming_root(), keep=keep)
    if removed:
        audit_record(
            actor=None,
            action=AuditAction.REGISTRY_TRIAL_INCOMING_SWEPT,
            changes={"removed": len(removed)},
        )
    return removed


# --- the Evidence Store link ---------------------------------------------------------------


@transaction.atomic
def trial_evidence_link_set(
    *,
    actor: User | None,
    project: Project,
    intervention: str,
    outcomes: dict[str, dict[str, Any]],
) -> TrialEvidenceLink | None:
    """Say which Evidence Store intervention the trial evaluates and where each outcome
    goes (``intervention=""`` removes the link).  The choices are the Evidence Store's own
    (``core.extensions.evidence_targets``); the registry does not read its models."""
    require_team(actor, project)
    require_not_withdrawn(project)
    link = TrialEvidenceLink.objects.filter(project=project).first()
    if not intervention:
        if link is not None:
            link.delete()
            audit_record(
                actor=actor, action=AuditAction.REGISTRY_TRIAL_EVIDENCE_LINK_REMOVED, target=project
            )
        return None
    link = link or TrialEvidenceLink(project=project)
    link.intervention = intervention
    link.outcomes = {
        key: {"domain": str(v["domain"]), "higher_is_better": bool(v["higher_is_better"])}
        for key, v in outcomes.items()
        if v.get("domain")
    }
    link.updated_by = actor if actor is not None and actor.pk else None
    link.updated_at = timezone.now()
    full_clean_or_raise(link, RegistryError)
    link.save()
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_TRIAL_EVIDENCE_LINK_SET,
        target=project,
        changes={"intervention": intervention, "outcomes": sorted(link.outcomes)},
    )
    return link
