"""Pages for the project's team and for editors: create, edit, register, publish, withdraw;
the editors' queue of the teams' requests to publish or withdraw, and their decisions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from whatworks.core.access import require_permission
from whatworks.core.errors import add_to_form, add_to_messages
from whatworks.core.http import AuthedHttpRequest
from whatworks.registry.criteria import explain, explained
from whatworks.registry.design import ArmFormSet, StudyDesignForm, design_content, design_initial
from whatworks.registry.diffs import diff_content
from whatworks.registry.errors import RegistryError
from whatworks.registry.forms import (
    BundleForm,
    CriterionFormSet,
    DecisionForm,
    OutcomeFormSet,
    ProjectForm,
    ProtocolForm,
    RegisterForm,
    WithdrawForm,
    label_rows,
    links_text,
    protocol_content,
    protocol_initial,
    row_errors,
)
from whatworks.registry.models import ProjectRequest
from whatworks.registry.protocol import (
    ProtocolContent,
    ProtocolContentError,
    content_sha256,
    parse_content,
)
from whatworks.registry.selectors import (
    can_decide_requests,
    can_see_everything,
    draft_results,
    project_get_for_user,
    public_results,
    recent_decisions,
    request_get_for_user,
    request_queue,
    workspace_projects,
)
from whatworks.registry.services import projects as projects_services
from whatworks.registry.services import protocols
from whatworks.registry.services import requests as requests_services
from whatworks.registry.services import results as results_services
from whatworks.registry.services.projects import deletion_problems, has_published_results
from whatworks.registry.services.protocols import registration_problems
from whatworks.registry.services.trial_results import (
    is_trial_bundle,
    results_import_trial_bundle,
)
from whatworks.registry.views.common import editable_project, posted


@login_required
def workspace(request: AuthedHttpRequest) -> HttpResponse:
    """The projects a researcher works on, or every project for an editor."""
    user = request.user
    if not (user.has_perm("registry.add_project") or can_see_everything(user)):
        raise PermissionDenied
    projects = workspace_projects(user=user).prefetch_related("versions")
    return render(
        request,
        "registry/workspace.html",
        {
            "projects": projects.order_by("-updated_at"),
            "can_create": user.has_perm("registry.add_project"),
            "pending_requests": request_queue(user=user).count(),
        },
    )


@require_permission("registry.add_project")
def project_create(request: AuthedHttpRequest) -> HttpResponse:
    form = ProjectForm(posted(request), creating=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = projects_services.project_create(
                actor=request.user,
                title=data["title"],
                summary=data["summary"],
                study_type=data["study_type"],
                topic=data["topic"],
                partner_sites=list(data["partner_sites"]),
                team=list(data["team"]),
                links=data["links"],
                data_collection_ends=data["data_collection_ends"],
                results_due=data["results_due"],
            )
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Project %(ref)s created.") % {"ref": created.reference})
            return redirect("registry:protocol_edit", reference=created.reference)
    return render(request, "registry/project_form.html", {"form": form, "project": None})


@require_permission("registry.change_project")
def project_edit(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    project = editable_project(request, reference)
    initial = {
        "title": project.title,
        "summary": project.summary,
        "status": project.status,
        "study_type": project.study_type,
        "topic": project.topic,
        "partner_sites": list(project.partner_sites.all()),
        "team": list(project.team.all()),
        "links": links_text(project.links),
        "data_collection_ends": project.data_collection_ends,
        "results_due": project.results_due,
    }
    form = ProjectForm(posted(request), initial=initial, has_results=has_published_results(project))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            projects_services.project_update(
                actor=request.user,
                project=project,
                title=data["title"],
                summary=data["summary"],
                status=data["status"],
                study_type=data["study_type"],
                topic=data["topic"],
                partner_sites=list(data["partner_sites"]),
                team=list(data["team"]),
                links=data["links"],
                data_collection_ends=data["data_collection_ends"],
                results_due=data["results_due"],
            )
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Project details saved."))
            return redirect(project)
    return render(request, "registry/project_form.html", {"form": form, "project": project})


def _parsed_or_none(content: dict[str, Any]) -> ProtocolContent | None:
    try:
        return parse_content(content)
    except ProtocolContentError:
        return None


@require_permission("registry.change_project")
def protocol_edit(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    project = editable_project(request, reference)
    main, outcomes, criteria = protocol_initial(project.draft_content)
    data = posted(request)
    form = ProtocolForm(data, initial=main)
    outcome_set = OutcomeFormSet(data, initial=outcomes, prefix="outcomes")
    criterion_set = CriterionFormSet(data, initial=criteria, prefix="criteria")
    label_rows(outcome_set, _("Outcome"))
    label_rows(criterion_set, _("Criterion"))
    design_main, arms = design_initial(project.draft_content)
    design_form = StudyDesignForm(data, initial=design_main, prefix="design")
    arm_set = ArmFormSet(data, initial=arms, prefix="arms")
    label_rows(arm_set, _("Arm"))
    saved = _parsed_or_none(project.draft_content)
    if saved is not None:
        # Each saved criterion, as it will be judged.
        names, criteria_saved = saved.outcome_names(), saved.success_criteria.criteria
        for row, criterion in zip(criterion_set.forms, criteria_saved, strict=False):
            row.criterion_explained = explain(criterion, names.get(criterion.outcome))
    forms_valid = data is not None and all(
        f.is_valid() for f in (form, outcome_set, criterion_set, design_form, arm_set)
    )
    design = design_content(design_form, arm_set) if forms_valid else {}
    if forms_valid and not design_form.add_design_problems(design, arm_set):
        content = protocol_content(form, outcome_set, criterion_set)
        if design:
            content["study_design"] = design
        try:
            protocols.protocol_draft_save(actor=request.user, project=project, content=content)
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Draft protocol saved."))
            if "add_row" in request.POST:
                return redirect("registry:protocol_edit", reference=project.reference)
            return redirect("registry:protocol_register", reference=project.reference)
    return render(
        request,
        "registry/protocol_form.html",
        {
            "project": project,
            "form": form,
            "outcome_set": outcome_set,
            "criterion_set": criterion_set,
            "design_form": design_form,
            "arm_set": arm_set,
            "formset_errors": row_errors(outcome_set, criterion_set, arm_set),
            "criteria_sentence": saved.criteria_sentence() if saved else "",
        },
    )


@require_permission("registry.change_project")
def protocol_register(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    project = editable_project(request, reference)
    latest = project.versions.order_by("-number").first()
    form = RegisterForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            version = protocols.protocol_register(
                actor=request.user,
                project=project,
                justification=form.cleaned_data["justification"],
                embargo_until=form.cleaned_data["embargo_until"],
            )
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Registered %(label)s. Its SHA-256 is %(sha)s.")
                % {"label": version.label, "sha": version.sha256},
            )
            return redirect(version)
    content = _parsed_or_none(project.draft_content)
    if content is None:
        problems = ["The draft does not fit the protocol template: edit and save it again."]
    else:
        problems = registration_problems(content, study_type=project.study_type)
        if latest is not None and latest.content == content.as_json():
            problems.append(_("The draft is the same as the registered version: nothing to amend."))
    return render(
        request,
        "registry/register_confirm.html",
        {
            "project": project,
            "form": form,
            "latest": latest,
            "problems": problems,
            "rows": diff_content(latest.content, project.draft_content) if latest else [],
            # The whole protocol as it will be frozen, with the fingerprint it will have.
            "content": content,
            "sha256": content_sha256(content.as_json()) if content else "",
            "criteria_sentence": content.criteria_sentence() if content else "",
            "criteria_explained": explained(content) if content else [],
        },
    )


@require_POST
@require_permission("registry.publish_project")
def project_publish(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    project = project_get_for_user(user=request.user, reference=reference)
    try:
        projects_services.project_publish(actor=request.user, project=project)
    except RegistryError as exc:
        add_to_messages(request, exc)
    else:
        messages.success(request, _("Published on the register."))
    return redirect(project)


@require_permission("registry.withdraw_project")
def project_withdraw(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    project = project_get_for_user(user=request.user, reference=reference)
    results = public_results(project)
    form = WithdrawForm(posted(request), has_results=results is not None)
    if request.method == "POST" and form.is_valid():
        try:
            projects_services.project_withdraw(
                actor=request.user,
                project=project,
                reason=form.cleaned_data["reason"],
                keep_results=bool(form.cleaned_data.get("keep_results")),
            )
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The project is withdrawn; its tombstone stays public."))
            return redirect(project)
    return render(
        request, "registry/withdraw.html", {"project": project, "form": form, "results": results}
    )


@require_permission("registry.change_project")
def project_delete(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    """The team deletes a draft that was never registered (after confirming)."""
    project = editable_project(request, reference)
    problems = deletion_problems(project)
    form = forms.Form(posted(request))
    if request.method == "POST" and not problems:
        try:
            projects_services.project_delete(actor=request.user, project=project)
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request, _("The draft “%(title)s” is deleted.") % {"title": project.title}
            )
            return redirect("registry:workspace")
    return render(
        request,
        "registry/project_delete.html",
        {"project": project, "form": form, "problems": problems},
    )


@require_permission("registry.change_project")
def results_import(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    project = editable_project(request, reference)
    form = BundleForm(posted(request))
    if request.method == "POST" and form.is_valid():
        bundle = form.cleaned_data["bundle"]
        try:
            if is_trial_bundle(bundle):  # a registered trial plan run where the data live
                report = results_import_trial_bundle(
                    actor=request.user, project=project, bundle=bundle
                )
            else:
                report = results_services.results_import_bundle(
                    actor=request.user, project=project, bundle=bundle
                )
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Results imported as a draft."))
            return redirect(report)
    return render(
        request,
        "registry/results_import.html",
        {
            "project": project,
            "form": form,
            "draft": draft_results(project),
            "published": public_results(project),
        },
    )


@require_POST
@require_permission("registry.publish_project")
def results_publish(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    project = project_get_for_user(user=request.user, reference=reference)
    report = draft_results(project)
    if report is None:
        messages.error(request, _("There are no draft results to publish."))
        return redirect(project)
    try:
        results_services.results_publish(actor=request.user, report=report)
    except RegistryError as exc:
        add_to_messages(request, exc)
    else:
        messages.success(request, _("Results published with their verdict."))
    return redirect(report)


@login_required
def requests_queue(request: AuthedHttpRequest) -> HttpResponse:
    """The editors' queue of pending requests, and the latest decisions."""
    user = request.user
    if not can_decide_requests(user):
        raise PermissionDenied
    return render(
        request,
        "registry/requests.html",
        {"pending": request_queue(user=user), "decided": recent_decisions(user=user)},
    )


@login_required
def request_decide(request: AuthedHttpRequest, request_id: int) -> HttpResponse:
    """An editor accepts or declines one request, with a reason."""
    user = request.user
    if not can_decide_requests(user):
        raise PermissionDenied
    found = request_get_for_user(user=user, request_id=request_id)
    results = public_results(found.project)
    needs_ack = found.kind == ProjectRequest.Kind.WITHDRAW and results is not None
    form = DecisionForm(posted(request), has_results=needs_ack)
    if (
        request.method == "POST"
        and found.status == ProjectRequest.Status.PENDING
        and form.is_valid()
    ):
        try:
            requests_services.project_request_decide(
                actor=request.user,
                request=found,
                accept=form.cleaned_data["decision"] == "accept",
                reason=form.cleaned_data["reason"],
                keep_results=bool(form.cleaned_data.get("keep_results")),
            )
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Decided. The team has been told by e-mail."))
            return redirect("registry:requests")
    return render(
        request,
        "registry/request_decide.html",
        {"request_obj": found, "project": found.project, "form": form, "results": results},
    )
