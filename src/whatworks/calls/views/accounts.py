"""Applicants' own accounts: create one, ask to join an organisation, and (for its members
and administrators) approve or refuse those requests."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.calls import errors, selectors
from whatworks.calls.forms import AccountPasswordForm, JoinDecisionForm, JoinForm, RegisterForm
from whatworks.calls.models import JoinRequest
from whatworks.calls.services import accounts as accounts_services
from whatworks.core.confirm import Confirmation, confirmation_page
from whatworks.core.errors import PermissionDeniedError, add_to_form, add_to_messages
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.throttle import Rate, throttle_mail

#: Account requests per client address and per typed address (scopes
#: "calls.account.address" and "calls.account.email"); over the address limit: the same
#: answer and no e-mail.
ACCOUNT_CLIENT_RATE = Rate(limit=10, per=3600)
ACCOUNT_EMAIL_RATE = Rate(limit=3, per=3600)


@require_http_methods(["GET", "POST"])
def account_new(request: HttpRequest) -> HttpResponse:
    """Ask for an account: the answer is "check your e-mail" whether or not the address
    has one (the e-mail says which)."""
    if request.user.is_authenticated:
        return redirect("calls:join")
    form = RegisterForm(request.POST or None)
    form.fields["organisation"].required = False
    form.fields["organisation"].help_text = _(
        "If it is listed: someone who already belongs to it, or an administrator, confirms "
        "that you do. If it is not, leave this empty and write to us."
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        send = throttle_mail(
            request,
            scope="calls.account",
            email=data["email"],
            client_rate=ACCOUNT_CLIENT_RATE,
            email_rate=ACCOUNT_EMAIL_RATE,
        )
        if send:
            accounts_services.applicant_register_start(
                full_name=data["full_name"],
                email=data["email"],
                organisation=data["organisation"],
            )
        return redirect("calls:account_sent")
    return render(request, "calls/account_new.html", {"form": form})


@require_GET
def account_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "calls/account_sent.html")


@require_http_methods(["GET", "POST"])
def account_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link: choose a password, and the account is made and signed in."""
    pending = accounts_services.pending_account(token)
    form = AccountPasswordForm(
        request.POST or None, full_name=pending.full_name, email=pending.email
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts_services.applicant_register(
                full_name=pending.full_name,
                email=pending.email,
                password=form.cleaned_data["password"],
                organisation=pending.organisation,
            )
        except errors.JoinError as exc:
            add_to_form(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Your account is made. We will e-mail you when %(org)s confirms you.")
                % {"org": pending.organisation}
                if pending.organisation
                else _("Your account is made."),
            )
            return redirect("calls:join")
    return render(request, "calls/account_confirm.html", {"form": form, "pending": pending})


@login_required
@require_http_methods(["GET", "POST"])
def join(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    pending = JoinRequest.objects.filter(user=user, decided_at__isnull=True).first()
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts_services.join_request_create(
                actor=user, organisation=form.cleaned_data["organisation"]
            )
        except errors.JoinError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Your request is sent. We will e-mail you the answer."))
            return redirect("calls:join")
    return render(
        request,
        "calls/join.html",
        {"form": form, "pending": pending, "organisation": user.organisation},
    )


@login_required
@require_GET
def join_requests(request: AuthedHttpRequest) -> HttpResponse:
    return render(
        request,
        "calls/join_requests.html",
        {"requests": selectors.join_requests_for(user=request.user)},
    )


@require_POST
@login_required
def join_decide(request: AuthedHttpRequest, request_id: int) -> HttpResponse:
    user = request.user
    found = selectors.join_request_get_for_user(user=user, request_id=request_id)
    form = JoinDecisionForm(request.POST)
    back = reverse("calls:join_requests")
    if not form.is_valid():
        messages.error(request, _("Choose approve or refuse."))
        return redirect(back)
    approve = form.cleaned_data["decision"] == "approve"
    who, org = found.user.get_full_name(), found.organisation.name
    page = confirmation_page(
        request,
        Confirmation(
            title=(_("Approve %(who)s for %(org)s?") if approve else _("Refuse %(who)s?"))
            % {"who": who, "org": org},
            consequences=[
                (
                    _(
                        "%(who)s (%(email)s) can then apply to calls for partners on behalf of "
                        "%(org)s, and sees this page for its next requests."
                    )
                    if approve
                    else _("%(who)s (%(email)s) is told the request was not approved.")
                )
                % {"who": who, "email": found.user.email, "org": org},
                _("This e-mails 1 person, %(email)s.") % {"email": found.user.email},
            ],
            button=_("Approve and e-mail them") if approve else _("Refuse and e-mail them"),
            cancel_url=back,
            warning=not approve,
        ),
    )
    if page is not None:
        return page
    try:
        accounts_services.join_request_decide(actor=user, request=found, approve=approve)
    except (PermissionDeniedError, errors.JoinError) as exc:
        add_to_messages(request, exc)
    else:
        messages.success(
            request,
            _("%(who)s now belongs to %(org)s.") % {"who": who, "org": org}
            if approve
            else _("The request is refused."),
        )
    return redirect(back)
