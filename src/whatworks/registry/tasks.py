"""Background tasks of the registry: thin wrappers that call a service, each bound to its
job (``jobs.py``).  Tasks take ids, never objects."""

from __future__ import annotations

from django_tasks import task

from whatworks.registry import jobs


@task()
def release_embargoes() -> int:
    """Stamp the release of every embargo whose date has come; return how many.

    Run daily by ``whatworks registry_release_embargoes`` from cron or a scheduler (that
    command enqueues nothing: it does the work itself), or enqueued on a worker.  Pages do
    not wait for it: a passed embargo date is public at once.
    """
    from whatworks.registry.services.projects import embargoes_release

    return len(embargoes_release(actor=None))


@task()
def send_results_reminders() -> int:
    """Tell each team whose results are due soon or overdue, once per state; return how
    many were told.  Run daily by ``whatworks manage registry_results_reminders`` (which
    does the work itself) or enqueued on a worker."""
    from whatworks.registry.services.reminders import results_reminders_send

    return len(results_reminders_send())


jobs.RELEASE_EMBARGOES.bind(release_embargoes)
jobs.SEND_RESULTS_REMINDERS.bind(send_results_reminders)
