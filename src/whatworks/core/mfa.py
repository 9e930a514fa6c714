"""Multi-factor sign-in: a code from an authenticator app (TOTP), or a recovery code.

django-otp keeps the devices (``TOTPDevice``; a ``StaticDevice`` whose tokens are the
recovery codes) and marks a session verified (``django_otp.login``).  Here: who must use
it and what the pages read; the audited writes are in :mod:`whatworks.core.services.mfa`.
``MfaRequiredMiddleware`` sends anyone who must verify, or who has chosen to, to the
verify page (or to set-up, if they have no app yet) before anything else, the admin site
included.

Required for administrators, editors and local authority analysts (and anyone with
admin access); offered to everyone else, for whom it is required once they set it up.
"""

from __future__ import annotations

import base64
from io import BytesIO

import segno
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from whatworks.core.models import User
from whatworks.core.roles import Role

#: Roles whose members must sign in with a second factor.
MFA_ROLES = frozenset({Role.ADMIN, Role.EDITOR, Role.LA_ANALYST})
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10


def mfa_required_by_role(user: User) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    names = {role.value for role in MFA_ROLES}
    return user.groups.filter(name__in=names).exists()


def has_app(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def mfa_required(user: User) -> bool:
    """Must this person give a second factor?  By role, or because they set one up."""
    return mfa_required_by_role(user) or has_app(user)


def is_verified(request: HttpRequest) -> bool:
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


def secret_text(device: TOTPDevice) -> str:
    """The key as people type it into an app: base32, in groups of four."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The app set-up link as an SVG QR code (no script, no style: fine under the CSP)."""
    out = BytesIO()
    segno.make(device.config_url, error="m").save(
        out,
        kind="svg",
        scale=5,
        border=4,
        dark="#0b0c0c",
        light="#ffffff",
        xmldecl=False,
        svgns=True,
        title="QR code for your authenticator app",
        nl=False,
    )
    return out.getvalue().decode()
