"""The team's page for the draft results' participant flow, baseline table, harms and
plain-language summary (``flow.py``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from whatworks.core.access import require_permission
from whatworks.core.http import AuthedHttpRequest
from whatworks.registry.errors import RegistryError
from whatworks.registry.flow import (
    MAX_BASELINE_ROWS,
    STAGES,
    ArmFlowForm,
    BaselineRowForm,
    FlowTextForm,
    report_arms,
)
from whatworks.registry.selectors import draft_results
from whatworks.registry.services.flow import results_set_flow
from whatworks.registry.views.common import editable_project, posted


def _anchor(message: str, flow_forms: list[ArmFlowForm], baseline: list[BaselineRowForm]) -> str:
    """The field a service's message sends the reader to: its arm's, else the section's."""
    if message.startswith("Baseline") and baseline:
        return str(baseline[0]["characteristic"].id_for_label)
    for form in flow_forms:
        if message.startswith(f"{form.arm}:"):
            return str(form["randomised"].id_for_label)
    return str(flow_forms[0]["randomised"].id_for_label) if flow_forms else ""


@require_permission("registry.change_project")
def results_flow(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    project = editable_project(request, reference)
    draft = draft_results(project)
    if draft is None:
        return render(request, "registry/results_flow.html", {"project": project, "draft": None})
    data = posted(request)
    arms = report_arms(draft)
    flow = {row.get("arm"): row for row in draft.flow or []}
    flow_forms = [
        ArmFlowForm(data, prefix=f"flow{i}", arm=arm, initial=flow.get(arm, {}))
        for i, arm in enumerate(arms)
    ]
    rows: list[dict[str, Any]] = list(draft.baseline or [])
    count = len(rows) + 2
    if data is not None:
        try:
            count = max(1, min(int(data.get("baseline_count", count)), MAX_BASELINE_ROWS))
        except ValueError:
            count = len(rows) + 2
    baseline_forms = []
    for i in range(count):
        row = rows[i] if i < len(rows) else {}
        initial = {"characteristic": row.get("characteristic", "")} | {
            f"arm{j}": value for j, value in enumerate(row.get("values") or [])
        }
        baseline_forms.append(
            BaselineRowForm(
                data,
                prefix=f"baseline{i}",
                arms=arms,
                label=_("Row %(number)s") % {"number": i + 1},
                initial=initial,
            )
        )
    text = FlowTextForm(data, initial={"harms": draft.harms, "plain_summary": draft.plain_summary})
    problems: list[tuple[str, str]] = []
    if data is not None:
        every = [*flow_forms, *baseline_forms, text]
        checked = [f.is_valid() for f in every]  # every form, so every error shows
        valid = all(checked)
        for form in every:
            where = getattr(form, "arm", None) or getattr(form, "label", "")
            for name, errors in form.errors.items():
                anchor = form[name].id_for_label if name != "__all__" else ""
                label = form[name].label if name != "__all__" else ""
                prefix = f"{where}, {str(label).lower()}: " if where and label else ""
                problems.extend((anchor, f"{prefix}{e}") for e in errors)
        if valid:
            try:
                results_set_flow(
                    actor=request.user,
                    project=project,
                    flow=[r for f in flow_forms if (r := f.row())],
                    baseline=[r for f in baseline_forms if (r := f.row())],
                    harms=text.cleaned_data["harms"],
                    plain_summary=text.cleaned_data["plain_summary"],
                )
            except RegistryError as exc:
                problems.extend((_anchor(m, flow_forms, baseline_forms), m) for m in exc.messages)
            else:
                messages.success(request, _("Participant flow, baseline, harms and summary saved."))
                return redirect(draft)
    return render(
        request,
        "registry/results_flow.html",
        {
            "project": project,
            "draft": draft,
            "arms": arms,
            "stages": STAGES,
            "flow_forms": flow_forms,
            "baseline_forms": baseline_forms,
            "baseline_count": count,
            "text": text,
            "problems": problems,
        },
    )
