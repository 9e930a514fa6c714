"""Team pages for results: type them in row by row, and correct published results."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from whatworks.core.access import require_permission
from whatworks.core.errors import PermissionDeniedError, add_to_form, add_to_messages
from whatworks.core.http import AuthedHttpRequest
from whatworks.registry.entry import ResultRow, row_problems
from whatworks.registry.errors import RegistryError
from whatworks.registry.forms import CorrectionForm, ExtraRowForm, ResultRowForm, ResultsEntryForm
from whatworks.registry.selectors import (
    can_correct,
    can_see_versions,
    draft_results,
    project_get_for_user,
    public_results,
)
from whatworks.registry.selectors_results import (
    PreRegisteredRow,
    ResultsEntry,
    results_entry_for,
)
from whatworks.registry.services import results as results_services
from whatworks.registry.views.common import editable_project, posted


def _row(
    form: ResultRowForm, *, outcome: str, pre_registered: bool, metrics: dict[str, Any]
) -> ResultRow:
    data = form.cleaned_data
    return ResultRow(
        outcome=outcome,
        label=form.label,
        pre_registered=pre_registered,
        statistic=data.get("statistic") or "",
        estimate=data.get("estimate"),
        lower=data.get("lower"),
        upper=data.get("upper"),
        n=data.get("n"),
        note=data.get("note") or "",
        not_reported=bool(data.get("not_reported")),
        metrics=metrics,
    )


def _problems(forms_all: list[Any]) -> list[tuple[str, str]]:
    """The forms' errors, each with the id of the field to go to ("": the form's top)."""
    problems: list[tuple[str, str]] = []
    for form in forms_all:
        for name, errors in form.errors.items():
            anchor = form[name].id_for_label if name != "__all__" else ""
            problems.extend((anchor, str(e)) for e in errors)
    return problems


def _parsed(
    entry: ResultsEntry,
    main: ResultsEntryForm,
    rows: list[tuple[ResultRowForm, PreRegisteredRow]],
    extras: list[ExtraRowForm],
) -> tuple[list[ResultRow], list[tuple[str, str]]]:
    """The rows the forms hold, and every problem with the id of the field to go to."""
    forms_all: list[Any] = [main, *(f for f, _r in rows), *extras]
    for form in forms_all:
        form.is_valid()  # every form, so every error shows
    problems = _problems(forms_all)
    entries: list[ResultRow] = []
    for form, pre in rows:
        if not form.errors:
            row = _row(form, outcome=pre.outcome.key, pre_registered=True, metrics=pre.metrics)
            entries.append(row)
            form.problems = row_problems(row)
            problems.extend((form["estimate"].id_for_label, p) for p in form.problems)
    for form in extras:
        if not form.errors:
            key = (form.cleaned_data.get("outcome") or "").strip()
            row = _row(form, outcome=key, pre_registered=False, metrics=entry.extra_metrics(key))
            entries.append(row)
            if not row.is_blank:
                form.problems = row_problems(row)
                problems.extend((form["outcome"].id_for_label, p) for p in form.problems)
    return entries, problems


@require_permission("registry.change_project")
def results_enter(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    """Fill the draft results report with one row per pre-registered outcome."""
    project = editable_project(request, reference)
    data = posted(request)
    entry = results_entry_for(project=project, version=(data or request.GET).get("version"))
    if entry.closed:
        return render(
            request,
            "registry/results_enter.html",
            {"project": project, "published": entry.published, "closed": True},
        )
    main = ResultsEntryForm(data, initial=entry.main_initial())
    rows = [
        (ResultRowForm(data, prefix=f"row{i}", initial=pre.initial, label=pre.outcome.name), pre)
        for i, pre in enumerate(entry.pre_registered_rows())
    ]
    extra_count = entry.extra_count(None if data is None else data.get("extra_count", "1"))
    extras = [
        ExtraRowForm(
            data,
            prefix=f"extra{i}",
            initial=entry.extra_initial(i),
            label=_("Additional outcome %(number)s") % {"number": i + 1},
        )
        for i in range(extra_count)
    ]
    problems: list[tuple[str, str]] = []  # (id of the field to go to, message)
    if data is not None:
        entries, problems = _parsed(entry, main, rows, extras)
        if not problems:
            assert entry.version is not None  # an open entry answers to a version
            try:
                report = results_services.results_enter(
                    actor=request.user,
                    project=project,
                    protocol_version=entry.version,
                    summary=main.cleaned_data["summary"],
                    rows=entries,
                    data_collection_ended=main.cleaned_data["data_collection_ended"],
                )
            except (PermissionDeniedError, RegistryError) as exc:
                add_to_form(main, exc)
                problems = _problems([main])
            else:
                messages.success(request, _("Results saved as a draft."))
                return redirect(report)
    return render(
        request,
        "registry/results_enter.html",
        {
            "project": project,
            "draft": entry.draft,
            "version": entry.version,
            "versions": list(project.versions.order_by("number")),
            "content": entry.content,
            "main": main,
            "rows": [(form, pre.outcome, pre.metrics) for form, pre in rows],
            "extras": extras,
            "extra_count": extra_count,
            "problems": problems,
        },
    )


@login_required
def results_correct(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    """Issue a correction of the current published results, with a justification."""
    user = request.user
    project = project_get_for_user(user=user, reference=reference)
    if not can_see_versions(user, project):
        raise Http404("No results.")
    current = public_results(project)
    if current is None:
        raise Http404("No published results to correct.")
    current.project = project
    if not can_correct(user, current):
        raise PermissionDenied
    draft = draft_results(project)
    if request.method == "POST" and request.POST.get("action") == "discard":
        if draft is None or draft.corrects_id is None:
            raise Http404("No draft correction.")
        try:
            results_services.results_correction_discard(actor=request.user, report=draft)
        except (PermissionDeniedError, RegistryError) as exc:
            add_to_messages(request, exc)
        else:
            messages.success(
                request,
                _("The draft correction r%(number)s is discarded; results r%(current)s stand.")
                % {"number": draft.number, "current": current.number},
            )
        return redirect(current)
    form = CorrectionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            correction = results_services.results_correct(
                actor=request.user,
                report=current,
                justification=form.cleaned_data["justification"],
            )
        except (PermissionDeniedError, RegistryError) as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Correction r%(number)s started as a draft. Change the results, then ask an "
                    "editor to publish it."
                )
                % {"number": correction.number},
            )
            return redirect(correction)
    return render(
        request,
        "registry/results_correct.html",
        {"project": project, "current": current, "draft": draft, "form": form},
    )
