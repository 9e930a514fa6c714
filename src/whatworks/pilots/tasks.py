"""Background tasks of pilots.  Tasks take ids, never objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django_tasks import task

from whatworks.core.services import task_progress
from whatworks.pilots import analytics
from whatworks.pilots.errors import PilotError
from whatworks.pilots.models import Run


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
            raise PilotError("The dataset of this run has been deleted.")
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
    from whatworks.pilots.services import datasets_delete_expired

    return datasets_delete_expired(actor=None)
