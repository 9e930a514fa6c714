"""Import and export of conversations in the Pol.is open-data layout.

The export writes ``comments.csv``, ``votes.csv``, ``participants-votes.csv`` and
``summary.csv`` (plus an ``is-meta`` column in comments.csv, which the reader accepts):
statement numbers are the ``comment-id``s, participant ids the ``voter-id``s, and the
groups of the latest analysis fill ``group-id``.  The import recreates statements (keeping
their numbers, moderation and meta flags), participants (as ``polis-<pid>``) and the vote
log in its original order, so the latest vote still wins.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.forum import analytics
from whatworks.forum.errors import ForumError
from whatworks.forum.models import (
    STATEMENT_MAX_LENGTH,
    AnalysisState,
    Conversation,
    Participant,
    Statement,
    Vote,
)

MODERATED = {
    Statement.Status.ACCEPTED: 1,
    Statement.Status.PENDING: 0,
    Statement.Status.REJECTED: -1,
}
STATUS = {value: status for status, value in MODERATED.items()}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def to_polis_ms(moment: datetime) -> int:
    """Pol.is's timestamp: whole milliseconds since the epoch, in integer arithmetic (a
    float ``timestamp() * 1000`` can come out a millisecond short), as the replay counts."""
    return (moment - _EPOCH) // _MILLISECOND


def from_polis_ms(value: int) -> datetime:
    return _EPOCH + value * _MILLISECOND


def conversation_export(
    *, actor: User | None, conversation: Conversation, directory: str | Path
) -> None:
    """Write the conversation into ``directory`` in the Pol.is layout (audited)."""
    from whatworks.forum.selectors import latest_run

    comments = [
        (s.number, s.author_id, s.text, MODERATED[s.status], s.is_meta, to_polis_ms(s.created_at))  # type: ignore[index]
        for s in conversation.statements.order_by("number")
    ]
    votes = [
        (pid, number, value, to_polis_ms(created))
        for pid, number, value, created in Vote.objects.filter(conversation=conversation)
        .order_by("pk")
        .values_list("participant_id", "statement__number", "value", "created_at")
    ]
    run = latest_run(conversation)
    groups: dict[int, int] = {}
    if run is not None:
        for pid, position in run.result.get("positions", {}).items():
            if position["group"] >= 0:
                groups[int(pid)] = int(position["group"])
    analytics.export_write(
        directory,
        comments=comments,
        votes=votes,
        groups=groups,
        summary={
            "topic": conversation.question,
            "conversation-description": conversation.background,
        },
    )
    audit_record(
        actor=actor,
        action=AuditAction.FORUM_CONVERSATION_EXPORTED,
        target=conversation,
        changes={"statements": len(comments), "votes": len(votes)},
    )


@transaction.atomic
def conversation_import(
    *, actor: User | None, conversation: Conversation, data: analytics.ImportedConversation
) -> dict[str, int]:
    """Load an export into an empty conversation; return the counts loaded."""
    if conversation.statements.exists() or conversation.votes.exists():
        raise ForumError(gettext("Import only into a conversation without statements or votes."))
    pids = sorted({v[0] for v in data.votes} | {c[1] for c in data.comments if c[1] is not None})
    Participant.objects.bulk_create(
        Participant(conversation=conversation, anon_key=f"polis-{pid}") for pid in pids
    )
    participants = dict(
        Participant.objects.filter(conversation=conversation).values_list("anon_key", "pk")
    )
    by_pid = {pid: participants[f"polis-{pid}"] for pid in pids}
    Statement.objects.bulk_create(
        Statement(
            conversation=conversation,
            number=tid,
            author_id=by_pid.get(author) if author is not None else None,
            text=text[:STATEMENT_MAX_LENGTH],
            status=STATUS.get(moderated, Statement.Status.PENDING),
            is_meta=is_meta,
            created_at=from_polis_ms(ts),
        )
        for tid, author, text, moderated, is_meta, ts in data.comments
    )
    statements = dict(conversation.statements.values_list("number", "pk"))
    # Log order: by timestamp, ties kept in file order, so the vote ids order the log.
    ordered = sorted(enumerate(data.votes), key=lambda item: (item[1][3], item[0]))
    Vote.objects.bulk_create(
        (
            Vote(
                conversation=conversation,
                participant_id=by_pid[pid],
                statement_id=statements[tid],
                value=value,
                created_at=from_polis_ms(ts),
            )
            for _, (pid, tid, value, ts) in ordered
        ),
        batch_size=2000,
    )
    AnalysisState.objects.get_or_create(conversation=conversation)
    counts = {"participants": len(pids), "statements": len(data.comments), "votes": len(data.votes)}
    audit_record(
        actor=actor,
        action=AuditAction.FORUM_CONVERSATION_IMPORTED,
        target=conversation,
        changes=counts,
    )
    return counts
