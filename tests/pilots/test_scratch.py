"""The scratch area of raw uploads: a real worker killed (SIGKILL) in the middle of a
check leaves raw files behind, and the next worker's start removes them; the sweep keeps
what live processes are using and tightens every mode under the private data root."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.pilots.factories import (
    analyst_of,
    lift_registry_guard,
    make_pilot,
    synthetic_folder,
    zip_of,
)
from tests.workers import WORKER, as_if_silent_for_an_hour, wait_for, worker_env, writes_held
from whatworks.core.models import AuditEntry
from whatworks.core.tasks_support import make_worker, process_started_send
from whatworks.pilots.models import Dataset, DatasetUpload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _guard(transactional_db: Any) -> Iterator[None]:
    yield
    lift_registry_guard()


def _incoming() -> Path:
    return Path(settings.PRIVATE_DATA_ROOT) / "pilots" / "incoming"


def _files_holding(roots: list[Path], sample: list[bytes]) -> list[Path]:
    """Every file under ``roots`` that holds any of ``sample``."""
    found = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                try:
                    blob = path.read_bytes()
                except FileNotFoundError:
                    continue  # removed while we looked
                if any(s in blob for s in sample):
                    found.append(path)
    return found


@pytest.mark.slow
def test_a_worker_killed_mid_check_leaves_no_raw_id_after_the_next_start(
    client: Client, tmp_path: Path
) -> None:
    pilot = make_pilot()
    client.force_login(analyst_of(pilot))
    folder = synthetic_folder(tmp_path / "data", referrals=20000)
    raw_ids = pl.read_csv(folder / "children.csv")["child_id"].to_list()
    sample = [str(i).encode() for i in raw_ids[:25]]
    client.post(
        reverse("pilots:dataset_upload", kwargs={"pilot_id": pilot.pk}),
        {"dataset": SimpleUploadedFile("data.zip", zip_of(folder))},
    )
    upload = DatasetUpload.objects.get()
    roots = [Path(settings.PRIVATE_DATA_ROOT), Path(settings.VAR_DIR)]
    database = Path(settings.DATABASES["default"]["NAME"])
    if database.is_absolute() and database.exists():
        roots.append(database.parent)  # the SQLite file with its -wal and -shm
    tables = _incoming() / str(upload.pk) / "tables"

    worker = subprocess.Popen(WORKER, env=worker_env())
    try:
        wait_for(
            lambda: DatasetUpload.objects.filter(
                pk=upload.pk, status=DatasetUpload.Status.CHECKING
            ).exists(),
            "the worker to start the check",
        )
        # Its next write comes after the raw tables are unpacked: held, it waits there.
        with writes_held("core_taskrecord", "pilots_datasetupload"):
            wait_for(lambda: _files_holding([tables], sample), "the raw tables to be unpacked")
            assert worker.poll() is None, "the worker is still in the check"
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL
    left = _files_holding(roots, sample)
    assert left and all(_incoming() in p.parents for p in left), "the crash left raw files"
    upload.refresh_from_db()
    assert upload.status == DatasetUpload.Status.CHECKING, "nobody finished it"

    # The next worker to start (here, in this process) fails the lost task, then sweeps:
    # the killed one's heartbeat is moved back rather than waited out, as the run's test does.
    as_if_silent_for_an_hour()
    make_worker(worker_id="next-worker", batch=True, interval=0).run()

    assert _files_holding(roots, sample) == [], "no raw id anywhere"
    assert not (_incoming() / str(upload.pk)).exists()
    upload.refresh_from_db()
    assert upload.status == DatasetUpload.Status.FAILED and "Upload the files again" in upload.error
    assert not Dataset.objects.exists()
    assert AuditEntry.objects.filter(action="pilot.dataset_upload_failed").count() == 1
    page = client.get(upload.get_absolute_url()).content.decode()
    assert "stopped without finishing" in page and "Upload the files again" in page


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _put(path: Path, data: bytes = b"child_id\nC777777\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o644)
    return path


def test_the_sweep_keeps_live_work_and_removes_what_crashed_processes_left(
    client: Client, tmp_path: Path
) -> None:
    pilot = make_pilot()
    client.force_login(analyst_of(pilot))
    client.post(
        reverse("pilots:dataset_upload", kwargs={"pilot_id": pilot.pk}),
        {"dataset": SimpleUploadedFile("children.csv", b"child_id\nC1\n")},
    )
    queued = DatasetUpload.objects.get()
    refused = DatasetUpload.objects.create(pilot=pilot, status=DatasetUpload.Status.REFUSED)
    host = socket.gethostname()
    incoming = _incoming()
    orphan = _put(incoming / str(uuid.uuid4()) / "tables" / "children.csv")
    finished = _put(incoming / str(refused.pk) / "received" / "000")
    stray = _put(incoming / "children.csv")
    dead = _put(incoming / "receiving" / f"{host}-{_dead_pid()}-ab12" / "000")
    alive = _put(incoming / "receiving" / f"{host}-{os.getpid()}-cd34" / "000")
    elsewhere = _put(incoming / "receiving" / "another-machine-4242-ef56" / "000")
    stored = _put(Path(settings.PRIVATE_DATA_ROOT) / "pilots" / str(pilot.pk) / "x.parquet")

    process_started_send(role="web")  # as `whatworks serve` does before its first request

    for gone in (orphan, finished, stray, dead):
        assert not gone.exists(), gone
    for kept in (alive, elsewhere, stored):
        assert kept.exists(), kept
    assert (incoming / str(queued.pk) / "received").is_dir(), "a queued check keeps its files"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600, "old data is tightened"
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    assert AuditEntry.objects.filter(action="pilot.incoming_swept").count() == 1

    # A worker's start sweeps too; it then checks the queued upload (whose files go).
    orphan = _put(incoming / str(uuid.uuid4()) / "received" / "000")
    make_worker(worker_id="sweeping-worker", batch=True, interval=0).run()
    assert not orphan.exists()
    queued.refresh_from_db()
    assert queued.status == DatasetUpload.Status.REFUSED
    assert not (incoming / str(queued.pk)).exists()


def test_a_check_whose_task_failed_loses_its_files_at_the_sweep(client: Client) -> None:
    from django_tasks_db.models import DBTaskResult

    pilot = make_pilot()
    client.force_login(analyst_of(pilot))
    client.post(
        reverse("pilots:dataset_upload", kwargs={"pilot_id": pilot.pk}),
        {"dataset": SimpleUploadedFile("children.csv", b"child_id\nC1\n")},
    )
    upload = DatasetUpload.objects.select_related("task_record").get()
    assert upload.task_record is not None
    DBTaskResult.objects.filter(pk=upload.task_record.task_id).update(status="FAILED")
    process_started_send(role="web")
    assert not (_incoming() / str(upload.pk)).exists()
    upload.refresh_from_db()
    assert upload.status == DatasetUpload.Status.FAILED
