"""Requests to publish or withdraw: the team asks; editors see a queue and decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from whatworks.core.access import require_permission
from whatworks.registry.errors import RegistryError
from whatworks.registry.forms import DecisionForm, RequestForm
from whatworks.registry.models import ProjectRequest
from whatworks.registry.selectors import (
    can_decide_requests,
    public_results,
    recent_decisions,
    request_get_for_user,
    request_queue,
)
from whatworks.registry.services import requests as requests_services
from whatworks.registry.services.requests import request_problems
from whatworks.registry.views.common import actor_of, add_errors, editable_project, posted, user_of


@require_permission("registry.change_project")
def ask(request: HttpRequest, reference: str, kind: str) -> HttpResponse:
    """The team asks editors to publish or to withdraw its project."""
    if kind not in ProjectRequest.Kind.values:
        raise Http404("No such request.")
    project = editable_project(request, reference)
    form = RequestForm(posted(request), kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            requests_services.project_request_create(
                actor=actor_of(request),
                project=project,
                kind=kind,
                reason=form.cleaned_data["reason"],
            )
        except RegistryError as exc:
            add_errors(form, exc)
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


def queue(request: HttpRequest) -> HttpResponse:
    """The editors' queue of pending requests, and the latest decisions."""
    user = user_of(request)
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_decide_requests(user):
        raise PermissionDenied
    return render(
        request,
        "registry/requests.html",
        {"pending": request_queue(user=user), "decided": recent_decisions(user=user)},
    )


def decide(request: HttpRequest, request_id: int) -> HttpResponse:
    """An editor accepts or declines one request, with a reason."""
    user = user_of(request)
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_decide_requests(user):
        raise PermissionDenied
    found = request_get_for_user(user=user, request_id=request_id)
    results = public_results(found.project)
    needs_ack = found.kind == ProjectRequest.Kind.WITHDRAW and results is not None
    form = DecisionForm(posted(request), has_results=needs_ack)
    if (
        request.method == "POST"
        and found.status == ProjectRequest.Status.PENDING
        and form.is_valid()
    ):
        try:
            requests_services.project_request_decide(
                actor=actor_of(request),
                request=found,
                accept=form.cleaned_data["decision"] == "accept",
                reason=form.cleaned_data["reason"],
                keep_results=bool(form.cleaned_data.get("keep_results")),
            )
        except RegistryError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Decided. The team has been told by e-mail."))
            return redirect("registry:requests")
    return render(
        request,
        "registry/request_decide.html",
        {"request_obj": found, "project": found.project, "form": form, "results": results},
    )
