"""Joining, confirming, the member's own page, profile, data download and leaving."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.core.confirm import Confirmation, confirmation_page
from whatworks.core.errors import LinkInvalidError, add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.models import User
from whatworks.core.throttle import Rate, throttle_mail
from whatworks.panel import consent, selectors
from whatworks.panel.errors import PanelError
from whatworks.panel.forms import JoinForm, LeaveForm, ProfileForm, RecontactForm
from whatworks.panel.models import PROFILE_FIELDS, ConsentRecord, PanelMember
from whatworks.panel.services import invitations as invitations_services
from whatworks.panel.services import members


def _leave_confirmation(member: PanelMember, level: str) -> Confirmation:
    answers = member.responses.count()
    consequence = {
        "leave": _("You will get no more invitations. Your %(n)s responses stay in the results."),
        "anonymise": _(
            "This deletes your name, e-mail address and profile. Your %(n)s responses stay in "
            "the results with nothing that links them to you."
        ),
        "erase": _("This deletes your name, e-mail address, profile and all %(n)s responses."),
    }[level]
    consequences = [consequence % {"n": f"{answers:,}"}]
    if level != "leave":
        fate = members.account_fate(member)
        if fate == "anonymised":
            consequences.append(
                _("Your site account goes too: its e-mail address and name are removed, you "
                  "are signed out, and you cannot sign in with it again.")
            )  # fmt: skip
        elif fate == "kept":
            consequences.append(
                _("Your site account stays, because you also use it for other work on the "
                  "site; only its panel membership goes. You will be signed out.")
            )  # fmt: skip
    return Confirmation(
        title=_("Leave the panel?") if level == "leave" else _("Erase your data?"),
        consequences=consequences,
        button=_("Yes, leave the panel") if level == "leave" else _("Yes, erase my data"),
        cancel_url=reverse("panel:me"),
    )


#: Sign-ups per client address and per typed address (scopes "panel.join.address" and
#: "panel.join.email"); over the address limit: the same answer and no e-mail.
JOIN_CLIENT_RATE = Rate(limit=10, per=3600)
JOIN_EMAIL_RATE = Rate(limit=3, per=3600)


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    initial = {"email": request.user.email} if request.user.is_authenticated else {}
    form = JoinForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        send = throttle_mail(
            request,
            scope="panel.join",
            email=data["email"],
            client_rate=JOIN_CLIENT_RATE,
            email_rate=JOIN_EMAIL_RATE,
        )
        if not send:
            return redirect("panel:join_sent")
        try:
            members.member_join(
                actor=request.user if request.user.is_authenticated else None,
                email=data["email"],
                profile={name: data[name] for name in (*PROFILE_FIELDS, "site")},
                membership_consent=data["membership"],
                recontact=data["recontact"],
                studies=tuple(data["studies"]),
            )
        except PanelError as error:
            add_to_form(form, error)
        else:
            return redirect("panel:join_sent")
    return render(request, "panel/join.html", {"form": form, "consent": consent.current()})


@require_GET
def join_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "panel/join_sent.html")


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links); POST confirms and signs in."""
    if request.method == "POST":
        try:
            member = members.member_confirm(token=token)
        except PanelError as error:
            return render(request, "panel/confirm.html", {"error": error.message}, status=400)
        assert member.user is not None
        login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, _("Welcome to the panel. You can set a password from the sign-in page.")
        )
        return redirect("panel:me")
    return render(request, "panel/confirm.html", {"token": token})


@require_GET
@login_required
def me(request: AuthedHttpRequest) -> HttpResponse:
    user: User = request.user
    member = selectors.member_for_user(user=user)
    context: dict[str, Any] = {"member": member}
    if member is not None:
        context |= {
            "invitations": selectors.member_invitations(member=member),
            "consents": member.consents.select_related("study").order_by("-recorded_at")[:20],
            "recontact_form": RecontactForm(initial={"recontact": member.recontact}),
            "studies": selectors.study_choices(member=member),
            "study_text": consent.current().study,
        }
    return render(request, "panel/me.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: AuthedHttpRequest) -> HttpResponse:
    user: User = request.user
    member = selectors.member_get_for_user(user=user)
    form = ProfileForm(request.POST or None, initial={**member.profile(), "site": member.site})
    if request.method == "POST" and form.is_valid():
        try:
            members.member_update_profile(actor=user, member=member, profile=form.cleaned_data)
        except PanelError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("panel:me")
    return render(request, "panel/profile.html", {"form": form})


@require_POST
@login_required
def recontact(request: AuthedHttpRequest) -> HttpResponse:
    user: User = request.user
    member = selectors.member_get_for_user(user=user)
    form = RecontactForm(request.POST)
    form.is_valid()
    members.member_set_consent(
        actor=user,
        member=member,
        purpose=ConsentRecord.Purpose.RECONTACT,
        granted=bool(form.cleaned_data.get("recontact")),
    )
    messages.success(request, _("Your choice is recorded."))
    return redirect("panel:me")


@require_POST
@login_required
def study_consent(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    user: User = request.user
    member = selectors.member_get_for_user(user=user)
    study = selectors.study_get_public(slug=slug)
    members.member_set_consent(
        actor=user,
        member=member,
        purpose=ConsentRecord.Purpose.STUDY,
        granted=request.POST.get("granted") == "yes",
        study=study,
    )
    messages.success(request, _("Your choice is recorded."))
    return redirect("panel:me")


@require_GET
@login_required
def export(request: AuthedHttpRequest) -> HttpResponse:
    user: User = request.user
    member = selectors.member_get_for_user(user=user)
    data = members.member_export(member=member)
    members.member_data_export_access_record(actor=user, member=member, sections=len(data))
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="whatworks-panel-my-data.json"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def leave(request: AuthedHttpRequest) -> HttpResponse:
    user: User = request.user
    member = selectors.member_get_for_user(user=user)
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        level = form.cleaned_data["level"]
        page = confirmation_page(request, _leave_confirmation(member, level))
        if page is not None:
            return page
        erase = {
            "leave": members.member_leave,
            "anonymise": members.member_anonymise,
            "erase": members.member_erase,
        }[level]
        erase(actor=user, member=member)
        if level != "leave":
            logout(request)  # the account's identity is gone: end this session too
        messages.success(request, _("Done. Thank you for taking part in the panel."))
        return redirect("panel:index")
    return render(request, "panel/leave.html", {"form": form})


@require_http_methods(["GET", "POST"])
def leave_link(request: HttpRequest, token: str) -> HttpResponse:
    """The "leave the panel" link of every invitation: no sign-in needed, one step (and
    its confirmation); it only leaves (answers stay; erasure is on the member's page)."""
    member = invitations_services.member_for_leave_token(token)
    if member is None:
        raise LinkInvalidError(
            advice=_("The link may have been cut short. Members can leave from their panel page."),
            steps=(("panel:me", "Go to your panel page (sign in first)"),),
        )
    if member.status == PanelMember.Status.LEFT:
        return render(request, "panel/leave_link.html", {"left": True})
    if request.method == "POST":
        page = confirmation_page(
            request,
            Confirmation(
                title=_("Leave the panel?"),
                consequences=[
                    _("You will get no more invitations. Your %(n)s responses stay in the "
                      "results; to remove them too, sign in and use your panel page.")
                    % {"n": f"{member.responses.count():,}"}
                ],
                button=_("Yes, leave the panel"),
                cancel_url=reverse("panel:index"),
            ),
        )  # fmt: skip
        if page is not None:
            return page
        members.member_leave(actor=None, member=member)
        return redirect(request.path)
    return render(request, "panel/leave_link.html", {"left": False})
