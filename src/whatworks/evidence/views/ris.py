"""Staff page: import a reference manager's RIS export for studies (preview, then save)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from whatworks.core.access import require_permission
from whatworks.core.errors import add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.evidence.errors import EvidenceError
from whatworks.evidence.forms import RisImportForm
from whatworks.evidence.ris import RisMatch, ris_preview
from whatworks.evidence.selectors import EDIT_PERMISSION
from whatworks.evidence.services.ris import ris_apply


def _add_link(match: RisMatch, intervention_slug: str) -> str:
    record = match.record
    params = {"citation": record.citation, "doi": record.doi, "url": record.url}
    if record.year:
        params["year"] = str(record.year)
    base = reverse("evidence:study_create", kwargs={"slug": intervention_slug})
    return base + "?" + urlencode({k: v for k, v in params.items() if v})


@require_http_methods(["GET", "POST"])
@require_permission(EDIT_PERMISSION)
def ris_import(request: AuthedHttpRequest) -> HttpResponse:
    form = RisImportForm(request.POST or None, request.FILES or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"]
        if request.POST.get("action") == "save":
            try:
                changed = ris_apply(actor=request.user, text=text)
            except EvidenceError as error:
                add_to_form(form, error)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s study updated from the RIS file.",
                        "%(count)s studies updated from the RIS file.",
                        len(changed),
                    )
                    % {"count": len(changed)},
                )
                return redirect("evidence:staff_home")
        preview = ris_preview(text)
        if preview.problems:
            for problem in preview.problems:
                form.add_error("file", problem)
            preview = None
    intervention = form.cleaned_data.get("intervention") if preview else None
    return render(
        request,
        "evidence/staff/ris_import.html",
        {
            "form": form,
            "preview": preview,
            "add_links": {
                m.record.number: _add_link(m, intervention.slug)
                for m in (preview.new if preview else [])
            }
            if intervention
            else {},
        },
    )
