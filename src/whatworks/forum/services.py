"""Writes of the forum: conversations, participants, statements, votes, moderation, analysis.

Conventions (see CONTRIBUTING.md) with two deliberate exceptions:

* **Votes write no audit entry.**  The vote log is itself append-only (a vote is never
  updated or deleted; the latest per participant and statement counts), so it *is* the
  record; an audit row per vote would double the writes on the hottest path for no new
  information.  Conversation changes, statements and moderation decisions are audited.
* **The analysis task is enqueued directly**, not through ``task_start``: it is system
  bookkeeping nobody watches on a progress page, debounced by :class:`AnalysisState` (one
  conditional UPDATE sets ``queued``; only the request that flipped it enqueues, on commit,
  to run ``ANALYSIS_DEBOUNCE_SECONDS`` later).  The task clears the flag before it reads
  the votes, so votes arriving during a run queue the next one.  A flag left set by a lost
  task is taken over after ``ANALYSIS_STALE_AFTER``.

Rate limits count the participant's own rows in the database (the vote log and the
statements), a sliding window that holds across processes, unlike a per-process cache.
A browser that drops its cookie is a new participant, so the views also limit anonymous
votes, statements and new participants per client address (``core.throttle``), and a
conversation can require anonymous participants to confirm an e-mail address
(``participant_verify_request`` / ``participant_verify``: one participant per address,
kept as an HMAC, never in clear).
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import re
import secrets
import time
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.errors import WhatworksError, full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services import audit_record, diff_fields
from whatworks.forum import analytics
from whatworks.forum import emails as forum_emails
from whatworks.forum.models import (
    STATEMENT_MAX_LENGTH,
    AnalysisReplay,
    AnalysisRun,
    AnalysisState,
    Conversation,
    Participant,
    Statement,
    Vote,
)

#: Votes allowed per participant in the sliding window (a person reading each statement
#: manages a few a minute; a script manages hundreds).
VOTE_LIMIT = 60
VOTE_WINDOW = timedelta(seconds=60)
#: Statements allowed per participant in the sliding window.
STATEMENT_LIMIT = 5
STATEMENT_WINDOW = timedelta(minutes=10)
STATEMENT_MIN_LENGTH = 10
#: Normalised-text similarity (difflib ratio) at or above which a statement is refused.
NEAR_DUPLICATE_RATIO = 0.9
ANALYSIS_DEBOUNCE_SECONDS = 10
ANALYSIS_STALE_AFTER = timedelta(minutes=10)

CONVERSATION_FIELDS = [
    "slug",
    "question",
    "background",
    "moderation",
    "opens_at",
    "closes_at",
    "allow_anonymous",
    "anonymous_must_verify",
    "allow_statements",
    "event_slug",
    "analysis_seed",
]


class ForumError(WhatworksError):
    """A forum write was refused; the message says why."""


class ConversationClosedError(ForumError):
    pass


class RateLimitedError(ForumError):
    pass


class VerificationRequiredError(ForumError):
    """An anonymous participant must confirm an e-mail address before taking part."""


class VerificationLinkError(ForumError):
    """The e-mail confirmation link is not valid (any more)."""


class DuplicateStatementError(ForumError):
    pass


# --- conversations ---------------------------------------------------------------------


@transaction.atomic
def conversation_create(
    *,
    actor: User | None,
    slug: str,
    question: str,
    opens_at: datetime,
    background: str = "",
    moderation: str = Conversation.Moderation.BEFORE,
    closes_at: datetime | None = None,
    allow_anonymous: bool = True,
    anonymous_must_verify: bool = False,
    allow_statements: bool = True,
    event_slug: str = "",
    analysis_seed: int = 0,
    seed_statements: Sequence[str] = (),
) -> Conversation:
    """A conversation with its facilitators' opening statements (accepted at once)."""
    conversation = Conversation(
        slug=slug,
        question=question,
        background=background,
        moderation=moderation,
        opens_at=opens_at,
        closes_at=closes_at,
        allow_anonymous=allow_anonymous,
        anonymous_must_verify=anonymous_must_verify,
        allow_statements=allow_statements,
        event_slug=event_slug,
        analysis_seed=analysis_seed,
        created_by=actor if actor is not None and actor.pk else None,
    )
    full_clean_or_raise(conversation, ForumError)
    conversation.save()
    AnalysisState.objects.create(conversation=conversation)
    Statement.objects.bulk_create(
        Statement(
            conversation=conversation,
            number=number,
            text=text,
            status=Statement.Status.ACCEPTED,
            is_seed=True,
        )
        for number, text in enumerate(seed_statements)
    )
    audit_record(
        actor=actor,
        action="forum.conversation_created",
        target=conversation,
        changes={
            **diff_fields(None, conversation, CONVERSATION_FIELDS),
            "seed_statements": len(seed_statements),
        },
    )
    return conversation


