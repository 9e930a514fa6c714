"""Events that are part of a research project: the field, the event page, and the registry's
link provider (only what the user may see)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse

from tests.events.factories import make_event
from tests.factories import user_with_role
from tests.registry.factories import registered_project
from whatworks.core import extensions
from whatworks.core.demo import demo_load_core
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.events import demo as events_demo
from whatworks.events.errors import EventError
from whatworks.events.models import Event
from whatworks.events.services.registrations import event_update
from whatworks.registry import demo as registry_demo
from whatworks.registry.links import LinkGroup, project_links
from whatworks.registry.models import Project

pytestmark = pytest.mark.django_db

FORMAT_MESSAGE = (
    "Enter the research project's identifier as the registry shows it, e.g. WWC-2019-0007."
)


def _events(groups: list[LinkGroup]) -> list[str]:
    group = next((g for g in groups if g.key == "events"), None)
    return [item.title for item in group.items] if group else []


def test_events_register_a_link_provider() -> None:
    assert "events" in extensions.project_links.registered()


def test_the_provider_returns_only_the_events_the_user_may_see() -> None:
    project = registered_project()
    shown = make_event(project_ref=project.reference, title="Forum on the trial")
    hidden = make_event(project_ref=project.reference, title="Planning day", published=False)
    make_event(project_ref="WWC-1999-0001", title="Another project's day")
    make_event(title="Not part of a project")
    for user in (user_with_role(None), user_with_role(Role.RESEARCHER)):
        assert _events(project_links(project=project, user=user)) == [shown.title]
    staff = project_links(project=project, user=user_with_role(Role.EDITOR))
    assert set(_events(staff)) == {shown.title, hidden.title}
    group = next(g for g in staff if g.key == "events")
    assert {i.url for i in group.items} == {shown.get_absolute_url(), hidden.get_absolute_url()}
    notes = {i.title: i.summary.endswith("(not published)") for i in group.items}
    assert notes == {shown.title: False, hidden.title: True}


def test_the_project_page_shows_the_events_group(client: Any) -> None:
    project = registered_project()
    make_event(project_ref=project.reference, title="Forum on the trial")
    make_event(project_ref=project.reference, title="Unpublished planning day", published=False)
    url = reverse("registry:project", kwargs={"reference": project.reference})
    assert url == f"/research/{project.reference}/"
    text = client.get(url).content.decode()
    assert "Events" in text and "Forum on the trial" in text
    assert "Unpublished planning day" not in text


def test_the_event_page_links_to_its_project(client: Any) -> None:
    project = registered_project()
    event = make_event(project_ref=project.reference)
    text = client.get(event.get_absolute_url()).content.decode()
    assert "Part of research project" in text
    assert f'href="/research/{project.reference}/">{project.reference}</a>' in text
    plain = client.get(make_event().get_absolute_url()).content.decode()
    assert "Part of research project" not in plain


@pytest.mark.parametrize(
    "bad", ["WWC-19-7", "wwc-2019-0007", "2019-0007", "WWC-2019-0007 ", "WWC-2019-0007x"]
)
def test_a_badly_formed_project_ref_is_refused_with_a_clear_message(bad: str) -> None:
    with pytest.raises(EventError) as caught:
        make_event(project_ref=bad)
    assert FORMAT_MESSAGE in caught.value.message
    event = make_event()
    with pytest.raises(EventError, match="WWC-2019-0007"):
        event_update(actor=None, event=event, project_ref=bad)


def test_the_audited_admin_edits_the_project_ref(client: Any) -> None:
    event = make_event()
    editor = user_with_role(Role.EDITOR)
    client.force_login(editor)
    url = reverse("admin:events_event_change", args=[event.pk])
    page = client.get(url).content.decode()
    assert 'name="project_ref"' in page
    form = {
        "slug": event.slug,
        "title": event.title,
        "kind": event.kind,
        "summary": event.summary,
        "agenda": event.agenda,
        "accessibility": event.accessibility,
        "starts_at_0": event.starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": event.starts_at.strftime("%H:%M:%S"),
        "ends_at_0": event.ends_at.strftime("%Y-%m-%d"),
        "ends_at_1": event.ends_at.strftime("%H:%M:%S"),
        "time_zone": event.time_zone,
        "mode": event.mode,
        "venue": event.venue,
        "online_url": "",
        "capacity": event.capacity,
        "registration_opens_at_0": event.registration_opens_at.strftime("%Y-%m-%d"),
        "registration_opens_at_1": event.registration_opens_at.strftime("%H:%M:%S"),
        "registration_closes_at_0": event.registration_closes_at.strftime("%Y-%m-%d"),
        "registration_closes_at_1": event.registration_closes_at.strftime("%H:%M:%S"),
        "offer_hours": "",
        "published": "on",
        "questions-TOTAL_FORMS": "0",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
    }
    refused = client.post(url, {**form, "project_ref": "project seven"})
    assert refused.status_code == 200
    assert "the registry shows it, e.g. WWC-2019-0007." in refused.content.decode()
    response = client.post(url, {**form, "project_ref": "WWC-2019-0007"})
    assert response.status_code == 302, response.content.decode()[:2000]
    event.refresh_from_db()
    assert event.project_ref == "WWC-2019-0007"
    entry = AuditEntry.objects.filter(action="event.changed_in_admin").latest("pk")
    assert "project_ref" in entry.changes


def test_the_demo_links_events_to_registry_projects_once() -> None:
    demo_load_core(password="demo password for tests")
    registry_demo.load(stdout=io.StringIO())
    for _ in range(2):
        events_demo.load(stdout=io.StringIO())
    forum = Event.objects.get(slug="deliberative-forum-machine-learning-london")
    northmoor = Project.objects.get(title=events_demo.PROJECT_TITLES[forum.slug])
    assert forum.project_ref == northmoor.reference
    schwartz = Event.objects.get(slug="schwartz-round-demonstration-online")
    assert schwartz.project_ref == Project.objects.get(title__startswith="Schwartz").reference
    assert AuditEntry.objects.filter(action="event.updated").count() == 2


def test_the_demo_skips_the_link_without_the_registry_project() -> None:
    demo_load_core(password="demo password for tests")
    events_demo.load(stdout=io.StringIO())
    assert not Event.objects.exclude(project_ref="").exists()
