"""Pol.is timestamps: exact whole milliseconds both ways."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.factories import UserFactory
from tests.forum.factories import make_conversation
from whatworks.forum.models import Vote
from whatworks.forum.services.polis import conversation_export, from_polis_ms, to_polis_ms
from whatworks.forum.services.votes import vote_cast

# A moment where float arithmetic (timestamp() * 1000) gives one millisecond less.
MOMENT = datetime(2038, 4, 18, 5, 31, 43, 49000, tzinfo=UTC)
MOMENT_MS = 2_155_181_503_049


def test_milliseconds_are_exact_both_ways() -> None:
    assert to_polis_ms(MOMENT) == MOMENT_MS
    assert from_polis_ms(MOMENT_MS) == MOMENT
    assert to_polis_ms(MOMENT.replace(microsecond=49999)) == MOMENT_MS, (
        "below a millisecond: dropped"
    )
    assert to_polis_ms(datetime(1969, 12, 31, 23, 59, 59, 999500, tzinfo=UTC)) == -1, "floored"


@pytest.mark.django_db
def test_export_writes_exact_milliseconds(tmp_path: Path) -> None:
    conversation = make_conversation()
    statement = conversation.statements.get(number=0)
    vote = vote_cast(
        actor=UserFactory.create(), conversation=conversation, statement=statement, value=1
    )
    Vote.objects.filter(pk=vote.pk).update(created_at=MOMENT)
    conversation.statements.filter(pk=statement.pk).update(created_at=MOMENT)
    conversation_export(actor=None, conversation=conversation, directory=tmp_path)
    with (tmp_path / "votes.csv").open(newline="") as handle:
        votes = list(csv.DictReader(handle))
    with (tmp_path / "comments.csv").open(newline="") as handle:
        comments = {row["comment-id"]: row for row in csv.DictReader(handle)}
    assert [row["timestamp"] for row in votes] == [str(MOMENT_MS)]
    assert comments["0"]["timestamp"] == str(MOMENT_MS)
