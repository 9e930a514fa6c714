"""The door: a phone page to check people in by scanning their ticket's QR code (with the
camera where the browser has ``BarcodeDetector``; a typed code or a handheld scanner
otherwise) or by searching, with a live counter, undo and walk-in registration."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.core.access import require_permission
from whatworks.core.errors import add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.events import errors, selectors
from whatworks.events.forms import CheckInSearchForm, TicketForm, WalkInForm
from whatworks.events.models import Event, Registration
from whatworks.events.services.checkin import (
    registration_check_in,
    registration_check_in_undo,
    registration_walk_in,
)

CHECK_IN = "events.checkin_registration"
#: The check-in page may use the camera (only it: every other page keeps camera=()).
CAMERA_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"


def _back(event: Event, *, q: str = "", last: int | None = None) -> str:
    params = {k: v for k, v in {"q": q, "last": last}.items() if v}
    url = reverse("events:check_in", args=[event.slug])
    return f"{url}?{urlencode(params)}" if params else url


def _page(
    request: HttpRequest,
    event: Event,
    *,
    walk_in: WalkInForm | None = None,
    ticket: TicketForm | None = None,
    status: int = 200,
) -> HttpResponse:
    form = CheckInSearchForm(request.GET)
    found = Registration.objects.filter(event=event, status=Registration.Status.CONFIRMED)
    query = ""
    if form.is_valid() and (query := form.cleaned_data["q"].strip()):
        found = found.filter(Q(name__icontains=query) | Q(email__icontains=query))
    last_id = request.GET.get("last", "")
    last = (
        Registration.objects.filter(event=event, pk=int(last_id)).first()
        if last_id.isdigit()
        else None
    )
    checked_in, confirmed = selectors.check_in_counts(event)
    response = render(
        request,
        "events/check_in.html",
        {
            "event": event,
            "form": form,
            "query": query,
            # without a search, the page lists nobody: the counter and scanner come first
            "registrations": found.order_by("name", "id")[:50] if query else None,
            "last": last,
            "checked_in": checked_in,
            "confirmed": confirmed,
            "walk_in": walk_in or WalkInForm(),
            "ticket": ticket or TicketForm(),
        },
        status=status,
    )
    response.headers["Permissions-Policy"] = CAMERA_POLICY
    return response


@require_GET
@require_permission(CHECK_IN)
def check_in(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_get_for_user(user=request.user, slug=slug)
    return _page(request, event)


@require_GET
@require_permission(CHECK_IN)
def check_in_count(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """The counter alone, for the page to refresh every few seconds (htmx)."""
    event = selectors.event_get_for_user(user=request.user, slug=slug)
    checked_in, confirmed = selectors.check_in_counts(event)
    return render(
        request,
        "events/_check_in_count.html",
        {"event": event, "checked_in": checked_in, "confirmed": confirmed},
    )


def _check_in(request: AuthedHttpRequest, registration: Registration) -> None:
    try:
        done = registration_check_in(actor=request.user, registration=registration)
    except errors.EventError as exc:
        messages.error(request, exc.message)
    else:
        person = done.registration
        if done.new:
            messages.success(request, _("%(name)s is checked in.") % {"name": person.name})
        else:
            when = person.checked_in_at
            messages.warning(
                request,
                _("%(name)s was already checked in at %(when)s.")
                % {"name": person.name, "when": format(when, "%H:%M")}
                if when
                else _("%(name)s was already checked in.") % {"name": person.name},
            )


@require_POST
@require_permission(CHECK_IN)
def check_in_person(request: AuthedHttpRequest, slug: str, registration_id: int) -> HttpResponse:
    event = selectors.event_get_for_user(user=request.user, slug=slug)
    found = selectors.registration_get_for_staff(event=event, registration_id=registration_id)
    _check_in(request, found)
    return redirect(_back(event, q=request.POST.get("q", ""), last=found.pk))


@require_POST
@require_permission(CHECK_IN)
def check_in_undo(request: AuthedHttpRequest, slug: str, registration_id: int) -> HttpResponse:
    event = selectors.event_get_for_user(user=request.user, slug=slug)
    found = selectors.registration_get_for_staff(event=event, registration_id=registration_id)
    try:
        registration_check_in_undo(actor=request.user, registration=found)
    except errors.EventError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s's check-in was undone.") % {"name": found.name})
    return redirect(_back(event, q=request.POST.get("q", "")))


@require_POST
@require_permission(CHECK_IN)
def check_in_scan(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """A ticket code, from the camera scanner, a handheld scanner or typed."""
    event = selectors.event_get_for_user(user=request.user, slug=slug)
    form = TicketForm(request.POST)
    if form.is_valid():
        found = selectors.registration_get_by_ticket(event=event, code=form.cleaned_data["code"])
        if found is not None:
            _check_in(request, found)
            return redirect(_back(event, last=found.pk))
        other = _other_event(form.cleaned_data["code"])
        form.add_error(
            "code",
            _("This ticket is for another event, %(other)s. Check the event on it.")
            % {"other": other}
            if other
            else _(
                "This is not a ticket for this event. Scan it again, or find the person by name."
            ),
        )
    return _page(request, event, ticket=form, status=400)


def _other_event(code: str) -> str:
    try:
        found = selectors.registration_get_by_ticket_for_staff(code=code)
    except Http404:  # a code that names nothing
        return ""
    return found.event.title


@require_POST
@require_permission(CHECK_IN)
def walk_in(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_get_for_user(user=request.user, slug=slug)
    form = WalkInForm(request.POST)
    if form.is_valid():
        try:
            added = registration_walk_in(
                actor=request.user,
                event=event,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
            )
        except errors.AlreadyRegisteredError as exc:
            found = Registration.objects.get(pk=exc.registration_id)
            form.add_error(
                "email",
                _(
                    "%(name)s is already registered with this address "
                    "(%(get_status_display)s): find them by name to check them "
                    "in."
                )
                % {"name": found.name, "get_status_display": found.get_status_display()},
            )
        except errors.EventError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request, _("%(name)s is registered and checked in.") % {"name": added.name}
            )
            return redirect(_back(event, last=added.pk))
    return _page(request, event, walk_in=form, status=400)


@require_http_methods(["GET", "POST"])
@require_permission(CHECK_IN)
def ticket(request: AuthedHttpRequest, code: str) -> HttpResponse:
    """What a phone's own camera app opens from the QR code: the person, and a button."""
    found = selectors.registration_get_by_ticket_for_staff(code=code)
    event = selectors.event_get_for_user(user=request.user, slug=found.event.slug)
    if request.method == "POST":
        _check_in(request, found)
        return redirect(_back(event, last=found.pk))
    return render(
        request,
        "events/ticket.html",
        {"event": event, "registration": found},
    )
