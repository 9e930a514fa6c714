"""Identifiers other registries give, set: the project's in other registers and a
researcher's own ORCID iD (their formats are checked in ``identifiers.py``)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.registry.errors import RegistryError
from whatworks.registry.identifiers import (
    SCHEMES,
    normalise_orcid,
    normalise_secondary,
)
from whatworks.registry.models import Project, ResearcherIdentity
from whatworks.registry.services.common import require_not_withdrawn, require_team


@transaction.atomic
def project_set_secondary_ids(
    *, actor: User | None, project: Project, ids: dict[str, str]
) -> Project:
    """Set the project's identifiers in other registers (empty ones are removed)."""
    require_team(actor, project)
    require_not_withdrawn(project)
    problems, clean = [], {}
    for scheme in SCHEMES:
        value = (ids.get(scheme) or "").strip()
        if not value:
            continue
        try:
            clean[scheme] = normalise_secondary(scheme, value)
        except ValueError as exc:
            problems.append(str(exc))
    if unknown := sorted(set(ids) - set(SCHEMES)):
        problems.append(gettext("Unknown registers: %(join)s.") % {"join": ", ".join(unknown)})
    if problems:
        raise RegistryError(problems)
    before = dict(project.secondary_ids or {})
    project.secondary_ids = clean
    project.updated_at = timezone.now()
    project.save(update_fields=["secondary_ids", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_SECONDARY_IDS_SET,
        target=project,
        changes={"before": before, "after": clean},
    )
    return project


@transaction.atomic
def researcher_set_orcid(*, actor: User, orcid: str) -> ResearcherIdentity:
    """A person sets (or, with an empty value, removes) their own ORCID iD."""
    if not actor.is_authenticated:
        raise RegistryError(gettext("Sign in to set your ORCID iD."))
    value = ""
    if orcid.strip():
        try:
            value = normalise_orcid(orcid)
        except ValueError as exc:
            raise RegistryError(str(exc)) from None
    identity, _created = ResearcherIdentity.objects.select_for_update().get_or_create(user=actor)
    before = identity.orcid
    identity.orcid = value
    identity.updated_at = timezone.now()
    identity.save()
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_ORCID_SET,
        target=identity,
        changes={"before": before, "after": value},
    )
    return identity
