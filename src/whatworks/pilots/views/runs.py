"""A pilot's runs: start, follow and cancel one, its report (page and download), its
bundle, and filling the registry's results report from it.  Pilots that the user may not
see are 404."""

from __future__ import annotations

from csp.decorators import csp
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import WhatworksError, raise_as_http
from whatworks.core.http import AuthedHttpRequest
from whatworks.pilots import analytics
from whatworks.pilots.errors import PilotError
from whatworks.pilots.models import Run
from whatworks.pilots.selectors import (
    dataset_get_for_user,
    run_get_for_user,
    run_state,
)
from whatworks.pilots.services import pilots, runs


@require_POST
@login_required
def run_start(request: AuthedHttpRequest, pilot_id: str) -> HttpResponse:
    dataset = dataset_get_for_user(
        user=request.user, pilot_id=pilot_id, dataset_id=request.POST.get("dataset", "")
    )
    try:
        run = runs.run_start(actor=request.user, pilot=dataset.pilot, dataset=dataset)
    except PilotError as exc:
        messages.error(request, exc.message)
        return redirect(dataset.pilot)
    return redirect(run)


@require_GET
@login_required
def run_detail(request: AuthedHttpRequest, pilot_id: str, run_id: str) -> HttpResponse:
    run = run_get_for_user(user=request.user, pilot_id=pilot_id, run_id=run_id)
    status, reason, state = run_state(run)
    if not request.htmx:
        pilots.pilot_access_record(
            actor=request.user, target=run, action=AuditAction.PILOT_RUN_VIEWED
        )
    template = "pilots/_run_status.html" if request.htmx else "pilots/run.html"
    return render(
        request,
        template,
        {
            "pilot": run.pilot,
            "run": run,
            "status": status,
            "status_label": Run.Status(status).label,
            "reason": reason,
            "state": state,
            "finished": status not in {Run.Status.QUEUED, Run.Status.RUNNING},
        },
    )


@require_POST
@login_required
def run_cancel(request: AuthedHttpRequest, pilot_id: str, run_id: str) -> HttpResponse:
    run = run_get_for_user(user=request.user, pilot_id=pilot_id, run_id=run_id)
    try:
        runs.run_cancel(actor=request.user, run=run)
    except PilotError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The run will stop at its next step."))
    return redirect(run)


def _report_run(request: AuthedHttpRequest, pilot_id: str, run_id: str) -> Run:
    run = run_get_for_user(user=request.user, pilot_id=pilot_id, run_id=run_id)
    if not run.has_report:
        raise Http404("This run has no report.")
    return run


@require_GET
@login_required
def report(request: AuthedHttpRequest, pilot_id: str, run_id: str) -> HttpResponse:
    run = _report_run(request, pilot_id, run_id)
    pilots.pilot_access_record(
        actor=request.user, target=run, action=AuditAction.PILOT_REPORT_VIEWED
    )
    return render(
        request,
        "pilots/report.html",
        {
            "pilot": run.pilot,
            "run": run,
            "verdict": (run.bundle or {}).get("verdict", {}),
            "sections": analytics.report_sections(run.bundle or {}),
            "provenance": analytics.provenance(run.bundle or {}),
        },
    )


#: The downloaded report may run no script at all, whatever it contains.
REPORT_DOWNLOAD_CSP = {
    "default-src": ["'none'"],
    "script-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["data:"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
    "frame-ancestors": ["'none'"],
    "sandbox": True,
}


@require_GET
@login_required
@csp(REPORT_DOWNLOAD_CSP)  # type: ignore[arg-type]
def report_download(request: AuthedHttpRequest, pilot_id: str, run_id: str) -> HttpResponse:
    """The report as a self-contained HTML file, served as an attachment under a policy
    that forbids script (and sandboxed), so that nothing in a bundle can run."""
    run = _report_run(request, pilot_id, run_id)
    pilots.pilot_access_record(
        actor=request.user,
        target=run,
        action=AuditAction.PILOT_REPORT_DOWNLOADED,
    )
    # Who computed the numbers (the authority offline, or the Centre), as on the page.
    preface = render_to_string(
        "pilots/_provenance.html",
        {"run": run, "provenance": analytics.provenance(run.bundle or {})},
    )
    response = HttpResponse(
        analytics.report_html(run.bundle or {}, preface_html=preface),
        content_type="text/html; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="pilot-report-{run.pk}.html"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@login_required
def bundle_download(request: AuthedHttpRequest, pilot_id: str, run_id: str) -> HttpResponse:
    run = _report_run(request, pilot_id, run_id)
    pilots.pilot_access_record(
        actor=request.user,
        target=run,
        action=AuditAction.PILOT_BUNDLE_DOWNLOADED,
    )
    response = HttpResponse(
        analytics.bundle_text(run.bundle or {}), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="pilot-bundle-{run.pk}.json"'
    return response


@require_POST
@login_required
def results_fill(request: AuthedHttpRequest, pilot_id: str, run_id: str) -> HttpResponse:
    run = _report_run(request, pilot_id, run_id)
    try:
        results = runs.results_fill_from_run(actor=request.user, run=run)
    except WhatworksError as exc:  # ours, or the registry's
        raise_as_http(exc)  # not on the project's team: 403, as everywhere
        messages.error(request, exc.message)
        return redirect(runs.report_url(run))
    messages.success(request, _("The project's draft results report was filled from this run."))
    return redirect(results.get_absolute_url())
