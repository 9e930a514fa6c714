"""The monthly draft gathers sections from the other parts through their providers."""

from __future__ import annotations

import pytest

from tests.calls.factories import make_call
from tests.events.factories import make_event
from tests.registry.factories import registered_project
from whatworks.core.extensions import newsletter_sections
from whatworks.news.services.issues import issue_draft

pytestmark = pytest.mark.django_db


def test_every_part_with_news_registers_a_section() -> None:
    assert {"events", "calls", "evidence", "registry"} <= set(newsletter_sections.registered())


def test_a_draft_lists_upcoming_events_open_calls_and_new_research() -> None:
    event = make_event()
    call = make_call()
    project = registered_project()
    issue = issue_draft(actor=None)
    assert "Upcoming events" in issue.body and event.title in issue.body
    assert "Open calls for partners" in issue.body and call.title in issue.body
    assert "New research protocols" in issue.body and project.reference in issue.body
