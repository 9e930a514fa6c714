"""Receivers of other parts' documented signals: each takes the signal's arguments and
calls one service (connected in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from whatworks.core.models import Organisation, User
from whatworks.registry.services.projects import project_add_partner_site_by_reference


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
    exist refuses the acceptance (the service's ``RegistryError``).
    """
    project_add_partner_site_by_reference(
        actor=actor, project_ref=project_ref, organisation=organisation
    )
