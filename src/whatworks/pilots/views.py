"""Pilot pages.  Each parses input, fetches through a selector, calls one service and maps
:class:`PilotError` to the error summary.  Pilots that the user may not see are 404."""

from __future__ import annotations

import json
from typing import Any

from csp.decorators import csp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from whatworks.core.access import require_permission
from whatworks.core.errors import WhatworksError
from whatworks.core.http import AuthedHttpRequest, request_user
from whatworks.core.parts import PARTS_BY_KEY
from whatworks.pilots import analytics, services
from whatworks.pilots.errors import PilotError
from whatworks.pilots.forms import (
    BundleForm,
    ConfigChoicesForm,
    ConfigForm,
    DatasetForm,
    PilotForm,
    PilotRequestForm,
)
from whatworks.pilots.models import DatasetUpload, Pilot, Run
from whatworks.pilots.selectors import (
    centre_pilots,
    dataset_get_for_user,
    dataset_upload_get_for_user,
    local_authorities,
    may_create_pilots,
    may_delete_dataset,
    pilot_get_for_user,
    pilots_for_user,
    projects_for_new_pilot,
    run_get_for_user,
    run_state,
    upload_state,
    versions_for_new_pilot,
)
from whatworks.pilots.uploads import (
    ScratchUploadHandler,
    SizeLimitHandler,
    received_from,
    receiving_folder,
    remove_path,
)


def index(request: HttpRequest) -> HttpResponse:
    part = PARTS_BY_KEY["pilots"]
    return render(
        request,
        "pilots/index.html",
        {
            "part": part,
            "title": part.title,
            "lead": part.lead,
            "pilots": pilots_for_user(user=request.user),
            "sees_centre": request.user.has_perm("pilots.view_centre"),
            "may_create": may_create_pilots(request.user),
            "ask_url": f"{reverse('core:login')}?next={reverse('pilots:ask')}",
        },
    )


@require_GET
def contract(request: HttpRequest) -> HttpResponse:
    """The data contract of a pilot dataset, from the engine's own declaration (public)."""
    return render(
        request,
        "pilots/contract.html",
        {"tables": analytics.contract_tables(), "version": analytics.contract_version()},
    )


@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    """Start a pilot of one of the user's registry projects, its config fixed at once.

    Researchers choose among their teams' projects, administrators among all; others get
    403 (the page reveals no pilot).  Projects without a registered protocol version are
    listed apart, with the way to register one: a pilot's config must be fixed in one.
    """
    user: Any = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not may_create_pilots(user):
        raise PermissionDenied
    projects = projects_for_new_pilot(user=user)
    registered = projects.filter(versions__isnull=False).distinct()
    unregistered = [
        (project, _register_url(user, project))
        for project in projects.filter(versions__isnull=True)
    ]
    template = request.method == "GET" and request.GET.get("template") == "example"
    initial = {"config_yaml": analytics.example_config()} if template else None
    building = request.method == "GET" and "choices-window_days" in request.GET
    choices = ConfigChoicesForm(request.GET if building else None)
    if building and choices.is_valid():
        try:
            initial = {"config_yaml": choices.config_yaml()}
        except analytics.EngineProblems as exc:
            for message in exc.problems:
                choices.add_error(None, message)
    form = PilotForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        projects=registered,
        versions=versions_for_new_pilot(projects=registered),
        organisations=local_authorities(),
    )
    drafting = request.method == "POST" and "add_to_draft" in request.POST
    if drafting:
        for name in ("organisation", "name", "protocol_version"):
            form.fields[name].required = False
    if drafting and form.is_valid():
        _add_to_draft(request, form, form.cleaned_data["project"])
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pilot = services.pilot_create(
                actor=user,
                project=data["project"],
                organisation=data["organisation"],
                name=data["name"],
                protocol_version=data["protocol_version"],
                config_yaml=data["config_yaml"],
            )
        except PilotError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("The pilot {name} is started and its config fixed.").format(name=pilot.name),
            )
            if pilots_for_user(user=user).filter(pk=pilot.pk).exists():
                return redirect(pilot)
            messages.info(
                request,
                _("Only {authority}'s LA analysts and the team of {project} can open it.").format(
                    authority=pilot.organisation.name, project=pilot.project.reference
                ),
            )
            return redirect("pilots:index")
    return render(
        request,
        "pilots/create.html",
        {
            "form": form,
            "choices": choices,
            "built": building and not choices.errors,
            "contract_url": reverse("pilots:contract"),
            "project_create_url": reverse("registry:project_create"),
            "has_registered": registered.exists(),
            "unregistered": unregistered,
        },
    )


