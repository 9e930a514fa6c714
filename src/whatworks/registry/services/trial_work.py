"""The work the trial-data tasks do in a worker (issue #18); the tasks
(``registry/trial_tasks.py``) only call these.  They take ids, never objects.

:func:`trial_dataset_check` is the only code that reads an uploaded trial file; it runs in
a worker, never in the web process.  Its messages name columns and count rows but never
quote a value, and an unexpected error is logged by its type only, so that no raw value
reaches the database, the queue or the logs.
"""

from __future__ import annotations

import logging
import uuid

from django.utils.translation import gettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.privatedata import (
    derive_pseudonym_key,
    private_mkdir,
    pseudonymise,
    remove_path,
    restrict_tree,
)
from whatworks.core.services.background import task_progress
from whatworks.registry import analytics
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import TrialAnalysis, TrialDataset

logger = logging.getLogger(__name__)

CHECK_FAILED = (
    "The check failed unexpectedly; nothing was kept. The error has been logged for the "
    "administrators (without the data)."
)
RUN_FAILED = "The analysis failed unexpectedly. The error has been logged for the administrators."
DATA_FILE = "data.parquet"


def pseudonym_key(project_id: object) -> str:
    """The key of one project's participant pseudonyms."""
    return derive_pseudonym_key(context=f"project:{project_id}")


def trial_dataset_check(dataset_id: str, record_id: str) -> str:
    """Check an uploaded CSV against the registered plan; keep the plan's columns with the
    identifiers pseudonymised, or record every problem.  The raw file goes either way."""
    from whatworks.registry.services.trial_data import (
        trial_data_root,
        trial_dataset_mark,
        trial_dataset_store,
        trial_incoming_root,
    )

    dataset = TrialDataset.objects.select_related("protocol_version").get(pk=dataset_id)
    if dataset.status != TrialDataset.Status.QUEUED:
        return str(dataset.status)  # already checked (e.g. directly by the demo)
    scratch = trial_incoming_root() / str(dataset.pk)
    folder = trial_data_root() / str(dataset.project_id) / str(uuid.uuid4())
    plan = dataset.protocol_version.content["trial_analysis"]
    outcome = TrialDataset.Status.STORED
    try:
        trial_dataset_mark(dataset_id=dataset.pk, status=TrialDataset.Status.CHECKING)
        task_progress(record_id=record_id, fraction=0.1, message="Reading the file.")
        frame = analytics.read_trial_data(scratch / "received" / dataset.stored_name)
        task_progress(
            record_id=record_id, fraction=0.4, message="Checking it against the registered plan."
        )
        problems = analytics.trial_data_problems(frame, plan, dataset.id_column)
        if problems:
            raise analytics.TrialInputError(problems)
        # Taken on the whole file as read, before anything is dropped or pseudonymised:
        # the fingerprint ``whatworks-analytics trial-plan`` states for the same file.
        fingerprint = analytics.data_fingerprint(frame)
        kept = analytics.kept_frame(frame, plan, id_column=dataset.id_column)
        dropped = [c for c in frame.columns if c not in kept.columns]
        del frame
        task_progress(
            record_id=record_id, fraction=0.7, message="Replacing every identifier by a pseudonym."
        )
        kept = pseudonymise(
            {"data": kept}, {"data": [dataset.id_column]}, key=pseudonym_key(dataset.project_id)
        )["data"]
        private_mkdir(folder)
        kept.write_parquet(folder / DATA_FILE)
        restrict_tree(folder)
        trial_dataset_store(
            dataset_id=dataset.pk,
            folder=folder,
            rows=kept.height,
            columns=list(kept.columns),
            dropped_columns=dropped,
            fingerprint=fingerprint,
        )
    except (analytics.TrialInputError, RegistryError) as exc:
        remove_path(folder)
        problems = list(getattr(exc, "problems", None) or getattr(exc, "messages", []))
        trial_dataset_mark(
            dataset_id=dataset.pk, status=TrialDataset.Status.REFUSED, problems=problems
        )
        outcome = TrialDataset.Status.REFUSED
    except BaseException as exc:
        remove_path(folder)
        logger.error("The check of trial data %s failed: %s", dataset.pk, type(exc).__name__)
        trial_dataset_mark(
            dataset_id=dataset.pk, status=TrialDataset.Status.FAILED, error=CHECK_FAILED
        )
        if not isinstance(exc, Exception):
            raise
        raise RegistryError(CHECK_FAILED) from None
    finally:
        remove_path(scratch)
    task_progress(
        record_id=record_id,
        fraction=1.0,
        message="Stored." if outcome == TrialDataset.Status.STORED else "Refused.",
        result_url=dataset.get_absolute_url(),
    )
    return str(outcome)


def trial_analysis_run(analysis_id: str, record_id: str) -> str:
    """Run the registered plan on the stored data; keep the bundle and fill the results."""
    import polars as pl

    from whatworks.registry.services.trial_data import (
        analysis_mark,
        trial_analysis_finish,
        trial_data_access_record,
        trial_data_root,
    )

    analysis = TrialAnalysis.objects.select_related(
        "dataset", "protocol_version", "project", "started_by"
    ).get(pk=analysis_id)
    if analysis.status != TrialAnalysis.Status.QUEUED:
        return str(analysis.status)
    analysis_mark(analysis_id=analysis.pk, status=TrialAnalysis.Status.RUNNING)
    task_progress(record_id=record_id, fraction=0.1, message="Reading the stored data.")
    dataset, version = analysis.dataset, analysis.protocol_version
    try:
        if not dataset.is_usable:
            raise RegistryError(gettext("The data of this analysis have been deleted."))
        frame = pl.read_parquet(trial_data_root() / dataset.folder / DATA_FILE)
        trial_data_access_record(
            actor=analysis.started_by,
            target=dataset,
            action=AuditAction.REGISTRY_TRIAL_DATA_ANALYSED,
        )
        task_progress(
            record_id=record_id, fraction=0.3, message="Running the registered analysis plan."
        )
        bundle = analytics.run_trial_plan(
            version.content["trial_analysis"],
            frame,
            project=analysis.project.reference,
            protocol_version=version.number,
            version_sha256=version.sha256,
            fingerprint=dataset.fingerprint,
        )
        task_progress(record_id=record_id, fraction=0.8, message="Filling the results report.")
        trial_analysis_finish(analysis_id=analysis.pk, bundle=bundle)
    except (analytics.TrialInputError, RegistryError) as exc:
        problems = list(getattr(exc, "problems", None) or getattr(exc, "messages", []))
        message = "The analysis was refused: " + "; ".join(problems)
        analysis_mark(analysis_id=analysis.pk, status=TrialAnalysis.Status.FAILED, error=message)
        raise RegistryError(message) from None
    except Exception as exc:  # noqa: BLE001 - logged by type only; the data stay out of logs
        logger.error("Trial analysis %s failed: %s", analysis.pk, type(exc).__name__)
        analysis_mark(analysis_id=analysis.pk, status=TrialAnalysis.Status.FAILED, error=RUN_FAILED)
        raise RegistryError(RUN_FAILED) from None
    task_progress(
        record_id=record_id,
        fraction=1.0,
        message="Finished: the draft results report is filled.",
        result_url=dataset.get_absolute_url(),
    )
    return "succeeded"
