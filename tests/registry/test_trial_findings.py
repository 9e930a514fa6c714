"""Published trial results reach the Evidence Store (issue #18): only results a platform
analysis computed, and unchanged; filed under the intervention the team linked, pooled
with its other studies, the study's page linking back to the registration; a correction
updates the same study.  The registry and the Evidence Store meet only through the core's
signal and extension point."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.evidence import factories as evidence
from tests.registry.factories import editor
from tests.registry.trial_factories import author_of, stored, trial_project
from whatworks.core.models import AuditEntry
from whatworks.evidence.models import Finding, Intervention, Study, Synthesis
from whatworks.registry import trial_tasks
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import Project, ResultsReport, TrialAnalysis
from whatworks.registry.services.results import results_correct, results_publish, results_save
from whatworks.registry.services.trial_data import trial_analysis_start, trial_evidence_link_set
from whatworks.registry.trial_findings import evidence_findings

pytestmark = pytest.mark.django_db

LINK = {"care-entry": {"domain": "entering-care", "higher_is_better": False}}


def analysed(project: Project, folder: Path) -> TrialAnalysis:
    dataset = stored(project, folder)
    analysis = trial_analysis_start(actor=author_of(project), dataset=dataset)
    trial_tasks.trial_analysis_run.call(str(analysis.pk), str(analysis.task_record_id))
    analysis.refresh_from_db()
    assert analysis.report is not None, analysis.error
    return analysis


def _report(analysis: TrialAnalysis) -> ResultsReport:
    """The report an analysis made (``analysed`` checked it made one)."""
    assert analysis.report is not None
    return analysis.report


def fgc_intervention() -> Intervention:
    """An intervention with one earlier trial of entry to care (events per arm)."""
    target = evidence.intervention(slug="family-group-conferences", name="FGC")
    earlier = evidence.study(target, slug="earlier-trial", year=2019)
    evidence.finding(
        earlier,
        domain="entering-care",
        measure_type="RR",
        n_treatment=210,
        n_control=210,
        events_treatment=46,
        events_control=58,
        higher_is_better=False,
        mean_treatment=None,
        sd_treatment=None,
        mean_control=None,
        sd_control=None,
    )
    return target


def test_published_results_become_a_pooled_finding_that_links_back(
    client: Client, tmp_path: Path
) -> None:
    target = fgc_intervention()
    project = trial_project()
    analysis = analysed(project, tmp_path)
    trial_evidence_link_set(
        actor=author_of(project), project=project, intervention=target.slug, outcomes=LINK
    )
    assert not Study.objects.filter(registry_ref=project.reference).exists(), "not before"

    results_publish(actor=editor(), report=_report(analysis))

    study = Study.objects.get(registry_ref=project.reference)
    assert study.intervention == target and study.design == "rct"
    assert study.slug == f"registry-{project.reference.lower()}"
    (finding,) = study.findings.all()
    assert analysis.bundle is not None
    result = analysis.bundle["outcomes"][0]["result"]
    # The events per arm are the analysed ones; the risk ratio is the Evidence Store's own.
    assert finding.measure_type == "RR" and not finding.as_reported
    assert finding.n_treatment == result["n_treatment"]
    assert finding.events_treatment == round(result["mean_treatment"] * result["n_treatment"])
    et, nt = finding.events_treatment, finding.n_treatment
    ec, nc = finding.events_control, finding.n_control
    assert et is not None and ec is not None
    assert finding.effect_size == pytest.approx(math.log((et / nt) / (ec / nc)))
    # Pooled with the earlier trial, under the linked domain and direction.
    synthesis = Synthesis.objects.get(intervention=target, domain="entering-care")
    assert synthesis.k == 2
    assert {s["slug"] for s in synthesis.studies} == {"earlier-trial", study.slug}
    assert AuditEntry.objects.filter(action="evidence.finding_created").count() == 2
    # The study's page links back to the registration.
    page = client.get(study.get_absolute_url()).content.decode()
    assert reverse("registry:project", kwargs={"reference": project.reference}) in page


def test_a_correction_computed_again_updates_the_same_study(tmp_path: Path) -> None:
    target = fgc_intervention()
    project = trial_project()
    first = analysed(project, tmp_path / "a")
    trial_evidence_link_set(
        actor=author_of(project), project=project, intervention=target.slug, outcomes=LINK
    )
    results_publish(actor=editor(), report=_report(first))
    results_correct(actor=author_of(project), report=_report(first), justification="Recoded.")
    second = analysed(project, tmp_path / "b")
    assert second.report is not None and second.report.corrects_id == _report(first).pk
    results_publish(actor=editor(), report=second.report)
    assert Study.objects.filter(registry_ref=project.reference).count() == 1
    assert Finding.objects.filter(study__registry_ref=project.reference).count() == 1
    assert "Results r2" in Study.objects.get(registry_ref=project.reference).citation


def test_computed_results_are_not_typed_over_and_nothing_typed_is_sent(tmp_path: Path) -> None:
    target = fgc_intervention()
    project = trial_project()
    analysis = analysed(project, tmp_path)
    trial_evidence_link_set(
        actor=author_of(project), project=project, intervention=target.slug, outcomes=LINK
    )
    rows = [dict(r) for r in _report(analysis).results]
    rows[0] |= {"estimate": -0.2, "lower": -0.3, "upper": -0.1}
    typed: dict[str, Any] = {
        "actor": author_of(project),
        "project": project,
        "protocol_version": _report(analysis).protocol_version,
        "summary": "Typed over.",
        "results": rows,
    }
    with pytest.raises(RegistryError, match="upload corrected data and run the analysis again"):
        results_save(**typed)
    results_publish(actor=editor(), report=_report(analysis))
    # Nor in a correction of them.
    results_correct(actor=author_of(project), report=_report(analysis), justification="Why.")
    with pytest.raises(RegistryError, match="not typed in"):
        results_save(**typed)
    # Results never computed here are typed in as before, and never sent.
    other = trial_project()
    trial_evidence_link_set(
        actor=author_of(other), project=other, intervention=target.slug, outcomes=LINK
    )
    report = results_save(**{**typed, "actor": author_of(other), "project": other,
                             "protocol_version": other.versions.get()})  # fmt: skip
    results_publish(actor=editor(), report=report)
    assert not Study.objects.filter(registry_ref=other.reference).exists()


def test_no_link_sends_nothing(tmp_path: Path) -> None:
    fgc_intervention()
    project = trial_project()
    analysis = analysed(project, tmp_path)
    results_publish(actor=editor(), report=_report(analysis))
    assert not Study.objects.filter(registry_ref=project.reference).exists()


def test_a_continuous_clustered_outcome_crosses_as_the_adjusted_g_with_its_robust_se() -> None:
    # Hand-made bundle outcome: g = J b / s, SE(g) = J SE(b) / s (the module's docstring).
    bundle = {
        "plan": {"outcomes": [{"outcome": "wellbeing"}]},
        "outcomes": [
            {
                "outcome": "wellbeing",
                "result": {
                    "outcome_type": "continuous",
                    "n_treatment": 300,
                    "n_control": 290,
                    "mean_treatment": 51.0,
                    "mean_control": 49.0,
                    "se": 0.8,
                    "clusters": 48,
                    "hedges_g": {"estimate": 0.2, "j": 0.998, "sd_pooled": 8.0},
                    "odds_ratio": None,
                },
            }
        ],
    }
    content = {"outcomes": [{"key": "wellbeing", "measure": "WEMWBS", "time_point": "12 months"}]}
    (finding,) = evidence_findings(
        bundle, content, {"wellbeing": {"domain": "workforce-wellbeing", "higher_is_better": True}}
    )
    assert finding["measure_type"] == "SMD" and finding["as_reported"] is True
    assert finding["effect_size"] == 0.2
    assert finding["se"] == pytest.approx(0.998 * 0.8 / 8.0)
    assert finding["measure"] == "WEMWBS" and finding["domain"] == "workforce-wellbeing"
