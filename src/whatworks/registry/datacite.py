"""DataCite metadata for a registered protocol version (issue #17), so that a DOI can be
minted for it: DataCite JSON (the attributes of DataCite's REST API, schema 4.5) and the
same metadata as DataCite kernel-4 XML (for the MDS API).

Each version is a ``StudyRegistration``.  Its DOI is ``<prefix>/<identifier>.v<number>``
(lower case), with the prefix from ``WHATWORKS_DATACITE_PREFIX``; the registry itself mints
nothing.  The team are the creators, with their ORCID iDs; the register's identifier and
the study's identifiers in other registers are alternate identifiers; the previous version,
the attached documents and the results are related identifiers; the content's SHA-256 is
technical information.  Pure functions of the version; the views add no more.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from django.conf import settings

from whatworks.core.links import absolute_url
from whatworks.registry.identifiers import SCHEMES, orcids_of
from whatworks.registry.models import ProtocolVersion, StudyType, Topic
from whatworks.registry.protocol import ATTACHMENT_LABELS

KERNEL = "http://datacite.org/schema/kernel-4"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{KERNEL} http://schema.datacite.org/meta/kernel-4.5/metadata.xsd"
PUBLISHER = "What Works Centre for Children's Social Care"
#: What each attached document is, in DataCite's resource types.
ATTACHMENT_TYPES = {
    "statistical-analysis-plan": "Text",
    "analysis-code": "Software",
    "data-management-plan": "OutputManagementPlan",
    "ethics-approval": "Text",
}


def doi_for(reference: str, number: int) -> str:
    return f"{settings.WHATWORKS_DATACITE_PREFIX}/{reference.lower()}.v{number}"


def version_metadata(version: ProtocolVersion) -> dict[str, Any]:
    """The version's DataCite JSON (schema 4.5)."""
    project = version.project
    content = version.content
    people = list(project.team.order_by("full_name", "email"))
    orcids = orcids_of(people)
    creators: list[dict[str, Any]] = []
    for person in people:
        creator: dict[str, Any] = {"name": str(person), "nameType": "Personal"}
        if orcid := orcids.get(person.pk):
            creator["nameIdentifiers"] = [
                {
                    "nameIdentifier": f"https://orcid.org/{orcid}",
                    "nameIdentifierScheme": "ORCID",
                    "schemeUri": "https://orcid.org",
                }
            ]
        creators.append(creator)
    if not creators:
        creators = [{"name": PUBLISHER, "nameType": "Organizational"}]
    dates = [{"date": version.registered_at.date().isoformat(), "dateType": "Submitted"}]
    if project.published_at is not None:
        issued = max(project.published_at, version.registered_at)
        dates.append({"date": issued.date().isoformat(), "dateType": "Issued"})
    alternates = [
        {
            "alternateIdentifier": f"{project.reference} v{version.number}",
            "alternateIdentifierType": "What Works Centre research registry",
        }
    ]
    for scheme, value in sorted((project.secondary_ids or {}).items()):
        if scheme in SCHEMES and value:
            alternates.append(
                {"alternateIdentifier": value, "alternateIdentifierType": scheme.upper()}
            )
    related: list[dict[str, Any]] = []
    if version.number > 1:
        related.append(
            {
                "relatedIdentifier": doi_for(project.reference, version.number - 1),
                "relatedIdentifierType": "DOI",
                "relationType": "IsNewVersionOf",
            }
        )
    for item in content.get("attachments") or []:
        url = absolute_url(f"{version.get_absolute_url()}files/{item['kind']}/")
        related.append(
            {
                "relatedIdentifier": url,
                "relatedIdentifierType": "URL",
                "relationType": "HasPart",
                "resourceTypeGeneral": ATTACHMENT_TYPES.get(item["kind"], "Text"),
            }
        )
    descriptions = [
        {"description": project.summary or content.get("title", ""), "descriptionType": "Abstract"},
        {
            "description": f"SHA-256 of the registered content (canonical JSON): "
            f"{version.sha256}. "
            + "; ".join(
                f"{ATTACHMENT_LABELS.get(a['kind'], a['kind'])} “{a['name']}”: "
                f"SHA-256 {a['sha256']}"
                for a in content.get("attachments") or []
            ),
            "descriptionType": "TechnicalInfo",
        },
    ]
    if version.justification:
        descriptions.append({"description": version.justification, "descriptionType": "Other"})
    data: dict[str, Any] = {
        "doi": doi_for(project.reference, version.number),
        "url": absolute_url(version.get_absolute_url()),
        "types": {
            "resourceTypeGeneral": "StudyRegistration",
            "resourceType": f"Research protocol: {StudyType(project.study_type).label}",
        },
        "creators": creators,
        "titles": [{"title": content.get("title") or project.title, "lang": "en"}],
        "publisher": {"name": PUBLISHER},
        "publicationYear": str(version.registered_at.year),
        "subjects": [{"subject": str(Topic(project.topic).label), "lang": "en"}],
        "dates": dates,
        "language": "en",
        "alternateIdentifiers": alternates,
        "formats": ["application/json"],
        "version": str(version.number),
        "descriptions": descriptions,
        "schemaVersion": KERNEL,
    }
    if related:
        data["relatedIdentifiers"] = related
    return data


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{KERNEL}}}{tag}", {k: v for k, v in attrs.items() if v})
    if text is not None:
        element.text = text
    return element


