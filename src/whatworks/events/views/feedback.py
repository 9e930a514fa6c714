"""The staff page of an event's feedback survey: make it from a ready-made template, send
it to those checked in once the event is over, and read the results (the panel's results
display, through ``core.surveys``; see ``services/feedback.py``).

Views parse, check permission, call one service and map its error to a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from whatworks.core import surveys
from whatworks.core.access import require_permission
from whatworks.core.confirm import Confirmation, confirmation_page
from whatworks.core.errors import SurveyError, add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.events import errors
from whatworks.events.forms import FeedbackSurveyForm
from whatworks.events.services import feedback as feedback_services
from whatworks.events.views.manage import MANAGE, _event


def _people(n: int) -> str:
    return ngettext("%(n)s person", "%(n)s people", n) % {"n": f"{n:,}"}


@require_http_methods(["GET", "POST"])
@require_permission(MANAGE)
def feedback(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    unavailable = ""
    try:
        provider = surveys.provider()
    except SurveyError as error:
        provider, unavailable = None, error.message
    templates = provider.templates() if provider is not None else []
    form = FeedbackSurveyForm(
        request.POST if request.method == "POST" else None, templates=templates
    )
    if request.method == "POST" and form.is_valid():
        try:
            feedback_services.event_feedback_create(
                actor=request.user, event=event, template=form.cleaned_data["template"]
            )
        except errors.EventError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _("The feedback survey is ready. Send it to those checked in once the event "
                  "is over."),
            )  # fmt: skip
            return redirect("events:feedback", slug=event.slug)
    summary = results = None
    if provider is not None and event.feedback_survey_id is not None:
        summary = provider.summary(survey_id=event.feedback_survey_id)
        # the panel's own template, rendered by the panel: its values are escaped there
        results = mark_safe(  # noqa: S308
            provider.results_html(survey_id=event.feedback_survey_id, request=request)
        )
    return render(
        request,
        "events/staff/feedback.html",
        {
            "event": event,
            "form": form,
            "unavailable": unavailable,
            "summary": summary,
            "results": results,
            "due": feedback_services.feedback_due(event).count(),
            "over": event.ends_at <= timezone.now(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@require_permission(MANAGE)
def feedback_send(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    due = feedback_services.feedback_due(event).count()
    page = confirmation_page(
        request,
        None
        if not due or event.feedback_survey_id is None
        else Confirmation(
            title=_("E-mail the feedback survey to %(people)s?") % {"people": _people(due)},
            consequences=[
                _(
                    "This e-mails %(people)s checked in at %(title)s, who have not had it yet, "
                    "each their own link to the survey."
                )
                % {"people": _people(due), "title": event.title},
                _("Nobody gets it twice; people checked in later can be sent it then."),
            ],
            button=_("Send to %(people)s") % {"people": _people(due)},
            cancel_url=reverse("events:feedback", args=[event.slug]),
        ),
    )
    if page is not None:
        return page
    try:
        sent = feedback_services.event_feedback_send(actor=request.user, event=event, at_most=due)
    except errors.EventError as exc:
        messages.error(request, exc.message)
    else:
        if sent:
            messages.success(
                request, _("The survey is on its way to %(people)s.") % {"people": _people(sent)}
            )
        else:
            messages.error(request, _("Nobody checked in is waiting for the survey."))
    return redirect("events:feedback", slug=event.slug)
