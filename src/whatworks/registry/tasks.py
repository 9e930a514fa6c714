"""Background tasks of the registry.  Tasks take ids, never objects."""

from __future__ import annotations

from django_tasks import task


@task()
def release_embargoes() -> int:
    """Stamp the release of every embargo whose date has come; return how many.

    Run daily by ``whatworks registry_release_embargoes`` from cron or a scheduler (that
    command enqueues nothing: it does the work itself), or enqueued on a worker.  Pages do
    not wait for it: a passed embargo date is public at once.
    """
    from whatworks.registry.services import embargoes_release

    return len(embargoes_release(actor=None))
