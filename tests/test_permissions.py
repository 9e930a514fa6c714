"""The permission matrix: every URL pattern, every role, the answer each gets.

Adding a URL without adding it here fails ``test_every_url_is_in_the_matrix``, so each new
page is checked for every role.  Codes: 200, 302 (to sign-in: "login"), 403, 404, 405.
Objects that belong to nobody (random ids) must give 404 to everyone who may not know
they exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import ROLES

LOGIN = "login"
ADMIN_ROLES = {"admin"}
STAFF_ROLES = {"admin", "editor"}


def everyone(code: int | str) -> dict[str, int | str]:
    return dict.fromkeys(ROLES, code)


def signed_in(code: int | str, *, visitor: int | str = LOGIN) -> dict[str, int | str]:
    return {**everyone(code), "visitor": visitor}


def only(roles: set[str], code: int | str, *, others: int | str = 403) -> dict[str, int | str]:
    return {role: code if role in roles else others for role in ROLES} | {"visitor": LOGIN}


#: Keyword arguments for ``reverse``: a dict, or a function called inside the test (with the
#: database available and the requesting user made) that creates the objects the URL needs
#: and returns the kwargs.  Such functions usually live in each app's factories module.
Kwargs = dict[str, object] | Callable[[], dict[str, object]]

#: url name -> (kwargs for reverse, expected answer per role)
MATRIX: dict[str, tuple[Kwargs, dict[str, int | str]]] = {
    "core:home": ({}, everyone(200)),
    "core:accessibility": ({}, everyone(200)),
    "core:privacy": ({}, everyone(200)),
    "core:healthz": ({}, everyone(200)),
    "core:login": ({}, {**everyone(302), "visitor": 200}),
    "core:logout": ({}, everyone(405)),
    "core:password_reset": ({}, everyone(200)),
    "core:password_reset_done": ({}, everyone(200)),
    "core:password_reset_confirm": ({"uidb64": "MQ", "token": "set-password"}, everyone(200)),
    "core:password_reset_complete": ({}, everyone(200)),
    "core:audit_log": ({}, only(ADMIN_ROLES, 200)),
    "core:audit_export": ({}, everyone(405)),
    "core:audit_export_download": ({"record_id": uuid.uuid4()}, only(ADMIN_ROLES, 404)),
    "core:task_detail": ({"record_id": uuid.uuid4()}, signed_in(404)),
    "evidence:index": ({}, everyone(200)),
    "registry:index": ({}, everyone(200)),
    "pilots:index": ({}, everyone(200)),
    "panel:index": ({}, everyone(200)),
    "forum:index": ({}, everyone(200)),
    "events:index": ({}, everyone(200)),
    "calls:index": ({}, everyone(200)),
    "news:index": ({}, everyone(200)),
}


def _walk(patterns: list, namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin: checked by test_admin_is_for_staff_only
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"
        elif isinstance(pattern, URLPattern):
            raise AssertionError(f"URL pattern {pattern.pattern} has no name")


def test_every_url_is_in_the_matrix() -> None:
    names = set(_walk(get_resolver().url_patterns))
    assert names - MATRIX.keys() == set(), "add these URLs to the permission matrix"
    assert MATRIX.keys() - names == set(), "these matrix entries match no URL"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(client_for, name: str, role: str) -> None:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    kwargs, expected = MATRIX[name]
    client = client_for(role)
    response = client.get(reverse(name, kwargs=kwargs() if callable(kwargs) else kwargs))
    want = expected[role]
    if want == LOGIN:
        assert response.status_code == 302, f"{name} as {role}: {response.status_code}"
        assert response["Location"].startswith(reverse("core:login"))
    else:
        assert response.status_code == want, f"{name} as {role}: {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_admin_is_for_staff_only(client_for, role: str) -> None:  # type: ignore[no-untyped-def]
    response = client_for(role).get("/admin/")
    if role in STAFF_ROLES:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
