"""The forum demo: three recognisable groups, idempotent."""

from __future__ import annotations

import io

import pytest

from whatworks.forum import demo
from whatworks.forum.models import AnalysisRun, Conversation


@pytest.mark.django_db
def test_demo_loads_three_groups_once() -> None:
    out = io.StringIO()
    demo.load(stdout=out)
    demo.load(stdout=out)
    conversation = Conversation.objects.get(slug=demo.SLUG)
    assert conversation.event_slug == demo.EVENT_SLUG
    assert conversation.participants.count() >= 400
    assert conversation.statements.count() == len(demo.STATEMENTS) + 2
    run = AnalysisRun.objects.get(conversation=conversation)
    sizes = [len(g["members"]) for g in run.result["analysis"]["groups"]]
    assert sizes == list(demo.GROUP_SIZES), "the three synthetic groups are found again"
    assert "left alone" in out.getvalue()
