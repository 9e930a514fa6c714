"""Background tasks: progress pages, the audit export, and workers that die mid-task."""

from __future__ import annotations

import csv
import io
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from tests.factories import UserFactory
from tests.workers import as_if_silent_for_an_hour, worker_env
from whatworks.core import jobs
from whatworks.core.models import AuditEntry, TaskRecord
from whatworks.core.roles import Role
from whatworks.core.services.audit import audit_record
from whatworks.core.services.background import task_start, tasks_reap_lost
from whatworks.core.tasks_support import make_worker, task_state


def run_queued_tasks() -> None:
    make_worker(worker_id="test-worker", batch=True, interval=0).run()


@pytest.mark.django_db(transaction=True)
def test_audit_export_runs_in_the_background_and_is_formula_safe(client: Client) -> None:
    admin = UserFactory.create(roles=frozenset({Role.ADMIN}))
    audit_record(actor=None, action="=cmd|' /C calc'!A0")
    client.force_login(admin)
    response = client.post(reverse("core:audit_export"), {"action": ""})
    record = TaskRecord.objects.get(kind="audit_export")
    assert response["Location"] == reverse("core:task_detail", args=[record.pk])
    record.refresh_from_db()
    assert record.task_id, "the task is enqueued once the transaction commits"
    assert task_state(record).status == "READY"

    run_queued_tasks()

    record.refresh_from_db()
    state = task_state(record)
    assert state.status == "SUCCESSFUL" and state.percent == 100
    page = client.get(reverse("core:task_detail", args=[record.pk])).content.decode()
    assert "Finished." in page and "Download the result" in page
    assert "hx-trigger" not in page, "a finished task stops polling"

    download = client.get(state.result_url)
    assert download.status_code == 200
    assert isinstance(download, StreamingHttpResponse)
    body = b"".join(download.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["time", "actor", "action"]
    actions = [row[2] for row in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in actions
    assert AuditEntry.objects.filter(action="audit.export_downloaded", actor=admin).exists()


@pytest.mark.django_db
def test_task_page_refreshes_itself_with_htmx_while_running(client: Client) -> None:
    owner = UserFactory.create()
    record = TaskRecord.objects.create(
        kind="x", label="Long job", owner=owner, progress=0.4, message="Halfway"
    )
    client.force_login(owner)
    page = client.get(reverse("core:task_detail", args=[record.pk])).content.decode()
    assert "<html" in page and 'hx-trigger="every 1s"' in page
    fragment = client.get(
        reverse("core:task_detail", args=[record.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in fragment
    assert "Waiting for a worker" in fragment and "Halfway" in fragment


@pytest.mark.django_db
def test_only_the_owner_or_an_admin_sees_a_task(client: Client) -> None:
    record = TaskRecord.objects.create(kind="x", label="Mine", owner=UserFactory.create())
    client.force_login(UserFactory.create(roles=frozenset({Role.RESEARCHER})))
    assert client.get(reverse("core:task_detail", args=[record.pk])).status_code == 404
    client.force_login(UserFactory.create(roles=frozenset({Role.ADMIN})))
    assert client.get(reverse("core:task_detail", args=[record.pk])).status_code == 200


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_leaves_it_failed_not_running() -> None:
    record = task_start(
        actor=None,
        kind="queue_selfcheck",
        label="Slow self-check",
        job=jobs.QUEUE_SELFCHECK,
        args=[100, 0.2],
    )
    record.refresh_from_db()
    command = [sys.executable, "-m", "whatworks.cli", "worker", "--interval", "0.1"]
    worker = subprocess.Popen(command, env=worker_env())
    try:
        # A safety net against a hung worker, not a deadline: on a loaded 2-core machine a
        # worker's start (Django setup) has taken over 30 s.
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and worker.poll() is None:
            record.refresh_from_db()
            if record.progress > 0:
                break
            time.sleep(0.1)
        assert record.progress > 0, "the worker never started the task"
        assert DBTaskResult.objects.get(pk=record.task_id).status == "RUNNING"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert DBTaskResult.objects.get(pk=record.task_id).status == "RUNNING"

    as_if_silent_for_an_hour()
    subprocess.run([*command[:-2], "--batch"], env=worker_env(), check=True, timeout=600)

    result = DBTaskResult.objects.get(pk=record.task_id)
    assert result.status == "FAILED"
    state = task_state(record)
    assert "stopped without finishing" in state.error
    assert AuditEntry.objects.filter(action="task.worker_lost").count() == 1


@pytest.mark.django_db(transaction=True)
def test_reaping_leaves_tasks_of_live_workers_alone() -> None:
    from whatworks.core.services.background import worker_heartbeat

    record = task_start(
        actor=None,
        kind="queue_selfcheck",
        label="x",
        job=jobs.QUEUE_SELFCHECK,
        args=[5, 0.2],
    )
    record.refresh_from_db()
    result = DBTaskResult.objects.get(pk=record.task_id)
    result.claim("live-worker")
    worker_heartbeat(worker_id="live-worker")
    assert result.started_at is not None
    DBTaskResult.objects.filter(pk=result.pk).update(
        started_at=result.started_at - timedelta(hours=1)
    )
    assert tasks_reap_lost(lost_after=timedelta(seconds=30)) == 0
    assert DBTaskResult.objects.get(pk=result.pk).status == "RUNNING"
