"""The DataCite export of a registered version, checked against DataCite's schema.

The JSON is validated against the DataCite 4.5 JSON schema that the ``datacite`` package
(inveniosoftware/datacite, DataCite's metadata in Invenio and Zenodo) ships.  That package
ships no kernel-4 XSD, so the XML is checked two ways instead: it must say exactly what the
package's own kernel-4.5 serialiser makes of the same JSON (element by element, in any
order, as the XSD's ``xs:all`` allows), and it must carry every mandatory property.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.urls import reverse

from tests.registry.factories import attached_project, registered_project
from whatworks.registry.datacite import KERNEL, MANDATORY, metadata_xml, version_metadata
from whatworks.registry.services.identifiers import project_set_secondary_ids, researcher_set_orcid

schema45 = pytest.importorskip("datacite.schema45")

pytestmark = pytest.mark.django_db


def _rich_version() -> Any:
    project = attached_project()
    author = project.team.get()
    researcher_set_orcid(actor=author, orcid="0000-0002-1825-0097")
    project_set_secondary_ids(actor=author, project=project, ids={"isrctn": "ISRCTN12345678"})
    from tests.registry.factories import amend

    amend(project, author=author)
    return project.versions.get(number=2)


def _canonical(element: ET.Element) -> Any:
    """An element as (tag, attributes, text, children) with children in any order."""
    children = sorted((_canonical(child) for child in element), key=repr)
    return (element.tag, sorted(element.attrib.items()), (element.text or "").strip(), children)


def test_the_json_is_valid_datacite_4_5() -> None:
    data = version_metadata(_rich_version())
    errors = [e.message for e in schema45.validator.iter_errors(data)]
    assert errors == []
    assert data["types"]["resourceTypeGeneral"] == "StudyRegistration"
    assert data["creators"][0]["nameIdentifiers"][0]["nameIdentifier"].endswith(
        "0000-0002-1825-0097"
    )
    kinds = {r["relationType"] for r in data["relatedIdentifiers"]}
    assert kinds == {"IsNewVersionOf", "HasPart"}
    assert {"alternateIdentifier": "ISRCTN12345678", "alternateIdentifierType": "ISRCTN"} in (
        data["alternateIdentifiers"]
    )


def test_the_json_of_a_plain_version_is_valid_too() -> None:
    data = version_metadata(registered_project().versions.get())
    assert schema45.validate(data)
    assert "relatedIdentifiers" not in data


def test_the_xml_says_what_the_reference_serialiser_says() -> None:
    data = version_metadata(_rich_version())
    ours = ET.fromstring(metadata_xml(data))  # noqa: S314 - our own output
    reference = ET.fromstring(schema45.tostring(data).encode())  # noqa: S314
    assert _canonical(ours) == _canonical(reference)


def test_the_xml_has_every_mandatory_property() -> None:
    version = _rich_version()
    root = ET.fromstring(metadata_xml(version_metadata(version)))  # noqa: S314
    assert root.tag == f"{{{KERNEL}}}resource"
    ns = {"d": KERNEL}
    for path in MANDATORY:
        found = root.find("/".join(f"d:{part}" for part in path.split("/")), ns)
        assert found is not None and (found.text or "").strip(), path
    identifier = root.find("d:identifier", ns)
    assert identifier is not None and identifier.get("identifierType") == "DOI"
    assert identifier.text == f"10.5072/{version.project.reference.lower()}.v2"


def test_the_export_pages(client: Any) -> None:
    project = registered_project()
    json_url = reverse("registry:version_datacite_json", args=[project.reference, 1])
    xml_url = reverse("registry:version_datacite_xml", args=[project.reference, 1])
    attributes = client.get(json_url).json()["data"]["attributes"]
    assert attributes["titles"][0]["title"] == project.versions.get().content["title"]
    response = client.get(xml_url)
    assert response["Content-Type"].startswith("application/xml")
    assert b"StudyRegistration" in response.content
    page = client.get(reverse("registry:version", args=[project.reference, 1])).content.decode()
    assert xml_url in page and json_url in page


def test_an_embargoed_version_exports_nothing_to_the_public(client: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    project = registered_project(embargo_until=timezone.localdate() + timedelta(days=10))
    url = reverse("registry:version_datacite_xml", args=[project.reference, 1])
    assert client.get(url).status_code == 404
