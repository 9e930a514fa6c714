"""Trial data for tests: a registered trial with a plan, a CSV on disk, uploads and checks
through the services, as the team and a worker make them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from tests.registry.factories import draft_project, editor, researcher
from tests.registry.test_analysis_plan import plan
from tests.registry.test_trial_results import trial_data
from whatworks.core.models import User
from whatworks.core.privatedata import receiving_folder, stage_files
from whatworks.core.tasks_support import make_worker
from whatworks.registry.models import Project, TrialDataset
from whatworks.registry.services.analysis_plan import protocol_draft_set_trial_analysis
from whatworks.registry.services.projects import project_publish
from whatworks.registry.services.protocols import protocol_register
from whatworks.registry.services.trial_data import (
    trial_dataset_upload_start,
    trial_incoming_root,
)


def run_queued_tasks() -> None:
    """Run every queued task as a worker does (the worker's own loop, in this process)."""
    make_worker(worker_id="trials-test-worker", batch=True, interval=0).run()


def trial_project(*, author: User | None = None, published: bool = True) -> Project:
    author = author or researcher()
    project = draft_project(author=author)
    protocol_draft_set_trial_analysis(actor=author, project=project, plan=plan())
    protocol_register(actor=author, project=project)
    if published:
        project_publish(actor=editor(), project=project)
    project.refresh_from_db()
    return project


def author_of(project: Project) -> User:
    author = project.team.first()
    assert author is not None
    return author


def trial_csv(folder: Path, frame: pl.DataFrame | None = None, name: str = "trial.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    (trial_data() if frame is None else frame).write_csv(path)
    return path


def uploaded(project: Project, path: Path, *, id_column: str = "child") -> TrialDataset:
    received = stage_files([path], receiving_folder(trial_incoming_root()))
    return trial_dataset_upload_start(
        actor=author_of(project), project=project, received=received, id_column=id_column
    )


def check(dataset: TrialDataset) -> TrialDataset:
    """Run the upload's check here, as a worker would (the queue's copy then finds it done)."""
    from whatworks.registry import trial_tasks

    trial_tasks.trial_dataset_check.call(str(dataset.pk), str(dataset.task_record_id))
    dataset.refresh_from_db()
    return dataset


def stored(project: Project, folder: Path, frame: pl.DataFrame | None = None) -> TrialDataset:
    dataset = check(uploaded(project, trial_csv(folder, frame)))
    assert dataset.status == TrialDataset.Status.STORED, dataset.problems
    return dataset


# --- the permission matrix ---------------------------------------------------------------


def trial_data_kwargs() -> dict[str, Any]:
    return {"reference": trial_project().reference}


def trial_dataset_kwargs() -> dict[str, Any]:
    import tempfile

    project = trial_project()
    dataset = stored(project, Path(tempfile.mkdtemp()))
    return {"reference": project.reference, "dataset_id": dataset.pk}


def lift_registry_guard() -> None:
    """Transactional tests flush by DELETE, which the registry's triggers refuse."""
    from django.db import connection

    from whatworks.registry import guards

    guards.remove(connection)
    with connection.cursor() as cursor:
        for table in (
            "registry_trialanalysis",
            "registry_trialdataset",
            "registry_trialevidencelink",
            "registry_resultsreport",
            "registry_protocolversion",
        ):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    guards.install(connection)
