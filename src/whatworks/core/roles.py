"""Roles are Django groups with permissions, defined here once.

A visitor is anyone not signed in and a registered user is anyone signed in; the other
roles are groups.  Later parts add their permissions to :data:`ROLE_PERMISSIONS`;
``roles_sync`` makes the database match this table (it runs after every ``migrate``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PANEL_MEMBER = "panel-member", _("Panel member")
    FORUM_PARTICIPANT = "forum-participant", _("Forum participant")
    LA_ANALYST = "la-analyst", _("Local authority analyst")
    RESEARCHER = "researcher", _("Researcher")
    EDITOR = "editor", _("Editor")
    ADMIN = "admin", _("Administrator")


#: Permissions per role, as "app_label.codename".  Deny by default: a role has exactly these.
ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.PANEL_MEMBER: frozenset(),
    Role.FORUM_PARTICIPANT: frozenset(),
    Role.LA_ANALYST: frozenset(),
    Role.RESEARCHER: frozenset(),
    Role.EDITOR: frozenset({"core.view_organisation"}),
    Role.ADMIN: frozenset(
        {
            "core.view_auditentry",
            "core.view_organisation",
            "core.add_organisation",
            "core.change_organisation",
            "core.view_user",
            "core.change_user",
            "core.view_taskrecord",
        }
    ),
}

#: Roles whose members may use the admin site (``is_staff``).
STAFF_ROLES = frozenset({Role.EDITOR, Role.ADMIN})
