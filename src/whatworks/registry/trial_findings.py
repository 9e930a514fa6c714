"""A published trial's findings, handed to the Evidence Store (issue #18).

When an editor publishes results that a trial analysis in the platform computed — the
report's rows are exactly the rows the analysis's bundle gives, so no typed-in number is
ever sent — and the team has linked the project to the Evidence Store intervention it
evaluates (:class:`~whatworks.registry.models.TrialEvidenceLink`), the registry sends
``core.signals.trial_findings_published`` with plain data: the study (the registration,
its address and design) and one finding per linked outcome.  The Evidence Store files
them under the intervention, where they are pooled with the other studies
(``evidence/registry_findings.py``).  The registry imports nothing of the Evidence Store.

This module says what the findings are (it reads, and writes nothing); the sending, from
the publication's transaction, is ``services/trial_findings.py``.

How each outcome's effect crosses, so that it pools with the Evidence Store's other
findings of the same measure:

- continuous: Hedges' g as the registered analysis reports it (adjusted for the plan's
  covariates, with its HC2 or CR2 error): ``g = J * b / s`` and ``SE(g) = J * SE(b) / s``,
  with ``s`` the pooled unconditional SD (the bundle's ``sd_pooled``), measure SMD;
- binary, individually randomised: the risk ratio from the analysed events per arm (the
  Evidence Store computes it as for every study), measure RR;
- binary, clustered: the odds ratio as the analysis reports it (log odds ratio with its
  cluster-robust error), measure OR, because events per arm ignore the clustering.
"""

from __future__ import annotations

from typing import Any

from whatworks.core.links import absolute_url
from whatworks.registry.models import ResultsReport, TrialAnalysis
from whatworks.registry.verdicts import OutcomeResult

__all__ = [
    "analysis_of_report",
    "computed_results_problem",
    "evidence_findings",
    "study_of_report",
]

COMPUTED = (
    "These results were computed from the trial's data by its registered analysis plan, so "
    "they are not typed in: to change them, upload corrected data and run the analysis again."
)


def computed_results_problem(report: ResultsReport) -> str:
    """Why ``report``'s rows may not be typed in ("" when they may): a platform analysis
    filled it, or filled the results it corrects."""
    reports = [report.pk] + ([report.corrects_id] if report.corrects_id else [])
    if TrialAnalysis.objects.filter(
        report_id__in=reports, status=TrialAnalysis.Status.SUCCEEDED
    ).exists():
        return COMPUTED
    return ""


def _rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [OutcomeResult.model_validate(r).model_dump(mode="json") for r in results]


def analysis_of_report(report: ResultsReport) -> TrialAnalysis | None:
    """The platform analysis whose numbers the report holds unchanged, or None (typed in,
    imported from elsewhere, or changed by hand after the analysis filled it)."""
    for analysis in report.trial_analyses.filter(status=TrialAnalysis.Status.SUCCEEDED).order_by(
        "-finished_at"
    ):
        bundle = analysis.bundle or {}
        if bundle.get("results") and _rows(bundle["results"]) == report.results:
            return analysis
    return None


def _finding(item: dict[str, Any], planned: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    r = item["result"]
    finding: dict[str, Any] = {
        "outcome": item["outcome"],
        "measure": str(meta.get("measure") or meta.get("name") or item["outcome"])[:200],
        "time_point": str(meta.get("time_point") or "end of follow-up")[:80],
        "n_treatment": int(r["n_treatment"]),
        "n_control": int(r["n_control"]),
        "mean_treatment": None,
        "mean_control": None,
        "events_treatment": None,
        "events_control": None,
        "prespecified": True,
    }
    if r["outcome_type"] == "continuous":
        g = r["hedges_g"]
        finding |= {
            "measure_type": "SMD",
            "as_reported": True,
            "effect_size": g["estimate"],
            "se": g["j"] * r["se"] / g["sd_pooled"],
            "mean_treatment": r["mean_treatment"],
            "mean_control": r["mean_control"],
        }
        return finding
    events = {
        "events_treatment": round(r["mean_treatment"] * r["n_treatment"]),
        "events_control": round(r["mean_control"] * r["n_control"]),
    }
    if r.get("clusters") and r.get("odds_ratio"):
        odds = r["odds_ratio"]
        return (
            finding
            | events
            | {
                "measure_type": "OR",
                "as_reported": True,
                "effect_size": odds["log_or"],
                "se": odds["se"],
            }
        )
    return finding | events | {"measure_type": "RR", "as_reported": False}


def evidence_findings(
    bundle: dict[str, Any], content: dict[str, Any], link_outcomes: dict[str, Any]
) -> list[dict[str, Any]]:
    """One finding per outcome of the bundle that the link files under a domain."""
    planned = {p["outcome"]: p for p in (bundle.get("plan") or {}).get("outcomes") or []}
    meta = {o.get("key"): o for o in content.get("outcomes") or []}
    findings = []
    for item in bundle.get("outcomes") or []:
        target = link_outcomes.get(item["outcome"])
        if not target:
            continue
        finding = _finding(item, planned.get(item["outcome"], {}), meta.get(item["outcome"], {}))
        finding["domain"] = target["domain"]
        finding["higher_is_better"] = bool(target["higher_is_better"])
        findings.append(finding)
    return findings


def study_of_report(report: ResultsReport, analysis: TrialAnalysis) -> dict[str, Any]:
    """The study as the Evidence Store files it: the registration, its address and design."""
    project = report.project
    bundle = analysis.bundle or {}
    outcomes = bundle.get("outcomes") or []
    content = report.protocol_version.content
    primary = {o.get("key") for o in content.get("outcomes") or [] if o.get("kind") == "primary"}
    first = next((o for o in outcomes if o["outcome"] in primary), outcomes[0])
    flow = first["result"]["flow"]
    names = ", ".join(str(p) for p in project.team.order_by("full_name", "email"))
    published = report.published_at
    assert published is not None
    return {
        "reference": project.reference,
        "title": project.title,
        "citation": (
            f"{names or 'What Works Centre'}. {project.title}. Results r{report.number} of the "
            f"trial registered as {project.reference}, analysed in the What Works Centre "
            "research registry by its registered plan"
        )[:500],
        "url": absolute_url(project.get_absolute_url()),
        "year": published.year,
        "design": "cluster-rct" if (bundle.get("plan") or {}).get("design") == "cluster" else "rct",
        "sample_size": int(flow["treatment"]["randomised"] + flow["control"]["randomised"]),
        "padlocks": int(first["security"]["padlocks"]),
        "report_number": report.number,
    }
