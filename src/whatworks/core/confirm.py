"""A confirmation step before every irreversible action: one list, one page, one helper.

Every URL whose POST does something that cannot be undone — e-mails people, publishes,
closes, erases — is listed in :data:`CONFIRMED_ACTIONS`.  Its view calls
:func:`confirmation_page` first::

    page = confirmation_page(request, Confirmation(
        title=_("Close the poll?"),
        consequences=[_("This publishes the results of 312 answers at once.")],
        button=_("Close the poll and publish the results"),
        cancel_url=poll_url,
    ))
    if page is not None:
        return page
    services.poll_close(...)

The first POST (from the ordinary page's button) gets the confirmation page, which names
the consequence in numbers and posts the same fields again with a signed token; only that
second POST goes on.  A view may pass ``None`` instead of a ``Confirmation`` when the
posted action is a reversible one (opening a poll) — then nothing is asked.

The list is the one place to add a new irreversible action: :func:`confirmation_page`
refuses a view that is not on it, and ``tests/core/test_confirm.py`` needs a case for every
entry that shows its form works only through the confirmation page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

#: URL name -> what a POST there does that cannot be undone.
CONFIRMED_ACTIONS: dict[str, str] = {
    "panel:poll_status": "closes a poll, which publishes its results",
    "panel:invite": "e-mails invitations to panel members",
    "panel:leave": "takes a member off the panel, or erases their data",
    "panel:leave_link": "takes a member off the panel from the link in an invitation",
    "panel:remind": "e-mails reminders to panel members who have not answered",
    "panel:results_publish": "publishes results whose weighting did not converge",
    "forum:close": "closes a conversation for good: no more votes or statements",
    "calls:decide": "shortlists, accepts or declines an application, e-mailing the applicant",
    "calls:join_decide": "adds a person to an organisation (or refuses), e-mailing them",
    "calls:withdraw": "withdraws an application for good: it is not reviewed or decided",
    "calls:decide_bulk": "shortlists, accepts or declines several applications, e-mailing them",
    "news:issue_send": "sends the newsletter to every subscriber",
    "news:manage_erase": "erases a subscriber's e-mail address and everything about it",
    "news:issue_schedule": "schedules the newsletter to e-mail its subscribers by itself",
    "events:cancel": "cancels a registration, giving the place away",
    "events:publish": "publishes an event: it is listed and open for registration",
    "events:cancel_event": "cancels an event for good, e-mailing everyone registered",
    "events:attendee_cancel": "cancels someone's registration for them, giving the place away",
    "events:attendees_email": "e-mails a message to an event's attendees",
    "events:feedback_send": "e-mails the feedback survey to those checked in at an event",
    "pilots:dataset_delete": "deletes a pilot dataset's tables before their retention date",
    "registry:trial_dataset_delete": "deletes a trial's kept data before their deletion date",
}

#: The name of the hidden field that carries the confirmation.
CONFIRM_FIELD = "confirmed"
_SALT = "whatworks.core.confirm"
_SKIPPED = {CONFIRM_FIELD, "csrfmiddlewaretoken"}


#: The cancel link's words, unless a confirmation gives its own.
_GO_BACK = gettext_lazy("No, go back")


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page says: the question, the consequences in numbers, the button."""

    title: str | Promise
    consequences: Sequence[str | Promise]
    button: str | Promise
    cancel_url: str
    cancel_text: str | Promise = _GO_BACK
    warning: bool = True
    details: Sequence[tuple[str | Promise, str | Promise]] = field(default_factory=tuple)


def _view_name(request: HttpRequest) -> str:
    match = request.resolver_match
    name = match.view_name if match is not None else ""
    if name not in CONFIRMED_ACTIONS:
        raise ImproperlyConfigured(
            f"{name or request.path} asks for confirmation but is not in "
            "whatworks.core.confirm.CONFIRMED_ACTIONS: add it there (and a case to "
            "tests/core/test_confirm.py)."
        )
    return name


def confirmation_token(request: HttpRequest) -> str:
    return signing.Signer(salt=_SALT).sign(f"{_view_name(request)}|{request.path}")


def is_confirmed(request: HttpRequest) -> bool:
    """Whether this POST came from the confirmation page of this very URL."""
    value = request.POST.get(CONFIRM_FIELD, "")
    try:
        signed = signing.Signer(salt=_SALT).unsign(value)
    except signing.BadSignature:
        return False
    return signed == f"{_view_name(request)}|{request.path}"


def confirmation_page(
    request: HttpRequest, confirmation: Confirmation | None, *, status: int = 200
) -> HttpResponse | None:
    """None when the request may go on; otherwise the page that asks to confirm."""
    _view_name(request)
    if confirmation is None or is_confirmed(request):
        return None
    carried = [
        (name, value)
        for name in request.POST
        if name not in _SKIPPED
        for value in request.POST.getlist(name)
    ]
    return TemplateResponse(
        request,
        "core/confirm.html",
        {
            "confirmation": confirmation,
            "carried": carried,
            "token_field": CONFIRM_FIELD,
            "token": confirmation_token(request),
            "action": request.path,
        },
        status=status,
    )
