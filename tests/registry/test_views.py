"""The registry's pages end to end through the test client."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import user_with_role
from tests.registry.factories import (
    bundle,
    content,
    design_post,
    draft_project,
    project_with_results,
    registered_project,
    researcher,
)
from whatworks.core.roles import Role
from whatworks.registry.models import Project, ProtocolVersion
from whatworks.registry.services.projects import project_create

pytestmark = pytest.mark.django_db


def _protocol_post(data: dict[str, Any]) -> dict[str, Any]:
    post: dict[str, Any] = {
        k: v
        for k, v in data.items()
        if k not in ("outcomes", "success_criteria", "research_questions", "study_design")
    }
    post.update(design_post(data.get("study_design") or {}))
    post["research_questions"] = "\n".join(data["research_questions"])
    post["combine"] = data["success_criteria"]["combine"]
    for prefix, rows in (
        ("outcomes", data["outcomes"]),
        ("criteria", data["success_criteria"]["criteria"]),
    ):
        post[f"{prefix}-TOTAL_FORMS"] = len(rows) + 1
        post[f"{prefix}-INITIAL_FORMS"] = len(rows)
        post[f"{prefix}-MIN_NUM_FORMS"] = 0
        post[f"{prefix}-MAX_NUM_FORMS"] = 1000
        for i, row in enumerate(rows):
            for key, value in row.items():
                post[f"{prefix}-{i}-{key}"] = value
    return post


def test_a_researcher_creates_drafts_registers_and_amends(client: Client) -> None:
    author = researcher()
    client.force_login(author)
    response = client.post(
        reverse("registry:project_create"),
        {
            "title": "A trial",
            "summary": "Short.",
            "study_type": "randomised-trial",
            "topic": "child-protection",
            "links": "Call | /calls/",
            "data_collection_ends": "2027-03-31",
        },
    )
    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:protocol_edit", args=[project.reference])
    assert str(project.results_due) == "2028-03-31"
    assert project.links == [{"label": "Call", "url": "/calls/"}]

    edit = reverse("registry:protocol_edit", args=[project.reference])
    response = client.post(edit, _protocol_post(content()))
    assert response.status_code == 302, response.content.decode()[:3000]
    register = reverse("registry:protocol_register", args=[project.reference])
    assert client.get(register).status_code == 200
    response = client.post(register, {})
    assert response.status_code == 302, response.content.decode()[:4000]
    version = ProtocolVersion.objects.get()
    assert response["Location"] == version.get_absolute_url()
    # The identifier came with the registration; the draft's handle is gone.
    draft_handle = project.reference
    project.refresh_from_db()
    assert project.reference.startswith("WWC-") and draft_handle.startswith("DRAFT-")
    assert client.get(reverse("registry:project", args=[draft_handle])).status_code == 404
    edit = reverse("registry:protocol_edit", args=[project.reference])
    register = reverse("registry:protocol_register", args=[project.reference])

    changed = content()
    changed["outcomes"][0]["time_point"] = "18 months"
    client.post(edit, _protocol_post(changed))
    page = client.get(register).content.decode()
    assert "Outcome or criterion changed" in page
    response = client.post(register, {"justification": ""})
    assert "Say why the protocol is being amended." in response.content.decode()
    response = client.post(register, {"justification": "Longer follow-up."})
    assert response.status_code == 302, response.content.decode()
    assert ProtocolVersion.objects.count() == 2


def test_the_protocol_form_shows_every_error_in_the_summary(client: Client) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    bad = content()
    bad["outcomes"][0]["key"] = "Not a slug!"
    bad["success_criteria"]["criteria"][0]["threshold"] = "lots"
    response = client.post(
        reverse("registry:protocol_edit", args=[project.reference]), _protocol_post(bad)
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert 'href="#id_outcomes-0-key"' in page and 'href="#id_criteria-0-threshold"' in page


def test_a_criterion_naming_no_outcome_is_refused_by_the_service(client: Client) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    bad = content()
    bad["success_criteria"]["criteria"][0]["outcome"] = "missing"
    response = client.post(
        reverse("registry:protocol_edit", args=[project.reference]), _protocol_post(bad)
    )
    assert "names no outcome" in response.content.decode()


def test_an_editor_publishes_and_withdraws(client: Client) -> None:
    project = registered_project(published=False)
    client.force_login(user_with_role(Role.EDITOR))
    client.post(reverse("registry:project_publish", args=[project.reference]))
    project.refresh_from_db()
    assert project.published_at is not None
    url = reverse("registry:project_withdraw", args=[project.reference])
    response = client.post(url, {"reason": ""})
    assert "There is a problem" in response.content.decode()
    client.post(url, {"reason": "The partner left."})
    client.logout()
    page = client.get(project.get_absolute_url()).content.decode()
    assert "Withdrawn on" in page and "The partner left." in page


def test_version_json_lets_anyone_check_the_hash(client: Client) -> None:
    project = registered_project(data=content(title="Ünïcode — “quoted”"))
    data = client.get(reverse("registry:version_json", args=[project.reference, 1])).json()
    assert set(data) >= {"id", "version", "registered_at", "content", "sha256"}
    assert (data["id"], data["version"]) == (project.reference, 1)
    canonical = json.dumps(
        data["content"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == data["sha256"]


def test_register_json_links_versions_and_results(client: Client) -> None:
    project = project_with_results(amended=True)
    registered_project(published=False)  # never listed
    data = client.get(reverse("registry:register_json")).json()
    assert [p["id"] for p in data["projects"]] == [project.reference]
    row = data["projects"][0]
    assert [v["version"] for v in row["versions"]] == [1, 2]
    assert row["versions"][1]["url"].endswith(f"/research/{project.reference}/v2.json")
    assert row["verdict"] == "inconclusive"  # v2 tightened the threshold to -0.05
    results = client.get(row["results"]).json()
    assert results["overall_verdict"] == "inconclusive"
    assert results["protocol_version"] == 2


def test_the_register_csv_is_safe_against_formulas(client: Client) -> None:
    registered_project(data=content(title='=HYPERLINK("http://evil")'))
    response = client.get(reverse("registry:register_csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "id"
    assert rows[1][1].startswith("'=")


def test_the_results_page_flags_outcome_switching(client: Client) -> None:
    project = registered_project()
    switched = bundle()
    switched["results"] = [
        switched["results"][0],
        {"outcome": "satisfaction", "estimate": 0.3, "lower": 0.1, "upper": 0.5},
    ]
    author = project.team.get()
    client.force_login(author)
    client.post(
        reverse("registry:results_import", args=[project.reference]),
        {"bundle": json.dumps(switched)},
    )
    page = client.get(reverse("registry:results", args=[project.reference])).content.decode()
    assert "left unreported" in page and "proceedings" in page
    assert "reported but not pre-registered" in page and "satisfaction" in page


def test_a_bad_bundle_lists_every_problem(client: Client) -> None:
    project = registered_project()
    client.force_login(project.team.get())
    url = reverse("registry:results_import", args=[project.reference])
    assert "not valid JSON" in client.post(url, {"bundle": "{nope"}).content.decode()
    bad = bundle(protocol_version=0)
    bad["results"][0]["upper"] = None
    page = client.post(url, {"bundle": json.dumps(bad)}).content.decode()
    assert page.count("<li>") >= 2 and "protocol_version" in page


def test_the_diff_page_between_any_two_versions(client: Client) -> None:
    project = registered_project(amended=True)
    url = reverse("registry:diff", args=[project.reference])
    page = client.get(url).content.decode()
    assert "What changed from v1 to v2" in page and "Slow recruitment." in page
    assert "change" in page and "<ins>" in page
    assert client.get(url + "?from=2&to=1").status_code == 200
    assert client.get(url + "?from=1&to=9").status_code == 404
    assert client.get(url + "?from=x").status_code == 404


def test_register_page_reports_unknown_filters(client: Client) -> None:
    page = client.get(reverse("registry:index") + "?status=nonsense").content.decode()
    assert "There is a problem" in page


def test_a_researcher_outside_the_team_may_not_edit(client: Client) -> None:
    project = registered_project()
    client.force_login(researcher())
    assert client.get(reverse("registry:project_edit", args=[project.reference])).status_code == 403
    hidden = project_create(
        actor=researcher(), title="Hidden", summary="s", study_type="pilot", topic="data"
    )
    assert client.get(reverse("registry:project_edit", args=[hidden.reference])).status_code == 404
