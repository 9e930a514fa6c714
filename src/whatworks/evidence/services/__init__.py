"""Writes of the Evidence Store: interventions, ratings, studies and findings in
:mod:`.store`, imports and exports of whole files in :mod:`.transfer`."""

from whatworks.evidence.services.store import (
    finding_compute,
    finding_create,
    finding_update,
    intervention_create,
    intervention_update,
    rating_set,
    raw_stats,
    search_index_refresh,
    search_words_add,
    study_create,
    study_update,
    synthesis_refresh,
)

__all__ = [
    "finding_compute",
    "finding_create",
    "finding_update",
    "intervention_create",
    "intervention_update",
    "rating_set",
    "raw_stats",
    "search_index_refresh",
    "search_words_add",
    "study_create",
    "study_update",
    "synthesis_refresh",
]
