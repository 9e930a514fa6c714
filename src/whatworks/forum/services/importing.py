"""Importing a Pol.is export as a new conversation: the writes behind the staff page's
upload (``forum/importing.py`` checks and reads the files) and the ``forum_import`` command.

The conversation is created closed (a record of a past conversation), the export is loaded
into it (``services/polis.py`` ``conversation_import``) and its analysis is queued, all in
one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from whatworks.core.models import User
from whatworks.forum import analytics
from whatworks.forum.models import Conversation
from whatworks.forum.services.analysis import analysis_request
from whatworks.forum.services.conversations import conversation_create
from whatworks.forum.services.polis import conversation_import, from_polis_ms


@dataclass(frozen=True)
class Imported:
    conversation: Conversation
    statements: int
    participants: int
    votes: int


def conversation_for_export(
    *, actor: User | None, slug: str, data: analytics.ImportedConversation
) -> Conversation:
    """A new conversation for an imported export: its topic and description, open from the
    export's first timestamp to just after its last (the staff page and ``forum_import``)."""
    stamps = [c[5] for c in data.comments] + [v[3] for v in data.votes]
    first = from_polis_ms(min(stamps)) if stamps else timezone.now()
    last = from_polis_ms(max(stamps)) if stamps else timezone.now()
    return conversation_create(
        actor=actor,
        slug=slug,
        question=(data.summary.get("topic") or slug)[:300],
        background=data.summary.get("conversation-description", ""),
        opens_at=first,
        closes_at=max(last, first) + timedelta(seconds=1),
    )


@transaction.atomic
def conversation_import_new(
    *, actor: User | None, slug: str, data: analytics.ImportedConversation
) -> Imported:
    """Create the conversation ``slug`` for a read export, load it, and queue its analysis."""
    conversation = conversation_for_export(actor=actor, slug=slug, data=data)
    counts = conversation_import(actor=actor, conversation=conversation, data=data)
    analysis_request(conversation=conversation)
    return Imported(
        conversation=conversation,
        statements=counts["statements"],
        participants=counts["participants"],
        votes=counts["votes"],
    )
