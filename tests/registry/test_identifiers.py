"""ORCID iDs (format and ISO 7064 MOD 11-2 check digit) and identifiers in other
registers (ISRCTN, NCT, OSF), set by the team and shown on the public page."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.registry.factories import registered_project, researcher
from whatworks.core.models import AuditEntry
from whatworks.registry.errors import RegistryError
from whatworks.registry.identifiers import (
    normalise_orcid,
    normalise_secondary,
    orcid_check_digit,
)
from whatworks.registry.services.identifiers import project_set_secondary_ids, researcher_set_orcid


# ORCID's own examples: Josiah Carberry's iD, and iDs ending in X (orcid.org support,
# "Structure of the ORCID Identifier").
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0000-0002-1825-0097", "0000-0002-1825-0097"),
        ("https://orcid.org/0000-0002-1825-0097", "0000-0002-1825-0097"),
        ("0000000218250097", "0000-0002-1825-0097"),
        ("0000-0001-5109-3700", "0000-0001-5109-3700"),
        ("0000-0002-1694-233x", "0000-0002-1694-233X"),
    ],
)
def test_orcid_ids_are_normalised(value: str, expected: str) -> None:
    assert normalise_orcid(value) == expected


def test_the_check_digit_by_hand() -> None:
    # 0000-0002-1825-009?: the running total doubled after each digit is 1314; 1314 mod 11
    # is 5; (12 - 5) mod 11 = 7.
    assert orcid_check_digit("000000021825009") == "7"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0000-0002-1825-0098", "does not match the others"),
        ("0000-0002-1825", "16 characters"),
        ("abcd-0002-1825-0097", "16 characters"),
    ],
)
def test_bad_orcid_ids_are_refused(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalise_orcid(value)


@pytest.mark.parametrize(
    ("scheme", "value", "expected"),
    [
        ("isrctn", "isrctn 12345678", "ISRCTN12345678"),
        ("isrctn", "12345678", "ISRCTN12345678"),
        ("nct", "nct01234567", "NCT01234567"),
        ("osf", "https://osf.io/AB3CD/", "ab3cd"),
        ("osf", "10.17605/OSF.IO/AB3CD", "ab3cd"),
    ],
)
def test_secondary_identifiers_are_normalised(scheme: str, value: str, expected: str) -> None:
    assert normalise_secondary(scheme, value) == expected


@pytest.mark.parametrize(
    ("scheme", "value"),
    [("isrctn", "ISRCTN1234"), ("nct", "NCT1234567X"), ("osf", "osf.io/ab"), ("nct", "12345678")],
)
def test_bad_secondary_identifiers_are_refused(scheme: str, value: str) -> None:
    with pytest.raises(ValueError, match="write it as"):
        normalise_secondary(scheme, value)


@pytest.mark.django_db
def test_the_team_sets_identifiers_and_the_public_sees_them(client: Any) -> None:
    project = registered_project()
    author = project.team.get()
    with pytest.raises(RegistryError) as caught:
        project_set_secondary_ids(
            actor=author, project=project, ids={"isrctn": "x", "nct": "y", "osf": "abcde"}
        )
    assert len(caught.value.messages) == 2  # both problems at once
    project.refresh_from_db()
    assert project.secondary_ids == {}
    with pytest.raises(Exception, match="team"):
        project_set_secondary_ids(actor=researcher(), project=project, ids={"nct": "NCT01234567"})
    project_set_secondary_ids(
        actor=author, project=project, ids={"nct": "NCT01234567", "osf": "https://osf.io/ab3cd"}
    )
    researcher_set_orcid(actor=author, orcid="https://orcid.org/0000-0002-1825-0097")
    page = client.get(project.get_absolute_url()).content.decode()
    assert 'href="https://clinicaltrials.gov/study/NCT01234567"' in page
    assert 'href="https://osf.io/ab3cd"' in page
    assert 'href="https://orcid.org/0000-0002-1825-0097"' in page
    assert AuditEntry.objects.filter(action="registry.secondary_ids_set").count() == 1
    assert AuditEntry.objects.filter(action="registry.orcid_set").count() == 1


@pytest.mark.django_db
def test_the_pages_show_problems_on_their_fields(client: Any) -> None:
    project = registered_project()
    client.force_login(project.team.get())
    url = reverse("registry:identifiers", args=[project.reference])
    page = client.post(url, {"isrctn": "ISRCTN1", "nct": "NCT01234567"}).content.decode()
    assert "There is a problem" in page and "is not an ISRCTN identifier" in page
    assert client.post(url, {"nct": "NCT01234567"}).status_code == 302
    url = reverse("registry:orcid")
    page = client.post(url, {"orcid": "0000-0002-1825-0098"}).content.decode()
    assert "There is a problem" in page and "does not match the others" in page
    assert client.post(url, {"orcid": "0000-0002-1825-0097"}).status_code == 302
    assert "0000-0002-1825-0097" in client.get(url).content.decode()
    assert client.post(url, {"orcid": ""}).status_code == 302
    assert "0000-0002-1825-0097" not in client.get(project.get_absolute_url()).content.decode()
