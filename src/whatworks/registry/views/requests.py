"""The team asks editors to publish or to withdraw its project (the editors' queue and
decisions are staff pages, ``views/manage.py``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from whatworks.core.access import require_permission
from whatworks.core.errors import add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.registry.errors import RegistryError
from whatworks.registry.forms import RequestForm
from whatworks.registry.models import ProjectRequest
from whatworks.registry.services import requests as requests_services
from whatworks.registry.services.requests import request_problems
from whatworks.registry.views.common import editable_project, posted


@require_permission("registry.change_project")
def ask(request: AuthedHttpRequest, reference: str, kind: str) -> HttpResponse:
    """The team asks editors to publish or to withdraw its project."""
    if kind not in ProjectRequest.Kind.values:
        raise Http404("No such request.")
    project = editable_project(request, reference)
    form = RequestForm(posted(request), kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            requests_services.project_request_create(
                actor=request.user,
                project=project,
                kind=kind,
                reason=form.cleaned_data["reason"],
            )
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request, _("Your request is with the editors. You will hear by e-mail.")
            )
            return redirect(project)
    # Problems that do not depend on what is typed, shown before anyone writes a reason.
    blocking = request_problems(project=project, kind=kind)
    return render(
        request,
        "registry/request_form.html",
        {"project": project, "form": form, "kind": kind, "problems": blocking},
    )
