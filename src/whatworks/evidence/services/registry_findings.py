"""Filing a trial's published findings from the research registry in the Evidence Store
(called by the receiver of ``core.signals.trial_findings_published``,
``evidence/registry_findings.py``, with the signal's plain data).

Each published trial becomes one study of the intervention it evaluates, its stable id
``registry-<identifier>`` and ``registry_ref`` the registration, with one finding per
linked outcome; a correction published later updates the same study and findings.  The
writing goes through ``services/store.py``, so every change is audited and the
intervention's pooled results are rebuilt.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from whatworks.evidence.models import Finding, Intervention, RiskOfBias, Study
from whatworks.evidence.services.store import (
    finding_create,
    finding_update,
    study_create,
    study_update,
)

logger = logging.getLogger(__name__)


def risk_of_bias_from_padlocks(padlocks: int) -> str:
    """A first risk-of-bias judgement from the trial's security rating (EEF padlocks, 0 to
    5): four or five padlocks are a low risk, three some concerns, fewer a high risk.  Ours,
    not the EEF's; an editor may change it on the study's page."""
    if padlocks >= 4:
        return RiskOfBias.LOW
    if padlocks == 3:
        return RiskOfBias.SOME
    return RiskOfBias.HIGH


def _study_slug(reference: str) -> str:
    return f"registry-{reference.lower()}"


FINDING_KEYS = (
    "measure_type",
    "n_treatment",
    "n_control",
    "mean_treatment",
    "mean_control",
    "events_treatment",
    "events_control",
    "higher_is_better",
    "prespecified",
    "as_reported",
)


@transaction.atomic
def trial_findings_file(
    *,
    actor: Any,
    study: Mapping[str, Any],
    intervention: str,
    findings: Sequence[Mapping[str, Any]],
) -> Study | None:
    """Create or update the registered trial's study and findings; None when the
    intervention is not in the Evidence Store."""
    target = Intervention.objects.filter(slug=intervention).first()
    if target is None:
        logger.warning("Trial %s names no intervention of ours; not filed", study["reference"])
        return None
    slug = _study_slug(str(study["reference"]))
    data = {
        "intervention": target,
        "citation": str(study["citation"])[:500],
        "year": int(study["year"]),
        "design": str(study["design"]),
        "country": "England",
        "sample_size": int(study["sample_size"]),
        "risk_of_bias": risk_of_bias_from_padlocks(int(study["padlocks"])),
        "registry_ref": str(study["reference"]),
        "url": str(study["url"]),
    }
    existing = Study.objects.filter(slug=slug).first()
    saved = (
        study_update(actor=actor, study=existing, data=data)
        if existing is not None
        else study_create(actor=actor, data={"slug": slug, **data})
    )
    for item in findings:
        finding_slug = f"{slug}-{item['outcome']}"[:80]
        values: dict[str, Any] = {
            "study": saved,
            "domain": str(item["domain"]),
            "outcome_measure": str(item["measure"])[:200],
            "time_point": str(item["time_point"])[:80],
            **{key: item.get(key) for key in FINDING_KEYS},
        }
        if item.get("as_reported"):
            values |= {"effect_size": float(item["effect_size"]), "se": float(item["se"])}
        found = Finding.objects.filter(slug=finding_slug).first()
        if found is not None:
            finding_update(actor=actor, finding=found, data=values)
        else:
            finding_create(actor=actor, data={"slug": finding_slug, **values})
    return saved
