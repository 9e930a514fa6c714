"""Demo: the family group conference trial's analysis plan as data, run on synthetic data.

The trial (individually randomised within local authorities, baseline: the family's
referrals in the year before randomisation) registers its analysis plan in version 3; a
seeded synthetic data set of 540 children -- nobody real -- is analysed by the plan, as a
local authority would with ``whatworks-analytics trial-plan``, and the checked bundle fills
the draft results report, whose verdicts follow from the registered criteria.  The data
are generated in memory and never stored.  Idempotent: nothing happens once version 3
carries the plan.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from whatworks.core.demo import Writer
from whatworks.core.models import User
from whatworks.registry.demo_content import FGC_V1
from whatworks.registry.models import Project
from whatworks.registry.services import protocol_register
from whatworks.registry.services.analysis_plan import protocol_draft_set_trial_analysis
from whatworks.registry.services.trial_results import results_import_trial_bundle
from whatworks_analytics.trials.bundle import run_plan

__all__ = ["FGC_PLAN", "fgc_trial_data", "load"]

FGC_JUSTIFICATION_V3 = (
    "The analysis plan, already described in words, is now registered as data (columns, "
    "covariates, blocks, errors and effect sizes), so that the platform runs it as written. "
    "No outcome, criterion or sample size changes."
)


def _planned(outcome: str, variable: str) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "variable": variable,
        "type": "binary",
        "arm_variable": "arm",
        "treatment": "fgc",
        "control": "usual",
        "covariates": ["prior_referrals"],
        "cluster_variable": None,
        "block_variable": "local_authority",
        "se_type": "HC2",
        "alpha": 0.05,
        "sidedness": "two-sided",
        "effect_size": "risk_difference",
    }


FGC_PLAN: dict[str, Any] = {
    "design": "blocked",
    "estimand": "itt",
    "outcomes": [
        _planned("care-entry", "entered_care"),
        _planned("proceedings", "proceedings_issued"),
        _planned("kinship", "living_with_kin"),
    ],
}


def fgc_trial_data(*, n: int = 540, seed: int = 2026) -> pl.DataFrame:
    """Synthetic trial data: 1:1 within three authorities; about 6% lost to follow-up."""
    rng = np.random.default_rng(seed)
    authority = rng.choice(["brackley", "dunmere", "eastwick"], n, p=[0.4, 0.3, 0.3])
    arm = np.empty(n, dtype=object)
    for name in ("brackley", "dunmere", "eastwick"):
        where = np.flatnonzero(authority == name)
        arm[where] = rng.permutation(np.resize(["fgc", "usual"], where.size))
    prior = rng.poisson(1.8, n)
    offered = arm == "fgc"
    base = {"brackley": 0.0, "dunmere": 0.04, "eastwick": -0.03}
    shift = np.array([base[a] for a in authority])
    care = rng.random(n) < np.clip(0.34 + shift + 0.035 * (prior - 1.8) - 0.09 * offered, 0, 1)
    proceedings = rng.random(n) < np.clip(
        0.42 + shift + 0.03 * (prior - 1.8) - 0.05 * offered, 0, 1
    )
    kin = rng.random(n) < np.clip(0.12 + 0.06 * offered, 0, 1)
    lost = rng.random(n) < 0.06
    frame = pl.DataFrame(
        {
            "child": [f"FGC-{i:04d}" for i in range(1, n + 1)],
            "local_authority": authority,
            "arm": arm.astype(str),
            "prior_referrals": prior,
            "entered_care": care.astype(np.int8),
            "proceedings_issued": proceedings.astype(np.int8),
            "living_with_kin": kin.astype(np.int8),
        }
    )
    missing = pl.Series(lost)
    return frame.with_columns(
        pl.when(missing).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("entered_care", "proceedings_issued", "living_with_kin")
    )


def load(*, stdout: Writer, researcher: User) -> None:
    project = Project.objects.filter(title=FGC_V1["title"]).first()
    if project is None or project.is_withdrawn:
        return
    latest = project.versions.order_by("-number").first()
    if latest is None or latest.content.get("trial_analysis"):
        return
    protocol_draft_set_trial_analysis(actor=researcher, project=project, plan=FGC_PLAN)
    version = protocol_register(
        actor=researcher, project=project, justification=FGC_JUSTIFICATION_V3
    )
    bundle = run_plan(
        version.content["trial_analysis"],
        fgc_trial_data(),
        project=project.reference,
        protocol_version=version.number,
        version_sha256=version.sha256,
    )
    results_import_trial_bundle(actor=researcher, project=project, bundle=bundle)
    stdout.write(
        f"  registry: the family group conference trial's plan registered as v{version.number} "
        "and run on synthetic data (draft results)\n"
    )
