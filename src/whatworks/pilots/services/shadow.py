"""The shadow phase: freeze a finished run's model, score later extracts with it, evaluate
the scores forward; the scores (child-level) deleted on their date.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.csvutils import write_csv
from whatworks.core.dates import add_months
from whatworks.core.models import TaskRecord, User
from whatworks.core.queue import Job
from whatworks.core.services.audit import audit_record
from whatworks.core.services.background import task_progress, task_start
from whatworks.pilots import analytics, jobs
from whatworks.pilots.errors import PilotError
from whatworks.pilots.models import Dataset, Pilot, Run
from whatworks.pilots.services.storage import data_root
from whatworks.pilots.uploads import (
    private_mkdir,
    remove_path,
    restrict_tree,
)

logger = logging.getLogger(__name__)


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
    audit_record(actor=actor, action=AuditAction.PILOT_SHADOW_FREEZE_STARTED, target=model)
    return model


@transaction.atomic
def shadow_model_mark(*, model_id: Any, status: str, error: str = "") -> bool:
    """Bookkeeping by the freezing task; only a model not yet frozen changes."""
    from whatworks.pilots.models import ShadowModel

    active = (ShadowModel.Status.QUEUED, ShadowModel.Status.FREEZING)
    return _shadow_mark(
        ShadowModel, model_id, active, status, error, AuditAction.PILOT_SHADOW_FREEZE_FAILED
    )


def _shadow_mark(
    model: Any, pk: Any, active: tuple[str, ...], status: str, error: str, action: AuditAction
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
        action=AuditAction.PILOT_MODEL_FROZEN,
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
        action=AuditAction.PILOT_SHADOW_SCORING_STARTED,
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
    action = AuditAction.PILOT_SHADOW_SCORES_FAILED
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
        action=AuditAction.PILOT_SHADOW_SCORED,
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
        action=AuditAction.PILOT_SHADOW_EVALUATION_STARTED,
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
        action=AuditAction.PILOT_SHADOW_EVALUATED,
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
    return shadow_scores_delete(actor=actor, scores=expired, reason="retention")


def shadow_scores_delete(
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
            action=AuditAction.PILOT_SHADOW_SCORES_DELETED,
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
