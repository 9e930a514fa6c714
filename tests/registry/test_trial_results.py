"""Results from a trial bundle (issue #18): the registered plan run where the data live, the
bundle checked against the registered version, the verdict from the registered criteria."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import polars as pl
import pytest
from django.test import Client

from tests.registry.factories import content, draft_project, editor, researcher
from tests.registry.test_analysis_plan import plan, planned
from whatworks.core.models import AuditEntry
from whatworks.registry.errors import RegistryError
from whatworks.registry.services.analysis_plan import protocol_draft_set_trial_analysis
from whatworks.registry.services.projects import project_publish
from whatworks.registry.services.protocols import protocol_register
from whatworks.registry.services.results import results_publish
from whatworks.registry.services.trial_results import results_import_trial_bundle
from whatworks_analytics.trials.bundle import run_plan

pytestmark = pytest.mark.django_db


def trial_data(*, effect: float = -0.15, n: int = 600, seed: int = 4) -> pl.DataFrame:
    """Synthetic family group conference trial: entry to care, lower with a conference."""
    rng = np.random.default_rng(seed)
    arm = rng.permutation(np.repeat(["fgc", "usual"], n // 2))
    prior = rng.poisson(2.0, n)
    risk = 0.35 + 0.03 * (prior - 2) + np.where(arm == "fgc", effect, 0.0)
    entered = (rng.random(n) < np.clip(risk, 0.01, 0.99)).astype(int)
    return pl.DataFrame(
        {"child": [f"C{i:04d}" for i in range(n)], "arm": arm, "prior_referrals": prior,
         "entered_care": entered}
    )  # fmt: skip


def registered(author: Any) -> Any:
    project = draft_project(author=author)
    protocol_draft_set_trial_analysis(actor=author, project=project, plan=plan())
    protocol_register(actor=author, project=project)
    project.refresh_from_db()
    return project


def bundle_for(project: Any, frame: pl.DataFrame | None = None) -> dict[str, Any]:
    version = project.versions.get(number=1)
    return run_plan(
        version.content["trial_analysis"],
        trial_data() if frame is None else frame,
        project=project.reference,
        protocol_version=1,
        version_sha256=version.sha256,
    )


def test_a_checked_bundle_fills_the_results_and_the_verdict_follows() -> None:
    author = researcher()
    project = registered(author)
    bundle = bundle_for(project)
    report = results_import_trial_bundle(actor=author, project=project, bundle=bundle)
    (row,) = report.results
    assert row["outcome"] == "care-entry" and row["statistic"] == "risk difference"
    assert bundle["data"]["fingerprint"] in row["note"]
    assert bundle["plan_sha256"] in report.summary
    entry = AuditEntry.objects.get(action="registry.results_trial_bundle_imported")
    assert entry.changes["plan_sha256"] == bundle["plan_sha256"]
    project_publish(actor=editor(), project=project)
    published = results_publish(actor=editor(), report=report)
    # The criterion: risk difference <= 0; the interval lies below 0 with this effect.
    assert row["upper"] < 0
    assert published.overall_verdict == "met"


def test_a_bundle_of_another_plan_is_refused() -> None:
    author = researcher()
    project = registered(author)
    other = copy.deepcopy(project.versions.get(number=1).content["trial_analysis"])
    other["outcomes"][0]["covariates"] = []
    bundle = run_plan(other, trial_data(), project=project.reference, protocol_version=1)
    with pytest.raises(RegistryError) as caught:
        results_import_trial_bundle(actor=author, project=project, bundle=bundle)
    assert any("not the plan registered in version 1" in m for m in caught.value.messages)
    assert not project.results_reports.exists()


def test_a_tampered_bundle_lists_every_problem() -> None:
    author = researcher()
    project = registered(author)
    bundle = bundle_for(project)
    bundle["outcomes"][0]["result"]["estimate"] = -0.5
    bundle["protocol_version"] = 7
    with pytest.raises(RegistryError) as caught:
        results_import_trial_bundle(actor=author, project=project, bundle=bundle)
    messages = caught.value.messages
    assert any("t is not the estimate" in m for m in messages)
    assert any("no registered version 7" in m for m in messages)


def test_only_the_team_imports() -> None:
    project = registered(researcher())
    with pytest.raises(Exception, match="Only the project's team"):
        results_import_trial_bundle(actor=researcher(), project=project, bundle=bundle_for(project))


def test_the_import_page_takes_a_trial_bundle(client: Client) -> None:
    import json

    from django.urls import reverse

    author = researcher()
    project = registered(author)
    client.force_login(author)
    url = reverse("registry:results_import", kwargs={"reference": project.reference})
    response = client.post(url, {"bundle": json.dumps(bundle_for(project))})
    assert response.status_code == 302
    assert project.results_reports.get().results[0]["statistic"] == "risk difference"


def test_planned_outcome_helpers_are_shared() -> None:
    # The plan used here analyses the protocol's primary outcome.
    assert plan()["outcomes"][0] == planned()
    assert content()["outcomes"][0]["key"] == "care-entry"
