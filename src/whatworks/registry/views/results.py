"""Team pages for results: type them in row by row, and correct published results."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from whatworks.core.access import require_permission
from whatworks.core.errors import PermissionDeniedError
from whatworks.registry import services
from whatworks.registry.entry import ResultRow, row_problems
from whatworks.registry.forms import CorrectionForm, ExtraRowForm, ResultRowForm, ResultsEntryForm
from whatworks.registry.models import Project, ProtocolVersion, ResultsReport
from whatworks.registry.protocol import Outcome, parse_content
from whatworks.registry.selectors import (
    draft_results,
    project_get_for_user,
    public_results,
    versions_visible,
)
from whatworks.registry.services import RegistryError
from whatworks.registry.services.results import can_correct
from whatworks.registry.views.common import (
    actor_of,
    add_errors,
    editable_project,
    posted,
    user_of,
)

#: At most this many additional (not pre-registered) rows are read from a form.
MAX_EXTRA_ROWS = 20


def _version(project: Project, draft: ResultsReport | None, asked: str | None) -> ProtocolVersion:
    """The version the entry answers to: a correction's own, else the one asked for, else
    the draft's, else the latest."""
    versions = project.versions.order_by("-number")
    if draft is not None and draft.corrects_id is not None:
        return draft.protocol_version
    if asked:
        try:
            found = versions.filter(number=int(asked)).first()
        except ValueError:
            found = None
        if found is None:
            raise Http404("No such protocol version.")
        return found
    if draft is not None:
        return draft.protocol_version
    latest = versions.first()
    if latest is None:
        raise Http404("No registered version.")
    return latest


def _initial_row(
    result: dict[str, Any] | None, outcome: Outcome | None, content: Any
) -> dict[str, Any]:
    if result is None:
        statistic = ""
        if outcome is not None:
            statistic = next(
                (
                    c.statistic
                    for c in content.success_criteria.criteria
                    if c.outcome == outcome.key
                ),
                "",
            )
        return {"statistic": statistic}
    return {k: result.get(k) for k in ("statistic", "estimate", "lower", "upper", "n", "note")}


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


@require_permission("registry.change_project")
def results_enter(request: HttpRequest, reference: str) -> HttpResponse:
    """Fill the draft results report with one row per pre-registered outcome."""
    project = editable_project(request, reference)
    draft = draft_results(project)
    published = public_results(project)
    if draft is None and published is not None:
        return render(
            request,
            "registry/results_enter.html",
            {"project": project, "published": published, "closed": True},
        )
    data = posted(request)
    version = _version(project, draft, (data or request.GET).get("version"))
    content = parse_content(version.content)
    same = draft is not None and draft.protocol_version_id == version.pk
    existing = {r["outcome"]: r for r in (draft.results if draft and same else [])}
    registered = [o.key for o in content.outcomes]
    unregistered = [r for key, r in existing.items() if key not in registered]

    main = ResultsEntryForm(
        data,
        initial={
            "summary": draft.summary if draft else "",
            "data_collection_ended": draft.data_collection_ended if draft else None,
        },
    )
    rows = []
    for index, outcome in enumerate(content.outcomes):
        initial = _initial_row(existing.get(outcome.key), outcome, content)
        if draft is not None and same and outcome.key not in existing:
            initial["not_reported"] = True
        form = ResultRowForm(data, prefix=f"row{index}", initial=initial, label=outcome.name)
        rows.append((form, outcome, existing.get(outcome.key, {}).get("metrics") or {}))
    extra_count = len(unregistered) + 1
    if data is not None:
        try:
            extra_count = max(1, min(int(data.get("extra_count", "1")), MAX_EXTRA_ROWS))
        except ValueError:
            extra_count = 1
    extras = []
    for index in range(extra_count):
        result = unregistered[index] if index < len(unregistered) else None
        initial = _initial_row(result, None, content) | {
            "outcome": result["outcome"] if result else ""
        }
        label = f"Additional outcome {index + 1}"
        extras.append(ExtraRowForm(data, prefix=f"extra{index}", initial=initial, label=label))

    problems: list[tuple[str, str]] = []  # (id of the field to go to, message)
    service_errors: list[str] = []
    if data is not None:
        forms_all: list[Any] = [main, *(f for f, _o, _m in rows), *extras]
        checked = [f.is_valid() for f in forms_all]  # every form, so every error shows
        valid = all(checked)
        for form in forms_all:
            for name, errors in form.errors.items():
                anchor = form[name].id_for_label if name != "__all__" else ""
                problems.extend((anchor, str(e)) for e in errors)
        entries: list[ResultRow] = []
        for form, outcome, metrics in rows:
            if not form.errors:
                row = _row(form, outcome=outcome.key, pre_registered=True, metrics=metrics)
                entries.append(row)
                form.problems = row_problems(row)
                problems.extend((form["estimate"].id_for_label, p) for p in form.problems)
        old_extra = {r["outcome"]: r.get("metrics") or {} for r in unregistered}
        for form in extras:
            if not form.errors:
                key = (form.cleaned_data.get("outcome") or "").strip()
                row = _row(form, outcome=key, pre_registered=False, metrics=old_extra.get(key, {}))
                entries.append(row)
                if not row.is_blank:
                    form.problems = row_problems(row)
                    problems.extend((form["outcome"].id_for_label, p) for p in form.problems)
        if valid and not problems:
            try:
                report = services.results_enter(
                    actor=actor_of(request),
                    project=project,
                    protocol_version=version,
                    summary=main.cleaned_data["summary"],
                    rows=entries,
                    data_collection_ended=main.cleaned_data["data_collection_ended"],
                )
            except PermissionDeniedError as exc:
                raise PermissionDenied(exc.message) from None
            except RegistryError as exc:
                service_errors = exc.messages
            else:
                messages.success(request, _("Results saved as a draft."))
                return redirect(report)
    return render(
        request,
        "registry/results_enter.html",
        {
            "project": project,
            "draft": draft,
            "version": version,
            "versions": list(project.versions.order_by("number")),
            "content": content,
            "main": main,
            "rows": rows,
            "extras": extras,
            "extra_count": extra_count,
            "problems": problems,
            "service_errors": service_errors,
        },
    )


def results_correct(request: HttpRequest, reference: str) -> HttpResponse:
    """Issue a correction of the current published results, with a justification."""
    user = user_of(request)
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    project = project_get_for_user(user=user, reference=reference)
    if not versions_visible(user, project):
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
            services.results_correction_discard(actor=actor_of(request), report=draft)
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        messages.success(
            request,
            _("The draft correction r%(number)s is discarded; results r%(current)s stand.")
            % {"number": draft.number, "current": current.number},
        )
        return redirect(current)
    form = CorrectionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            correction = services.results_correct(
                actor=actor_of(request),
                report=current,
                justification=form.cleaned_data["justification"],
            )
        except (PermissionDeniedError, RegistryError) as exc:
            add_errors(form, exc)
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
