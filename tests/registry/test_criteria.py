"""Success criteria explained as they will be judged; criteria that cannot be judged and
dates that cannot be are refused."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.registry.factories import content, draft_project, researcher
from whatworks.registry.criteria import criteria_problems, explain, statistic_range
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import Project, StudyType, Topic
from whatworks.registry.protocol import Comparison, Criterion, parse_content
from whatworks.registry.services.projects import project_create
from whatworks.registry.services.protocols import protocol_draft_save, protocol_register
from whatworks.registry.verdicts import OutcomeResult, Verdict, judge


def _with_criterion(statistic: str, comparison: str, threshold: float) -> dict[str, Any]:
    data = content()
    data["success_criteria"]["criteria"] = [
        {
            "outcome": "care-entry",
            "statistic": statistic,
            "comparison": comparison,
            "threshold": threshold,
        }
    ]
    return data


def test_the_explanation_says_what_judge_does() -> None:
    criterion = Criterion(
        outcome="auc", statistic="AUC", comparison=Comparison.AT_LEAST, threshold=0.7
    )
    words = explain(criterion, "Escalation")
    assert words.startswith(
        "Met when the whole interval of the AUC for Escalation is at or above 0.7"
    )
    assert "not met when the whole interval is below 0.7" in words
    # ... and the verdicts agree with the words, at the edges.
    at_edge = OutcomeResult(outcome="auc", estimate=0.75, lower=0.7, upper=0.8)
    straddles = OutcomeResult(outcome="auc", estimate=0.72, lower=0.69, upper=0.8)
    below = OutcomeResult(outcome="auc", estimate=0.65, lower=0.6, upper=0.69)
    assert judge(criterion, at_edge)[0] == Verdict.MET
    assert judge(criterion, straddles)[0] == Verdict.INCONCLUSIVE
    assert judge(criterion, below)[0] == Verdict.NOT_MET
    at_most = Criterion(
        outcome="x", statistic="risk difference", comparison=Comparison.AT_MOST, threshold=0
    )
    assert "at or below 0; not met when the whole interval is above 0" in explain(at_most)
    two_sided = Criterion(outcome="x", statistic="g", comparison=Comparison.TWO_SIDED, threshold=0)
    assert "excludes 0" in explain(two_sided) and "never “not met”" in explain(two_sided)


@pytest.mark.parametrize(
    ("statistic", "comparison", "threshold", "problem"),
    [
        ("risk ratio", "<=", -0.5, "a ratio is always above 0"),
        ("Odds ratio", ">=", 0, "a ratio is always above 0"),
        ("AUC", ">=", 1.2, "a proportion is always between 0 and 1"),
        ("precision", ">=", 0, "every possible result meets this"),
        ("recall", "<=", 1, "every possible result meets this"),
        ("risk difference", "<=", -2, "a risk difference is always between -1 and 1"),
        ("correlation", ">=", 1.5, "between -1 and 1"),
    ],
)
def test_criteria_that_cannot_be_judged(
    statistic: str, comparison: str, threshold: float, problem: str
) -> None:
    problems = criteria_problems(parse_content(_with_criterion(statistic, comparison, threshold)))
    assert len(problems) == 1 and problem in problems[0]
    assert problems[0].startswith(f"Criterion 1 ({statistic} of Entry to care)")


@pytest.mark.parametrize(
    ("statistic", "comparison", "threshold"),
    [
        ("risk ratio", "<=", 0.8),
        ("AUC", ">=", 0.7),
        ("risk difference", "<=", 0),
        ("Hedges' g", ">=", -3),  # not recognised: not range-checked
        ("precision", ">=", 1),  # hard, but a result can fail it
    ],
)
def test_criteria_that_can_be_judged(statistic: str, comparison: str, threshold: float) -> None:
    assert criteria_problems(parse_content(_with_criterion(statistic, comparison, threshold))) == []


def test_recognising_statistics() -> None:
    assert statistic_range("effect size or mean difference") is None  # "or" is not a ratio
    found = statistic_range("Hazard ratio")
    assert found is not None and found.name == "ratio"


@pytest.mark.django_db
def test_the_service_refuses_them_at_save_and_at_registration() -> None:
    project = draft_project()
    author = project.team.get()
    with pytest.raises(RegistryError, match="can never be judged"):
        protocol_draft_save(
            actor=author, project=project, content=_with_criterion("risk ratio", "<=", -1)
        )
    # A draft saved before this rule existed still cannot be registered.
    Project.objects.filter(pk=project.pk).update(
        draft_content=parse_content(_with_criterion("risk ratio", "<=", -1)).as_json()
    )
    project.refresh_from_db()
    with pytest.raises(RegistryError, match="can never be judged"):
        protocol_register(actor=author, project=project)
    assert not project.versions.exists()


@pytest.mark.django_db
def test_a_criterion_on_an_unknown_outcome_names_the_keys() -> None:
    project = draft_project()
    data = content()
    data["success_criteria"]["criteria"][0]["outcome"] = "care-entri"
    with pytest.raises(RegistryError, match="care-entry, proceedings"):
        protocol_draft_save(actor=project.team.get(), project=project, content=data)


@pytest.mark.django_db
def test_the_draft_form_explains_each_saved_criterion(client: Any) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    page = client.get(reverse("registry:protocol_edit", args=[project.reference])).content
    text = page.decode()
    assert (
        "Met when the whole interval of the risk difference for Entry to care is at or below 0"
        in text
    )
    assert "The project succeeds if" in text


# --- dates ------------------------------------------------------------------------------


def _create(
    *, data_collection_ends: date | None = None, results_due: date | None = None
) -> Project:
    return project_create(
        actor=researcher(),
        title="A trial",
        summary="Short.",
        study_type=StudyType.RANDOMISED_TRIAL,
        topic=Topic.CHILD_PROTECTION,
        data_collection_ends=data_collection_ends,
        results_due=results_due,
    )


@pytest.mark.django_db
def test_results_cannot_be_due_before_data_collection_ends() -> None:
    today = timezone.localdate()
    with pytest.raises(RegistryError, match="is before data collection ends"):
        _create(data_collection_ends=today + timedelta(days=300), results_due=today)
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_dates_decades_away_are_refused_all_at_once() -> None:
    today = timezone.localdate()
    with pytest.raises(RegistryError) as caught:
        _create(
            data_collection_ends=today.replace(year=today.year - 30),
            results_due=today.replace(year=today.year + 50),
        )
    assert len(caught.value.messages) == 2
    assert all("check the year" in m for m in caught.value.messages)


@pytest.mark.django_db
def test_sensible_dates_are_kept(client: Any) -> None:
    today = timezone.localdate()
    project = _create(data_collection_ends=today - timedelta(days=400))
    assert project.data_collection_ends is not None and project.results_due is not None
    assert project.results_due > project.data_collection_ends


@pytest.mark.django_db
def test_the_edit_page_shows_a_date_problem(client: Any) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    response = client.post(
        reverse("registry:project_edit", args=[project.reference]),
        {
            "title": project.title,
            "summary": "Short.",
            "status": "setting-up",
            "study_type": "randomised-trial",
            "topic": "child-protection",
            "data_collection_ends": "2027-03-31",
            "results_due": "2027-01-01",
        },
    )
    assert response.status_code == 200
    assert "is before data collection ends" in response.content.decode()
