"""Conversations for tests, made through the services as the app makes them."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from django.utils import timezone

from whatworks.forum.models import Conversation
from whatworks.forum.services.conversations import conversation_create

_numbers = itertools.count(1)

SEEDS = (
    "Machine learning should never decide whether a child is removed from home.",
    "Risk scores would help managers spot cases that are being missed.",
    "Families should be told when an algorithm was used in their case.",
    "Social workers need more time with families, not more software.",
    "Any model should be tested in a pilot before it is used widely.",
)


def make_conversation(**overrides: Any) -> Conversation:
    n = next(_numbers)
    fields: dict[str, Any] = {
        "actor": None,
        "slug": f"conversation-{n}",
        "question": f"Should children's social care use machine learning? ({n})",
        "background": "Local authorities are being offered predictive tools.",
        "opens_at": timezone.now() - timedelta(days=1),
        "closes_at": timezone.now() + timedelta(days=30),
        "seed_statements": SEEDS,
    }
    fields.update(overrides)
    return conversation_create(**fields)


def conversation_kwargs() -> dict[str, object]:
    return {"slug": make_conversation().slug}


def verify_kwargs() -> dict[str, object]:
    return {"slug": make_conversation(anonymous_must_verify=True).slug, "token": "not-a-token"}


def moderate_kwargs() -> dict[str, object]:
    return {"slug": make_conversation().slug, "number": 0}


def future_conversation() -> Conversation:
    return make_conversation(
        opens_at=timezone.now() + timedelta(days=5), closes_at=timezone.now() + timedelta(days=9)
    )
