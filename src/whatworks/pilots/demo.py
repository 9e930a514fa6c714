"""Demo pilots: Northmoor's with a synthetic dataset and a finished run; Southvale's
through the offline path (an uploaded result bundle).

Each sits on the registry's demo project of its authority (found by title, through the
pilot's foreign key, so this module does not import the registry).  Idempotent: a pilot is
found by its name; nothing that exists is touched.  The synthetic data is small (a few
thousand referrals) so that the demo loads in seconds.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml

from whatworks.core.demo import Writer
from whatworks.core.models import Organisation, User
from whatworks.pilots import analytics, tasks
from whatworks.pilots.models import Pilot
from whatworks.pilots.services import (
    bundle_upload,
    dataset_upload_start,
    incoming_root,
    pilot_create,
    pilot_fix_config,
    run_start,
)
from whatworks.pilots.uploads import receiving_folder, stage_files
from whatworks_analytics.pilots.synth import SynthConfig, generate, write_dataset

CONFIG: dict[str, Any] = {
    "config_version": 1,
    "name": "escalation-within-a-year",
    "description": "Each referral is a decision point: could a model flagging the 10% a team "
    "can look at again pick out the children who go on to a plan or care?",
    "seed": 20240401,
    "outcome": {"events": ["cp_plan", "looked_after"], "window_days": 365},
    "models": [
        {"name": "baseline", "kind": "baseline"},
        {"name": "logistic", "kind": "logistic", "params": {"C": 1.0}},
    ],
    "splits": {"n_splits": 3, "test_days": 182, "kfold": 0},
    "operating_point": {"top_percent": 10},
    "success": {
        "model": "logistic",
        "combine": "all",
        "criteria": [
            {"metric": "precision", "op": ">=", "value": 0.65},
            {"metric": "recall", "op": ">=", "value": 0.5},
        ],
    },
    "fairness": {
        "attributes": ["ethnicity", "sex", "age_band", "disability"],
        "reference": {"ethnicity": "white"},
        "band": {"low": 0.8, "high": 1.25},
        "action": "assistive",
        "min_group_size": 50,
        "min_denominator": 20,
    },
    "ethics": {
        "purpose_proportionality": {"answer": "yes", "note": "Offer of early help only."},
        "data_quality": {"answer": "partly", "note": "Ethnicity not known for 6% of children."},
        "dpia": {"answer": "partly", "note": "Draft DPIA with the DPO."},
    },
    "bootstrap": {"replicates": 50},
}

PILOTS = (
    ("Northmoor escalation pilot", "northmoor", "Northmoor pilot", "platform", 11),
    ("Southvale escalation pilot", "southvale", "Southvale pilot", "offline", 12),
)


def _project(title_part: str) -> Any:
    projects = Pilot._meta.get_field("project").related_model._default_manager  # type: ignore[union-attr]
    return projects.filter(title__icontains=title_part, versions__isnull=False).first()


def load(*, stdout: Writer) -> None:
    researcher = User.objects.filter(email="researcher@demo.test").first()
    for name, slug, title_part, path, seed in PILOTS:
        if Pilot.objects.filter(name=name).exists():
            continue
        organisation = Organisation.objects.filter(slug=slug).first()
        project = _project(title_part)
        if organisation is None or project is None:
            stdout.write(f"  pilots: no {slug} authority or registered project; skipped\n")
            continue
        pilot = pilot_create(actor=None, project=project, organisation=organisation, name=name)
        pilot = pilot_fix_config(
            actor=researcher,
            pilot=pilot,
            config_yaml=yaml.safe_dump(CONFIG, sort_keys=False),
            protocol_version=project.versions.order_by("-number").first(),
        )
        analyst = User.objects.filter(
            organisation=organisation, email__startswith="analyst"
        ).first()
        synthetic = generate(SynthConfig(referrals=3000, years=3, seed=seed))
        if path == "platform":
            with tempfile.TemporaryDirectory() as tmp:
                folder = write_dataset(synthetic, Path(tmp) / "data")
                received = stage_files(
                    sorted(folder.glob("*.csv")), receiving_folder(incoming_root())
                )
            upload = dataset_upload_start(actor=analyst, pilot=pilot, received=received)
            tasks.dataset_check.call(str(upload.pk), str(upload.task_record_id))
            upload.refresh_from_db()
            if upload.dataset is None:
                stdout.write(f"  pilots: the demo dataset was refused: {upload.problems}\n")
                continue
            run = run_start(actor=analyst, pilot=pilot, dataset=upload.dataset)
            tasks.pilot_run.call(str(run.pk), str(run.task_record_id))
        else:
            with tempfile.TemporaryDirectory() as tmp:
                folder = write_dataset(synthetic, Path(tmp) / "data")
                config, _ = analytics.config_parse(pilot.config_yaml)
                bundle, _ = analytics.run_pilot(
                    config=config, folder=_as_parquet(folder), progress=lambda s, f: None
                )
            bundle_upload(actor=analyst, pilot=pilot, text=json.dumps(bundle))
        stdout.write(f"  pilots: {name} ({path})\n")


def _as_parquet(folder: Path) -> Path:
    frames = analytics.dataset_read(folder)
    out = folder.parent / "parquet"
    analytics.dataset_write(frames, out)
    return out
