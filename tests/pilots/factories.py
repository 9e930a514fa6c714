"""Pilot objects for tests, made through the services as the app makes them."""

from __future__ import annotations

import functools
import io
import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from django.db import connection

from tests.factories import OrganisationFactory, user_with_role
from tests.registry.factories import content, draft_project
from whatworks.core.models import Organisation, User
from whatworks.core.roles import Role
from whatworks.pilots.models import DatasetUpload, Pilot
from whatworks.pilots.services.pilots import pilot_create, pilot_fix_config
from whatworks.registry import guards
from whatworks.registry.models import Project, StudyType
from whatworks.registry.services.pilot_experiments import protocol_draft_add_pilot_experiment
from whatworks.registry.services.projects import project_publish
from whatworks.registry.services.protocols import protocol_register
from whatworks_analytics.pilots.config import parse_config
from whatworks_analytics.pilots.run import run as engine_run
from whatworks_analytics.pilots.synth import SynthConfig, generate, write_dataset

EXAMPLE = Path(__file__).resolve().parents[2] / "packages/analytics/examples/escalation.yaml"


def config_dict(**changes: Any) -> dict[str, Any]:
    """The engine's example config, made small and fast for tests."""
    raw: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["models"] = [
        {"name": "baseline", "kind": "baseline"},
        {"name": "logistic", "kind": "logistic"},
    ]
    raw["success"]["model"] = "logistic"
    raw["splits"]["kfold"] = 0
    raw["bootstrap"]["replicates"] = 20
    raw.update(changes)
    return raw


def config_yaml(**changes: Any) -> str:
    return yaml.safe_dump(config_dict(**changes), sort_keys=False)


def make_pilot(
    *,
    organisation: Organisation | None = None,
    researcher: User | None = None,
    fixed: bool = True,
    yaml_text: str | None = None,
) -> Pilot:
    researcher = researcher or user_with_role(Role.RESEARCHER)
    yaml_text = yaml_text or config_yaml()
    project = pilot_project(researcher, yaml_text)
    organisation = organisation or OrganisationFactory.create()
    pilot = pilot_create(
        actor=None, project=project, organisation=organisation, name="Escalation pilot"
    )
    if fixed:
        pilot = pilot_fix_config(
            actor=researcher,
            pilot=pilot,
            config_yaml=yaml_text,
            protocol_version=project.versions.get(number=1),
        )
    return pilot


def pilot_project(
    researcher: User,
    yaml_text: str,
    *,
    published: bool = True,
    embargo_until: date | None = None,
) -> Project:
    """A registry project whose version 1 registers the experiment ``yaml_text`` (issue #13:
    a pilot's config is fixed only in a version that contains it)."""
    project = draft_project(
        author=researcher,
        data=content(outcomes=[], success_criteria={"combine": "all", "criteria": []}),
        study_type=StudyType.PILOT,
    )
    protocol_draft_add_pilot_experiment(
        actor=researcher, project=project, config=yaml.safe_load(yaml_text)
    )
    protocol_register(actor=researcher, project=project, embargo_until=embargo_until)
    if published:
        project_publish(actor=user_with_role(Role.EDITOR), project=project)
    project.refresh_from_db()
    return project


def analyst_of(pilot: Pilot) -> User:
    return user_with_role(Role.LA_ANALYST, organisation=pilot.organisation)


def synthetic_folder(out: Path, *, referrals: int = 1500, seed: int = 3) -> Path:
    dataset = generate(SynthConfig(referrals=referrals, years=3, seed=seed))
    write_dataset(dataset, out)
    return out


def zip_of(folder: Path, *, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.glob("*.csv")):
            zf.write(path, arcname=path.name)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def check_upload(upload: DatasetUpload) -> DatasetUpload:
    """Run an upload's check here, as a worker would (the queue's copy then finds it done)."""
    from whatworks.pilots import tasks

    tasks.dataset_check.call(str(upload.pk), str(upload.task_record_id))
    upload.refresh_from_db()
    return upload