def _lang(value: dict[str, Any]) -> dict[str, str]:
    return (
        {"{http://www.w3.org/XML/1998/namespace}lang": value["lang"]} if value.get("lang") else {}
    )


def metadata_xml(data: dict[str, Any]) -> bytes:
    """DataCite kernel-4 XML of :func:`version_metadata`'s JSON."""
    ET.register_namespace("", KERNEL)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(f"{{{KERNEL}}}resource", {f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION})
    _sub(root, "identifier", data["doi"], identifierType="DOI")
    creators = _sub(root, "creators")
    for creator in data["creators"]:
        element = _sub(creators, "creator")
        name = _sub(element, "creatorName", creator["name"], nameType=creator.get("nameType", ""))
        name.attrib.update(_lang(creator))
        for ident in creator.get("nameIdentifiers", []):
            _sub(
                element,
                "nameIdentifier",
                ident["nameIdentifier"],
                nameIdentifierScheme=ident["nameIdentifierScheme"],
                schemeURI=ident.get("schemeUri", ""),
            )
    titles = _sub(root, "titles")
    for title in data["titles"]:
        _sub(titles, "title", title["title"]).attrib.update(_lang(title))
    _sub(root, "publisher", data["publisher"]["name"])
    _sub(root, "publicationYear", data["publicationYear"])
    _sub(
        root,
        "resourceType",
        data["types"].get("resourceType"),
        resourceTypeGeneral=data["types"]["resourceTypeGeneral"],
    )
    subjects = _sub(root, "subjects")
    for subject in data["subjects"]:
        _sub(subjects, "subject", subject["subject"]).attrib.update(_lang(subject))
    dates = _sub(root, "dates")
    for date in data["dates"]:
        _sub(dates, "date", date["date"], dateType=date["dateType"])
    _sub(root, "language", data["language"])
    alternates = _sub(root, "alternateIdentifiers")
    for alt in data["alternateIdentifiers"]:
        _sub(
            alternates,
            "alternateIdentifier",
            alt["alternateIdentifier"],
            alternateIdentifierType=alt["alternateIdentifierType"],
        )
    if data.get("relatedIdentifiers"):
        related = _sub(root, "relatedIdentifiers")
        for rel in data["relatedIdentifiers"]:
            element = _sub(related, "relatedIdentifier", rel["relatedIdentifier"])
            element.set("relationType", rel["relationType"])
            if rel.get("resourceTypeGeneral"):
                element.set("resourceTypeGeneral", rel["resourceTypeGeneral"])
            element.set("relatedIdentifierType", rel["relatedIdentifierType"])
    formats = _sub(root, "formats")
    for fmt in data["formats"]:
        _sub(formats, "format", fmt)
    _sub(root, "version", data["version"])
    descriptions = _sub(root, "descriptions")
    for description in data["descriptions"]:
        _sub(
            descriptions,
            "description",
            description["description"],
            descriptionType=description["descriptionType"],
        )
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


#: What DataCite's kernel 4 makes mandatory (its documentation's "mandatory properties"),
#: checked on the XML in the tests beside the JSON schema and the reference serialiser.
MANDATORY = (
    "identifier",
    "creators/creator/creatorName",
    "titles/title",
    "publisher",
    "publicationYear",
    "resourceType",
)
