"""Researchers' pages: polls, questions, scales, invitations and study waves."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.core.access import require_permission
from whatworks.core.confirm import Confirmation, confirmation_page
from whatworks.core.errors import add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.models import User
from whatworks.panel import registry_handover, results, selectors, study_results
from whatworks.panel.errors import PanelError
from whatworks.panel.forms import (
    BounceForm,
    InviteForm,
    PollForm,
    QuestionForm,
    ScaleForm,
    ScheduleForm,
    StudyExportForm,
    StudyLinkForm,
)
from whatworks.panel.models import Poll, Study
from whatworks.panel.services import handover
from whatworks.panel.services import invitations as invitations_services
from whatworks.panel.services import polls as polls_services
from whatworks.panel.services import questions as questions_services
from whatworks.panel.services import schedule as schedule_services

PERM = "panel.change_poll"


@require_GET
@require_permission(PERM)
def manage(request: AuthedHttpRequest) -> HttpResponse:
    user: User = request.user
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
def poll_create(request: AuthedHttpRequest) -> HttpResponse:
    form = PollForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            poll = polls_services.poll_create(actor=request.user, **form.cleaned_data)
        except PanelError as error:
            add_to_form(form, error)
        else:
            return redirect("panel:poll_detail", slug=poll.slug)
    return render(request, "panel/poll_form.html", {"form": form})


def _poll_page(
    request: HttpRequest,
    slug: str,
    *,
    question_form: QuestionForm | None = None,
    invite_form: InviteForm | None = None,
    schedule_form: ScheduleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    poll = selectors.poll_get_for_user(user=request.user, slug=slug, manage=True)
    schedule_initial = {
        "opens_at": poll.opens_at and timezone.localtime(poll.opens_at),
        "closes_at": poll.closes_at and timezone.localtime(poll.closes_at),
        "minutes": poll.minutes,
        "invitation_text": poll.invitation_text,
    }
    return render(
        request,
        "panel/poll_detail.html",
        {
            "poll": poll,
            "questions": poll.questions.select_related("scale").prefetch_related(
                "conditions__depends_on"
            ),
            "question_form": question_form or QuestionForm(poll=poll),
            "invite_form": invite_form or InviteForm(),
            "schedule_form": schedule_form or ScheduleForm(initial=schedule_initial),
            "reminders_due": invitations_services.reminders_count(poll=poll, now_only=True),
            "rates": results.response_rates(poll),
            "multi_page": poll.page_count() > 1,
        },
        status=status,
    )


@require_GET
@require_permission(PERM)
def poll_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _poll_page(request, slug)


@require_POST
@require_permission(PERM)
def question_add(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    poll = selectors.poll_get_for_user(user=request.user, slug=slug, manage=True)
    form = QuestionForm(request.POST, poll=poll)
    if form.is_valid():
        try:
            questions_services.question_create(actor=request.user, poll=poll, spec=form.spec())
        except PanelError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Question added."))
            return redirect("panel:poll_detail", slug=poll.slug)
    return _poll_page(request, slug, question_form=form, status=400)


@require_POST
@require_permission(PERM)
def poll_status(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    poll = selectors.poll_get_for_user(user=request.user, slug=slug, manage=True)
    opening = request.POST.get("action") == "open"
    change = polls_services.poll_open if opening else schedule_services.poll_close
    page = confirmation_page(request, None if opening else _close_confirmation(poll))
    if page is not None:
        return page
    try:
        change(actor=request.user, poll=poll)
    except PanelError as error:
        messages.error(request, error.message)
    return redirect("panel:poll_detail", slug=poll.slug)


@require_POST
@require_permission(PERM)
def poll_schedule(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    poll = selectors.poll_get_for_user(user=request.user, slug=slug, manage=True)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            schedule_services.poll_schedule(
                actor=request.user,
                poll=poll,
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                minutes=data["minutes"],
                invitation_text=data["invitation_text"],
            )
        except PanelError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("The schedule and invitation are saved."))
            return redirect("panel:poll_detail", slug=poll.slug)
    return _poll_page(request, slug, schedule_form=form, status=400)


@require_POST
@require_permission(PERM)
def results_publish(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """Publish results held back because the weighting did not converge (confirmed)."""
    poll = selectors.poll_get_for_user(user=request.user, slug=slug, manage=True)
    data = results.poll_results(poll)
    page = confirmation_page(
        request,
        Confirmation(
            title=_("Publish the results of “%(title)s” anyway?") % {"title": poll.title},
            consequences=[
                _("The weighting did not converge: the weighted figures do not match every "
                  "workforce margin, and their margins of error are wide (±%(moe)s points at "
                  "50%%, from %(n)s responses).")
                % {
                    "moe": f"{100 * data.weighting.diagnostics().get('margin_of_error_95', 0):.1f}",
                    "n": f"{data.n:,}",
                },
                _("Anyone can then see them on the results page, with that warning."),
            ],
            button=_("Publish the results"),
            cancel_url=reverse("panel:results", kwargs={"slug": poll.slug}),
        ),
    )  # fmt: skip
    if page is not None:
        return page
    try:
        schedule_services.poll_results_publish(actor=request.user, poll=poll)
    except PanelError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The results are published."))
    return redirect("panel:results", slug=poll.slug)


@require_POST
@require_permission("panel.add_invitation")
def remind(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """Remind now the members who have not finished (after a confirmation with the count)."""
    poll = selectors.poll_get_for_user(user=request.user, slug=slug, manage=True)
    due = invitations_services.reminders_count(poll=poll, now_only=True)
    if not due:
        messages.error(request, _("Nobody is due a reminder: everyone invited has answered, "
                                  "opted out or had every reminder."))  # fmt: skip
        return redirect("panel:poll_detail", slug=poll.slug)
    page = confirmation_page(
        request,
        Confirmation(
            title=_("Remind members about “%(title)s” now?") % {"title": poll.title},
            consequences=[
                _("This will e-mail %(n)s members who have not finished, each with a new link "
                  "(their saved answers are kept).") % {"n": f"{due:,}"}
            ],
            button=_("E-mail %(n)s members") % {"n": f"{due:,}"},
            cancel_url=reverse("panel:poll_detail", kwargs={"slug": poll.slug}),
        ),
    )  # fmt: skip
    if page is not None:
        return page
    try:
        sent = invitations_services.reminders_send(
            poll_id=poll.pk,
            actor=request.user,
            at_once=True,
            at_most=due,
        )
    except PanelError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(n)d members reminded.") % {"n": sent})
    return redirect("panel:poll_detail", slug=poll.slug)


@require_POST
@require_permission("panel.add_invitation")
def invite(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    poll = selectors.poll_get_for_user(user=request.user, slug=slug, manage=True)
    form = InviteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        selection = invitations_services.InviteSelection(
            mode=data["mode"],
            regions=data["regions"],
            roles=data["roles"],
            sample_size=data["sample_size"] or 0,
        )
        try:
            planned = invitations_services.invitations_count(
                poll=poll, selection=selection, cap_days=data["cap_days"]
            )
            page = confirmation_page(request, _invite_confirmation(poll, planned))
            if page is not None:
                return page
            count = invitations_services.invitations_send(
                actor=request.user,
                poll=poll,
                selection=selection,
                cap_days=data["cap_days"],
                at_most=planned,
            )
        except PanelError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("%(n)d members invited.") % {"n": count})
            return redirect("panel:poll_detail", slug=poll.slug)
    return _poll_page(request, slug, invite_form=form, status=400)


def _close_confirmation(poll: Poll) -> Confirmation:
    answered = poll.responses.current().count()
    invited = poll.invitations.count()
    converged = schedule_services.weighting_converged(poll)
    stops = _("This stops answers at once")
    counts = _(" from %(m)s members invited.") % {"m": f"{invited:,}"} if invited else "."
    if converged is False:
        return Confirmation(
            title=_("Close “%(title)s”? Its results will not be published yet")
            % {"title": poll.title},
            consequences=[
                stops + _(" (%(n)s responses") % {"n": f"{answered:,}"} + counts.rstrip(".") + ").",
                _("The weighting did not converge, so the results are held back: they are "
                  "published only when you confirm on the results page, which says why the "
                  "margins of error are wide."),
            ],
            button=_("Close the poll"),
            cancel_url=reverse("panel:poll_detail", kwargs={"slug": poll.slug}),
        )  # fmt: skip
    return Confirmation(
        title=_("Close “%(title)s” and publish its results?") % {"title": poll.title},
        consequences=[
            stops
            + _(" and publishes the results of %(n)s responses") % {"n": f"{answered:,}"}
            + counts,
            _("Anyone can then see them on the results page."),
        ],
        button=_("Close the poll and publish the results"),
        cancel_url=reverse("panel:poll_detail", kwargs={"slug": poll.slug}),
    )


def _invite_confirmation(poll: Poll, count: int) -> Confirmation:
    return Confirmation(
        title=_("Send invitations to “%(title)s”?") % {"title": poll.title},
        consequences=[
            _("This will e-mail %(n)s members at once, each with their own link.")
            % {"n": f"{count:,}"},
            *(
                [
                    _(
                        "Reminders follow every %(d)s days, up to %(r)s times, to those who do not "
                        "answer."
                    )
                    % {"d": poll.reminder_days, "r": poll.max_reminders}
                ]
                if poll.max_reminders
                else []
            ),
        ],
        button=_("E-mail %(n)s members") % {"n": f"{count:,}"},
        cancel_url=reverse("panel:poll_detail", kwargs={"slug": poll.slug}),
    )


@require_http_methods(["GET", "POST"])
@require_permission("panel.add_scale")
def scale_create(request: AuthedHttpRequest) -> HttpResponse:
    form = ScaleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            polls_services.scale_create(actor=request.user, **form.cleaned_data)
        except PanelError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Scale published."))
            return redirect("panel:manage")
    return render(request, "panel/scale_form.html", {"form": form})


def _export_form(
    target: registry_handover.RegistryTarget | None, data: QueryDict | None = None
) -> StudyExportForm:
    return StudyExportForm(
        data,
        versions=target.versions if target else (),
        outcomes=target.outcomes if target else (),
    )


def _study_page(
    request: AuthedHttpRequest,
    slug: str,
    *,
    link_form: StudyLinkForm | None = None,
    export_form: StudyExportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user
    study = selectors.study_get_for_user(user=user, slug=slug)
    project = study.registry_project
    # a project that is not public is named only to those the registry shows it to
    target = (
        registry_handover.target_for(study)
        if registry_handover.can_see_project(user, project)
        else None
    )
    return render(
        request,
        "panel/study_detail.html",
        {
            "study": study,
            "change": study_results.wave_change(study),
            "target": target,
            "hidden_project": project is not None and target is None,
            "on_team": registry_handover.can_hand_over(user, project),
            "link_form": link_form
            or StudyLinkForm(initial={"reference": target.reference if target else ""}),
            "export_form": export_form or _export_form(target),
        },
        status=status,
    )


@require_GET
@require_permission(PERM)
def study_detail(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    return _study_page(request, slug)


@require_POST
@require_permission(PERM)
def study_link(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    study = selectors.study_get_for_user(user=request.user, slug=slug)
    form = StudyLinkForm(request.POST)
    if form.is_valid():
        try:
            handover.study_link_project(
                actor=request.user,
                study=study,
                reference=form.cleaned_data["reference"],
            )
        except PanelError as error:
            add_to_form(form, error, field="reference")
        else:
            messages.success(request, _("The study's research project is saved."))
            return redirect("panel:study_detail", slug=study.slug)
    return _study_page(request, slug, link_form=form, status=400)


def _export_target(
    request: HttpRequest, slug: str
) -> tuple[Study, registry_handover.RegistryTarget]:
    study = selectors.study_get_for_user(user=request.user, slug=slug)
    target = registry_handover.target_for(study)
    if (
        target is None
        or not target.versions
        or not registry_handover.can_hand_over(request.user, study.registry_project)
    ):
        raise Http404("This study has no registered research project of yours to report to.")
    return study, target


@require_GET
@require_permission(PERM)
def study_bundle(request: HttpRequest, slug: str) -> HttpResponse:
    """The change as the registry's result bundle (JSON), to keep or paste by hand.

    ``?protocol_version=N&outcome=KEY`` choose what it answers; by default the latest
    registered version and its first outcome.
    """
    study, target = _export_target(request, slug)
    form = _export_form(target, request.GET or None)
    if form.is_bound:
        if not form.is_valid():
            raise Http404("No such protocol version or outcome.")
        version, outcome = form.cleaned_data["protocol_version"], form.cleaned_data["outcome"]
    elif target.outcomes:
        version, outcome = target.versions[0], target.outcomes[0][0]
    else:
        raise Http404("The protocol names no outcomes.")
    try:
        bundle = registry_handover.study_bundle(
            study=study, protocol_version=version, outcome=outcome
        )
    except PanelError as error:
        raise Http404(error.message) from None
    response = HttpResponse(
        json.dumps(bundle, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{study.slug}-results-bundle.json"'
    return response


@require_POST
@require_permission(PERM)
def study_export(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """Send the change to the linked project's draft results report in the registry."""
    study, target = _export_target(request, slug)
    form = _export_form(target, request.POST)
    if form.is_valid():
        try:
            report = handover.study_results_send(
                actor=request.user,
                study=study,
                protocol_version=form.cleaned_data["protocol_version"],
                outcome=form.cleaned_data["outcome"],
            )
        except PanelError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request,
                _("The change is in the draft results report of %(ref)s.")
                % {"ref": target.reference},
            )
            return redirect(report.get_absolute_url())
    return _study_page(request, slug, export_form=form, status=400)


def _bounce_page(
    request: HttpRequest,
    poll: Poll,
    form: BounceForm,
    *,
    report: invitations_services.BounceReport | None = None,
    not_addresses: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "panel/bounces.html",
        {"poll": poll, "form": form, "report": report, "not_addresses": not_addresses or []},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@require_permission("panel.add_invitation")
def bounces(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """Mark a poll's invitations bounced from a pasted list or a CSV of addresses: for the
    poll's owner or a panel manager only, and the answer gives counts, never which address
    matched (it would tell who is on the panel and who engaged with the poll)."""
    poll = selectors.poll_get_for_owner(user=request.user, slug=slug)
    if request.method != "POST":
        return _bounce_page(request, poll, BounceForm())
    form = BounceForm(request.POST, request.FILES)
    if not form.is_valid():
        return _bounce_page(request, poll, form, status=400)
    report = invitations_services.invitations_mark_bounced(
        actor=request.user,
        poll=poll,
        emails=form.cleaned_data["emails"],
    )
    return _bounce_page(
        request,
        poll,
        BounceForm(),
        report=report,
        not_addresses=form.cleaned_data["not_addresses"],
    )
