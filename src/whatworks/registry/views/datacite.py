"""A registered version's DataCite metadata, as JSON and as kernel-4 XML (``datacite.py``),
for whoever may read the version."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from whatworks.registry.datacite import metadata_xml, version_metadata
from whatworks.registry.selectors import version_get_for_user


@require_GET
def datacite_json(request: HttpRequest, reference: str, number: int) -> HttpResponse:
    version = version_get_for_user(user=request.user, reference=reference, number=number)
    response = JsonResponse(
        {"data": {"type": "dois", "attributes": version_metadata(version)}},
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def datacite_xml(request: HttpRequest, reference: str, number: int) -> HttpResponse:
    version = version_get_for_user(user=request.user, reference=reference, number=number)
    response = HttpResponse(
        metadata_xml(version_metadata(version)), content_type="application/xml; charset=utf-8"
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response
