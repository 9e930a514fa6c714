"""Public pages: the register, a project, a protocol version, a diff, results, overdue."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from whatworks.core.parts import PARTS_BY_KEY
from whatworks.registry.criteria import explained
from whatworks.registry.diffs import diff_content
from whatworks.registry.flow import STAGES, report_arms
from whatworks.registry.identifiers import secondary_links
from whatworks.registry.links import project_links
from whatworks.registry.models import ProjectStatus, StudyType, Topic
from whatworks.registry.phases import results_phases
from whatworks.registry.protocol import SECTIONS, parse_content
from whatworks.registry.reminders import results_state
from whatworks.registry.selectors import (
    REGISTER_FILTERS,
    can_see_drafts,
    can_see_versions,
    overdue_projects,
    project_get_for_user,
    project_publish_check,
    project_requests,
    register_filter_errors,
    register_search,
    report_assessment,
    results_get_for_user,
    results_publish_check,
    results_reports_visible,
    version_get_for_user,
    version_pair_for_user,
)
from whatworks.registry.selectors_results import results_correction_check
from whatworks.registry.verdicts import Verdict
from whatworks.registry.views.common import citation, context_for_project, team_names, team_orcids

PAGE_SIZE = 25


@require_GET
def register(request: HttpRequest) -> HttpResponse:
    filters = {name: request.GET.get(name, "").strip() for name in REGISTER_FILTERS}
    errors = register_filter_errors(filters)
    usable = {k: v for k, v in filters.items() if k not in errors}
    found = register_search(filters=usable)
    page = Paginator(found.projects, PAGE_SIZE).get_page(request.GET.get("page"))
    part = PARTS_BY_KEY["registry"]
    return render(
        request,
        "registry/register.html",
        {
            "title": part.title,
            "lead": part.lead,
            "page": page,
            "search": found,
            "filters": filters,
            "errors": errors,
            "query": "&".join(f"{k}={v}" for k, v in usable.items() if v),
            "statuses": ProjectStatus.choices,
            "types": StudyType.choices,
            "topics": Topic.choices,
            "verdicts": [(v.value, v.label) for v in Verdict],
            "today": timezone.localdate(),
        },
    )


@require_GET
def project(request: HttpRequest, reference: str) -> HttpResponse:
    user = request.user
    found = project_get_for_user(user=user, reference=reference)
    show_versions = can_see_versions(user, found)
    versions = list(found.versions.order_by("-number")) if show_versions else []
    reports = list(results_reports_visible(user, found)) if show_versions else []
    published = [r for r in reports if r.published_at is not None]
    report = published[-1] if published else next(iter(reports), None)
    pending = next((r for r in reports if r.published_at is None and r.corrects_id), None)
    requests = project_requests(user=user, project=found)
    return render(
        request,
        "registry/project.html",
        {
            **context_for_project(request, found),
            "versions": versions,
            "show_versions": show_versions,
            "report": report,
            "pending_correction": pending,
            # What an editor could publish here, and why not yet (the services' own rule).
            "project_publish": project_publish_check(found),
            "results_publish": results_publish_check(
                next((r for r in reports if r.published_at is None), None)
            ),
            "corrections": len(published) - 1 if published else 0,
            "assessment": report_assessment(report) if report else None,
            # A stub or tombstone under embargo shows nothing beyond its own facts.
            "link_groups": project_links(project=found, user=user) if show_versions else [],
            "team": team_names(found),
            "team_orcids": team_orcids(found),
            "secondary_ids": secondary_links(found),
            "first_registered": found.versions.order_by("number")
            .values_list("registered_at", flat=True)
            .first(),
            "insider": can_see_drafts(user, found),
            "embargoed": found.is_embargoed(),
            # Results due soon or overdue: the team sees it here as in the reminder e-mails.
            "results_state": results_state(found) if can_see_drafts(user, found) else None,
            # Requests to publish or withdraw and their decisions (team and editors only).
            "requests": requests,
            "pending_kinds": {r.kind for r in requests if r.status == "pending"},
        },
    )


@require_GET
def version(request: HttpRequest, reference: str, number: int) -> HttpResponse:
    found = version_get_for_user(user=request.user, reference=reference, number=number)
    content = parse_content(found.content)
    latest = found.project.versions.order_by("-number").values_list("number", flat=True).first()
    return render(
        request,
        "registry/version.html",
        {
            "project": found.project,
            "version": found,
            "content": content,
            "sections": SECTIONS,
            "criteria_sentence": content.criteria_sentence(),
            "criteria_explained": explained(content),
            "citation": citation(request, found),
            "latest": latest,
        },
    )


def _number(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        raise Http404("No such version.") from None


@require_GET
def diff(request: HttpRequest, reference: str) -> HttpResponse:
    user = request.user
    found = project_get_for_user(user=user, reference=reference)
    if not can_see_versions(user, found):
        raise Http404("No such project.")
    numbers = list(found.versions.order_by("number").values_list("number", flat=True))
    if not numbers:
        raise Http404("No registered versions.")
    to_number = _number(request.GET.get("to")) or numbers[-1]
    from_number = _number(request.GET.get("from")) or max(to_number - 1, 1)
    pair = version_pair_for_user(
        user=user, reference=reference, from_number=from_number, to_number=to_number
    )
    rows = diff_content(pair.before.content, pair.after.content)
    return render(
        request,
        "registry/diff.html",
        {
            "project": found,
            "pair": pair,
            "rows": rows,
            "numbers": numbers,
            "highlighted": [row for row in rows if row.highlighted],
        },
    )


@require_GET
def results(request: HttpRequest, reference: str, number: int | None = None) -> HttpResponse:
    """The current results (``/results/``), or one report of the history by its number."""
    user = request.user
    report = results_get_for_user(user=user, reference=reference, number=number)
    assessment = report_assessment(report)
    content = parse_content(report.protocol_version.content)
    rows = [
        {"outcome": outcome, "result": assessment.results_by_outcome.get(outcome.key)}
        for outcome in content.outcomes
    ]
    history = list(results_reports_visible(user, report.project))
    superseded_by = report.superseding()
    return render(
        request,
        "registry/results.html",
        {
            **context_for_project(request, report.project),
            "report": report,
            "assessment": assessment,
            "rows": rows,
            "unregistered": [assessment.results_by_outcome[key] for key in assessment.unregistered],
            "content": content,
            "arms": report_arms(report),
            "stages": STAGES,
            "history": history if len(history) > 1 else [],
            "superseded_by": superseded_by,
            "results_publish": results_publish_check(report),
            "phases": results_phases(project=report.project, user=user),
            "can_correct": results_correction_check(user=user, report=report).ready,
        },
    )


@require_GET
def overdue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "registry/overdue.html",
        {"projects": overdue_projects(), "today": timezone.localdate()},
    )
