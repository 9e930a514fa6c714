"""What the results-entry page answers to: closed, the version, the rows' starting point."""

from __future__ import annotations

import pytest
from django.http import Http404

from tests.registry.factories import bundle, project_with_results, registered_project
from whatworks.registry.selectors_results import MAX_EXTRA_ROWS, results_entry_for
from whatworks.registry.services.results import results_correct, results_import_bundle

pytestmark = pytest.mark.django_db


def test_with_no_draft_the_entry_starts_from_the_latest_version() -> None:
    project = registered_project(amended=True)
    entry = results_entry_for(project=project)
    assert not entry.closed
    assert entry.version is not None and entry.version.number == 2
    assert entry.main_initial() == {"summary": "", "data_collection_ended": None}
    rows = entry.pre_registered_rows()
    assert [r.outcome.key for r in rows] == ["care-entry", "proceedings"]
    # The statistic the success criterion names; nothing "not reported" without a draft.
    assert [r.initial for r in rows] == [{"statistic": "risk difference"}, {"statistic": ""}]
    assert entry.extra_count(None) == 1
    assert entry.extra_initial(0) == {"statistic": "", "outcome": ""}


def test_a_version_asked_for_must_be_the_projects() -> None:
    project = registered_project(amended=True)
    chosen = results_entry_for(project=project, version="1").version
    assert chosen is not None and chosen.number == 1
    for asked in ("9", "v1"):
        with pytest.raises(Http404):
            results_entry_for(project=project, version=asked)


def test_the_draft_gives_the_rows_and_carries_its_additional_outcomes() -> None:
    project = registered_project()
    author = project.team.get()
    extra = {"outcome": "time-to-plan", "estimate": 3.0, "metrics": {"AUC": 0.7}}
    data = bundle(results=[bundle()["results"][0], extra], summary="Found.")
    results_import_bundle(actor=author, project=project, bundle=data)
    entry = results_entry_for(project=project)
    assert entry.same_version and entry.main_initial()["summary"] == "Found."
    care, proceedings = entry.pre_registered_rows()
    assert care.initial["estimate"] == -0.06
    # The draft left this outcome out: it starts as "not reported".
    assert proceedings.initial == {"statistic": "", "not_reported": True}
    assert [r["outcome"] for r in entry.unregistered] == ["time-to-plan"]
    assert entry.extra_count(None) == 2
    assert entry.extra_initial(0)["outcome"] == "time-to-plan"
    assert entry.extra_metrics("time-to-plan") == {"AUC": 0.7}
    assert entry.extra_metrics("other") == {}


@pytest.mark.parametrize(
    ("asked", "count"), [("3", 3), ("0", 1), ("999", MAX_EXTRA_ROWS), ("many", 1)]
)
def test_the_number_of_additional_rows_asked_for_is_bounded(asked: str, count: int) -> None:
    entry = results_entry_for(project=registered_project())
    assert entry.extra_count(asked) == count


def test_published_results_close_the_entry_until_a_correction_is_drafted() -> None:
    project = project_with_results(amended=True)
    entry = results_entry_for(project=project)
    assert entry.closed and entry.published is not None and entry.version is None
    published = entry.published
    published.project = project
    results_correct(actor=project.team.get(), report=published, justification="A typo.")
    # A correction answers to the published report's version, whatever is asked for.
    reopened = results_entry_for(project=project, version="1")
    assert not reopened.closed
    assert reopened.version == published.protocol_version