@transaction.atomic
def conversation_close(*, actor: User | None, conversation: Conversation) -> Conversation:
    """Close now: the conversation becomes read-only."""
    before = Conversation.objects.get(pk=conversation.pk)
    conversation.closes_at = max(timezone.now(), conversation.opens_at + timedelta(seconds=1))
    full_clean_or_raise(conversation, ForumError)
    conversation.save(update_fields=["closes_at"])
    audit_record(
        actor=actor,
        action="forum.conversation_closed",
        target=conversation,
        changes=diff_fields(before, conversation, ["closes_at"]),
    )
    return conversation


# --- conversations set up and edited on the staff pages --------------------------------

#: Slugs that would be hidden behind the forum's own pages (``/forum/staff/``).
RESERVED_SLUGS = frozenset({"staff"})
#: The fields the staff pages edit (the analysis seed stays as created).
CONVERSATION_EDITABLE = tuple(f for f in CONVERSATION_FIELDS if f != "analysis_seed")
#: Most seed statements one set-up takes (more are written by participants, or imported).
SEED_LIMIT = 100


class ConversationInvalidError(ForumError):
    """A conversation write refused for one or more reasons: ``problems`` maps a field name
    (``seed_statements`` for the opening statements, ``""`` for the whole) to messages."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__(" ".join(m for messages in problems.values() for m in messages))
        self.problems = problems


def seed_statement_lines(text: str) -> list[str]:
    """The opening statements of a set-up text: one per line, blank lines skipped."""
    return [line for line in (_SPACE.sub(" ", raw).strip() for raw in text.splitlines()) if line]


def seed_statement_problems(
    *, statements: Sequence[str], existing: Iterable[str] = ()
) -> list[str]:
    """Every problem with the opening statements, each naming its line: the length limits
    and the near-duplicate check that a participant's statement meets in ``statement_add``
    (against the statements already in the conversation and the earlier lines)."""
    problems: list[str] = []
    if len(statements) > SEED_LIMIT:
        problems.append(
            _("Give at most %(n)d opening statements; participants add more.") % {"n": SEED_LIMIT}
        )
    earlier = list(existing)
    for line, raw in enumerate(statements, start=1):
        text = _SPACE.sub(" ", raw).strip()
        if len(text) < STATEMENT_MIN_LENGTH:
            problems.append(
                _("Line %(line)d: write a statement of at least %(n)d characters.")
                % {"line": line, "n": STATEMENT_MIN_LENGTH}
            )
        elif len(text) > STATEMENT_MAX_LENGTH:
            problems.append(
                _("Line %(line)d: write a statement of at most %(n)d characters (it has %(len)d).")
                % {"line": line, "n": STATEMENT_MAX_LENGTH, "len": len(text)}
            )
        elif (duplicate := statement_find_near_duplicate(text=text, existing=earlier)) is not None:
            problems.append(
                _("Line %(line)d says nearly the same as “%(text)s”: keep one of them.")
                % {"line": line, "text": duplicate}
            )
        earlier.append(text)
    return problems


def conversation_problems(
    *,
    conversation: Conversation,
    before: Conversation | None = None,
    has_votes: bool = False,
    pending: int = 0,
    seed_statements: Sequence[str] = (),
    fields: Iterable[str] = CONVERSATION_EDITABLE,
) -> dict[str, list[str]]:
    """Every reason the set-up or edit (``before`` is the stored row) must be refused.

    Only ``fields`` are checked, so a form can ask about the fields it could read.  Once
    people have voted, the results must keep meaning what voters were told: the question
    and the anonymity setting are fixed, and moderation may only become stricter, and only
    while no statement is waiting (nothing already voted on may disappear).  Once the
    conversation has opened its address and opening date are fixed, and a closing date may
    not be put in the past (that would misdate the votes since; "close now" closes).
    """
    fields = set(fields)
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    try:
        conversation.clean_fields(
            exclude=[f.name for f in Conversation._meta.fields if f.name not in fields]
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                problem(field, message)
    now = timezone.now()
    slug, opens_at, closes_at = conversation.slug, conversation.opens_at, conversation.closes_at
    changed = {
        f for f in fields if before is None or getattr(before, f) != getattr(conversation, f)
    }
    if "slug" in changed and "slug" not in problems and slug:
        if slug in RESERVED_SLUGS:
            problem("slug", _("“%(slug)s” is used by the forum's own pages.") % {"slug": slug})
        elif Conversation.objects.filter(slug=slug).exclude(pk=conversation.pk).exists():
            problem("slug", _("Another conversation has this address; choose another."))
    if {"opens_at", "closes_at"} <= fields and opens_at and closes_at and closes_at <= opens_at:
        problem("closes_at", _("The closing date must be after the opening date."))
    elif "closes_at" in changed and closes_at is not None and closes_at <= now:
        problem(
            "closes_at",
            _("The closing date has passed. Use “Close now” to close the conversation.")
            if before is not None and before.has_opened()
            else _("The closing date has passed: choose a later one, or leave it empty."),
        )
    if before is not None and before.has_opened():
        if "slug" in changed:
            problem("slug", _("The address is fixed once the conversation has opened."))
        if "opens_at" in changed:
            problem(
                "opens_at",
                _(
                    "The opening date is fixed once the conversation has opened. "
                    "To reopen a closed conversation, use “Open now”."
                ),
            )
    if before is not None and has_votes:
        if "question" in changed:
            problem(
                "question",
                _("People have voted on this question: it can no longer change."),
            )
        if "allow_anonymous" in changed:
            problem(
                "allow_anonymous",
                _(
                    "People have voted: who may take part can no longer change, or the "
                    "results would speak for a different group of people."
                ),
            )
        if "anonymous_must_verify" in changed and not conversation.anonymous_must_verify:
            problem(
                "anonymous_must_verify",
                _(
                    "People have voted believing anonymous voters confirm an e-mail address: "
                    "this can no longer be relaxed."
                ),
            )
        if "moderation" in changed:
            if conversation.moderation == Conversation.Moderation.AFTER:
                problem(
                    "moderation",
                    _(
                        "People have voted believing statements are checked before they are "
                        "shown: moderation can no longer be relaxed."
                    ),
                )
            elif pending:
                problem(
                    "moderation",
                    _(
                        "Statements people may have voted on are waiting for moderation "
                        "(%(n)d): accept or reject them before moderating in advance."
                    )
                    % {"n": pending},
                )
    if seed_statements:
        existing = (
            before.statements.exclude(status=Statement.Status.REJECTED).values_list(
                "text", flat=True
            )
            if before is not None
            else ()
        )
        for message in seed_statement_problems(statements=seed_statements, existing=existing):
            problem("seed_statements", message)
    return problems


def conversation_setup(
    *, actor: User | None, seed_statements: Sequence[str] = (), **fields: Any
) -> Conversation:
    """The staff pages' set-up: every rule of :func:`conversation_problems` checked and all
    problems reported together (``ConversationInvalidError``), then
    :func:`conversation_create` (atomic, audited), which imports and the demo call
    directly."""
    with transaction.atomic():
        unknown = set(fields) - set(CONVERSATION_EDITABLE)
        if unknown:
            raise TypeError(f"not editable: {sorted(unknown)}")
        seeds = [_SPACE.sub(" ", s).strip() for s in seed_statements]
        problems = conversation_problems(conversation=Conversation(**fields), seed_statements=seeds)
        if problems:
            raise ConversationInvalidError(problems)
        return conversation_create(actor=actor, seed_statements=seeds, **fields)


@transaction.atomic
def conversation_update(
    *, actor: User | None, conversation: Conversation, **changes: Any
) -> Conversation:
    """Edit a conversation's set-up under the rules of :func:`conversation_problems`; all
    problems are reported together (``ConversationInvalidError``).  Audited when anything
    changed."""
    unknown = set(changes) - set(CONVERSATION_EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    before = Conversation.objects.select_for_update().get(pk=conversation.pk)
    after = Conversation.objects.get(pk=conversation.pk)
    for name, value in changes.items():
        setattr(after, name, value)
    problems = conversation_problems(
        conversation=after,
        before=before,
        has_votes=Vote.objects.filter(conversation=before).exists(),
        pending=before.statements.filter(status=Statement.Status.PENDING).count(),
    )
    if problems:
        raise ConversationInvalidError(problems)
    diff = diff_fields(before, after, list(CONVERSATION_EDITABLE))
    if diff:
        after.save(update_fields=list(diff))
        audit_record(actor=actor, action="forum.conversation_updated", target=after, changes=diff)
    for name in CONVERSATION_EDITABLE:
        setattr(conversation, name, getattr(after, name))
    return conversation


@transaction.atomic
def conversation_open_now(*, actor: User | None, conversation: Conversation) -> Conversation:
    """Open now: a conversation not yet open opens at once (its closing date stays); a
    closed one reopens with no closing date (its opening date stays, so the votes keep
    their place in time)."""
    before = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if before.is_open():
        raise ForumError(_("The conversation is already open."))
    conversation.opens_at, conversation.closes_at = before.opens_at, before.closes_at
    if before.has_opened():
        conversation.closes_at = None
    else:
        conversation.opens_at = timezone.now()
    conversation.save(update_fields=["opens_at", "closes_at"])
    audit_record(
        actor=actor,
        action="forum.conversation_opened",
        target=conversation,
        changes=diff_fields(before, conversation, ["opens_at", "closes_at"]),
    )
    return conversation


def _require_open(conversation: Conversation) -> None:
    if not conversation.is_open():
        raise ConversationClosedError(
            _("This conversation is closed: you can read the report but not vote or write.")
            if conversation.has_opened()
            else _("This conversation has not opened yet.")
        )


# --- participants ----------------------------------------------------------------------


def _participant_lookup(
    conversation: Conversation, user: User | None, anon_key: str
) -> dict[str, object]:
    if user is not None and user.is_authenticated:
        return {"conversation": conversation, "user": user}
    if anon_key and conversation.allow_anonymous:
        return {"conversation": conversation, "anon_key": anon_key, "user": None}
    raise ForumError(_("Sign in to take part in this conversation."))


#: How long an e-mail confirmation link works.
VERIFY_MAX_AGE = timedelta(days=2)
VERIFY_SALT = "whatworks.forum.verify"


def _verify_first() -> str:
    return _(
        "Confirm your e-mail address to take part: we send you a link, and one address is one "
        "participant."
    )


def _must_verify(conversation: Conversation, user: User | None) -> bool:
    return conversation.anonymous_must_verify and not (user is not None and user.is_authenticated)


def email_digest(email: str) -> str:
    """The HMAC-SHA256 of a normalised e-mail address under the site's secret: the forum
    keeps this, never the address."""
    normalised = email.strip().lower().encode()
    secret = f"{settings.SECRET_KEY}\x00forum-email".encode()
    return hmac.new(secret, normalised, hashlib.sha256).hexdigest()


def participant_verify_request(*, conversation: Conversation, anon_key: str, email: str) -> None:
    """E-mail a confirmation link for ``email`` to the browser ``anon_key`` (after commit).

    Nothing is stored until the link is used; the answer is the same whether or not the
    address already took part, so it tells nobody who did.
    """
    _require_open(conversation)
    if not conversation.allow_anonymous:
        raise ForumError(_("Sign in to take part in this conversation."))
    if not anon_key:
        raise ForumError(_("Your browser sent no participant id; allow cookies and try again."))
    token = signing.dumps(
        {"c": conversation.pk, "d": email_digest(email), "k": anon_key}, salt=VERIFY_SALT
    )
    address = email.strip()
    transaction.on_commit(
        lambda: forum_emails.send_verification(
            conversation_id=conversation.pk, email=address, token=token
        )
    )


@transaction.atomic
def participant_verify(*, conversation: Conversation, token: str) -> Participant:
    """Use a confirmation link: the participant of that address in this conversation
    (made, or found if the address confirmed before, on any browser).  The view then
    gives the browser that participant's id."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.SignatureExpired:
        raise VerificationLinkError(
            _("This link has expired. Ask for a new one on the conversation's page.")
        ) from None
    except signing.BadSignature:
        raise VerificationLinkError(
            _("This link is not valid. Copy the whole link from the e-mail, or ask for a new one.")
        ) from None
    if not isinstance(data, dict) or data.get("c") != conversation.pk:
        raise VerificationLinkError(_("This link belongs to another conversation."))
    _require_open(conversation)
    digest, key = str(data["d"]), str(data["k"])
    found = Participant.objects.filter(conversation=conversation, email_digest=digest).first()
    if found is not None:
        return found
    now = timezone.now()
    mine = (
        Participant.objects.select_for_update()
        .filter(conversation=conversation, anon_key=key, user=None)
        .first()
    )
    try:
        with transaction.atomic():
            if mine is not None and not mine.email_digest:
                mine.email_digest, mine.verified_at = digest, now
                mine.save(update_fields=["email_digest", "verified_at"])
                participant = mine
            else:
                participant = Participant.objects.create(
                    conversation=conversation,
                    anon_key=key if mine is None else secrets.token_urlsafe(18),
                    email_digest=digest,
                    verified_at=now,
                )
    except IntegrityError:  # the same link used twice at once
        return Participant.objects.get(conversation=conversation, email_digest=digest)
    audit_record(
        actor=None,
        action="forum.participant_verified",
        target=participant,
        changes={"conversation": conversation.pk},
    )
    return participant


