"""Pilot pages: the list, the Centre's view, starting a pilot, its page and its config,
asking for one.  Each parses input, fetches through a selector, calls one service and
maps :class:`PilotError` to the error summary.  Pilots that the user may not see are 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.core.access import require_permission
from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.models import User
from whatworks.core.parts import PARTS_BY_KEY
from whatworks.pilots import analytics
from whatworks.pilots.errors import PilotError
from whatworks.pilots.forms import (
    ConfigChoicesForm,
    ConfigForm,
    PilotForm,
    PilotRequestForm,
)
from whatworks.pilots.models import DatasetUpload, Pilot
from whatworks.pilots.selectors import (
    can_create_pilots,
    can_delete_dataset,
    can_edit_protocol_draft,
    centre_pilots,
    local_authorities,
    pilot_get_for_user,
    pilots_for_user,
    projects_for_new_pilot,
    run_state,
)
from whatworks.pilots.services import asking, pilots


def index(request: HttpRequest) -> HttpResponse:
    part = PARTS_BY_KEY["pilots"]
    return render(
        request,
        "pilots/index.html",
        {
            "part": part,
            "title": part.title,
            "lead": part.lead,
            "pilots": pilots_for_user(user=request.user),
            "sees_centre": request.user.has_perm("pilots.view_centre"),
            "may_create": can_create_pilots(request.user),
            "ask_url": f"{reverse('core:login')}?next={reverse('pilots:ask')}",
        },
    )


@require_GET
def contract(request: HttpRequest) -> HttpResponse:
    """The data contract of a pilot dataset, from the engine's own declaration (public)."""
    return render(
        request,
        "pilots/contract.html",
        {"tables": analytics.contract_tables(), "version": analytics.contract_version()},
    )


@require_http_methods(["GET", "POST"])
@login_required
def create(request: AuthedHttpRequest) -> HttpResponse:
    """Start a pilot of one of the user's registry projects, its config fixed at once.

    Researchers choose among their teams' projects, administrators among all; others get
    403 (the page reveals no pilot).  Projects without a registered protocol version are
    listed apart, with the way to register one: a pilot's config must be fixed in one.
    """
    user = request.user
    if not can_create_pilots(user):
        raise PermissionDenied
    projects = projects_for_new_pilot(user=user)
    registered = projects.registered
    unregistered = [(project, _register_url(user, project)) for project in projects.unregistered]
    template = request.method == "GET" and request.GET.get("template") == "example"
    initial = {"config_yaml": analytics.example_config()} if template else None
    building = request.method == "GET" and "choices-window_days" in request.GET
    choices = ConfigChoicesForm(request.GET if building else None)
    if building and choices.is_valid():
        try:
            initial = {"config_yaml": choices.config_yaml()}
        except analytics.EngineProblems as exc:
            for message in exc.problems:
                choices.add_error(None, message)
    form = PilotForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        projects=registered,
        versions=projects.versions,
        organisations=local_authorities(),
    )
    drafting = request.method == "POST" and "add_to_draft" in request.POST
    if drafting:
        for name in ("organisation", "name", "protocol_version"):
            form.fields[name].required = False
    if drafting and form.is_valid():
        _add_to_draft(request, form, form.cleaned_data["project"])
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pilot = pilots.pilot_create(
                actor=user,
                project=data["project"],
                organisation=data["organisation"],
                name=data["name"],
                protocol_version=data["protocol_version"],
                config_yaml=data["config_yaml"],
            )
        except PilotError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _("The pilot {name} is started and its config fixed.").format(name=pilot.name),
            )
            if pilots_for_user(user=user).filter(pk=pilot.pk).exists():
                return redirect(pilot)
            messages.info(
                request,
                _("Only {authority}'s LA analysts and the team of {project} can open it.").format(
                    authority=pilot.organisation.name, project=pilot.project.reference
                ),
            )
            return redirect("pilots:index")
    return render(
        request,
        "pilots/create.html",
        {
            "form": form,
            "choices": choices,
            "built": building and not choices.errors,
            "contract_url": reverse("pilots:contract"),
            "project_create_url": reverse("registry:project_create"),
            "has_registered": registered.exists(),
            "unregistered": unregistered,
        },
    )


