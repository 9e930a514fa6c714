"""The write of a reference-manager import: fill in the DOIs and web addresses that
:func:`whatworks.evidence.ris.ris_preview` matched, through the store's audited
``study_update``."""

from __future__ import annotations

from django.db import transaction

from whatworks.core.models import User
from whatworks.evidence.errors import EvidenceError
from whatworks.evidence.models import Study
from whatworks.evidence.ris import ris_preview
from whatworks.evidence.services import store as store_services


@transaction.atomic
def ris_apply(*, actor: User, text: str) -> list[Study]:
    """Fill in the DOIs and web addresses the preview showed; returns the studies changed.
    Every change goes through ``study_update`` (audited); all or nothing."""
    preview = ris_preview(text)
    if preview.problems:
        raise EvidenceError(list(preview.problems))
    changed = []
    for match in preview.updates:
        assert match.study is not None
        store_services.study_update(actor=actor, study=match.study, data=match.changes)
        changed.append(match.study)
    return changed
