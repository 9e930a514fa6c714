"""The project's team: its members add researchers by e-mail and take people off."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from whatworks.core.access import require_permission
from whatworks.core.errors import add_to_form, add_to_messages
from whatworks.core.http import AuthedHttpRequest
from whatworks.registry.errors import RegistryError
from whatworks.registry.forms import TeamAddForm
from whatworks.registry.selectors import can_remove_from_team
from whatworks.registry.services import projects
from whatworks.registry.views.common import editable_project, posted


@require_permission("registry.change_project")
def team(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    project = editable_project(request, reference)
    form = TeamAddForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            person = projects.project_team_add(
                actor=request.user, project=project, email=form.cleaned_data["email"]
            )
        except RegistryError as exc:
            add_to_form(form, exc)
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
def team_remove(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    project = editable_project(request, reference)
    raw = request.POST.get("member", "").strip()
    member = project.team.filter(pk=int(raw)).first() if raw.isdigit() else None
    if member is None:
        messages.error(request, _("That person is not on the team."))
        return redirect("registry:team", reference=project.reference)
    try:
        projects.project_team_remove(actor=request.user, project=project, member=member)
    except RegistryError as exc:
        add_to_messages(request, exc)
    else:
        messages.success(request, _("%(name)s left the team.") % {"name": member})
    return redirect("registry:team", reference=project.reference)
