"""Background tasks of pilots.  Tasks take ids, never objects."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from django_tasks import task

from whatworks.core.services import task_progress
from whatworks.pilots import analytics
from whatworks.pilots.errors import PilotError
from whatworks.pilots.models import DatasetUpload, Run
from whatworks.pilots.uploads import (
    Received,
    place_received,
    private_mkdir,
    pseudonym_key,
    pseudonymise,
    remove_path,
    restrict_tree,
)

logger = logging.getLogger(__name__)

CHECK_FAILED = (
    "The check failed unexpectedly; nothing was kept. The error has been logged for the "
    "administrators (without the data)."
)


class RunCancelled(Exception):
    """Raised from the progress callback when someone asked the run to stop."""


@task()
def pilot_run(run_id: str, record_id: str) -> str:
    """Run the pilot's fixed config on its stored dataset; keep the bundle.

    Between steps the engine calls back: progress is reported and the cancel flag read.
    A domain error marks the run failed with its message and fails the task.
    """
    from whatworks.pilots.services import data_root, report_url, run_finish, run_mark

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
        message = _failure(exc)
        run_mark(run_id=run_id, status=Run.Status.FAILED, error=message)
        raise PilotError(message) from exc
    task_progress(
        record_id=record_id, fraction=1.0, message="Finished.", result_url=report_url(run)
    )
    return "succeeded"


def _failure(exc: Any) -> str:
    if isinstance(exc, analytics.EngineProblems):
        return "The engine refused the run: " + "; ".join(exc.problems)
    return "The run failed unexpectedly. The error has been logged for the administrators."


@task()
def delete_expired_datasets() -> int:
    """The retention rule, daily: delete every dataset past its deletion date."""
    from whatworks.pilots.services import datasets_delete_expired, shadow_scores_delete_expired

    shadow_scores_delete_expired(actor=None)
    return datasets_delete_expired(actor=None)


@task()
def dataset_check(upload_id: str, record_id: str) -> str:
    """Check an upload's raw files, pseudonymise them and keep them as a dataset; else
    record every problem.  Whatever happens the raw files are removed.

    Runs in a worker, never in the web process: a worker killed here leaves its raw files
    in ``incoming/<upload id>/``, which the next worker removes when it starts (after the
    lost task is failed).  Problems are stored with identifier values withheld; an
    unexpected error is logged by its type only and re-raised without its message, so
    that no raw value reaches the queue's table or the logs.
    """
    from whatworks.pilots.services import (
        data_root,
        dataset_store,
        dataset_upload_mark,
        incoming_root,
    )

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


# --- the shadow phase ------------------------------------------------------------------

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


@task()
def shadow_freeze(model_id: str, record_id: str) -> str:
    """Fit the run's primary model again on the run's dataset and freeze it (the model
    folder under the private data root); the model's ``model.json`` is kept on the row."""
    from whatworks.pilots.models import ShadowModel
    from whatworks.pilots.services import (
        data_root,
        shadow_model_mark,
        shadow_model_store,
        shadow_models_root,
    )

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


@task()
def shadow_score(scores_id: str, record_id: str) -> str:
    """Score a later extract with a frozen model; the scores (child-level) go to a private
    Parquet file, deleted on its retention date."""
    from whatworks.pilots.models import ShadowScores
    from whatworks.pilots.services import (
        data_root,
        shadow_scores_mark,
        shadow_scores_root,
        shadow_scores_store,
    )

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


@task()
def shadow_evaluate(scores_id: str, record_id: str) -> str:
    """The forward evaluation of recorded scores from a later extract's outcomes."""
    from whatworks.pilots.models import ShadowScores
    from whatworks.pilots.services import (
        data_root,
        shadow_evaluation_store,
        shadow_scores_mark,
    )

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