def _add_to_draft(request: HttpRequest, form: Any, project: Any) -> bool:
    """Put the form's config in the project's protocol draft (issue #13), or say why not."""
    try:
        services.pilot_experiment_register(
            actor=request_user(request),
            project=project,
            config_yaml=form.cleaned_data["config_yaml"],
        )
    except PilotError as exc:
        for message in exc.messages:
            form.add_error("config_yaml", message)
        return False
    messages.success(
        request,
        _(
            "The config and its criteria are in the protocol draft of {project}. Register the "
            "amended protocol ({url}), then fix the config in the new version."
        ).format(
            project=project.reference,
            url=reverse("registry:protocol_register", kwargs={"reference": project.reference}),
        ),
    )
    return True


def _register_url(user: Any, project: Any) -> str:
    """Where to register a project's protocol: its draft for those who may edit it (the
    registry's rule: its team, administrators counting), else its page."""
    if analytics.registry_can_edit(user, project):
        return reverse("registry:protocol_edit", kwargs={"reference": project.reference})
    return str(project.get_absolute_url())


def _detail(request: HttpRequest, pilot: Pilot, *, config_form: Any = None) -> HttpResponse:
    runs = [(run, *run_state(run)[:2]) for run in pilot.runs.select_related("task_record")]
    return render(
        request,
        "pilots/detail.html",
        {
            "pilot": pilot,
            "config_form": config_form
            or ConfigForm(versions=pilot.project.versions.order_by("-number")),
            "datasets": pilot.datasets.all(),
            "may_delete": may_delete_dataset(request.user, pilot),
            "uploads": pilot.uploads.exclude(status=DatasetUpload.Status.STORED)[:5],
            "runs": runs,
            "shadow_url": reverse("pilots:shadow", kwargs={"pilot_id": pilot.pk}),
        },
    )


@require_GET
@login_required
def detail(request: AuthedHttpRequest, pilot_id: str) -> HttpResponse:
    pilot = pilot_get_for_user(user=request.user, pilot_id=pilot_id)
    services.pilot_access_record(actor=request.user, target=pilot, action="pilot.viewed")
    return _detail(request, pilot)


@require_POST
@login_required
def config(request: AuthedHttpRequest, pilot_id: str) -> HttpResponse:
    pilot = pilot_get_for_user(user=request.user, pilot_id=pilot_id)
    form = ConfigForm(request.POST, versions=pilot.project.versions.order_by("-number"))
    if "add_to_draft" in request.POST:
        form.fields["protocol_version"].required = False
        if form.is_valid() and _add_to_draft(request, form, pilot.project):
            return redirect(pilot)
    elif form.is_valid():
        try:
            services.pilot_fix_config(
                actor=request.user,
                pilot=pilot,
                config_yaml=form.cleaned_data["config_yaml"],
                protocol_version=form.cleaned_data["protocol_version"],
            )
        except PilotError as exc:
            for message in exc.messages:
                form.add_error("config_yaml", message)
        else:
            messages.success(request, _("The experiment config is fixed."))
            return redirect(pilot)
    return _detail(request, pilot, config_form=form)


@csrf_exempt
@login_required
def dataset_upload(request: AuthedHttpRequest, pilot_id: str) -> HttpResponse:
    """Uploads stream to private files on disk, stopped at the size limit; a worker checks
    them (this process never reads their content).

    The upload handlers must be set before the body is read, so CSRF is checked by the
    inner view (``csrf_protect``) once they are in place.  Whatever the service did not
    take (a refused or too large upload) is removed before the response.
    """
    pilot = pilot_get_for_user(user=request.user, pilot_id=pilot_id)
    limit = int(settings.WHATWORKS_PILOT_MAX_UPLOAD_BYTES)
    limiter = SizeLimitHandler(request, limit=limit)
    folder = receiving_folder(services.incoming_root())
    if request.method == "POST":
        request.upload_handlers = [limiter, ScratchUploadHandler(request, folder=folder)]
    try:
        return _dataset_upload(request, pilot=pilot, limiter=limiter, limit=limit, folder=folder)
    finally:
        remove_path(folder)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _dataset_upload(
    request: AuthedHttpRequest, *, pilot: Pilot, limiter: SizeLimitHandler, limit: int, folder: Any
) -> HttpResponse:
    form = DatasetForm()
    if request.method == "POST":
        form = DatasetForm(request.POST, request.FILES)
        too_big = _("The upload is larger than the limit of {limit}.").format(limit=_size(limit))
        if limiter.exceeded or int(request.META.get("CONTENT_LENGTH") or 0) > limit + 65536:
            form = DatasetForm({}, MultiValueDict())
            form.full_clean()
            form.errors.clear()
            form.add_error("dataset", too_big)
        elif form.is_valid():
            try:
                upload = services.dataset_upload_start(
                    actor=request.user,
                    pilot=pilot,
                    received=received_from(folder, form.cleaned_data["dataset"]),
                )
            except PilotError as exc:
                for message in exc.messages:
                    form.add_error("dataset", message)
            else:
                return redirect(upload)
    return _upload_page(request, pilot=pilot, form=form, limit=limit)


