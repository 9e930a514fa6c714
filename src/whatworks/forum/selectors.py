"""Reads of the forum, with their access checks.

Conversations are public once they open; before that only moderators (who hold
``forum.view_conversation``) know they exist.  Voters see the statements the moderation
mode lets through; moderators see every statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from whatworks.core.http import AnyUser
from whatworks.forum import analytics
from whatworks.forum.models import (
    AnalysisRun,
    AnalysisState,
    Conversation,
    Participant,
    Statement,
    Vote,
)

VIEW_ALL = "forum.view_conversation"
MODERATE = "forum.moderate_conversation"

M = TypeVar("M", bound=models.Model)
EXPORT = "forum.export_conversation"


def can_view_all(user: AnyUser) -> bool:
    """May see every conversation, those not open yet too (moderators, facilitators)."""
    return user.has_perm(VIEW_ALL)


def can_moderate(user: AnyUser) -> bool:
    """May see statements of every status and moderate them."""
    return user.has_perm(MODERATE)


def conversations_for_user(*, user: AnyUser) -> QuerySet[Conversation]:
    conversations = Conversation.objects.all()
    if not can_view_all(user):
        conversations = conversations.filter(opens_at__lte=timezone.now())
    return conversations.order_by("-opens_at")


def _one(model: type[M], where: str, params: list[Any]) -> M | None:
    """The row of ``model`` matching ``where`` (a unique lookup), or None.

    The voting pages look a conversation and a statement up on every vote; building these
    two queries through the ORM cost four times as long as running them (measured), so
    they are written out, parameterised, against the models' own tables.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    # ``table`` comes from the model's metadata, ``where`` from this module; values are
    # parameters.
    sql = f"SELECT * FROM {table} WHERE {where}"  # noqa: S608
    found = list(model._default_manager.raw(sql, params))
    return found[0] if found else None


def conversation_get_for_user(*, user: AnyUser, slug: str) -> Conversation:
    """An opened conversation for anyone; one not yet open only for moderators."""
    conversation = _one(Conversation, "slug = %s", [slug])
    if conversation is None or (conversation.opens_at > timezone.now() and not can_view_all(user)):
        raise Http404("No such conversation.")
    return conversation


def statement_get_for_user(*, user: AnyUser, conversation: Conversation, number: int) -> Statement:
    """A statement voters may see; moderators may reach every statement."""
    statement = _one(Statement, "conversation_id = %s AND number = %s", [conversation.pk, number])
    if statement is None or (
        statement.status not in conversation.visible_statuses() and not can_moderate(user)
    ):
        raise Http404("No such statement.")
    statement.conversation = conversation
    return statement


def participant_find(
    *, conversation: Conversation, user: AnyUser, anon_key: str
) -> Participant | None:
    """The participant this request already is, without creating one."""
    if user.is_authenticated:
        return Participant.objects.filter(conversation=conversation, user=user).first()
    if anon_key and conversation.allow_anonymous:
        return Participant.objects.filter(conversation=conversation, anon_key=anon_key).first()
    return None


def latest_run(conversation: Conversation) -> AnalysisRun | None:
    return conversation.analysis_runs.order_by("-created_at", "-pk").first()


def next_statement(
    *, conversation: Conversation, participant: Participant | None
) -> Statement | None:
    """The statement to show next: unseen, visible, by the Pol.is routing priority, so that
    statements with few votes (and new ones) come first.

    Counts are vote events per statement (one cheap grouped query), a close stand-in for
    latest-vote counts; extremity comes from the last stored analysis.
    """
    visible = conversation.statements.filter(status__in=conversation.visible_statuses())
    if participant is not None:
        visible = visible.exclude(votes__participant=participant)
    candidates = dict(visible.values_list("number", "is_meta"))
    if not candidates:
        return None
    tallies = (
        Vote.objects.filter(conversation=conversation, statement__number__in=list(candidates))
        .values_list("statement__number")
        .annotate(
            agree=Count("pk", filter=Q(value=Vote.Value.AGREE)),
            passes=Count("pk", filter=Q(value=Vote.Value.PASS)),
            seen=Count("pk"),
        )
    )
    counts = {number: (agree, passes, seen) for number, agree, passes, seen in tallies}
    run = latest_run(conversation)
    extremity = (
        {int(k): float(v) for k, v in (run.result.get("extremity") or {}).items()} if run else {}
    )
    order = analytics.statement_order(
        counts=counts,
        candidates=sorted(candidates),
        meta=[n for n, meta in candidates.items() if meta],
        extremity=extremity,
    )
    return conversation.statements.get(number=order[0])


@dataclass(frozen=True)
class Progress:
    voted: int
    total: int


def participant_progress(
    *, conversation: Conversation, participant: Participant | None
) -> Progress:
    total = conversation.statements.filter(status__in=conversation.visible_statuses()).count()
    voted = 0
    if participant is not None:
        voted = Vote.objects.filter(participant=participant).values("statement").distinct().count()
    return Progress(voted=voted, total=total)


def participant_latest_votes(*, participant: Participant) -> dict[int, int]:
    """Statement number -> the participant's latest vote."""
    latest: dict[int, int] = {}
    for number, value in (
        Vote.objects.filter(participant=participant)
        .order_by("pk")
        .values_list("statement__number", "value")
    ):
        latest[number] = value
    return latest


def vote_provenance(*, conversation: Conversation) -> dict[str, int]:
    """How many vote events came from unverified participants: neither signed in nor with a
    confirmed e-mail address (a browser that clears its cookie is a new one of these)."""
    votes = Vote.objects.filter(conversation=conversation)
    unverified = votes.filter(participant__user__isnull=True, participant__verified_at__isnull=True)
    return {
        "n_votes": votes.count(),
        "n_unverified_votes": unverified.count(),
        "n_unverified_voters": unverified.values("participant").distinct().count(),
    }


def dashboard(*, conversation: Conversation) -> dict[str, Any]:
    """What a facilitator watches: the moderation queue, participation, the last analysis."""
    statements = conversation.statements.all()
    by_status = dict(statements.values_list("status").annotate(n=Count("pk")))
    day_ago = timezone.now() - timedelta(days=1)
    votes = Vote.objects.filter(conversation=conversation)
    state = AnalysisState.objects.filter(conversation=conversation).first()
    return {
        "queue": statements.filter(status=Statement.Status.PENDING).order_by("number"),
        "moderated": statements.exclude(status=Statement.Status.PENDING).order_by("-number")[:50],
        "n_participants": conversation.participants.count(),
        "n_voters": votes.values("participant").distinct().count(),
        "n_votes": votes.count(),
        "n_votes_day": votes.filter(created_at__gte=day_ago).count(),
        "n_pending": by_status.get(Statement.Status.PENDING, 0),
        "n_accepted": by_status.get(Statement.Status.ACCEPTED, 0),
        "n_rejected": by_status.get(Statement.Status.REJECTED, 0),
        "n_meta": statements.filter(is_meta=True).count(),
        "run": latest_run(conversation),
        "queued": bool(state and state.queued),
        "provenance": vote_provenance(conversation=conversation),
    }
