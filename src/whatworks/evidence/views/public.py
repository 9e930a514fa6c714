"""Public pages: search, intervention, study, "our ratings explained", open data."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from whatworks.core.parts import PARTS_BY_KEY
from whatworks.core.projects import project_for_user
from whatworks.evidence.models import OutcomeDomain
from whatworks.evidence.opendata import intervention_open_data
from whatworks.evidence.rules import RULES_NOTES
from whatworks.evidence.scales import COST_BANDS, EFFECTIVENESS_SCALE, RULES_VERSION, STRENGTH_SCALE
from whatworks.evidence.search import SORTS, SearchQuery, evidence_search
from whatworks.evidence.selectors import (
    can_edit_evidence,
    intervention_detail,
    intervention_get_for_user,
    study_get_for_user,
)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Search and list: the query and the chosen facets live in the URL."""
    query = SearchQuery.from_params(request.GET)
    results = evidence_search(query=query)
    part = PARTS_BY_KEY["evidence"]
    return render(
        request,
        "evidence/index.html",
        {
            "part": part,
            "title": part.title,
            "lead": part.lead,
            "results": results,
            "query": query,
            "has_filters": bool(query.filters),
            "previous_url": "?" + urlencode(query.url_params(page=results.page - 1))
            if results.page > 1
            else "",
            "next_url": "?" + urlencode(query.url_params(page=results.page + 1))
            if results.page < results.page_count
            else "",
            "can_edit": can_edit_evidence(request.user),
            "sorts": [(k, str(v)) for k, v in SORTS.items() if k != "relevance" or query.text],
            "current_sort": query.effective_sort,
            "exact_url": "?" + urlencode(query.url_params(spell=False))
            if results.corrected
            else "",
        },
    )


@require_GET
def intervention(request: HttpRequest, slug: str) -> HttpResponse:
    found = intervention_get_for_user(user=request.user, slug=slug)
    return render(
        request,
        "evidence/intervention.html",
        {
            "detail": intervention_detail(intervention=found),
            "intervention": found,
            "can_edit": can_edit_evidence(request.user),
            "domain_choices": OutcomeDomain.choices,
        },
    )


@require_GET
def study(request: HttpRequest, slug: str) -> HttpResponse:
    found = study_get_for_user(user=request.user, slug=slug)
    return render(
        request,
        "evidence/study.html",
        {
            "study": found,
            "findings": found.findings.order_by("domain", "id"),
            # The registered project, only as far as the registry lets this user see it.
            "registered_as": project_for_user(user=request.user, reference=found.registry_ref),
            "can_edit": can_edit_evidence(request.user),
        },
    )


@require_GET
def ratings_explained(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "evidence/ratings_explained.html",
        {
            "effectiveness_scale": EFFECTIVENESS_SCALE,
            "strength_scale": STRENGTH_SCALE,
            "cost_bands": COST_BANDS,
            "rules_version": RULES_VERSION,
            "rules_notes": RULES_NOTES,
        },
    )


@require_GET
def intervention_data(request: HttpRequest, slug: str) -> JsonResponse:
    """Open data: the intervention as JSON at a stable URL."""
    found = intervention_get_for_user(user=request.user, slug=slug)
    document = intervention_open_data(
        intervention=found, url=request.build_absolute_uri(found.get_absolute_url())
    )
    response = JsonResponse(document, json_dumps_params={"indent": 1, "ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response