def _upload_page(
    request: HttpRequest, *, pilot: Pilot, form: Any, limit: int, upload: Any = None
) -> HttpResponse:
    return render(
        request,
        "pilots/upload.html",
        {
            "pilot": pilot,
            "form": form,
            "limit": _size(limit),
            "retention_months": settings.WHATWORKS_PILOT_RETENTION_MONTHS,
            "upload": upload,
        },
    )


@require_GET
@login_required
def dataset_check(request: AuthedHttpRequest, pilot_id: str, upload_id: str) -> HttpResponse:
    """The check of an upload: progress while a worker checks it (htmx polls this page),
    then the outcome.  A refused upload lists every problem, with the form to try again."""
    upload = dataset_upload_get_for_user(user=request.user, pilot_id=pilot_id, upload_id=upload_id)
    status, reason, state = upload_state(upload)
    finished = status not in {DatasetUpload.Status.QUEUED, DatasetUpload.Status.CHECKING}
    if request.htmx and finished:
        return HttpResponseClientRefresh()  # the whole page: its error summary takes focus
    context = {
        "pilot": upload.pilot,
        "upload": upload,
        "status": status,
        "status_label": DatasetUpload.Status(status).label,
        "reason": reason,
        "state": state,
        "finished": finished,
    }
    if request.htmx:
        return render(request, "pilots/_upload_status.html", context)
    if status == DatasetUpload.Status.REFUSED:
        form = DatasetForm({}, MultiValueDict())
        form.full_clean()
        form.errors.clear()
        for problem in upload.problems:
            form.add_error("dataset", str(problem))
        limit = int(settings.WHATWORKS_PILOT_MAX_UPLOAD_BYTES)
        return _upload_page(request, pilot=upload.pilot, form=form, limit=limit, upload=upload)
    return render(request, "pilots/upload_check.html", context)


def _size(n: int) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


@csrf_exempt
@login_required
def bundle_upload(request: AuthedHttpRequest, pilot_id: str) -> HttpResponse:
    """The offline path's upload: the bundle streams to a temporary file, stopped at
    ``WHATWORKS_PILOT_MAX_BUNDLE_BYTES`` (CSRF is checked by the inner view once the
    handlers are in place, as for datasets)."""
    pilot = pilot_get_for_user(user=request.user, pilot_id=pilot_id)
    limit = int(settings.WHATWORKS_PILOT_MAX_BUNDLE_BYTES)
    limiter = SizeLimitHandler(request, limit=limit)
    if request.method == "POST":
        request.upload_handlers = [limiter, TemporaryFileUploadHandler(request)]
    return _bundle_upload(request, pilot=pilot, limiter=limiter, limit=limit)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _bundle_upload(
    request: AuthedHttpRequest, *, pilot: Pilot, limiter: SizeLimitHandler, limit: int
) -> HttpResponse:
    form = BundleForm()
    if request.method == "POST":
        form = BundleForm(request.POST, request.FILES)
        if limiter.exceeded or int(request.META.get("CONTENT_LENGTH") or 0) > limit + 65536:
            form = BundleForm({}, MultiValueDict())
            form.full_clean()
            form.errors.clear()
            form.add_error(
                "bundle",
                _(
                    "The file is larger than the limit of {limit} for a result bundle (one "
                    "is usually well under 1 MB): choose the bundle.json that "
                    "whatworks-analytics run wrote."
                ).format(limit=_size(limit)),
            )
        elif form.is_valid():
            upload = form.cleaned_data["bundle"]
            try:
                with upload.open("rb") as handle:
                    text = handle.read(limit + 1)  # at most the limit: the handler stopped there
                run = services.bundle_upload(
                    actor=request.user,
                    pilot=pilot,
                    text=text,
                )
            except PilotError as exc:
                for message in exc.messages:
                    form.add_error("bundle", message)
            else:
                messages.success(request, _("The bundle matches the registered config."))
                return redirect(services.report_url(run))
            finally:
                upload.close()
    return render(
        request,
        "pilots/bundle_upload.html",
        {"pilot": pilot, "form": form, "limit": _size(limit)},
    )