def _add_to_draft(request: AuthedHttpRequest, form: Any, project: Any) -> bool:
    """Put the form's config in the project's protocol draft (issue #13), or say why not."""
    try:
        pilots.pilot_experiment_register(
            actor=request.user,
            project=project,
            config_yaml=form.cleaned_data["config_yaml"],
        )
    except PilotError as exc:
        add_to_form(form, exc, field="config_yaml")
        return False
    messages.success(
        request,
        _(
            "The config and its criteria are in the protocol draft of {project}. Register the "
            "amended protocol ({url}), then fix the config in the new version."
        ).format(
            project=project.reference,
            url=reverse("registry:protocol_register", kwargs={"reference": project.reference}),
        ),
    )
    return True


def _register_url(user: User, project: Any) -> str:
    """Where to register a project's protocol: its draft for those who may edit it (the
    registry's rule: its team, administrators counting), else its page."""
    if can_edit_protocol_draft(user, project):
        return reverse("registry:protocol_edit", kwargs={"reference": project.reference})
    return str(project.get_absolute_url())


def _detail(request: AuthedHttpRequest, pilot: Pilot, *, config_form: Any = None) -> HttpResponse:
    runs = [(run, *run_state(run)[:2]) for run in pilot.runs.select_related("task_record")]
    return render(
        request,
        "pilots/detail.html",
        {
            "pilot": pilot,
            "config_form": config_form
            or ConfigForm(versions=pilot.project.versions.order_by("-number")),
            "datasets": pilot.datasets.all(),
            "may_delete": can_delete_dataset(request.user, pilot),
            "uploads": pilot.uploads.exclude(status=DatasetUpload.Status.STORED)[:5],
            "runs": runs,
            "shadow_url": reverse("pilots:shadow", kwargs={"pilot_id": pilot.pk}),
        },
    )


@require_GET
@login_required
def detail(request: AuthedHttpRequest, pilot_id: str) -> HttpResponse:
    pilot = pilot_get_for_user(user=request.user, pilot_id=pilot_id)
    pilots.pilot_access_record(actor=request.user, target=pilot, action=AuditAction.PILOT_VIEWED)
    return _detail(request, pilot)


@require_POST
@login_required
def config(request: AuthedHttpRequest, pilot_id: str) -> HttpResponse:
    pilot = pilot_get_for_user(user=request.user, pilot_id=pilot_id)
    form = ConfigForm(request.POST, versions=pilot.project.versions.order_by("-number"))
    if "add_to_draft" in request.POST:
        form.fields["protocol_version"].required = False
        if form.is_valid() and _add_to_draft(request, form, pilot.project):
            return redirect(pilot)
    elif form.is_valid():
        try:
            pilots.pilot_fix_config(
                actor=request.user,
                pilot=pilot,
                config_yaml=form.cleaned_data["config_yaml"],
                protocol_version=form.cleaned_data["protocol_version"],
            )
        except PilotError as exc:
            add_to_form(form, exc, field="config_yaml")
        else:
            messages.success(request, _("The experiment config is fixed."))
            return redirect(pilot)
    return _detail(request, pilot, config_form=form)


@require_GET
@require_permission("pilots.view_centre")
def centre(request: AuthedHttpRequest) -> HttpResponse:
    from whatworks.pilots.models import PilotRequest

    requests = PilotRequest.objects.select_related("requested_by", "organisation")[:50]
    return render(
        request,
        "pilots/centre.html",
        {"rows": centre_pilots(user=request.user), "requests": requests},
    )


@login_required
@require_http_methods(["GET", "POST"])
def ask(request: AuthedHttpRequest) -> HttpResponse:
    """Ask the Centre's researchers for a pilot (anyone signed in; they reply by e-mail)."""
    form = PilotRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            asking.pilot_request_create(
                actor=request.user,
                question=form.cleaned_data["question"],
            )
        except PilotError as exc:
            add_to_form(form, exc, field="question")
        else:
            messages.success(
                request,
                _(
                    "Your request is with the Centre's researchers, who start pilots. One of "
                    "them will reply to {email}."
                ).format(email=request.user.email),
            )
            return redirect("pilots:index")
    return render(request, "pilots/ask.html", {"form": form})
