"""The staff page of search synonyms and abbreviations, which every part's search uses."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from whatworks.core.access import require_permission
from whatworks.core.errors import CoreError, add_to_form
from whatworks.core.forms import SynonymForm
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.models import SearchSynonym
from whatworks.core.services.search import search_synonym_delete, search_synonym_save

PERMISSION = "core.change_searchsynonym"


@require_http_methods(["GET", "POST"])
@require_permission(PERMISSION)
def synonym_list(request: AuthedHttpRequest) -> HttpResponse:
    form = SynonymForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            search_synonym_save(actor=request.user, **form.cleaned_data)
        except CoreError as problem:
            add_to_form(form, problem)
        else:
            messages.success(request, _("The synonyms were added; search uses them at once."))
            return redirect("core:synonym_list")
    return render(
        request,
        "core/synonyms.html",
        {
            "synonyms": SearchSynonym.objects.all(),
            "error": form.error_text(),
            "terms": form.data.get("terms", ""),
            "note": form.data.get("note", ""),
        },
    )


@require_http_methods(["GET", "POST"])
@require_permission(PERMISSION)
def synonym_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    synonym = SearchSynonym.objects.filter(pk=pk).first()
    if synonym is None:
        raise Http404("No such synonym group.")
    if request.method == "POST" and request.POST.get("action") == "delete":
        search_synonym_delete(actor=request.user, synonym=synonym)
        messages.success(request, _("The synonym group was deleted."))
        return redirect("core:synonym_list")
    form = SynonymForm(
        request.POST if request.method == "POST" else {"terms": synonym.terms, "note": synonym.note}
    )
    if request.method == "POST" and form.is_valid():
        try:
            search_synonym_save(actor=request.user, synonym=synonym, **form.cleaned_data)
        except CoreError as problem:
            add_to_form(form, problem)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("core:synonym_list")
    return render(
        request,
        "core/synonym_edit.html",
        {
            "synonym": synonym,
            "error": form.error_text(),
            "terms": form.data.get("terms", ""),
            "note": form.data.get("note", ""),
        },
    )
