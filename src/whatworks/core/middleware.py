from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import loader
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from whatworks.core.errors import Throttled

#: URL arguments that carry a secret: a page reached through one is private to its holder.
TOKEN_URL_KWARGS = frozenset({"token", "uidb64"})


class PermissionsPolicyMiddleware:
    """Add the Permissions-Policy header: the platform needs no camera, microphone etc."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def is_private_request(request: HttpRequest) -> bool:
    """Signed in, or reached through a secret link: nothing of it may be kept by a cache."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    match = request.resolver_match
    return bool(match and TOKEN_URL_KWARGS & match.kwargs.keys())


class PrivateCacheMiddleware:
    """``Cache-Control: no-store`` on every page for a signed-in person or a token link.

    Browsers and proxies then keep no copy of pilots, reports, downloads, applications,
    attendee lists or member data (the back button on a shared computer shows nothing).
    Pages for visitors keep what their views say; a view may still declare a response
    ``public`` (the same for everyone, e.g. a published image), which is left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_private_request(request):
            return response
        if "public" in response.headers.get("Cache-Control", ""):
            return response
        response.headers["Cache-Control"] = "no-store, private"
        response.headers.pop("Expires", None)
        return response


#: Pages a person who still has to give a second factor may reach.
MFA_EXEMPT_URL_NAMES = frozenset(
    {"core:mfa_setup", "core:mfa_verify", "core:logout", "core:healthz", "admin:logout"}
)


class MfaRequiredMiddleware:
    """Send anyone who must give a second factor, and has not yet, to do that first.

    Runs after django-otp's ``OTPMiddleware``.  Covers every page, the admin site
    included; only signing out, the two second-factor pages and ``/healthz`` stay open.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: object, view_args: object, view_kwargs: object
    ) -> HttpResponse | None:
        from whatworks.core import mfa

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or mfa.is_verified(request):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in MFA_EXEMPT_URL_NAMES:
            return None
        if not mfa.mfa_required(user):
            return None
        target = "core:mfa_verify" if mfa.has_app(user) else "core:mfa_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


#: Session key of the time of a signed-in person's last request (seconds since the epoch).
LAST_SEEN_SESSION_KEY = "whatworks_last_seen"


class SessionIdleTimeoutMiddleware:
    """Sign a person out after ``WHATWORKS_SESSION_IDLE_MINUTES`` without a request.

    The session's absolute lifetime stays ``SESSION_COOKIE_AGE``.  The time of the last
    request is written at most once a minute, so an active session costs no extra writes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            idle = settings.WHATWORKS_SESSION_IDLE_MINUTES * 60
            last = request.session.get(LAST_SEEN_SESSION_KEY)
            if isinstance(last, int | float) and now - last > idle:
                logout(request)
                messages.info(
                    request,
                    _(
                        "You were signed out after %(session_idle_minutes)s minutes "
                        "without activity. Sign in again to carry on."
                    )
                    % {
                        "session_idle_minutes": format(settings.WHATWORKS_SESSION_IDLE_MINUTES, "g")
                    },
                )
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('core:login')}?{query}")
            if not isinstance(last, int | float) or now - last > 60:
                request.session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)


class ThrottleMiddleware:
    """Answer a :class:`~whatworks.core.errors.Throttled` that a view lets through with the
    429 page and ``Retry-After`` (``core.throttle``): the one place that shows a refusal
    for coming too often, so views call the throttle and catch nothing.  Any other
    exception goes on to Django's own handling."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, Throttled):
            return None
        page = loader.get_template("core/errors/429.html")
        response = HttpResponse(page.render({"message": exception.message}, request), status=429)
        response["Retry-After"] = str(exception.retry_after)
        return response
