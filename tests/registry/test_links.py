"""Typed links from a project to other parts, through the link-provider extension point."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse

from tests.calls.factories import make_call
from tests.factories import OrganisationFactory, user_with_role
from tests.pilots.factories import analyst_of, make_pilot
from tests.registry.factories import editor, registered_project, researcher
from whatworks.core import extensions
from whatworks.core.roles import Role
from whatworks.registry.links import LinkGroup, LinkItem, project_links
from whatworks.registry.services.projects import project_team_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def stand_in() -> Iterator[str]:
    key = "test-stand-in"
    yield key
    extensions.project_links.unregister(key)


def _group(groups: list[LinkGroup], key: str) -> LinkGroup | None:
    return next((g for g in groups if g.key == key), None)


def test_the_parts_that_relate_to_projects_register_providers() -> None:
    keys = extensions.project_links.registered()
    assert {"calls", "pilots", "events", "evidence"} <= set(keys)
    assert keys.index("calls") < keys.index("pilots") < keys.index("events")


def test_a_provider_registers_through_the_cores_extension_point(stand_in: str) -> None:
    project = registered_project()
    extensions.project_links.register(
        stand_in,
        lambda *, project, user: [{"title": f"About {project.reference}", "url": "/x/"}],
        heading="Stand-in",
        order=99,
    )
    group = _group(project_links(project=project, user=user_with_role(None)), stand_in)
    assert group == LinkGroup(
        key=stand_in,
        heading="Stand-in",
        items=(LinkItem(title=f"About {project.reference}", url="/x/"),),
    )


def test_a_broken_provider_is_left_out(stand_in: str, caplog: Any) -> None:
    def broken(*, project: Any, user: Any) -> list[Any]:
        raise RuntimeError("boom")

    extensions.project_links.register(stand_in, broken, heading="Broken")
    project = registered_project()
    with caplog.at_level("ERROR"):
        groups = project_links(project=project, user=user_with_role(None))
    assert _group(groups, stand_in) is None
    assert "test-stand-in" in caplog.text


def test_calls_linked_to_the_project_as_each_user_may_see_them() -> None:
    project = registered_project()
    shown = make_call(project_ref=project.reference)
    hidden = make_call(project_ref=project.reference, published=False)
    make_call(project_ref="WWC-1999-0001")
    visitor = project_links(project=project, user=user_with_role(None))
    seen = _group(visitor, "calls")
    assert seen is not None
    assert [i.title for i in seen.items] == [shown.title]
    staff = project_links(project=project, user=user_with_role(Role.ADMIN))
    seen = _group(staff, "calls")
    assert seen is not None
    assert {i.url for i in seen.items} == {
        shown.get_absolute_url(),
        hidden.get_absolute_url(),
    }


def test_pilots_are_shown_only_to_those_who_may_see_them(client: Any) -> None:
    author = researcher()
    pilot = make_pilot(researcher=author, fixed=False)
    project = pilot.project
    url = reverse("registry:project", kwargs={"reference": project.reference})
    other_analyst = user_with_role(Role.LA_ANALYST, organisation=OrganisationFactory.create())
    for user, sees in (
        (author, True),
        (analyst_of(pilot), True),
        (other_analyst, False),
        (researcher(), False),
        (editor(), False),
        (user_with_role(None), False),
    ):
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 200
        assert (pilot.get_absolute_url() in page.content.decode()) is sees, user
    client.logout()
    assert pilot.get_absolute_url() not in client.get(url).content.decode()


def test_a_researcher_added_to_the_team_sees_the_pilot(client: Any) -> None:
    author = researcher()
    pilot = make_pilot(researcher=author, fixed=False)
    newcomer = researcher()
    assert _group(project_links(project=pilot.project, user=newcomer), "pilots") is None
    project_team_add(actor=author, project=pilot.project, email=newcomer.email)
    group = _group(project_links(project=pilot.project, user=newcomer), "pilots")
    assert group is not None and group.items[0].url == pilot.get_absolute_url()


def test_the_project_page_groups_links_and_keeps_the_free_form_ones(client: Any) -> None:
    project = registered_project(links=[{"label": "Protocol paper", "url": "https://example.org"}])
    make_call(project_ref=project.reference, title="Join the family group conference trial")
    text = client.get(reverse("registry:project", args=[project.reference])).content.decode()
    assert "Calls for partners" in text and "Join the family group conference trial" in text
    assert "Protocol paper" in text
