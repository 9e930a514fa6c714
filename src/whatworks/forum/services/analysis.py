"""The opinion analysis: debounced requests and stored runs, with the Pol.is state."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from whatworks.core import queue
from whatworks.forum import analytics, jobs
from whatworks.forum.models import (
    AnalysisReplay,
    AnalysisRun,
    AnalysisState,
    Conversation,
    Statement,
    Vote,
)

ANALYSIS_DEBOUNCE_SECONDS = 10
ANALYSIS_STALE_AFTER = timedelta(minutes=10)


def analysis_request(*, conversation: Conversation) -> bool:
    """Queue a recompute unless one is already waiting; True if this call queued it.

    Runs on every vote, hence one parameterised UPDATE rather than an ORM query."""
    now = timezone.now()
    table = connection.ops.quote_name(AnalysisState._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET queued = %s, queued_at = %s "  # noqa: S608
            "WHERE conversation_id = %s AND (NOT queued OR queued_at < %s)",
            [True, adapt(now), conversation.pk, adapt(now - ANALYSIS_STALE_AFTER)],
        )
        claimed = cursor.rowcount
    if not claimed:
        return False  # already queued (every conversation gets its row when created)
    conversation_id = conversation.pk
    delay = ANALYSIS_DEBOUNCE_SECONDS

    def _enqueue() -> None:
        run_after = now + timedelta(seconds=delay) if delay > 0 else None
        queue.enqueue(jobs.ANALYSIS_RECOMPUTE, [conversation_id], run_after=run_after)

    transaction.on_commit(_enqueue)
    return True


def analysis_inputs(
    *, conversation: Conversation, last_vote_id: int | None = None
) -> tuple[analytics.VoteLog, list[int], list[int], list[int], int, int]:
    """The vote log (the vote id orders it), statement numbers, rejected, meta, the last
    vote id and the number of vote events, as plain data for the adapter."""
    votes = Vote.objects.filter(conversation=conversation)
    if last_vote_id is not None:
        votes = votes.filter(pk__lte=last_vote_id)
    rows = list(
        votes.order_by("pk").values_list("participant_id", "statement__number", "value", "pk")
    )
    statements = list(conversation.statements.values_list("number", "status", "is_meta"))
    numbers = [n for n, _, _ in statements]
    rejected = [n for n, s, _ in statements if s == Statement.Status.REJECTED]
    meta = [n for n, s, m in statements if m and s != Statement.Status.REJECTED]
    last = rows[-1][3] if rows else 0
    return analytics.VoteLog.from_rows(rows), numbers, rejected, meta, last, len(rows)


def replay_votes(
    conversation: Conversation, *, after: int = 0, upto: int | None = None
) -> tuple[analytics.VoteLog, int]:
    """The votes after vote ``after`` (up to vote ``upto``) in log order, with their times
    in milliseconds (the replay's update windows), and the last one's id (``after`` when
    there is none)."""
    votes = Vote.objects.filter(conversation=conversation, pk__gt=after)
    if upto is not None:
        votes = votes.filter(pk__lte=upto)
    rows = list(
        votes.order_by("pk").values_list(
            "participant_id", "statement__number", "value", "created_at", "pk"
        )
    )
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    ms = timedelta(milliseconds=1)
    log = analytics.VoteLog.from_rows(
        [(p, t, v, (created - epoch) // ms) for p, t, v, created, _ in rows]
    )
    return log, rows[-1][4] if rows else after


def _replay_advance(
    conversation: Conversation, *, seed: int, excluded: list[int], store: bool
) -> tuple[analytics.ReplayState, int]:
    """Step the conversation's stored Pol.is state with the votes since its last one (from
    the first vote when there is no state, or one of another version); store it unless
    ``store`` is false.  Return the state and the last vote it holds.  The caller holds the
    transaction: the row stays locked while the state advances."""
    version = analytics.replay_version(seed)
    stored = (
        AnalysisReplay.objects.select_for_update().filter(conversation=conversation).first()
        if store
        else None
    )
    current = stored if stored is not None and stored.version == version else None
    state = analytics.replay_load(None if current is None else current.state, seed=seed)
    after = 0 if current is None else current.last_vote_id
    votes, last = replay_votes(conversation, after=after)
    analytics.replay_step(state, votes=votes, excluded=excluded)
    if store:
        AnalysisReplay.objects.update_or_create(
            conversation=conversation,
            defaults={
                "version": version,
                "last_vote_id": last,
                "n_updates": state.n_updates,
                "state": state.to_bytes(),
                "updated_at": timezone.now(),
            },
        )
    return state, last


def analysis_run(*, conversation_id: int, seed: int | None = None) -> AnalysisRun:
    """Compute and store the analysis of the conversation's votes so far.

    The groups come from the conversation's Pol.is state (:class:`AnalysisReplay`), stepped
    with the votes since the last run; a run with another ``seed`` than the conversation's
    replays from the first vote and leaves the stored state alone."""
    conversation = Conversation.objects.get(pk=conversation_id)
    store = seed is None or seed == conversation.analysis_seed
    seed = conversation.analysis_seed if seed is None else seed
    started = time.perf_counter()
    with transaction.atomic():
        excluded = list(
            conversation.statements.filter(
                Q(status=Statement.Status.REJECTED) | Q(is_meta=True)
            ).values_list("number", flat=True)
        )
        replay, last_replayed = _replay_advance(
            conversation, seed=seed, excluded=excluded, store=store
        )
        log, numbers, rejected, meta, last, n_votes = analysis_inputs(
            conversation=conversation, last_vote_id=last_replayed
        )
        result = analytics.run_analysis(
            votes=log, statements=numbers, rejected=rejected, meta=meta, seed=seed, replay=replay
        )
        return AnalysisRun.objects.create(
            conversation=conversation,
            seed=seed,
            n_votes=n_votes,
            n_participants=result["n_participants"],
            last_vote_id=last,
            code_version=analytics.ANALYTICS_VERSION,
            duration_ms=int((time.perf_counter() - started) * 1000),
            result=result,
        )


def analysis_recompute(*, conversation_id: int) -> AnalysisRun:
    """The analysis task's work: clear the debounce flag first, so that votes cast while
    this runs queue the next recompute instead of being missed, then run the analysis."""
    AnalysisState.objects.filter(conversation_id=conversation_id).update(queued=False)
    return analysis_run(conversation_id=conversation_id)


def analysis_replay_rebuild(*, conversation: Conversation) -> AnalysisRun:
    """Drop the conversation's Pol.is state and run the analysis, which replays every vote
    from the first (after a change of algorithm, or to check a state)."""
    AnalysisReplay.objects.filter(conversation=conversation).delete()
    return analysis_run(conversation_id=conversation.pk)
