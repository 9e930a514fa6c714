"""The registry's link provider for the Evidence Store: the interventions whose evidence
includes a study registered as the project.

Registered from :class:`whatworks.evidence.apps.EvidenceConfig.ready` through the
registry's app config (the parts do not import one another; ADR 0006).
"""

from __future__ import annotations

from typing import Any

from whatworks.evidence.selectors import studies_for_registry_project


def project_evidence(*, project: Any, user: Any) -> list[dict[str, str]]:
    """One item per study registered as ``project``: the intervention (as ``user`` may see
    it), linked, with the study."""
    items = []
    for study in studies_for_registry_project(user=user, reference=project.reference):
        intervention = study.intervention
        note = "" if intervention.is_published else " (draft)"
        items.append(
            {
                "title": f"{intervention.name}{note}",
                "url": intervention.get_absolute_url(),
                "summary": str(study),
            }
        )
    return items
