"""Background runs: end to end, cancel, and a real worker process killed (SIGKILL) in the
middle of a run: its run is shown failed with the reason and can be started again."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from tests.fixturetypes import ClientResponse
from tests.pilots.factories import (
    analyst_of,
    config_yaml,
    lift_registry_guard,
    make_pilot,
    synthetic_folder,
    zip_of,
)
from tests.workers import WORKER, as_if_silent_for_an_hour, wait_for, worker_env, writes_held
from whatworks.core.models import AuditEntry
from whatworks.core.tasks_support import make_worker
from whatworks.pilots import analytics
from whatworks.pilots.models import Dataset, DatasetUpload, Pilot, Run
from whatworks.pilots.services.storage import data_root

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _guard(transactional_db: Any) -> Iterator[None]:
    yield
    lift_registry_guard()


def run_queued_tasks() -> None:
    make_worker(worker_id="test-worker", batch=True, interval=0).run()


def _pilot_with_dataset(
    client: Client, tmp_path: Path, referrals: int = 1500
) -> tuple[Pilot, Dataset]:
    pilot = make_pilot()
    analyst = analyst_of(pilot)
    client.force_login(analyst)
    folder = synthetic_folder(tmp_path / "data", referrals=referrals)
    client.post(
        reverse("pilots:dataset_upload", kwargs={"pilot_id": pilot.pk}),
        {"dataset": SimpleUploadedFile("data.zip", zip_of(folder))},
    )
    run_queued_tasks()  # the upload's check
    return pilot, Dataset.objects.get(pilot=pilot)


def _start(client: Client, pilot: Pilot, dataset: Dataset) -> ClientResponse:
    return client.post(
        reverse("pilots:run_start", kwargs={"pilot_id": pilot.pk}), {"dataset": dataset.pk}
    )


def test_a_run_end_to_end(client: Client, tmp_path: Path) -> None:
    pilot, dataset = _pilot_with_dataset(client, tmp_path)
    response = _start(client, pilot, dataset)
    run = Run.objects.get()
    assert response["Location"] == run.get_absolute_url()
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Queued" in page and 'hx-trigger="every 1s"' in page and "Cancel the run" in page

    run_queued_tasks()

    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED, run.error
    assert run.config_hash == pilot.config_hash and run.bundle is not None
    fragment = client.get(run.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "See the report" in fragment and "hx-trigger" not in fragment
    report = client.get(reverse("pilots:report", kwargs={"pilot_id": pilot.pk, "run_id": run.pk}))
    html = report.content.decode()
    assert run.verdict_sentence.split(":")[0] in html
    # The three questions come first, styled as in the download.
    assert (
        html.index('id="headline"') < html.index("Can it be useful?") < html.index('id="verdict"')
    )
    assert "What the model uses" in html and "pilots/report.css" in html
    assert AuditEntry.objects.filter(action="pilot.run_finished").exists()


def test_a_run_can_be_cancelled(client: Client, tmp_path: Path) -> None:
    pilot, dataset = _pilot_with_dataset(client, tmp_path)
    _start(client, pilot, dataset)
    run = Run.objects.get()
    client.post(reverse("pilots:run_cancel", kwargs={"pilot_id": pilot.pk, "run_id": run.pk}))
    run_queued_tasks()
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED and run.bundle is None
    assert AuditEntry.objects.filter(action="pilot.run_cancel_requested").exists()
    # a cancelled run's dataset can be run again
    _start(client, pilot, dataset)
    assert Run.objects.count() == 2


def test_a_failed_run_shows_why(client: Client, tmp_path: Path) -> None:
    pilot, dataset = _pilot_with_dataset(client, tmp_path)
    _start(client, pilot, dataset)
    from django.conf import settings

    for path in Path(settings.PRIVATE_DATA_ROOT).rglob("children.parquet"):
        path.unlink()
    run_queued_tasks()
    run = Run.objects.get()
    assert run.status == Run.Status.FAILED
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Failed" in page and "logged for the administrators" in page
    assert "Start it again" in page


@pytest.mark.slow
def test_a_run_whose_worker_is_killed_mid_run_is_failed_and_can_start_again(
    client: Client, tmp_path: Path
) -> None:
    # Big enough that the run takes a while; the held writes make "mid-run" certain.
    pilot, dataset = _pilot_with_dataset(client, tmp_path, referrals=30000)
    _start(client, pilot, dataset)
    run = Run.objects.select_related("task_record").get()
    assert run.task_record is not None
    worker = subprocess.Popen(WORKER, env=worker_env())
    try:
        wait_for(
            lambda: Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING).exists(),
            "the worker to start the run",
        )
        with writes_held("core_taskrecord", "pilots_run"):
            assert Run.objects.get(pk=run.pk).status == Run.Status.RUNNING
            assert DBTaskResult.objects.get(pk=run.task_record.task_id).status == "RUNNING"
            time.sleep(0.3)  # the worker reaches its next write and waits there
            assert worker.poll() is None, "the worker is still in the run"
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING and run.bundle is None, "nobody finished it"
    assert DBTaskResult.objects.get(pk=run.task_record.task_id).status == "RUNNING"
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Running" in page and "Start it again" not in page

    # The next live worker (here in this process) reaps the task of the one that stopped
    # beating, at its start.
    as_if_silent_for_an_hour()
    run_queued_tasks()

    assert DBTaskResult.objects.get(pk=run.task_record.task_id).status == "FAILED"
    assert AuditEntry.objects.filter(action="task.worker_lost").count() == 1
    run.refresh_from_db()  # the run's own row agrees with the queue (core's task_lost)
    assert run.status == Run.Status.FAILED and "stopped without finishing" in run.error
    assert AuditEntry.objects.filter(action="pilot.run_failed").count() == 1
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Failed" in page and "stopped without finishing" in page
    assert "Start it again" in page and 'hx-trigger="every 1s"' not in page
    detail = client.get(pilot.get_absolute_url()).content.decode()
    assert "Failed: The worker running this task stopped without finishing it" in detail

    response = _start(client, pilot, dataset)
    newest = Run.objects.order_by("-created_at").first()
    assert newest is not None and newest.pk != run.pk
    assert response["Location"] == newest.get_absolute_url()
    run_queued_tasks()
    newest.refresh_from_db()
    assert newest.status == Run.Status.SUCCEEDED, newest.error
    assert newest.config_hash == pilot.config_hash and newest.bundle is not None


def test_analyst_of_another_authority_gets_404_on_run_and_task_status(
    client: Client, tmp_path: Path
) -> None:
    from tests.factories import user_with_role
    from whatworks.core.roles import Role

    pilot, dataset = _pilot_with_dataset(client, tmp_path)
    _start(client, pilot, dataset)
    run = Run.objects.get()
    client.force_login(user_with_role(Role.LA_ANALYST))
    assert client.get(run.get_absolute_url()).status_code == 404
    assert client.get(reverse("core:task_detail", args=[run.task_record_id])).status_code == 404
    assert _start(client, pilot, dataset).status_code == 404
    cancel = reverse("pilots:run_cancel", kwargs={"pilot_id": pilot.pk, "run_id": run.pk})
    assert client.post(cancel).status_code == 404


def test_offline_and_platform_runs_of_the_same_files_give_the_same_numbers(
    client: Client, tmp_path: Path
) -> None:
    """Issue #13, item 5: ``whatworks-analytics run`` on the raw files and the platform's
    upload -> pseudonymise -> run give identical bundles, fingerprint included.  LightGBM
    is in the config because its binning follows row order, which used to follow the
    (pseudonymised) referral ids."""
    from whatworks_analytics.cli import main as analytics_main

    yaml_text = config_yaml(
        models=[
            {"name": "baseline", "kind": "baseline"},
            {
                "name": "lightgbm",
                "kind": "lightgbm",
                "params": {"n_estimators": 60, "num_leaves": 15, "n_jobs": 1},
            },
        ],
        success={
            "model": "lightgbm",
            "combine": "all",
            "criteria": [{"metric": "precision", "op": ">=", "value": 0.65}],
        },
    )
    pilot = make_pilot(yaml_text=yaml_text)
    config_file = tmp_path / "experiment.yaml"
    config_file.write_text(pilot.config_yaml, encoding="utf-8")
    folder = synthetic_folder(tmp_path / "data", referrals=3000, seed=11)
    assert (
        analytics_main(
            [
                "run",
                str(config_file),
                "--data",
                str(folder),
                "--out",
                str(tmp_path / "out"),
                "--quiet",
            ]
        )
        == 0
    )
    offline = json.loads((tmp_path / "out" / "bundle.json").read_text(encoding="utf-8"))

    client.force_login(analyst_of(pilot))
    client.post(
        reverse("pilots:dataset_upload", kwargs={"pilot_id": pilot.pk}),
        {"dataset": SimpleUploadedFile("data.zip", zip_of(folder))},
    )
    assert not Dataset.objects.exists(), "the web process only queues the check"
    run_queued_tasks()  # the upload's check, in the worker: fingerprint, then pseudonymise
    upload = DatasetUpload.objects.get(pilot=pilot)
    assert upload.status == DatasetUpload.Status.STORED, upload.problems
    dataset = Dataset.objects.get(pilot=pilot)
    assert upload.dataset == dataset
    _start(client, pilot, dataset)
    run_queued_tasks()
    run = Run.objects.get()
    assert run.status == Run.Status.SUCCEEDED, run.error
    platform = run.bundle
    assert platform is not None

    def pooled(bundle: dict[str, Any]) -> dict[str, Any]:
        return next(
            r["metrics"]
            for r in bundle["results"]
            if r["model"] == "lightgbm" and r["split"] is None and r["evaluation"] == "temporal"
        )

    assert pooled(platform) == pooled(offline)
    assert dataset.fingerprint == offline["data"]["fingerprint"]
    assert platform["data"]["fingerprint"] == offline["data"]["fingerprint"]
    assert platform == offline

    # The same files in another authority: other pseudonyms (issue #14's per-authority
    # key), the same numbers (the engine orders rows by content, not by id).
    other = make_pilot(yaml_text=yaml_text)
    assert other.organisation_id != pilot.organisation_id
    client.force_login(analyst_of(other))
    client.post(
        reverse("pilots:dataset_upload", kwargs={"pilot_id": other.pk}),
        {"dataset": SimpleUploadedFile("data.zip", zip_of(folder))},
    )
    run_queued_tasks()
    other_dataset = Dataset.objects.get(pilot=other)
    _start(client, other, other_dataset)
    run_queued_tasks()
    other_run = Run.objects.get(pilot=other)
    assert other_run.status == Run.Status.SUCCEEDED, other_run.error

    def ids(stored: Dataset) -> set[str]:
        table, columns = next((t, c) for t, c in analytics.id_columns().items() if c)
        frame = pl.read_parquet(data_root() / stored.folder / f"{table}.parquet")
        return {str(v) for v in frame[columns[0]].to_list()}

    assert ids(dataset).isdisjoint(ids(other_dataset))
    assert other_dataset.fingerprint == dataset.fingerprint
    assert other_run.bundle == offline
