"""Researchers' pages: polls, questions, scales, invitations and study waves."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.core.access import require_permission
from whatworks.core.models import User
from whatworks.panel import results, selectors, services, study_results
from whatworks.panel.errors import PanelError
from whatworks.panel.forms import InviteForm, PollForm, QuestionForm, ScaleForm
from whatworks.panel.models import Study

PERM = "panel.change_poll"


@require_GET
@require_permission(PERM)
def manage(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "panel/manage.html",
        {
            "polls": selectors.polls_for_manager(user=user),
            "scales": selectors.scales_published(),
            "studies": Study.objects.all(),
        },
    )


@require_http_methods(["GET", "POST"])
@require_permission(PERM)
def poll_create(request: HttpRequest) -> HttpResponse:
    form = PollForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            poll = services.poll_create(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except PanelError as error:
            form.add_error(None, error.message)
        else:
            return redirect("panel:poll_detail", slug=poll.slug)
    return render(request, "panel/poll_form.html", {"form": form})


def _poll_page(
    request: HttpRequest,
    slug: str,
    *,
    question_form: QuestionForm | None = None,
    invite_form: InviteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    poll = selectors.poll_get_for_user(user=request.user, slug=slug, manage=True)  # type: ignore[arg-type]
    return render(
        request,
        "panel/poll_detail.html",
        {
            "poll": poll,
            "questions": poll.questions.select_related("scale", "show_if"),
            "question_form": question_form or QuestionForm(poll=poll),
            "invite_form": invite_form or InviteForm(),
            "rates": results.response_rates(poll),
        },
        status=status,
    )


@require_GET
@require_permission(PERM)
def poll_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _poll_page(request, slug)


@require_POST
@require_permission(PERM)
def question_add(request: HttpRequest, slug: str) -> HttpResponse:
    poll = selectors.poll_get_for_user(user=request.user, slug=slug, manage=True)  # type: ignore[arg-type]
    form = QuestionForm(request.POST, poll=poll)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.question_add(
                actor=request.user,  # type: ignore[arg-type]
                poll=poll,
                kind=data["kind"],
                text=data["text"],
                hint=data["hint"],
                required=data["required"],
                options=form.lines(data["options"]),
                rows=form.lines(data["rows"]),
                scale=data["scale"],
                show_if=data["show_if"],
                show_if_value=data["show_if_value"],
                pulse_key=data["pulse_key"],
            )
        except PanelError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Question added."))
            return redirect("panel:poll_detail", slug=poll.slug)
    return _poll_page(request, slug, question_form=form, status=400)


@require_POST
@require_permission(PERM)
def poll_status(request: HttpRequest, slug: str) -> HttpResponse:
    poll = selectors.poll_get_for_user(user=request.user, slug=slug, manage=True)  # type: ignore[arg-type]
    change = services.poll_open if request.POST.get("action") == "open" else services.poll_close
    try:
        change(actor=request.user, poll=poll)  # type: ignore[arg-type]
    except PanelError as error:
        messages.error(request, error.message)
    return redirect("panel:poll_detail", slug=poll.slug)


@require_POST
@require_permission("panel.add_invitation")
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    poll = selectors.poll_get_for_user(user=request.user, slug=slug, manage=True)  # type: ignore[arg-type]
    form = InviteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            count = services.invitations_send(
                actor=request.user,  # type: ignore[arg-type]
                poll=poll,
                selection=services.InviteSelection(
                    mode=data["mode"],
                    regions=data["regions"],
                    roles=data["roles"],
                    sample_size=data["sample_size"] or 0,
                ),
                cap_days=data["cap_days"],
            )
        except PanelError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(n)d members invited.") % {"n": count})
            return redirect("panel:poll_detail", slug=poll.slug)
    return _poll_page(request, slug, invite_form=form, status=400)


@require_http_methods(["GET", "POST"])
@require_permission("panel.add_scale")
def scale_create(request: HttpRequest) -> HttpResponse:
    form = ScaleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.scale_create(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except PanelError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Scale published."))
            return redirect("panel:manage")
    return render(request, "panel/scale_form.html", {"form": form})


@require_GET
@require_permission(PERM)
def study_detail(request: HttpRequest, slug: str) -> HttpResponse:
    study = selectors.study_get_for_user(user=request.user, slug=slug)  # type: ignore[arg-type]
    return render(
        request,
        "panel/study_detail.html",
        {"study": study, "change": study_results.wave_change(study)},
    )