def participant_get_or_create(
    *, conversation: Conversation, user: User | None, anon_key: str = ""
) -> Participant:
    """The participant for a signed-in user, or for a browser's random id.

    Taking part writes no audit entry: a participant row holds no personal data.  Where
    anonymous participants must confirm an e-mail address, only a confirmed one is found,
    and none is created (``participant_verify`` does that).
    """
    lookup = _participant_lookup(conversation, user, anon_key)
    found = Participant.objects.filter(**lookup).first()
    if _must_verify(conversation, user) and (found is None or found.verified_at is None):
        raise VerificationRequiredError(_verify_first())
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Participant.objects.create(**lookup)
    except IntegrityError:  # created by a concurrent request of the same browser
        return Participant.objects.get(**lookup)


# --- votes -----------------------------------------------------------------------------
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
    _require_open(conversation)
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


# --- statements ------------------------------------------------------------------------


_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")


def statement_normalise(text: str) -> str:
    """Lower case, accents and punctuation removed, white space collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACE.sub(" ", _PUNCTUATION.sub(" ", plain.casefold())).strip()


def statement_similarity(a: str, b: str) -> float:
    """difflib's ratio of the normalised texts (1.0: the same words in the same order)."""
    return difflib.SequenceMatcher(None, statement_normalise(a), statement_normalise(b)).ratio()


