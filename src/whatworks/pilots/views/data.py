"""A pilot's data pages: uploading a dataset (streamed to private files, checked by a
worker), its check, deleting it early, and uploading an offline result bundle.  Pilots
that the user may not see are 404."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from whatworks.core.errors import add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.pilots.errors import PilotError
from whatworks.pilots.forms import (
    BundleForm,
    DatasetForm,
)
from whatworks.pilots.models import DatasetUpload, Pilot
from whatworks.pilots.selectors import (
    can_delete_dataset,
    dataset_get_for_user,
    dataset_upload_get_for_user,
    pilot_get_for_user,
    upload_state,
)
from whatworks.pilots.services import datasets, runs, storage
from whatworks.pilots.uploads import (
    ScratchUploadHandler,
    SizeLimitHandler,
    received_from,
    receiving_folder,
    remove_path,
)


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
    folder = receiving_folder(storage.incoming_root())
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
                upload = datasets.dataset_upload_start(
                    actor=request.user,
                    pilot=pilot,
                    received=received_from(folder, form.cleaned_data["dataset"]),
                )
            except PilotError as exc:
                add_to_form(form, exc, field="dataset")
            else:
                return redirect(upload)
    return _upload_page(request, pilot=pilot, form=form, limit=limit)


def _upload_page(
    request: AuthedHttpRequest, *, pilot: Pilot, form: Any, limit: int, upload: Any = None
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
                run = runs.bundle_upload(
                    actor=request.user,
                    pilot=pilot,
                    text=text,
                )
            except PilotError as exc:
                add_to_form(form, exc, field="bundle")
            else:
                messages.success(request, _("The bundle matches the registered config."))
                return redirect(runs.report_url(run))
            finally:
                upload.close()
    return render(
        request,
        "pilots/bundle_upload.html",
        {"pilot": pilot, "form": form, "limit": _size(limit)},
    )


@require_POST
@login_required
def dataset_delete(request: AuthedHttpRequest, pilot_id: str, dataset_id: str) -> HttpResponse:
    """Delete a dataset before its retention date: the authority's analysts only, after a
    confirmation page that says what goes and what stays."""
    from django.utils import timezone

    from whatworks.core.confirm import Confirmation, confirmation_page

    dataset = dataset_get_for_user(user=request.user, pilot_id=pilot_id, dataset_id=dataset_id)
    pilot = dataset.pilot
    if not can_delete_dataset(request.user, pilot):
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
        datasets.dataset_delete(actor=request.user, dataset=dataset)
    except PilotError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The dataset was deleted."))
    return redirect(pilot)
