"""Evidence Store objects for tests, made through the services as the app makes them."""

from __future__ import annotations

import itertools
from typing import Any

from whatworks.evidence.models import Finding, Intervention, OutcomeRating, Study
from whatworks.evidence.services import store

_counter = itertools.count(1)


def intervention(**overrides: Any) -> Intervention:
    n = next(_counter)
    data: dict[str, Any] = {
        "slug": f"intervention-{n}",
        "name": f"Intervention {n}",
        "summary": "A plain-English summary of what it does.",
        "age_groups": ["all"],
        "need_levels": ["child-in-need"],
        "settings": [],
        "setting": "At home",
        "delivery": "Weekly visits for three months.",
        "workforce": "Trained practitioners.",
        "cost_band": "2-medium-low",
        "availability": "wide",
        "status": "published",
    }
    data.update(overrides)
    return store.intervention_create(actor=None, data=data)


def study(of: Intervention, **overrides: Any) -> Study:
    n = next(_counter)
    data: dict[str, Any] = {
        "slug": f"study-{n}",
        "intervention": of,
        "citation": f"Author {n}. A trial of the intervention",
        "year": 2020,
        "design": "rct",
        "country": "England",
        "sample_size": 200,
        "risk_of_bias": "low",
    }
    data.update(overrides)
    return store.study_create(actor=None, data=data)


def finding(of: Study, **overrides: Any) -> Finding:
    n = next(_counter)
    data: dict[str, Any] = {
        "slug": f"finding-{n}",
        "study": of,
        "domain": "parenting",
        "outcome_measure": "Parenting scale",
        "time_point": "6 months",
        "measure_type": "SMD",
        "n_treatment": 50,
        "n_control": 50,
        "mean_treatment": 10.0,
        "sd_treatment": 2.0,
        "mean_control": 9.0,
        "sd_control": 2.0,
    }
    data.update(overrides)
    return store.finding_create(actor=None, data=data)


def rating(of: Intervention, domain: str = "parenting", **overrides: Any) -> OutcomeRating:
    data: dict[str, Any] = {
        "effectiveness": "moderate-benefit",
        "effectiveness_reason": "Scores improved by a moderate amount.",
        "strength": "2-limited",
        "strength_reason": "Two small trials.",
        "note": "",
        # Most test ratings have no findings behind them, so the rules cannot judge them.
        "departure_reason": "the test rates it by hand.",
    }
    data.update(overrides)
    return store.rating_set(actor=None, intervention=of, domain=domain, **data)


# --- for the permission matrix -------------------------------------------------------------


def draft_kwargs() -> dict[str, object]:
    return {"slug": intervention(status="draft").slug}


def published_kwargs() -> dict[str, object]:
    return {"slug": intervention(status="published").slug}


def draft_study_kwargs() -> dict[str, object]:
    return {"slug": study(intervention(status="draft")).slug}


def draft_finding_kwargs() -> dict[str, object]:
    return {"slug": finding(study(intervention(status="draft"))).slug}


def rating_kwargs() -> dict[str, object]:
    return {**draft_kwargs(), "domain": "parenting"}
