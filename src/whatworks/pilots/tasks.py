"""Background tasks of pilots: thin wrappers that call a service.  Tasks take ids, never
objects; each is bound to its job (``jobs.py``), by which the services enqueue it."""

from __future__ import annotations

from django_tasks import task

from whatworks.pilots import jobs
from whatworks.pilots.services import datasets, runs, shadow


@task()
def pilot_run(run_id: str, record_id: str) -> str:
    """Run the pilot's fixed config on its stored dataset (:func:`runs.run_execute`)."""
    return runs.run_execute(run_id=run_id, record_id=record_id)


@task()
def delete_expired_datasets() -> int:
    """The retention rule, daily (:func:`datasets.retention_apply`)."""
    return datasets.retention_apply(actor=None)


@task()
def dataset_check(upload_id: str, record_id: str) -> str:
    """Check an upload and keep it as a dataset (:func:`datasets.dataset_upload_check`)."""
    return datasets.dataset_upload_check(upload_id=upload_id, record_id=record_id)


@task()
def shadow_freeze(model_id: str, record_id: str) -> str:
    """Freeze a run's model (:func:`shadow.shadow_freeze_execute`)."""
    return shadow.shadow_freeze_execute(model_id=model_id, record_id=record_id)


@task()
def shadow_score(scores_id: str, record_id: str) -> str:
    """Score a later extract (:func:`shadow.shadow_score_execute`)."""
    return shadow.shadow_score_execute(scores_id=scores_id, record_id=record_id)


@task()
def shadow_evaluate(scores_id: str, record_id: str) -> str:
    """Evaluate scores forward (:func:`shadow.shadow_evaluate_execute`)."""
    return shadow.shadow_evaluate_execute(scores_id=scores_id, record_id=record_id)


jobs.DATASET_CHECK.bind(dataset_check)
jobs.PILOT_RUN.bind(pilot_run)
jobs.SHADOW_FREEZE.bind(shadow_freeze)
jobs.SHADOW_SCORE.bind(shadow_score)
jobs.SHADOW_EVALUATE.bind(shadow_evaluate)
jobs.DELETE_EXPIRED_DATASETS.bind(delete_expired_datasets)
