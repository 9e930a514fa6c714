"""The hand-over of a study's change between waves to the registry's results report, end to end."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.panel.factories import make_invitation, make_member, researcher
from tests.registry import factories as registry_factories
from whatworks.core.models import AuditEntry
from whatworks.panel import study_results
from whatworks.panel.errors import PanelError
from whatworks.panel.models import Question, Study
from whatworks.panel.registry_handover import study_bundle
from whatworks.panel.services.answering import response_save
from whatworks.panel.services.handover import study_link_project, study_results_send
from whatworks.panel.services.polls import (
    poll_create,
    poll_open,
    question_add,
    scale_create,
    study_create,
)
from whatworks.panel.services.schedule import poll_close
from whatworks.registry.models import ResultsReport
from whatworks.registry.selectors import report_assessment
from whatworks.registry.verdicts import Verdict, parse_bundle

pytestmark = pytest.mark.django_db

WELLBEING = {
    "key": "wellbeing",
    "name": "Wellbeing",
    "kind": "primary",
    "measure": "Wellbeing scale score",
    "time_point": "After six months of Rounds",
    "analysis": "Mean paired change, 95% paired t interval",
}


def rounds_project(author: Any, *, threshold: float = 0.0) -> Any:
    data = registry_factories.content(
        title="Schwartz Rounds and wellbeing",
        outcomes=[WELLBEING, registry_factories.CONTENT["outcomes"][1]],
        success_criteria={
            "combine": "all",
            "criteria": [
                {
                    "outcome": "wellbeing",
                    "statistic": "mean change",
                    "comparison": ">=",
                    "threshold": threshold,
                }
            ],
        },
    )
    return registry_factories.registered_project(author=author, data=data)


def two_wave_study(slug: str = "rounds") -> Study:
    """Two waves of one scale; 12 people at each of two sites answer both."""
    study = study_create(actor=None, name="Rounds", slug=slug)
    scale = scale_create(
        actor=None,
        name="Wellbeing",
        slug=f"{slug}-wb",
        options=["Low", "Mid", "High"],
        items=[("Calm", False)],
    )
    waves = []
    for wave in (1, 2):
        poll = poll_create(
            actor=None,
            title=f"Wave {wave}",
            slug=f"{slug}-w{wave}",
            study=study,
            wave=wave,
            kind="survey",
        )
        question_add(actor=None, poll=poll, kind=Question.Kind.MATRIX, text="Feel", scale=scale)
        poll_open(actor=None, poll=poll)
        waves.append(poll)
    for site in ("Northmoor", "Southvale"):
        for i in range(12):
            member = make_member(site=site)
            before = "Low" if i % 3 else "Mid"
            after = "High" if i % 4 else "Mid"
            for poll, value in zip(waves, (before, after), strict=True):
                invitation, _ = make_invitation(poll=poll, member=member)
                q = poll.questions.get()
                response_save(
                    actor=None, invitation=invitation, answers={q.pk: {"Calm": value}}, submit=True
                )
    for poll in waves:
        poll_close(actor=None, poll=poll)
    study.refresh_from_db()
    return study


def test_a_researcher_on_the_team_sends_the_change_and_the_verdict_follows(client: Client) -> None:
    author = researcher()
    project = rounds_project(author)
    study = two_wave_study()
    client.force_login(author)

    page = reverse("panel:study_detail", kwargs={"slug": study.slug})
    response = client.post(
        reverse("panel:study_link", kwargs={"slug": study.slug}),
        {"reference": project.reference.lower()},
    )
    assert response.status_code == 302
    study.refresh_from_db()
    assert study.registry_project == project
    assert b"Send to the results report" in client.get(page).content

    response = client.post(
        reverse("panel:study_export", kwargs={"slug": study.slug}),
        {"protocol_version": "1", "outcome": "wellbeing"},
    )
    assert response.status_code == 302

    change = study_results.wave_change(study)
    assert change is not None
    overall = study_results.overall_change(change)
    assert overall is not None and overall.site == "all" and overall.n == 24

    report = ResultsReport.objects.get(project=project)
    assert response["Location"] == report.get_absolute_url()
    assert report.published_at is None and report.protocol_version.number == 1
    [result] = report.results
    assert result["outcome"] == "wellbeing"
    assert result["statistic"] == "mean change"
    assert result["estimate"] == pytest.approx(overall.mean_change)
    assert result["lower"] == pytest.approx(overall.ci_low)
    assert result["upper"] == pytest.approx(overall.ci_high)
    assert result["interval"] == "95% paired t interval"
    assert "Northmoor" in result["note"] and "Southvale" in result["note"]
    assert report.data_collection_ended is not None

    # the registry computes the verdict: the whole interval is above 0, so it is met
    assessment = report_assessment(report)
    assert overall.ci_low > 0
    assert assessment.overall == Verdict.MET
    assert "proceedings" in assessment.unreported

    results_page = client.get(response["Location"])
    assert results_page.status_code == 200
    assert b"mean change" in results_page.content

    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "panel.study_linked",
        "panel.study_results_sent",
        "registry.results_imported",
    } <= actions
    sent = AuditEntry.objects.get(action="panel.study_results_sent")
    assert sent.changes == {
        "project": project.reference,
        "protocol_version": 1,
        "outcome": "wellbeing",
    }


def test_a_threshold_inside_the_interval_is_inconclusive() -> None:
    author = researcher()
    study = two_wave_study()
    change = study_results.wave_change(study)
    assert change is not None
    overall = study_results.overall_change(change)
    assert overall is not None
    project = rounds_project(author, threshold=overall.mean_change)
    study_link_project(actor=author, study=study, reference=project.reference)
    report = study_results_send(actor=author, study=study, protocol_version=1, outcome="wellbeing")
    assert report_assessment(report).overall == Verdict.INCONCLUSIVE


def test_the_bundle_is_in_the_documented_format(client: Client) -> None:
    author = researcher()
    project = rounds_project(author)
    study = two_wave_study()
    study_link_project(actor=author, study=study, reference=project.reference)
    client.force_login(author)
    url = reverse("panel:study_bundle", kwargs={"slug": study.slug})
    response = client.get(url, {"protocol_version": "1", "outcome": "wellbeing"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    parsed = parse_bundle(data)  # the registry's own schema check
    assert parsed.project == project.reference and parsed.protocol_version == 1
    assert data["schema"] == "whatworks.results/1"
    assert client.get(url).status_code == 200  # latest version, first outcome
    assert client.get(url, {"protocol_version": "7", "outcome": "wellbeing"}).status_code == 404
    assert client.get(url, {"protocol_version": "1", "outcome": "nope"}).status_code == 404


def test_other_outcomes_of_a_draft_are_kept() -> None:
    author = researcher()
    project = rounds_project(author)
    from whatworks.registry.services.results import results_import_bundle

    results_import_bundle(
        actor=author,
        project=project,
        bundle={
            "schema": "whatworks.results/1",
            "protocol_version": 1,
            "summary": "Written by the team.",
            "results": [{"outcome": "proceedings", "estimate": 0.1}],
        },
    )
    study = two_wave_study()
    study_link_project(actor=author, study=study, reference=project.reference)
    report = study_results_send(actor=author, study=study, protocol_version=1, outcome="wellbeing")
    assert [r["outcome"] for r in report.results] == ["proceedings", "wellbeing"]
    assert report.summary == "Written by the team."
    # sending again replaces this outcome's result, not the others
    report = study_results_send(actor=author, study=study, protocol_version=1, outcome="wellbeing")
    assert [r["outcome"] for r in report.results] == ["proceedings", "wellbeing"]


def test_only_the_projects_team_links_and_sends(client: Client) -> None:
    author = researcher()
    outsider = researcher()
    project = rounds_project(author)
    study = two_wave_study()
    with pytest.raises(PanelError, match="on whose team"):
        study_link_project(actor=outsider, study=study, reference=project.reference)
    with pytest.raises(PanelError, match="on whose team"):
        study_link_project(actor=outsider, study=study, reference="WWC-1999-0001")
    study_link_project(actor=author, study=study, reference=project.reference)
    with pytest.raises(PanelError, match="linked project's team"):
        study_link_project(actor=outsider, study=study, reference="")

    client.force_login(outsider)
    page = client.get(reverse("panel:study_detail", kwargs={"slug": study.slug}))
    assert "Only the project's team can send it results" in page.content.decode()
    response = client.post(
        reverse("panel:study_export", kwargs={"slug": study.slug}),
        {"protocol_version": "1", "outcome": "wellbeing"},
    )
    assert response.status_code == 404
    bundle_url = reverse("panel:study_bundle", kwargs={"slug": study.slug})
    assert client.get(bundle_url).status_code == 404
    with pytest.raises(PanelError, match="Only the research project"):
        study_results_send(actor=outsider, study=study, protocol_version=1, outcome="wellbeing")
    assert not ResultsReport.objects.filter(project=project).exists()


def test_a_project_that_is_not_public_is_not_named_to_outsiders(client: Client) -> None:
    author = researcher()
    data = registry_factories.content(outcomes=[WELLBEING])
    data["success_criteria"]["criteria"][0]["outcome"] = "wellbeing"
    project = registry_factories.registered_project(author=author, data=data, published=False)
    study = study_create(actor=None, name="Quiet", slug="quiet")
    study_link_project(actor=author, study=study, reference=project.reference)
    page = reverse("panel:study_detail", kwargs={"slug": study.slug})
    client.force_login(researcher())
    text = client.get(page).content.decode()
    assert project.reference not in text and "not public yet" in text
    client.force_login(author)
    assert project.reference in client.get(page).content.decode()


def test_refusals_come_back_as_messages() -> None:
    author = researcher()
    project = rounds_project(author)
    study = two_wave_study()
    with pytest.raises(PanelError, match="Link the study"):
        study_results_send(actor=author, study=study, protocol_version=1, outcome="wellbeing")
    study_link_project(actor=author, study=study, reference=project.reference)
    with pytest.raises(PanelError, match="no registered version 3"):
        study_results_send(actor=author, study=study, protocol_version=3, outcome="wellbeing")
    empty = study_create(actor=None, name="Empty", slug="empty")
    study_link_project(actor=author, study=empty, reference=project.reference)
    with pytest.raises(PanelError, match="Two waves"):
        study_bundle(study=empty, protocol_version=1, outcome="wellbeing")
