from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from tests.factories import OrganisationFactory, UserFactory
from whatworks.core.errors import CoreError
from whatworks.core.models import AuditEntry, Organisation, User
from whatworks.core.roles import ROLE_PERMISSIONS, Role
from whatworks.core.services.audit import audit_record
from whatworks.core.services.organisations import organisation_create
from whatworks.core.services.users import roles_sync, user_create, user_roles, user_set_roles

pytestmark = pytest.mark.django_db


def test_roles_sync_gives_each_group_exactly_its_permissions() -> None:
    counts = roles_sync()
    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role.value)
        have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert have == names
        assert counts[role.value] == len(names)


def test_roles_sync_removes_a_permission_granted_by_hand() -> None:
    from django.contrib.auth.models import Permission

    group = Group.objects.get(name=Role.RESEARCHER.value)
    group.permissions.add(Permission.objects.get(codename="view_auditentry"))
    roles_sync()
    assert not group.permissions.filter(codename="view_auditentry").exists()


def test_user_create_writes_an_audit_entry_without_personal_data() -> None:
    user = user_create(
        actor=None,
        email="Jo.Bloggs@Example.TEST",
        password="a long enough password",
        full_name="Jo Bloggs",
        roles=frozenset({Role.RESEARCHER}),
    )
    assert user.email == "jo.bloggs@example.test"
    entry = AuditEntry.objects.get(action="user.created")
    assert entry.object_id == str(user.pk)
    assert entry.actor_label == "system"
    text = f"{entry.object_repr} {entry.changes}"
    assert "Bloggs" not in text and "example" not in text
    assert entry.changes["roles"] == {"before": [], "after": ["researcher"]}


def test_user_create_refuses_a_duplicate_email_in_any_case() -> None:
    UserFactory.create(email="sam@example.test")
    with pytest.raises(CoreError, match="already an account"):
        user_create(actor=None, email="SAM@example.test", password="x" * 12)
    assert User.objects.count() == 1


def test_an_la_analyst_must_belong_to_a_local_authority() -> None:
    charity = OrganisationFactory.create(kind=Organisation.Kind.CHARITY, region="")
    with pytest.raises(CoreError, match="local authority"):
        user_create(
            actor=None,
            email="a@example.test",
            password="x" * 12,
            organisation=charity,
            roles=frozenset({Role.LA_ANALYST}),
        )
    assert not User.objects.exists()


def test_staff_flags_follow_roles_and_changes_are_audited() -> None:
    admin = UserFactory.create(roles=frozenset({Role.ADMIN}))
    user = UserFactory.create()
    assert not user.is_staff
    user_set_roles(actor=admin, user=user, roles=frozenset({Role.EDITOR}))
    user.refresh_from_db()
    assert user.is_staff and not user.is_superuser
    assert user_roles(user) == frozenset({Role.EDITOR})
    entry = AuditEntry.objects.filter(action="user.roles_changed").get()
    assert entry.actor == admin
    assert entry.changes == {"roles": {"before": [], "after": ["editor"]}}


def test_a_local_authority_needs_a_region() -> None:
    with pytest.raises(CoreError, match="region"):
        organisation_create(actor=None, name="X Council", slug="x", kind="local-authority")
    assert not Organisation.objects.filter(slug="x").exists()
    assert not AuditEntry.objects.filter(action="organisation.created").exists()


def test_audit_record_names_people_by_number() -> None:
    actor = UserFactory.create(full_name="Pat Person")
    target = UserFactory.create(email="target@example.test")
    entry = audit_record(actor=actor, action="user.viewed", target=target)
    assert entry.actor_label == f"user #{actor.pk}"
    assert entry.object_repr == f"user #{target.pk}"
