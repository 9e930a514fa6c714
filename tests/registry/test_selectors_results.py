"""What the results pages answer to: whether results may be corrected now; the entry page's
closed state, version and the rows' starting point."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.urls import reverse

from tests.factories import user_with_role
from tests.registry.factories import (
    bundle,
    editor,
    project_with_results,
    registered_project,
    researcher,
)
from whatworks.core.roles import Role
from whatworks.registry.models import ResultsReport
from whatworks.registry.selectors_results import (
    MAX_EXTRA_ROWS,
    CorrectionCheck,
    results_correction_check,
    results_entry_for,
)
from whatworks.registry.services.projects import project_withdraw
from whatworks.registry.services.results import (
    results_correct,
    results_import_bundle,
    results_publish,
)

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


# --- whether results may be corrected ------------------------------------------------------


def _first(project: Any) -> ResultsReport:
    return ResultsReport.objects.get(project=project, number=1)


def test_the_team_and_editors_may_correct_current_published_results() -> None:
    author = researcher()
    report = _first(project_with_results(author=author))
    for user in (author, editor()):
        check = results_correction_check(user=user, report=report)
        assert check == CorrectionCheck(permitted=True) and check.ready


def test_no_one_else_may_correct_and_is_told_nothing_more() -> None:
    report = _first(project_with_results())
    others = (AnonymousUser(), None, researcher(), user_with_role(Role.LA_ANALYST))
    for user in others:
        assert results_correction_check(user=user, report=report) == CorrectionCheck(
            permitted=False
        )


def test_a_draft_is_changed_not_corrected() -> None:
    author = researcher()
    report = _first(project_with_results(author=author, publish_results=False))
    check = results_correction_check(user=author, report=report)
    assert check.permitted and not check.ready
    assert check.problems == (
        "These results are still a draft: change them instead of correcting them.",
    )


def test_a_correction_in_draft_closes_the_results_until_it_is_published() -> None:
    author = researcher()
    project = project_with_results(author=author)
    old = _first(project)
    correction = results_correct(actor=author, report=old, justification="A typo.")
    in_draft = results_correction_check(user=author, report=old)
    assert in_draft.problems == (
        "A correction is already in draft; finish and publish that one first.",
    )
    results_import_bundle(actor=author, project=project, bundle=bundle())
    results_publish(actor=editor(), report=correction)
    superseded = results_correction_check(user=author, report=old)
    assert superseded.problems == (
        "These results have already been corrected; correct the current ones.",
    )
    correction.refresh_from_db()
    assert results_correction_check(user=author, report=correction).ready


def test_a_withdrawn_projects_results_are_not_corrected() -> None:
    project = project_with_results()
    project_withdraw(actor=editor(), project=project, reason="Stopped.", keep_results=True)
    check = results_correction_check(user=editor(), report=_first(project))
    assert check.permitted and check.problems == (
        "This project has been withdrawn; it can no longer change.",
    )


def test_the_results_page_offers_a_correction_only_when_the_check_is_ready(client: Any) -> None:
    author = researcher()
    project = project_with_results(author=author)
    url = reverse("registry:results", kwargs={"reference": project.reference})
    assert client.get(url).context["can_correct"] is False
    client.force_login(author)
    assert client.get(url).context["can_correct"] is True
    results_correct(actor=author, report=_first(project), justification="A typo.")
    first = reverse("registry:results_report", kwargs={"reference": project.reference, "number": 1})
    assert client.get(first).context["can_correct"] is False