def statement_find_near_duplicate(*, text: str, existing: Iterable[str]) -> str | None:
    """The first existing statement at least ``NEAR_DUPLICATE_RATIO`` similar, if any."""
    wanted = statement_normalise(text)
    matcher = difflib.SequenceMatcher(None, b=wanted, autojunk=False)
    for other in existing:
        matcher.set_seq1(statement_normalise(other))
        if (
            matcher.real_quick_ratio() >= NEAR_DUPLICATE_RATIO
            and matcher.quick_ratio() >= NEAR_DUPLICATE_RATIO
            and matcher.ratio() >= NEAR_DUPLICATE_RATIO
        ):
            return other
    return None


@transaction.atomic
def statement_add(
    *,
    actor: User | None,
    conversation: Conversation,
    text: str,
    anon_key: str = "",
    is_meta: bool = False,
) -> Statement:
    """A participant's statement: length-limited, rate-limited, near-duplicates refused.

    The conversation row is locked so that statement numbers are handed out one by one.
    """
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    _require_open(conversation)
    if not conversation.allow_statements:
        raise ForumError(_("This conversation does not take new statements."))
    participant = participant_get_or_create(
        conversation=conversation, user=actor, anon_key=anon_key
    )
    text = _SPACE.sub(" ", text).strip()
    if len(text) < STATEMENT_MIN_LENGTH:
        raise ForumError(
            _("Write a statement of at least %(n)d characters.") % {"n": STATEMENT_MIN_LENGTH}
        )
    if len(text) > STATEMENT_MAX_LENGTH:
        raise ForumError(
            _("Write a statement of at most %(n)d characters.") % {"n": STATEMENT_MAX_LENGTH}
        )
    since = timezone.now() - STATEMENT_WINDOW
    recent = Statement.objects.filter(author=participant, created_at__gte=since).count()
    if recent >= STATEMENT_LIMIT:
        raise RateLimitedError(
            _("You have written %(n)d statements in the last few minutes. Try again later.")
            % {"n": STATEMENT_LIMIT}
        )
    existing = conversation.statements.exclude(status=Statement.Status.REJECTED).values_list(
        "text", flat=True
    )
    if (duplicate := statement_find_near_duplicate(text=text, existing=existing)) is not None:
        raise DuplicateStatementError(
            _("A statement saying nearly the same is already here: “%(text)s”. Vote on it instead.")
            % {"text": duplicate}
        )
    highest = conversation.statements.aggregate(n=Max("number"))["n"]
    number = 0 if highest is None else highest + 1
    statement = Statement(
        conversation=conversation, number=number, author=participant, text=text, is_meta=is_meta
    )
    full_clean_or_raise(statement, ForumError)
    statement.save()
    audit_record(
        actor=actor,
        action="forum.statement_added",
        target=statement,
        changes={"participant": participant.pk, "length": len(text)},
    )
    return statement