@require_POST
@login_required
def run_start(request: AuthedHttpRequest, pilot_id: str) -> HttpResponse:
    dataset = dataset_get_for_user(
        user=request.user, pilot_id=pilot_id, dataset_id=request.POST.get("dataset", "")
    )
    try:
        run = services.run_start(actor=request.user, pilot=dataset.pilot, dataset=dataset)
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
        services.pilot_access_record(actor=request.user, target=run, action="pilot.run_viewed")
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
def dataset_delete(request: AuthedHttpRequest, pilot_id: str, dataset_id: str) -> HttpResponse:
    """Delete a dataset before its retention date: the authority's analysts only, after a
    confirmation page that says what goes and what stays."""
    from django.utils import timezone

    from whatworks.core.confirm import Confirmation, confirmation_page
    from whatworks.pilots.selectors import may_delete_dataset

    dataset = dataset_get_for_user(user=request.user, pilot_id=pilot_id, dataset_id=dataset_id)
    pilot = dataset.pilot
    if not may_delete_dataset(request.user, pilot):
        raise PermissionDenied
    if dataset.deleted_at is not None:
        messages.error(request, _("This dataset has already been deleted."))
        return redirect(pilot)
    rows = dataset.row_counts.get("referrals", 0)
    days = (dataset.delete_after - timezone.localdate()).days
    page = confirmation_page(
        request,
        Confirmation(
            title=_("Delete this dataset now?"),
            consequences=[
                _(
                    "The pseudonymised tables uploaded {when} ({rows:,} referrals) are removed "
                    "from the platform now, {days:,} days before their deletion date. This "
                    "cannot be undone: to run the analysis again, upload the data again."
                ).format(
                    when=timezone.localtime(dataset.uploaded_at).strftime("%-d %b %Y %H:%M:%S"),
                    rows=rows,
                    days=max(days, 0),
                ),
                _("Runs, result bundles and reports stay: they hold aggregate figures only."),
            ],
            button=_("Delete the dataset"),
            cancel_url=pilot.get_absolute_url(),
        ),
    )
    if page is not None:
        return page
    try:
        services.dataset_delete(actor=request.user, dataset=dataset)
    except PilotError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The dataset was deleted."))
    return redirect(pilot)


@require_POST
@login_required
def run_cancel(request: AuthedHttpRequest, pilot_id: str, run_id: str) -> HttpResponse:
    run = run_get_for_user(user=request.user, pilot_id=pilot_id, run_id=run_id)
    try:
        services.run_cancel(actor=request.user, run=run)
    except PilotError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The run will stop at its next step."))
    return redirect(run)


def _report_run(request: HttpRequest, pilot_id: str, run_id: str) -> Run:
    run = run_get_for_user(user=request.user, pilot_id=pilot_id, run_id=run_id)
    if not run.has_report:
        raise Http404("This run has no report.")
    return run


@require_GET
@login_required
def report(request: AuthedHttpRequest, pilot_id: str, run_id: str) -> HttpResponse:
    run = _report_run(request, pilot_id, run_id)
    services.pilot_access_record(actor=request.user, target=run, action="pilot.report_viewed")
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
    services.pilot_access_record(
        actor=request.user,
        target=run,
        action="pilot.report_downloaded",
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
    services.pilot_access_record(
        actor=request.user,
        target=run,
        action="pilot.bundle_downloaded",
    )
    body = json.dumps(run.bundle, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="pilot-bundle-{run.pk}.json"'
    return response


@require_POST
@login_required
def results_fill(request: AuthedHttpRequest, pilot_id: str, run_id: str) -> HttpResponse:
    run = _report_run(request, pilot_id, run_id)
    try:
        results = services.results_fill_from_run(actor=request.user, run=run)
    except WhatworksError as exc:  # ours, or the registry's (e.g. not on the team)
        messages.error(request, exc.message)
        return redirect(services.report_url(run))
    messages.success(request, _("The project's draft results report was filled from this run."))
    return redirect(results.get_absolute_url())


@require_GET
@require_permission("pilots.view_centre")
def centre(request: HttpRequest) -> HttpResponse:
    from whatworks.pilots.models import PilotRequest

    requests = PilotRequest.objects.select_related("requested_by", "organisation")[:50]
    return render(
        request,
        "pilots/centre.html",
        {"rows": centre_pilots(user=request.user), "requests": requests},
    )


@login_required
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    """Ask the Centre's researchers for a pilot (anyone signed in; they reply by e-mail)."""
    form = PilotRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pilot_request_create(
                actor=request.user,  # type: ignore[arg-type]
                question=form.cleaned_data["question"],
            )
        except PilotError as exc:
            for message in exc.messages:
                form.add_error("question", message)
        else:
            messages.success(
                request,
                _(
                    "Your request is with the Centre's researchers, who start pilots. One of "
                    "them will reply to {email}."
                ).format(email=request.user.email),  # type: ignore[union-attr]
            )
            return redirect("pilots:index")
    return render(request, "pilots/ask.html", {"form": form})
