"""Conversations: created, closed, set up and edited on the staff pages, and the sites
that may embed one (the allow-list is read and applied in ``forum/embed.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record, diff_fields
from whatworks.forum.embed import parse_origins
from whatworks.forum.errors import (
    ConversationInvalidError,
    EmbedError,
    ForumError,
)
from whatworks.forum.models import (
    STATEMENT_MAX_LENGTH,
    AnalysisState,
    Conversation,
    Statement,
    Vote,
)
from whatworks.forum.services.statements import (
    _SPACE,
    STATEMENT_MIN_LENGTH,
    statement_find_near_duplicate,
)

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
        action=AuditAction.FORUM_CONVERSATION_CREATED,
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
        action=AuditAction.FORUM_CONVERSATION_CLOSED,
        target=conversation,
        changes=diff_fields(before, conversation, ["closes_at"]),
    )
    return conversation


# conversations set up and edited on the staff pages

#: Slugs that would be hidden behind the forum's own pages (``/forum/staff/``).
RESERVED_SLUGS = frozenset({"staff"})
#: The fields the staff pages edit (the analysis seed stays as created).
CONVERSATION_EDITABLE = tuple(f for f in CONVERSATION_FIELDS if f != "analysis_seed")
#: Most seed statements one set-up takes (more are written by participants, or imported).
SEED_LIMIT = 100


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
        audit_record(
            actor=actor, action=AuditAction.FORUM_CONVERSATION_UPDATED, target=after, changes=diff
        )
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
        action=AuditAction.FORUM_CONVERSATION_OPENED,
        target=conversation,
        changes=diff_fields(before, conversation, ["opens_at", "closes_at"]),
    )
    return conversation


@transaction.atomic
def conversation_embed_set(
    *, actor: User | None, conversation: Conversation, origins_text: str
) -> Conversation:
    """Set the sites that may embed the conversation (empty text: none may)."""
    origins, problems = parse_origins(origins_text)
    if problems:
        raise EmbedError(problems)
    before = conversation.embed_origins
    conversation.embed_origins = "\n".join(origins)
    if before != conversation.embed_origins:
        conversation.save(update_fields=["embed_origins"])
        audit_record(
            actor=actor,
            action=AuditAction.FORUM_CONVERSATION_EMBEDDING_SET,
            target=conversation,
            changes={"origins": {"before": before.splitlines(), "after": origins}},
        )
    return conversation
