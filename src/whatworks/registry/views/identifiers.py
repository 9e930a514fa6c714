"""Identifiers: a project's identifiers in other registers, and a researcher's ORCID iD."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from whatworks.core.access import require_permission
from whatworks.core.errors import add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.registry.errors import RegistryError
from whatworks.registry.identifiers import (
    OrcidForm,
    SecondaryIdsForm,
    orcids_of,
)
from whatworks.registry.models import ResearcherIdentity
from whatworks.registry.services.identifiers import project_set_secondary_ids, researcher_set_orcid
from whatworks.registry.views.common import editable_project, posted


@require_permission("registry.change_project")
def identifiers(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    project = editable_project(request, reference)
    form = SecondaryIdsForm(posted(request), initial=project.secondary_ids or {})
    if request.method == "POST" and form.is_valid():
        try:
            project_set_secondary_ids(actor=request.user, project=project, ids=form.cleaned_data)
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Identifiers in other registers saved."))
            return redirect(project)
    team = list(project.team.order_by("full_name", "email"))
    orcids = orcids_of(team)
    return render(
        request,
        "registry/identifiers.html",
        {
            "project": project,
            "form": form,
            "team": [(person, orcids.get(person.pk, "")) for person in team],
        },
    )


@require_permission("registry.add_project")
def orcid(request: AuthedHttpRequest) -> HttpResponse:
    """A researcher's own ORCID iD."""
    identity = ResearcherIdentity.objects.filter(user=request.user).first()
    form = OrcidForm(posted(request), initial={"orcid": identity.orcid if identity else ""})
    if request.method == "POST" and form.is_valid():
        try:
            researcher_set_orcid(actor=request.user, orcid=form.cleaned_data["orcid"])
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Your ORCID iD is saved.")
                if form.cleaned_data["orcid"]
                else _("Your ORCID iD is removed."),
            )
            return redirect("registry:orcid")
    return render(request, "registry/orcid.html", {"form": form})
