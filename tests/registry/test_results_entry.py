"""Results typed in outcome by outcome: the checks, the service and the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.factories import user_with_role
from tests.registry.factories import (
    bundle,
    editor,
    project_with_results,
    registered_project,
    researcher,
)
from whatworks.core.errors import PermissionDeniedError
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.registry.entry import ResultRow, row_problems, rows_problems, rows_results
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import ResultsReport
from whatworks.registry.selectors import report_assessment
from whatworks.registry.services.results import (
    results_enter,
    results_import_bundle,
    results_publish,
)

REGISTERED = ["care-entry", "proceedings"]


def _row(**kwargs: Any) -> ResultRow:
    kwargs.setdefault("outcome", "care-entry")
    kwargs.setdefault("label", "Entry to care")
    return ResultRow(**kwargs)


# --- the checks, without the database ----------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (_row(estimate=-0.06, lower=-0.1, upper=-0.02, n=620), []),
        (_row(estimate=0.1), []),
        (_row(not_reported=True), []),
        (_row(metrics={"AUC": 0.7}), []),
        (_row(), ["give the estimate, or tick “Not reported”"]),
        (_row(not_reported=True, estimate=1.0), ["ticked “Not reported” and also gave figures"]),
        (_row(estimate=0.1, lower=0.2, upper=0.3), ["lower end (0.2) is above the estimate"]),
        (_row(estimate=0.4, lower=0.2, upper=0.3), ["upper end (0.3) is below the estimate"]),
        (_row(estimate=0.1, lower=0.3, upper=0.2), ["wrong way round"]),
        (_row(estimate=0.1, lower=0.0), ["the interval has no upper end"]),
        (_row(estimate=0.1, upper=0.2), ["the interval has no lower end"]),
        (_row(lower=0.0, upper=0.2), ["an interval needs its estimate"]),
        (_row(estimate=float("nan")), ["finite"]),
        (_row(estimate=1.0, n=0), ["whole number ≥ 1"]),
        (_row(outcome="Bad Key", pre_registered=False, estimate=1.0), ["short key"]),
    ],
)
def test_row_problems_say_how_to_fix_them(row: ResultRow, expected: list[str]) -> None:
    problems = row_problems(row)
    assert len(problems) == len(expected), problems
    for problem, fragment in zip(problems, expected, strict=True):
        assert problem.startswith(f"{row.label}: ")
        assert fragment in problem


def test_every_problem_of_every_row_is_listed_at_once() -> None:
    rows = [
        _row(estimate=0.1, lower=0.2, upper=0.3),
        _row(outcome="proceedings", label="Proceedings issued", estimate=0.1, lower=0.0),
        _row(outcome="care-entry", label="Additional outcome 1", pre_registered=False, estimate=1),
        _row(outcome="", label="Additional outcome 2", pre_registered=False),  # blank: ignored
    ]
    problems = rows_problems(rows, REGISTERED)
    assert [p.split(":")[0] for p in problems] == [
        "Entry to care",
        "Proceedings issued",
        "Additional outcome 1",
    ]
    assert "is a pre-registered outcome" in problems[2]
    assert "missing: proceedings" in rows_problems(rows[:1], REGISTERED)[-1]


def test_rows_become_the_same_items_as_a_bundle() -> None:
    rows = [
        _row(statistic="risk difference", estimate=-0.06, lower=-0.1, upper=-0.02, n=620),
        _row(outcome="proceedings", label="Proceedings", not_reported=True),
        _row(outcome="extra", label="Additional outcome 1", pre_registered=False, estimate=2.0),
        _row(outcome="", label="Additional outcome 2", pre_registered=False),
    ]
    assert rows_results(rows) == [
        {
            "outcome": "care-entry",
            "statistic": "risk difference",
            "estimate": -0.06,
            "lower": -0.1,
            "upper": -0.02,
            "n": 620,
        },
        {"outcome": "extra", "estimate": 2.0},
    ]


# --- the service -------------------------------------------------------------------------


def _rows(**changes: Any) -> list[ResultRow]:
    first = {
        "statistic": "risk difference",
        "estimate": -0.06,
        "lower": -0.1,
        "upper": -0.02,
    } | changes
    return [
        _row(**first),
        _row(
            outcome="proceedings",
            label="Proceedings issued",
            estimate=-0.02,
            lower=-0.05,
            upper=0.01,
        ),
    ]


@pytest.mark.django_db
def test_entered_results_give_the_same_verdict_as_the_imported_bundle() -> None:
    author = researcher()
    typed = registered_project(author=author)
    imported = registered_project(author=author)
    entered = results_enter(
        actor=author,
        project=typed,
        protocol_version=typed.versions.get(),
        summary="What we found.",
        rows=_rows(),
    )
    from_json = results_import_bundle(actor=author, project=imported, bundle=bundle())
    assert entered.results == from_json.results
    assert report_assessment(entered) == report_assessment(from_json)
    published = results_publish(actor=editor(), report=entered)
    assert published.overall_verdict == "met"
    actions = AuditEntry.objects.filter(object_id=str(entered.pk)).values_list("action", flat=True)
    assert {"registry.results_created", "registry.results_entered"} <= set(actions)


@pytest.mark.django_db
def test_not_reported_and_unregistered_outcomes_are_flagged() -> None:
    author = researcher()
    project = registered_project(author=author)
    rows = [
        _row(statistic="risk difference", estimate=-0.06, lower=-0.1, upper=-0.02),
        _row(outcome="proceedings", label="Proceedings issued", not_reported=True),
        _row(
            outcome="time-to-plan", label="Additional outcome 1", pre_registered=False, estimate=3
        ),
    ]
    report = results_enter(
        actor=author,
        project=project,
        protocol_version=project.versions.get(),
        summary="",
        rows=rows,
    )
    assessment = report_assessment(report)
    assert assessment.unreported == ("proceedings",)
    assert assessment.unregistered == ("time-to-plan",)


@pytest.mark.django_db
def test_nothing_is_half_saved() -> None:
    author = researcher()
    project = project_with_results(author=author, publish_results=False)
    before = ResultsReport.objects.get(project=project).results
    with pytest.raises(RegistryError) as caught:
        results_enter(
            actor=author,
            project=project,
            protocol_version=project.versions.get(),
            summary="Changed",
            rows=[_rows(lower=0.5)[0], _row(outcome="proceedings", label="Proceedings issued")],
        )
    assert len(caught.value.messages) == 2
    report = ResultsReport.objects.get(project=project)
    assert report.results == before and report.summary == "What we found."


@pytest.mark.django_db
def test_only_the_team_enters_results() -> None:
    project = registered_project()
    with pytest.raises(PermissionDeniedError):
        results_enter(
            actor=researcher(),
            project=project,
            protocol_version=project.versions.get(),
            summary="",
            rows=_rows(),
        )


# --- the page ----------------------------------------------------------------------------


def _post(**rows: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"version": "1", "extra_count": "1", "summary": "Typed in."}
    for prefix, values in rows.items():
        for name, value in values.items():
            data[f"{prefix}-{name}"] = value
    return data


GOOD = {
    "row0": {
        "statistic": "risk difference",
        "estimate": "-0.06",
        "lower": "-0.1",
        "upper": "-0.02",
    },
    "row1": {"estimate": "-0.02", "lower": "-0.05", "upper": "0.01", "n": "610"},
}


@pytest.mark.django_db
def test_the_page_saves_a_draft_and_shows_it(client: Any) -> None:
    author = researcher()
    project = registered_project(author=author)
    client.force_login(author)
    url = reverse("registry:results_enter", kwargs={"reference": project.reference})
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["rows"][0][0].initial["statistic"] == "risk difference"
    response = client.post(url, _post(**GOOD, extra0={"outcome": "time-to-plan", "estimate": "3"}))
    report = ResultsReport.objects.get(project=project)
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    assert [r["outcome"] for r in report.results] == ["care-entry", "proceedings", "time-to-plan"]
    assert report.results[1]["n"] == 610
    shown = client.get(report.get_absolute_url()).content.decode()
    assert "Not pre-registered" in shown and "n = 610" in shown
    again = client.get(url)
    assert again.context["extras"][0].initial["outcome"] == "time-to-plan"
    assert len(again.context["extras"]) == 2


@pytest.mark.django_db
def test_the_page_lists_every_problem_at_once(client: Any) -> None:
    author = researcher()
    project = registered_project(author=author)
    client.force_login(author)
    url = reverse("registry:results_enter", kwargs={"reference": project.reference})
    response = client.post(
        url,
        _post(
            row0={"estimate": "0.1", "lower": "0.2", "upper": "0.3"},
            row1={"estimate": "abc", "lower": "1"},
            extra0={"estimate": "2"},
        ),
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Nothing has been saved" in text
    messages = [m for _anchor, m in response.context["problems"]]
    assert any("lower end (0.2) is above the estimate" in m for m in messages)
    assert any(m.startswith("Proceedings issued: enter a number") for m in messages)
    assert any("Additional outcome 1: give the outcome a short key" in m for m in messages)
    assert not ResultsReport.objects.filter(project=project).exists()


@pytest.mark.django_db
def test_the_page_shows_the_services_refusal_in_its_summary(client: Any) -> None:
    author = researcher()
    project = registered_project(author=author)
    client.force_login(author)
    url = reverse("registry:results_enter", kwargs={"reference": project.reference})
    # Each row is right on its own; only the service sees the rows together.
    response = client.post(url, _post(**GOOD, extra0={"outcome": "care-entry", "estimate": "3"}))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Nothing has been saved" in text
    assert "is a pre-registered outcome. Enter its result in its own row above" in text
    assert not ResultsReport.objects.filter(project=project).exists()


@pytest.mark.django_db
def test_published_results_are_closed_on_the_page(client: Any) -> None:
    author = researcher()
    project = project_with_results(author=author)
    client.force_login(author)
    url = reverse("registry:results_enter", kwargs={"reference": project.reference})
    assert "issue a correction" in client.get(url).content.decode()
    response = client.post(url, _post(**GOOD))
    assert response.status_code == 200
    assert ResultsReport.objects.filter(project=project).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", [None, Role.RESEARCHER, Role.EDITOR, Role.LA_ANALYST])
def test_outsiders_may_not_enter_results(client: Any, role: Role | None) -> None:
    project = registered_project()
    client.force_login(user_with_role(role))
    url = reverse("registry:results_enter", kwargs={"reference": project.reference})
    assert client.get(url).status_code == 403
    assert client.post(url, _post(**GOOD)).status_code == 403
