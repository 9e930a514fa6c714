"""Asking for a pilot (issue #19): anyone signed in asks; the Centre's researchers, who
start pilots, see the request and who to reply to."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import OrganisationFactory, user_with_role
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.pilots.models import PilotRequest

pytestmark = pytest.mark.django_db


def test_an_analyst_asks_and_the_centre_sees_the_request(client: Client) -> None:
    authority = OrganisationFactory.create(name="Northmoor Council")
    analyst = user_with_role(Role.LA_ANALYST, organisation=authority)
    client.force_login(analyst)
    index = client.get(reverse("pilots:index")).content.decode()
    assert reverse("pilots:ask") in index

    page = client.post(reverse("pilots:ask"), {"question": "  "}).content.decode()
    assert "Say what your authority would like to test." in page
    assert not PilotRequest.objects.exists()

    response = client.post(reverse("pilots:ask"), {"question": "Escalation within a year."})
    assert response.status_code == 302 and response["Location"] == reverse("pilots:index")
    request = PilotRequest.objects.get()
    assert request.requested_by == analyst and request.organisation == authority
    assert AuditEntry.objects.filter(action="pilot.requested", actor=analyst).exists()

    researcher = user_with_role(Role.RESEARCHER)
    client.force_login(researcher)
    centre = client.get(reverse("pilots:centre")).content.decode()
    assert "Escalation within a year." in centre and f"mailto:{analyst.email}" in centre
    assert "Northmoor Council" in centre


def test_visitors_are_asked_to_sign_in_first(client: Client) -> None:
    index = client.get(reverse("pilots:index")).content.decode()
    assert "Sign in to ask for a pilot" in index
    assert client.get(reverse("pilots:ask")).status_code == 302
