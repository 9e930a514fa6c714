"""Background tasks of the forum.  Tasks take ids, never objects."""

from __future__ import annotations

from django_tasks import task

from whatworks.forum.models import AnalysisState


@task()
def analysis_recompute(conversation_id: int) -> int:
    """Recompute a conversation's opinion analysis; return the stored run's id.

    The debounce flag is cleared first, so that votes cast while this runs queue the next
    recompute instead of being missed.
    """
    from whatworks.forum.services import analysis_run

    AnalysisState.objects.filter(conversation_id=conversation_id).update(queued=False)
    return analysis_run(conversation_id=conversation_id).pk
