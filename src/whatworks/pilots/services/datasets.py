"""Datasets: an upload queued, checked by a worker and kept as pseudonymised tables, or
refused; the scratch sweep; deletion on the retention date or earlier at the authority's
request.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.dates import add_months
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import TaskRecord, User
from whatworks.core.services.audit import audit_record
from whatworks.core.services.background import task_progress, task_start
from whatworks.pilots import analytics, jobs
from whatworks.pilots.errors import PilotError
from whatworks.pilots.models import Dataset, DatasetUpload, Pilot
from whatworks.pilots.services.shadow import shadow_scores_delete, shadow_scores_delete_expired
from whatworks.pilots.services.storage import data_root, incoming_root
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
            raise PilotError(
                gettext("Fix the experiment config in a registered protocol first."),
                field="dataset",
            )
        problems = names_problems(received.names)
        limit = int(settings.WHATWORKS_PILOT_MAX_UPLOAD_BYTES)
        size = received.size()
        if size > limit:
            problems.append(
                gettext("The upload is larger than the limit of %(limit)s bytes.")
                % {"limit": format(limit, ",")}
            )
        if problems:
            raise PilotError(problems, field="dataset")
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
        action=AuditAction.PILOT_DATASET_UPLOAD_STARTED,
        target=upload,
        changes={"files": upload.file_names, "bytes": size},
    )
    return upload


#: The audit action of an upload that ends without a dataset.
UPLOAD_ENDED: dict[str, AuditAction] = {
    DatasetUpload.Status.REFUSED: AuditAction.PILOT_DATASET_UPLOAD_REFUSED,
    DatasetUpload.Status.FAILED: AuditAction.PILOT_DATASET_UPLOAD_FAILED,
}


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
            action=UPLOAD_ENDED[status],
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
        action=AuditAction.PILOT_DATASET_UPLOADED,
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
        audit_record(
            actor=None, action=AuditAction.PILOT_INCOMING_SWEPT, changes={"removed": len(removed)}
        )
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
            action=AuditAction.PILOT_DATASET_DELETED,
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
    shadow_scores_delete(actor=actor, scores=dataset.shadow_scores.filter(deleted_at__isnull=True))
    rows = dict(dataset.row_counts)
    dataset.folder = ""
    dataset.row_counts = {}
    dataset.deleted_at = timezone.now()
    dataset.save(update_fields=["folder", "row_counts", "deleted_at"])
    audit_record(
        actor=actor,
        action=AuditAction.PILOT_DATASET_DELETED,
        target=dataset,
        changes={
            "delete_after": str(dataset.delete_after),
            "reason": "deleted early by the authority",
            "rows": rows,
        },
    )
    return dataset