@transaction.atomic
def statement_moderate(
    *,
    actor: User,
    statement: Statement,
    status: str | None = None,
    is_meta: bool | None = None,
) -> Statement:
    """Accept or reject a statement, or mark it meta; rejected and meta statements leave
    the opinion analysis (which is queued again)."""
    before = Statement.objects.get(pk=statement.pk)
    if status is not None:
        if status not in Statement.Status.values:
            raise ForumError(_("Choose accept or reject."))
        statement.status = status
    if is_meta is not None:
        statement.is_meta = is_meta
    full_clean_or_raise(statement, ForumError)
    statement.save(update_fields=["status", "is_meta"])
    changes = diff_fields(before, statement, ["status", "is_meta"])
    if changes:
        audit_record(
            actor=actor, action="forum.statement_moderated", target=statement, changes=changes
        )
        analysis_request(conversation=statement.conversation)
    return statement


# --- analysis --------------------------------------------------------------------------


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
        from whatworks.forum.tasks import analysis_recompute

        if delay > 0:
            analysis_recompute.using(run_after=now + timedelta(seconds=delay)).enqueue(
                conversation_id
            )
        else:
            analysis_recompute.enqueue(conversation_id)

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


def analysis_replay_rebuild(*, conversation: Conversation) -> AnalysisRun:
    """Drop the conversation's Pol.is state and run the analysis, which replays every vote
    from the first (after a change of algorithm, or to check a state)."""
    AnalysisReplay.objects.filter(conversation=conversation).delete()
    return analysis_run(conversation_id=conversation.pk)
