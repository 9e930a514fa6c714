"""The registry's daily work: each job bound to its task, enqueued by name, and each
command still doing the work itself (from cron)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django_tasks import default_task_backend

from whatworks.core import queue
from whatworks.registry import jobs, tasks, trial_tasks

DAILY = [
    (jobs.RELEASE_EMBARGOES, tasks.release_embargoes),
    (jobs.SEND_RESULTS_REMINDERS, tasks.send_results_reminders),
    (jobs.TRIAL_DATA_DELETE_EXPIRED, trial_tasks.trial_data_delete_expired),
]


def test_each_daily_job_is_done_by_its_task() -> None:
    for job, task in DAILY:
        assert job.task() is task


@pytest.mark.django_db
def test_each_daily_job_is_enqueued_by_its_name_without_arguments() -> None:
    for job, task in DAILY:
        result = default_task_backend.get_result(queue.enqueue(job))
        assert result.task.module_path == task.module_path
        assert result.args == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("registry_release_embargoes", "0 embargo(es) released."),
        ("registry_results_reminders", "0 team(s) told."),
        ("registry_trial_data_delete_expired", "0 expired trial dataset(s) deleted."),
    ],
)
def test_each_daily_command_does_the_work_itself(command: str, said: str) -> None:
    out = io.StringIO()
    call_command(command, stdout=out)
    assert said in out.getvalue()


@pytest.mark.django_db
def test_each_daily_task_runs_its_service() -> None:
    for _job, task in DAILY:
        assert task.call() == 0
