"""The team's pages for a trial's data, their analysis and the Evidence Store link (#18).

The data page receives uploads as the pilots' upload page does: streamed to a private file
in the scratch area, stopped at the size limit, never read by this process (a worker
checks them).  Every view of the data's pages is audited.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from whatworks.core import extensions
from whatworks.core.access import require_permission
from whatworks.core.audit_actions import AuditAction
from whatworks.core.confirm import Confirmation, confirmation_page
from whatworks.core.errors import add_to_form, add_to_messages
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.privatedata import (
    ScratchUploadHandler,
    SizeLimitHandler,
    received_from,
    receiving_folder,
    remove_path,
)
from whatworks.registry.errors import RegistryError
from whatworks.registry.forms_trial_data import EvidenceLinkForm, TrialDataForm
from whatworks.registry.models import Project, TrialDataset, TrialEvidenceLink
from whatworks.registry.selectors_trials import (
    analysis_state,
    dataset_state,
    trial_dataset_get_for_user,
    trial_datasets_for,
)
from whatworks.registry.services.trial_data import (
    plan_version,
    trial_analysis_start,
    trial_data_access_record,
    trial_dataset_delete,
    trial_dataset_upload_start,
    trial_evidence_link_set,
    trial_incoming_root,
)
from whatworks.registry.views.common import editable_project, posted


@csrf_exempt
@require_permission("registry.change_project")
def trial_data(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    """The project's trial data and the upload form.  The upload handlers must be set
    before the body is read, so CSRF is checked by the inner view once they are."""
    project = editable_project(request, reference)
    limit = int(settings.WHATWORKS_TRIAL_MAX_UPLOAD_BYTES)
    limiter = SizeLimitHandler(request, limit=limit)
    folder = receiving_folder(trial_incoming_root())
    if request.method == "POST":
        request.upload_handlers = [limiter, ScratchUploadHandler(request, folder=folder)]
    try:
        return _trial_data(request, project=project, limiter=limiter, limit=limit, folder=folder)
    finally:
        remove_path(folder)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _trial_data(
    request: AuthedHttpRequest,
    *,
    project: Project,
    limiter: SizeLimitHandler,
    limit: int,
    folder: Any,
) -> HttpResponse:
    form = TrialDataForm()
    if request.method == "POST":
        form = TrialDataForm(request.POST, request.FILES)
        if limiter.exceeded or int(request.META.get("CONTENT_LENGTH") or 0) > limit + 65536:
            form = TrialDataForm(request.POST)
            form.full_clean()
            form.errors.pop("trial_file", None)
            form.add_error(
                "trial_file",
                _("The upload is larger than the limit of %(limit)s bytes.")
                % {"limit": f"{limit:,}"},
            )
        elif form.is_valid():
            try:
                dataset = trial_dataset_upload_start(
                    actor=request.user,
                    project=project,
                    received=received_from(folder, [form.cleaned_data["trial_file"]]),
                    id_column=form.cleaned_data["id_column"],
                )
            except RegistryError as exc:
                add_to_form(form, exc, field="trial_file")
            else:
                return redirect(dataset)
    else:
        trial_data_access_record(
            actor=request.user, target=project, action=AuditAction.REGISTRY_TRIAL_DATA_LISTED
        )
    version = plan_version(project)
    return render(
        request,
        "registry/trial_data.html",
        {
            "project": project,
            "form": form,
            "version": version,
            "datasets": list(trial_datasets_for(project)),
            "limit": limit,
            "retention_months": settings.WHATWORKS_TRIAL_RETENTION_MONTHS,
            "link": TrialEvidenceLink.objects.filter(project=project).first(),
        },
    )


def _dataset_context(dataset: TrialDataset) -> dict[str, Any]:
    status, reason, state = dataset_state(dataset)
    analyses = []
    for analysis in dataset.analyses.select_related("report", "task_record"):
        a_status, a_reason, a_state = analysis_state(analysis)
        analyses.append(
            {
                "analysis": analysis,
                "status": a_status,
                "label": type(analysis).Status(a_status).label,
                "reason": a_reason,
                "state": a_state,
                "active": a_status in {"queued", "running"},
            }
        )
    active = status in {"queued", "checking"} or any(a["active"] for a in analyses)
    return {
        "project": dataset.project,
        "dataset": dataset,
        "status": status,
        "status_label": TrialDataset.Status(status).label,
        "reason": reason,
        "state": state,
        "analyses": analyses,
        "active": active,
        "may_analyse": dataset.is_usable and not any(a["active"] for a in analyses),
    }


@require_permission("registry.change_project")
def trial_dataset(request: AuthedHttpRequest, reference: str, dataset_id: str) -> HttpResponse:
    """One upload: its check, then its analyses (htmx polls while either is running)."""
    dataset = trial_dataset_get_for_user(
        user=request.user, reference=reference, dataset_id=dataset_id
    )
    context = _dataset_context(dataset)
    if request.htmx:
        if not context["active"]:
            return HttpResponseClientRefresh()  # the whole page, with its new buttons
        return render(request, "registry/includes/trial_dataset_status.html", context)
    trial_data_access_record(
        actor=request.user, target=dataset, action=AuditAction.REGISTRY_TRIAL_DATA_VIEWED
    )
    return render(request, "registry/trial_dataset.html", context)


@require_POST
@require_permission("registry.change_project")
def trial_analyse(request: AuthedHttpRequest, reference: str, dataset_id: str) -> HttpResponse:
    dataset = trial_dataset_get_for_user(
        user=request.user, reference=reference, dataset_id=dataset_id
    )
    try:
        trial_analysis_start(actor=request.user, dataset=dataset)
    except RegistryError as exc:
        add_to_messages(request, exc)
    else:
        messages.success(request, _("The registered analysis plan is running on these data."))
    return redirect(dataset)


@require_POST
@require_permission("registry.change_project")
def trial_dataset_delete_view(
    request: AuthedHttpRequest, reference: str, dataset_id: str
) -> HttpResponse:
    dataset = trial_dataset_get_for_user(
        user=request.user, reference=reference, dataset_id=dataset_id
    )
    page = confirmation_page(
        request,
        Confirmation(
            title=_("Delete these trial data now?"),
            consequences=[
                _(
                    "The %(rows)s pseudonymised rows of %(file)s are deleted for good, before "
                    "their deletion date."
                )
                % {"rows": f"{dataset.rows:,}", "file": dataset.original_name},
                _("Analyses already run, and the results they filled, stay."),
            ],
            button=_("Delete the data"),
            cancel_url=dataset.get_absolute_url(),
        ),
    )
    if page is not None:
        return page
    try:
        trial_dataset_delete(actor=request.user, dataset=dataset)
    except RegistryError as exc:
        add_to_messages(request, exc)
    else:
        messages.success(request, _("The trial data were deleted."))
    return redirect(dataset)


def _targets() -> dict[str, Any]:
    answers = extensions.evidence_targets.collect(lambda _r, answer: answer)
    return answers[0] if answers else {"interventions": [], "domains": []}


@require_permission("registry.change_project")
def trial_evidence_link(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    """Which Evidence Store intervention the trial evaluates, and each outcome's domain."""
    project = editable_project(request, reference)
    version = plan_version(project)
    content = version.content if version is not None else (project.draft_content or {})
    names = {o.get("key"): o.get("name") or o.get("key") for o in content.get("outcomes") or []}
    planned = [o["outcome"] for o in (content.get("trial_analysis") or {}).get("outcomes") or []]
    outcomes = [(key, str(names.get(key, key))) for key in planned]
    targets = _targets()
    link = TrialEvidenceLink.objects.filter(project=project).first()
    initial: dict[str, Any] = {}
    if link is not None:
        initial["intervention"] = link.intervention
        for key, target in link.outcomes.items():
            initial[f"domain__{key}"] = target.get("domain")
            initial[f"direction__{key}"] = "higher" if target.get("higher_is_better") else "lower"
    form = EvidenceLinkForm(
        posted(request),
        initial=initial,
        interventions=targets["interventions"],
        domains=targets["domains"],
        outcomes=outcomes,
    )
    if request.method == "POST" and form.is_valid():
        try:
            trial_evidence_link_set(
                actor=request.user,
                project=project,
                intervention=form.cleaned_data["intervention"],
                outcomes=form.outcomes(),
            )
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The Evidence Store link is saved."))
            return redirect(reverse("registry:trial_data", kwargs={"reference": reference}))
    return render(
        request,
        "registry/trial_evidence_link.html",
        {"project": project, "form": form, "has_plan": bool(outcomes)},
    )
