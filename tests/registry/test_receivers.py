"""Accepting a call's application makes the organisation a partner site of its project."""

from __future__ import annotations

import pytest

from tests.calls.factories import make_call, scored, submitted_application
from tests.factories import UserFactory
from tests.registry.factories import registered_project
from whatworks.calls.models import Application
from whatworks.calls.services import review as review_services
from whatworks.core.errors import WhatworksError
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db

Status = Application.Status


def accept(application: Application) -> None:
    editor = UserFactory.create(roles=frozenset({Role.EDITOR}))
    scored(application)  # a decision rests on at least one review
    review_services.application_decide(
        actor=editor, application=application, status=Status.SHORTLISTED
    )
    review_services.application_decide(
        actor=editor, application=application, status=Status.ACCEPTED
    )


def test_accepting_adds_the_organisation_to_the_linked_project() -> None:
    project = registered_project()
    application = submitted_application(make_call(project_ref=project.reference))
    accept(application)
    assert application.organisation in project.partner_sites.all()
    entry = AuditEntry.objects.get(action="project.partner_site_added")
    assert entry.object_id == str(project.pk)


def test_a_call_naming_an_unknown_project_cannot_accept() -> None:
    application = submitted_application(make_call(project_ref="WWC-1999-0999"))
    with pytest.raises(WhatworksError, match="not in the registry"):
        accept(application)
    application.refresh_from_db()
    assert application.status == Status.SHORTLISTED  # the refused decision left no trace
