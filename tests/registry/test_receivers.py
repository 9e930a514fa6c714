"""Accepting a call's application makes the organisation a partner site of its project."""

from __future__ import annotations

from functools import partial

import pytest

from tests.calls.factories import make_call, scored, submitted_application
from tests.factories import OrganisationFactory, UserFactory
from tests.registry.factories import editor, registered_project
from whatworks.calls.models import Application
from whatworks.calls.services import review as review_services
from whatworks.core.errors import WhatworksError
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.registry.errors import RegistryError
from whatworks.registry.services.projects import project_add_partner_site_by_reference

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


def test_the_service_joins_by_identifier_once_and_ignores_no_identifier() -> None:
    project = registered_project()
    organisation = OrganisationFactory.create()
    join = partial(project_add_partner_site_by_reference, actor=editor(), organisation=organisation)
    assert join(project_ref="") is None
    assert join(project_ref=f" {project.reference} ") == project
    assert organisation in project.partner_sites.all()
    join(project_ref=project.reference)
    assert AuditEntry.objects.filter(action="project.partner_site_added").count() == 1
    with pytest.raises(RegistryError, match="WWC-1999-0999"):
        join(project_ref="WWC-1999-0999")
