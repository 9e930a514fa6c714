"""One way for a service to put work on the queue, without importing the tasks.

A part's tasks are thin wrappers that call its services; a service that starts work in the
background would otherwise import the tasks back, and the two modules would import each
other.  Instead the part declares the job's name in ``<part>/jobs.py`` (a module that
imports nothing of the part), its tasks module registers the task under that name, and its
services enqueue by the name::

    # pilots/jobs.py
    from whatworks.core.queue import Job

    PILOT_RUN = Job("pilots.pilot_run")

    # pilots/tasks.py
    @task()
    def pilot_run(run_id: str, record_id: str) -> str:
        return services.run_execute(run_id=run_id, record_id=record_id)

    jobs.PILOT_RUN.bind(pilot_run)

    # pilots/services/runs.py
    task_start(actor=actor, kind="pilot_run", label=..., job=jobs.PILOT_RUN, args=[run.pk])

Every part's ``AppConfig.ready`` imports its tasks module, so the web process and the
worker know every job before the first request.  Enqueueing a job that no task is bound to
raises :class:`UnboundJobError` at once rather than losing the work.  Arguments are ids and
plain JSON values, never objects: the task reads what it needs from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext
from django_tasks.base import Task

JSONArg = str | int | float | bool | None | dict[str, Any] | list[Any]

_bound: dict[str, Task[Any, Any]] = {}


class UnboundJobError(LookupError):
    """A service enqueued a job that no tasks module has bound to a task."""


@dataclass(frozen=True)
class Job:
    """The name of a kind of background work, declared by the part that does it."""

    name: str

    def bind(self, task: Task[Any, Any]) -> None:
        """Say which task does this job (called once, by the part's tasks module).

        Binding the same task again is harmless (``ready`` and test reloads may run twice);
        binding a different task to a taken name is a programming error.
        """
        current = _bound.get(self.name)
        if current is not None and current.module_path != task.module_path:
            raise ValueError(
                f"Job {self.name!r} is already done by {current.module_path}; "
                f"{task.module_path} cannot take it too. Give the new job its own name."
            )
        _bound[self.name] = task

    def task(self) -> Task[Any, Any]:
        try:
            return _bound[self.name]
        except KeyError:
            raise UnboundJobError(
                gettext(
                    "No task does the job %(job)s. Import the part's tasks module in its "
                    "AppConfig.ready and call Job.bind there."
                )
                % {"job": repr(self.name)}
            ) from None


def enqueue(job: Job, args: Sequence[JSONArg] = (), *, run_after: datetime | None = None) -> str:
    """Put ``job`` on the queue with ``args``; return the queue's id for it.

    ``run_after`` defers it: no worker takes it before that time.
    """
    task = job.task()
    if run_after is not None:
        task = task.using(run_after=run_after)
    return str(task.enqueue(*args).id)


def bound_jobs() -> list[str]:
    """The names of the jobs that have a task, for the checks and the tests."""
    return sorted(_bound)
