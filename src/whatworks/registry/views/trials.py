"""The team's pages for a trial's analysis plan and its power calculation (issue #18)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from whatworks.core.access import require_permission
from whatworks.core.errors import add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.registry.analysis_plan import LABELS, planned_outcome_text
from whatworks.registry.analytics import PowerInputError, power_answer
from whatworks.registry.errors import RegistryError
from whatworks.registry.forms import label_rows, row_errors
from whatworks.registry.forms_trials import (
    PlannedOutcomeFormSet,
    PowerForm,
    TrialPlanForm,
    plan_from_forms,
    plan_initial,
)
from whatworks.registry.services.analysis_plan import protocol_draft_set_trial_analysis
from whatworks.registry.views.common import editable_project, posted


@require_permission("registry.change_project")
def analysis_plan_edit(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    """Set, change or remove the draft's trial analysis plan."""
    project = editable_project(request, reference)
    draft = project.draft_content or {}
    outcomes = [(o["key"], f"{o['name']} ({o['key']})") for o in draft.get("outcomes") or []]
    stored = draft.get("trial_analysis")
    main, rows = plan_initial(stored)
    data = posted(request)
    form = TrialPlanForm(data, initial=main)
    row_set = PlannedOutcomeFormSet(
        data, initial=rows, prefix="planned", form_kwargs={"outcomes": outcomes}
    )
    label_rows(row_set, _("Outcome analysis"))
    if data is not None and "remove" in request.POST:
        try:
            protocol_draft_set_trial_analysis(actor=request.user, project=project, plan=None)
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The trial analysis plan was removed from the draft."))
            return redirect("registry:protocol_edit", reference=project.reference)
    elif data is not None and form.is_valid() and row_set.is_valid():
        plan = plan_from_forms(form, row_set)
        try:
            protocol_draft_set_trial_analysis(actor=request.user, project=project, plan=plan)
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Trial analysis plan saved in the draft."))
            if "add_row" in request.POST:
                return redirect("registry:analysis_plan", reference=project.reference)
            return redirect("registry:protocol_register", reference=project.reference)
    return render(
        request,
        "registry/analysis_plan.html",
        {
            "project": project,
            "form": form,
            "row_set": row_set,
            "formset_errors": row_errors(row_set),
            "has_outcomes": bool(outcomes),
            "stored": stored,
            "stored_rows": [planned_outcome_text(o) for o in (stored or {}).get("outcomes", [])],
            "design_label": LABELS.get((stored or {}).get("design", ""), ""),
        },
    )


@require_permission("registry.change_project")
def power(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    """Work out the sample, the power or the minimum detectable effect (nothing is saved)."""
    project = editable_project(request, reference)
    asked = "question" in request.GET
    form = PowerForm(request.GET if asked else None)
    answer: Any = None
    if asked and form.is_valid():
        try:
            answer = power_answer(form.cleaned_data)
        except PowerInputError as exc:
            for problem in exc.problems:
                form.add_error(None, problem)
    return render(
        request, "registry/power.html", {"project": project, "form": form, "answer": answer}
    )
