"""Managing a project's team: add researchers by e-mail, remove people, never the last."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.factories import user_with_role
from tests.registry.factories import editor, registered_project, researcher
from whatworks.core.errors import PermissionDeniedError
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.registry.errors import RegistryError
from whatworks.registry.selectors import can_remove_from_team
from whatworks.registry.services.projects import (
    project_team_add,
    project_team_remove,
    project_withdraw,
)

pytestmark = pytest.mark.django_db


def _team_actions(project: Any) -> list[tuple[str, dict[str, Any]]]:
    entries = AuditEntry.objects.filter(
        object_type="registry.project",
        object_id=str(project.pk),
        action__startswith="registry.team",
    ).order_by("id")
    return [(e.action, e.changes) for e in entries]


def test_add_and_remove_are_audited_by_number() -> None:
    author = researcher()
    project = registered_project(author=author)
    newcomer = researcher()
    added = project_team_add(actor=author, project=project, email=f"  {newcomer.email.upper()} ")
    assert added == newcomer
    assert set(project.team.all()) == {author, newcomer}
    project_team_remove(actor=newcomer, project=project, member=author)
    assert list(project.team.all()) == [newcomer]
    assert _team_actions(project) == [
        ("registry.team_member_added", {"team": {"added": f"user #{newcomer.pk}"}}),
        ("registry.team_member_removed", {"team": {"removed": f"user #{author.pk}"}}),
    ]
    assert newcomer.email not in str(_team_actions(project))


@pytest.mark.parametrize("role", [None, Role.EDITOR, Role.LA_ANALYST, Role.ADMIN])
def test_only_researchers_can_join(role: Role | None) -> None:
    author = researcher()
    project = registered_project(author=author)
    person = user_with_role(role)
    with pytest.raises(RegistryError, match="no researcher with the e-mail address"):
        project_team_add(actor=author, project=project, email=person.email)
    with pytest.raises(RegistryError, match="no researcher with the e-mail address"):
        project_team_add(actor=author, project=project, email="nobody@example.test")
    assert list(project.team.all()) == [author]


def test_the_last_member_cannot_leave() -> None:
    author = researcher()
    project = registered_project(author=author)
    with pytest.raises(RegistryError, match="at least one person"):
        project_team_remove(actor=author, project=project, member=author)
    with pytest.raises(RegistryError, match="already on the team"):
        project_team_add(actor=author, project=project, email=author.email)


@pytest.mark.parametrize("size", [1, 2])
def test_the_team_page_offers_removal_exactly_when_the_predicate_allows_it(
    client: Any, size: int
) -> None:
    author = researcher()
    project = registered_project(author=author)
    for _ in range(size - 1):
        project_team_add(actor=author, project=project, email=researcher().email)
    allowed = can_remove_from_team(project)
    assert allowed is (size > 1)
    client.force_login(author)
    page = client.get(reverse("registry:team", kwargs={"reference": project.reference}))
    text = page.content.decode()
    remove = reverse("registry:team_remove", kwargs={"reference": project.reference})
    assert text.count(f'action="{remove}"') == (size if allowed else 0)
    assert ("The last member cannot leave" in text) is not allowed
    if allowed:
        project_team_remove(actor=author, project=project, member=author)
    else:
        with pytest.raises(RegistryError, match="at least one person"):
            project_team_remove(actor=author, project=project, member=author)


def test_only_the_team_or_an_administrator_manages_it() -> None:
    author = researcher()
    project = registered_project(author=author)
    newcomer = researcher()
    for outsider in (researcher(), editor()):
        with pytest.raises(PermissionDeniedError):
            project_team_add(actor=outsider, project=project, email=newcomer.email)
        with pytest.raises(PermissionDeniedError):
            project_team_remove(actor=outsider, project=project, member=author)
    admin = user_with_role(Role.ADMIN)
    project_team_add(actor=admin, project=project, email=newcomer.email)
    project_team_remove(actor=admin, project=project, member=author)
    assert list(project.team.all()) == [newcomer]


def test_a_withdrawn_project_keeps_its_team() -> None:
    author = researcher()
    project = registered_project(author=author)
    project_withdraw(actor=editor(), project=project, reason="Stopped.")
    with pytest.raises(RegistryError, match="withdrawn"):
        project_team_add(actor=author, project=project, email=researcher().email)


def test_the_team_page(client: Any) -> None:
    author = researcher()
    project = registered_project(author=author)
    newcomer = researcher()
    not_a_researcher = user_with_role(Role.EDITOR)
    url = reverse("registry:team", kwargs={"reference": project.reference})
    remove = reverse("registry:team_remove", kwargs={"reference": project.reference})
    client.force_login(author)
    page = client.get(url).content.decode()
    assert "The last member cannot leave" in page
    refused = client.post(url, {"email": not_a_researcher.email})
    assert refused.status_code == 200
    assert "Only people with the researcher role" in refused.content.decode()
    assert client.post(url, {"email": newcomer.email}).status_code == 302
    assert newcomer in project.team.all()
    assert client.post(remove, {"member": newcomer.pk}).status_code == 302
    assert list(project.team.all()) == [author]
    response = client.post(remove, {"member": author.pk}, follow=True)
    assert "at least one person" in response.content.decode()
    assert client.post(remove, {"member": "not-a-number"}).status_code == 302
    assert list(project.team.all()) == [author]
    client.force_login(researcher())
    assert client.get(url).status_code == 403
    assert client.post(remove, {"member": author.pk}).status_code == 403


def _edit_with_team(project: Any, *, actor: Any, team: list[Any]) -> None:
    from whatworks.registry.services.projects import project_update

    project_update(
        actor=actor,
        project=project,
        title=project.title,
        summary=project.summary,
        status=project.status,
        study_type=project.study_type,
        topic=project.topic,
        partner_sites=[],
        team=team,
    )


def test_editing_the_project_audits_team_changes_by_number() -> None:
    author = researcher()
    project = registered_project(author=author)
    newcomer = researcher()
    _edit_with_team(project, actor=author, team=[author, newcomer])
    entry = AuditEntry.objects.filter(action="registry.project_updated").latest("id")
    assert entry.changes["team"] == {"added": [f"user #{newcomer.pk}"], "removed": []}


def test_a_researcher_who_edits_the_project_stays_on_its_team() -> None:
    author = researcher()
    colleague = researcher()
    project = registered_project(author=author)
    project.team.add(colleague)
    _edit_with_team(project, actor=author, team=[colleague])
    assert set(project.team.all()) == {author, colleague}


def test_an_administrator_who_edits_a_project_is_not_added_to_its_team() -> None:
    from tests.factories import UserFactory

    author = researcher()
    project = registered_project(author=author)
    admin = UserFactory.create()
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    _edit_with_team(project, actor=admin, team=[author])
    assert list(project.team.all()) == [author]
    with pytest.raises(RegistryError, match="at least one person"):
        _edit_with_team(project, actor=admin, team=[])
