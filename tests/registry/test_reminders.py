"""Results reminders: due soon and overdue, e-mailed to the team once per state, with a
notice on the project's page."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from tests.registry.factories import bundle, draft_project, editor, registered_project
from whatworks.core.models import AuditEntry
from whatworks.registry.models import Project
from whatworks.registry.reminders import DUE_SOON, OVERDUE, results_state
from whatworks.registry.services.reminders import results_reminders_send
from whatworks.registry.services.results import results_import_bundle, results_publish

pytestmark = pytest.mark.django_db


def _due_in(days: int, **kwargs: Any) -> Project:
    project = registered_project(**kwargs)
    Project.objects.filter(pk=project.pk).update(
        results_due=timezone.localdate() + timedelta(days=days)
    )
    project.refresh_from_db()
    return project


def test_the_states() -> None:
    today = timezone.localdate()
    assert results_state(_due_in(31), today) is None
    soon = results_state(_due_in(30), today)
    assert soon is not None and (soon.state, soon.days) == (DUE_SOON, 30)
    late = results_state(_due_in(-3), today)
    assert late is not None and (late.state, late.days) == (OVERDUE, 3)
    assert "3 days ago" in late.sentence
    # A draft never registered is not reminded, nor are published results.
    draft = draft_project()
    Project.objects.filter(pk=draft.pk).update(results_due=today)
    draft.refresh_from_db()
    assert results_state(draft, today) is None


def test_each_state_is_told_once(django_capture_on_commit_callbacks: Any) -> None:
    project = _due_in(10)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        assert results_reminders_send(today=today) == [(project, DUE_SOON)]
        assert results_reminders_send(today=today) == []  # not every run
        assert results_reminders_send(today=today + timedelta(days=5)) == []
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [project.team.get().email]
    assert "are due on" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        assert results_reminders_send(today=today + timedelta(days=11)) == [(project, OVERDUE)]
        assert results_reminders_send(today=today + timedelta(days=40)) == []
    assert len(mail.outbox) == 2 and "overdue" in mail.outbox[1].subject
    assert AuditEntry.objects.filter(action="registry.results_reminder_sent").count() == 2


def test_a_new_due_date_is_told_again(django_capture_on_commit_callbacks: Any) -> None:
    project = _due_in(-1)
    with django_capture_on_commit_callbacks(execute=True):
        results_reminders_send()
    with django_capture_on_commit_callbacks(execute=True):
        Project.objects.filter(pk=project.pk).update(
            results_due=timezone.localdate() + timedelta(days=20)
        )
        assert results_reminders_send() == [(Project.objects.get(pk=project.pk), DUE_SOON)]
    assert len(mail.outbox) == 2


def test_published_results_and_withdrawn_projects_are_not_reminded() -> None:
    project = _due_in(-5)
    report = results_import_bundle(actor=project.team.get(), project=project, bundle=bundle())
    results_publish(actor=editor(), report=report)
    from whatworks.registry.services.projects import project_withdraw

    other = _due_in(-5)
    project_withdraw(actor=editor(), project=other, reason="Stopped.")
    assert results_reminders_send() == []


def test_the_command_reports_whom_it_told() -> None:
    project = _due_in(-2)
    out = StringIO()
    call_command("registry_results_reminders", stdout=out)
    assert f"{project.reference}: told the team the results are overdue" in out.getvalue()


def test_the_team_sees_the_notice_and_the_public_does_not(client: Any) -> None:
    project = _due_in(-2)
    assert "Results overdue" not in client.get(project.get_absolute_url()).content.decode()
    client.force_login(project.team.get())
    page = client.get(project.get_absolute_url()).content.decode()
    assert "Results overdue" in page and "2 days ago" in page
