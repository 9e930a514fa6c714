"""The shadow phase in the platform (issue #19): a run's model is frozen by a worker, later
monthly extracts are uploaded as datasets and scored in the background, and the scores are
evaluated once their outcomes are known -- through the pages, with the queue's real worker.

The scores are child-level data: private files, deleted on their date (or with their
extract), every step in the audit log; the evaluation (aggregates) stays.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.test import Client
from django.urls import reverse

from tests.pilots.factories import analyst_of, lift_registry_guard, make_pilot, stored_dataset
from whatworks.core.models import AuditEntry
from whatworks.core.tasks_support import make_worker
from whatworks.pilots import analytics
from whatworks.pilots.models import Run, ShadowModel, ShadowScores
from whatworks.pilots.services.runs import run_start
from whatworks.pilots.services.shadow import shadow_scores_delete_expired
from whatworks.pilots.services.storage import data_root
from whatworks_analytics.pilots.labels import data_end
from whatworks_analytics.pilots.synth import (
    SynthConfig,
    extract_as_of,
    generate,
    write_dataset,
)
from whatworks_analytics.pilots.validate import PilotDataset

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _guard(transactional_db: Any) -> Iterator[None]:
    yield
    lift_registry_guard()


def run_queued_tasks() -> None:
    make_worker(worker_id="test-worker", batch=True, interval=0).run()


@lru_cache(maxsize=1)
def world() -> PilotDataset:
    """Five years of one authority's referrals: the extracts are cuts of it."""
    return generate(SynthConfig(referrals=2200, years=5, seed=21))


def extracts(root: Path) -> dict[str, Path]:
    """As held two years before the end (to freeze on), a year later (to score), and the
    whole (the outcomes)."""
    freeze = data_end(world()) - timedelta(days=730)
    folders = {"held": root / "held", "later": root / "later", "full": root / "full"}
    write_dataset(extract_as_of(world(), freeze), folders["held"])
    write_dataset(extract_as_of(world(), freeze + timedelta(days=365)), folders["later"])
    write_dataset(world(), folders["full"])
    return folders


def test_freeze_score_and_evaluate_through_the_pages(client: Client, tmp_path: Path) -> None:
    pilot = make_pilot()
    analyst = analyst_of(pilot)
    client.force_login(analyst)
    folders = extracts(tmp_path)
    held = stored_dataset(pilot, folders["held"], actor=analyst)
    run = run_start(actor=analyst, pilot=pilot, dataset=held)
    run_queued_tasks()
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED

    page = reverse("pilots:shadow", kwargs={"pilot_id": pilot.pk})
    assert "Freeze the model" in client.get(page).content.decode()
    client.post(reverse("pilots:shadow_freeze", kwargs={"pilot_id": pilot.pk}), {"run": run.pk})
    run_queued_tasks()
    model = ShadowModel.objects.get(run=run)
    assert model.status == ShadowModel.Status.FROZEN, model.error
    assert model.meta["config_hash"] == pilot.config_hash
    assert model.meta["data_fingerprint"] == held.fingerprint
    assert run.bundle is not None
    pooled = next(
        r["metrics"]
        for r in run.bundle["results"]
        if r["model"] == "logistic" and r["evaluation"] == "temporal" and r["split"] is None
    )
    assert model.meta["validation"]["precision"] == pooled["precision"]
    folder = data_root() / model.folder
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    # Freezing twice is refused: the phase is pre-registered once.
    client.post(reverse("pilots:shadow_freeze", kwargs={"pilot_id": pilot.pk}), {"run": run.pk})
    assert ShadowModel.objects.count() == 1

    # The extract the model was fitted on is not a later extract.
    score_url = reverse("pilots:shadow_score", kwargs={"pilot_id": pilot.pk})
    client.post(score_url, {"model": model.pk, "dataset": held.pk})
    assert not ShadowScores.objects.exists()

    later = stored_dataset(pilot, folders["later"], actor=analyst)
    client.post(score_url, {"model": model.pk, "dataset": later.pk})
    run_queued_tasks()
    scores = ShadowScores.objects.get()
    assert scores.status == ShadowScores.Status.SCORED, scores.error
    path = data_root() / scores.path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    written = pl.read_parquet(path)
    assert written.height == scores.scored > 100
    assert scores.flagged == int(written["flag"].sum())
    assert scores.first_referral is not None
    assert scores.first_referral.isoformat() >= model.meta["label_end"]

    # The scores are the frozen model's own predictions of those referrals, to the bit.
    from whatworks_analytics.pilots.shadow import load_model, score_referrals

    frozen = load_model(folder)
    again = score_referrals(frozen, analytics.dataset_load(data_root() / later.folder))
    assert again["referral_id"].to_list() == written["referral_id"].to_list()
    assert again["score"].to_list() == written["score"].to_list()

    full = stored_dataset(pilot, folders["full"], actor=analyst)
    client.post(
        reverse("pilots:shadow_evaluate", kwargs={"pilot_id": pilot.pk, "scores_id": scores.pk}),
        {"dataset": full.pk},
    )
    run_queued_tasks()
    scores.refresh_from_db()
    assert scores.status == ShadowScores.Status.EVALUATED, scores.error
    forward = scores.forward
    assert forward is not None
    assert forward["scored"] == scores.scored and forward["not_found"] == 0
    assert forward["matured"] + forward["pending"] == forward["scored"]
    assert forward["matured"] > 100
    rows = {row["metric"]: row for row in forward["comparison"]}
    assert rows["precision"]["validated"] == model.meta["validation"]["precision"]
    shown = client.get(page).content.decode()
    assert "validated at" in shown and "achieved" in shown

    for action in (
        "pilot.shadow_freeze_started",
        "pilot.model_frozen",
        "pilot.shadow_scoring_started",
        "pilot.shadow_scored",
        "pilot.shadow_evaluation_started",
        "pilot.shadow_evaluated",
        "pilot.shadow_viewed",
    ):
        assert AuditEntry.objects.filter(action=action).exists(), action

    # Retention: the scores file goes on its date; the counts and the evaluation stay.
    assert scores.delete_after is not None
    assert shadow_scores_delete_expired(today=scores.delete_after - timedelta(days=1)) == 0
    assert path.exists()
    assert shadow_scores_delete_expired(today=scores.delete_after) == 1
    scores.refresh_from_db()
    assert not path.exists() and scores.is_deleted and scores.path == ""
    assert scores.forward == forward and scores.scored == written.height
    assert AuditEntry.objects.filter(action="pilot.shadow_scores_deleted").exists()
    # Deleted scores cannot be evaluated again.
    client.post(
        reverse("pilots:shadow_evaluate", kwargs={"pilot_id": pilot.pk, "scores_id": scores.pk}),
        {"dataset": full.pk},
    )
    scores.refresh_from_db()
    assert scores.status == ShadowScores.Status.EVALUATED


