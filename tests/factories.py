"""Factories for the core's models.  Users are made through the service, as in the app."""

from __future__ import annotations

from typing import Any

import factory

from whatworks.core.models import Organisation, User
from whatworks.core.roles import Role
from whatworks.core.services import user_create

PASSWORD = "correct horse battery staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Borough {n} Council")
    slug = factory.Sequence(lambda n: f"borough-{n}")
    kind = Organisation.Kind.LOCAL_AUTHORITY
    region = "london"


class UserFactory(factory.django.DjangoModelFactory):
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
        kwargs["organisation"] = OrganisationFactory()
    return UserFactory(roles=frozenset({role}) if role else frozenset(), **kwargs)
