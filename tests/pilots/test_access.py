"""Who sees a pilot: its authority's analysts and its project's team; 404 for all others."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import Client
from django.urls import reverse

from tests.factories import OrganisationFactory, UserFactory, user_with_role
from tests.pilots.factories import analyst_of, make_pilot
from whatworks.core.models import AuditEntry, User
from whatworks.core.roles import Role
from whatworks.pilots.models import Pilot
from whatworks.pilots.selectors import pilot_get_for_user, pilots_for_user

pytestmark = pytest.mark.django_db


def _people(pilot: Pilot, researcher: User) -> dict[str, tuple[User | AnonymousUser, bool]]:

    return {
        "own LA analyst": (analyst_of(pilot), True),
        "other LA analyst": (
            user_with_role(Role.LA_ANALYST, organisation=OrganisationFactory.create()),
            False,
        ),
        "named researcher": (researcher, True),
        "other researcher": (user_with_role(Role.RESEARCHER), False),
        "editor": (user_with_role(Role.EDITOR), False),
        "admin": (user_with_role(Role.ADMIN), False),
        "registered": (user_with_role(None), False),
        "panel member": (user_with_role(Role.PANEL_MEMBER), False),
        "own org, no analyst role": (user_with_role(None, organisation=pilot.organisation), False),
        "visitor": (AnonymousUser(), False),
    }


def test_pilot_get_for_user_for_every_role() -> None:
    researcher = user_with_role(Role.RESEARCHER)
    pilot = make_pilot(researcher=researcher)
    for who, (user, sees) in _people(pilot, researcher).items():
        if sees:
            assert pilot_get_for_user(user=user, pilot_id=pilot.pk) == pilot, who
            assert list(pilots_for_user(user=user)) == [pilot], who
        else:
            with pytest.raises(Http404):
                pilot_get_for_user(user=user, pilot_id=pilot.pk)
            assert not pilots_for_user(user=user).exists(), who


def test_unknown_and_malformed_ids_are_404() -> None:
    user = user_with_role(Role.RESEARCHER)
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(Http404):
            pilot_get_for_user(user=user, pilot_id=bad)


@pytest.mark.parametrize(
    "name",
    ["pilots:detail", "pilots:dataset_upload", "pilots:bundle_upload"],
)
def test_pages_are_404_not_403_for_everyone_but_insiders(client: Client, name: str) -> None:
    researcher = user_with_role(Role.RESEARCHER)
    pilot = make_pilot(researcher=researcher)
    url = reverse(name, kwargs={"pilot_id": pilot.pk})
    for who, (user, sees) in _people(pilot, researcher).items():
        if who == "visitor":
            client.logout()
            assert client.get(url).status_code == 302
            continue
        assert isinstance(user, User)
        client.force_login(user)
        assert client.get(url).status_code == (200 if sees else 404), who


def test_viewing_a_pilot_is_audited(client: Client) -> None:
    pilot = make_pilot()
    analyst = analyst_of(pilot)
    client.force_login(analyst)
    client.get(reverse("pilots:detail", kwargs={"pilot_id": pilot.pk}))
    assert AuditEntry.objects.filter(
        action="pilot.viewed", actor=analyst, object_id=str(pilot.pk)
    ).exists()


def test_administrators_are_on_every_team_for_the_registry_but_not_for_a_pilot() -> None:
    """The pilots' one rule on top of the registry's team rule: a pilot holds child-level
    data, so only people named on its project's team (as researchers) see it, although the
    registry counts administrators as on every team; starting one follows the registry."""
    from whatworks.pilots.selectors import can_create_pilot_of
    from whatworks.registry.selectors import is_team_member
    from whatworks.registry.services.projects import project_team_add

    researcher = user_with_role(Role.RESEARCHER)
    pilot = make_pilot(researcher=researcher)
    admin = user_with_role(Role.ADMIN)
    assert is_team_member(admin, pilot.project)
    assert can_create_pilot_of(admin, pilot.project)
    assert not pilots_for_user(user=admin).exists()
    named = UserFactory.create(roles=frozenset({Role.ADMIN, Role.RESEARCHER}))
    project_team_add(actor=researcher, project=pilot.project, email=named.email)
    assert list(pilots_for_user(user=named)) == [pilot]
    assert not is_team_member(user_with_role(Role.RESEARCHER), pilot.project)
