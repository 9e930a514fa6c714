"""Results beyond the per-outcome estimates: CONSORT flow per arm, the baseline table,
harms and a plain-language summary, with the numbers checked to add up."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.registry.factories import editor, project_with_results
from whatworks.core.models import AuditEntry
from whatworks.registry.errors import RegistryError
from whatworks.registry.flow import ALL_PARTICIPANTS, report_arms
from whatworks.registry.models import ResultsReport, StudyType
from whatworks.registry.selectors import draft_results
from whatworks.registry.services.flow import results_set_flow
from whatworks.registry.services.results import results_correct, results_publish

pytestmark = pytest.mark.django_db

FGC, USUAL = "Family group conference", "Usual practice"
FLOW = [
    {"arm": FGC, "randomised": 310, "received": 290, "lost": 12, "analysed": 310},
    {"arm": USUAL, "randomised": 310, "received": 310, "lost": 9, "analysed": 310},
]
BASELINE = [{"characteristic": "Age in years, mean (SD)", "values": ["7.2 (4.1)", "7.0 (4.3)"]}]


def _draft() -> Any:
    return project_with_results(publish_results=False)


def _draft_report(project: Any) -> ResultsReport:
    report = draft_results(project)
    assert report is not None
    return report


def _set(project: Any, **changes: Any) -> Any:
    kwargs: dict[str, Any] = {
        "flow": FLOW,
        "baseline": BASELINE,
        "harms": "No serious harms were reported in either arm.",
        "plain_summary": "Family meetings did not change how many children went into care.",
    }
    kwargs.update(changes)
    return results_set_flow(actor=project.team.get(), project=project, **kwargs)


def test_the_flow_is_kept_with_the_draft_and_published_with_it(client: Any) -> None:
    project = _draft()
    report = _set(project)
    assert report.flow[0] == {**FLOW[0]} and report.baseline == BASELINE
    assert AuditEntry.objects.filter(action="registry.results_flow_set").exists()
    results_publish(actor=editor(), report=report)
    page = client.get(report.get_absolute_url()).content.decode()
    for text in ("Participant flow", "290", "7.2 (4.1)", "No serious harms", "In plain words"):
        assert text in page
    data = client.get(report.json_url()).json()
    assert data["participant_flow"][1]["lost"] == 9
    assert data["plain_summary"].startswith("Family meetings")


def test_numbers_that_do_not_add_up_are_refused_all_at_once() -> None:
    project = _draft()
    bad = [
        {"arm": FGC, "randomised": 300, "received": 301, "lost": 400, "analysed": 300},
        {"arm": "Nobody's arm", "randomised": 3},
    ]
    with pytest.raises(RegistryError) as caught:
        _set(project, flow=bad, baseline=[{"characteristic": "Age", "values": ["7"]}])
    text = " ".join(caught.value.messages)
    assert "received the allocated intervention (301) is more than the 300 randomised" in text
    assert "lost to follow-up (400) is more than the 300 randomised" in text
    assert "arms the protocol does not: Nobody's arm" in text
    assert "give one value for each of the 2 arms" in text
    assert _draft_report(project).flow == []  # nothing stored


def test_an_outcome_cannot_rest_on_more_than_were_randomised() -> None:
    project = _draft()
    report = _draft_report(project)
    report.results[0]["n"] = 700
    report.save()
    small = [{"arm": FGC, "randomised": 300}, {"arm": USUAL, "randomised": 300}]
    with pytest.raises(RegistryError, match="n = 700, more than the 600 randomised"):
        _set(project, flow=small)


def test_a_design_without_arms_has_one_row() -> None:
    from tests.registry.factories import CONTENT

    data = {k: v for k, v in CONTENT.items() if k != "study_design"}
    project = project_with_results(publish_results=False, data=data, study_type=StudyType.PILOT)
    assert report_arms(_draft_report(project)) == [ALL_PARTICIPANTS]
    _set(project, flow=[{"arm": ALL_PARTICIPANTS, "randomised": 80}], baseline=[])


def test_published_results_change_only_through_a_correction() -> None:
    project = project_with_results()
    with pytest.raises(RegistryError, match="no draft results"):
        _set(project)
    correction = results_correct(
        actor=project.team.get(), report=project.results_reports.get(), justification="Flow."
    )
    assert correction.flow == []
    _set(project)


def test_a_correction_starts_from_the_published_flow() -> None:
    project = _draft()
    report = _set(project)
    results_publish(actor=editor(), report=report)
    correction = results_correct(actor=project.team.get(), report=report, justification="Typo.")
    assert correction.flow == report.flow and correction.harms == report.harms


def test_the_page_names_each_problem_and_saves(client: Any) -> None:
    project = _draft()
    client.force_login(project.team.get())
    url = reverse("registry:results_flow", args=[project.reference])
    page = client.get(url).content.decode()
    assert FGC in page and USUAL in page
    post = {
        "baseline_count": "2",
        "flow0-randomised": "310",
        "flow0-analysed": "320",
        "flow1-lost": "4",
        "baseline0-arm0": "7.2",
        "harms": "None seen.",
    }
    page = client.post(url, post).content.decode()
    summary = page.split("error-summary__list")[1].split("</ul>")[0]
    assert "Usual practice, randomised (or enrolled): Give the number randomised" in summary
    assert "Row 1, characteristic: Name the characteristic" in summary
    post.update({"flow1-randomised": "310", "baseline0-characteristic": "Age"})
    page = client.post(url, post).content.decode()
    assert "analysed (320) is more than the 310 randomised" in page
    post["flow0-analysed"] = "300"
    assert client.post(url, post).status_code == 302
    report = _draft_report(project)
    assert report.flow[1] == {
        "arm": USUAL,
        "randomised": 310,
        "received": None,
        "lost": 4,
        "analysed": None,
    }
    assert report.baseline == [{"characteristic": "Age", "values": ["7.2", ""]}]
