"""Event pages, registration, signed-link self-service and the staff's lists."""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.core.access import require_permission
from whatworks.core.confirm import Confirmation, confirmation_page
from whatworks.core.csvutils import write_csv
from whatworks.core.errors import Throttled, add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.parts import PARTS_BY_KEY
from whatworks.core.projects import project_for_user
from whatworks.core.throttle import Rate, email_key, throttle_hit, throttle_request
from whatworks.events import errors, ical, selectors
from whatworks.events.certificates import certificate_pdf
from whatworks.events.emails import calendar_event, event_ics, registration_ics
from whatworks.events.forms import AnswersForm, RegistrationForm
from whatworks.events.models import Event, Registration
from whatworks.events.services import registrations as registrations_services
from whatworks.events.tickets import qr_svg, ticket_code
from whatworks.events.tokens import registration_token

CALENDAR = "text/calendar; charset=utf-8"

#: Registrations per client address (scope "events.register.address"), and e-mails per
#: registered address ("events.register.email"; over it: the same answer and no e-mail).
REGISTER_RATE = Rate(limit=10, per=3600)
REGISTER_EMAIL_RATE = Rate(limit=3, per=3600)


def _calendar_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type=CALENDAR)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    part = PARTS_BY_KEY["events"]
    return render(
        request,
        "events/index.html",
        {
            "part": part,
            "title": part.title,
            "lead": part.lead,
            "events": selectors.events_upcoming(user=request.user),
        },
    )


@require_GET
def past(request: HttpRequest) -> HttpResponse:
    return render(request, "events/past.html", {"events": selectors.events_past(user=request.user)})


@require_GET
def feed(request: HttpRequest) -> HttpResponse:
    events = Event.objects.filter(published=True).order_by("starts_at")
    text = ical.calendar((calendar_event(e) for e in events), name="whatworks events")
    return _calendar_response(text, "whatworks-events.ics")


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_get_for_user(user=request.user, slug=slug)
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            # The research project, only as far as the registry lets this user see it.
            "project": project_for_user(user=request.user, reference=event.project_ref),
            "places_left": selectors.places_left(event),
            "waiting": selectors.waiting_count(event),
        },
    )


@require_GET
def event_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_get_for_user(user=request.user, slug=slug)
    return _calendar_response(event_ics(event), f"{event.slug}.ics")


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_get_for_user(user=request.user, slug=slug)
    user = request.user
    initial = {"name": user.full_name, "email": user.email} if user.is_authenticated else {}
    form = RegistrationForm(request.POST or None, event=event, initial=initial)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        own = user.is_authenticated and email_key(email) == email_key(user.email)
        throttle_request(request, scope="events.register.address", rate=REGISTER_RATE)
        try:
            if not own:
                throttle_hit(
                    scope="events.register.email", key=email_key(email), rate=REGISTER_EMAIL_RATE
                )
            registration = registrations_services.registration_create(
                actor=user,
                event=event,
                name=form.cleaned_data["name"],
                email=email,
                answers=form.answers(),
            )
        except Throttled:
            pass  # the same answer as for a new registration, and no e-mail
        except errors.AlreadyRegisteredError as exc:
            if own:  # their own account's address: show them their registration
                found = Registration.objects.get(pk=exc.registration_id)
                return redirect("events:registration", token=registration_token(found.key))
            registrations_services.registration_remind(registration_id=exc.registration_id)
        except errors.EventError as exc:
            add_to_form(form, exc)
        else:
            if registration.address_confirmed:
                return redirect("events:registration", token=registration_token(registration.key))
        if not form.errors:
            # The same answer whether the address was new, already registered or over its
            # limit: what happened is told to the address, not to whoever typed it.
            return render(
                request,
                "events/register_sent.html",
                {
                    "event": event,
                    "email": email,
                    "minutes": registrations_services.confirm_minutes(),
                },
            )
    places = selectors.places_left(event)
    waiting = selectors.waiting_count(event)
    return render(
        request,
        "events/register.html",
        {
            "event": event,
            "form": form,
            "open": event.registration_open(),
            # the same rule as registration_create: a place only if one is free and
            # nobody is waiting for it
            "full": not places or waiting > 0,
            "waiting": waiting,
        },
    )


@require_GET
def registration(request: HttpRequest, token: str) -> HttpResponse:
    found = selectors.registration_get_by_token(token=token)
    event = found.event
    confirmed = found.status == Registration.Status.CONFIRMED and not event.cancelled
    questions = list(event.questions.all())
    return render(
        request,
        "events/registration.html",
        {
            "registration": found,
            "event": event,
            "token": token,
            "position": selectors.queue_position(found),
            "active": found.status in Registration.ACTIVE and not event.cancelled,
            "ticket_svg": qr_svg(found) if confirmed else "",
            "ticket_code": ticket_code(found) if confirmed else "",
            "answers": [(q.label, found.answers.get(str(q.pk), "")) for q in questions],
            "can_change_answers": bool(questions)
            and found.status in Registration.ACTIVE
            and not event.cancelled
            and event.ends_at > timezone.now(),
            "certificate": _certificate_ready(found),
        },
    )


