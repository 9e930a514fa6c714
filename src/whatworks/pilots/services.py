"""Writes of pilots.  Every function is keyword-only, atomic and audited.

Callers (views, tasks, commands) have already checked that the actor may see the pilot
through :func:`whatworks.pilots.selectors.pilot_get_for_user`.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.csvutils import write_csv
from whatworks.core.dates import add_months
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import Organisation, TaskRecord, User
from whatworks.core.queue import Job
from whatworks.core.services import audit_record, task_progress, task_start
from whatworks.pilots import analytics, jobs
from whatworks.pilots.errors import PilotError
from whatworks.pilots.models import Dataset, DatasetUpload, Pilot, Run
from whatworks.pilots.uploads import (
    Received,
    names_problems,
    place_received,
    private_mkdir,
    pseudonym_key,
    pseudonymise,
    remove_path,
    remove_tree,
    restrict_tree,
    sweep_incoming,
)

logger = logging.getLogger(__name__)


def data_root() -> Path:
    return Path(settings.PRIVATE_DATA_ROOT) / "pilots"


def incoming_root() -> Path:
    """The scratch area: raw files of uploads waiting for or in their check."""
    return data_root() / "incoming"


# --- pilots and their config -----------------------------------------------------------


@transaction.atomic
def pilot_create(
    *,
    actor: User | None,
    project: Any,
    organisation: Organisation,
    name: str,
    protocol_version: Any = None,
    config_yaml: str | None = None,
) -> Pilot:
    """A pilot of a registry project in one local authority.

    Given a registered protocol version and the experiment config, the config is fixed in
    the same transaction (the "new pilot" page does so).  Every problem is reported at
    once.  A signed-in actor must be on the project's team, or an administrator; the
    demo and tests create pilots as the system (``actor=None``).
    """
    from whatworks.pilots.selectors import may_create_pilot_of

    problems: list[str] = []
    if actor is not None and not may_create_pilot_of(actor, project):
        raise PilotError(gettext("Choose one of your research projects."))
    if organisation.kind != Organisation.Kind.LOCAL_AUTHORITY:
        problems.append(gettext("A pilot belongs to a local authority."))
    if not name.strip():
        problems.append(gettext("Enter the pilot's title."))
    fixing = protocol_version is not None or config_yaml is not None
    if fixing:
        problems.extend(_config_problems(project, protocol_version, config_yaml or ""))
    if problems:
        raise PilotError(problems)
    pilot = Pilot(project=project, organisation=organisation, name=name.strip())
    full_clean_or_raise(pilot, PilotError)
    pilot.save()
    audit_record(
        actor=actor,
        action="pilot.created",
        target=pilot,
        changes={"project": project.reference, "organisation": organisation.slug},
    )
    if fixing:
        pilot = pilot_fix_config(
            actor=actor,
            pilot=pilot,
            config_yaml=config_yaml or "",
            protocol_version=protocol_version,
        )
    return pilot


def _config_problems(project: Any, protocol_version: Any, config_yaml: str) -> list[str]:
    problems = []
    right_version = protocol_version is not None and protocol_version.project_id == project.pk
    if not right_version:
        problems.append(
            gettext("Choose a registered protocol version of %(reference)s.")
            % {"reference": project.reference}
        )
    if not config_yaml.strip():
        problems.append(gettext("Enter the experiment config."))
    else:
        try:
            _, config_hash = analytics.config_parse(config_yaml)
        except analytics.EngineProblems as exc:
            problems.extend(exc.problems)
        else:
            if right_version:
                problems.extend(_version_problems(project, protocol_version, config_hash))
    return problems


def _version_problems(project: Any, protocol_version: Any, config_hash: str) -> list[str]:
    """A config can only be fixed in a version whose content registers it (issue #13)."""
    if analytics.version_experiment(protocol_version, config_hash) is not None:
        return []
    versions = analytics.protocol_versions(project)
    holding = [f"v{v.number}" for v in versions if analytics.version_experiment(v, config_hash)]
    message = (
        f"v{protocol_version.number} of {project.reference} does not contain this experiment "
        f"config (SHA-256 {config_hash[:12]}…), so it cannot fix it."
    )
    if holding:
        return [f"{message} Choose {' or '.join(holding)}, which contains it."]
    registered = ", ".join(f"v{v.number}" for v in versions)
    return [
        f"{message} No registered version does (registered: {registered}). Add the config to "
        f"the protocol draft of {project.reference} (“Add this config to the protocol draft”), "
        "register the amended protocol in the registry, then fix the config in the new version."
    ]


@transaction.atomic
def pilot_experiment_register(*, actor: User | None, project: Any, config_yaml: str) -> Any:
    """Put an experiment config, with its criteria, in the project's protocol draft.

    The registry's service checks that the actor is on the project's team and writes the
    audit entry; the team then registers the draft as a new version, in which the config
    can be fixed.
    """
    try:
        config, _ = analytics.config_parse(config_yaml)
        return analytics.registry_add_experiment(actor=actor, project=project, config=config)
    except analytics.EngineProblems as exc:
        raise PilotError(exc.problems) from None


@transaction.atomic
def pilot_fix_config(
    *, actor: User | None, pilot: Pilot, config_yaml: str, protocol_version: Any
) -> Pilot:
    """Fix the experiment config in a registered protocol version of the pilot's project.

    The version must contain the config (its hash and criteria, in its pilot experiments):
    the criteria the pilot is judged on are the registered ones.  The engine's canonical
    hash of the config is kept; every run and uploaded bundle is checked against it.  A
    fixed config never changes (a new config is a new pilot).
    """
    pilot = Pilot.objects.select_for_update().get(pk=pilot.pk)
    if pilot.config_fixed:
        raise PilotError(gettext("This pilot's config is already fixed; it cannot change."))
    if protocol_version is None or protocol_version.project_id != pilot.project_id:
        raise PilotError(gettext("Choose a registered protocol version of this pilot's project."))
    try:
        _, config_hash = analytics.config_parse(config_yaml)
    except analytics.EngineProblems as exc:
        raise PilotError(exc.problems) from None
    problems = _version_problems(pilot.project, protocol_version, config_hash)
    if problems:
        raise PilotError(problems)
    pilot.config_yaml = config_yaml
    pilot.config_hash = config_hash
    pilot.protocol_version = protocol_version
    pilot.config_fixed_at = timezone.now()
    full_clean_or_raise(pilot, PilotError)
    pilot.save()
    audit_record(
        actor=actor,
        action="pilot.config_fixed",
        target=pilot,
        changes={"config_hash": config_hash, "protocol_version": protocol_version.number},
    )
    return pilot


@transaction.atomic
def pilot_access_record(*, actor: User | None, target: Any, action: str) -> None:
    """Record a view or download of pilot data or reports in the audit log."""
    audit_record(actor=actor, action=action, target=target)


# --- datasets ----------------------------------------------------------------------------


@transaction.atomic
def dataset_upload_start(*, actor: User | None, pilot: Pilot, received: Received) -> DatasetUpload:
    """Queue the check of an upload whose files are already on disk, or refuse it.

    Here only the files' names and total size are checked (every problem at once): the
    content is read by a worker (:func:`dataset_upload_check`, the ``DATASET_CHECK`` job), never by
    the web process.  The received folder becomes ``incoming/<upload id>/received``; when
    the upload is refused it is removed.
    """
    try:
        if not pilot.config_fixed:
            raise PilotError(gettext("Fix the experiment config in a registered protocol first."))
        problems = names_problems(received.names)
        limit = int(settings.WHATWORKS_PILOT_MAX_UPLOAD_BYTES)
        size = received.size()
        if size > limit:
            problems.append(
                gettext("The upload is larger than the limit of %(limit)s bytes.")
                % {"limit": format(limit, ",")}
            )
        if problems:
            raise PilotError(problems)
        upload = DatasetUpload.objects.create(
            pilot=pilot,
            files=[list(pair) for pair in received.files],
            size=size,
            uploaded_by=actor if actor is not None and actor.pk else None,
        )
        scratch = private_mkdir(incoming_root() / str(upload.pk))
        os.replace(received.folder, scratch / "received")
    except BaseException:
        remove_path(received.folder)
        raise
    record = task_start(
        actor=actor,
        kind="pilot_dataset_check",
        label=gettext("Check of a dataset for %(name)s") % {"name": pilot.name},
        job=jobs.DATASET_CHECK,
        args=[str(upload.pk)],
        target=upload,
    )
    upload.task_record = record
    upload.save(update_fields=["task_record"])
    audit_record(
        actor=actor,
        action="pilot.dataset_upload_started",
        target=upload,
        changes={"files": upload.file_names, "bytes": size},
    )
    return upload


@transaction.atomic
def dataset_upload_mark(
    *,
    upload_id: Any,
    status: str,
    problems: list[str] | None = None,
    error: str = "",
    dropped_columns: list[str] | None = None,
) -> bool:
    """Bookkeeping by the check: the upload's status (and why, when refused or failed).

    Only an upload still queued or being checked changes; returns whether it did.
    """
    fields: dict[str, Any] = {"status": status}
    if problems is not None:
        fields["problems"] = problems
    if dropped_columns:
        fields["dropped_columns"] = dropped_columns
    if error:
        fields["error"] = error[:2000]
    if status in {DatasetUpload.Status.REFUSED, DatasetUpload.Status.FAILED}:
        fields["finished_at"] = timezone.now()
    active = (DatasetUpload.Status.QUEUED, DatasetUpload.Status.CHECKING)
    changed = DatasetUpload.objects.filter(pk=upload_id, status__in=active).update(**fields)
    if changed and status in {DatasetUpload.Status.REFUSED, DatasetUpload.Status.FAILED}:
        audit_record(
            actor=None,
            action=f"pilot.dataset_upload_{status}",
            target=DatasetUpload.objects.get(pk=upload_id),
            changes={"problems": len(problems or [])},
        )
    return bool(changed)


@transaction.atomic
def dataset_store(
    *,
    upload_id: Any,
    dataset_id: Any,
    folder: Path,
    row_counts: dict[str, int],
    fingerprint: str,
    today: date | None = None,
    dropped_columns: list[str] | None = None,
) -> Dataset:
    """Keep the pseudonymised tables that a check wrote to ``folder`` as a dataset.

    ``fingerprint`` is the engine's data fingerprint, which the check took on the
    validated tables before pseudonymising them (so that an offline run of the same files
    states the same one).
    """
    upload = DatasetUpload.objects.select_for_update().select_related("pilot").get(pk=upload_id)
    if upload.status != DatasetUpload.Status.CHECKING:
        raise PilotError(gettext("This upload is no longer being checked."))
    today = today or timezone.localdate()
    dataset = Dataset(
        id=dataset_id,
        pilot=upload.pilot,
        folder=str(folder.relative_to(data_root())),
        row_counts=row_counts,
        fingerprint=fingerprint,
        uploaded_by=upload.uploaded_by,
        uploaded_at=upload.created_at,
        delete_after=add_months(today, int(settings.WHATWORKS_PILOT_RETENTION_MONTHS)),
    )
    full_clean_or_raise(dataset, PilotError)
    dataset.save()
    upload.status = DatasetUpload.Status.STORED
    upload.dataset = dataset
    upload.finished_at = timezone.now()
    upload.dropped_columns = list(dropped_columns or [])
    upload.save(update_fields=["status", "dataset", "finished_at", "dropped_columns"])
    audit_record(
        actor=upload.uploaded_by,
        action="pilot.dataset_uploaded",
        target=dataset,
        changes={
            "rows": row_counts,
            "fingerprint": fingerprint,
            "delete_after": str(dataset.delete_after),
            "dropped_columns": len(dropped_columns or []),
        },
    )
    return dataset


CHECK_FAILED = (
    "The check failed unexpectedly; nothing was kept. The error has been logged for the "
    "administrators (without the data)."
)


def dataset_upload_check(*, upload_id: Any, record_id: str) -> str:
    """The work of the ``DATASET_CHECK`` job: check an upload's raw files, pseudonymise
    them and keep them as a dataset; else record every problem.  Whatever happens the raw
    files are removed.

    Runs in a worker, never in the web process: a worker killed here leaves its raw files
    in ``incoming/<upload id>/``, which the next worker removes when it starts (after the
    lost task is failed).  Problems are stored with identifier values withheld; an
    unexpected error is logged by its type only and re-raised without its message, so
    that no raw value reaches the queue's table or the logs.
    """
    upload = DatasetUpload.objects.select_related("pilot").get(pk=upload_id)
    if upload.status != DatasetUpload.Status.QUEUED:
        return str(upload.status)  # already checked (e.g. directly by the demo)
    pilot = upload.pilot
    scratch = incoming_root() / str(upload.pk)
    dataset_id = uuid.uuid4()
    folder = data_root() / str(pilot.pk) / str(dataset_id)
    outcome = DatasetUpload.Status.STORED
    try:
        task_progress(record_id=record_id, fraction=0.05, message="Unpacking the files.")
        # The last write before the raw files are unpacked (tests hold writes after it).
        dataset_upload_mark(upload_id=upload.pk, status=DatasetUpload.Status.CHECKING)
        received = Received(
            folder=scratch / "received",
            files=tuple((str(stored), str(name)) for stored, name in upload.files),
        )
        tables = scratch / "tables"
        place_received(received, tables, limit=int(settings.WHATWORKS_PILOT_MAX_UPLOAD_BYTES))
        task_progress(
            record_id=record_id,
            fraction=0.2,
            message="Checking every table against the data contract.",
        )
        frames, dropped = analytics.dataset_read_checked(tables)
        # Taken on the validated raw tables, before pseudonymising: the fingerprint an
        # offline run of the same files states (the pseudonyms differ per authority).
        fingerprint = analytics.dataset_fingerprint(frames)
        task_progress(
            record_id=record_id, fraction=0.6, message="Replacing every identifier by a pseudonym."
        )
        key = pseudonym_key(organisation_id=pilot.organisation_id)
        frames = pseudonymise(frames, analytics.id_columns(), key=key)
        remove_path(tables)
        task_progress(
            record_id=record_id, fraction=0.8, message="Storing the pseudonymised tables."
        )
        private_mkdir(folder.parent)
        row_counts = analytics.dataset_write(frames, folder)
        restrict_tree(folder)
        dataset_store(
            upload_id=upload.pk,
            dataset_id=dataset_id,
            folder=folder,
            row_counts=row_counts,
            fingerprint=fingerprint,
            dropped_columns=dropped,
        )
    except (PilotError, analytics.EngineProblems) as exc:
        remove_path(folder)
        problems = exc.messages if isinstance(exc, PilotError) else exc.problems
        dataset_upload_mark(
            upload_id=upload.pk,
            status=DatasetUpload.Status.REFUSED,
            problems=list(problems),
            dropped_columns=getattr(exc, "dropped", None),
        )
        outcome = DatasetUpload.Status.REFUSED
    except BaseException as exc:
        remove_path(folder)
        remove_path(scratch)
        logger.error("The check of upload %s failed: %s", upload.pk, type(exc).__name__)
        dataset_upload_mark(
            upload_id=upload.pk, status=DatasetUpload.Status.FAILED, error=CHECK_FAILED
        )
        if not isinstance(exc, Exception):
            raise
        raise PilotError(CHECK_FAILED) from None
    finally:
        remove_path(scratch)
    task_progress(
        record_id=record_id,
        fraction=1.0,
        message="Stored." if outcome == DatasetUpload.Status.STORED else "Refused.",
        result_url=upload.get_absolute_url(),
    )
    return str(outcome)


LOST_CHECK = "The check stopped without finishing (its worker stopped). Upload the files again."


def dataset_upload_mark_lost(*, record: TaskRecord | None, reason: str, **_: Any) -> None:
    """Receiver of ``core.signals.task_lost``: the upload whose check died is failed and
    its raw files are removed at once (the sweep at the next start would, too)."""
    if record is None:
        return
    for upload in DatasetUpload.objects.filter(
        task_record=record, status__in=(DatasetUpload.Status.QUEUED, DatasetUpload.Status.CHECKING)
    ):
        dataset_upload_mark(
            upload_id=upload.pk, status=DatasetUpload.Status.FAILED, error=LOST_CHECK
        )
        remove_path(incoming_root() / str(upload.pk))


def incoming_sweep(**_: Any) -> list[str]:
    """Remove raw files that no live check is using, and tighten every mode under the
    private data root (folders 0700, files 0600).

    Receiver of ``core.signals.process_started``: every worker (after failing the tasks
    of lost workers) and ``whatworks serve`` run it when they start, so that a process
    killed in the middle of an upload or a check leaves no raw data behind.
    """
    from whatworks.core.tasks_support import task_state

    private_mkdir(incoming_root())
    restrict_tree(Path(settings.PRIVATE_DATA_ROOT))

    def keep(name: str) -> bool:
        try:
            upload = DatasetUpload.objects.select_related("task_record").filter(pk=name).first()
        except (ValueError, DjangoValidationError):
            return False
        if upload is None or not upload.is_active:
            return False
        if upload.task_record is not None and task_state(upload.task_record).status == "FAILED":
            dataset_upload_mark(
                upload_id=upload.pk, status=DatasetUpload.Status.FAILED, error=LOST_CHECK
            )
            return False
        return True

    removed = sweep_incoming(incoming_root(), keep=keep)
    if removed:
        audit_record(actor=None, action="pilot.incoming_swept", changes={"removed": len(removed)})
        logger.warning("Removed %d leftover upload(s) from the scratch area.", len(removed))
    return removed


@transaction.atomic
def datasets_delete_expired(*, actor: User | None = None, today: date | None = None) -> int:
    """Delete the data of every dataset past its deletion date; reports and bundles stay."""
    today = today or timezone.localdate()
    expired = Dataset.objects.select_for_update().filter(
        delete_after__lte=today, deleted_at__isnull=True
    )
    count = 0
    for dataset in expired:
        if dataset.folder:
            remove_tree(data_root() / dataset.folder)
        dataset.folder = ""
        dataset.row_counts = {}
        dataset.deleted_at = timezone.now()
        dataset.save(update_fields=["folder", "row_counts", "deleted_at"])
        audit_record(
            actor=actor,
            action="pilot.dataset_deleted",
            target=dataset,
            changes={"delete_after": str(dataset.delete_after), "reason": "retention"},
        )
        count += 1
    return count


def retention_apply(*, actor: User | None = None) -> int:
    """The retention rule, daily: delete every scores file and dataset past its deletion
    date; returns the number of datasets deleted."""
    shadow_scores_delete_expired(actor=actor)
    return datasets_delete_expired(actor=actor)


@transaction.atomic
def dataset_delete(*, actor: User, dataset: Dataset) -> Dataset:
    """Delete a dataset's pseudonymised tables now, before its retention date, at the
    authority's request; its runs, bundles and reports (aggregates only) stay."""
    from whatworks.pilots.selectors import run_is_active

    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if dataset.deleted_at is not None:
        raise PilotError(gettext("This dataset has already been deleted."))
    if any(run_is_active(run) for run in dataset.runs.all()):
        raise PilotError(
            gettext(
                "A run of this dataset has not finished: cancel it or wait "
                "for it, then delete the dataset."
            )
        )
    if dataset.folder:
        remove_tree(data_root() / dataset.folder)
    _shadow_scores_delete(actor=actor, scores=dataset.shadow_scores.filter(deleted_at__isnull=True))
    rows = dict(dataset.row_counts)
    dataset.folder = ""
    dataset.row_counts = {}
    dataset.deleted_at = timezone.now()
    dataset.save(update_fields=["folder", "row_counts", "deleted_at"])
    audit_record(
        actor=actor,
        action="pilot.dataset_deleted",
        target=dataset,
        changes={
            "delete_after": str(dataset.delete_after),
            "reason": "deleted early by the authority",
            "rows": rows,
        },
    )
    return dataset


# --- runs --------------------------------------------------------------------------------


@transaction.atomic
def run_start(*, actor: User | None, pilot: Pilot, dataset: Dataset) -> Run:
    """Queue a run of the fixed config on a stored dataset (also: start a failed one again)."""
    from whatworks.pilots.selectors import run_is_active

    if dataset.pilot_id != pilot.pk:
        raise PilotError(gettext("That dataset belongs to another pilot."))
    if not pilot.config_fixed:
        raise PilotError(gettext("Fix the experiment config in a registered protocol first."))
    if dataset.is_deleted:
        raise PilotError(gettext("That dataset has been deleted under the retention rules."))
    if any(run_is_active(r) for r in dataset.runs.select_related("task_record")):
        raise PilotError(gettext("A run of this dataset is already queued or running."))
    run = Run.objects.create(
        pilot=pilot,
        dataset=dataset,
        source=Run.Source.PLATFORM,
        config_hash=pilot.config_hash,
        started_by=actor if actor is not None and actor.pk else None,
    )
    record = task_start(
        actor=actor,
        kind="pilot_run",
        label=gettext("Run of %(name)s") % {"name": pilot.name},
        job=jobs.PILOT_RUN,
        args=[str(run.pk)],
        target=run,
    )
    run.task_record = record
    run.save(update_fields=["task_record"])
    return run


@transaction.atomic
def run_cancel(*, actor: User | None, run: Run) -> Run:
    """Ask a queued or running run to stop; the task checks the flag between steps."""
    from whatworks.pilots.selectors import run_is_active

    run = Run.objects.select_for_update(of=("self",)).select_related("task_record").get(pk=run.pk)
    if not run_is_active(run):
        raise PilotError(gettext("Only a queued or running run can be cancelled."))
    run.cancel_requested = True
    run.save(update_fields=["cancel_requested"])
    audit_record(actor=actor, action="pilot.run_cancel_requested", target=run)
    return run


@transaction.atomic
def run_mark(*, run_id: Any, status: str, error: str = "") -> None:
    """Bookkeeping by the task: the run's status (and why, when it failed)."""
    fields: dict[str, Any] = {"status": status, "error": error[:2000]}
    if status in {Run.Status.FAILED, Run.Status.CANCELLED, Run.Status.SUCCEEDED}:
        fields["finished_at"] = timezone.now()
    Run.objects.filter(pk=run_id).update(**fields)
    if status in {Run.Status.FAILED, Run.Status.CANCELLED}:
        audit_record(actor=None, action=f"pilot.run_{status}", target=Run.objects.get(pk=run_id))


def run_mark_lost(*, record: TaskRecord | None, reason: str, **_: Any) -> None:
    """Receiver of ``core.signals.task_lost``: the run whose worker died is failed, with
    the reason, so that its own status agrees with the queue's."""
    if record is None:
        return
    for run in Run.objects.filter(
        task_record=record, status__in=(Run.Status.QUEUED, Run.Status.RUNNING)
    ):
        run_mark(run_id=run.pk, status=Run.Status.FAILED, error=reason)


@transaction.atomic
def run_finish(*, run_id: Any, bundle: dict[str, Any], config_hash: str) -> Run:
    """Keep a finished run's bundle, after checking it answers to the fixed config."""
    run = Run.objects.select_for_update(of=("self",)).select_related("pilot").get(pk=run_id)
    if config_hash != run.pilot.config_hash:
        raise PilotError(gettext("The run's config hash does not match the registered config."))
    run.bundle = bundle
    run.config_hash = config_hash
    run.verdict_status = str(bundle["verdict"]["status"])
    run.verdict_sentence = str(bundle["verdict"]["sentence"])
    run.status = Run.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    audit_record(
        actor=None,
        action="pilot.run_finished",
        target=run,
        changes={"verdict": run.verdict_status, "config_hash": config_hash},
    )
    return run


class RunCancelled(Exception):
    """Raised from the progress callback when someone asked the run to stop."""


def run_execute(*, run_id: Any, record_id: str) -> str:
    """The work of the ``PILOT_RUN`` job: run the pilot's fixed config on its stored
    dataset; keep the bundle.

    Between steps the engine calls back: progress is reported and the cancel flag read.
    A domain error marks the run failed with its message and fails the task.
    """
    run = Run.objects.select_related("pilot", "dataset").get(pk=run_id)

    def cancelled() -> bool:
        return Run.objects.filter(pk=run_id, cancel_requested=True).exists()

    if run.status not in {Run.Status.QUEUED, Run.Status.RUNNING}:
        return str(run.status)  # already finished (e.g. run directly by the demo)
    if cancelled():
        run_mark(run_id=run_id, status=Run.Status.CANCELLED)
        task_progress(record_id=record_id, fraction=1.0, message="Cancelled.")
        return "cancelled"
    run_mark(run_id=run_id, status=Run.Status.RUNNING)
    task_progress(record_id=record_id, fraction=0.0, message="Loading the dataset.")

    def progress(step: str, fraction: float) -> None:
        task_progress(record_id=record_id, fraction=fraction, message=f"Step: {step}.")
        if cancelled():
            raise RunCancelled

    try:
        dataset = run.dataset
        if dataset is None or dataset.is_deleted or not dataset.folder:
            raise PilotError(gettext("The dataset of this run has been deleted."))
        config, _ = analytics.config_parse(run.pilot.config_yaml)
        bundle, config_hash = analytics.run_pilot(
            config=config,
            folder=Path(data_root() / dataset.folder),
            progress=progress,
            fingerprint=dataset.fingerprint,
        )
        run_finish(run_id=run_id, bundle=bundle, config_hash=config_hash)
    except RunCancelled:
        run_mark(run_id=run_id, status=Run.Status.CANCELLED)
        task_progress(record_id=record_id, fraction=1.0, message="Cancelled.")
        return "cancelled"
    except PilotError as exc:
        run_mark(run_id=run_id, status=Run.Status.FAILED, error=exc.message)
        raise
    except Exception as exc:
        message = _run_failure(exc)
        run_mark(run_id=run_id, status=Run.Status.FAILED, error=message)
        raise PilotError(message) from exc
    task_progress(
        record_id=record_id, fraction=1.0, message="Finished.", result_url=report_url(run)
    )
    return "succeeded"


def _run_failure(exc: Any) -> str:
    if isinstance(exc, analytics.EngineProblems):
        return "The engine refused the run: " + "; ".join(exc.problems)
    return "The run failed unexpectedly. The error has been logged for the administrators."


@transaction.atomic
def bundle_upload(*, actor: User | None, pilot: Pilot, text: str | bytes) -> Run:
    """The offline path: a result bundle made with ``whatworks-analytics run``.

    Its schema is the engine's; its config hash must match the registered one.
    """
    if not pilot.config_fixed:
        raise PilotError(gettext("Fix the experiment config in a registered protocol first."))
    try:
        checked = analytics.bundle_check(text, expected_hash=pilot.config_hash)
    except analytics.EngineProblems as exc:
        raise PilotError(exc.problems) from None
    run = Run(
        pilot=pilot,
        source=Run.Source.OFFLINE,
        status=Run.Status.SUCCEEDED,
        config_hash=checked.config_hash,
        bundle=checked.data,
        verdict_status=checked.verdict_status,
        verdict_sentence=checked.verdict_sentence,
        started_by=actor if actor is not None and actor.pk else None,
        finished_at=timezone.now(),
    )
    full_clean_or_raise(run, PilotError)
    run.save()
    audit_record(
        actor=actor,
        action="pilot.bundle_uploaded",
        target=run,
        changes={"verdict": run.verdict_status, "config_hash": run.config_hash},
    )
    return run


@transaction.atomic
def results_fill_from_run(*, actor: User | None, run: Run) -> Any:
    """Fill the project's draft results report in the registry from a run's bundle."""
    pilot = run.pilot
    if not run.has_report or pilot.protocol_version is None:
        raise PilotError(gettext("Only a finished run's results can fill a results report."))
    try:
        bundle = analytics.registry_bundle(
            run.bundle or {},
            project_reference=pilot.project.reference,
            protocol_version=pilot.protocol_version,
        )
        report = analytics.registry_fill_results(actor=actor, project=pilot.project, bundle=bundle)
    except analytics.EngineProblems as exc:
        raise PilotError(exc.problems) from None
    audit_record(actor=actor, action="pilot.results_filled", target=run)
    return report


def report_url(run: Run) -> str:
    return reverse("pilots:report", kwargs={"pilot_id": run.pilot_id, "run_id": run.pk})


# --- the shadow phase ------------------------------------------------------------------


def shadow_models_root(pilot: Pilot) -> Path:
    return data_root() / str(pilot.pk) / "models"


def shadow_scores_root(pilot: Pilot) -> Path:
    return data_root() / str(pilot.pk) / "scores"


@transaction.atomic
def shadow_freeze_start(*, actor: User | None, run: Run) -> Any:
    """Queue the freezing of a finished platform run's primary model (one per run).

    The model is fitted again by a worker on the run's dataset, so the dataset must still
    be held.  Freezing pre-registers the shadow phase: the model file's hash, its flag
    cut-off and the validated figures are fixed before any later referral is scored.
    """
    from whatworks.pilots.models import ShadowModel

    run = (
        Run.objects.select_for_update(of=("self",))
        .select_related("pilot", "dataset")
        .get(pk=run.pk)
    )
    if not run.has_report or run.source != Run.Source.PLATFORM:
        raise PilotError(gettext("Only a finished run on the platform can have its model frozen."))
    if run.config_hash != run.pilot.config_hash:
        raise PilotError(gettext("This run was not made with the pilot's fixed config."))
    if run.dataset is None or run.dataset.is_deleted or not run.dataset.folder:
        raise PilotError(
            gettext(
                "The dataset of this run has been deleted, so its model cannot be fitted again. "
                "Upload the data again and run the analysis, then freeze that run's model."
            )
        )
    if ShadowModel.objects.filter(run=run).exists():
        raise PilotError(gettext("This run's model has already been frozen."))
    model = ShadowModel.objects.create(
        pilot=run.pilot, run=run, frozen_by=actor if actor is not None and actor.pk else None
    )
    record = task_start(
        actor=actor,
        kind="pilot_shadow_freeze",
        label=gettext("Freezing the model of %(name)s") % {"name": run.pilot.name},
        job=jobs.SHADOW_FREEZE,
        args=[str(model.pk)],
        target=model,
    )
    model.task_record = record
    model.save(update_fields=["task_record"])
    audit_record(actor=actor, action="pilot.shadow_freeze_started", target=model)
    return model


@transaction.atomic
def shadow_model_mark(*, model_id: Any, status: str, error: str = "") -> bool:
    """Bookkeeping by the freezing task; only a model not yet frozen changes."""
    from whatworks.pilots.models import ShadowModel

    active = (ShadowModel.Status.QUEUED, ShadowModel.Status.FREEZING)
    return _shadow_mark(ShadowModel, model_id, active, status, error, "pilot.shadow_freeze_failed")


def _shadow_mark(
    model: Any, pk: Any, active: tuple[str, ...], status: str, error: str, action: str
) -> bool:
    """Set a shadow row's status (and reason) if it is still in ``active``; a failure is
    audited as ``action``."""
    changed = model.objects.filter(pk=pk, status__in=active).update(
        status=status, error=error[:2000]
    )
    if changed and status == "failed":
        audit_record(actor=None, action=action, target=model.objects.get(pk=pk))
    return bool(changed)


@transaction.atomic
def shadow_model_store(*, model_id: Any, folder: Path, meta: dict[str, Any]) -> Any:
    from whatworks.pilots.models import ShadowModel

    model = ShadowModel.objects.select_for_update().get(pk=model_id)
    if model.status != ShadowModel.Status.FREEZING:
        raise PilotError(gettext("This model is no longer being frozen."))
    model.folder = str(folder.relative_to(data_root()))
    model.meta = meta
    model.status = ShadowModel.Status.FROZEN
    model.frozen_at = timezone.now()
    model.save(update_fields=["folder", "meta", "status", "frozen_at"])
    audit_record(
        actor=model.frozen_by,
        action="pilot.model_frozen",
        target=model,
        changes={
            "model_sha256": meta.get("model_sha256"),
            "config_hash": meta.get("config_hash"),
            "flag_threshold": meta.get("flag_threshold"),
            "label_end": meta.get("label_end"),
        },
    )
    return model


SHADOW_FAILED = "It failed unexpectedly. The error has been logged for the administrators."


def _shadow_failure(exc: BaseException) -> str:
    if isinstance(exc, analytics.EngineProblems):
        return "The engine refused it: " + "; ".join(exc.problems)
    if isinstance(exc, PilotError):
        return str(exc.message)
    return SHADOW_FAILED


def _shadow_failed(exc: BaseException, what: str, item_id: str, mark: Any) -> PilotError:
    """Log a shadow task's failure by its type only (no data), record the reason with
    ``mark(reason)`` and return the error to raise (the caller re-raises an interrupt)."""
    logger.error("%s %s failed: %s", what, item_id, type(exc).__name__)
    mark(_shadow_failure(exc))
    return PilotError(_shadow_failure(exc))


def shadow_freeze_execute(*, model_id: Any, record_id: str) -> str:
    """The work of the ``SHADOW_FREEZE`` job: fit the run's primary model again on the
    run's dataset and freeze it (the model folder under the private data root); the
    model's ``model.json`` is kept on the row."""
    from whatworks.pilots.models import ShadowModel

    model = ShadowModel.objects.select_related("pilot", "run", "run__dataset").get(pk=model_id)
    if model.status != ShadowModel.Status.QUEUED:
        return str(model.status)
    folder = shadow_models_root(model.pilot) / str(model.pk)
    shadow_model_mark(model_id=model_id, status=ShadowModel.Status.FREEZING)
    task_progress(record_id=record_id, fraction=0.1, message="Fitting the model again.")
    try:
        dataset = model.run.dataset
        if dataset is None or dataset.is_deleted or not dataset.folder:
            raise PilotError(gettext("The dataset of this run has been deleted."))
        config, _ = analytics.config_parse(model.pilot.config_yaml)
        private_mkdir(folder.parent)
        meta = analytics.shadow_freeze(
            config=config,
            dataset_folder=data_root() / dataset.folder,
            bundle=model.run.bundle or {},
            fingerprint=dataset.fingerprint,
            model_folder=folder,
        )
        restrict_tree(folder)
        shadow_model_store(model_id=model_id, folder=folder, meta=meta)
    except BaseException as exc:
        remove_path(folder)
        error = _shadow_failed(
            exc,
            "Freezing model",
            model_id,
            lambda reason: shadow_model_mark(
                model_id=model_id, status=ShadowModel.Status.FAILED, error=reason
            ),
        )
        if not isinstance(exc, Exception):
            raise
        raise error from None
    task_progress(
        record_id=record_id,
        fraction=1.0,
        message="Frozen.",
        result_url=model.get_absolute_url(),
    )
    return "frozen"


def _shadow_task(actor: User | None, scores: Any, kind: str, label: str, job: Job) -> None:
    record = task_start(
        actor=actor,
        kind=kind,
        label=label,
        job=job,
        args=[str(scores.pk)],
        target=scores,
    )
    scores.task_record = record
    scores.save(update_fields=["task_record"])


@transaction.atomic
def shadow_score_start(*, actor: User | None, model: Any, dataset: Dataset) -> Any:
    """Queue the scoring of a later extract (a stored dataset of the same pilot, uploaded
    under the same rules) by a frozen model."""
    from whatworks.pilots.models import ShadowModel, ShadowScores

    if model.status != ShadowModel.Status.FROZEN or not model.folder:
        raise PilotError(gettext("Only a frozen model can score an extract."))
    if dataset.pilot_id != model.pilot_id:
        raise PilotError(gettext("That dataset belongs to another pilot."))
    if dataset.is_deleted or not dataset.folder:
        raise PilotError(gettext("That dataset has been deleted under the retention rules."))
    if model.run.dataset_id == dataset.pk:
        raise PilotError(
            gettext(
                "That is the extract the model was fitted on. Upload a later monthly extract and "
                "score that: only referrals made after the model was frozen are scored."
            )
        )
    scores = ShadowScores.objects.create(
        model=model, dataset=dataset, started_by=actor if actor is not None and actor.pk else None
    )
    _shadow_task(
        actor,
        scores,
        "pilot_shadow_score",
        f"Scoring an extract of {model.pilot.name}",
        jobs.SHADOW_SCORE,
    )
    audit_record(
        actor=actor,
        action="pilot.shadow_scoring_started",
        target=scores,
        changes={"dataset": str(dataset.pk), "model": model.short_id},
    )
    return scores


@transaction.atomic
def shadow_scores_mark(*, scores_id: Any, status: str, error: str = "") -> bool:
    """Bookkeeping by the scoring and evaluation tasks."""
    from whatworks.pilots.models import ShadowScores

    active = (
        ShadowScores.Status.QUEUED,
        ShadowScores.Status.SCORING,
        ShadowScores.Status.SCORED,
        ShadowScores.Status.EVALUATING,
        ShadowScores.Status.EVALUATED,
    )
    action = "pilot.shadow_scores_failed"
    return _shadow_mark(ShadowScores, scores_id, active, status, error, action)


@transaction.atomic
def shadow_scores_store(
    *, scores_id: Any, path: Path, counts: dict[str, Any], today: date | None = None
) -> Any:
    """Keep a scoring's file (child-level: deleted on the datasets' retention date)."""
    from whatworks.pilots.models import ShadowScores

    scores = ShadowScores.objects.select_for_update().get(pk=scores_id)
    if scores.status != ShadowScores.Status.SCORING:
        raise PilotError(gettext("These scores are no longer being made."))
    today = today or timezone.localdate()
    scores.path = str(path.relative_to(data_root()))
    scores.scored = int(counts["scored"])
    scores.flagged = int(counts["flagged"])
    scores.first_referral = counts.get("first_referral")
    scores.last_referral = counts.get("last_referral")
    scores.delete_after = add_months(today, int(settings.WHATWORKS_PILOT_RETENTION_MONTHS))
    scores.status = ShadowScores.Status.SCORED
    scores.scored_at = timezone.now()
    scores.save()
    audit_record(
        actor=scores.started_by,
        action="pilot.shadow_scored",
        target=scores,
        changes={
            "scored": scores.scored,
            "flagged": scores.flagged,
            "delete_after": str(scores.delete_after),
        },
    )
    return scores


def shadow_score_execute(*, scores_id: Any, record_id: str) -> str:
    """The work of the ``SHADOW_SCORE`` job: score a later extract with a frozen model;
    the scores (child-level) go to a private Parquet file, deleted on its retention date."""
    from whatworks.pilots.models import ShadowScores

    scores = ShadowScores.objects.select_related("model", "model__pilot", "dataset").get(
        pk=scores_id
    )
    if scores.status != ShadowScores.Status.QUEUED:
        return str(scores.status)
    path = shadow_scores_root(scores.model.pilot) / f"{scores.pk}.parquet"
    shadow_scores_mark(scores_id=scores_id, status=ShadowScores.Status.SCORING)
    task_progress(record_id=record_id, fraction=0.1, message="Scoring the later referrals.")
    try:
        dataset = scores.dataset
        if dataset is None or dataset.is_deleted or not dataset.folder:
            raise PilotError(gettext("The extract has been deleted."))
        private_mkdir(path.parent)
        counts = analytics.shadow_score(
            model_folder=data_root() / scores.model.folder,
            dataset_folder=data_root() / dataset.folder,
            out=path,
        )
        shadow_scores_store(scores_id=scores_id, path=path, counts=counts)
    except BaseException as exc:
        remove_path(path)
        error = _shadow_failed(
            exc,
            "Scoring",
            scores_id,
            lambda reason: shadow_scores_mark(
                scores_id=scores_id, status=ShadowScores.Status.FAILED, error=reason
            ),
        )
        if not isinstance(exc, Exception):
            raise
        raise error from None
    task_progress(
        record_id=record_id, fraction=1.0, message="Scored.", result_url=scores.get_absolute_url()
    )
    return "scored"


@transaction.atomic
def shadow_scores_export(*, actor: User | None, scores: Any, handle: IO[str]) -> int:
    """Write a scoring's scores as CSV (pseudonymised referral ids, decision dates, scores,
    flags and the model's id), every cell made safe for a spreadsheet; the download is
    recorded in the audit log.  Returns the number of rows."""
    if not scores.path or scores.is_deleted:
        raise PilotError(gettext("These scores have been deleted under the retention rules."))
    count = write_csv(
        handle,
        header=analytics.SCORE_COLUMNS,
        rows=analytics.shadow_scores_rows(data_root() / scores.path),
    )
    audit_record(
        actor=actor,
        action=AuditAction.PILOT_SHADOW_SCORES_DOWNLOADED,
        target=scores,
        changes={"rows": count},
    )
    return count


@transaction.atomic
def shadow_evaluate_start(*, actor: User | None, scores: Any, dataset: Dataset) -> Any:
    """Queue the forward evaluation of recorded scores from a later extract (the outcomes
    of the scored referrals); evaluating again with a still later extract replaces it."""
    from whatworks.pilots.models import ShadowScores

    scores = ShadowScores.objects.select_for_update().select_related("model").get(pk=scores.pk)
    if scores.status not in {ShadowScores.Status.SCORED, ShadowScores.Status.EVALUATED}:
        raise PilotError(gettext("Only finished scores can be evaluated."))
    if scores.is_deleted or not scores.path:
        raise PilotError(gettext("These scores have been deleted under the retention rules."))
    if dataset.pilot_id != scores.model.pilot_id:
        raise PilotError(gettext("That dataset belongs to another pilot."))
    if dataset.is_deleted or not dataset.folder:
        raise PilotError(gettext("That dataset has been deleted under the retention rules."))
    scores.status = ShadowScores.Status.EVALUATING
    scores.evaluated_with = dataset
    scores.save(update_fields=["status", "evaluated_with"])
    _shadow_task(
        actor,
        scores,
        "pilot_shadow_evaluate",
        f"Forward evaluation of {scores.model.pilot.name}",
        jobs.SHADOW_EVALUATE,
    )
    audit_record(
        actor=actor,
        action="pilot.shadow_evaluation_started",
        target=scores,
        changes={"dataset": str(dataset.pk)},
    )
    return scores


@transaction.atomic
def shadow_evaluation_store(*, scores_id: Any, forward: dict[str, Any]) -> Any:
    """Keep a forward evaluation (aggregates) on its scores."""
    from whatworks.pilots.models import ShadowScores

    scores = ShadowScores.objects.select_for_update().get(pk=scores_id)
    if scores.status != ShadowScores.Status.EVALUATING:
        raise PilotError(gettext("These scores are no longer being evaluated."))
    scores.forward = forward
    scores.status = ShadowScores.Status.EVALUATED
    scores.evaluated_at = timezone.now()
    scores.save(update_fields=["forward", "status", "evaluated_at"])
    audit_record(
        actor=None,
        action="pilot.shadow_evaluated",
        target=scores,
        changes={"matured": forward.get("matured"), "pending": forward.get("pending")},
    )
    return scores


def shadow_evaluate_execute(*, scores_id: Any, record_id: str) -> str:
    """The work of the ``SHADOW_EVALUATE`` job: the forward evaluation of recorded scores
    from a later extract's outcomes."""
    from whatworks.pilots.models import ShadowScores

    scores = ShadowScores.objects.select_related("model", "evaluated_with").get(pk=scores_id)
    if scores.status != ShadowScores.Status.EVALUATING:
        return str(scores.status)
    task_progress(record_id=record_id, fraction=0.1, message="Labelling the scored referrals.")
    try:
        dataset = scores.evaluated_with
        if dataset is None or dataset.is_deleted or not dataset.folder:
            raise PilotError(gettext("The extract has been deleted."))
        if scores.is_deleted or not scores.path:
            raise PilotError(gettext("The scores have been deleted."))
        forward = analytics.shadow_evaluate(
            model_folder=data_root() / scores.model.folder,
            scores_path=data_root() / scores.path,
            dataset_folder=data_root() / dataset.folder,
        )
        shadow_evaluation_store(scores_id=scores_id, forward=forward)
    except BaseException as exc:
        # The scores stay usable: back to where they were, with the reason shown.
        back = ShadowScores.Status.EVALUATED if scores.forward else ShadowScores.Status.SCORED
        error = _shadow_failed(
            exc,
            "Evaluating",
            scores_id,
            lambda reason: shadow_scores_mark(scores_id=scores_id, status=back, error=reason),
        )
        if not isinstance(exc, Exception):
            raise
        raise error from None
    task_progress(
        record_id=record_id,
        fraction=1.0,
        message="Evaluated.",
        result_url=scores.get_absolute_url(),
    )
    return "evaluated"


@transaction.atomic
def shadow_scores_delete_expired(*, actor: User | None = None, today: date | None = None) -> int:
    """Delete every scores file past its deletion date (child-level data, as datasets);
    the counts and forward evaluations (aggregates) stay."""
    from whatworks.pilots.models import ShadowScores

    today = today or timezone.localdate()
    expired = ShadowScores.objects.select_for_update().filter(
        delete_after__lte=today, deleted_at__isnull=True
    )
    return _shadow_scores_delete(actor=actor, scores=expired, reason="retention")


def _shadow_scores_delete(
    *, actor: User | None, scores: Any, reason: str = "its extract was deleted early"
) -> int:
    """Remove scores files (child-level); their counts and evaluations stay."""
    count = 0
    for item in scores:
        if item.path:
            remove_path(data_root() / item.path)
        item.path = ""
        item.deleted_at = timezone.now()
        item.save(update_fields=["path", "deleted_at"])
        audit_record(
            actor=actor,
            action="pilot.shadow_scores_deleted",
            target=item,
            changes={"delete_after": str(item.delete_after), "reason": reason},
        )
        count += 1
    return count


def shadow_mark_lost(*, record: TaskRecord | None, reason: str, **_: Any) -> None:
    """Receiver of ``core.signals.task_lost``: a freezing or scoring whose worker died is
    failed with the reason, and its partial files are removed."""
    from whatworks.pilots.models import ShadowModel, ShadowScores

    if record is None:
        return
    for model in ShadowModel.objects.filter(
        task_record=record, status__in=(ShadowModel.Status.QUEUED, ShadowModel.Status.FREEZING)
    ):
        shadow_model_mark(model_id=model.pk, status=ShadowModel.Status.FAILED, error=reason)
        remove_path(shadow_models_root(model.pilot) / str(model.pk))
    active = (
        ShadowScores.Status.QUEUED,
        ShadowScores.Status.SCORING,
        ShadowScores.Status.EVALUATING,
    )
    for scores in ShadowScores.objects.filter(task_record=record, status__in=active):
        status = ShadowScores.Status.FAILED
        if scores.status == ShadowScores.Status.EVALUATING:  # the scores themselves stay
            status = ShadowScores.Status.EVALUATED if scores.forward else ShadowScores.Status.SCORED
        else:
            remove_path(shadow_scores_root(scores.model.pilot) / f"{scores.pk}.parquet")
        shadow_scores_mark(scores_id=scores.pk, status=status, error=reason)


# --- asking for a pilot ----------------------------------------------------------------


@transaction.atomic
def pilot_request_create(*, actor: User, question: str) -> Any:
    """Record a signed-in user's request for a pilot, for the Centre's researchers."""
    from whatworks.pilots.models import PilotRequest

    if not question.strip():
        raise PilotError(gettext("Say what your authority would like to test."))
    request = PilotRequest(
        requested_by=actor, organisation=actor.organisation, question=question.strip()
    )
    full_clean_or_raise(request, PilotError)
    request.save()
    audit_record(actor=actor, action="pilot.requested", target=request)
    return request
