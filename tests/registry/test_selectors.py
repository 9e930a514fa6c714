"""Who sees what, embargo release, and the register's filters."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.http import Http404
from django.utils import timezone

from tests.factories import user_with_role
from tests.registry.factories import (
    draft_project,
    editor,
    project_with_results,
    registered_project,
    researcher,
)
from whatworks.core.models import AuditEntry, User
from whatworks.core.roles import Role
from whatworks.registry import tasks
from whatworks.registry.models import Project
from whatworks.registry.selectors import (
    draft_results,
    is_team_member,
    overdue_projects,
    project_get_for_user,
    project_publish_check,
    projects_naming,
    register_projects,
    results_get_for_user,
    results_publish_check,
    team_projects,
    version_get_for_user,
)
from whatworks.registry.services.projects import embargoes_release, project_withdraw

pytestmark = pytest.mark.django_db

ANON = AnonymousUser()


def _sees(user: User | AnonymousUser, project: Project, today: date | None = None) -> bool:
    try:
        project_get_for_user(user=user, reference=project.reference, today=today)
        version_get_for_user(user=user, reference=project.reference, number=1, today=today)
    except Http404:
        return False
    return True


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, False),
        (Role.RESEARCHER, False),
        (Role.LA_ANALYST, False),
        (Role.EDITOR, True),
        (Role.ADMIN, True),
    ],
)
def test_an_unpublished_project_is_hidden_from_all_but_insiders(
    role: Role | None, expected: bool
) -> None:
    project = registered_project(published=False)
    user = user_with_role(role) if role else ANON
    assert _sees(user, project) is expected
    assert _sees(project.team.get(), project)


def test_an_embargoed_project_is_public_from_its_date_even_before_the_task_runs() -> None:
    today = timezone.localdate()
    until = today + timedelta(days=10)
    project = registered_project(embargo_until=until)
    assert not _sees(ANON, project, today)
    assert not _sees(ANON, project, until - timedelta(days=1))
    assert _sees(ANON, project, until)  # no release has run
    assert project.embargo_released_at is None
    assert _sees(project.team.get(), project, today)
    assert list(register_projects(filters={}, today=today)) == []
    assert list(register_projects(filters={}, today=until)) == [project]


def test_the_release_task_and_command_stamp_passed_embargoes_once() -> None:
    today = timezone.localdate()
    project = registered_project(embargo_until=today + timedelta(days=3))
    assert embargoes_release(today=today) == []
    released = embargoes_release(today=today + timedelta(days=3))
    assert released == [project]
    assert embargoes_release(today=today + timedelta(days=4)) == []
    assert AuditEntry.objects.filter(action="registry.embargo_released").count() == 1
    # the command and the task run the same service for today
    Project.objects.filter(pk=project.pk).update(embargo_released_at=None, embargo_until=today)
    call_command("registry_release_embargoes", stdout=__import__("io").StringIO())
    assert Project.objects.get(pk=project.pk).embargo_released_at is not None
    Project.objects.filter(pk=project.pk).update(embargo_released_at=None)
    assert tasks.release_embargoes.call() == 1


def test_a_withdrawn_project_leaves_a_public_tombstone() -> None:
    project = registered_project()
    project_withdraw(actor=editor(), project=project, reason="Partner left.")
    found = project_get_for_user(user=ANON, reference=project.reference)
    assert found.withdrawal_reason == "Partner left."
    assert project in register_projects(filters={"status": "withdrawn"})


def test_a_withdrawn_embargoed_project_shows_its_tombstone_but_not_its_protocol() -> None:
    project = registered_project(embargo_until=timezone.localdate() + timedelta(days=30))
    project_withdraw(actor=editor(), project=project, reason="Stopped.")
    assert project_get_for_user(user=ANON, reference=project.reference)
    with pytest.raises(Http404):
        version_get_for_user(user=ANON, reference=project.reference, number=1)


def test_draft_results_are_for_insiders_only() -> None:
    project = project_with_results(publish_results=False)
    with pytest.raises(Http404):
        results_get_for_user(user=ANON, reference=project.reference)
    assert results_get_for_user(user=editor(), reference=project.reference)
    assert results_get_for_user(user=project.team.get(), reference=project.reference)


def test_register_filters_and_search() -> None:
    trial = project_with_results()
    pilot = registered_project(study_type="pilot", topic="data")
    assert set(register_projects(filters={})) == {trial, pilot}
    assert list(register_projects(filters={"type": "pilot"})) == [pilot]
    assert list(register_projects(filters={"topic": "child-protection"})) == [trial]
    assert list(register_projects(filters={"verdict": "met"})) == [trial]
    assert list(register_projects(filters={"verdict": "not-met"})) == []
    assert list(register_projects(filters={"q": trial.reference})) == [trial]
    assert set(register_projects(filters={"q": "family conferences"})) == {trial, pilot}
    assert list(register_projects(filters={"q": "nonexistentword"})) == []


def test_overdue_lists_public_projects_past_their_due_date_without_results() -> None:
    past = timezone.localdate() - timedelta(days=500)
    late = registered_project(data_collection_ends=past)
    project_with_results(data_collection_ends=past)  # reported: not overdue
    registered_project(data_collection_ends=past, published=False)  # not public
    registered_project(data_collection_ends=timezone.localdate())  # not yet due
    assert list(overdue_projects()) == [late]


def test_a_draft_project_is_unknown_to_other_researchers() -> None:
    project = draft_project()
    assert not _sees(researcher(), project)


def test_the_register_search_is_the_platforms_one_search() -> None:
    from tests.registry.factories import content
    from whatworks.registry.selectors import register_search

    def titled(title: str) -> Project:
        return registered_project(data={**content(), "title": title})

    schwartz = titled("Schwartz Rounds and social worker wellbeing")
    fgc = titled("Family group conferences at pre-proceedings: a randomised trial")
    dv = titled("Domestic abuse and children's services")
    found = register_search(filters={"q": "schwarz"})
    assert list(found.projects) == [schwartz] and found.corrected == "schwartz"
    assert list(register_projects(filters={"q": "FGC"})) == [fgc]
    assert register_projects(filters={"q": "family group conferencing"}).first() == fgc
    assert list(register_projects(filters={"q": "DV"})) == [dv]
    assert list(register_projects(filters={"q": "what helps with domestic violence"})) == [dv]
    for text in ("'", "%"):
        found = register_search(filters={"q": text})
        assert list(found.projects) == [] and found.problem


def test_a_registered_project_not_yet_published_is_ready_for_the_register() -> None:
    project = registered_project(published=False)
    check = project_publish_check(project)
    assert check.waiting and check.ready and check.problems == ()


def test_a_draft_project_cannot_be_published_and_says_why() -> None:
    check = project_publish_check(draft_project())
    assert check.waiting and not check.ready
    assert check.problems == ("Register the protocol before publishing the project.",)


def test_a_published_project_waits_for_nothing() -> None:
    check = project_publish_check(registered_project())
    assert not check.waiting and not check.ready
    assert check.problems == ("This project is already published.",)


def test_draft_results_of_a_published_project_are_ready() -> None:
    project = project_with_results(publish_results=False)
    check = results_publish_check(draft_results(project))
    assert check.ready and check.problems == ()


def test_draft_results_of_an_unpublished_project_say_why_not() -> None:
    project = project_with_results(publish_results=False, published=False)
    report = draft_results(project)
    assert report is not None
    report.results = []
    check = results_publish_check(report)
    assert check.waiting and not check.ready
    assert check.problems == (
        "Publish the project before its results.",
        "Add at least one result before publishing.",
    )


def test_published_results_and_no_results_wait_for_nothing() -> None:
    project = project_with_results()
    assert not results_publish_check(None).waiting
    check = results_publish_check(project.results_reports.get())
    assert not check.waiting and check.problems == ("These results are already published.",)


def test_the_project_page_shows_an_editor_why_results_cannot_be_published(client: Any) -> None:
    project = project_with_results(publish_results=False, published=False)
    client.force_login(editor())
    page = client.get(project.get_absolute_url()).content.decode()
    assert "The draft results cannot be published yet:" in page
    assert "Publish the project before its results." in page
    assert "Publish the results</button>" not in page
    assert "Publish on the register</button>" in page


def test_the_team_rule_in_its_queryset_forms() -> None:
    """``team_projects`` is ``is_team_member`` for many projects (administrators on every
    team); ``projects_naming`` is the membership alone, which the pilots ask."""
    author = researcher()
    own, other = draft_project(author=author), draft_project()
    admin = user_with_role(Role.ADMIN)
    people: list[User | AnonymousUser] = [author, admin, user_with_role(Role.EDITOR), ANON]
    for user in people:
        assert {p for p in (own, other) if is_team_member(user, p)} == set(
            team_projects(user).filter(pk__in=[own.pk, other.pk])
        )
    assert set(team_projects(author)) == set(projects_naming(author)) == {own}
    assert set(team_projects(admin)) == set(Project.objects.all())
    assert not projects_naming(admin).exists()
    assert not team_projects(ANON).exists() and not projects_naming(ANON).exists()
