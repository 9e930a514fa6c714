"""The staff page of search synonyms and abbreviations, which every part's search uses."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from whatworks.core.access import require_permission
from whatworks.core.errors import WhatworksError
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.models import SearchSynonym
from whatworks.core.services.search import search_synonym_delete, search_synonym_save

PERMISSION = "core.change_searchsynonym"


@require_http_methods(["GET", "POST"])
@require_permission(PERMISSION)
def synonym_list(request: AuthedHttpRequest) -> HttpResponse:
    error, terms, note = "", "", ""
    if request.method == "POST":
        terms, note = request.POST.get("terms", ""), request.POST.get("note", "")
        try:
            search_synonym_save(actor=request.user, terms=terms, note=note)
        except WhatworksError as problem:
            error = problem.message
        else:
            messages.success(request, _("The synonyms were added; search uses them at once."))
            return redirect("core:synonym_list")
    return render(
        request,
        "core/synonyms.html",
        {
            "synonyms": SearchSynonym.objects.all(),
            "error": error,
            "terms": terms,
            "note": note,
        },
    )


@require_http_methods(["GET", "POST"])
@require_permission(PERMISSION)
def synonym_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    synonym = SearchSynonym.objects.filter(pk=pk).first()
    if synonym is None:
        raise Http404("No such synonym group.")
    error, terms, note = "", synonym.terms, synonym.note
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            search_synonym_delete(actor=request.user, synonym=synonym)
            messages.success(request, _("The synonym group was deleted."))
            return redirect("core:synonym_list")
        terms, note = request.POST.get("terms", ""), request.POST.get("note", "")
        try:
            search_synonym_save(actor=request.user, terms=terms, note=note, synonym=synonym)
        except WhatworksError as problem:
            error = problem.message
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("core:synonym_list")
    return render(
        request,
        "core/synonym_edit.html",
        {"synonym": synonym, "error": error, "terms": terms, "note": note},
    )
