"""The core's extension points: providers asked in order, replaced by key, failures left out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from whatworks.core.extensions import Providers, Registration


def _read(registration: Registration[Any], answer: Any) -> str | None:
    return f"{registration.key}:{answer}" if answer else None


def test_providers_are_asked_in_order_and_a_key_registered_again_replaces_it() -> None:
    points: Providers[Any] = Providers("Example")
    points.register("b", lambda *, n: n * 2, order=20)
    points.register("a", lambda *, n: n + 1, order=20)
    points.register("first", lambda *, n: 0, order=10)
    points.register("b", lambda *, n: n * 3, order=20)
    assert points.registered() == ["first", "a", "b"]
    assert points.collect(_read, n=5) == ["a:6", "b:15"], "None answers are left out"


def test_a_provider_that_raises_or_cannot_be_read_is_logged_and_left_out(caplog: Any) -> None:
    points: Providers[Any] = Providers("Example")
    points.register("broken", lambda *, n: 1 / 0)
    points.register("unreadable", lambda *, n: object())
    points.register("fine", lambda *, n: n, order=60)

    def read(registration: Registration[Any], answer: Any) -> str:
        return f"{registration.key}:{int(answer)}"

    with caplog.at_level("ERROR"):
        assert points.collect(read, n=2) == ["fine:2"]
    assert "Example provider 'broken' failed" in caplog.text
    assert "Example provider 'unreadable' failed" in caplog.text


@pytest.mark.django_db
def test_the_forum_lists_published_events_through_the_event_choices_point() -> None:
    """The events part fills ``event_choices``; the forum's form asks it, latest first."""
    from tests.events.factories import make_event
    from whatworks.forum.forms import event_choices

    now = timezone.now()
    older = make_event(published=True)
    newer = make_event(
        published=True, starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=31)
    )
    make_event(published=False)
    assert [slug for slug, _label in event_choices()] == ["", newer.slug, older.slug]


@pytest.mark.django_db
def test_the_parts_demos_find_registry_projects_through_the_demo_projects_point() -> None:
    """The registry fills ``demo_projects``; the parts' demos ask it by title."""
    from tests.registry.factories import registered_project
    from whatworks.core.demo import demo_project_reference

    project = registered_project()
    assert demo_project_reference(title=project.title) == project.reference
    assert demo_project_reference(title_contains=project.title[2:-2].upper()) == (project.reference)
    assert demo_project_reference(title="No such project") == ""
