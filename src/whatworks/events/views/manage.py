"""Staff's pages for events (the admin stays for administrators): the list of events,
create, edit, duplicate, publish and cancel, the questions, and managing attendees.

Views parse, check permission, call one service and map its error to a message.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.core.access import require_permission
from whatworks.core.confirm import Confirmation, confirmation_page
from whatworks.core.errors import add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.questions import question_delete_page, question_edit_page, questions_page
from whatworks.events import errors, selectors
from whatworks.events.forms import (
    AttendeeAddForm,
    CancelEventForm,
    EventForm,
    MessageForm,
    QuestionForm,
)
from whatworks.events.models import Event, Registration
from whatworks.events.services import registrations as registrations_services
from whatworks.events.services import staff as staff_services

MANAGE = "events.change_event"
ADD = "events.add_event"
ATTENDEES = "events.change_registration"
Status = Registration.Status


def _event(request: HttpRequest, slug: str) -> Event:
    return selectors.event_get_for_user(user=request.user, slug=slug)


def _people(n: int) -> str:
    return ngettext("%(count)s person", "%(count)s people", n) % {"count": format(n, ",")}


@require_GET
@require_permission(MANAGE)
def manage(request: AuthedHttpRequest) -> HttpResponse:
    return render(
        request,
        "events/staff/manage.html",
        {"events": selectors.events_for_staff(user=request.user)},
    )


def _event_fields(form: EventForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.Meta.fields}


@require_http_methods(["GET", "POST"])
@require_permission(ADD)
def create(request: AuthedHttpRequest) -> HttpResponse:
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = registrations_services.event_create(
                actor=request.user, published=False, **_event_fields(form)
            )
        except errors.EventError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _("%(title)s is saved as a draft. Add its questions, then publish it.")
                % {"title": event.title},
            )
            return redirect("events:questions", slug=event.slug)
    return render(request, "events/staff/event_form.html", {"form": form, "mode": "create"})


@require_http_methods(["GET", "POST"])
@require_permission(MANAGE)
def edit(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    form = EventForm(request.POST or None, instance=event)
    if event.published:  # its address is in e-mails and calendars already
        form.fields["slug"].disabled = True
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in _event_fields(form).items() if not form.fields[k].disabled}
        try:
            registrations_services.event_update(actor=request.user, event=event, **fields)
        except errors.EventError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("events:manage_event", slug=event.slug)
    return render(
        request, "events/staff/event_form.html", {"form": form, "event": event, "mode": "edit"}
    )


@require_http_methods(["GET", "POST"])
@require_permission(ADD)
def duplicate(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    source = _event(request, slug)
    initial = {name: getattr(source, name) for name in EventForm.Meta.fields}
    initial.update(title=f"{source.title} (copy)", slug=f"{source.slug}-copy"[:100])
    form = EventForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            event = staff_services.event_duplicate(
                actor=request.user, source=source, **_event_fields(form)
            )
        except errors.EventError as exc:
            add_to_form(form, exc)
        else:
            count = event.questions.count()
            messages.success(
                request,
                ngettext(
                    "%(title)s is saved as a draft, with %(count)s question copied.",
                    "%(title)s is saved as a draft, with %(count)s questions copied.",
                    count,
                )
                % {"title": event.title, "count": format(count, ",")},
            )
            return redirect("events:manage_event", slug=event.slug)
    return render(
        request,
        "events/staff/event_form.html",
        {"form": form, "event": source, "mode": "duplicate"},
    )


@require_GET
@require_permission(MANAGE)
def manage_event(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    counts = {
        status: event.registrations.filter(status=status).count()
        for status in (Status.CONFIRMED, Status.WAITING, Status.OFFERED, Status.HELD)
    }
    checked_in, confirmed = selectors.check_in_counts(event)
    return render(
        request,
        "events/staff/event.html",
        {
            "event": event,
            "feedback": selectors.feedback_summary(event),
            "counts": counts,
            "checked_in": checked_in,
            "confirmed": confirmed,
            "questions": list(event.questions.all()),
            "cancel_form": CancelEventForm(),
            "can_publish": selectors.can_publish(event),
            "can_cancel": selectors.can_cancel(event),
        },
    )


@require_POST
@require_permission(MANAGE)
def publish(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    questions = event.questions.count()
    page = confirmation_page(
        request,
        None
        if not selectors.can_publish(event)  # the service refuses; nothing to confirm
        else Confirmation(
            title=_("Publish %(title)s?") % {"title": event.title},
            consequences=[
                _(
                    "It appears on the events page, in the calendar feed and in "
                    "the next newsletter, and anyone can register for its "
                    "%(capacity)s places from %(localtime)s."
                )
                % {
                    "capacity": format(event.capacity, ","),
                    "localtime": format(
                        timezone.localtime(event.registration_opens_at), "%d %B %Y, %H:%M"
                    ),
                },
                ngettext(
                    "People will be asked its %(questions)s question.",
                    "People will be asked its %(questions)s questions.",
                    questions,
                )
                % {"questions": format(questions, ",")},
            ],
            button=_("Publish the event"),
            cancel_url=reverse("events:manage_event", args=[event.slug]),
            warning=False,
        ),
    )
    if page is not None:
        return page
    try:
        staff_services.event_publish(actor=request.user, event=event)
    except errors.EventError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(title)s is published.") % {"title": event.title})
    return redirect("events:manage_event", slug=event.slug)


@require_POST
@require_permission(MANAGE)
def cancel_event(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    form = CancelEventForm(request.POST)
    active = event.registrations.filter(status__in=Registration.ACTIVE)
    emailed = active.exclude(email="").count()
    confirmed = active.filter(status=Status.CONFIRMED).count()
    page = confirmation_page(
        request,
        None
        if not selectors.can_cancel(event) or not form.is_valid()
        else Confirmation(
            title=_("Cancel %(title)s?") % {"title": event.title},
            consequences=[
                _(
                    "This cancels all %(count)s registrations (%(confirmed)s "
                    "confirmed) and e-mails %(people)s that the event is "
                    "cancelled."
                )
                % {
                    "count": format(active.count(), ","),
                    "confirmed": format(confirmed, ","),
                    "people": _people(emailed),
                }
                if emailed
                else _("Nobody is registered, so nobody is e-mailed."),
                _("Registration closes for good, and the event is shown as cancelled."),
            ],
            button=_("Cancel the event"),
            cancel_url=reverse("events:manage_event", args=[event.slug]),
            cancel_text=_("No, keep the event"),
        ),
    )
    if page is not None:
        return page
    if not form.is_valid():
        messages.error(request, _("Shorten the reason for cancelling to 2,000 characters."))
        return redirect("events:manage_event", slug=event.slug)
    try:
        sent = staff_services.event_cancel(
            actor=request.user, event=event, note=form.cleaned_data["note"]
        )
    except errors.EventError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(title)s is cancelled; %(people)s e-mailed.")
            % {"title": event.title, "people": _people(sent)},
        )
    return redirect("events:manage_event", slug=event.slug)


# --- questions -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_permission("events.add_question")
def questions(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    return questions_page(
        request,
        questions=list(event.questions.all()),
        form_class=QuestionForm,
        create=partial(registrations_services.question_create, actor=request.user, event=event),
        error=errors.EventError,
        template="events/staff/questions.html",
        context={"event": event},
        back=reverse("events:questions", args=[event.slug]),
    )


@require_http_methods(["GET", "POST"])
@require_permission("events.change_question")
def question_edit(request: AuthedHttpRequest, slug: str, question_id: int) -> HttpResponse:
    event = _event(request, slug)
    question = get_object_or_404(event.questions, pk=question_id)
    return question_edit_page(
        request,
        question=question,
        form_class=QuestionForm,
        update=partial(staff_services.question_update, actor=request.user, question=question),
        error=errors.EventError,
        template="events/staff/question_form.html",
        context={"event": event, "question": question},
        back=reverse("events:questions", args=[event.slug]),
    )


@require_POST
@require_permission("events.change_question")
def question_delete(request: AuthedHttpRequest, slug: str, question_id: int) -> HttpResponse:
    event = _event(request, slug)
    question = get_object_or_404(event.questions, pk=question_id)
    return question_delete_page(
        request,
        question=question,
        delete=partial(staff_services.question_delete, actor=request.user, question=question),
        error=errors.EventError,
        back=reverse("events:questions", args=[event.slug]),
    )


# --- attendees -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_permission(ATTENDEES)
def attendee_add(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    form = AttendeeAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = staff_services.registration_add(
                actor=request.user,
                event=event,
                name=data["name"],
                email=data["email"],
                status=data["status"],
                notify=data["notify"],
            )
        except errors.AlreadyRegisteredError as exc:
            found = Registration.objects.get(pk=exc.registration_id)
            form.add_error(
                "email",
                _(
                    "This address is already registered "
                    "(%(status)s). Find it on the attendee list to "
                    "change its place."
                )
                % {"status": found.get_status_display()},
            )
        except errors.EventError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s was added: %(status)s.")
                % {"name": added.name, "status": added.get_status_display()},
            )
            return redirect("events:attendees", slug=event.slug)
    return render(request, "events/staff/attendee_add.html", {"event": event, "form": form})


@require_POST
@require_permission(ATTENDEES)
def attendee_move(request: AuthedHttpRequest, slug: str, registration_id: int) -> HttpResponse:
    event = _event(request, slug)
    found = selectors.registration_get_for_staff(event=event, registration_id=registration_id)
    try:
        moved = staff_services.registration_move(
            actor=request.user, registration=found, to=request.POST.get("to", "")
        )
    except errors.EventError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{moved.name}: {moved.get_status_display()}.")
    return redirect("events:attendees", slug=event.slug)


@require_POST
@require_permission(ATTENDEES)
def attendee_cancel(request: AuthedHttpRequest, slug: str, registration_id: int) -> HttpResponse:
    event = _event(request, slug)
    found = selectors.registration_get_for_staff(event=event, registration_id=registration_id)
    waiting = selectors.waiting_count(event)
    gives = found.status in Registration.HOLDING
    page = confirmation_page(
        request,
        None
        if found.status not in Registration.ACTIVE
        else Confirmation(
            title=_("Cancel %(name)s's registration?") % {"name": found.name},
            consequences=[
                _("%(name)s is e-mailed that their registration is cancelled.")
                % {"name": found.name}
                if found.email
                else _("%(name)s has no e-mail address, so nobody is told.") % {"name": found.name},
                (
                    _("Their place is offered to the 1 person on the waiting list.")
                    if waiting == 1
                    else _("Their place is offered to the first of the %(waiting)s people waiting.")
                    % {"waiting": format(waiting, ",")}
                    if waiting
                    else _("Their place becomes free: 1 place opens for someone else.")
                )
                if gives
                else _("They leave the waiting list."),
            ],
            button=_("Cancel the registration"),
            cancel_url=reverse("events:attendees", args=[event.slug]),
            cancel_text=_("No, keep it"),
        ),
    )
    if page is not None:
        return page
    try:
        registrations_services.registration_cancel(actor=request.user, registration=found)
    except errors.EventError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s's registration is cancelled.") % {"name": found.name})
    return redirect("events:attendees", slug=event.slug)


def _recipients(event: Event, choice: str, chosen: list[int]) -> list[Registration]:
    people = Registration.objects.filter(event=event, anonymised_at__isnull=True)
    if choice == "confirmed":
        people = people.filter(status=Status.CONFIRMED)
    elif choice == "waiting":
        people = people.filter(status=Status.WAITING, address_confirmed_at__isnull=False)
    elif choice == "not-checked-in":
        people = people.filter(status=Status.CONFIRMED, checked_in_at__isnull=True)
    elif choice == "checked-in":
        people = people.filter(status=Status.CONFIRMED, checked_in_at__isnull=False)
    elif choice == "chosen":
        people = people.filter(pk__in=chosen, status__in=Registration.ACTIVE)
    else:
        return []
    return list(people.exclude(email="").order_by("id"))


@require_http_methods(["GET", "POST"])
@require_permission(ATTENDEES)
def attendees_email(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    source = request.POST if request.method == "POST" else request.GET
    chosen = [int(v) for v in source.getlist("chosen") if v.isdigit()]
    sending = request.method == "POST" and "subject" in request.POST
    initial = {"recipients": "chosen" if chosen else "confirmed"}
    form = MessageForm(request.POST if sending else None, chosen=len(chosen), initial=initial)
    if sending and form.is_valid():
        people = _recipients(event, form.cleaned_data["recipients"], chosen)
        if not people:
            form.add_error("recipients", _("Nobody with an e-mail address is in this group."))
        else:
            page = confirmation_page(
                request,
                Confirmation(
                    title=_("E-mail %(people)s?") % {"people": _people(len(people))},
                    consequences=[
                        _("This sends “%(subject)s” to %(people)s registered for %(title)s.")
                        % {
                            "subject": form.cleaned_data["subject"],
                            "people": _people(len(people)),
                            "title": event.title,
                        }
                    ],
                    button=_("Send to %(people)s") % {"people": _people(len(people))},
                    cancel_url=reverse("events:attendees", args=[event.slug]),
                ),
            )
            if page is not None:
                return page
            try:
                sent = staff_services.attendees_message(
                    actor=request.user,
                    event=event,
                    registrations=people,
                    subject=form.cleaned_data["subject"],
                    text=form.cleaned_data["text"],
                )
            except errors.EventError as exc:
                add_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("Your message is on its way to %(people)s.") % {"people": _people(sent)},
                )
                return redirect("events:attendees", slug=event.slug)
    return render(
        request,
        "events/staff/attendees_email.html",
        {"event": event, "form": form, "chosen": chosen},
    )
