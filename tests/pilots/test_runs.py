"""Background runs: end to end, cancel, a dead worker's run shown failed and restartable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from tests.pilots.factories import (
    analyst_of,
    lift_registry_guard,
    make_pilot,
    synthetic_folder,
    zip_of,
)
from whatworks.core.models import AuditEntry
from whatworks.core.tasks_support import WorkerLostError, make_worker
from whatworks.pilots.models import Dataset, Run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _guard(transactional_db: Any) -> Iterator[None]:
    yield
    lift_registry_guard()


def run_queued_tasks() -> None:
    make_worker(worker_id="test-worker", batch=True, interval=0).run()


def _pilot_with_dataset(client, tmp_path: Path):  # type: ignore[no-untyped-def]
    pilot = make_pilot()
    analyst = analyst_of(pilot)
    client.force_login(analyst)
    folder = synthetic_folder(tmp_path / "data")
    client.post(
        reverse("pilots:dataset_upload", kwargs={"pilot_id": pilot.pk}),
        {"dataset": SimpleUploadedFile("data.zip", zip_of(folder))},
    )
    return pilot, Dataset.objects.get(pilot=pilot)


def _start(client, pilot, dataset):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("pilots:run_start", kwargs={"pilot_id": pilot.pk}), {"dataset": dataset.pk}
    )


def test_a_run_end_to_end(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
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
    assert run.verdict_sentence.split(":")[0] in report.content.decode()
    assert AuditEntry.objects.filter(action="pilot.run_finished").exists()


def test_a_run_can_be_cancelled(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
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


def test_a_failed_run_shows_why(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
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


def test_a_run_whose_worker_died_is_failed_and_can_start_again(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pilot, dataset = _pilot_with_dataset(client, tmp_path)
    _start(client, pilot, dataset)
    run = Run.objects.select_related("task_record").get()
    # The worker claimed it and died: the reaper marks the queue's task failed.
    result = DBTaskResult.objects.get(pk=run.task_record.task_id)
    result.claim("dead-worker")
    Run.objects.filter(pk=run.pk).update(status=Run.Status.RUNNING)
    result.set_failed(WorkerLostError("The worker running this task stopped without finishing it."))
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Failed" in page and "stopped without finishing" in page and "Start it again" in page
    response = _start(client, pilot, dataset)
    assert Run.objects.count() == 2
    run_queued_tasks()
    newest = Run.objects.order_by("-created_at").first()
    assert newest is not None and response["Location"] == newest.get_absolute_url()
    assert newest.status == Run.Status.SUCCEEDED


def test_analyst_of_another_authority_gets_404_on_run_and_task_status(
    client, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
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
