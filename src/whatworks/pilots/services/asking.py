"""Asking for a pilot: a signed-in user's request, for the Centre's researchers."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.pilots.errors import PilotError


@transaction.atomic
def pilot_request_create(*, actor: User, question: str) -> Any:
    """Record a signed-in user's request for a pilot, for the Centre's researchers."""
    from whatworks.pilots.models import PilotRequest

    if not question.strip():
        raise PilotError(gettext("Say what your authority would like to test."), field="question")
    request = PilotRequest(
        requested_by=actor, organisation=actor.organisation, question=question.strip()
    )
    full_clean_or_raise(request, PilotError)
    request.save()
    audit_record(actor=actor, action=AuditAction.PILOT_REQUESTED, target=request)
    return request
