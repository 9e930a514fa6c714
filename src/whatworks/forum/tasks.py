"""Background tasks of the forum: thin wrappers that call a service.  Tasks take ids, never
objects."""

from __future__ import annotations

from django_tasks import task

from whatworks.forum import jobs
from whatworks.forum.services.analysis import analysis_recompute as recompute


@task()
def analysis_recompute(conversation_id: int) -> int:
    """Recompute a conversation's opinion analysis; return the stored run's id."""
    return recompute(conversation_id=conversation_id).pk


jobs.ANALYSIS_RECOMPUTE.bind(analysis_recompute)
