"""Reads of trial data and analyses, with their access rule (issue #18).

Trial data are private to the project's team (and administrators): anyone else gets a 404
for a dataset, whether or not it exists, as for a pilot's datasets.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from whatworks.core.tasks_support import TaskState, task_state
from whatworks.registry.models import Project, TrialAnalysis, TrialDataset
from whatworks.registry.selectors import AnyUser, is_team_member, project_get_for_user

__all__ = [
    "analysis_state",
    "dataset_state",
    "trial_dataset_get_for_user",
    "trial_datasets_for",
]


def trial_datasets_for(project: Project) -> QuerySet[TrialDataset]:
    return project.trial_datasets.select_related("protocol_version", "uploaded_by", "task_record")


def trial_dataset_get_for_user(*, user: AnyUser, reference: str, dataset_id: Any) -> TrialDataset:
    """A dataset of the project for its team; 404 for everyone else."""
    project = project_get_for_user(user=user, reference=reference)
    if not is_team_member(user, project):
        raise Http404
    dataset = trial_datasets_for(project).filter(pk=dataset_id).first()
    if dataset is None:
        raise Http404
    return dataset


def dataset_state(dataset: TrialDataset) -> tuple[str, str, TaskState | None]:
    """The check's effective status and reason: a check whose task failed (its worker died)
    shows as failed even though the check never said so."""
    state = task_state(dataset.task_record) if dataset.task_record is not None else None
    if dataset.is_active and state is not None and state.status == "FAILED":
        return TrialDataset.Status.FAILED, state.error, state
    return dataset.status, dataset.error, state


def analysis_state(analysis: TrialAnalysis) -> tuple[str, str, TaskState | None]:
    state = task_state(analysis.task_record) if analysis.task_record is not None else None
    if analysis.is_active and state is not None and state.status == "FAILED":
        return TrialAnalysis.Status.FAILED, state.error, state
    return analysis.status, analysis.error, state
