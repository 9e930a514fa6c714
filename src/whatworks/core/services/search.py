"""Writes of the search synonyms staff keep for every part's search."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import CoreError, full_clean_or_raise
from whatworks.core.models import (
    SearchSynonym,
    User,
)
from whatworks.core.services.audit import (
    audit_record,
)

logger = logging.getLogger(__name__)


@transaction.atomic
def search_synonym_save(
    *, actor: User | None, terms: str, note: str = "", synonym: SearchSynonym | None = None
) -> SearchSynonym:
    """Create a synonym group, or change one.  The terms are normalised to "a, b, c"; a group
    needs two or more different words or phrases."""
    from whatworks.core.search import parse_synonym_terms, synonyms_cache

    phrases = parse_synonym_terms(terms)
    if len(phrases) < 2:
        raise CoreError(
            gettext(
                "Give two or more different words or phrases that mean the "
                "same, separated by commas, for example “DV, domestic abuse”."
            )
        )
    before = {"terms": synonym.terms, "note": synonym.note} if synonym else {}
    target = synonym or SearchSynonym()
    target.terms = ", ".join(phrases)
    target.note = note.strip()
    target.updated_at = timezone.now()
    full_clean_or_raise(target, CoreError)
    target.save()
    synonyms_cache.clear()
    after = {"terms": target.terms, "note": target.note}
    audit_record(
        actor=actor,
        action=AuditAction.CORE_SEARCH_SYNONYM_CHANGED
        if synonym
        else AuditAction.CORE_SEARCH_SYNONYM_CREATED,
        target=target,
        changes={
            k: {"before": before.get(k), "after": v} for k, v in after.items() if before.get(k) != v
        },
    )
    return target


@transaction.atomic
def search_synonym_delete(*, actor: User | None, synonym: SearchSynonym) -> None:
    from whatworks.core.search import synonyms_cache

    audit_record(
        actor=actor,
        action=AuditAction.CORE_SEARCH_SYNONYM_DELETED,
        target=synonym,
        changes={"terms": {"before": synonym.terms, "after": None}},
    )
    synonym.delete()
    synonyms_cache.clear()
