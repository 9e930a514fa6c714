"""Receivers of other parts' documented signals."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from whatworks.core.models import Organisation, User
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import Project
from whatworks.registry.services.projects import project_add_partner_site


def partner_site_from_application(
    sender: Any,
    *,
    organisation: Organisation,
    project_ref: str,
    actor: User | None,
    **kwargs: Any,
) -> None:
    """``core.signals.application_accepted``: the accepted organisation joins the project.

    Runs inside the acceptance's transaction; a call that names a project that does not
    exist refuses the acceptance with a message the editor can act on.
    """
    if not project_ref:
        return
    project = Project.objects.filter(reference=project_ref.strip()).first()
    if project is None:
        raise RegistryError(
            _(
                "The call names research project %(project_ref)s, which is "
                "not in the registry: correct the call's project identifier, "
                "then accept again."
            )
            % {"project_ref": project_ref}
        )
    project_add_partner_site(actor=actor, project=project, organisation=organisation)
