"""Second-factor pages: set up an app, verify at sign-in, recovery codes, turn it off."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from whatworks.core import mfa
from whatworks.core.errors import MfaError, add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.core.services import mfa as mfa_services


class CodeForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=32,
        strip=True,
        error_messages={"required": _("Enter the code: 6 digits from your app.")},
        widget=forms.TextInput(
            attrs={
                "class": "input",
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "spellcheck": "false",
                "autocapitalize": "off",
            }
        ),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
@require_http_methods(["GET"])
def overview(request: AuthedHttpRequest) -> HttpResponse:
    return render(
        request,
        "core/mfa/overview.html",
        {
            "has_app": mfa.has_app(request.user),
            "required": mfa.mfa_required_by_role(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def setup(request: AuthedHttpRequest) -> HttpResponse:
    device = mfa_services.app_setup_start(actor=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa_services.app_setup_confirm(
                actor=request.user,
                device=device,
                token=form.cleaned_data["token"],
                request=request,
            )
        except MfaError as error:
            add_to_form(form, error, field="token")
        else:
            return render(
                request,
                "core/mfa/recovery_codes.html",
                {"codes": codes, "next": _next(request), "first_time": True},
            )
    return render(
        request,
        "core/mfa/setup.html",
        {
            "form": form,
            "qr": mfa.qr_svg(device),
            "secret": mfa.secret_text(device),
            "next": _next(request),
            "required": mfa.mfa_required_by_role(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: AuthedHttpRequest) -> HttpResponse:
    if not mfa.has_app(request.user):
        return redirect("core:mfa_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mfa_services.mfa_verify(
                actor=request.user,
                token=form.cleaned_data["token"],
                request=request,
            )
        except MfaError as error:
            add_to_form(form, error, field="token")
        else:
            return redirect(_next(request))
    return render(request, "core/mfa/verify.html", {"form": form, "next": _next(request)})


@login_required
@require_POST
def recovery_codes(request: AuthedHttpRequest) -> HttpResponse:
    try:
        codes = mfa_services.recovery_codes_replace(actor=request.user)
    except MfaError as error:
        messages.error(request, error.message)
        return redirect("core:mfa")
    return render(
        request, "core/mfa/recovery_codes.html", {"codes": codes, "next": "", "first_time": False}
    )


@login_required
@require_POST
def turn_off(request: AuthedHttpRequest) -> HttpResponse:
    try:
        mfa_services.mfa_turn_off(actor=request.user)
    except MfaError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("Sign-in now asks for your password only."))
    return redirect("core:mfa")
