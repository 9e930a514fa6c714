"""Staff pages for editors: interventions, studies, findings, ratings, import and export.

Every write goes through the services (audited); the admin offers the same.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from whatworks.core.access import require_permission
from whatworks.core.errors import add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.evidence.errors import EvidenceError, ImportInvalid
from whatworks.evidence.forms import (
    FindingForm,
    ImportForm,
    InterventionForm,
    RatingForm,
    StudyForm,
)
from whatworks.evidence.models import OutcomeDomain, OutcomeRating
from whatworks.evidence.rules import RULES_VERSION
from whatworks.evidence.selectors import (
    EDIT_PERMISSION,
    finding_get_for_user,
    intervention_get_for_user,
    interventions_for_staff,
    outcome_pooled_views,
    outcome_rules,
    study_get_for_user,
)
from whatworks.evidence.services import store
from whatworks.evidence.services.transfer import FORMATS, KINDS, evidence_import, export_file


@require_GET
@require_permission(EDIT_PERMISSION)
def staff_home(request: AuthedHttpRequest) -> HttpResponse:
    return render(
        request,
        "evidence/staff/home.html",
        {
            "interventions": interventions_for_staff(user=request.user),
            "kinds": KINDS,
            "formats": FORMATS,
        },
    )


@require_http_methods(["GET", "POST"])
@require_permission(EDIT_PERMISSION)
def intervention_create(request: AuthedHttpRequest) -> HttpResponse:
    form = InterventionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = store.intervention_create(actor=request.user, data=form.cleaned_data)
        except EvidenceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("%(name)s was created.") % {"name": created.name})
            return redirect(created.get_absolute_url())
    return render(request, "evidence/staff/intervention_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@require_permission(EDIT_PERMISSION)
def intervention_edit(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    found = intervention_get_for_user(user=request.user, slug=slug)
    form = InterventionForm(request.POST or None, instance=found)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if not form.fields[k].disabled}
        try:
            store.intervention_update(actor=request.user, intervention=found, data=data)
        except EvidenceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(found.get_absolute_url())
    return render(
        request, "evidence/staff/intervention_form.html", {"form": form, "intervention": found}
    )


@require_http_methods(["GET", "POST"])
@require_permission(EDIT_PERMISSION)
def rating_edit(request: AuthedHttpRequest, slug: str, domain: str) -> HttpResponse:
    found = intervention_get_for_user(user=request.user, slug=slug)
    if domain not in OutcomeDomain.values:
        raise Http404("No such outcome.")
    rating = OutcomeRating.objects.filter(intervention=found, domain=domain).first()
    given = outcome_rules(intervention=found, domain=domain)
    form = RatingForm(request.POST or None, rating=rating, rules=given)
    if request.method == "POST" and form.is_valid():
        try:
            store.rating_set(
                actor=request.user, intervention=found, domain=domain, **form.cleaned_data
            )
        except EvidenceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("The rating was saved."))
            return redirect(found.get_absolute_url() + f"#outcome-{domain}")
    return render(
        request,
        "evidence/staff/rating_form.html",
        {
            "form": form,
            "intervention": found,
            "domain_label": OutcomeDomain(domain).label,
            "rating": rating,
            "rules": given,
            "rules_version": RULES_VERSION,
            "pooled": outcome_pooled_views(intervention=found, domain=domain),
        },
    )


@require_http_methods(["GET", "POST"])
@require_permission(EDIT_PERMISSION)
def import_file(request: AuthedHttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    problems = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = evidence_import(
                actor=request.user, kind=data["kind"], fmt=data["fmt"], data=data["file"].read()
            )
        except ImportInvalid as error:
            problems = error.problems
            add_to_form(form, error)
        else:
            messages.success(
                request,
                _("Imported %(kind)s: %(created)s created, %(updated)s updated.")
                % {"kind": report.kind, "created": report.created, "updated": report.updated},
            )
            return redirect("evidence:staff_home")
    return render(request, "evidence/staff/import.html", {"form": form, "problems": problems})


@require_GET
@require_permission(EDIT_PERMISSION)
def export(request: AuthedHttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in KINDS or fmt not in FORMATS:
        raise Http404("No such export.")
    content_type = "text/csv" if fmt == "csv" else "application/json"
    response = HttpResponse(
        export_file(kind=kind, fmt=fmt), content_type=f"{content_type}; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="whatworks-{kind}.{fmt}"'
    return response


# --- studies and findings -------------------------------------------------------------------


def _changed(form: Any) -> dict[str, Any]:
    return {k: v for k, v in form.cleaned_data.items() if not form.fields[k].disabled}


@require_http_methods(["GET", "POST"])
@require_permission(EDIT_PERMISSION)
def study_create(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """Add a study to an intervention; GET parameters (from the RIS import) prefill it."""
    found = intervention_get_for_user(user=request.user, slug=slug)
    prefill = {k: request.GET[k] for k in ("citation", "year", "doi", "url") if k in request.GET}
    form = StudyForm(request.POST or None, initial={"intervention": found, **prefill})
    if request.method == "POST" and form.is_valid():
        try:
            made = store.study_create(actor=request.user, data=form.cleaned_data)
        except EvidenceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("The study was added. Now add its findings."))
            return redirect(made.get_absolute_url())
    return render(
        request,
        "evidence/staff/study_form.html",
        {"form": form, "intervention": found, "study": None},
    )


@require_http_methods(["GET", "POST"])
@require_permission(EDIT_PERMISSION)
def study_edit(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    found = study_get_for_user(user=request.user, slug=slug)
    form = StudyForm(request.POST or None, instance=found)
    if request.method == "POST" and form.is_valid():
        try:
            store.study_update(actor=request.user, study=found, data=_changed(form))
        except EvidenceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(found.get_absolute_url())
    return render(
        request,
        "evidence/staff/study_form.html",
        {"form": form, "intervention": found.intervention, "study": found},
    )


@require_http_methods(["GET", "POST"])
@require_permission(EDIT_PERMISSION)
def finding_create(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    found = study_get_for_user(user=request.user, slug=slug)
    form = FindingForm(request.POST or None, study=found)
    if request.method == "POST" and form.is_valid():
        try:
            store.finding_create(actor=request.user, data={**form.cleaned_data, "study": found})
        except EvidenceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("The finding was added and the pooled results updated."))
            return redirect(found.get_absolute_url())
    return render(
        request, "evidence/staff/finding_form.html", {"form": form, "study": found, "finding": None}
    )


@require_http_methods(["GET", "POST"])
@require_permission(EDIT_PERMISSION)
def finding_edit(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    found = finding_get_for_user(user=request.user, slug=slug)
    form = FindingForm(request.POST or None, instance=found, study=found.study)
    if request.method == "POST" and form.is_valid():
        try:
            store.finding_update(actor=request.user, finding=found, data=_changed(form))
        except EvidenceError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Your changes were saved and the pooled results updated."))
            return redirect(found.study.get_absolute_url())
    return render(
        request,
        "evidence/staff/finding_form.html",
        {"form": form, "study": found.study, "finding": found},
    )
