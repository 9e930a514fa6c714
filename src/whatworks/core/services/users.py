"""Writes of users and their roles (the roles' groups and permissions included)."""

from __future__ import annotations

import logging
import secrets

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import CoreError, full_clean_or_raise
from whatworks.core.models import (
    Organisation,
    User,
)
from whatworks.core.roles import ROLE_PERMISSIONS, STAFF_ROLES, Role
from whatworks.core.services.audit import (
    audit_record,
    plain_value,
)

logger = logging.getLogger(__name__)


def roles_sync(*, using: str = "default") -> dict[str, int]:
    """Make each role's group hold exactly the permissions :data:`ROLE_PERMISSIONS` lists.

    Idempotent; returns the number of permissions per role.  Unknown permission names
    raise, so a typo in the table cannot silently grant nothing.
    """
    counts: dict[str, int] = {}
    with transaction.atomic(using=using):
        for role, names in ROLE_PERMISSIONS.items():
            group, _ = Group.objects.using(using).get_or_create(name=role.value)
            wanted: list[Permission] = []
            for name in sorted(names):
                app_label, codename = name.split(".", 1)
                try:
                    wanted.append(
                        Permission.objects.using(using).get(
                            content_type__app_label=app_label, codename=codename
                        )
                    )
                except Permission.DoesNotExist:
                    raise CoreError(
                        gettext("Role %(value)s names an unknown permission %(name)s.")
                        % {"value": role.value, "name": name}
                    ) from None
            group.permissions.set(wanted)
            counts[role.value] = len(wanted)
    return counts


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    email: str,
    password: str | None,
    full_name: str = "",
    organisation: Organisation | None = None,
    roles: frozenset[Role] = frozenset(),
) -> User:
    """Create a user with the given roles.  ``password=None`` makes an unusable password."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise CoreError(gettext("There is already an account for %(email)s.") % {"email": email})
    if Role.LA_ANALYST in roles and (
        organisation is None or organisation.kind != Organisation.Kind.LOCAL_AUTHORITY
    ):
        raise CoreError(gettext("A local authority analyst must belong to a local authority."))
    user = User(email=email, full_name=full_name, organisation=organisation)
    user.set_password(password)
    full_clean_or_raise(user, CoreError, exclude=["password"])
    user.save()
    _apply_roles(user, roles)
    audit_record(
        actor=actor,
        action=AuditAction.USER_CREATED,
        target=user,
        changes={
            "roles": {"before": [], "after": sorted(r.value for r in roles)},
            "organisation": {"before": None, "after": plain_value(organisation)},
        },
    )
    return user


@transaction.atomic
def user_set_roles(*, actor: User | None, user: User, roles: frozenset[Role]) -> User:
    before = sorted(user.groups.values_list("name", flat=True))
    _apply_roles(user, roles)
    after = sorted(r.value for r in roles)
    if before != after:
        audit_record(
            actor=actor,
            action=AuditAction.USER_ROLES_CHANGED,
            target=user,
            changes={"roles": {"before": before, "after": after}},
        )
    return user


@transaction.atomic
def user_set_password(*, actor: User | None, user: User, password: str, via: str = "") -> User:
    """Set a password (``via`` says how, e.g. "reset link"); the audit keeps no value."""
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        actor=actor,
        action=AuditAction.USER_PASSWORD_SET,
        target=user,
        changes={"via": via} if via else {},
    )
    return user


@transaction.atomic
def user_anonymise(*, actor: User | None, user: User) -> User:
    """Remove a person's identity from their account, for good: the e-mail address becomes
    ``erased-<id>@erased.invalid``, the name and organisation go, the password and second
    factors are removed, the roles are cleared and the account is switched off (so every
    session it had stops working: the session hash follows the password).  The row stays,
    so that what other parts keep against it (audit entries name people by number) holds.
    """
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _apply_roles(user, frozenset())
    user.email = f"erased-{user.pk}@erased.invalid"
    user.full_name = ""
    user.organisation = None
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["email", "full_name", "organisation", "is_active", "password"])
    audit_record(actor=actor, action=AuditAction.USER_ANONYMISED, target=user)
    return user


def _apply_roles(user: User, roles: frozenset[Role]) -> None:
    groups = [Group.objects.get_or_create(name=role.value)[0] for role in sorted(roles)]
    user.groups.set(groups)
    user.is_staff = bool(roles & STAFF_ROLES)
    user.is_superuser = Role.ADMIN in roles
    user.save(update_fields=["is_staff", "is_superuser"])


def user_roles(user: User) -> frozenset[Role]:
    names = set(user.groups.values_list("name", flat=True))
    return frozenset(role for role in Role if role.value in names)


def generate_password() -> str:
    return secrets.token_urlsafe(12)
