"""Demo pilots: Northmoor's with a synthetic dataset, a finished run and its model frozen
for the shadow phase; Southvale's
through the offline path (an uploaded result bundle).  Each fixes the experiment config
that its project's registered protocol contains.

Each sits on the registry's demo project of its authority (found by title, through
the pilots' adapter to the registry, ``analytics``).  Idempotent: a pilot is
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
from whatworks.pilots import analytics
from whatworks.pilots.models import Pilot, Run
from whatworks.pilots.services.datasets import dataset_upload_check, dataset_upload_start
from whatworks.pilots.services.pilots import pilot_create, pilot_fix_config
from whatworks.pilots.services.runs import bundle_upload, run_execute, run_start
from whatworks.pilots.services.shadow import shadow_freeze_execute, shadow_freeze_start
from whatworks.pilots.services.storage import incoming_root
from whatworks.pilots.uploads import receiving_folder, stage_files

PILOTS = (
    ("Northmoor escalation pilot", "northmoor", "Northmoor pilot", "platform", 11),
    ("Southvale escalation pilot", "southvale", "Southvale pilot", "offline", 12),
)


def _project(title_part: str) -> Any:
    return analytics.registry_demo_project(title_part)


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
        version = project.versions.order_by("-number").first()
        experiments = version.content.get("pilot_experiments") or []
        if not experiments:
            stdout.write(f"  pilots: {project.reference} registers no experiment; skipped\n")
            continue
        pilot = pilot_create(actor=None, project=project, organisation=organisation, name=name)
        pilot = pilot_fix_config(
            actor=researcher,
            pilot=pilot,
            # The config registered in the protocol (issue #13: one set of criteria).
            config_yaml=yaml.safe_dump(experiments[0]["config"], sort_keys=False),
            protocol_version=version,
        )
        analyst = User.objects.filter(
            organisation=organisation, email__startswith="analyst"
        ).first()
        synthetic = {"referrals": 3000, "years": 3, "seed": seed}
        if path == "platform":
            with tempfile.TemporaryDirectory() as tmp:
                folder = analytics.synthetic_dataset_write(**synthetic, folder=Path(tmp) / "data")
                received = stage_files(
                    sorted(folder.glob("*.csv")), receiving_folder(incoming_root())
                )
            upload = dataset_upload_start(actor=analyst, pilot=pilot, received=received)
            dataset_upload_check(upload_id=upload.pk, record_id=str(upload.task_record_id))
            upload.refresh_from_db()
            if upload.dataset is None:
                stdout.write(f"  pilots: the demo dataset was refused: {upload.problems}\n")
                continue
            run = run_start(actor=analyst, pilot=pilot, dataset=upload.dataset)
            run_execute(run_id=run.pk, record_id=str(run.task_record_id))
            # The shadow phase begins: the run's model frozen (later extracts would be
            # scored by it; the demo has none yet).
            model = shadow_freeze_start(actor=analyst, run=Run.objects.get(pk=run.pk))
            shadow_freeze_execute(model_id=model.pk, record_id=str(model.task_record_id))
        else:
            with tempfile.TemporaryDirectory() as tmp:
                folder = analytics.synthetic_dataset_write(**synthetic, folder=Path(tmp) / "data")
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
