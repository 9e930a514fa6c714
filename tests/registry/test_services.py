"""The registry's services: rules, audit entries, and the team check."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

import pytest
from django.db.models import Model

from tests.registry.factories import (
    bundle,
    content,
    draft_project,
    editor,
    project_with_results,
    registered_project,
    researcher,
)
from whatworks.core.dates import add_months
from whatworks.core.errors import PermissionDeniedError
from whatworks.core.models import AuditEntry
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import ProjectStatus
from whatworks.registry.services.projects import (
    default_results_due,
    project_create,
    project_publish,
    project_withdraw,
)
from whatworks.registry.services.protocols import (
    embargo_bounds,
    protocol_draft_save,
    protocol_register,
)
from whatworks.registry.services.results import results_import_bundle, results_publish

pytestmark = pytest.mark.django_db


def _actions(obj: Model) -> list[str]:
    entries = AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return list(entries.order_by("id").values_list("action", flat=True))


def test_identifiers_are_assigned_at_first_registration_and_run_per_year() -> None:
    author = researcher()
    first, junk, second, other = (draft_project(author=author) for _ in range(4))
    assert not first.has_identifier and first.reference.startswith("DRAFT-")
    assert (first.year, first.serial) == (None, None)
    assert list(first.team.all()) == [author]
    assert _actions(first) == ["registry.project_created", "registry.protocol_draft_saved"]
    protocol_register(actor=author, project=first, today=date(2019, 5, 1))
    protocol_register(actor=author, project=second, today=date(2019, 6, 1))
    protocol_register(actor=author, project=other, today=date(2020, 1, 2))
    # The draft never registered used no number up.
    assert (first.reference, second.reference, other.reference) == (
        "WWC-2019-0001",
        "WWC-2019-0002",
        "WWC-2020-0001",
    )
    junk.refresh_from_db()
    assert not junk.has_identifier
    # An amendment keeps the identifier.
    changed = content(sample_size="540 children.")
    protocol_draft_save(actor=author, project=first, content=changed)
    protocol_register(actor=author, project=first, justification="Slower recruitment.")
    first.refresh_from_db()
    assert first.reference == "WWC-2019-0001"


def test_registering_freezes_the_draft_as_version_one() -> None:
    project = draft_project()
    version = protocol_register(actor=project.team.get(), project=project)
    assert version.number == 1 and version.justification == ""
    assert version.content["title"] == content()["title"]
    assert "registry.protocol_registered" in _actions(version)


def test_an_unready_draft_lists_every_problem() -> None:
    project = draft_project(
        data=content(
            design="",
            research_questions=[],
            outcomes=[],
            success_criteria={"combine": "all", "criteria": []},
        )
    )
    with pytest.raises(RegistryError) as caught:
        protocol_register(actor=project.team.get(), project=project)
    assert len(caught.value.messages) == 4


def test_an_amendment_needs_a_justification_and_a_change() -> None:
    project = registered_project(published=False)
    author = project.team.get()
    with pytest.raises(RegistryError, match="nothing to amend"):
        protocol_register(actor=author, project=project, justification="Because.")
    protocol_draft_save(actor=author, project=project, content=content(timeline="Four years."))
    with pytest.raises(RegistryError, match="Say why"):
        protocol_register(actor=author, project=project)
    version = protocol_register(actor=author, project=project, justification="Slower recruitment.")
    assert version.number == 2
    assert "registry.protocol_amended" in _actions(version)


def test_only_the_team_may_draft_and_register() -> None:
    project = draft_project()
    with pytest.raises(PermissionDeniedError):
        protocol_draft_save(actor=researcher(), project=project, content=content())
    with pytest.raises(PermissionDeniedError):
        protocol_register(actor=researcher(), project=project)


@pytest.mark.parametrize(
    ("days", "ok"),
    [(1, False), (2, True), (365 * 4, True), (365 * 4 + 2, False)],
)
def test_an_embargo_ends_between_two_days_and_four_years_ahead(days: int, ok: bool) -> None:
    today = date(2026, 3, 1)
    project = draft_project()
    call = partial(
        protocol_register,
        actor=project.team.get(),
        project=project,
        embargo_until=today + timedelta(days=days),
        today=today,
    )
    if ok:
        call()
    else:
        with pytest.raises(RegistryError, match="embargo must end"):
            call()


def test_publishing_needs_a_registered_version() -> None:
    project = draft_project()
    with pytest.raises(RegistryError, match="Register the protocol"):
        project_publish(actor=editor(), project=project)


def test_withdrawal_needs_a_reason_and_freezes_the_project() -> None:
    project = registered_project()
    with pytest.raises(RegistryError, match="reason"):
        project_withdraw(actor=editor(), project=project, reason="  ")
    project_withdraw(actor=editor(), project=project, reason="Partner left.")
    project.refresh_from_db()
    assert project.status == ProjectStatus.WITHDRAWN and project.withdrawn_at
    with pytest.raises(RegistryError, match="withdrawn"):
        protocol_draft_save(actor=project.team.get(), project=project, content=content())
    assert project.versions.count() == 1  # nothing deleted


def test_results_publish_fixes_the_verdict() -> None:
    project = project_with_results()
    assert project.results is not None and project.results.overall_verdict == "met"
    assert project.status == ProjectStatus.REPORTED
    entry = AuditEntry.objects.get(action="registry.results_published")
    assert entry.changes["verdict"] == "met"


def test_a_bundle_must_match_the_project_and_a_registered_version() -> None:
    project = registered_project()
    author = project.team.get()
    with pytest.raises(RegistryError, match="no registered version 3"):
        results_import_bundle(actor=author, project=project, bundle=bundle(version=3))
    with pytest.raises(RegistryError, match="not " + project.reference):
        results_import_bundle(actor=author, project=project, bundle=bundle(project="WWC-1999-0001"))


def test_results_need_a_published_project() -> None:
    project = registered_project(published=False)
    report = results_import_bundle(actor=project.team.get(), project=project, bundle=bundle())
    with pytest.raises(RegistryError, match="Publish the project"):
        results_publish(actor=editor(), report=report)


@pytest.mark.parametrize(
    ("ends", "due"),
    [(date(2026, 3, 31), date(2027, 3, 31)), (date(2024, 2, 29), date(2025, 2, 28)), (None, None)],
)
def test_results_are_due_twelve_months_after_data_collection(
    ends: date | None, due: date | None
) -> None:
    assert default_results_due(ends) == due


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("today", "latest"),
    [
        (date(2026, 12, 4), date(2030, 12, 4)),
        (date(2028, 2, 29), date(2032, 2, 29)),  # a leap year four years on
        (date(2096, 2, 29), date(2100, 2, 28)),  # 2100 is no leap year: the month's end
        (date(2027, 2, 28), date(2031, 2, 28)),
    ],
)
def test_an_embargo_ends_at_most_four_years_on_the_same_day(today: date, latest: date) -> None:
    assert embargo_bounds(today) == (today + timedelta(days=2), latest)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/report", True),
        ("/calls/", True),
        ("javascript:alert(1)", False),
        ("//evil.example/", False),
        ("https://", False),
        ("ftp://example.org/", False),
    ],
)
def test_links_must_be_web_addresses_or_local_paths(url: str, ok: bool) -> None:
    def create() -> object:
        return project_create(
            actor=researcher(),
            title="Linked",
            summary="s",
            study_type="pilot",
            topic="data",
            links=[{"label": "A link", "url": url}],
        )

    if ok:
        create()
    else:
        with pytest.raises(RegistryError, match="Each link"):
            create()