def stored_dataset(pilot: Pilot, folder: Path, *, actor: User | None = None) -> Any:
    """A dataset of ``folder``'s tables, uploaded and checked through the services."""
    from whatworks.pilots.services.datasets import dataset_upload_start
    from whatworks.pilots.services.storage import incoming_root
    from whatworks.pilots.uploads import receiving_folder, stage_files

    received = stage_files(sorted(folder.glob("*.csv")), receiving_folder(incoming_root()))
    upload = check_upload(dataset_upload_start(actor=actor, pilot=pilot, received=received))
    assert upload.dataset is not None, upload.problems
    return upload.dataset


def offline_bundle(pilot: Pilot, tmp: Path, *, years: int = 5) -> dict[str, Any]:
    """What ``whatworks-analytics run`` writes on an analyst's machine, for this pilot
    (by default five years of referrals, so that every temporal split is used and the
    fairness audit has groups; a fresh copy)."""
    data: dict[str, Any] = json.loads(offline_bundle_text(pilot, years=years))
    return data


def offline_bundle_text(pilot: Pilot, *, years: int = 5) -> str:
    """That bundle's text as the analytics package writes it (its canonical JSON)."""
    return _offline_bundle_text(pilot.config_yaml, years)


@functools.lru_cache(maxsize=4)
def _offline_bundle_text(config_text: str, years: int) -> str:
    from whatworks_analytics.pilots.bundle import bundle_json

    config = parse_config(yaml.safe_load(config_text))
    referrals = 2000 if years > 3 else 1500
    dataset = generate(SynthConfig(referrals=referrals, years=years, seed=5))
    return bundle_json(engine_run(config, dataset).bundle)


def lift_registry_guard() -> None:
    """Transactional tests flush by DELETE, which the registry's triggers refuse."""
    guards.remove(connection)
    with connection.cursor() as cursor:
        for table in (
            "pilots_shadowscores",
            "pilots_shadowmodel",
            "pilots_run",
            "pilots_datasetupload",
            "pilots_dataset",
            "pilots_pilot",
        ):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute("DELETE FROM registry_resultsreport")
        cursor.execute("DELETE FROM registry_protocolversion")
    guards.install(connection)


# --- the permission matrix ---------------------------------------------------------------


def pilot_kwargs() -> dict[str, object]:
    return {"pilot_id": make_pilot().pk}


def run_kwargs() -> dict[str, object]:
    from whatworks.pilots.models import Run

    pilot = make_pilot()
    run = Run.objects.create(
        pilot=pilot,
        source=Run.Source.OFFLINE,
        status=Run.Status.SUCCEEDED,
        config_hash=pilot.config_hash,
        bundle={"verdict": {"status": "inconclusive", "sentence": "x"}},
    )
    return {"pilot_id": pilot.pk, "run_id": run.pk}


def upload_kwargs() -> dict[str, object]:
    from whatworks.pilots.models import DatasetUpload

    pilot = make_pilot()
    upload = DatasetUpload.objects.create(pilot=pilot, status=DatasetUpload.Status.REFUSED)
    return {"pilot_id": pilot.pk, "upload_id": upload.pk}


def make_dataset(pilot: Pilot | None = None, *, referrals: int = 120) -> Any:
    """A stored dataset row (no files): enough for pages and permissions."""
    from datetime import timedelta

    from django.utils import timezone

    from whatworks.pilots.models import Dataset

    return Dataset.objects.create(
        pilot=pilot or make_pilot(),
        row_counts={"children": referrals // 2, "referrals": referrals},
        delete_after=timezone.localdate() + timedelta(days=300),
    )


def dataset_kwargs() -> dict[str, object]:
    dataset = make_dataset()
    return {"pilot_id": dataset.pilot_id, "dataset_id": dataset.pk}


def shadow_scores_kwargs() -> dict[str, object]:
    """A frozen model's scores row (no files): enough for pages and permissions."""
    from whatworks.pilots.models import Run, ShadowModel, ShadowScores

    run_ids = run_kwargs()
    run = Run.objects.get(pk=str(run_ids["run_id"]))
    model = ShadowModel.objects.create(
        pilot=run.pilot, run=run, status=ShadowModel.Status.FROZEN, meta={"model": "logistic"}
    )
    scores = ShadowScores.objects.create(model=model, status=ShadowScores.Status.SCORED)
    return {"pilot_id": run.pilot_id, "scores_id": scores.pk}