def test_deleting_an_extract_early_deletes_its_scores(tmp_path: Path) -> None:
    from whatworks.pilots.services.datasets import dataset_delete

    pilot = make_pilot()
    analyst = analyst_of(pilot)
    folders = extracts(tmp_path)
    held = stored_dataset(pilot, folders["held"], actor=analyst)
    run = run_start(actor=analyst, pilot=pilot, dataset=held)
    run_queued_tasks()
    from whatworks.pilots.services.shadow import shadow_freeze_start, shadow_score_start

    model = shadow_freeze_start(actor=analyst, run=Run.objects.get(pk=run.pk))
    run_queued_tasks()
    model.refresh_from_db()
    later = stored_dataset(pilot, folders["later"], actor=analyst)
    scores = shadow_score_start(actor=analyst, model=model, dataset=later)
    run_queued_tasks()
    scores.refresh_from_db()
    path = data_root() / scores.path
    assert path.exists()
    dataset_delete(actor=analyst, dataset=later)
    scores.refresh_from_db()
    assert not path.exists() and scores.is_deleted


def test_others_cannot_see_or_start_a_pilots_shadow_phase(client: Client) -> None:
    pilot = make_pilot()
    outsider = analyst_of(make_pilot())
    client.force_login(outsider)
    assert client.get(reverse("pilots:shadow", kwargs={"pilot_id": pilot.pk})).status_code == 404
    response = client.post(
        reverse("pilots:shadow_freeze", kwargs={"pilot_id": pilot.pk}), {"run": "x"}
    )
    assert response.status_code == 404


def test_the_registrys_results_show_the_shadow_phase_to_those_who_may_see_it() -> None:
    """The results page lists a pilot's shadow phase apart from the registered outcomes
    (``registry/phases.py``): its pre-registration, then the forward evaluation's
    sentences; outsiders (and visitors) are told nothing of the pilot."""
    from django.contrib.auth.models import AnonymousUser

    from tests.pilots.factories import shadow_scores_kwargs
    from whatworks.registry.phases import results_phases

    ids = shadow_scores_kwargs()
    scores = ShadowScores.objects.select_related("model__pilot__project").get(
        pk=str(ids["scores_id"])
    )
    model = scores.model
    model.meta = {
        "model_sha256": "cd" * 32,
        "flag_rule": "score >= 0.2",
        "validation": {"precision": {"value": 0.37, "low": 0.33, "high": 0.41}},
    }
    model.save()
    pilot = model.pilot
    analyst = analyst_of(pilot)
    [phase] = results_phases(project=pilot.project, user=analyst)
    assert "validated at precision 0.37" in phase.summary and "cdcdcdcdcdcd" in phase.title
    assert phase.sentences == ()
    scores.forward = {"comparison": [{"sentence": "precision: validated at 0.37, achieved 0.31"}]}
    scores.save()
    [phase] = results_phases(project=pilot.project, user=analyst)
    assert phase.sentences == ("precision: validated at 0.37, achieved 0.31",)
    assert phase.url == reverse("pilots:shadow", kwargs={"pilot_id": pilot.pk})
    assert results_phases(project=pilot.project, user=analyst_of(make_pilot())) == []
    assert results_phases(project=pilot.project, user=AnonymousUser()) == []
