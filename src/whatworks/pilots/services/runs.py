"""Runs: a run of the fixed config on a stored dataset (queued, done by a worker, cancelled
between steps), an offline result bundle, and filling the registry's results report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import TaskRecord, User
from whatworks.core.services.audit import audit_record
from whatworks.core.services.background import task_progress, task_start
from whatworks.pilots import analytics, jobs
from whatworks.pilots.errors import PilotError, RunCancelled
from whatworks.pilots.models import Dataset, Pilot, Run
from whatworks.pilots.services.storage import data_root


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
    audit_record(actor=actor, action=AuditAction.PILOT_RUN_CANCEL_REQUESTED, target=run)
    return run


#: The audit action of a run that ends without a bundle.
RUN_ENDED: dict[str, AuditAction] = {
    Run.Status.FAILED: AuditAction.PILOT_RUN_FAILED,
    Run.Status.CANCELLED: AuditAction.PILOT_RUN_CANCELLED,
}


@transaction.atomic
def run_mark(*, run_id: Any, status: str, error: str = "") -> None:
    """Bookkeeping by the task: the run's status (and why, when it failed)."""
    fields: dict[str, Any] = {"status": status, "error": error[:2000]}
    if status in {Run.Status.FAILED, Run.Status.CANCELLED, Run.Status.SUCCEEDED}:
        fields["finished_at"] = timezone.now()
    Run.objects.filter(pk=run_id).update(**fields)
    if status in {Run.Status.FAILED, Run.Status.CANCELLED}:
        audit_record(actor=None, action=RUN_ENDED[status], target=Run.objects.get(pk=run_id))


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
        action=AuditAction.PILOT_RUN_FINISHED,
        target=run,
        changes={"verdict": run.verdict_status, "config_hash": config_hash},
    )
    return run


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
        raise PilotError(
            gettext("Fix the experiment config in a registered protocol first."), field="bundle"
        )
    try:
        checked = analytics.bundle_check(text, expected_hash=pilot.config_hash)
    except analytics.EngineProblems as exc:
        raise PilotError(exc.problems, field="bundle") from None
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
        action=AuditAction.PILOT_BUNDLE_UPLOADED,
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
    audit_record(actor=actor, action=AuditAction.PILOT_RESULTS_FILLED, target=run)
    return report


def report_url(run: Run) -> str:
    return reverse("pilots:report", kwargs={"pilot_id": run.pilot_id, "run_id": run.pk})
