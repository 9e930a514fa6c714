"""Visibility in one place: the registry's selector decides, and every part asks it.

An embargoed project must not show anywhere — not its verdict in the pilots' Centre, not
its link on a call, an event or a study, not in open data or the newsletter — to anyone
the registry would answer 404, and must show to its team and the registry's editors.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.calls.factories import make_call
from tests.conftest import ROLES
from tests.events.factories import make_event
from tests.evidence import factories as evidence_factories
from tests.factories import OrganisationFactory, user_with_role
from tests.pilots.factories import config_yaml, offline_bundle, pilot_project
from tests.registry.factories import draft_project, registered_project, researcher
from whatworks.core import projects as core_projects
from whatworks.core.models import User
from whatworks.core.projects import Visibility, project_for_user
from whatworks.core.roles import Role
from whatworks.news.compose import collect_sections
from whatworks.pilots.services.pilots import pilot_create, pilot_fix_config
from whatworks.pilots.services.runs import bundle_upload
from whatworks.registry.models import Project
from whatworks.registry.selectors import project_views, project_visibility
from whatworks.registry.services.projects import project_withdraw

pytestmark = pytest.mark.django_db

#: Roles that see an embargoed project they are not on the team of: the registry's editors.
INSIDER_ROLES = {"editor", "admin"}


def _embargoed(author: User | None = None) -> Project:
    return registered_project(
        author=author, embargo_until=timezone.localdate() + timedelta(days=30)
    )


def _user(role: str) -> User | None:
    if role == "visitor":
        return None
    return user_with_role(None if role == "registered" else Role(role))


def _page(client: Client, role: str, url: str) -> str:
    user = _user(role)
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (role, url, response.status_code)
    return response.content.decode()


# --- the one decision ---------------------------------------------------------------------


def _states() -> dict[str, Project]:
    withdrawn_public = registered_project()
    project_withdraw(actor=None, project=withdrawn_public, reason="Funding ended.")
    withdrawn_embargoed = _embargoed()
    project_withdraw(actor=None, project=withdrawn_embargoed, reason="Funding ended.")
    return {
        "draft": draft_project(),
        "registered, not published": registered_project(published=False),
        "embargoed": _embargoed(),
        "published": registered_project(),
        "withdrawn after publication": withdrawn_public,
        "withdrawn under embargo": withdrawn_embargoed,
    }


OUTSIDER = {
    "draft": Visibility.HIDDEN,
    "registered, not published": Visibility.HIDDEN,
    "embargoed": Visibility.STUB,  # the public stub
    "published": Visibility.FULL,
    "withdrawn after publication": Visibility.FULL,
    "withdrawn under embargo": Visibility.STUB,
}


@pytest.mark.parametrize("role", ROLES)
def test_the_selector_decides_for_every_state_and_role(role: str, client: Client) -> None:
    user = _user(role)
    for state, project in _states().items():
        expected = Visibility.FULL if role in INSIDER_ROLES else OUTSIDER[state]
        assert project_visibility(user=user, project=project) == expected, state
        # The core's answer, which the other parts use, is the same one.
        view = project_for_user(user=user, reference=project.reference)
        assert (view.visibility if view else Visibility.HIDDEN) == expected, state
        # And the registry's own page agrees: 404 exactly when hidden.
        if user is not None:
            client.force_login(user)
        status = client.get(project.get_absolute_url()).status_code
        assert status == (404 if expected == Visibility.HIDDEN else 200), state
        client.logout()


def test_the_team_sees_its_own_projects_in_every_state() -> None:
    author = researcher()
    for state, project in _states().items():
        project.team.add(author)
        assert project_visibility(user=author, project=project) == Visibility.FULL, state
        assert project_views(user=author, references=[project.reference])[
            project.reference
        ].shows_results


def test_without_a_provider_nothing_is_visible() -> None:
    project = registered_project()
    assert project_for_user(user=None, reference=project.reference) is not None
    core_projects.unregister_visibility_provider()
    try:
        assert project_for_user(user=None, reference=project.reference) is None
    finally:
        core_projects.register_visibility_provider(project_views)


def test_a_failing_provider_hides_everything(caplog: pytest.LogCaptureFixture) -> None:
    project = registered_project()

    def broken(**_: object) -> dict[str, core_projects.ProjectView]:
        raise RuntimeError("down")

    core_projects.register_visibility_provider(broken)
    try:
        assert project_for_user(user=None, reference=project.reference) is None
    finally:
        core_projects.register_visibility_provider(project_views)
    assert "treating projects as hidden" in caplog.text


# --- each part, an embargoed project, every role ------------------------------------------


# An embargoed project has a public stub, so the parts may link it (identifier and title,
# as its stub shows them); a project not published yet is linked only for insiders.


@pytest.mark.parametrize("role", ROLES)
def test_an_event_links_a_project_as_far_as_the_registry_shows_it(
    role: str, client: Client
) -> None:
    stub, hidden = _embargoed(), registered_project(published=False)
    first = make_event(project_ref=stub.reference)
    second = make_event(project_ref=hidden.reference)
    assert f'href="{stub.get_absolute_url()}"' in _page(client, role, first.get_absolute_url())
    page = _page(client, role, second.get_absolute_url())
    assert (hidden.reference in page) == (role in INSIDER_ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_a_call_links_a_project_as_far_as_the_registry_shows_it(role: str, client: Client) -> None:
    stub, hidden = _embargoed(), registered_project(published=False)
    first = make_call(project_ref=stub.reference)
    second = make_call(project_ref=hidden.reference)
    url = reverse("calls:detail", kwargs={"slug": first.slug})
    assert f'href="{stub.get_absolute_url()}"' in _page(client, role, url)
    page = _page(client, role, reverse("calls:detail", kwargs={"slug": second.slug}))
    assert (hidden.reference in page) == (role in INSIDER_ROLES)


def test_a_call_links_a_public_project_for_everyone(client: Client) -> None:
    project = registered_project()
    call = make_call(project_ref=project.reference)
    page = _page(client, "visitor", reverse("calls:detail", kwargs={"slug": call.slug}))
    assert f'href="{project.get_absolute_url()}"' in page


@pytest.mark.parametrize("role", ROLES)
def test_a_study_links_an_unpublished_project_only_for_insiders(role: str, client: Client) -> None:
    project = registered_project(published=False)
    intervention = evidence_factories.intervention()
    study = evidence_factories.study(intervention, registry_ref=project.reference)
    page = _page(client, role, study.get_absolute_url())
    assert (project.reference in page) == (role in INSIDER_ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_open_data_names_only_what_a_visitor_may_see(role: str, client: Client) -> None:
    hidden, stub, public = registered_project(published=False), _embargoed(), registered_project()
    intervention = evidence_factories.intervention()
    for project in (hidden, stub, public):
        evidence_factories.study(intervention, registry_ref=project.reference)
    url = reverse("evidence:intervention_data", kwargs={"slug": intervention.slug})
    data = json.loads(_page(client, role, url))
    refs = {study["registry_ref"] for study in data["studies"]}
    # Open data is for everyone, so editors' own access does not leak into it.
    assert refs == {None, stub.reference, public.reference}


def test_the_newsletter_leaves_out_an_embargoed_project() -> None:
    hidden, public = _embargoed(), registered_project()
    now = timezone.now()
    sections = collect_sections(since=now - timedelta(days=1), until=now + timedelta(days=1))
    titles = " ".join(item.title for s in sections for item in s.items)
    assert public.reference in titles
    assert hidden.reference not in titles


@pytest.mark.parametrize("role", ["researcher", "admin"])
def test_the_pilots_centre_shows_an_embargoed_verdict_only_to_insiders(
    role: str, client: Client, tmp_path: Path
) -> None:
    author = researcher()
    project = pilot_project(
        author, config_yaml(), embargo_until=timezone.localdate() + timedelta(days=30)
    )
    pilot = pilot_create(
        actor=None, project=project, organisation=OrganisationFactory.create(), name="Hidden pilot"
    )
    pilot = pilot_fix_config(
        actor=author,
        pilot=pilot,
        config_yaml=config_yaml(),
        protocol_version=project.versions.get(number=1),
    )
    bundle_upload(actor=author, pilot=pilot, text=json.dumps(offline_bundle(pilot, tmp_path)))
    url = reverse("pilots:centre")
    page = _page(client, role, url)
    # Only these roles may open the Centre view; the admin sees everything in the registry.
    assert (pilot.name in page) == (role in INSIDER_ROLES)
    assert (project.reference in page) == (role in INSIDER_ROLES)
    client.force_login(author)
    page = client.get(url).content.decode()
    assert pilot.name in page and project.reference in page


# --- the public stub of an embargoed project ------------------------------------------------


def test_an_embargoed_project_shows_a_public_stub_and_nothing_more(client: Client) -> None:
    project = _embargoed()
    page = client.get(project.get_absolute_url()).content.decode()
    assert project.title in page and project.reference in page and "Under embargo" in page
    assert "A summary." not in page and "Protocol versions" not in page
    assert client.get(reverse("registry:version", args=[project.reference, 1])).status_code == 404
    assert client.get(reverse("registry:results", args=[project.reference])).status_code == 404
    assert (
        client.get(reverse("registry:version_json", args=[project.reference, 1])).status_code == 404
    )
