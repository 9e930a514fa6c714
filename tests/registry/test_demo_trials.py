"""The demo's trials analysed in the platform by their registered plans (issue #18): the
family group conference trial (individually randomised, a baseline covariate) and the
Schwartz Rounds study (teams as clusters), uploaded, checked, analysed, published, and
filed in the Evidence Store; loaded once."""

from __future__ import annotations

import io

import pytest

from whatworks.core.demo import demo_load_core
from whatworks.evidence import demo as evidence_demo
from whatworks.evidence.models import Study, Synthesis
from whatworks.registry import demo
from whatworks.registry.demo_content import FGC_V1, SCHWARTZ
from whatworks.registry.demo_trials import fgc_trial_data, schwartz_trial_data
from whatworks.registry.models import Project, TrialAnalysis, TrialDataset

pytestmark = pytest.mark.django_db


def test_the_trials_are_analysed_by_their_registered_plans_once() -> None:
    demo_load_core(password="demo password 123")
    evidence_demo.load(stdout=io.StringIO())
    demo.load(stdout=io.StringIO())
    demo.load(stdout=io.StringIO())
    fgc = Project.objects.get(title=FGC_V1["title"])
    latest = fgc.versions.order_by("-number").first()
    assert latest is not None and latest.number == 3
    assert latest.content["trial_analysis"]["design"] == "blocked"
    report = fgc.results_reports.get()
    assert report.published_at is not None
    rows = {row["outcome"]: row for row in report.results}
    assert set(rows) == {"care-entry", "proceedings", "kinship"}
    care = rows["care-entry"]
    assert care["statistic"] == "risk difference" and care["estimate"] < 0
    assert care["n"] == fgc_trial_data()["entered_care"].drop_nulls().len()
    assert TrialDataset.objects.filter(project=fgc, status="stored").count() == 1

    schwartz = Project.objects.get(title=SCHWARTZ["title"])
    assert schwartz.versions.get().content["trial_analysis"]["design"] == "cluster"
    first, second = schwartz.results_reports.order_by("number")
    assert second.corrects == first and second.published_at is not None
    wellbeing = {r["outcome"]: r for r in second.results}["wellbeing"]
    bundle = TrialAnalysis.objects.get(report=second).bundle
    assert bundle is not None
    result = bundle["outcomes"][0]["result"]
    assert result["clusters"] == 48 and result["se_type"] == "CR2"
    assert wellbeing["statistic"] == "Hedges' g"
    assert result["n"] == schwartz_trial_data()["wemwbs"].drop_nulls().len()
    assert {r.overall_verdict for r in (first, second)} == {"met"}

    # Each has its finding in the Evidence Store; the trial of conferences is pooled with
    # the two earlier trials of entry to care.
    for project, slug in ((fgc, "family-group-conferences"), (schwartz, "schwartz-rounds")):
        study = Study.objects.get(registry_ref=project.reference)
        assert study.intervention.slug == slug and study.findings.count() == 1
    pooled = Synthesis.objects.get(
        intervention__slug="family-group-conferences", domain="entering-care"
    )
    assert pooled.k == 3
    assert f"registry-{fgc.reference.lower()}" in {s["slug"] for s in pooled.studies}
