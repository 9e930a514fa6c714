"""The second factor's audited writes: setting up an authenticator app, replacing the
recovery codes, turning it off, verifying a code, and seeding a device for the demo and
the tests.  Who must use it, and the pages' reads, are in :mod:`whatworks.core.mfa`."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp import verify_token as otp_verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import MfaError
from whatworks.core.mfa import (
    APP_DEVICE_NAME,
    RECOVERY_CODE_COUNT,
    RECOVERY_DEVICE_NAME,
    has_app,
    mfa_required_by_role,
)
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record


@transaction.atomic
def app_setup_start(*, actor: User) -> TOTPDevice:
    """The app device being set up: a new secret, kept unconfirmed until a code matches."""
    pending = TOTPDevice.objects.filter(user=actor, confirmed=False).order_by("-id").first()
    if pending is not None:
        return pending
    device = TOTPDevice.objects.create(user=actor, name=APP_DEVICE_NAME, confirmed=False)
    audit_record(actor=actor, action=AuditAction.USER_MFA_SETUP_STARTED, target=actor)
    return device


@transaction.atomic
def app_setup_confirm(
    *, actor: User, device: TOTPDevice, token: str, request: HttpRequest
) -> list[str]:
    """Confirm the app with a code it shows; replace any older app; new recovery codes.

    The session counts as verified from here on.  Returns the recovery codes, shown once.
    """
    if device.user_id != actor.pk or device.confirmed:
        raise MfaError(gettext("Start setting up your app again: this set-up has expired."))
    if not device.verify_token(_digits(token)):
        raise MfaError(
            gettext(
                "The code does not match: enter the 6-digit code your app "
                "shows now for %(site_name)s (check the phone's clock is set "
                "automatically)."
            )
            % {"site_name": settings.WHATWORKS_SITE_NAME}
        )
    replaced = TOTPDevice.objects.filter(user=actor, confirmed=True).exclude(pk=device.pk)
    replaced_count = replaced.count()
    replaced.delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _recovery_codes_make(actor)
    audit_record(
        actor=actor,
        action=AuditAction.USER_MFA_ENROLLED,
        target=actor,
        changes={"apps_replaced": replaced_count, "recovery_codes": len(codes)},
    )
    otp_login(request, device)
    return codes


@transaction.atomic
def recovery_codes_replace(*, actor: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    if not has_app(actor):
        raise MfaError(gettext("Set up an authenticator app first; recovery codes come with it."))
    codes = _recovery_codes_make(actor)
    audit_record(
        actor=actor,
        action=AuditAction.USER_MFA_RECOVERY_CODES_REPLACED,
        target=actor,
        changes={"recovery_codes": len(codes)},
    )
    return codes


def _recovery_codes_make(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def mfa_turn_off(*, actor: User) -> None:
    """Remove the app and recovery codes: only for people whose role does not require them."""
    if mfa_required_by_role(actor):
        raise MfaError(
            gettext(
                "Your role needs a second factor, so it cannot be turned "
                "off: set up a new app instead if you have changed phones."
            )
        )
    removed = TOTPDevice.objects.filter(user=actor).delete()[0]
    removed += StaticDevice.objects.filter(user=actor).delete()[0]
    audit_record(actor=actor, action=AuditAction.USER_MFA_TURNED_OFF, target=actor)


def mfa_verify(*, actor: User, token: str, request: HttpRequest) -> None:
    """Check a code from the app, or a recovery code (used up); mark the session verified.

    django-otp slows repeated failures per device (each failure doubles the wait).
    """
    token = (token or "").strip().replace(" ", "").replace("-", "").lower()
    if not token:
        raise MfaError(
            gettext("Enter the 6-digit code from your app, or one of your recovery codes.")
        )
    with transaction.atomic():
        for device in devices_for_user(actor, confirmed=True):
            candidate = _digits(token) if isinstance(device, TOTPDevice) else token
            if otp_verify_token(actor, device.persistent_id, candidate):
                recovery = isinstance(device, StaticDevice)
                changes: dict[str, Any] = {"factor": "recovery code" if recovery else "app"}
                if recovery:
                    changes["recovery_codes_left"] = device.token_set.count()
                audit_record(
                    actor=actor, action=AuditAction.USER_MFA_VERIFIED, target=actor, changes=changes
                )
                otp_login(request, device)
                return
    audit_record(actor=actor, action=AuditAction.USER_MFA_FAILED, target=actor)
    raise MfaError(
        gettext(
            "That code is not right: enter the 6-digit code your app "
            "shows now, or an unused recovery code. After several wrong "
            "codes, wait a little before trying again."
        )
    )


def _digits(token: str) -> str:
    return "".join(ch for ch in token if not ch.isspace())


@transaction.atomic
def app_seed(*, actor: User | None, user: User, secret_base32: str) -> TOTPDevice:
    """Give ``user`` a confirmed app with a known secret (the demo accounts only)."""
    try:
        key = base64.b32decode(secret_base32.replace(" ", "").upper()).hex()
    except binascii.Error:
        raise MfaError(
            gettext("%(secret_base32)s is not a base32 secret.")
            % {"secret_base32": repr(secret_base32)}
        ) from None
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None and device.key == key:
        return device
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, key=key, confirmed=True)
    audit_record(actor=actor, action=AuditAction.USER_MFA_SEEDED, target=user)
    return device
