"""The project's team: its members add researchers by e-mail and take people off."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from whatworks.core.access import require_permission
from whatworks.registry.errors import RegistryError
from whatworks.registry.forms import TeamAddForm
from whatworks.registry.selectors import can_remove_from_team
from whatworks.registry.services import projects
from whatworks.registry.views.common import actor_of, add_errors, editable_project, posted


@require_permission("registry.change_project")
def team(request: HttpRequest, reference: str) -> HttpResponse:
    project = editable_project(request, reference)
    form = TeamAddForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            person = projects.project_team_add(
                actor=actor_of(request), project=project, email=form.cleaned_data["email"]
            )
        except RegistryError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s joined the team.") % {"name": person})
            return redirect("registry:team", reference=project.reference)
    members = list(project.team.order_by("full_name", "email"))
    return render(
        request,
        "registry/team.html",
        {
            "project": project,
            "form": form,
            "members": members,
            "can_remove": can_remove_from_team(project),
        },
    )


@require_POST
@require_permission("registry.change_project")
def team_remove(request: HttpRequest, reference: str) -> HttpResponse:
    project = editable_project(request, reference)
    raw = request.POST.get("member", "").strip()
    member = project.team.filter(pk=int(raw)).first() if raw.isdigit() else None
    if member is None:
        messages.error(request, _("That person is not on the team."))
        return redirect("registry:team", reference=project.reference)
    try:
        projects.project_team_remove(actor=actor_of(request), project=project, member=member)
    except RegistryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s left the team.") % {"name": member})
    return redirect("registry:team", reference=project.reference)
