"""Multi-factor sign-in: required for administrators, editors and LA analysts, offered to all."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, UserFactory, user_with_role
from whatworks.core.middleware import LAST_SEEN_SESSION_KEY
from whatworks.core.models import AuditEntry, User
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db


def sign_in(client: Any, user: User) -> Any:
    """Sign in with the password, as a person does (no second factor yet)."""
    response = client.post(reverse("core:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def code_for(device: TOTPDevice, *, ahead: int = 0) -> str:
    """The code the app shows now (or ``ahead`` steps on, within the allowed drift)."""
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    generator.time = time.time() + ahead * device.step
    return f"{generator.token():06d}"


def secret_on(page: str) -> str:
    found = re.search(r'<code id="totp-secret" class="secret">([A-Z2-7 ]+)</code>', page)
    assert found, "the key is shown as text"
    return found.group(1)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR, Role.LA_ANALYST])
def test_these_roles_must_set_up_an_app_before_anything_else(client: Any, role: Role) -> None:
    user = user_with_role(role)
    sign_in(client, user)
    for path in ["/", "/admin/", reverse("core:audit_log"), "/pilots/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("core:mfa_setup")), path


def test_setting_up_an_app_with_the_qr_code_or_the_typed_key(client: Any) -> None:
    editor = user_with_role(Role.EDITOR)
    sign_in(client, editor)
    page = client.get(reverse("core:mfa_setup"), {"next": "/admin/"}).content.decode()
    assert "<svg" in page and "QR code for your authenticator app" in page
    secret = secret_on(page)
    device = TOTPDevice.objects.get(user=editor, confirmed=False)
    assert base64.b32decode(secret.replace(" ", "")) == device.bin_key
    wrong = client.post(reverse("core:mfa_setup"), {"token": "000000", "next": "/admin/"})
    assert "The code does not match" in wrong.content.decode()
    response = client.post(
        reverse("core:mfa_setup"), {"token": code_for(device), "next": "/admin/"}
    )
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", response.content.decode())
    assert len(codes) == 10
    assert client.get("/admin/").status_code == 200  # the session is verified
    entry = AuditEntry.objects.get(action="user.mfa_enrolled")
    assert entry.object_id == str(editor.pk)
    logged = json.dumps(list(AuditEntry.objects.values("changes", "object_repr")))
    assert device.key not in logged and secret.replace(" ", "") not in logged
    assert not any(code in logged for code in codes)


def test_signing_in_asks_for_the_code_and_refuses_a_wrong_one(client: Any) -> None:
    analyst = user_with_role(Role.LA_ANALYST)
    device = TOTPDevice.objects.create(user=analyst, name="app", confirmed=True)
    response = sign_in(client, analyst)
    page = client.get(response["Location"])
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("core:mfa_verify"))
    wrong = client.post(reverse("core:mfa_verify"), {"token": "123"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    assert client.get("/pilots/").status_code == 302
    device.refresh_from_db()
    device.throttle_reset()  # the wrong code made the next try wait
    right = client.post(reverse("core:mfa_verify"), {"token": code_for(device), "next": "/pilots/"})
    assert right.status_code == 302 and right["Location"] == "/pilots/"
    assert client.get("/pilots/").status_code == 200
    assert AuditEntry.objects.filter(action="user.mfa_failed").count() == 1
    assert AuditEntry.objects.filter(action="user.mfa_verified").count() == 1


def test_the_verify_page_does_not_redirect_off_site(client: Any) -> None:
    admin = user_with_role(Role.ADMIN)
    device = TOTPDevice.objects.create(user=admin, name="app", confirmed=True)
    sign_in(client, admin)
    response = client.post(
        reverse("core:mfa_verify"), {"token": code_for(device), "next": "https://evil.test/"}
    )
    assert response["Location"] == "/"


def test_a_recovery_code_works_once(client: Any) -> None:
    editor = user_with_role(Role.EDITOR)
    sign_in(client, editor)
    client.get(reverse("core:mfa_setup"))
    device = TOTPDevice.objects.get(user=editor)
    page = client.post(reverse("core:mfa_setup"), {"token": code_for(device)}).content.decode()
    code = re.findall(r"<li><code>([a-z2-7]+)</code></li>", page)[0]
    client.post(reverse("core:logout"))
    sign_in(client, editor)
    assert client.post(reverse("core:mfa_verify"), {"token": code.upper()}).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert not StaticToken.objects.filter(token=code).exists()
    client.post(reverse("core:logout"))
    sign_in(client, editor)
    again = client.post(reverse("core:mfa_verify"), {"token": code})
    assert "That code is not right" in again.content.decode()


def test_new_recovery_codes_replace_the_old(client_for: Any) -> None:
    client = client_for("editor")
    first = client.post(reverse("core:mfa_recovery_codes")).content.decode()
    second = client.post(reverse("core:mfa_recovery_codes")).content.decode()
    old = set(re.findall(r"<li><code>([a-z2-7]+)</code></li>", first))
    new = set(re.findall(r"<li><code>([a-z2-7]+)</code></li>", second))
    assert len(new) == 10 and not old & new
    assert set(StaticToken.objects.values_list("token", flat=True)) == new


def test_anyone_may_opt_in_and_then_sign_in_needs_the_code(client: Any) -> None:
    person = UserFactory.create()
    sign_in(client, person)
    assert client.get("/").status_code == 200  # not required by role
    overview = client.get(reverse("core:mfa")).content.decode()
    assert "Set up an authenticator app" in overview
    client.get(reverse("core:mfa_setup"))
    device = TOTPDevice.objects.get(user=person)
    client.post(reverse("core:mfa_setup"), {"token": code_for(device)})
    client.post(reverse("core:logout"))
    sign_in(client, person)
    assert client.get("/").status_code == 302  # now the code is asked for
    device.refresh_from_db()
    client.post(reverse("core:mfa_verify"), {"token": code_for(device, ahead=1)})
    assert client.get("/").status_code == 200
    response = client.post(reverse("core:mfa_turn_off"))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=person).exists()


def test_a_role_that_needs_the_second_step_cannot_turn_it_off(client_for: Any) -> None:
    client = client_for("editor")
    response = client.post(reverse("core:mfa_turn_off"), follow=True)
    assert "cannot be turned off" in response.content.decode()
    assert TOTPDevice.objects.filter(confirmed=True).exists()


def test_the_admin_login_page_does_not_skip_the_second_factor(client: Any) -> None:
    admin = user_with_role(Role.ADMIN)
    TOTPDevice.objects.create(user=admin, name="app", confirmed=True)
    client.post("/admin/login/", {"username": admin.email, "password": PASSWORD})
    response = client.get("/admin/core/user/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:mfa_verify"))


def test_an_idle_session_is_signed_out(client_for: Any, settings: Any) -> None:
    client = client_for("researcher")
    assert client.get(reverse("core:mfa")).status_code == 200
    session = client.session
    idle = settings.WHATWORKS_SESSION_IDLE_MINUTES * 60
    session[LAST_SEEN_SESSION_KEY] = session[LAST_SEEN_SESSION_KEY] - idle - 5
    session.save()
    response = client.get(reverse("core:mfa"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))
    assert "_auth_user_id" not in client.session


def test_an_active_session_is_kept(client_for: Any, settings: Any) -> None:
    client = client_for("researcher")
    client.get(reverse("core:mfa"))
    session = client.session
    idle = settings.WHATWORKS_SESSION_IDLE_MINUTES * 60
    session[LAST_SEEN_SESSION_KEY] = session[LAST_SEEN_SESSION_KEY] - idle + 60
    session.save()
    assert client.get(reverse("core:mfa")).status_code == 200


def test_the_demo_accounts_sign_in_with_the_printed_key(client: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    from whatworks.core.demo import DEMO_TOTP_SECRET, demo_load_core

    demo_load_core(password=PASSWORD)
    admin = User.objects.get(email="admin@demo.test")
    device = TOTPDevice.objects.get(user=admin, confirmed=True)
    assert base64.b32decode(DEMO_TOTP_SECRET.replace(" ", "")) == device.bin_key
    assert not TOTPDevice.objects.filter(user__email="researcher@demo.test").exists()
    out = StringIO()
    call_command("demo_code", stdout=out)
    code = out.getvalue().split()[0]
    sign_in(client, admin)
    assert client.post(reverse("core:mfa_verify"), {"token": code}).status_code == 302
    assert client.get("/admin/").status_code == 200
    demo_load_core(password=PASSWORD)  # again: the same device, nothing duplicated
    assert TOTPDevice.objects.filter(user=admin).count() == 1
