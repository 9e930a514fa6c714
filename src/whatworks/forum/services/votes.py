"""Votes: the hottest path of the platform."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.models import User
from whatworks.forum.errors import (
    ForumError,
    RateLimitedError,
)
from whatworks.forum.models import (
    Conversation,
    Participant,
    Statement,
    Vote,
)
from whatworks.forum.services.analysis import analysis_request
from whatworks.forum.services.participants import (
    _participant_lookup,
    participant_get_or_create,
    require_open,
)

#: Votes allowed per participant in the sliding window (a person reading each statement
#: manages a few a minute; a script manages hundreds).
VOTE_LIMIT = 60
VOTE_WINDOW = timedelta(seconds=60)

#
# Casting a vote is the hottest path of the platform (issue 8: 300 votes/s from 50
# clients on 2 cores).  Measured in-process, building ORM queries cost more than running
# them, so a vote by a known participant is two parameterised SQL statements on the
# models' own tables: one INSERT … SELECT that finds the participant, counts its recent
# votes and appends the vote only if it is inside the rate limit, and the UPDATE that
# requests the analysis.  When that INSERT appends nothing (a new participant, or one
# over the limit), the slow path finds out which, as the ORM and the separate statements
# below do.  Table names come from the models' metadata and every value is a query
# parameter (hence the ``noqa: S608``).


def _participant_id(conversation: Conversation, user: User | None, anon_key: str) -> int:
    _participant_lookup(conversation, user, anon_key)  # refuses who may not take part
    table = connection.ops.quote_name(Participant._meta.db_table)
    if user is not None and user.is_authenticated:
        sql = f"SELECT id FROM {table} WHERE conversation_id = %s AND user_id = %s"  # noqa: S608
        params: list[Any] = [conversation.pk, user.pk if user is not None else None]
    else:
        sql = (
            f"SELECT id FROM {table} "  # noqa: S608
            "WHERE conversation_id = %s AND anon_key = %s AND user_id IS NULL"
        )
        if conversation.anonymous_must_verify:
            sql += " AND verified_at IS NOT NULL"
        params = [conversation.pk, anon_key]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is not None:
        return int(row[0])
    return participant_get_or_create(conversation=conversation, user=user, anon_key=anon_key).pk


def _recent_votes(participant_id: int, since: datetime) -> int:
    table = connection.ops.quote_name(Vote._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {table} WHERE participant_id = %s AND created_at >= %s",  # noqa: S608
            [participant_id, connection.ops.adapt_datetimefield_value(since)],
        )
        return int(cursor.fetchone()[0])


def _vote_append(
    conversation: Conversation,
    user: User | None,
    anon_key: str,
    statement: Statement,
    value: int,
    now: datetime,
) -> tuple[int, int] | None:
    """Append the vote of a participant who exists and is inside the rate limit, in one
    statement; (vote id, participant id), or None when it appended nothing."""
    _participant_lookup(conversation, user, anon_key)  # refuses who may not take part
    votes = connection.ops.quote_name(Vote._meta.db_table)
    participants = connection.ops.quote_name(Participant._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    sql = (
        f"INSERT INTO {votes} (conversation_id, participant_id, statement_id, value, created_at) "  # noqa: S608
        f"SELECT %s, p.id, %s, %s, %s FROM {participants} p WHERE p.conversation_id = %s "
    )
    params: list[Any] = [conversation.pk, statement.pk, value, adapt(now), conversation.pk]
    if user is not None and user.is_authenticated:
        sql += "AND p.user_id = %s "
        params.append(user.pk)
    else:
        sql += "AND p.anon_key = %s AND p.user_id IS NULL "
        params.append(anon_key)
        if conversation.anonymous_must_verify:
            sql += "AND p.verified_at IS NOT NULL "
    sql += (
        f"AND (SELECT COUNT(*) FROM {votes} v "  # noqa: S608
        "WHERE v.participant_id = p.id AND v.created_at >= %s) < %s "
        "RETURNING id, participant_id"
    )
    params += [adapt(now - VOTE_WINDOW), VOTE_LIMIT]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


@transaction.atomic
def vote_cast(
    *,
    actor: User | None,
    conversation: Conversation,
    statement: Statement,
    value: int,
    anon_key: str = "",
) -> Vote:
    """Append a vote (agree 1, disagree -1, pass 0) by the signed-in ``actor`` or the
    browser ``anon_key``; the latest vote per participant and statement counts."""
    if statement.conversation_id != conversation.pk:
        raise ForumError(_("That statement belongs to another conversation."))
    require_open(conversation)
    if value not in Vote.Value.values:
        raise ForumError(_("Choose agree, disagree or pass."))
    if statement.status not in conversation.visible_statuses():
        raise ForumError(_("That statement is not open for votes."))
    now = timezone.now()
    vote = Vote(conversation=conversation, statement=statement, value=value, created_at=now)
    found = _vote_append(conversation, actor, anon_key, statement, value, now)
    if found is not None:  # appended: the vote is what the database now holds
        vote.pk, vote.participant_id = found
        vote._state.adding, vote._state.db = False, connection.alias
    else:  # a new participant, or one over the limit: the separate steps say which
        vote.participant_id = _participant_id(conversation, actor, anon_key)
        if _recent_votes(vote.participant_id, now - VOTE_WINDOW) >= VOTE_LIMIT:
            raise RateLimitedError(
                _("You are voting faster than we can accept. Wait a minute and try again.")
            )
        vote.save(force_insert=True)
    analysis_request(conversation=conversation)
    return vote
