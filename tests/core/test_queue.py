"""The one way to enqueue: jobs declared by name, bound to a task by the part's tasks."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django_tasks import task
from django_tasks.base import Task

import whatworks
from whatworks.core import queue
from whatworks.core.queue import Job, UnboundJobError


@task()
def _echo(value: str, record_id: str) -> str:
    return f"{value}:{record_id}"


@task()
def _other(value: str, record_id: str) -> str:
    return value


def test_an_unbound_job_fails_loudly_and_says_how_to_fix_it() -> None:
    with pytest.raises(UnboundJobError, match=r"tests\.nobody.*AppConfig\.ready"):
        queue.enqueue(Job("tests.nobody"), ["x"])


@pytest.mark.django_db
def test_a_bound_job_is_enqueued_with_its_arguments() -> None:
    job = Job("tests.echo")
    job.bind(_echo)
    job.bind(_echo)  # binding twice (ready running twice) is harmless
    queue_id = queue.enqueue(job, ["hello", "rec-1"])
    from django_tasks import default_task_backend

    result = default_task_backend.get_result(queue_id)
    assert result.args == ["hello", "rec-1"]
    assert result.task.module_path == _echo.module_path


def test_a_name_cannot_be_taken_by_a_second_task() -> None:
    Job("tests.taken").bind(_echo)
    with pytest.raises(ValueError, match="already done by"):
        Job("tests.taken").bind(_other)


def test_every_declared_job_has_a_task_once_django_is_ready() -> None:
    """Each part's ``jobs.py`` names its jobs; its ``AppConfig.ready`` must import the
    tasks that bind them, or the web process could not enqueue them."""
    declared = []
    for info in pkgutil.iter_modules(whatworks.__path__):
        try:
            module = importlib.import_module(f"whatworks.{info.name}.jobs")
        except ModuleNotFoundError:
            continue
        declared += [value.name for value in vars(module).values() if isinstance(value, Job)]
    assert set(declared) <= set(queue.bound_jobs())


def test_every_task_of_the_platform_is_bound_to_a_job() -> None:
    """A task no job names could be queued only by importing it, round the one helper."""
    bound = {queue.Job(name).task().module_path for name in queue.bound_jobs()}
    unbound = []
    for info in pkgutil.iter_modules(whatworks.__path__):
        for module_name in ("tasks", "trial_tasks"):
            try:
                module = importlib.import_module(f"whatworks.{info.name}.{module_name}")
            except ModuleNotFoundError:
                continue
            unbound += [
                f"{module.__name__}.{name}"
                for name, value in vars(module).items()
                if isinstance(value, Task) and value.module_path not in bound
            ]
    assert bound, "the check found no bound task at all: it is broken"
    assert unbound == []


@pytest.mark.django_db
def test_a_job_can_be_deferred_until_a_time() -> None:
    from datetime import UTC, datetime

    from django_tasks import default_task_backend

    job = Job("tests.echo")
    job.bind(_echo)
    when = datetime(2031, 1, 2, 3, 4, tzinfo=UTC)
    result = default_task_backend.get_result(queue.enqueue(job, ["later", "rec-2"], run_after=when))
    assert result.task.run_after == when
    assert result.args == ["later", "rec-2"]
