"""The trial analysis plan as data in the protocol (issue #18): registered, hashed, diffed;
protocols without one keep their content and hashes; the team's plan and power pages."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.registry.factories import CONTENT, content, draft_project, researcher
from whatworks.core.models import AuditEntry
from whatworks.registry.analysis_plan import TrialAnalysisPlan, trial_spec
from whatworks.registry.diffs import diff_content
from whatworks.registry.errors import RegistryError
from whatworks.registry.protocol import ProtocolContentError, content_sha256, parse_content
from whatworks.registry.services.analysis_plan import protocol_draft_set_trial_analysis
from whatworks.registry.services.protocols import protocol_draft_save, protocol_register


def planned(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "outcome": "care-entry",
        "variable": "entered_care",
        "type": "binary",
        "arm_variable": "arm",
        "treatment": "fgc",
        "control": "usual",
        "covariates": ["prior_referrals"],
        "cluster_variable": None,
        "block_variable": None,
        "se_type": "HC2",
        "alpha": 0.05,
        "sidedness": "two-sided",
        "effect_size": "risk_difference",
    }
    row.update(changes)
    return row


def plan(*rows: dict[str, Any], design: str = "individual") -> dict[str, Any]:
    return {"design": design, "estimand": "itt", "outcomes": list(rows) or [planned()]}


def test_protocols_without_a_plan_keep_their_content_and_hash() -> None:
    parsed = parse_content(content())
    assert "trial_analysis" not in parsed.as_json()
    assert content_sha256(parsed.as_json()) == content_sha256(CONTENT)


def test_the_plan_is_part_of_the_hash() -> None:
    with_plan = parse_content(content(trial_analysis=plan())).as_json()
    assert with_plan["trial_analysis"]["outcomes"][0]["variable"] == "entered_care"
    changed = copy.deepcopy(with_plan)
    changed["trial_analysis"]["outcomes"][0]["covariates"] = []
    assert content_sha256(with_plan) != content_sha256(parse_content(changed).as_json())


def test_the_plan_must_analyse_outcomes_of_the_protocol() -> None:
    with pytest.raises(ProtocolContentError, match="“wellbeing”, which is not an outcome"):
        parse_content(content(trial_analysis=plan(planned(outcome="wellbeing"))))


@pytest.mark.parametrize(
    ("changes", "design", "message"),
    [
        ({"se_type": "CR2"}, "individual", "this one needs HC2"),
        ({"cluster_variable": "team", "se_type": "CR2"}, "individual", "not cluster randomised"),
        ({}, "cluster", "needs its cluster column"),
        ({}, "blocked", "needs its block column"),
        ({"effect_size": "hedges_g"}, "individual", "binary (yes or no) outcome reports"),
        ({"treatment": "usual"}, "individual", "treatment and control values must differ"),
        ({"covariates": ["arm"]}, "individual", "columns must differ"),
    ],
)
def test_an_inconsistent_plan_is_refused(
    changes: dict[str, Any], design: str, message: str
) -> None:
    with pytest.raises(ProtocolContentError) as caught:
        parse_content(content(trial_analysis=plan(planned(**changes), design=design)))
    assert any(message in m for m in caught.value.messages), caught.value.messages


def test_a_planned_outcome_becomes_the_engine_spec() -> None:
    parsed = TrialAnalysisPlan.model_validate(
        plan(planned(cluster_variable="team", se_type="CR2", sidedness="less"), design="cluster")
    )
    spec = trial_spec(parsed.outcomes[0])
    assert (spec.arm, spec.treatment, spec.control, spec.outcome) == (
        "arm",
        "fgc",
        "usual",
        "entered_care",
    )
    assert spec.covariates == ("prior_referrals",) and spec.cluster == "team"
    assert spec.alternative == "less" and spec.level == pytest.approx(0.90)
    assert spec.outcome_type == "binary"


def test_a_changed_plan_shows_in_the_diff_by_outcome() -> None:
    before = parse_content(content(trial_analysis=plan())).as_json()
    after = parse_content(
        content(trial_analysis=plan(planned(covariates=["prior_referrals", "age"])))
    ).as_json()
    rows = [row for row in diff_content(before, after) if row.section == "trial_analysis"]
    assert len(rows) == 1
    assert rows[0].label == "Trial analysis of “care-entry”"
    assert rows[0].change == "changed" and rows[0].highlighted
    assert "covariates prior_referrals, age" in rows[0].after


@pytest.mark.django_db
def test_the_service_sets_keeps_and_removes_the_plan() -> None:
    author = researcher()
    project = draft_project(author=author)
    protocol_draft_set_trial_analysis(actor=author, project=project, plan=plan())
    project.refresh_from_db()
    assert project.draft_content["trial_analysis"]["design"] == "individual"
    assert AuditEntry.objects.filter(action="registry.protocol_trial_analysis_set").exists()
    # The draft form does not carry the plan: saving it keeps the plan.
    protocol_draft_save(actor=author, project=project, content=content(sample_size="700."))
    project.refresh_from_db()
    assert project.draft_content["trial_analysis"]["outcomes"][0]["outcome"] == "care-entry"
    version = protocol_register(actor=author, project=project)
    assert version.content["trial_analysis"] == project.draft_content["trial_analysis"]
    assert version.sha256 == content_sha256(version.content)
    protocol_draft_set_trial_analysis(actor=author, project=project, plan=None)
    project.refresh_from_db()
    assert "trial_analysis" not in project.draft_content


@pytest.mark.django_db
def test_the_service_refuses_another_team_and_a_bad_plan() -> None:
    project = draft_project()
    with pytest.raises(Exception, match="Only the project's team"):
        protocol_draft_set_trial_analysis(actor=researcher(), project=project, plan=plan())
    with pytest.raises(RegistryError):
        protocol_draft_set_trial_analysis(
            actor=project.team.get(), project=project, plan=plan(planned(outcome="nothing"))
        )


@pytest.mark.django_db
def test_the_service_says_every_problem_of_the_rows_and_the_design_and_keeps_nothing() -> None:
    author = researcher()
    project = draft_project(author=author)
    bad = plan(planned(variable="1x"), design="cluster")
    with pytest.raises(RegistryError) as refused:
        protocol_draft_set_trial_analysis(actor=author, project=project, plan=bad)
    # the row's problem as the plan page says it (without the field's path), then the design's
    row_problem, design_problem = refused.value.messages
    assert "pattern" in row_problem and not row_problem.startswith("variable")
    assert design_problem == (
        "The trial analysis plan: “care-entry” needs its cluster column (cluster design)."
    )
    project.refresh_from_db()
    assert "trial_analysis" not in (project.draft_content or {})
    assert not AuditEntry.objects.filter(action="registry.protocol_trial_analysis_set").exists()


@pytest.mark.django_db
def test_a_plan_needs_a_primary_outcome_to_register() -> None:
    author = researcher()
    project = draft_project(author=author)
    protocol_draft_set_trial_analysis(
        actor=author, project=project, plan=plan(planned(outcome="proceedings"))
    )
    with pytest.raises(RegistryError, match="at least one primary outcome"):
        protocol_register(actor=author, project=project)


def _form_data(**changes: str) -> dict[str, str]:
    data = {
        "design": "individual",
        "arm_variable": "arm",
        "treatment": "fgc",
        "control": "usual",
        "cluster_variable": "",
        "block_variable": "",
        "planned-TOTAL_FORMS": "1",
        "planned-INITIAL_FORMS": "0",
        "planned-0-outcome": "care-entry",
        "planned-0-variable": "entered_care",
        "planned-0-type": "binary",
        "planned-0-covariates": "prior_referrals, age",
        "planned-0-alpha": "0.05",
        "planned-0-sidedness": "two-sided",
        "planned-0-effect_size": "risk_difference",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_the_plan_page_saves_the_plan(client: Client) -> None:
    author = researcher()
    project = draft_project(author=author)
    client.force_login(author)
    url = reverse("registry:analysis_plan", kwargs={"reference": project.reference})
    response = client.post(url, _form_data())
    assert response.status_code == 302
    project.refresh_from_db()
    stored = project.draft_content["trial_analysis"]["outcomes"][0]
    assert stored["covariates"] == ["prior_referrals", "age"] and stored["se_type"] == "HC2"
    page = client.get(url).content.decode()
    assert "entered_care" in page


@pytest.mark.django_db
def test_the_plan_page_lists_every_problem(client: Client) -> None:
    author = researcher()
    project = draft_project(author=author)
    client.force_login(author)
    url = reverse("registry:analysis_plan", kwargs={"reference": project.reference})
    response = client.post(
        url,
        _form_data(
            design="cluster", **{"planned-0-effect_size": "hedges_g", "planned-0-variable": "1x"}
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Use the column&#x27;s name" in page or "Use the column's name" in page
    response = client.post(
        url, _form_data(design="cluster", **{"planned-0-effect_size": "hedges_g"})
    )
    page = response.content.decode()
    assert "needs its cluster column" in page and "binary (yes or no) outcome reports" in page
    project.refresh_from_db()
    assert "trial_analysis" not in project.draft_content


@pytest.mark.django_db
def test_the_power_page_answers_each_question(client: Client) -> None:
    author = researcher()
    project = draft_project(author=author)
    client.force_login(author)
    url = reverse("registry:power", kwargs={"reference": project.reference})
    common = {"alpha": "0.05", "sides": "2", "power": "0.8"}
    page = client.get(url, {**common, "question": "n_per_arm", "effect": "0.5"}).content.decode()
    assert "64 participants per arm" in page
    cluster = {"question": "mdes", "clusters": "40", "cluster_size": "25", "icc": "0.2"}
    page = client.get(url, {**common, **cluster}).content.decode()
    assert "Minimum detectable effect 0.438 SD" in page
    page = client.get(url, {"question": "mdes", "alpha": "0.05", "sides": "2"}).content.decode()
    assert "Error:" in page and "this question needs it" in page


def test_a_plan_registered_for_the_first_time_is_not_flagged() -> None:
    before = parse_content(content()).as_json()
    after = parse_content(content(trial_analysis=plan())).as_json()
    rows = [row for row in diff_content(before, after) if row.section == "trial_analysis"]
    assert [row.change for row in rows] == ["added", "added"]
    assert not any(row.highlighted for row in rows)


@pytest.mark.django_db
def test_a_criterion_must_judge_what_the_plan_reports() -> None:
    author = researcher()
    project = draft_project(author=author)
    protocol_draft_set_trial_analysis(
        actor=author, project=project, plan=plan(planned(effect_size="odds_ratio"))
    )
    project.refresh_from_db()
    # The factory's criterion judges the risk difference, which a binary analysis also
    # reports; a risk ratio it never reports.
    protocol_draft_save(
        actor=author,
        project=project,
        content=content(
            success_criteria={
                "combine": "all",
                "criteria": [
                    {"outcome": "care-entry", "statistic": "risk ratio",
                     "comparison": "<=", "threshold": 1.0}
                ],
            }
        ),
    )  # fmt: skip
    with pytest.raises(RegistryError) as caught:
        protocol_register(actor=author, project=project)
    assert any("judges “risk ratio”" in m and "“odds ratio”" in m for m in caught.value.messages)
