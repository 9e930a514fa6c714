"""The open-data JSON document of one intervention (its stable URL is ``/evidence/data/``).

Built from the same selector as the page, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from whatworks.core.projects import projects_for_user
from whatworks.evidence.models import Finding, Intervention, Study
from whatworks.evidence.scales import COST_BY_VALUE, RULES_VERSION
from whatworks.evidence.selectors import SynthesisView, intervention_detail

SCHEMA_VERSION = 1


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.slug,
        "outcome_domain": finding.domain,
        "measure": finding.outcome_measure,
        "time_point": finding.time_point,
        "effect_size_type": finding.measure_type,
        "n_treatment": finding.n_treatment,
        "n_control": finding.n_control,
        "mean_treatment": finding.mean_treatment,
        "sd_treatment": finding.sd_treatment,
        "mean_control": finding.mean_control,
        "sd_control": finding.sd_control,
        "events_treatment": finding.events_treatment,
        "events_control": finding.events_control,
        "higher_is_better": finding.higher_is_better,
        "prespecified": finding.prespecified,
        "effect_size": finding.effect_size,
        "se": finding.se,
        "ci_low": finding.ci_low,
        "ci_high": finding.ci_high,
        "scale": "log" if finding.measure_type in ("RR", "OR") else "identity",
    }


def _study(study: Study, public_projects: Collection[str]) -> dict[str, Any]:
    return {
        "id": study.slug,
        "citation": study.citation,
        "year": study.year,
        "design": study.design,
        "country": study.country,
        "sample_size": study.sample_size,
        "risk_of_bias": study.risk_of_bias,
        # Its protocol in our research registry (WWC-YYYY-NNNN), or null.
        # Left out (null) while the registry shows the project to nobody outside its team.
        "registry_ref": study.registry_ref if study.registry_ref in public_projects else None,
        "doi": study.doi or None,
        "url": study.url or None,
        "demonstration_data": study.is_demo,
        "findings": [_finding(f) for f in study.findings.all()],
    }


def _methods(view: SynthesisView) -> dict[str, Any]:
    """Each method's pooled result; the prediction interval only from three studies, with
    how it was computed (``pi_method``) or why there is none (``pi_note``)."""
    methods = {}
    for row in view.methods:
        data = dict(view.synthesis.results[row.method])
        if row.pi_low is None:
            data.update(pi_low=None, pi_high=None, exp_pi_low=None, exp_pi_high=None, pi_df=None)
        data.update(pi_method=row.pi_method, pi_note=row.pi_note, test=row.test)
        methods[row.method] = data
    return methods


def _funnel(view: SynthesisView) -> dict[str, Any] | None:
    """Egger's test, the rank correlation test and trim-and-fill (ten studies or more)."""
    if not view.funnel:
        return None
    return {key: value for key, value in view.funnel.items() if key not in ("svg", "narrow_svg")}


def intervention_open_data(*, intervention: Intervention, url: str) -> dict[str, Any]:
    """A JSON-ready dict: the intervention, its ratings, pooled results and studies."""
    detail = intervention_detail(intervention=intervention)
    # Open data is for everyone: only projects the registry shows to a visitor are named.
    public_projects = set(
        projects_for_user(user=None, references=[s.registry_ref for s in detail.studies])
    )
    cost = COST_BY_VALUE[intervention.cost_band]
    outcomes = []
    for outcome in detail.outcomes:
        rating = outcome.rating
        outcomes.append(
            {
                "domain": outcome.domain,
                "label": outcome.label,
                "effectiveness": None
                if rating is None
                else {
                    "value": rating.effectiveness,
                    "label": str(rating.get_effectiveness_display()),
                    "justification": rating.effectiveness_reason,
                },
                "strength_of_evidence": None
                if rating is None
                else {
                    "value": rating.strength,
                    "label": str(rating.get_strength_display()),
                    "justification": rating.strength_reason,
                },
                "rating_rules_version": rating.rules_version if rating else None,
                "rated_by": rating.rated_by_label if rating else None,
                "rated_at": rating.rated_at.isoformat() if rating else None,
                "pooled": [
                    {
                        "effect_size_type": view.synthesis.measure_type,
                        "higher_is_better": view.synthesis.higher_is_better,
                        "k": view.synthesis.k,
                        "studies": [s["slug"] for s in view.synthesis.studies],
                        "scale": "log" if view.is_ratio else "identity",
                        "methods": _methods(view),
                        "publication_bias": _funnel(view),
                        "leave_one_out": view.leave_one_out,
                    }
                    for view in outcome.syntheses
                ],
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "id": intervention.slug,
        "url": url,
        "name": intervention.name,
        "demonstration_data": intervention.is_demo,
        "status": intervention.status,
        "summary": intervention.summary,
        "age_groups": intervention.age_groups,
        "need_levels": intervention.need_levels,
        "settings": intervention.settings,
        "setting": intervention.setting,
        "delivery": intervention.delivery,
        "workforce": intervention.workforce,
        "implementation": {
            "training": intervention.training,
            "fidelity": intervention.fidelity,
            "provider": intervention.provider,
            "licensing_and_contact": intervention.licensing,
            "website": intervention.website or None,
            "availability_england": intervention.availability_england,
        },
        "cost_band": {
            "value": intervention.cost_band,
            "label": str(cost.label),
            "definition": str(cost.definition),
        },
        "availability_uk": intervention.availability,
        "last_reviewed": intervention.last_reviewed.isoformat()
        if intervention.last_reviewed
        else None,
        "current_rating_rules_version": RULES_VERSION,
        "outcomes": outcomes,
        "rating_changes": [
            {
                "domain": c.domain,
                "effectiveness_before": c.effectiveness_before or None,
                "effectiveness_after": c.effectiveness_after,
                "strength_before": c.strength_before or None,
                "strength_after": c.strength_after,
                "rules_version": c.rules_version,
                "note": c.note,
                "changed_by": c.changed_by_label,
                "changed_at": c.changed_at.isoformat(),
            }
            for c in detail.changes
        ],
        "studies": [_study(s, public_projects) for s in detail.studies],
    }