def _certificate_ready(registration: Registration) -> bool:
    """Checked in, and the event is over."""
    return (
        registration.checked_in_at is not None
        and registration.status == Registration.Status.CONFIRMED
        and registration.event.ends_at <= timezone.now()
    )


@require_http_methods(["GET", "POST"])
def registration_answers(request: HttpRequest, token: str) -> HttpResponse:
    """The attendee changes their own answers (access and dietary needs…)."""
    found = selectors.registration_get_by_token(token=token)
    form = AnswersForm(request.POST or None, registration=found)
    if request.method == "POST" and form.is_valid():
        try:
            registrations_services.registration_answers_update(
                actor=request.user, registration=found, answers=form.answers()
            )
        except errors.EventError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Your answers were saved."))
            return redirect("events:registration", token=token)
    return render(
        request,
        "events/answers.html",
        {"registration": found, "event": found.event, "token": token, "form": form},
    )


@require_GET
def registration_certificate(request: HttpRequest, token: str) -> HttpResponse:
    """The certificate of attendance (PDF), once the person was checked in and it is over."""
    found = selectors.registration_get_by_token(token=token)
    if not _certificate_ready(found):
        raise Http404("There is no certificate for this registration (yet).")
    response = HttpResponse(certificate_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{found.event.slug}.pdf"'
    return response


@require_POST
def registration_confirm(request: HttpRequest, token: str) -> HttpResponse:
    found = selectors.registration_get_by_token(token=token)
    found = registrations_services.registration_confirm_address(
        actor=request.user, registration=found
    )
    if found.status == Registration.Status.EXPIRED:
        messages.error(
            request,
            _(
                "The time to confirm this registration has passed. Register "
                "again if you still want to come."
            ),
        )
    elif found.status == Registration.Status.CONFIRMED:
        messages.success(request, _("Your address is confirmed and your place is yours."))
    elif found.address_confirmed:
        messages.success(request, _("Your address is confirmed."))
    return redirect("events:registration", token=token)


@require_GET
def registration_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """The attendee's own calendar file, with the joining link once their place is theirs."""
    found = selectors.registration_get_by_token(token=token)
    text = registration_ics(found)
    if text is None:
        raise Http404("A cancelled or lapsed registration has no calendar file.")
    return _calendar_response(text, f"{found.event.slug}.ics")


@require_POST
def registration_cancel(request: HttpRequest, token: str) -> HttpResponse:
    found = selectors.registration_get_by_token(token=token)
    waiting = found.event.registrations.filter(status=Registration.Status.WAITING).count()
    if found.status in Registration.HOLDING:
        given = (
            f"Your place goes to the first of the {waiting:,} people on the waiting list."
            if waiting
            else f"Your place becomes free: 1 of the {found.event.capacity:,} places opens "
            "for someone else to book."
        )
    else:
        given = (
            f"You leave the waiting list ({waiting:,} people on it now) and will not be "
            "offered a place."
        )
    page = confirmation_page(
        request,
        None
        if found.status not in Registration.ACTIVE  # already cancelled: the service says so
        else Confirmation(
            title=_("Cancel your registration for %(title)s?") % {"title": found.event.title},
            consequences=[given, _("We will e-mail you to confirm the cancellation.")],
            button=_("Cancel my registration"),
            cancel_url=reverse("events:registration", kwargs={"token": token}),
            cancel_text=_("No, keep my registration"),
        ),
    )
    if page is not None:
        return page
    try:
        registrations_services.registration_cancel(actor=request.user, registration=found)
    except errors.EventError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your registration is cancelled."))
    return redirect("events:registration", token=token)


@require_POST
def registration_accept(request: HttpRequest, token: str) -> HttpResponse:
    found = selectors.registration_get_by_token(token=token)
    try:
        registrations_services.registration_accept_offer(actor=request.user, registration=found)
    except errors.EventError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your place is confirmed."))
    return redirect("events:registration", token=token)


@require_GET
@require_permission("events.view_registration")
def attendees(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_get_for_user(user=request.user, slug=slug)
    registrations = list(selectors.attendees(event=event))
    registrations_services.attendees_access_record(
        actor=request.user, event=event, registrations=len(registrations)
    )
    return render(
        request,
        "events/attendees.html",
        {
            "event": event,
            "registrations": registrations,
            "questions": list(event.questions.all()),
            "active_statuses": list(Registration.ACTIVE),
        },
    )


@require_GET
@require_permission("events.view_registration")
def attendees_csv(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_get_for_user(user=request.user, slug=slug)
    questions = list(event.questions.all())
    handle = io.StringIO()
    rows = write_csv(
        handle,
        header=[
            "name",
            "email",
            "status",
            "registered",
            "checked_in",
            *(q.label for q in questions),
        ],
        rows=(
            [
                r.name,
                r.email,
                r.status,
                r.created_at.isoformat(),
                r.checked_in_at.isoformat() if r.checked_in_at else "",
                *(r.answers.get(str(q.pk), "") for q in questions),
            ]
            for r in selectors.attendees(event=event)
        ),
    )
    registrations_services.attendees_export_access_record(
        actor=request.user, event=event, rows=rows
    )
    response = HttpResponse(handle.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-attendees.csv"'
    return response
