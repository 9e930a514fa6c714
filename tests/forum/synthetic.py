"""A small synthetic conversation with two clear opinion groups, written with bulk_create."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from django.utils import timezone

from whatworks.forum.models import Conversation, Participant, Vote


def fill(conversation: Conversation, *, people: int = 40, seed: int = 1) -> list[Participant]:
    """Half the people agree with the even statements and disagree with the odd ones; the
    other half the reverse; everyone agrees with statement 4 (common ground)."""
    rng = np.random.default_rng(seed)
    statements = list(conversation.statements.order_by("number"))
    participants = Participant.objects.bulk_create(
        Participant(conversation=conversation, anon_key=f"synthetic-{seed}-{i}")
        for i in range(people)
    )
    start = timezone.now() - timedelta(hours=1)
    votes: list[Vote] = []
    for i, person in enumerate(participants):
        side = 1 if i % 2 else -1
        for statement in statements:
            if statement.number == 4:
                value = 1
            else:
                value = side if statement.number % 2 == 0 else -side
                if rng.random() < 0.1:
                    value = 0
            votes.append(
                Vote(
                    conversation=conversation,
                    participant=person,
                    statement=statement,
                    value=value,
                    created_at=start + timedelta(seconds=len(votes)),
                )
            )
    Vote.objects.bulk_create(votes)
    return participants
