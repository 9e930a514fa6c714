"""What the registry's services share: the team check and the withdrawn check."""

from __future__ import annotations

from django.utils.translation import gettext as _

from whatworks.core.errors import PermissionDeniedError
from whatworks.core.models import User
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import Project
from whatworks.registry.selectors import is_team_member


def require_team(actor: User | None, project: Project) -> None:
    """Only the project's team (or an administrator) changes its project and protocol."""
    if not is_team_member(actor, project):
        raise PermissionDeniedError(_("Only the project's team can do this."))


def require_not_withdrawn(project: Project) -> None:
    if project.is_withdrawn:
        raise RegistryError(_("This project has been withdrawn; it can no longer change."))
