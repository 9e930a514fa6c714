"""Background tasks of pilots: thin wrappers that call a service.  Tasks take ids, never
objects; each is bound to its job (``jobs.py``), by which the services enqueue it."""

from __future__ import annotations

from django_tasks import task

from whatworks.pilots import jobs, services


@task()
def pilot_run(run_id: str, record_id: str) -> str:
    """Run the pilot's fixed config on its stored dataset (:func:`services.run_execute`)."""
    return services.run_execute(run_id=run_id, record_id=record_id)


@task()
def delete_expired_datasets() -> int:
    """The retention rule, daily (:func:`services.retention_apply`)."""
    return services.retention_apply(actor=None)


@task()
def dataset_check(upload_id: str, record_id: str) -> str:
    """Check an upload and keep it as a dataset (:func:`services.dataset_upload_check`)."""
    return services.dataset_upload_check(upload_id=upload_id, record_id=record_id)


@task()
def shadow_freeze(model_id: str, record_id: str) -> str:
    """Freeze a run's model (:func:`services.shadow_freeze_execute`)."""
    return services.shadow_freeze_execute(model_id=model_id, record_id=record_id)


@task()
def shadow_score(scores_id: str, record_id: str) -> str:
    """Score a later extract (:func:`services.shadow_score_execute`)."""
    return services.shadow_score_execute(scores_id=scores_id, record_id=record_id)


@task()
def shadow_evaluate(scores_id: str, record_id: str) -> str:
    """Evaluate scores forward (:func:`services.shadow_evaluate_execute`)."""
    return services.shadow_evaluate_execute(scores_id=scores_id, record_id=record_id)


jobs.DATASET_CHECK.bind(dataset_check)
jobs.PILOT_RUN.bind(pilot_run)
jobs.SHADOW_FREEZE.bind(shadow_freeze)
jobs.SHADOW_SCORE.bind(shadow_score)
jobs.SHADOW_EVALUATE.bind(shadow_evaluate)
