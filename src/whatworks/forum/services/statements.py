"""Statements: written, checked for near-duplicates, moderated."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record, diff_fields
from whatworks.forum.errors import (
    DuplicateStatementError,
    ForumError,
    RateLimitedError,
)
from whatworks.forum.models import (
    STATEMENT_MAX_LENGTH,
    Conversation,
    Statement,
)
from whatworks.forum.services.analysis import analysis_request
from whatworks.forum.services.participants import participant_get_or_create, require_open

#: Statements allowed per participant in the sliding window.
STATEMENT_LIMIT = 5
STATEMENT_WINDOW = timedelta(minutes=10)
STATEMENT_MIN_LENGTH = 10
#: Normalised-text similarity (difflib ratio) at or above which a statement is refused.
NEAR_DUPLICATE_RATIO = 0.9


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
    require_open(conversation)
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
        action=AuditAction.FORUM_STATEMENT_ADDED,
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
            actor=actor,
            action=AuditAction.FORUM_STATEMENT_MODERATED,
            target=statement,
            changes=changes,
        )
        analysis_request(conversation=statement.conversation)
    return statement
