"""The staff audit-log page, its filters, and its CSV export (a background task)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from whatworks.core import jobs
from whatworks.core.access import require_permission
from whatworks.core.auditexport import audit_export_path
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.selectors import (
    AUDIT_FILTERS,
    audit_action_names,
    audit_entries,
    audit_filter_errors,
    task_record_get_for_user,
)
from whatworks.core.services.audit import audit_export_access_record
from whatworks.core.services.background import task_start

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> dict[str, str]:
    source = request.GET if request.method == "GET" else request.POST
    return {name: source.get(name, "").strip() for name in AUDIT_FILTERS}


@require_GET
@require_permission("core.view_auditentry")
def audit_log(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    errors = audit_filter_errors(filters)
    usable = {k: v for k, v in filters.items() if k not in errors}
    page = Paginator(audit_entries(filters=usable), PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in usable.items() if v)
    return render(
        request,
        "core/audit_log.html",
        {
            "page": page,
            "filters": filters,
            "errors": errors,
            "actions": audit_action_names(),
            "query": query,
        },
    )


@require_POST
@require_permission("core.view_auditentry")
def audit_export(request: AuthedHttpRequest) -> HttpResponse:
    filters = _filters(request)
    if audit_filter_errors(filters):
        return redirect("core:audit_log")
    record = task_start(
        actor=request.user,
        kind="audit_export",
        label=_("Audit log export"),
        job=jobs.AUDIT_EXPORT,
        args=[filters],
    )
    return redirect("core:task_detail", record_id=record.pk)


@require_GET
@require_permission("core.view_auditentry")
def audit_export_download(request: AuthedHttpRequest, record_id: str) -> FileResponse:
    record = task_record_get_for_user(user=request.user, record_id=record_id)
    path = audit_export_path(str(record.pk))
    if record.kind != "audit_export" or not path.exists():
        raise Http404("No such export.")
    audit_export_access_record(actor=request.user, record=record)
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"whatworks-audit-{record.created_at:%Y%m%d-%H%M}.csv",
        content_type="text/csv; charset=utf-8",
    )
