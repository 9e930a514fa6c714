"""Factories for the core's models.  Users are made through the service, as in the app."""

from __future__ import annotations

from typing import Any

import factory

from whatworks.core.models import Organisation, User
from whatworks.core.roles import Role
from whatworks.core.services.users import user_create

PASSWORD = "correct horse battery staple"


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Borough {n} Council")
    slug = factory.Sequence(lambda n: f"borough-{n}")
    kind = Organisation.Kind.LOCAL_AUTHORITY
    region = "london"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name", locale="en_GB")
    organisation = None
    roles: frozenset[Role] = frozenset()

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        roles = kwargs.pop("roles", frozenset())
        return user_create(
            actor=None,
            email=kwargs["email"],
            password=kwargs.get("password", PASSWORD),
            full_name=kwargs.get("full_name", ""),
            organisation=kwargs.get("organisation"),
            roles=frozenset(roles),
        )


def user_with_role(role: Role | None, **kwargs: Any) -> User:
    """A user holding one role (None: a registered user with no role)."""
    if role == Role.LA_ANALYST and "organisation" not in kwargs:
        kwargs["organisation"] = OrganisationFactory.create()
    return UserFactory.create(roles=frozenset({role}) if role else frozenset(), **kwargs)


def verify_second_factor(client: Any, user: User) -> None:
    """Give a signed-in test client's session the second factor, the way a person does.

    For anyone who must verify (core/mfa.py): a confirmed app is added to the account and
    its current code is posted to the real verify page, so the session is verified by
    django-otp exactly as in production.  Nothing in the product is bypassed.
    """
    from django.urls import reverse
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from whatworks.core import mfa

    if not mfa.mfa_required(user):
        return
    device = TOTPDevice.objects.create(user=user, name="test app", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = client.post(reverse("core:mfa_verify"), {"token": code})
    assert response.status_code == 302, "the test's second factor was refused"
