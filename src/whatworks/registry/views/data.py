"""Open data: the register as JSON and CSV, each version's JSON, each result's JSON.

A version's JSON carries ``content`` exactly as registered and its ``sha256``, the SHA-256
of ``content`` as canonical JSON, so that anyone can check that nothing changed.
"""

from __future__ import annotations

import io
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from whatworks.core.csvutils import write_csv
from whatworks.registry.models import Project, ProtocolVersion, ResultsReport
from whatworks.registry.selectors import (
    public_projects,
    public_results,
    report_assessment,
    results_get_for_user,
    version_get_for_user,
)
from whatworks.registry.views.common import team_names

JSON_OPTIONS = {"ensure_ascii": False, "indent": 2}


def _json(data: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params=JSON_OPTIONS)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def version_data(version: ProtocolVersion) -> dict[str, Any]:
    return {
        "id": version.project.reference,
        "version": version.number,
        "registered_at": version.registered_at.isoformat(),
        "justification": version.justification,
        "content": version.content,
        "sha256": version.sha256,
    }


def _report_ref(request: HttpRequest, report: ResultsReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    return {
        "number": report.number,
        "published_at": report.published_at.isoformat() if report.published_at else None,
        "url": request.build_absolute_uri(report.json_url()),
    }


def results_history(request: HttpRequest, project: Project) -> list[dict[str, Any]]:
    """Every published results report of the project, oldest first, with its corrections."""
    reports = (
        ResultsReport.objects.filter(project=project, published_at__isnull=False)
        .select_related("corrects")
        .order_by("number")
    )
    return [
        {
            "number": r.number,
            "published_at": r.published_at.isoformat() if r.published_at else None,
            "verdict": r.overall_verdict,
            "corrects": r.corrects.number if r.corrects else None,
            "justification": r.justification or None,
            "url": request.build_absolute_uri(r.json_url()),
        }
        for r in reports
    ]


def results_data(request: HttpRequest, report: ResultsReport) -> dict[str, Any]:
    assessment = report_assessment(report)
    version = report.protocol_version
    superseded_by = report.superseding()
    return {
        "id": report.project.reference,
        "number": report.number,
        "url": request.build_absolute_uri(report.json_url()),
        "current": report.published_at is not None and superseded_by is None,
        "corrects": _report_ref(request, report.corrects),
        "correction_justification": report.justification or None,
        "superseded_by": _report_ref(request, superseded_by),
        "protocol_version": version.number,
        "protocol_sha256": version.sha256,
        "protocol_url": request.build_absolute_uri(
            f"{version.get_absolute_url().rstrip('/')}.json"
        ),
        "published_at": report.published_at.isoformat() if report.published_at else None,
        "data_collection_ended": report.data_collection_ended.isoformat()
        if report.data_collection_ended
        else None,
        "summary": report.summary,
        "results": report.results,
        "participant_flow": report.flow,
        "baseline": report.baseline,
        "harms": report.harms,
        "plain_summary": report.plain_summary,
        "criteria": [
            {**c.criterion.model_dump(mode="json"), "verdict": c.verdict.value, "reason": c.reason}
            for c in assessment.criteria
        ],
        "overall_verdict": assessment.overall.value,
        "overall": assessment.sentence,
        "unreported_outcomes": list(assessment.unreported),
        "outcomes_not_pre_registered": list(assessment.unregistered),
        "history": results_history(request, report.project),
    }


def _project_row(request: HttpRequest, project: Project, today: Any) -> dict[str, Any]:
    public = project.is_public(today)
    versions = list(project.versions.order_by("number")) if public else []
    published_report = public_results(project) if public else None
    base = project.get_absolute_url()
    return {
        "id": project.reference,
        "title": project.title,
        "url": request.build_absolute_uri(base),
        "status": project.status,
        "type": project.study_type,
        "topic": project.topic,
        "summary": project.summary,
        "partner_sites": [o.name for o in project.partner_sites.all()],
        "team": team_names(project),
        "published_at": project.published_at.isoformat() if project.published_at else None,
        "withdrawn_at": project.withdrawn_at.isoformat() if project.withdrawn_at else None,
        "withdrawal_reason": project.withdrawal_reason or None,
        "results_due": project.results_due.isoformat() if project.results_due else None,
        "versions": [
            {
                "version": v.number,
                "registered_at": v.registered_at.isoformat(),
                "sha256": v.sha256,
                "url": request.build_absolute_uri(f"{base}v{v.number}.json"),
            }
            for v in versions
        ],
        "results": request.build_absolute_uri(f"{base}results.json") if published_report else None,
        "verdict": published_report.overall_verdict if published_report else None,
        "results_history": results_history(request, project) if published_report else [],
    }


@require_GET
def register_json(request: HttpRequest) -> JsonResponse:
    today = timezone.localdate()
    projects = public_projects(today).prefetch_related("partner_sites", "team")
    return _json(
        {
            "generated_at": timezone.now().isoformat(),
            "projects": [_project_row(request, p, today) for p in projects],
        }
    )


CSV_HEADER = (
    "id",
    "title",
    "status",
    "type",
    "topic",
    "partner_sites",
    "latest_version",
    "latest_sha256",
    "published_at",
    "results_due",
    "verdict",
    "withdrawn_at",
    "url",
)


@require_GET
def register_csv(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = []
    for project in public_projects(today).prefetch_related("partner_sites", "team"):
        row = _project_row(request, project, today)
        latest = row["versions"][-1] if row["versions"] else {}
        rows.append(
            (
                row["id"],
                row["title"],
                row["status"],
                row["type"],
                row["topic"],
                "; ".join(row["partner_sites"]),
                latest.get("version", ""),
                latest.get("sha256", ""),
                row["published_at"] or "",
                row["results_due"] or "",
                row["verdict"] or "",
                row["withdrawn_at"] or "",
                row["url"],
            )
        )
    handle = io.StringIO()
    write_csv(handle, header=CSV_HEADER, rows=rows)
    response = HttpResponse(handle.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="whatworks-research-register.csv"'
    return response


@require_GET
def version_json(request: HttpRequest, reference: str, number: int) -> JsonResponse:
    version = version_get_for_user(user=request.user, reference=reference, number=number)
    return _json(version_data(version))


@require_GET
def results_json(request: HttpRequest, reference: str, number: int | None = None) -> JsonResponse:
    report = results_get_for_user(user=request.user, reference=reference, number=number)
    return _json(results_data(request, report))
