"""Demo content for the Evidence Store: 14 interventions with invented studies and findings.

Idempotent by stable ids: an intervention, study or finding whose id already exists is left
alone, and a rating is only added where the outcome has none.  Everything is flagged as
demonstration data (``is_demo``) and says so on every page.  Two studies are linked to the
registry demo's projects by title when those are there (the registry's demo loads after
this one in app order, so a first ``whatworks demo`` links them only when run again); a
study already linked, a project that is not there, or one whose own results the registry
filed (its trials, analysed in the platform), is left alone.
"""

from __future__ import annotations

import json
from datetime import date

from django.db import transaction

from whatworks.core.demo import Writer, demo_project_reference
from whatworks.evidence.demo_content import INTERVENTIONS, RATINGS, SETTINGS
from whatworks.evidence.demo_studies import FINDINGS, STUDIES
from whatworks.evidence.models import Finding, Intervention, OutcomeRating, Study
from whatworks.evidence.services.store import intervention_update, rating_set, study_update
from whatworks.evidence.services.transfer import evidence_import

FIELDS = (
    "id",
    "name",
    "summary",
    "age_groups",
    "need_levels",
    "setting",
    "delivery",
    "workforce",
    "cost_band",
    "availability",
)
STUDY_FIELDS = (
    "id",
    "intervention_id",
    "citation",
    "year",
    "design",
    "country",
    "sample_size",
    "risk_of_bias",
)
REVIEWED = date(2026, 10, 1)
#: The registry demo's projects (by title) that demo studies were registered as, by study id.
REGISTERED_AS = {
    "demo-fgc-ashdown-2019": "Family group conferences at pre-proceedings: a randomised trial",
    "demo-sr-field-2019": "Schwartz Rounds and social worker wellbeing",
}


def _link_registered_studies() -> int:
    linked = 0
    for study in Study.objects.filter(slug__in=REGISTERED_AS, registry_ref=""):
        reference = demo_project_reference(title=REGISTERED_AS[study.slug])
        # A trial analysed in the registry files its own study (``services/registry_findings.py``):
        # then the invented one is not the registration, and linking it would count twice.
        if reference and not Study.objects.filter(registry_ref=reference).exists():
            study_update(actor=None, study=study, data={"registry_ref": reference})
            linked += 1
    return linked


def _add_audiences(slugs: set[str]) -> None:
    """Demo interventions made before they had several age groups, levels of need and
    settings (migration 0009 gave them one of each and no settings) get the demo's."""
    rows = {row[0]: row for row in INTERVENTIONS}
    for intervention in Intervention.objects.filter(slug__in=slugs & set(rows), is_demo=True):
        if intervention.settings:
            continue
        row = dict(zip(FIELDS, rows[intervention.slug], strict=True))
        intervention_update(
            actor=None,
            intervention=intervention,
            data={
                "age_groups": row["age_groups"].split(";"),
                "need_levels": row["need_levels"].split(";"),
                "settings": list(SETTINGS.get(intervention.slug, ())),
            },
        )


def _import(kind: str, rows: list[dict[str, object]]) -> int:
    if not rows:
        return 0
    data = json.dumps(rows, default=str).encode()
    report = evidence_import(actor=None, kind=kind, fmt="json", data=data)
    return report.created


@transaction.atomic
def load(*, stdout: Writer) -> None:
    have = set(Intervention.objects.values_list("slug", flat=True))
    interventions = [
        {
            **dict(zip(FIELDS, row, strict=True)),
            "settings": ";".join(SETTINGS.get(row[0], ())),
            "status": "published",
            "last_reviewed": REVIEWED.isoformat(),
            "is_demo": True,
        }
        for row in INTERVENTIONS
        if row[0] not in have
    ]
    made = _import("interventions", interventions)
    _add_audiences(have)
    have_studies = set(Study.objects.values_list("slug", flat=True))
    studies = [
        {**dict(zip(STUDY_FIELDS, row, strict=True)), "is_demo": True}
        for row in STUDIES
        if row[0] not in have_studies
    ]
    made_studies = _import("studies", studies)
    have_findings = set(Finding.objects.values_list("slug", flat=True))
    made_findings = _import("findings", [f for f in FINDINGS if f["id"] not in have_findings])
    rated = 0
    by_slug = {i.slug: i for i in Intervention.objects.filter(slug__in=RATINGS)}
    for slug, ratings in RATINGS.items():
        intervention = by_slug.get(slug)
        if intervention is None:
            continue
        for domain, effectiveness, why_big, strength, why_sure, *departing in ratings:
            if OutcomeRating.objects.filter(intervention=intervention, domain=domain).exists():
                continue
            rating_set(
                actor=None,
                intervention=intervention,
                domain=domain,
                effectiveness=effectiveness,
                effectiveness_reason=why_big,
                strength=strength,
                strength_reason=why_sure,
                note="First rating (demonstration data).",
                departure_reason=departing[0] if departing else "",
            )
            rated += 1
    _link_registered_studies()
    stdout.write(
        f"  Evidence Store: {made} interventions, {made_studies} studies, "
        f"{made_findings} findings and {rated} ratings added (demonstration data)\n"
    )
