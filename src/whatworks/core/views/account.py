"""Sign in and out and password reset: Django's views with our templates and URL names."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse_lazy

from whatworks.core.services.users import user_set_password
from whatworks.core.throttle import Rate, throttle_mail


class ResetSetPasswordForm(auth_forms.SetPasswordForm):
    """Django's form; the new password is stored by the audited service."""

    def save(self, commit: bool = True) -> Any:
        return user_set_password(
            actor=self.user,
            user=self.user,
            password=self.cleaned_data["new_password1"],
            via="reset link",
        )


#: Password-reset e-mails per client address and per typed address (scopes
#: "password_reset.address" and "password_reset.email").
RESET_CLIENT_RATE = Rate(limit=10, per=3600)
RESET_EMAIL_RATE = Rate(limit=3, per=3600)


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's reset, limited per client (429) and per address (over it: the same "sent"
    page and no e-mail, so the answer says nothing about the address)."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        request: HttpRequest = self.request
        send = throttle_mail(
            request,
            scope="password_reset",
            email=form.cleaned_data["email"],
            client_rate=RESET_CLIENT_RATE,
            email_rate=RESET_EMAIL_RATE,
        )
        if not send:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


sign_in = auth_views.LoginView.as_view(
    template_name="registration/sign_in.html", redirect_authenticated_user=True
)
sign_out = auth_views.LogoutView.as_view()
password_reset = ThrottledPasswordResetView.as_view(
    template_name="registration/password_reset_form.html",
    email_template_name="registration/password_reset_email.txt",
    subject_template_name="registration/password_reset_subject.txt",
    success_url=reverse_lazy("core:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="registration/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="registration/password_reset_confirm.html",
    form_class=ResetSetPasswordForm,
    success_url=reverse_lazy("core:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html"
)
