"""Writes of organisations."""

from __future__ import annotations

import logging

from django.db import transaction

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import CoreError, full_clean_or_raise
from whatworks.core.models import (
    Organisation,
    User,
)
from whatworks.core.services.audit import (
    audit_record,
    diff_fields,
)

logger = logging.getLogger(__name__)


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    name: str,
    slug: str,
    kind: str,
    region: str = "",
) -> Organisation:
    organisation = Organisation(name=name, slug=slug, kind=kind, region=region)
    full_clean_or_raise(organisation, CoreError)
    organisation.save()
    audit_record(
        actor=actor,
        action=AuditAction.ORGANISATION_CREATED,
        target=organisation,
        changes=diff_fields(None, organisation, ["name", "slug", "kind", "region"]),
    )
    return organisation
