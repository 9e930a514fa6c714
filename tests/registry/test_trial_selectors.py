"""Who may reach a trial's data (issue #18): its team and administrators; for every other
role, and for visitors, the dataset does not exist (404), whether or not it does."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from tests.factories import user_with_role
from tests.registry.trial_factories import author_of, stored, trial_project
from whatworks.core.roles import Role
from whatworks.registry.selectors_trials import trial_dataset_get_for_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [None, *Role])
def test_only_the_team_and_administrators_reach_a_dataset(
    role: Role | None, tmp_path: Path
) -> None:
    project = trial_project()
    dataset = stored(project, tmp_path)
    user = user_with_role(role)
    if role == Role.ADMIN:
        found = trial_dataset_get_for_user(
            user=user, reference=project.reference, dataset_id=dataset.pk
        )
        assert found == dataset
        return
    with pytest.raises(Http404):
        trial_dataset_get_for_user(user=user, reference=project.reference, dataset_id=dataset.pk)


def test_the_team_reaches_its_datasets_and_no_other(tmp_path: Path) -> None:
    project, other = trial_project(), trial_project()
    dataset = stored(project, tmp_path / "a")
    theirs = stored(other, tmp_path / "b")
    author = author_of(project)
    assert (
        trial_dataset_get_for_user(user=author, reference=project.reference, dataset_id=dataset.pk)
        == dataset
    )
    for reference, dataset_id in (
        (project.reference, theirs.pk),  # another project's dataset under this project
        (other.reference, theirs.pk),  # a project the author is not on
        (project.reference, uuid.uuid4()),
    ):
        with pytest.raises(Http404):
            trial_dataset_get_for_user(user=author, reference=reference, dataset_id=dataset_id)
    with pytest.raises(Http404):
        trial_dataset_get_for_user(
            user=AnonymousUser(), reference=project.reference, dataset_id=dataset.pk
        )
