"""Demo: two trials analysed in the platform by their registered plans (issue #18).

The family group conference trial (individually randomised within local authorities,
baseline: the family's referrals in the year before randomisation) registers its analysis
plan in version 3.  The Schwartz Rounds study registers a cluster plan (teams as clusters,
the baseline survey as covariate) with its protocol.  For each, seeded synthetic data --
nobody real -- are uploaded as the team would, checked and pseudonymised, and analysed by
the registered plan as background tasks (run here directly); the results an editor
publishes carry the verdicts the registered criteria give, and their findings reach the
Evidence Store under the intervention each trial evaluates.  The Schwartz Rounds results
are corrected once: one team's reversed intention-to-leave scale, rescored and analysed
again.  Idempotent: nothing happens once a project has its results.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from whatworks.core.csvutils import write_csv
from whatworks.core.demo import Writer
from whatworks.core.models import User
from whatworks.core.privatedata import receiving_folder, stage_files
from whatworks.registry import trial_tasks
from whatworks.registry.demo_content import FGC_V1
from whatworks.registry.models import Project, ResultsReport, TrialAnalysis
from whatworks.registry.services.analysis_plan import protocol_draft_set_trial_analysis
from whatworks.registry.services.protocols import protocol_register
from whatworks.registry.services.results import results_correct, results_publish
from whatworks.registry.services.trial_data import (
    trial_analysis_start,
    trial_dataset_upload_start,
    trial_evidence_link_set,
    trial_incoming_root,
)

__all__ = [
    "FGC_PLAN",
    "SCHWARTZ_PLAN",
    "analyse_upload",
    "fgc_trial_data",
    "load",
    "schwartz_correct",
    "schwartz_results",
    "schwartz_trial_data",
]

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


def _schwartz_planned(outcome: str, variable: str, baseline: str) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "variable": variable,
        "type": "continuous",
        "arm_variable": "arm",
        "treatment": "rounds",
        "control": "usual",
        "covariates": [baseline],
        "cluster_variable": "team",
        "block_variable": None,
        "se_type": "CR2",
        "alpha": 0.05,
        "sidedness": "two-sided",
        "effect_size": "hedges_g",
    }


#: Registered with the Schwartz Rounds protocol: teams are the clusters.
SCHWARTZ_PLAN: dict[str, Any] = {
    "design": "cluster",
    "estimand": "itt",
    "outcomes": [
        _schwartz_planned("wellbeing", "wemwbs", "wemwbs_baseline"),
        _schwartz_planned("intention-to-leave", "leave_intention", "leave_baseline"),
    ],
}
#: The team whose follow-up used the reversed intention-to-leave form (the correction).
REVERSED_TEAM = "team-07"


def schwartz_trial_data(*, seed: int = 2025, reversed_team: bool = False) -> pl.DataFrame:
    """Synthetic survey of 48 teams (24 offered Rounds), about 12 social workers each, with
    a team effect, a baseline wave and about 8% lost by the follow-up wave.  With
    ``reversed_team``, one offered team's intention to leave is scored the wrong way."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list[Any]] = {k: [] for k in (
        "worker", "team", "arm", "wemwbs_baseline", "wemwbs", "leave_baseline",
        "leave_intention",
    )}  # fmt: skip
    serial = 0
    for t in range(1, 49):
        team, offered = f"team-{t:02d}", t % 2 == 1
        size = int(rng.integers(9, 17))
        shift_w, shift_l = rng.normal(0, 2.2), rng.normal(0, 0.7)
        for _ in range(size):
            serial += 1
            base_w = 47 + shift_w + rng.normal(0, 7)
            base_l = float(np.clip(8.5 + shift_l + rng.normal(0, 2.4), 3, 15))
            follow_w = 19 + 0.6 * base_w + shift_w + (3.0 if offered else 0) + rng.normal(0, 6)
            follow_l = 4 + 0.5 * base_l + shift_l - (0.45 if offered else 0) + rng.normal(0, 2)
            follow_l = float(np.clip(follow_l, 3, 15))
            if reversed_team and team == REVERSED_TEAM:
                follow_l = 18 - follow_l
            lost = rng.random() < 0.08
            rows["worker"].append(f"SW-{serial:04d}")
            rows["team"].append(team)
            rows["arm"].append("rounds" if offered else "usual")
            rows["wemwbs_baseline"].append(round(base_w, 1))
            rows["wemwbs"].append(None if lost else round(follow_w, 1))
            rows["leave_baseline"].append(round(base_l, 1))
            rows["leave_intention"].append(None if lost else round(follow_l, 1))
    return pl.DataFrame(rows)


def analyse_upload(
    *, project: Project, researcher: User, frame: pl.DataFrame, id_column: str, name: str
) -> TrialAnalysis:
    """Upload ``frame`` as the team would, check it and run the registered plan on it (the
    two background tasks, run here directly; their queued copies then find them done)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            write_csv(handle, header=frame.columns, rows=frame.iter_rows())
        received = stage_files([path], receiving_folder(trial_incoming_root()))
    dataset = trial_dataset_upload_start(
        actor=researcher, project=project, received=received, id_column=id_column
    )
    trial_tasks.trial_dataset_check.call(str(dataset.pk), str(dataset.task_record_id))
    dataset.refresh_from_db()
    analysis = trial_analysis_start(actor=researcher, dataset=dataset)
    trial_tasks.trial_analysis_run.call(str(analysis.pk), str(analysis.task_record_id))
    analysis.refresh_from_db()
    return analysis


def schwartz_results(*, project: Project, researcher: User, editor: User | None) -> None:
    """The registered plan run on the first upload; the results published."""
    trial_evidence_link_set(
        actor=researcher,
        project=project,
        intervention="schwartz-rounds",
        outcomes={"wellbeing": {"domain": "workforce-wellbeing", "higher_is_better": True}},
    )
    analysis = analyse_upload(
        project=project,
        researcher=researcher,
        frame=schwartz_trial_data(reversed_team=True),
        id_column="worker",
        name="schwartz-rounds-survey.csv",
    )
    if analysis.report is not None:
        results_publish(actor=editor, report=analysis.report)


def schwartz_correct(
    *, project: Project, researcher: User, editor: User | None, justification: str
) -> bool:
    """Correct the published results once: the rescored data analysed again."""
    original = ResultsReport.objects.filter(
        project=project, number=1, published_at__isnull=False
    ).first()
    if original is None or ResultsReport.objects.filter(project=project, number__gt=1).exists():
        return False
    correction = results_correct(actor=researcher, report=original, justification=justification)
    analysis = analyse_upload(
        project=project,
        researcher=researcher,
        frame=schwartz_trial_data(),
        id_column="worker",
        name="schwartz-rounds-survey-rescored.csv",
    )
    results_publish(actor=editor, report=analysis.report or correction)
    return True


def load(*, stdout: Writer, researcher: User, editor: User | None = None) -> None:
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
    trial_evidence_link_set(
        actor=researcher,
        project=project,
        intervention="family-group-conferences",
        outcomes={"care-entry": {"domain": "entering-care", "higher_is_better": False}},
    )
    analysis = analyse_upload(
        project=project,
        researcher=researcher,
        frame=fgc_trial_data(),
        id_column="child",
        name="fgc-trial.csv",
    )
    if analysis.report is not None and editor is not None:
        results_publish(actor=editor, report=analysis.report)
    stdout.write(
        f"  registry: the family group conference trial's plan registered as v{version.number}, "
        "run on synthetic data and its results published\n"
    )
